"""tensorish.autograd: the graph engine, grad modes, custom Functions, gradcheck, functional.

Its modules sit at different layers (pyproject.toml's import contract): grad modes and anomaly
mode just above the mode object; the graph (``_graph``: Node, AccumulateGrad, hooks) below op
dispatch, which records nodes; the backward passes (``_engine``, ``_fused``) and what uses them
(``_backward``, ``_function``, ``functional``, ``_gradcheck``) above the op table.
"""

from . import function as function
from . import functional as functional
from ._anomaly import detect_anomaly as detect_anomaly
from ._anomaly import set_detect_anomaly as set_detect_anomaly
from ._backward import backward as backward
from ._backward import grad as grad
from ._function import Function as Function
from ._function import FunctionCtx as FunctionCtx
from ._function import once_differentiable as once_differentiable
from ._grad_mode import enable_grad as enable_grad
from ._grad_mode import inference_mode as inference_mode
from ._grad_mode import is_grad_enabled as is_grad_enabled
from ._grad_mode import is_inference_mode_enabled as is_inference_mode_enabled
from ._grad_mode import no_grad as no_grad
from ._grad_mode import set_grad_enabled as set_grad_enabled
from ._gradcheck import GradcheckError as GradcheckError
from ._gradcheck import gradcheck as gradcheck
from ._gradcheck import gradgradcheck as gradgradcheck
from ._graph import Node as Node
from ._variable import Variable as Variable
