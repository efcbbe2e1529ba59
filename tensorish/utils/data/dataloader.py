"""``tensorish.utils.data.dataloader``, as torch's module of that name."""

from ._dataloader import DataLoader as DataLoader
from ._utils.collate import default_collate as default_collate
from ._utils.collate import default_convert as default_convert
from ._utils.worker import get_worker_info as get_worker_info
