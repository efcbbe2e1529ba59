"""tensorish.nn.utils: gradient clipping and parameter/vector conversion."""

from . import rnn as rnn
from ._clip_grad import clip_grad_norm_ as clip_grad_norm_
from ._clip_grad import clip_grad_value_ as clip_grad_value_
from ._convert_parameters import parameters_to_vector as parameters_to_vector
from ._convert_parameters import vector_to_parameters as vector_to_parameters
