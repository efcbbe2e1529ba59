"""``tensorish.utils.data.distributed``, as torch's module of that name."""

from ._distributed import DistributedSampler as DistributedSampler
