"""The package's import graph: no cycle, and every module imports with only its own imports
loaded (the layering itself is an import-linter contract in pyproject.toml, run by CI)."""

import ast
import subprocess
import sys
import textwrap
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tensorish"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    """The tensorish modules ``name`` imports, at module level or inside functions: for
    ``from a import b`` the module ``a.b`` if there is one, else ``a``."""
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")[: len(name.split(".")) - node.level + is_package]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            targets = [
                f"{source}.{a.name}" if f"{source}.{a.name}" in modules else source
                for a in node.names
            ]
        else:
            continue
        out.update(t for t in targets if t in modules and t != name)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_the_import_graph_has_no_cycle():
    # Function-level imports count too: they must not be a way around a cycle.
    try:
        graph = _graph()
        list(TopologicalSorter(graph).static_order())
    except CycleError as e:
        raise AssertionError(f"import cycle: {' -> '.join(e.args[1])}") from None
    # Nothing imports the package root (it only re-exports the layers below it).
    assert [name for name, deps in graph.items() if "tensorish" in deps] == []


_IMPORT_EACH = textwrap.dedent("""
    import importlib, importlib.util, sys
    from pathlib import Path

    root = Path(sys.argv[1])
    order = sys.argv[2:]
    # Every package is present but empty: importing a module then loads exactly what it
    # imports itself, not what its package's __init__ happens to import first.
    packages = {}
    for name in order:
        init = root.joinpath(*name.split("."), "__init__.py")
        if init.exists():
            spec = importlib.util.spec_from_file_location(
                name, init, submodule_search_locations=[str(init.parent)]
            )
            packages[name] = sys.modules[name] = importlib.util.module_from_spec(spec)
    for name in order:  # dependencies first
        if name in packages:
            packages[name].__spec__.loader.exec_module(packages[name])
            continue
        if name in sys.modules:
            raise SystemExit(f"{name} was imported before its turn, by a module not importing it")
        importlib.import_module(name)
    print("ok", len(order))
""")


def test_each_module_imports_with_only_its_own_imports_loaded():
    # One fresh interpreter imports every module in dependency order, each checked not to be
    # loaded yet: so each import runs with exactly its own dependencies loaded, as a
    # ``python -c "import tensorish.X"`` of that module alone would (minus the package
    # __init__ files, which run at their own turn).
    order = list(TopologicalSorter(_graph()).static_order())
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH, str(ROOT), *order],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:] + out.stdout[-1000:]
    assert out.stdout.split() == ["ok", str(len(order))]
