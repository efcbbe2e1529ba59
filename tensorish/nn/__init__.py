"""tensorish.nn: modules, parameters, layers, losses, init and utilities, as in torch.nn.

>>> import tensorish
>>> net = tensorish.nn.Sequential(tensorish.nn.Linear(4, 8), tensorish.nn.ReLU())
>>> net(tensorish.ones(2, 4)).shape
tensorish.Size([2, 8])
"""

from . import attention as attention
from . import functional as functional
from . import init as init
from . import parallel as parallel
from . import utils as utils
from ._module import Module as Module
from .modules import *
from .parameter import Buffer as Buffer
from .parameter import Parameter as Parameter
