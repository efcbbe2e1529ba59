"""The ``nn.functional`` ops that PyTorch also offers at the top level (``torch.relu``,
``torch.conv2d``, ``torch.dropout_``), in their top-level spellings; each is declared with its
functional (``declare(toplevel=...)``), and the package root re-exports this module.

>>> import tensorish
>>> tensorish.relu(tensorish.tensor([-1.0, 2.0]))
tensor([0., 2.])
"""

from ..ops._registry import toplevel
from . import functional

globals().update(toplevel(functional.__name__))
__all__ = list(toplevel(functional.__name__))
