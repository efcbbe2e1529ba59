"""The op table: every op declared once, grouped by family. Importing this package also
attaches each op's Tensor method."""

from ._common import result_type as result_type
from ._linalg import matmul as matmul
from ._linalg import mm as mm
from ._pointwise import add as add
from ._pointwise import div as div
from ._pointwise import divide as divide
from ._pointwise import mul as mul
from ._pointwise import multiply as multiply
from ._pointwise import neg as neg
from ._pointwise import negative as negative
from ._pointwise import pow as pow
from ._pointwise import reciprocal as reciprocal
from ._pointwise import rsub as rsub
from ._pointwise import sub as sub
from ._pointwise import subtract as subtract
from ._pointwise import true_divide as true_divide
from ._reduce import mean as mean
from ._reduce import sum as sum
