"""``python -m tensorish.ops_report``: the ops tensorish covers, their count, and the known
per-op deviations from PyTorch (the README's "Differences from PyTorch" table has the general
ones).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from . import ops as ops_package
from ._dispatch import Op

FAMILIES = {
    "pointwise": "tensorish.ops._pointwise",
    "comparison and logic": "tensorish.ops._compare",
    "conversion": "tensorish.ops._convert",
    "reductions": "tensorish.ops._reduce",
    "sorting and selection": "tensorish.ops._sort",
    "shape": "tensorish.ops._shape",
    "indexing": "tensorish.ops._index",
    "matrix products": "tensorish.ops._linalg",
    "tensorish.linalg": "tensorish.linalg",
    "tensorish.nn.functional": "tensorish.nn.functional",
}

KNOWN_DEVIATIONS = {
    "view, reshape, slicing, transpose, expand, narrow, diagonal, split, unbind": (
        "results are copies: writes through them do not reach the base (JAX cannot alias)"
    ),
    "contiguous, is_contiguous": "always contiguous; contiguous() returns self",
    "__getitem__, __setitem__": "one node named as PyTorch's top node (PyTorch records a chain)",
    "masked_select, nonzero, bool-mask indexing, repeat_interleave(tensor)": (
        "sync to the host for the data-dependent size; recompile per new size"
    ),
    "take_along_dim": "out-of-range indices raise (PyTorch 2.13 returns garbage)",
    "scatter(reduce=)": "differentiable (PyTorch's backward is not implemented)",
    "rnn, lstm, gru, multi_head_attention": "one fused op each: outputs share one grad_fn",
    "scaled_dot_product_attention": "no EFFICIENT_ATTENTION kernel (JAX has none); FLASH and "
    "CUDNN on a GPU are cuDNN's (jax.nn.dot_product_attention)",
    "cross_entropy, nll_loss": "an out-of-range class gives nan instead of raising",
    "binary_cross_entropy": "inputs outside [0, 1] give nan instead of raising",
    "second-order gradients": "grad_fn of create_graph results is <Name>Backward of the "
    "first-order node, not PyTorch's formula ops",
    "every one-output op on tensors that require grad": "runs when its value is first read, "
    "or inside the fused backward of a repeated graph (shapes and errors stay immediate)",
}


def covered() -> dict[str, list[str]]:
    """Public op names per family."""
    out = {}
    for family, path in FAMILIES.items():
        mod = importlib.import_module(path)
        names = getattr(mod, "__all__", None) or [
            n
            for n, v in vars(mod).items()
            if not n.startswith("_") and inspect.isfunction(v) and v.__module__ == path
        ]
        out[family] = sorted(names)
    return out


def declared_ops() -> list[Op]:
    """Every Op the op table (``tensorish.ops``) declares at module level, alone or in a
    table of variants (by reduction, by dims)."""
    ops = {}
    for info in pkgutil.iter_modules(ops_package.__path__):
        module = importlib.import_module(f"{ops_package.__name__}.{info.name}")
        for value in vars(module).values():
            group = value.values() if isinstance(value, dict) else value
            for op in group if isinstance(value, (dict, list)) else [value]:
                if isinstance(op, Op):
                    ops[id(op)] = op
    return list(ops.values())


def main() -> None:
    fams = covered()
    total = sum(len(v) for v in fams.values())
    for family, names in fams.items():
        print(f"{family} ({len(names)}): {', '.join(names)}\n")
    ops = declared_ops()
    nodes = sorted({op.name for op in ops})
    print(
        f"{total} public functions; {len(ops)} op declarations with {len(nodes)} distinct "
        "grad_fn names:"
    )
    print(", ".join(nodes))
    print("\nKnown deviations from PyTorch:")
    for what, how in KNOWN_DEVIATIONS.items():
        print(f"- {what}: {how}")


if __name__ == "__main__":
    main()
