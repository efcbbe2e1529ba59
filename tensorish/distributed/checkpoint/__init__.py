"""tensorish.distributed.checkpoint: sharded checkpoints written by every process, read back onto
any number of processes (``save``, ``load``; ``state_dict.get_state_dict``/``set_state_dict``)."""

from . import state_dict as state_dict
from ._storage import FileSystemReader as FileSystemReader
from ._storage import FileSystemWriter as FileSystemWriter
from ._storage import Metadata as Metadata
from ._storage import load as load
from ._storage import save as save
