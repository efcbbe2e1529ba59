"""Compiled steps of a multi-process job: one SPMD program across the processes.

While several processes are joined, ``tensorish.compile`` traces a step with the ranks' mesh axis
bound (``axis_env``), so the collectives the step calls (DistributedDataParallel's gradient
all-reduce, an ``all_reduce`` of the loss) enter its jaxpr as JAX collectives over that axis. A
step whose jaxpr uses the axis runs as ``jax.shard_map`` over the mesh of ranks: every input is
this process's own array, lifted without a copy to its rank's block of a global array, and every
output comes back as this process's block. So each process still sees its own tensors (its
batch, its loss), exactly as in eager mode, and the step is one XLA program containing the
collectives. A step that uses none is an ordinary ``jax.jit`` program.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
from jax.extend import core as jax_core
from jax.sharding import PartitionSpec

from ._ranks import RANKS, lift, rank_mesh


def _uses_ranks(jaxpr: Any) -> bool:
    """Whether a jaxpr (or one nested in it) has a collective over the ranks' axis."""
    for eqn in jaxpr.eqns:
        for name in ("axes", "axis_name"):
            axes = eqn.params.get(name)
            if axes == RANKS or (isinstance(axes, tuple) and RANKS in axes):
                return True
        for v in eqn.params.values():
            for sub in v if isinstance(v, (tuple, list)) else (v,):
                inner = getattr(sub, "jaxpr", sub)
                if isinstance(inner, jax_core.Jaxpr) and _uses_ranks(inner):
                    return True
    return False


class ProcessSPMD:
    """What ``tensorish.compile`` asks for while ``world_size`` processes are joined."""

    def __init__(self, world_size: int) -> None:
        self.world_size = world_size
        self.axis_env = [(RANKS, world_size)]

    def program(self, fun: Callable, jaxpr: Any, donate_argnums: tuple) -> Callable:
        if not _uses_ranks(jaxpr.jaxpr):
            return jax.jit(fun, donate_argnums=donate_argnums)
        return _Program(fun, donate_argnums, self.world_size)


class _Program:
    """``fun`` (groups of arrays in, a list of arrays out) run on every rank's own arrays."""

    def __init__(self, fun: Callable, donate_argnums: tuple, world_size: int) -> None:
        self.fun = fun
        self.donate_argnums = donate_argnums
        self.ranks = tuple(range(world_size))
        self._jitted: dict = {}

    def _prepare(self, groups: Sequence[list]) -> tuple:
        leaves = [a for g in groups for a in g]
        platform = next(iter(leaves[0].devices())).platform if leaves else "cpu"
        mesh = rank_mesh(self.ranks, platform)
        key = (mesh, tuple(map(len, groups)), tuple((a.shape, a.dtype) for a in leaves))
        hit = self._jitted.get(key)
        if hit is None:
            hit = self._jitted[key] = self._build(mesh, groups)
        lifted = [[lift(a, mesh) for a in g] for g in groups]
        return hit, lifted

    def _build(self, mesh: Any, groups: Sequence[list]) -> tuple:
        shapes = [[a.shape for a in g] for g in groups]
        out_shapes: list = []

        def block(*gs):
            local = [[x.reshape(s) for x, s in zip(g, ss)] for g, ss in zip(gs, shapes)]
            outs = self.fun(*local)
            out_shapes[:] = [o.shape for o in outs]
            return [o.reshape(1) if o.ndim == 0 else o for o in outs]

        spec = PartitionSpec(RANKS)
        body = jax.shard_map(
            block, mesh=mesh, in_specs=(spec,) * len(groups), out_specs=spec, check_vma=False
        )
        return jax.jit(body, donate_argnums=self.donate_argnums), out_shapes

    def __call__(self, *groups: list) -> list:
        (jitted, out_shapes), lifted = self._prepare(groups)
        outs = jitted(*lifted)
        return [o.addressable_data(0).reshape(s) for o, s in zip(outs, out_shapes)]

    def lower(self, *groups: list) -> Any:
        """The program lowered for these inputs (``.compile().as_text()`` shows its HLO)."""
        (jitted, _), lifted = self._prepare(groups)
        return jitted.lower(*lifted)
