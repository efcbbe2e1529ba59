"""tensorish.distributed.fsdp: fully sharded data parallelism: ``fully_shard`` (FSDP2) and the
older ``FullyShardedDataParallel`` wrapper."""

from ._fully_shard import CPUOffloadPolicy as CPUOffloadPolicy
from ._fully_shard import FSDPModule as FSDPModule
from ._fully_shard import MixedPrecisionPolicy as MixedPrecisionPolicy
from ._fully_shard import OffloadPolicy as OffloadPolicy
from ._fully_shard import fully_shard as fully_shard
from ._wrapper import BackwardPrefetch as BackwardPrefetch
from ._wrapper import CPUOffload as CPUOffload
from ._wrapper import FullyShardedDataParallel as FullyShardedDataParallel
from ._wrapper import MixedPrecision as MixedPrecision
from ._wrapper import ShardingStrategy as ShardingStrategy
from ._wrapper import StateDictType as StateDictType
