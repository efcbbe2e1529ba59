"""The hook-based ``weight_norm`` and ``spectral_norm`` of older PyTorch (``nn.utils``): the
weight is recomputed by a forward pre-hook from ``<name>_g``/``<name>_v``, or from
``<name>_orig`` and the ``<name>_u``/``<name>_v`` power-iteration buffers."""

from __future__ import annotations

import warnings
from typing import Any

from ..._random import randn
from ..._tensor import Tensor
from ...autograd._grad_mode import no_grad
from ...ops import dot
from .. import functional as F
from .._module import Module
from ..modules._lazy import UninitializedParameter
from ..parameter import Parameter
from .parametrizations import _norm_except_dim, _transposed_conv, _weight_norm

__all__ = ["weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]


class WeightNorm:
    """The forward pre-hook of ``weight_norm``.

    >>> import warnings, tensorish
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = tensorish.nn.utils.weight_norm(tensorish.nn.Linear(2, 2))
    >>> [type(h).__name__ for h in m._forward_pre_hooks.values()]
    ['WeightNorm']
    """

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return _weight_norm(v, g, self.dim)

    def remove(self, module: Module) -> None:
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Deprecated: ``module.<name>`` recomputed before each forward as ``g * v / ||v||``
    from the parameters ``<name>_g`` and ``<name>_v``.

    >>> import warnings, tensorish
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = tensorish.nn.utils.weight_norm(tensorish.nn.Linear(3, 2))
    >>> list(m.state_dict())
    ['bias', 'weight_g', 'weight_v']
    """
    warnings.warn(
        "`tensorish.nn.utils.weight_norm` is deprecated in favor of "
        "`tensorish.nn.utils.parametrizations.weight_norm`.",
        FutureWarning,
        stacklevel=2,
    )
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, WeightNorm) and hook.name == name:
            raise RuntimeError(
                f"Cannot register two weight_norm hooks on the same parameter {name}"
            )
    fn = WeightNorm(name, dim)
    weight = getattr(module, name)
    if isinstance(weight, UninitializedParameter):
        raise ValueError(
            "The module passed to `WeightNorm` can't have uninitialized parameters. Make sure "
            "to run the dummy forward before applying weight normalization"
        )
    del module._parameters[name]
    with no_grad():
        module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight, 2, fn.dim)))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, fn.compute_weight(module))
    module.register_forward_pre_hook(fn)
    return module


def _remove_hook(module: Module, kind: type, name: str, what: str) -> None:
    for k, hook in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return
    raise ValueError(f"{what} of '{name}' not found in {module}")


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``weight_norm``: ``<name>`` becomes a parameter holding the current weight.

    >>> import warnings, tensorish
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = tensorish.nn.utils.weight_norm(tensorish.nn.Linear(2, 2))
    >>> list(tensorish.nn.utils.remove_weight_norm(m).state_dict())
    ['bias', 'weight']
    """
    _remove_hook(module, WeightNorm, name, "weight_norm")
    return module


class SpectralNorm:
    """The forward pre-hook of ``spectral_norm``.

    >>> import tensorish
    >>> m = tensorish.nn.utils.spectral_norm(tensorish.nn.Linear(2, 2))
    >>> [type(h).__name__ for h in m._forward_pre_hooks.values()]
    ['SpectralNorm']
    """

    def __init__(
        self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but "
                f"got n_power_iterations={n_power_iterations}"
            )
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(F.normalize(weight_mat.t().mv(u), dim=0, eps=self.eps))
                    u.copy_(F.normalize(weight_mat.mv(v), dim=0, eps=self.eps))
                u, v = u.clone(), v.clone()
        return weight / dot(u, weight_mat.mv(v))

    def remove(self, module: Module) -> None:
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        for suffix in ("", "_u", "_v", "_orig"):
            delattr(module, self.name + suffix)
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """``module.<name>`` divided by its largest singular value, recomputed before each forward
    (a power-iteration step in training) from ``<name>_orig`` and the ``<name>_u``,
    ``<name>_v`` buffers.

    >>> import tensorish
    >>> list(tensorish.nn.utils.spectral_norm(tensorish.nn.Linear(3, 2)).state_dict())
    ['bias', 'weight_orig', 'weight_u', 'weight_v']
    """
    if dim is None:
        dim = 1 if _transposed_conv(module) else 0
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            raise RuntimeError(
                f"Cannot register two spectral_norm hooks on the same parameter {name}"
            )
    fn = SpectralNorm(name, n_power_iterations, dim, eps)
    weight = module._parameters[name]
    if weight is None:
        raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
    if isinstance(weight, UninitializedParameter):
        raise ValueError(
            "The module passed to `SpectralNorm` can't have uninitialized parameters. Make "
            "sure to run the dummy forward before applying spectral normalization"
        )
    with no_grad():
        h, w = fn.reshape_weight_to_matrix(weight).shape
        kw = {"dtype": weight.dtype, "device": weight.device}
        u = F.normalize(randn(h, **kw), dim=0, eps=fn.eps)
        v = F.normalize(randn(w, **kw), dim=0, eps=fn.eps)
    delattr(module, fn.name)
    module.register_parameter(fn.name + "_orig", weight)
    setattr(module, fn.name, weight.detach())
    module.register_buffer(fn.name + "_u", u)
    module.register_buffer(fn.name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo ``spectral_norm``: ``<name>`` becomes a parameter holding the current weight.

    >>> import tensorish
    >>> m = tensorish.nn.utils.spectral_norm(tensorish.nn.Linear(2, 2))
    >>> list(tensorish.nn.utils.remove_spectral_norm(m).state_dict())
    ['bias', 'weight']
    """
    _remove_hook(module, SpectralNorm, name, "spectral_norm")
    return module
