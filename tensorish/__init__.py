"""tensorish: PyTorch's imperative autograd as a stateful facade over JAX.

>>> import tensorish as torch
>>> x = torch.ones(2, requires_grad=True)
>>> (5 * (x + 1) ** 2).mean().backward()
>>> x.grad
tensor([10., 10.])
"""

from math import e as e
from math import inf as inf
from math import nan as nan
from math import pi as pi

from . import __config__ as __config__
from . import autograd as autograd
from . import distributed as distributed
from ._bridge import unwrap as unwrap
from ._bridge import wrap_jax as wrap_jax
from ._cache import set_compilation_cache_dir as set_compilation_cache_dir
from ._compile import compile as compile
from ._creation import arange as arange
from ._creation import as_tensor as as_tensor
from ._creation import asarray as asarray
from ._creation import complex as complex
from ._creation import empty as empty
from ._creation import empty_like as empty_like
from ._creation import eye as eye
from ._creation import from_numpy as from_numpy
from ._creation import full as full
from ._creation import full_like as full_like
from ._creation import linspace as linspace
from ._creation import logspace as logspace
from ._creation import meshgrid as meshgrid
from ._creation import ones as ones
from ._creation import ones_like as ones_like
from ._creation import polar as polar
from ._creation import scalar_tensor as scalar_tensor
from ._creation import tensor as tensor
from ._creation import tril_indices as tril_indices
from ._creation import triu_indices as triu_indices
from ._creation import zeros as zeros
from ._creation import zeros_like as zeros_like
from ._device import device as device
from ._device import get_default_device as get_default_device
from ._device import set_default_device as set_default_device
from ._dtype import ALL as _ALL_DTYPES
from ._dtype import bfloat16 as bfloat16
from ._dtype import bool_ as bool
from ._dtype import can_cast as can_cast
from ._dtype import complex64 as cfloat
from ._dtype import complex64 as complex64
from ._dtype import complex128 as cdouble
from ._dtype import complex128 as complex128
from ._dtype import dtype as dtype
from ._dtype import finfo as finfo
from ._dtype import float16 as float16
from ._dtype import float16 as half
from ._dtype import float32 as float
from ._dtype import float32 as float32
from ._dtype import float64 as double
from ._dtype import float64 as float64
from ._dtype import get_default_dtype as get_default_dtype
from ._dtype import iinfo as iinfo
from ._dtype import int8 as int8
from ._dtype import int16 as int16
from ._dtype import int16 as short
from ._dtype import int32 as int
from ._dtype import int32 as int32
from ._dtype import int64 as int64
from ._dtype import int64 as long
from ._dtype import promote_types as promote_types
from ._dtype import set_default_dtype as set_default_dtype
from ._dtype import uint8 as uint8
from ._interop import from_dlpack as from_dlpack
from ._interop import from_jax as from_jax
from ._interop import to_jax as to_jax
from ._layout import layout as layout
from ._layout import strided as strided
from ._legacy import BFloat16Tensor as BFloat16Tensor
from ._legacy import BoolTensor as BoolTensor
from ._legacy import ByteTensor as ByteTensor
from ._legacy import CharTensor as CharTensor
from ._legacy import DoubleTensor as DoubleTensor
from ._legacy import FloatTensor as FloatTensor
from ._legacy import HalfTensor as HalfTensor
from ._legacy import IntTensor as IntTensor
from ._legacy import LongTensor as LongTensor
from ._legacy import ShortTensor as ShortTensor
from ._printing import set_printoptions as set_printoptions
from ._random import Generator as Generator
from ._random import bernoulli as bernoulli
from ._random import default_generator as default_generator
from ._random import get_rng_state as get_rng_state
from ._random import initial_seed as initial_seed
from ._random import manual_seed as manual_seed
from ._random import multinomial as multinomial
from ._random import normal as normal
from ._random import poisson as poisson
from ._random import rand as rand
from ._random import rand_like as rand_like
from ._random import randint as randint
from ._random import randint_like as randint_like
from ._random import randn as randn
from ._random import randn_like as randn_like
from ._random import randperm as randperm
from ._random import seed as seed
from ._random import set_rng_state as set_rng_state
from ._tensor import Size as Size
from ._tensor import Tensor as Tensor
from .amp import autocast as autocast
from .amp._autocast_mode import autocast_decrement_nesting as autocast_decrement_nesting
from .amp._autocast_mode import autocast_increment_nesting as autocast_increment_nesting
from .amp._autocast_mode import clear_autocast_cache as clear_autocast_cache
from .amp._autocast_mode import get_autocast_cpu_dtype as get_autocast_cpu_dtype
from .amp._autocast_mode import get_autocast_dtype as get_autocast_dtype
from .amp._autocast_mode import get_autocast_gpu_dtype as get_autocast_gpu_dtype
from .amp._autocast_mode import is_autocast_cache_enabled as is_autocast_cache_enabled
from .amp._autocast_mode import is_autocast_cpu_enabled as is_autocast_cpu_enabled
from .amp._autocast_mode import is_autocast_enabled as is_autocast_enabled
from .amp._autocast_mode import set_autocast_cache_enabled as set_autocast_cache_enabled
from .amp._autocast_mode import set_autocast_cpu_dtype as set_autocast_cpu_dtype
from .amp._autocast_mode import set_autocast_cpu_enabled as set_autocast_cpu_enabled
from .amp._autocast_mode import set_autocast_dtype as set_autocast_dtype
from .amp._autocast_mode import set_autocast_enabled as set_autocast_enabled
from .amp._autocast_mode import set_autocast_gpu_dtype as set_autocast_gpu_dtype
from .autograd import enable_grad as enable_grad
from .autograd import inference_mode as inference_mode
from .autograd import is_grad_enabled as is_grad_enabled
from .autograd import is_inference_mode_enabled as is_inference_mode_enabled
from .autograd import no_grad as no_grad
from .autograd import set_grad_enabled as set_grad_enabled
from .autograd._anomaly import is_anomaly_check_nan_enabled as is_anomaly_check_nan_enabled
from .autograd._anomaly import is_anomaly_enabled as is_anomaly_enabled
from .ops import *
from .ops._fft import bartlett_window as bartlett_window
from .ops._fft import blackman_window as blackman_window
from .ops._fft import hamming_window as hamming_window
from .ops._fft import hann_window as hann_window
from .ops._fft import istft as istft
from .ops._fft import kaiser_window as kaiser_window
from .ops._fft import stft as stft
from .ops._special import i0 as i0
from .ops._special import igamma as igamma
from .ops._special import igammac as igammac
from .ops._special import mvlgamma as mvlgamma
from .ops._special import polygamma as polygamma
from .ops._special import sinc as sinc
from .serialization import load as load
from .serialization import save as save
from .version import __version__ as __version__

# isort: split
# Subpackages, one line each.
from . import amp as amp
from . import cpu as cpu
from . import cuda as cuda
from . import fft as fft
from . import func as func
from . import interop as interop
from . import linalg as linalg
from . import multiprocessing as multiprocessing
from . import optim as optim
from . import profiler as profiler
from . import random as random
from . import special as special
from . import testing as testing

from . import nn as nn  # isort: skip
from .nn._toplevel import *  # isort: skip
from . import distributions as distributions  # isort: skip
from . import accelerator as accelerator
from . import backends as backends
from . import utils as utils
from . import version as version
from .backends._flags import (
    are_deterministic_algorithms_enabled as are_deterministic_algorithms_enabled,
)
from .backends._flags import get_deterministic_debug_mode as get_deterministic_debug_mode
from .backends._flags import get_float32_matmul_precision as get_float32_matmul_precision
from .backends._flags import (
    is_deterministic_algorithms_warn_only_enabled as is_deterministic_algorithms_warn_only_enabled,
)
from .backends._flags import set_deterministic_debug_mode as set_deterministic_debug_mode
from .backends._flags import set_float32_matmul_precision as set_float32_matmul_precision
from .backends._flags import use_deterministic_algorithms as use_deterministic_algorithms
