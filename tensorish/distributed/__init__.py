"""tensorish.distributed: PyTorch's names over JAX's own sharding and multi-host runtime."""

from . import tensor as tensor
from ._mesh import DeviceMesh as DeviceMesh
from ._mesh import init_device_mesh as init_device_mesh
from ._process import destroy_process_group as destroy_process_group
from ._process import get_rank as get_rank
from ._process import get_world_size as get_world_size
from ._process import init_process_group as init_process_group
from ._process import is_initialized as is_initialized
