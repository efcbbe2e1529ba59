"""tensorish.autograd: the graph engine, grad modes, and the deprecated Variable."""

from ._backward import backward as backward
from ._engine import Node as Node
from ._grad_mode import enable_grad as enable_grad
from ._grad_mode import is_grad_enabled as is_grad_enabled
from ._grad_mode import no_grad as no_grad
from ._grad_mode import set_grad_enabled as set_grad_enabled
from ._variable import Variable as Variable
