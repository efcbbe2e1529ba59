"""The Tensor stub (``tensorish/_tensor.pyi``) is generated from the class as the op table
fills it, so that type checkers see every method: it must name every attribute and be up to
date (regenerate it with ``python tools/stubgen.py``)."""

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import tensorish

TOOL = Path(__file__).resolve().parents[1] / "tools" / "stubgen.py"
_spec = importlib.util.spec_from_file_location("stubgen", TOOL)
_stubgen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_stubgen)


def test_stub_is_up_to_date():
    # A fresh process: tests may attach things to Tensor that a user's import does not.
    out = subprocess.run(
        [sys.executable, str(TOOL), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_stub_names_every_tensor_attribute():
    tree = ast.parse(_stubgen.STUB.read_text())
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Tensor"]
    named = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
    named |= {n.target.id for n in cls.body if isinstance(n, ast.AnnAssign)}
    assert set(vars(tensorish.Tensor)) - _stubgen._SKIP <= named
    assert {"mul", "mul_", "__mul__", "__rmul__", "__imul__", "multiply", "T", "backward"} <= named
