"""``tensorish.nn.attention``: which scaled-dot-product-attention kernel runs.

>>> import tensorish
>>> from tensorish.nn.attention import SDPBackend, sdpa_kernel
>>> q = tensorish.ones(1, 2, 4, 8)
>>> with sdpa_kernel(SDPBackend.MATH):
...     tensorish.nn.functional.scaled_dot_product_attention(q, q, q).shape
tensorish.Size([1, 2, 4, 8])
"""

from ._kernel import WARN_FOR_UNFUSED_KERNELS as WARN_FOR_UNFUSED_KERNELS
from ._kernel import SDPBackend as SDPBackend
from ._kernel import sdpa_kernel as sdpa_kernel

__all__ = ["SDPBackend", "sdpa_kernel", "WARN_FOR_UNFUSED_KERNELS"]
