"""``tensorish.amp``: automatic mixed precision, ``autocast`` regions and ``GradScaler``.

>>> import tensorish
>>> tensorish.amp.autocast is tensorish.autocast
True
"""

from ._autocast_mode import autocast as autocast
from ._autocast_mode import custom_bwd as custom_bwd
from ._autocast_mode import custom_fwd as custom_fwd
from ._autocast_mode import is_autocast_available as is_autocast_available
from ._grad_scaler import GradScaler as GradScaler

__all__ = ["autocast", "custom_bwd", "custom_fwd", "is_autocast_available", "GradScaler"]
