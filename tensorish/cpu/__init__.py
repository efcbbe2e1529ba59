"""``tensorish.cpu``: ``tensorish.cpu.amp``, the deprecated CPU spellings of ``tensorish.amp``.

>>> import tensorish
>>> tensorish.cpu.amp.autocast.__mro__[1] is tensorish.amp.autocast
True
"""

from . import amp as amp

__all__ = ["amp"]
