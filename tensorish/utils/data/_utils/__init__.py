"""The DataLoader's internals, laid out as torch's ``torch.utils.data._utils`` (programs import
``..._utils.collate`` for ``collate`` and ``default_collate_fn_map``)."""

from . import collate as collate
from . import fetch as fetch
from . import worker as worker
