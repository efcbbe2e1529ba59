"""``tensorish.backends``: the backend switches programs read and set, as ``torch.backends``,
over JAX's devices and settings.

>>> import tensorish
>>> tensorish.backends.cudnn.benchmark = True
>>> tensorish.backends.mps.is_available()
False
"""

from . import cpu as cpu
from . import cuda as cuda
from . import cudnn as cudnn
from . import mps as mps
