"""The layer classes, re-exported by tensorish.nn."""

from ._activation import *
from ._container import *
from ._distance import *
from ._instancenorm import *
from ._layers import *
from ._lazy import *
from ._loss import *
from ._padding import *
from ._pooling import *
from ._resample import *
from ._rnn import *
from ._transformer import *
