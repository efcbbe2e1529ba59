"""Checkpoints: PyTorch's own formats both ways, and safetensors.

``save`` writes what ``torch.save`` writes (a zip holding a protocol-2 pickle whose tensors are
``torch._utils._rebuild_tensor_v2`` calls over persistent storage ids, and each storage's raw
bytes, 64-byte aligned), so ``torch.load(weights_only=True)`` reads it; a ``.safetensors`` path
gets a safetensors file. Paths are replaced atomically.

``load`` recognises torch's zip and legacy formats, safetensors and tensorish 0.1's own format by
their bytes. It never runs or imports anything named in a file: its unpickler follows torch's
weights-only rules, and every size a file declares is checked against what the file holds before
anything is allocated.

The modules, bottom up: ``_errors``; ``_zip`` (archives), ``_pickler`` and ``_unpickler``
(pickles), ``_storage`` (``map_location``), ``_rebuild`` (torch names to tensorish objects),
``_torch``, ``_safetensors`` and ``_tensorish_v1`` (the formats), ``_atomic`` (crash-safe
writes), ``_api`` (``save`` and ``load``).
"""

from ._api import load as load
from ._api import save as save

__all__ = ["save", "load"]
