"""``tensorish.cuda``: CUDA devices as JAX sees them, and ``tensorish.cuda.amp``.

>>> import tensorish
>>> isinstance(tensorish.cuda.is_available(), bool)
True
"""

from ._cuda import BFloat16Tensor as BFloat16Tensor
from ._cuda import BoolTensor as BoolTensor
from ._cuda import ByteTensor as ByteTensor
from ._cuda import CharTensor as CharTensor
from ._cuda import DoubleTensor as DoubleTensor
from ._cuda import FloatTensor as FloatTensor
from ._cuda import HalfTensor as HalfTensor
from ._cuda import IntTensor as IntTensor
from ._cuda import LongTensor as LongTensor
from ._cuda import ShortTensor as ShortTensor
from ._cuda import current_device as current_device
from ._cuda import device_count as device_count
from ._cuda import get_device_name as get_device_name
from ._cuda import get_rng_state as get_rng_state
from ._cuda import get_rng_state_all as get_rng_state_all
from ._cuda import initial_seed as initial_seed
from ._cuda import is_available as is_available
from ._cuda import is_bf16_supported as is_bf16_supported
from ._cuda import is_initialized as is_initialized
from ._cuda import manual_seed as manual_seed
from ._cuda import manual_seed_all as manual_seed_all
from ._cuda import seed as seed
from ._cuda import seed_all as seed_all
from ._cuda import set_device as set_device
from ._cuda import set_rng_state as set_rng_state
from ._cuda import set_rng_state_all as set_rng_state_all
from ._cuda import synchronize as synchronize

from . import amp as amp  # isort: skip

__all__ = [
    "is_available",
    "device_count",
    "current_device",
    "set_device",
    "synchronize",
    "manual_seed",
    "manual_seed_all",
    "get_rng_state",
    "get_rng_state_all",
    "set_rng_state",
    "set_rng_state_all",
    "seed",
    "seed_all",
    "initial_seed",
    "is_bf16_supported",
    "get_device_name",
    "is_initialized",
    "FloatTensor",
    "DoubleTensor",
    "HalfTensor",
    "BFloat16Tensor",
    "LongTensor",
    "IntTensor",
    "ShortTensor",
    "CharTensor",
    "ByteTensor",
    "BoolTensor",
]
