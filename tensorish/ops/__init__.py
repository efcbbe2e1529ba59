"""The op table: every op declared once, grouped by family. Importing this package also
attaches each op's Tensor method. Each family module lists its public names in ``__all__``."""

from ._common import result_type as result_type
from ._compare import *
from ._convert import *
from ._index import *
from ._linalg import *
from ._pointwise import *
from ._reduce import *
from ._shape import *
from ._sort import *
