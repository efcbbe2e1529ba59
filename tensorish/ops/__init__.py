"""The op table: every op declared once (``_registry.declare``), grouped by family; importing
this package attaches each op's Tensor methods, in-place forms and operators. The families
export their public names here; the kernels behind ``tensorish.nn.functional`` (``_nn``,
``_conv``, ``_norm``, ``_loss``, ``_sequence``) are used by that module only."""

from ._common import result_type as result_type
from ._compare import *
from ._convert import *
from ._index import *
from ._linalg import *
from ._pointwise import *
from ._reduce import *
from ._shape import *
from ._sort import *
