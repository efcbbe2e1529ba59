"""Run a PyTorch script with tensorish standing in for torch:

    python tests/programs/_as_torch.py SCRIPT [ARGS...]

``import torch`` and ``import torch.X.Y`` give tensorish's modules (``tensorish.X.Y``), the
same module objects tensorish's own imports see; nothing else about the script changes.
"""

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys


class _TorchIsTensorish(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch`` and ``torch.*`` as the matching tensorish module."""

    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module("tensorish" + spec.name[len("torch") :])
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = self._own_spec  # the import system set the alias's spec


def main() -> None:
    sys.meta_path.insert(0, _TorchIsTensorish())
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(os.path.abspath(script))  # as `python SCRIPT` would
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
