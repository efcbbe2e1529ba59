"""tensorish.distributed: PyTorch's names over JAX's own sharding and multi-process runtime.

Processes join with ``init_process_group`` (``jax.distributed``), collectives are XLA programs
across the processes, DTensor placements are ``jax.sharding`` layouts. Launch a job with
``python -m tensorish.distributed.run --nproc-per-node N train.py``.
"""

from . import tensor as tensor
from ._collectives import ReduceOp as ReduceOp
from ._collectives import Work as Work
from ._collectives import all_gather as all_gather
from ._collectives import all_gather_into_tensor as all_gather_into_tensor
from ._collectives import all_gather_object as all_gather_object
from ._collectives import all_gather_single as all_gather_single
from ._collectives import all_reduce as all_reduce
from ._collectives import all_to_all_single as all_to_all_single
from ._collectives import barrier as barrier
from ._collectives import broadcast as broadcast
from ._collectives import broadcast_object_list as broadcast_object_list
from ._collectives import gather as gather
from ._collectives import reduce as reduce
from ._collectives import reduce_scatter_single as reduce_scatter_single
from ._collectives import reduce_scatter_tensor as reduce_scatter_tensor
from ._collectives import scatter as scatter
from ._mesh import DeviceMesh as DeviceMesh
from ._mesh import init_device_mesh as init_device_mesh
from ._process import Backend as Backend
from ._process import DistBackendError as DistBackendError
from ._process import DistError as DistError
from ._process import DistNetworkError as DistNetworkError
from ._process import DistStoreError as DistStoreError
from ._process import GroupMember as GroupMember
from ._process import ProcessGroup as ProcessGroup
from ._process import default_pg_timeout as default_pg_timeout
from ._process import destroy_process_group as destroy_process_group
from ._process import get_backend as get_backend
from ._process import get_global_rank as get_global_rank
from ._process import get_group_rank as get_group_rank
from ._process import get_process_group_ranks as get_process_group_ranks
from ._process import get_rank as get_rank
from ._process import get_world_size as get_world_size
from ._process import group as group
from ._process import init_process_group as init_process_group
from ._process import is_available as is_available
from ._process import is_initialized as is_initialized
from ._process import new_group as new_group
