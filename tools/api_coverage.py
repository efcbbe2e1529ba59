"""Which public names of PyTorch's namespaces tensorish lacks (a developer tool, not part of
the package; it imports torch).

    python tools/api_coverage.py                      # counts per namespace
    python tools/api_coverage.py --list torch.nn      # ... and the missing names of torch.nn
    python tools/api_coverage.py --usage ~/code/      # ... and the missing APIs that the .py
                                                      # files under ~/code/ use most

A namespace's public names are its ``__all__`` together with what ``dir()`` shows that the
namespace itself defines (names starting with ``_``, imported helpers such as ``typing`` or
``math`` and CONSTANT_CASE settings left out); ``torch.Tensor``'s are its public attributes.
tensorish has a name when ``tensorish.<same path>`` exists.

The usage count walks each file's AST: ``torch.X.Y`` through any import alias (``import torch
as th``, ``import torch.nn.functional as F``, ``from torch.utils.data import DataLoader``) counts
as a use of ``torch.X.Y``, and ``<anything>.name`` where ``name`` is a public ``torch.Tensor``
attribute (and no attribute of a built-in container or string) as a use of
``torch.Tensor.name`` -- a heuristic: NumPy's ``a.sum()`` counts too.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import re
import sys
import types
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

# The tensorish of this checkout, not an installed one.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NAMESPACES = (
    "torch",
    "torch.Tensor",
    "torch.nn",
    "torch.nn.functional",
    "torch.nn.init",
    "torch.nn.utils",
    "torch.nn.utils.rnn",
    "torch.nn.utils.parametrize",
    "torch.nn.utils.parametrizations",
    "torch.nn.attention",
    "torch.optim",
    "torch.optim.lr_scheduler",
    "torch.utils.data",
    "torch.utils.checkpoint",
    "torch.linalg",
    "torch.fft",
    "torch.special",
    "torch.distributions",
    "torch.autograd",
    "torch.autograd.functional",
    "torch.func",
    "torch.testing",
    "torch.amp",
    "torch.random",
    "torch.distributed",
    "torch.cuda",
    "torch.backends",
    "torch.backends.cudnn",
    "torch.accelerator",
    "torch.mps",
)
_CONSTANT = re.compile(r"^[A-Z][A-Z0-9_]+$")
_CONTAINER_ATTRS = frozenset(
    name for kind in (str, bytes, list, dict, set, tuple) for name in dir(kind)
)


def resolve(path: str) -> object | None:
    """The object at dotted ``path`` (importing submodules on the way), or None."""
    parts = path.split(".")
    try:
        obj = root = importlib.import_module(parts[0])
    except ImportError:
        return None
    for i, part in enumerate(parts[1:], 1):
        if hasattr(obj, part):
            obj = getattr(obj, part)
        elif isinstance(obj, types.ModuleType):
            try:
                obj = importlib.import_module(".".join(parts[: i + 1]))
            except Exception:
                return None
        else:
            return None
        if isinstance(obj, types.ModuleType) and not _inside(obj, root):
            return None
    return obj


def _inside(module: types.ModuleType, root: types.ModuleType) -> bool:
    """Whether ``module`` comes from ``root``'s directory (an editable install of another
    checkout can serve submodules this one lacks)."""
    top = Path(getattr(root, "__file__", None) or ".").parent
    return Path(getattr(module, "__file__", None) or top).is_relative_to(top)


def _defined_in(value: object, namespace: str, declared: bool) -> bool:
    """Whether ``value`` (found in ``namespace``'s ``dir()``) belongs to the namespace rather
    than being an imported helper (``math``, ``typing.Optional``, ``torch.Tensor`` in F). A
    submodule belongs when the namespace declares no ``__all__`` (``torch.backends.mps``) or
    when it is one of NAMESPACES or their parents (``torch.utils``)."""
    if isinstance(value, types.ModuleType):
        name = value.__name__
        if not name.startswith(namespace + "."):
            return False
        return not declared or any(ns == name or ns.startswith(name + ".") for ns in NAMESPACES)
    module = getattr(value, "__module__", None)
    if not isinstance(module, str) or not module:
        return not isinstance(value, type)
    return module.startswith((namespace, "torch._C"))


def public_names(namespace: str) -> list[str]:
    """The public names of torch's ``namespace``."""
    obj = resolve(namespace)
    if obj is None:
        return []
    if isinstance(obj, type):
        return sorted(n for n in dir(obj) if not n.startswith("_"))
    obj = getattr(obj, "m", obj)  # torch.backends.cudnn wraps its module in a PropModule
    declared = hasattr(obj, "__all__")
    names = {n for n in getattr(obj, "__all__", ()) if not n.startswith("_")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated aliases warn when read
        for n in dir(obj):
            if n.startswith("_") or _CONSTANT.match(n) or n.endswith("_notes") or n in names:
                continue
            if _defined_in(getattr(obj, n), namespace, declared):
                names.add(n)
    return sorted(names)


def tensorish_path(torch_path: str) -> str:
    return "tensorish" + torch_path[len("torch") :]


def has(torch_path: str) -> bool:
    """Whether tensorish offers ``torch_path`` under its own name."""
    return resolve(tensorish_path(torch_path)) is not None


@dataclass
class Gap:
    namespace: str
    names: list[str]
    missing: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return 100.0 * (1 - len(self.missing) / len(self.names)) if self.names else 100.0


def gaps(namespaces: Iterable[str] = NAMESPACES) -> list[Gap]:
    """For each namespace, its public names and those tensorish lacks."""
    out = []
    for ns in namespaces:
        names = public_names(ns)
        if resolve(tensorish_path(ns)) is None:
            missing = list(names)
        else:
            missing = [n for n in names if not has(f"{ns}.{n}")]
        out.append(Gap(ns, names, missing))
    return out


def format_table(found: list[Gap]) -> str:
    lines = [f"{'namespace':34} {'torch':>6} {'missing':>8} {'have':>6}"]
    for g in found:
        lines.append(f"{g.namespace:34} {len(g.names):6d} {len(g.missing):8d} {g.percent:5.0f}%")
    total = sum(len(g.names) for g in found)
    miss = sum(len(g.missing) for g in found)
    lines.append(f"{'total':34} {total:6d} {miss:8d} {100 * (1 - miss / max(total, 1)):5.0f}%")
    return "\n".join(lines)


# -- usage in user code ------------------------------------------------------------------------
class _Uses(ast.NodeVisitor):
    """Counts the torch APIs one module uses (see the module docstring)."""

    def __init__(self, tensor_attrs: frozenset[str], counts: Counter) -> None:
        self.aliases: dict[str, str] = {}
        self.tensor_attrs = tensor_attrs
        self.counts = counts

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            if a.name == "torch" or a.name.startswith("torch."):
                if a.asname:
                    self.aliases[a.asname] = a.name
                else:
                    self.aliases["torch"] = "torch"

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        mod = node.module or ""
        if node.level == 0 and (mod == "torch" or mod.startswith("torch.")):
            for a in node.names:
                if a.name != "*":
                    self.aliases[a.asname or a.name] = f"{mod}.{a.name}"

    def _dotted(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self._dotted(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def visit_Attribute(self, node: ast.Attribute) -> None:
        path = self._dotted(node)
        if path is not None:
            self.counts[path] += 1
            return
        if node.attr in self.tensor_attrs:
            self.counts[f"torch.Tensor.{node.attr}"] += 1
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load) and node.id in self.aliases:
            self.counts[self.aliases[node.id]] += 1


def usage(paths: Iterable[Path]) -> Counter:
    """How often each torch API is used in the given .py files."""
    tensor_attrs = frozenset(public_names("torch.Tensor")) - _CONTAINER_ATTRS
    counts: Counter = Counter()
    for path in paths:
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError):
            continue
        _Uses(tensor_attrs, counts).visit(tree)
    return Counter({p: n for p, n in counts.items() if resolve(p) is not None and p != "torch"})


def format_usage(counts: Counter, top: int) -> str:
    missing = Counter({p: n for p, n in counts.items() if not has(p)})
    uses, distinct = sum(counts.values()), len(counts)
    lines = [
        f"distinct torch APIs used: {distinct}; tensorish has "
        f"{100 * (1 - len(missing) / max(distinct, 1)):.0f}% of them "
        f"({100 * (1 - sum(missing.values()) / max(uses, 1)):.0f}% of {uses} uses)",
        f"most used missing ({min(top, len(missing))} of {len(missing)}):",
    ]
    lines += [f"  {n:6d}  {p}" for p, n in missing.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("namespaces", nargs="*", help="namespaces to check (default: all)")
    parser.add_argument("--list", action="store_true", help="print the missing names too")
    parser.add_argument("--usage", type=Path, help="a directory of user .py files to rank by")
    parser.add_argument("--top", type=int, default=40, help="how many missing APIs to rank")
    args = parser.parse_args(argv)
    found = gaps(args.namespaces or NAMESPACES)
    print(format_table(found))
    if args.list:
        for g in found:
            if g.missing:
                print(f"\n{g.namespace} lacks {len(g.missing)}:")
                print("  " + " ".join(g.missing))
    if args.usage is not None:
        print()
        print(format_usage(usage(sorted(args.usage.rglob("*.py"))), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
