"""tools/api_coverage.py (a developer script) on one namespace and on a tiny user file."""

import importlib.util
import sys
from pathlib import Path

import torch

import tensorish

_PATH = Path(__file__).resolve().parents[1] / "tools" / "api_coverage.py"
_spec = importlib.util.spec_from_file_location("api_coverage", _PATH)
api_coverage = sys.modules["api_coverage"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_coverage)


def test_one_namespace(capsys):
    (gap,) = api_coverage.gaps(["torch.func"])
    assert gap.names == sorted(torch.func.__all__)
    assert gap.missing == [n for n in gap.names if not hasattr(tensorish.func, n)]
    assert "grad" in gap.names and "grad" not in gap.missing
    api_coverage.main(["torch.func", "--list"])
    out = capsys.readouterr().out
    assert out.splitlines()[1].split()[:3] == [
        "torch.func",
        str(len(gap.names)),
        str(len(gap.missing)),
    ]
    assert " ".join(gap.missing) in out


def test_usage_counts_through_aliases(tmp_path):
    (tmp_path / "user.py").write_text(
        "import torch\n"
        "import torch.nn.functional as F\n"
        "from torch import nn\n"
        "from torch.utils.data import DataLoader\n"
        "x = torch.ones(2).relu()\n"
        "y = F.relu(x) + torch.ones(1)\n"
        "layer = nn.Linear(2, 2)\n"
        "loader = DataLoader([1, 2])\n"
        "torch.not_an_api(x)\n"
        "names = [].append(1)\n"
    )
    counts = api_coverage.usage([tmp_path / "user.py"])
    assert counts == {
        "torch.ones": 2,
        "torch.Tensor.relu": 1,
        "torch.nn.functional.relu": 1,
        "torch.nn.Linear": 1,
        "torch.utils.data.DataLoader": 1,
    }
