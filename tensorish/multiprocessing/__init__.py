"""tensorish.multiprocessing: Python's multiprocessing, plus ``spawn`` and ``start_processes`` as
``torch.multiprocessing`` (fresh interpreters only)."""

from multiprocessing import Array as Array
from multiprocessing import Barrier as Barrier
from multiprocessing import Event as Event
from multiprocessing import Lock as Lock
from multiprocessing import Manager as Manager
from multiprocessing import Pipe as Pipe
from multiprocessing import Pool as Pool
from multiprocessing import Process as Process
from multiprocessing import Queue as Queue
from multiprocessing import SimpleQueue as SimpleQueue
from multiprocessing import Value as Value
from multiprocessing import cpu_count as cpu_count
from multiprocessing import current_process as current_process
from multiprocessing import get_all_start_methods as get_all_start_methods
from multiprocessing import get_context as get_context
from multiprocessing import get_start_method as get_start_method
from multiprocessing import set_start_method as set_start_method

from ._spawn import ProcessContext as ProcessContext
from ._spawn import ProcessException as ProcessException
from ._spawn import ProcessExitedException as ProcessExitedException
from ._spawn import ProcessRaisedException as ProcessRaisedException
from ._spawn import spawn as spawn
from ._spawn import start_processes as start_processes
