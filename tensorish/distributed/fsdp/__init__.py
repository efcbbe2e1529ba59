"""tensorish.distributed.fsdp: fully sharded data parallelism (``fully_shard``, FSDP2)."""

from ._fully_shard import CPUOffloadPolicy as CPUOffloadPolicy
from ._fully_shard import FSDPModule as FSDPModule
from ._fully_shard import MixedPrecisionPolicy as MixedPrecisionPolicy
from ._fully_shard import OffloadPolicy as OffloadPolicy
from ._fully_shard import fully_shard as fully_shard
