"""``torch.autograd.function``'s public names, for code that imports them from here."""

from ._function import BackwardCFunction as BackwardCFunction
from ._function import Function as Function
from ._function import FunctionCtx as FunctionCtx
from ._function import once_differentiable as once_differentiable

__all__ = ["BackwardCFunction", "Function", "FunctionCtx", "once_differentiable"]
