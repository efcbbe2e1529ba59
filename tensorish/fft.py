"""``tensorish.fft``: PyTorch's ``torch.fft`` (discrete Fourier transforms, their sample
frequencies and shifts).

>>> import tensorish
>>> tensorish.fft.rfft(tensorish.tensor([1., 0., 0., 0.]))
tensor([1.+0.j, 1.+0.j, 1.+0.j])
"""

from functools import partial as _partial

from .ops import _fft
from .ops._registry import Sample as _Sample
from .ops._registry import declare as _declare
from .ops._registry import public as _public

_op = _partial(_declare, namespace="tensorish.fft", method=False)
# check_op compares gradients through a real sum: complex outputs compare their values only
_COMPLEX = _Sample(grad=False)

fft = _op(test=_COMPLEX)(_fft.fft)
ifft = _op(test=_COMPLEX)(_fft.ifft)
rfft = _op(test=_COMPLEX)(_fft.rfft)
irfft = _op(test=_Sample())(_fft.irfft)
hfft = _op(test=_Sample())(_fft.hfft)
ihfft = _op(test=_COMPLEX)(_fft.ihfft)
fft2 = _op(test=_COMPLEX)(_fft.fft2)
ifft2 = _op(test=_COMPLEX)(_fft.ifft2)
fftn = _op(test=_COMPLEX)(_fft.fftn)
ifftn = _op(test=_COMPLEX)(_fft.ifftn)
rfft2 = _op(test=_COMPLEX)(_fft.rfft2)
irfft2 = _op(test=_Sample())(_fft.irfft2)
rfftn = _op(test=_COMPLEX)(_fft.rfftn)
irfftn = _op(test=_Sample())(_fft.irfftn)
hfft2 = _op(test=_Sample())(_fft.hfft2)
ihfft2 = _op(test=_COMPLEX)(_fft.ihfft2)
hfftn = _op(test=_Sample())(_fft.hfftn)
ihfftn = _op(test=_COMPLEX)(_fft.ihfftn)
fftshift = _op(test=_Sample())(_fft.fftshift)
ifftshift = _op(test=_Sample())(_fft.ifftshift)
fftfreq = _op(test=_Sample((), args=(5,)))(_fft.fftfreq)
rfftfreq = _op(test=_Sample((), args=(5,)))(_fft.rfftfreq)

__all__ = _public(__name__)
