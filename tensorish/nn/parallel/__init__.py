"""tensorish.nn.parallel: DistributedDataParallel over tensorish.distributed."""

from ._distributed import DistributedDataParallel as DistributedDataParallel
