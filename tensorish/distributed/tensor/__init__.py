"""tensorish.distributed.tensor: ``distribute_tensor``, ``Shard``, ``Replicate`` over NamedSharding.

A distributed tensor is an ordinary Tensor whose ``jax.Array`` carries a
``jax.sharding.NamedSharding``; its ``placements`` are read off that sharding, ops propagate it
(XLA), and ``tensorish.compile`` runs steps on it SPMD.
"""

from ._api import Partial as Partial
from ._api import Placement as Placement
from ._api import Replicate as Replicate
from ._api import Shard as Shard
from ._api import distribute_module as distribute_module
from ._api import distribute_tensor as distribute_tensor
