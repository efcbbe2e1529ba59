"""tensorish.nn.utils: gradient clipping, parameter/vector conversion, variable-length
sequences (``rnn``), parametrizations and the older hook-based weight and spectral norms."""

from . import parametrizations as parametrizations
from . import parametrize as parametrize
from . import rnn as rnn
from ._clip_grad import clip_grad_norm_ as clip_grad_norm_
from ._clip_grad import clip_grad_value_ as clip_grad_value_
from ._convert_parameters import parameters_to_vector as parameters_to_vector
from ._convert_parameters import vector_to_parameters as vector_to_parameters
from ._weight_norm import remove_spectral_norm as remove_spectral_norm
from ._weight_norm import remove_weight_norm as remove_weight_norm
from ._weight_norm import spectral_norm as spectral_norm
from ._weight_norm import weight_norm as weight_norm
