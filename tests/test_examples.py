"""The examples: each runs, and the seed tour prints what real PyTorch prints."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_TORCH = (
    "import sys, runpy, torch, torch.autograd\n"
    "sys.modules['tensorish'] = torch\n"
    "sys.modules['tensorish.autograd'] = torch.autograd\n"
    "runpy.run_path(sys.argv[1], run_name='__main__')\n"
)


def _run(args: list[str]) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def _normalise(text: str) -> str:
    return re.sub(r"0x[0-9a-fA-F]+", "0x?", text).replace("tensorish.", "torch.")


def test_seed_example_prints_what_torch_prints():
    script = str(ROOT / "examples" / "01_variables_and_gradients.py")
    ours = _run([script])
    theirs = _run(["-c", AS_TORCH, script])
    assert "grad_fn=<MmBackward0>" in ours and "tensor([10., 10.])" in ours
    assert _normalise(ours).splitlines() == _normalise(theirs).splitlines()
