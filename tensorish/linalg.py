"""``tensorish.linalg``: PyTorch's ``torch.linalg`` (norms, inverses, solvers, factorizations).

>>> import tensorish
>>> tensorish.linalg.det(tensorish.tensor([[2., 1.], [1., 3.]]))
tensor(5.)
"""

from functools import partial

from .ops._linalg import cross as _cross
from .ops._linalg import matmul as _matmul
from .ops._linalg_functions import LinAlgError as LinAlgError
from .ops._linalg_functions import cholesky as cholesky
from .ops._linalg_functions import cholesky_ex as cholesky_ex
from .ops._linalg_functions import cond as cond
from .ops._linalg_functions import det as det
from .ops._linalg_functions import eigh as eigh
from .ops._linalg_functions import eigvalsh as eigvalsh
from .ops._linalg_functions import inv as inv
from .ops._linalg_functions import inv_ex as inv_ex
from .ops._linalg_functions import lstsq as lstsq
from .ops._linalg_functions import matrix_exp as matrix_exp
from .ops._linalg_functions import matrix_norm as matrix_norm
from .ops._linalg_functions import matrix_power as matrix_power
from .ops._linalg_functions import matrix_rank as matrix_rank
from .ops._linalg_functions import multi_dot as multi_dot
from .ops._linalg_functions import norm as norm
from .ops._linalg_functions import pinv as pinv
from .ops._linalg_functions import qr as qr
from .ops._linalg_functions import slogdet as slogdet
from .ops._linalg_functions import solve as solve
from .ops._linalg_functions import solve_ex as solve_ex
from .ops._linalg_functions import svd as svd
from .ops._linalg_functions import svdvals as svdvals
from .ops._linalg_functions import vecdot as vecdot
from .ops._linalg_functions import vector_norm as vector_norm
from .ops._registry import Sample, declare

_linalg = partial(declare, namespace="tensorish.linalg", method=False)
matmul = _linalg(name="matmul", test=Sample(((2, 3), (3,)), dtype="float64"))(_matmul)


@_linalg(test=Sample(((4, 3), (1, 3)), dtype="float64"))
def cross(input, other, *, dim: int = -1):
    """The cross product along ``dim`` (default: the last), broadcasting the inputs.

    >>> import tensorish
    >>> tensorish.linalg.cross(tensorish.tensor([1., 0., 0.]), tensorish.tensor([0., 1., 0.]))
    tensor([0., 0., 1.])
    """
    return _cross(input, other, dim)
