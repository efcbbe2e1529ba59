"""``tensorish.fft``: PyTorch's ``torch.fft`` (discrete Fourier transforms, their sample
frequencies and shifts).

>>> import tensorish
>>> tensorish.fft.rfft(tensorish.tensor([1., 0., 0., 0.]))
tensor([1.+0.j, 1.+0.j, 1.+0.j])
"""

from .ops._fft import fft as fft
from .ops._fft import fft2 as fft2
from .ops._fft import fftfreq as fftfreq
from .ops._fft import fftn as fftn
from .ops._fft import fftshift as fftshift
from .ops._fft import hfft as hfft
from .ops._fft import hfft2 as hfft2
from .ops._fft import hfftn as hfftn
from .ops._fft import ifft as ifft
from .ops._fft import ifft2 as ifft2
from .ops._fft import ifftn as ifftn
from .ops._fft import ifftshift as ifftshift
from .ops._fft import ihfft as ihfft
from .ops._fft import ihfft2 as ihfft2
from .ops._fft import ihfftn as ihfftn
from .ops._fft import irfft as irfft
from .ops._fft import irfft2 as irfft2
from .ops._fft import irfftn as irfftn
from .ops._fft import rfft as rfft
from .ops._fft import rfft2 as rfft2
from .ops._fft import rfftfreq as rfftfreq
from .ops._fft import rfftn as rfftn
