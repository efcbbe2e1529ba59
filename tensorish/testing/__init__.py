"""``tensorish.testing``: PyTorch's ``torch.testing`` (``assert_close``, ``make_tensor``).

>>> import tensorish
>>> tensorish.testing.assert_close(tensorish.tensor([1.0]), tensorish.tensor([1.0 + 1e-7]))
"""

from ._comparison import assert_allclose as assert_allclose
from ._comparison import assert_close as assert_close
from ._creation import make_tensor as make_tensor
