"""``torch.func`` on JAX's transforms: grad, grad_and_value, vjp, jvp, linearize, vmap, jacrev,
jacfwd, hessian, functional_call.

Each transform unwraps its Tensor arguments to jax arrays, applies the JAX transform to a
function that wraps the (traced) arrays back into Tensors before calling ``func``, and wraps the
results. So they nest (``grad(grad(f))``, ``vmap(grad(f))``, ``jacrev(jacfwd(f))``) and can run
under ``jax.jit``. Tensors built around tracers never record an autograd graph.

JAX's pytrees sort a dict's keys; PyTorch keeps the caller's order (and code pairs gradients
with parameters by position). So each transform notes the structure of its inputs and of
``func``'s output (``_skeleton``) and puts every dict of its results back in that order
(``_in_order``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax

from ._mode import mode
from ._tensor import Tensor

__all__ = [
    "grad",
    "grad_and_value",
    "vjp",
    "jvp",
    "linearize",
    "vmap",
    "jacrev",
    "jacfwd",
    "hessian",
    "functional_call",
]


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)


def _arrays(tree: Any) -> Any:
    """Every Tensor in ``tree`` replaced by its jax array."""
    return jax.tree_util.tree_map(
        lambda x: x._value if isinstance(x, Tensor) else x, tree, is_leaf=_is_tensor
    )


def _tensors(tree: Any) -> Any:
    """Every jax array (or tracer) in ``tree`` wrapped as a Tensor."""
    return jax.tree_util.tree_map(
        lambda x: Tensor._wrap(x) if isinstance(x, jax.Array) else x, tree
    )


def _skeleton(tree: Any) -> Any:
    """The containers of ``tree`` in their own order, with None for every leaf."""
    if isinstance(tree, dict):
        return {k: _skeleton(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_skeleton(v) for v in tree]
    return None


def _in_order(tree: Any, skeleton: Any, leaf: Callable = lambda x: x) -> Any:
    """``tree`` (a JAX transform's result) with each dict's keys in ``skeleton``'s order;
    ``leaf`` reorders what stands at each of the skeleton's leaves (a Jacobian's input side)."""
    if skeleton is None:
        return leaf(tree)
    if isinstance(tree, dict) and isinstance(skeleton, dict) and tree.keys() == skeleton.keys():
        out = tree.copy()
        out.clear()
        for k, sub in skeleton.items():
            out[k] = _in_order(tree[k], sub, leaf)
        return out
    if (
        isinstance(tree, (list, tuple))
        and isinstance(skeleton, list)
        and len(tree) == len(skeleton)
    ):
        items = [_in_order(v, sub, leaf) for v, sub in zip(tree, skeleton)]
        if isinstance(tree, list):
            return items
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    return tree


class _Traced:
    """``func`` as a function of jax arrays, called with dicts in the order of ``args`` (the
    caller's arguments); after a call, ``out`` and ``aux`` hold the skeletons of what ``func``
    returned. ``scalar`` names the API that needs one output."""

    def __init__(
        self,
        func: Callable,
        args: tuple = (),
        has_aux: bool = False,
        scalar: str | None = None,
        kwargs: dict | None = None,
    ) -> None:
        self.func, self.has_aux, self.scalar, self.kwargs = func, has_aux, scalar, kwargs or {}
        self.args = _skeleton(args)
        self.out = self.aux = None

    def __call__(self, *xs: Any) -> Any:
        mode.inline += 1
        try:
            out = self.func(*_in_order(_tensors(xs), self.args), **self.kwargs)
        finally:
            mode.inline -= 1
        if self.has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise RuntimeError(
                    f"{self.scalar or 'vjp'}(f, ...): output of function f should be a tuple: "
                    "(output, aux) if has_aux is True"
                )
            out, aux = out
            self.aux = _skeleton(aux)
        self.out = _skeleton(out)
        if self.scalar is not None:
            if not isinstance(out, Tensor):
                raise RuntimeError(
                    f"{self.scalar}(f)(*args): Expected f(*args) to return a Tensor, got "
                    f"{type(out)}"
                )
            if out.ndim != 0:
                raise RuntimeError(
                    f"{self.scalar}(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                    f"tensor with {out.ndim} dims. Maybe you wanted to use the vjp or jacrev "
                    "APIs instead?"
                )
        return (_arrays(out), _arrays(aux)) if self.has_aux else _arrays(out)

    def results(self, out: Any, aux: Any = None) -> Any:
        """``out`` (and ``aux``) as Tensors, their dicts in the caller's order."""
        out = _in_order(_tensors(out), self.out)
        return (out, _in_order(_tensors(aux), self.aux)) if self.has_aux else out


def _selected(args: tuple, argnums: int | tuple[int, ...]) -> Any:
    """The skeleton of the arguments ``argnums`` picks (one, or a tuple of them)."""
    if isinstance(argnums, int):
        return _skeleton(args[argnums])
    return [_skeleton(args[i]) for i in argnums]


def grad(func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False) -> Callable:
    """The function computing the gradient of scalar ``func`` with respect to ``argnums``.

    >>> import tensorish
    >>> tensorish.func.grad(lambda x: (x ** 2).sum())(tensorish.tensor([1., 2.]))
    tensor([2., 4.])
    """
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def grad_and_value(
    func: Callable, argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable:
    """Like ``grad``, returning ``(gradient, value)`` (``(gradient, (value, aux))``).

    >>> import tensorish
    >>> tensorish.func.grad_and_value(lambda x: (x ** 2).sum())(tensorish.tensor([1., 2.]))
    (tensor([2., 4.]), tensor(5.))
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        f = _Traced(func, args, has_aux, "grad_and_value", kwargs)
        value, g = jax.value_and_grad(f, argnums, has_aux=has_aux)(*_arrays(args))
        g = _in_order(_tensors(g), _selected(args, argnums))
        return g, (f.results(*value) if has_aux else f.results(value))

    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn[, aux])``; ``vjp_fn(cotangents)`` returns one gradient per
    primal, as a tuple.

    >>> import tensorish
    >>> out, vjp_fn = tensorish.func.vjp(lambda x: x * 2, tensorish.ones(2))
    >>> vjp_fn(tensorish.ones(2))
    (tensor([2., 2.]),)
    """
    f = _Traced(func, primals, has_aux)
    res = jax.vjp(f, *_arrays(primals), has_aux=has_aux)
    pull = res[1]

    def vjp_fn(*cotangents: Any) -> tuple:
        ct = cotangents[0] if len(cotangents) == 1 else cotangents
        return _in_order(_tensors(tuple(pull(_arrays(ct)))), _skeleton(primals))

    if has_aux:
        out, aux = f.results(res[0], res[2])
        return out, vjp_fn, aux
    return f.results(res[0]), vjp_fn


def jvp(
    func: Callable, primals: Any, tangents: Any, *, strict: bool = False, has_aux: bool = False
) -> tuple:
    """``(func(*primals), J @ tangents[, aux])``.

    >>> import tensorish
    >>> tensorish.func.jvp(lambda x: x ** 2, (tensorish.tensor([1., 2.]),), (tensorish.ones(2),))
    (tensor([1., 4.]), tensor([2., 4.]))
    """
    if not isinstance(primals, tuple):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be "
            "valid to call f(*primals)."
        )
    f = _Traced(func, primals, has_aux)
    res = jax.jvp(f, _arrays(primals), _arrays(tuple(tangents)), has_aux=has_aux)
    outs = tuple(_in_order(_tensors(r), f.out) for r in res[:2])
    return outs + (_in_order(_tensors(res[2]), f.aux),) if has_aux else outs


def linearize(func: Callable, *primals: Any) -> tuple:
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` reuses the linearization.

    >>> import tensorish
    >>> out, jvp_fn = tensorish.func.linearize(lambda x: x ** 2, tensorish.tensor([1., 2.]))
    >>> jvp_fn(tensorish.ones(2))
    tensor([2., 4.])
    """
    f = _Traced(func, primals)
    out, lin = jax.linearize(f, *_arrays(primals))
    return f.results(out), lambda *tangents: f.results(lin(*_arrays(tangents)))


def vmap(
    func: Callable,
    in_dims: Any = 0,
    out_dims: Any = 0,
    randomness: str = "error",
    *,
    chunk_size: int | None = None,
) -> Callable:
    """``func`` mapped over the ``in_dims`` dimension of its arguments (None: not mapped).

    >>> import tensorish
    >>> tensorish.func.vmap(lambda r: r.sum())(tensorish.ones(3, 2))
    tensor([2., 2., 2.])
    """
    in_axes = tuple(in_dims) if isinstance(in_dims, list) else in_dims
    out_axes = tuple(out_dims) if isinstance(out_dims, list) else out_dims

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        f = _Traced(func, args, kwargs=kwargs)
        try:
            out = jax.vmap(f, in_axes=in_axes, out_axes=out_axes)(*_arrays(args))
        except ValueError as e:
            if "inconsistent sizes" not in str(e):
                raise
            raise ValueError(_size_error(args, in_axes)) from None
        return f.results(out)

    return wrapper


def _size_error(args: tuple, in_axes: Any) -> str:
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
    sizes = [a.shape[d] for a, d in zip(args, axes) if isinstance(a, Tensor) and d is not None]
    return (
        "vmap: Expected all tensors to have the same size in the mapped dimension, got "
        f"sizes {sizes} for the mapped dimension"
    )


def jacrev(
    func: Callable,
    argnums: int | tuple[int, ...] = 0,
    *,
    has_aux: bool = False,
    chunk_size: int | None = None,
    _preallocate_and_copy: bool = False,
) -> Callable:
    """The Jacobian of ``func`` by reverse mode: shape ``output.shape + input.shape``.

    >>> import tensorish
    >>> tensorish.func.jacrev(lambda x: x ** 2)(tensorish.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    return _jac(jax.jacrev, func, argnums, has_aux)


def jacfwd(
    func: Callable,
    argnums: int | tuple[int, ...] = 0,
    has_aux: bool = False,
    *,
    randomness: str = "error",
) -> Callable:
    """The Jacobian of ``func`` by forward mode (same result as ``jacrev``).

    >>> import tensorish
    >>> tensorish.func.jacfwd(lambda x: x ** 2)(tensorish.tensor([1., 2.]))
    tensor([[2., 0.],
            [0., 4.]])
    """
    return _jac(jax.jacfwd, func, argnums, has_aux)


def _jac(transform: Callable, func: Callable, argnums, has_aux: bool) -> Callable:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        f = _Traced(func, args, has_aux, kwargs=kwargs)
        res = transform(f, argnums, has_aux=has_aux)(*_arrays(args))
        inputs = _selected(args, argnums)
        jac = _in_order(_tensors(res[0] if has_aux else res), f.out, _reorder(inputs))
        return (jac, _in_order(_tensors(res[1]), f.aux)) if has_aux else jac

    return wrapper


def _reorder(skeleton: Any) -> Callable:
    return lambda tree: _in_order(tree, skeleton)


def hessian(func: Callable, argnums: int | tuple[int, ...] = 0) -> Callable:
    """The Hessian of scalar ``func``: ``jacfwd(jacrev(func))``.

    >>> import tensorish
    >>> tensorish.func.hessian(lambda x: (x ** 3).sum())(tensorish.tensor([1., 2.]))
    tensor([[ 6.,  0.],
            [ 0., 12.]])
    """
    return jacfwd(jacrev(func, argnums), argnums)


def functional_call(
    module: Any,
    parameter_and_buffer_dicts: dict | Sequence[dict],
    args: Any = None,
    kwargs: dict | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """Call ``module`` with the given tensors standing in for its parameters and buffers
    (names as ``named_parameters()`` gives them), restoring the originals afterwards.

    Any object with ``named_parameters()``/``named_buffers()`` and attribute paths works.
    """
    if isinstance(parameter_and_buffer_dicts, dict):
        values = dict(parameter_and_buffer_dicts)
    else:
        values = {}
        for d in parameter_and_buffer_dicts:
            dup = set(values) & set(d)
            if dup:
                raise ValueError(
                    f"{sorted(dup)} appeared in multiple dictionaries; behavior "
                    "of functional call is ambiguous"
                )
            values.update(d)
    if strict:
        _check_strict(module, values)
    old = {}
    try:
        for name, value in values.items():
            old[name] = _swap(module, name, value)
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for name, value in old.items():
            _swap(module, name, value)


def _names(module: Any) -> list[str]:
    names = []
    for attr in ("named_parameters", "named_buffers"):
        if hasattr(module, attr):
            names += [n for n, _ in getattr(module, attr)()]
    return names


def _check_strict(module: Any, values: dict) -> None:
    names = _names(module)
    missing = [n for n in names if n not in values]
    unexpected = [n for n in values if n not in names]
    lines = []
    if unexpected:
        lines.append("Unexpected key(s): " + ", ".join(f"'{n}'" for n in unexpected) + ".")
    if missing:
        lines.append("Missing key(s): " + ", ".join(f"'{n}'" for n in missing) + ".")
    if lines:
        raise RuntimeError(
            f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(lines)
        )


def _swap(module: Any, path: str, value: Any) -> Any:
    """Put ``value`` at the dotted attribute ``path``; return what was there."""
    *parents, leaf = path.split(".")
    owner = module
    for p in parents:
        owner = getattr(owner, p)
    for table in ("_parameters", "_buffers"):
        d = getattr(owner, table, None)
        if isinstance(d, dict) and leaf in d:
            old, d[leaf] = d[leaf], value
            return old
    old = getattr(owner, leaf)
    setattr(owner, leaf, value)
    return old
