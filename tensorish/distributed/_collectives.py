"""Collectives on tensors with PyTorch's signatures, as XLA programs across processes.

Each collective is one small SPMD program (``jax.shard_map`` over the group's mesh of one device
per rank, ``_mesh.rank_mesh``), compiled once per shape and cached: this process's tensor becomes
its rank's block of a global array (no copy), the program runs JAX's collective (``psum``,
``all_gather``, ``psum_scatter``, ``all_to_all``), and this process's block of the result is
written into the output tensor, in place, as PyTorch does. Inside ``tensorish.compile`` on the
default group the same block functions run on the traced values, so the collective becomes part
of the step's one program (see ``_spmd``).

``async_op=True`` returns a ``Work`` at once: JAX dispatches asynchronously, so the program runs
while Python goes on; ``wait()`` blocks until its results are ready. Objects
(``broadcast_object_list``, ``all_gather_object``) are pickled through JAX's distributed
key-value store.
"""

from __future__ import annotations

import enum
import functools
import pickle
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax.sharding import PartitionSpec

from .._tensor import Tensor
from ._process import DistBackendError, ProcessGroup, kv_client, resolve
from ._ranks import RANKS, lift, rank_mesh


class RedOpType(enum.Enum):
    SUM = 0
    AVG = 1
    PRODUCT = 2
    MIN = 3
    MAX = 4
    BAND = 5
    BOR = 6
    BXOR = 7
    PREMUL_SUM = 8
    UNUSED = 9


class ReduceOp:
    """How a reduction combines the ranks' values.

    >>> ReduceOp.SUM
    <RedOpType.SUM: 0>
    """

    RedOpType = RedOpType
    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM
    UNUSED = RedOpType.UNUSED


class Work:
    """A collective started with ``async_op=True``; ``wait()`` blocks until it is done.

    >>> import tensorish, tensorish.distributed as dist
    >>> dist.init_process_group("gloo", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
    >>> t = tensorish.ones(2)
    >>> work = dist.all_reduce(t, async_op=True)
    >>> work.wait(), work.is_completed(), t
    (True, True, tensor([1., 1.]))
    >>> dist.destroy_process_group()
    """

    def __init__(self, arrays: Sequence[jax.Array], tensors: Sequence[Tensor]) -> None:
        self._arrays = [a for a in arrays if not isinstance(a, jax.core.Tracer)]
        self._tensors = list(tensors)
        self._error: Exception | None = None

    def wait(self, timeout: Any = None) -> bool:
        """Block until the collective's results are ready; raise if it failed."""
        try:
            for a in self._arrays:
                a.block_until_ready()
        except jax.errors.JaxRuntimeError as e:
            self._error = DistBackendError(f"a collective failed (did a rank die?): {e}")
            raise self._error from None
        return True

    def is_completed(self) -> bool:
        return all(a.is_ready() for a in self._arrays)

    def is_success(self) -> bool:
        return self.is_completed() and self._error is None

    def exception(self) -> Exception | None:
        return self._error

    def result(self) -> list[Tensor]:
        return self._tensors

    def synchronize(self) -> None:
        self.wait()


def _finish(outs: Sequence[jax.Array], tensors: Sequence[Tensor], async_op: bool) -> Work | None:
    work = Work(outs, tensors)
    if async_op:
        return work
    work.wait()
    return None


# -- the programs ------------------------------------------------------------------------------


def _is_traced(arrays: Sequence[Any]) -> bool:
    return any(isinstance(a, jax.core.Tracer) for a in arrays)


@functools.lru_cache(maxsize=512)
def _program(mesh: Any, body: Callable, params: tuple, shapes: tuple) -> tuple:
    """``body`` run on every rank's blocks, jitted; and the shapes of its outputs."""
    n = mesh.devices.size
    out_shapes: list = []

    def block(*xs):
        xs = [x.reshape(s) for x, s in zip(xs, shapes)]
        outs = body(*xs, n=n, **dict(params))
        out_shapes[:] = [o.shape for o in outs]
        return tuple(o.reshape(1) if o.ndim == 0 else o for o in outs)

    spec = PartitionSpec(RANKS)
    program = jax.shard_map(
        block, mesh=mesh, in_specs=(spec,) * len(shapes), out_specs=spec, check_vma=False
    )
    return jax.jit(program), out_shapes


def on_ranks(pg: ProcessGroup, body: Callable, arrays: Sequence[jax.Array], **params: Any) -> list:
    """This rank's results of ``body`` over the group's ranks (``body(*blocks, n=, **params)``
    uses JAX collectives over the ``RANKS`` axis)."""
    if _is_traced(arrays):
        return _traced(pg, body, arrays, params)
    platform = next(iter(arrays[0].devices())).platform
    mesh = rank_mesh(pg._ranks, platform)
    shapes = tuple(a.shape for a in arrays)
    program, out_shapes = _program(mesh, body, tuple(sorted(params.items())), shapes)
    try:
        outs = program(*[lift(a, mesh) for a in arrays])
    except jax.errors.JaxRuntimeError as e:
        raise DistBackendError(f"a collective failed (did a rank die?): {e}") from None
    return [o.addressable_data(0).reshape(s) for o, s in zip(outs, out_shapes)]


def _traced(pg: ProcessGroup, body: Callable, arrays: Sequence[Any], params: dict) -> list:
    """``body`` on traced values: inside tensorish.compile the ranks' axis is bound (``_spmd``);
    a group of one binds it here, with a one-element vmap."""
    if pg.size() == 1:
        outs = jax.vmap(lambda *xs: body(*xs, n=1, **params), axis_name=RANKS)(
            *[a[None] for a in arrays]
        )
        return [o[0] for o in outs]
    if pg._ranks != tuple(range(jax.process_count())):
        raise NotImplementedError("inside tensorish.compile, collectives run on the default group")
    try:
        return list(body(*arrays, n=pg.size(), **params))
    except NameError as e:
        raise RuntimeError(
            "a collective on traced values runs only inside tensorish.compile (which binds the "
            "ranks' mesh axis)"
        ) from e


def _reduce(x: jax.Array, op: RedOpType, n: int) -> jax.Array:
    """``x`` reduced over the ranks with ``op`` (every rank gets the result)."""
    if x.dtype == jnp.bool_:
        as_int = _reduce(x.astype(jnp.int32), op, n)
        return as_int != 0
    if op is RedOpType.SUM:
        return jax.lax.psum(x, RANKS)
    if op is RedOpType.AVG:
        return (jax.lax.psum(x, RANKS) / n).astype(x.dtype)
    if op is RedOpType.MIN:
        return jax.lax.pmin(x, RANKS)
    if op is RedOpType.MAX:
        return jax.lax.pmax(x, RANKS)
    every = jax.lax.all_gather(x, RANKS)
    if op is RedOpType.PRODUCT:
        return jnp.prod(every, axis=0, dtype=x.dtype)
    combine = {
        RedOpType.BAND: jnp.bitwise_and,
        RedOpType.BOR: jnp.bitwise_or,
        RedOpType.BXOR: jnp.bitwise_xor,
    }[op]
    return functools.reduce(combine, [every[i] for i in range(n)])


def all_reduce_body(*xs, n, op):
    return tuple(_reduce(x, op, n) for x in xs)


def _gather_body(x, *, n):
    every = jax.lax.all_gather(x, RANKS)
    return tuple(every[i] for i in range(n))


def broadcast_body(*xs, n, root):
    return tuple(jax.lax.all_gather(x, RANKS)[root] for x in xs)


def _gather_into_body(x, *, n, shape):
    return (jax.lax.all_gather(x, RANKS).reshape(shape),)


def _reduce_scatter_body(x, *, n, op, shape):
    x = x.reshape((n * shape[0], *shape[1:])) if shape else x.reshape(n)
    if op in (RedOpType.SUM, RedOpType.AVG) and x.dtype != jnp.bool_:
        out = jax.lax.psum_scatter(x, RANKS, scatter_dimension=0, tiled=True)
        out = (out / n).astype(x.dtype) if op is RedOpType.AVG else out
    else:
        full = _reduce(x, op, n)
        size = x.shape[0] // n
        out = jax.lax.dynamic_slice_in_dim(full, jax.lax.axis_index(RANKS) * size, size)
    return (out.reshape(shape),)


def _scatter_body(*xs, n, root):
    received = jax.lax.all_to_all(jnp.stack(xs), RANKS, 0, 0, tiled=True)
    return (received[root],)


def _all_to_all_body(x, *, n, send, receive, width):
    """``send[i]`` rows go to rank i; ``receive[i]`` rows come from rank i (padded to width)."""
    starts = [sum(send[:i]) for i in range(n)]
    chunks = [
        jnp.pad(jax.lax.slice_in_dim(x, s, s + k), [(0, width - k)] + [(0, 0)] * (x.ndim - 1))
        for s, k in zip(starts, send)
    ]
    got = jax.lax.all_to_all(jnp.stack(chunks), RANKS, 0, 0, tiled=True)
    return (jnp.concatenate([got[i, :k] for i, k in enumerate(receive)]),)


def broadcast_tensors(pg: ProcessGroup, tensors: Sequence[Tensor], root: int = 0) -> None:
    """Group rank ``root``'s values of ``tensors`` into every rank's (one program)."""
    if not tensors or pg.size() == 1:
        return
    for t, v in zip(tensors, on_ranks(pg, broadcast_body, [t._value for t in tensors], root=root)):
        t._set_value(v)


# -- the public functions ----------------------------------------------------------------------


def _check_tensor(t: Any, name: str = "tensor") -> None:
    if not isinstance(t, Tensor):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{name}` of type tensorish.Tensor\n"
            f"             but got {type(t)} instead."
        )


def _check_op(op: RedOpType, t: Tensor) -> None:
    if not isinstance(op, RedOpType):
        raise TypeError(f"all_reduce: op must be a ReduceOp, got {op!r}")
    if op in (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR) and (
        t.dtype.is_floating_point or t.dtype.is_complex
    ):
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    if op is RedOpType.AVG and not (t.dtype.is_floating_point or t.dtype.is_complex):
        raise RuntimeError(
            f"result type Float can't be cast to the desired output type {t.dtype.title}"
        )
    if op in (RedOpType.PREMUL_SUM, RedOpType.UNUSED):
        raise NotImplementedError(f"ReduceOp.{op.name} is not supported")


def _write(t: Tensor, value: jax.Array) -> None:
    """An in-place write of a collective's result (outside autograd, as PyTorch's)."""
    t._set_value(value)


def _root(pg: ProcessGroup, rank: int, what: str) -> int:
    if rank not in pg._ranks:
        raise RuntimeError(f"ProcessGroupGloo::{what}: invalid root rank: {rank}")
    return pg._ranks.index(rank)


def _size(shape: Sequence[int]) -> str:
    return f"({', '.join(map(str, shape))})"


def all_reduce(
    tensor: Tensor,
    op: RedOpType = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Reduce ``tensor`` over the group's ranks with ``op``; every rank's ``tensor`` is
    overwritten with the result.

    >>> import tensorish, tensorish.distributed as dist
    >>> dist.init_process_group("gloo", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
    >>> t = tensorish.arange(3.0)
    >>> dist.all_reduce(t, op=dist.ReduceOp.MAX)
    >>> t
    tensor([0., 1., 2.])
    >>> dist.destroy_process_group()
    """
    _check_tensor(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    _check_op(op, tensor)
    (out,) = on_ranks(pg, all_reduce_body, [tensor._value], op=op)
    _write(tensor, out)
    return _finish([out], [tensor], async_op)


def broadcast(
    tensor: Tensor,
    src: int | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_src: int | None = None,
) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor``."""
    _check_tensor(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    root = group_src if group_src is not None else _root(pg, src, "broadcast")
    (out,) = on_ranks(pg, broadcast_body, [tensor._value], root=root)
    _write(tensor, out)
    return _finish([out], [tensor], async_op)


def all_gather(
    tensor_list: list[Tensor],
    tensor: Tensor,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Every rank's ``tensor``, in rank order, written into ``tensor_list``."""
    _check_tensor(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    if len(tensor_list) != pg.size():
        raise RuntimeError(
            "ProcessGroupGloo::allgather: invalid output tensor list at index 0 (expected "
            f"length {pg.size()}, got {len(tensor_list)})"
        )
    for i, t in enumerate(tensor_list):
        if tuple(t.shape) != tuple(tensor.shape):
            raise RuntimeError(
                f"ProcessGroupGloo::allgather: invalid tensor size at index {i} (expected "
                f"{_size(tensor.shape)}, got {_size(t.shape)})"
            )
    outs = on_ranks(pg, _gather_body, [tensor._value])
    for t, v in zip(tensor_list, outs):
        _write(t, v.astype(t._value.dtype))
    return _finish(outs, tensor_list, async_op)


def all_gather_into_tensor(
    output_tensor: Tensor,
    input_tensor: Tensor,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Deprecated as in PyTorch 2.13: ``all_gather_single``."""
    warnings.warn(
        "`tensorish.distributed.all_gather_into_tensor` is deprecated. Please use "
        "`tensorish.distributed.all_gather_single` instead.",
        FutureWarning,
        stacklevel=2,
    )
    return all_gather_single(output_tensor, input_tensor, group, async_op)


def all_gather_single(
    output_tensor: Tensor,
    input_tensor: Tensor,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Every rank's ``input_tensor`` concatenated (or, as NCCL allows, stacked) along dimension 0
    into ``output_tensor``."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    pg = resolve(group)
    if pg is None:
        return None
    n, shape = pg.size(), tuple(input_tensor.shape)
    stacked = (n, *shape)
    concat = (n * shape[0], *shape[1:]) if shape else (n,)
    if tuple(output_tensor.shape) not in (stacked, concat):
        raise RuntimeError(
            f"ProcessGroupGloo::allgather: invalid tensor size at index 0 (expected "
            f"{_size(concat)}, got {_size(output_tensor.shape)})"
        )
    (out,) = on_ranks(
        pg, _gather_into_body, [input_tensor._value], shape=tuple(output_tensor.shape)
    )
    _write(output_tensor, out.astype(output_tensor._value.dtype))
    return _finish([out], [output_tensor], async_op)


def reduce_scatter_single(
    output: Tensor,
    input: Tensor,
    op: RedOpType = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Reduce ``input`` over the ranks with ``op`` and give rank i the i-th block of
    dimension 0 of the result, in ``output``."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = resolve(group)
    if pg is None:
        return None
    _check_op(op, input)
    n, shape = pg.size(), tuple(output.shape)
    if tuple(input.shape) not in ((n, *shape), (n * shape[0], *shape[1:]) if shape else (n,)):
        raise RuntimeError(
            "ProcessGroupGloo::reduce_scatter_tensor: Check failed: outputShape[0] * worldSize "
            f"== inputShape[0] ({shape[0] * n if shape else n} vs. "
            f"{input.shape[0] if input.ndim else 1})."
        )
    (out,) = on_ranks(pg, _reduce_scatter_body, [input._value], op=op, shape=shape)
    _write(output, out.astype(output._value.dtype))
    return _finish([out], [output], async_op)


def reduce_scatter_tensor(
    output: Tensor,
    input: Tensor,
    op: RedOpType = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Deprecated as in PyTorch 2.13: ``reduce_scatter_single``."""
    warnings.warn(
        "`tensorish.distributed.reduce_scatter_tensor` is deprecated. Please use "
        "`tensorish.distributed.reduce_scatter_single` instead.",
        FutureWarning,
        stacklevel=2,
    )
    return reduce_scatter_single(output, input, op, group, async_op)


def reduce(
    tensor: Tensor,
    dst: int | None = None,
    op: RedOpType = ReduceOp.SUM,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_dst: int | None = None,
) -> Work | None:
    """Reduce ``tensor`` over the ranks into rank ``dst``'s ``tensor`` (the others' are left
    as they were)."""
    _check_tensor(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    _check_op(op, tensor)
    root = group_dst if group_dst is not None else _root(pg, dst, "reduce")
    (out,) = on_ranks(pg, all_reduce_body, [tensor._value], op=op)
    if pg.rank() == root:
        _write(tensor, out)
    return _finish([out], [tensor], async_op)


def gather(
    tensor: Tensor,
    gather_list: list[Tensor] | None = None,
    dst: int | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_dst: int | None = None,
) -> Work | None:
    """Every rank's ``tensor``, in rank order, into rank ``dst``'s ``gather_list``."""
    _check_tensor(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    root = group_dst if group_dst is not None else _root(pg, 0 if dst is None else dst, "gather")
    if pg.rank() == root and gather_list is None:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    if pg.rank() != root and gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    if gather_list is not None and len(gather_list) != pg.size():
        raise RuntimeError(
            f"ProcessGroupGloo::gather: Incorrect output list size {len(gather_list)}. Output "
            f"list size should be {pg.size()}, same as size of the process group."
        )
    outs = on_ranks(pg, _gather_body, [tensor._value])
    if pg.rank() == root:
        for t, v in zip(gather_list, outs):
            _write(t, v.astype(t._value.dtype))
    return _finish(outs, gather_list or [], async_op)


def scatter(
    tensor: Tensor,
    scatter_list: list[Tensor] | None = None,
    src: int | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
    group_src: int | None = None,
) -> Work | None:
    """Rank ``src``'s ``scatter_list[i]`` into rank i's ``tensor``."""
    _check_tensor(tensor)
    pg = resolve(group)
    if pg is None:
        return None
    root = group_src if group_src is not None else _root(pg, 0 if src is None else src, "scatter")
    if pg.rank() == root and scatter_list is None:
        raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
    if pg.rank() != root and scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    if pg.rank() == root:
        if len(scatter_list) != pg.size():
            raise ValueError(
                f"ProcessGroupGloo::scatter: Incorrect input list size {len(scatter_list)}. "
                f"Input list size should be {pg.size()}, same as size of the process group."
            )
        for t in scatter_list:
            if tuple(t.shape) != tuple(tensor.shape):
                raise ValueError(
                    f"ProcessGroupGloo::scatter: invalid tensor size (expected "
                    f"{_size(tensor.shape)}, got {_size(t.shape)})"
                )
        sent = [t._value.astype(tensor._value.dtype) for t in scatter_list]
    else:  # placeholders of the right shape: only the root's blocks are kept
        sent = [tensor._value] * pg.size()
    (out,) = on_ranks(pg, _scatter_body, sent, root=root)
    _write(tensor, out)
    return _finish([out], [tensor], async_op)


def all_to_all_single(
    output: Tensor,
    input: Tensor,
    output_split_sizes: list[int] | None = None,
    input_split_sizes: list[int] | None = None,
    group: ProcessGroup | None = None,
    async_op: bool = False,
) -> Work | None:
    """Split ``input`` along dimension 0 (evenly, or by ``input_split_sizes``), send the i-th
    piece to rank i, and concatenate what arrives, in rank order, into ``output``."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    pg = resolve(group)
    if pg is None:
        return None
    n = pg.size()
    send = _splits(input_split_sizes, input.shape[0] if input.ndim else 0, n)
    receive = _splits(output_split_sizes, output.shape[0] if output.ndim else 0, n)
    width = max(send + receive)
    if n > 1 and (input_split_sizes or output_split_sizes):
        agreed = Tensor._wrap(jnp.asarray(width, jnp.int64))
        all_reduce(agreed, ReduceOp.MAX, group)
        width = int(agreed._value)
    (out,) = on_ranks(
        pg,
        _all_to_all_body,
        [input._value],
        send=tuple(send),
        receive=tuple(receive),
        width=width,
    )
    _write(output, out.astype(output._value.dtype).reshape(output.shape))
    return _finish([out], [output], async_op)


def _splits(sizes: list[int] | None, total: int, n: int) -> list[int]:
    if not sizes:
        if total % n:
            raise RuntimeError("Tensor's dim 0 does not divide equally across group size")
        return [total // n] * n
    if sum(sizes) != total:
        raise RuntimeError("Split sizes doesn't match total dim 0 size")
    return list(sizes)


def barrier(
    group: ProcessGroup | None = None, async_op: bool = False, device_ids: Any = None
) -> Work | None:
    """Wait until every rank of the group has reached this call."""
    pg = resolve(group)
    if pg is None or pg.size() == 1:
        return Work([], []) if async_op else None
    members = None if pg.size() == jax.process_count() else list(pg._ranks)
    try:
        kv_client().wait_at_barrier(pg._key("barrier"), pg._timeout_ms(), members)
    except jax.errors.JaxRuntimeError as e:
        raise DistBackendError(f"barrier failed: {e}") from None
    return Work([], []) if async_op else None


def _publish(pg: ProcessGroup, what: str, payload: bytes | None) -> str:
    """Publish this rank's ``payload`` (if any) under a fresh key; return the key's directory."""
    key = pg._key(what)
    if payload is not None:
        kv_client().key_value_set_bytes(f"{key}/{pg.rank()}", payload)
    return key


def _read(pg: ProcessGroup, key: str, rank: int) -> bytes:
    try:
        return kv_client().blocking_key_value_get_bytes(f"{key}/{rank}", pg._timeout_ms())
    except jax.errors.JaxRuntimeError as e:
        raise DistBackendError(f"rank {pg._ranks[rank]} did not send its object: {e}") from None


def _done_reading(pg: ProcessGroup, key: str, readers: int) -> None:
    """The last of ``readers`` to finish deletes the exchange's keys."""
    if kv_client().key_value_increment(f"{key}/read", 1) == readers:
        kv_client().key_value_delete(f"{key}/")  # the whole directory, the counter too


def broadcast_object_list(
    object_list: list[Any],
    src: int | None = None,
    group: ProcessGroup | None = None,
    device: Any = None,
    group_src: int | None = None,
) -> None:
    """Replace every rank's ``object_list`` items with rank ``src``'s (pickled)."""
    pg = resolve(group)
    if pg is None or pg.size() == 1:
        return
    root = group_src if group_src is not None else _root(pg, 0 if src is None else src, "broadcast")
    mine = pg.rank() == root
    key = _publish(pg, "objects", pickle.dumps(list(object_list)) if mine else None)
    if not mine:
        object_list[:] = pickle.loads(_read(pg, key, root))
        _done_reading(pg, key, pg.size() - 1)


def all_gather_object(object_list: list[Any], obj: Any, group: ProcessGroup | None = None) -> None:
    """Every rank's ``obj`` (pickled), in rank order, into ``object_list``."""
    pg = resolve(group)
    if pg is None:
        return
    if pg.size() == 1:
        object_list[0] = obj
        return
    key = _publish(pg, "gather", pickle.dumps(obj))
    for i in range(pg.size()):
        object_list[i] = pickle.loads(_read(pg, key, i))
    _done_reading(pg, key, pg.size())


__all__ = [
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_into_tensor",
    "all_gather_object",
    "all_gather_single",
    "all_reduce",
    "all_to_all_single",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "gather",
    "reduce",
    "reduce_scatter_single",
    "reduce_scatter_tensor",
    "scatter",
]
