"""DistributedDataParallel: each process trains a replica; gradients are averaged in backward.

At construction rank 0's parameters and buffers are broadcast to every rank. The parameters are
split into buckets (reverse registration order, about ``bucket_cap_mb`` each, the first 1 MB, as
PyTorch's reducer); a post-accumulate-grad hook counts each bucket's gradients, and when a bucket
is complete its gradients are averaged over the ranks by one XLA all-reduce program, buckets
strictly in order so that every rank issues the same collectives. JAX dispatches the program
asynchronously, so the reduction of one bucket overlaps the rest of the backward pass.

Under ``tensorish.compile`` the same hooks run while the step is traced, so the all-reduces are
part of the step's single XLA program.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import jax.numpy as jnp

from ... import distributed as dist
from ..._tensor import Tensor
from ...autograd._grad_mode import is_grad_enabled
from ...distributed._collectives import RedOpType, _reduce, broadcast_tensors, on_ranks
from ...distributed._process import resolve
from .._module import Module

_FIRST_BUCKET_BYTES = 1024 * 1024


def _bucket_body(*xs, n):
    """Average the gradients over the ranks; sum the last input (how many ranks used each)."""
    *grads, used = xs
    return (*[_reduce(g, RedOpType.AVG, n) for g in grads], _reduce(used, RedOpType.SUM, n))


class DistributedDataParallel(Module):
    """Data parallelism across processes: wrap the model, train as on one process.

    Construct it on every rank after ``init_process_group``; the wrapped model is ``.module``
    (so state dict keys start with ``module.``). ``device_ids``, ``output_device``,
    ``gradient_as_bucket_view`` and ``static_graph`` are accepted (one device per process).

    >>> import tensorish, tensorish.distributed as dist
    >>> dist.init_process_group("gloo", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
    >>> ddp = tensorish.nn.parallel.DistributedDataParallel(tensorish.nn.Linear(2, 1))
    >>> ddp(tensorish.ones(3, 2)).sum().backward()
    >>> list(ddp.state_dict())
    ['module.weight', 'module.bias']
    >>> dist.destroy_process_group()
    """

    _wrapped_prefix = "module."  # its state-dict keys (see distributed.checkpoint)

    def __init__(
        self,
        module: Module,
        device_ids: list | None = None,
        output_device: Any = None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        process_group: Any = None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
        delay_all_reduce_named_params: Any = None,
        param_to_hook_all_reduce: Any = None,
        mixed_precision: Any = None,
        device_mesh: Any = None,
    ) -> None:
        super().__init__()
        pg = resolve(process_group if device_mesh is None else device_mesh.get_group())
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any "
                "parameter that requires a gradient."
            )
        self.module = module
        self.process_group = pg
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 2**20)
        self.reducer = _Reducer(pg, params, self.bucket_bytes_cap)
        self.reducer.sync(list(module.parameters()) + list(module.buffers()))
        for p in params:
            p.register_post_accumulate_grad_hook(self._grad_ready)

    def _grad_ready(self, p: Tensor) -> None:
        if self.require_backward_grad_sync:
            self.reducer.grad_ready(p)

    # -- the module ------------------------------------------------------------------------
    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        self.reducer.check_finished()
        if self.broadcast_buffers and self.require_forward_param_sync and self.training:
            self.reducer.sync(list(self.module.buffers()))
        output = self.module(*inputs, **kwargs)
        if (
            self.find_unused_parameters
            and self.require_backward_grad_sync
            and is_grad_enabled()
            and self.training
        ):
            self.reducer.mark_unused(_leaves(output))
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, backward accumulates gradients locally; the first backward after it
        averages the accumulated gradients.

        >>> import tensorish, tensorish.distributed as dist
        >>> dist.init_process_group("gloo", init_method="tcp://127.0.0.1:0", world_size=1, rank=0)
        >>> ddp = tensorish.nn.parallel.DistributedDataParallel(tensorish.nn.Linear(2, 1))
        >>> with ddp.no_sync():
        ...     ddp(tensorish.ones(3, 2)).sum().backward()
        >>> dist.destroy_process_group()
        """
        before = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = before


class _Reducer:
    """The buckets and what the current backward has delivered. Its state lives in slots,
    out of ``tensorish.compile``'s sight: a traced backward runs the same hooks and leaves it
    as it found it (every bucket reduced, counters reset)."""

    __slots__ = ("pg", "params", "buckets", "bucket_of", "waiting", "used", "next", "ready")

    def __init__(self, pg: Any, params: list[Tensor], cap: int) -> None:
        self.pg = pg
        self.params = params
        self.buckets = _assign_buckets(params, cap)
        self.bucket_of = {id(p): b for b, bucket in enumerate(self.buckets) for p in bucket}
        self.reset()

    def reset(self) -> None:
        """Expect every parameter's gradient (the next backward)."""
        self.waiting = [len(b) for b in self.buckets]
        self.used = [(True,) * len(b) for b in self.buckets]
        self.next = 0
        self.ready: set = set()  # the parameters whose gradients this backward delivered

    def sync(self, tensors: list[Tensor]) -> None:
        """Rank 0's values of ``tensors`` on every rank (one program)."""
        broadcast_tensors(self.pg, tensors)

    def grad_ready(self, p: Tensor) -> None:
        self.ready.add(id(p))
        self.waiting[self.bucket_of[id(p)]] -= 1
        self.launch()

    def launch(self) -> None:
        """Reduce the complete buckets, in order."""
        while self.next < len(self.buckets) and self.waiting[self.next] == 0:
            self.reduce(self.next)
            self.next += 1
        if self.next == len(self.buckets):
            self.reset()

    def reduce(self, b: int) -> None:
        bucket, used = self.buckets[b], self.used[b]
        grads = [
            p._grad._value if p._grad is not None else jnp.zeros(p.shape, p._value.dtype)
            for p in bucket
        ]
        flags = jnp.asarray(used, jnp.int32)
        *avg, users = on_ranks(self.pg, _bucket_body, [*grads, flags])
        for i, (p, g) in enumerate(zip(bucket, avg)):
            if p._grad is not None:
                p._grad._set_value(g)
            elif not used[i] and bool(users[i] > 0):  # used by another rank only
                p._grad = Tensor._wrap(g)

    def mark_unused(self, reached: set) -> None:
        """Parameters the output does not depend on contribute zeros to their buckets."""
        for b, bucket in enumerate(self.buckets):
            flags = tuple(id(p) in reached for p in bucket)
            self.used[b] = flags
            self.ready.update(id(p) for p, used in zip(bucket, flags) if not used)
            self.waiting[b] -= flags.count(False)
        self.launch()

    def check_finished(self) -> None:
        if not self.ready:
            return
        missing = [i for i, p in enumerate(self.params) if id(p) not in self.ready]
        self.reset()
        raise RuntimeError(
            "Expected to have finished reduction in the prior iteration before starting a new "
            "one. This error indicates that your module has parameters that were not used in "
            "producing loss. You can enable unused parameter detection by passing the keyword "
            "argument `find_unused_parameters=True` to "
            "`tensorish.nn.parallel.DistributedDataParallel`, and by \nmaking sure all "
            "`forward` function outputs participate in calculating loss. \nIf you already have "
            "done the above, then the distributed data parallel module wasn't able to locate the "
            "output tensors in the return value of your module's `forward` function. Please "
            "include the loss function and the structure of the return value of `forward` of "
            "your module when reporting this issue (e.g. list, dict, iterable).\n"
            f"Parameter indices which did not receive grad for rank {dist.get_rank()}: "
            f"{' '.join(map(str, missing))}"
        )


def _leaves(output: Any) -> set:
    """The ids of the leaf tensors ``output``'s tensors were computed from."""
    stack, seen, found = [], set(), set()

    def add(x: Any) -> None:
        if isinstance(x, Tensor):
            if x.grad_fn is not None:
                stack.append(x.grad_fn)
            elif x.requires_grad:
                found.add(id(x))
        elif isinstance(x, dict):
            for v in x.values():
                add(v)
        elif isinstance(x, (list, tuple)):
            for v in x:
                add(v)

    add(output)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        variable = getattr(node, "variable", None)
        if variable is not None:
            found.add(id(variable))
        for nxt, _ in node.next_functions:
            if nxt is not None:
                stack.append(nxt)
    return found


def _assign_buckets(params: list[Tensor], cap: int) -> list[list[Tensor]]:
    """Parameters in reverse order, in buckets of about ``cap`` bytes (the first 1 MB)."""
    buckets: list[list[Tensor]] = [[]]
    size, limit = 0, min(_FIRST_BUCKET_BYTES, cap)
    for p in reversed(params):
        nbytes = p.numel() * p.element_size()
        if buckets[-1] and size + nbytes > limit:
            buckets.append([])
            size, limit = 0, cap
        buckets[-1].append(p)
        size += nbytes
    return buckets


__all__ = ["DistributedDataParallel"]
