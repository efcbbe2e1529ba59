"""torch.fft, torch.stft/istft and the window functions against the torch oracle: values, dtypes,
grad_fn graphs, gradients of real leaves (through a real-valued end of the chain), errors."""

import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error

import tensorish

RNG = np.random.default_rng(0)
REAL = RNG.standard_normal((3, 8))
CPLX = RNG.standard_normal((3, 8)) + 1j * RNG.standard_normal((3, 8))


def leaf(L, data, dtype, grad=True):
    return L.tensor(data, dtype=getattr(L, dtype), requires_grad=grad)


def graph(y):
    names, fn = [], y.grad_fn
    while fn is not None and type(fn).__name__ != "AccumulateGrad":
        names.append(type(fn).__name__)
        fn = fn.next_functions[0][0] if fn.next_functions else None
    return names


def plain(y):
    """torch's lazily conjugated tensors, made concrete for comparison."""
    return y.resolve_conj() if isinstance(y, torch.Tensor) else y


def real_loss(L, y):
    """A real scalar of a transform's output, non-uniformly weighted: complex outputs pass
    through hfft (padded by one bin, so only the zero frequency's imaginary part is lost)."""
    if y.dtype.is_complex:
        y = L.fft.hfft(y, n=2 * y.shape[-1])
    w = L.tensor(np.linspace(0.5, 1.5, y.numel()).reshape(tuple(y.shape)), dtype=y.dtype)
    return (y * w).sum()


# name, input kind, keyword arguments
TRANSFORMS = [
    ("fft", "real", {}),
    ("fft", "real", {"n": 11, "norm": "ortho"}),
    ("fft", "cplx", {"n": 5, "dim": 0, "norm": "forward"}),
    ("ifft", "real", {}),
    ("ifft", "cplx", {"n": 10, "norm": "ortho"}),
    ("rfft", "real", {}),
    ("rfft", "real", {"n": 5, "dim": 0, "norm": "forward"}),
    ("irfft", "cplx", {}),
    ("irfft", "cplx", {"n": 5, "norm": "ortho"}),
    ("irfft", "real", {"n": 12}),
    ("hfft", "cplx", {}),
    ("hfft", "real", {"norm": "forward"}),
    ("ihfft", "real", {}),
    ("ihfft", "real", {"n": 3, "norm": "ortho"}),
    ("fft2", "real", {}),
    ("fft2", "cplx", {"s": (2, 10), "norm": "ortho"}),
    ("ifft2", "cplx", {}),
    ("fftn", "real", {"s": (4, 6)}),
    ("fftn", "real", {"dim": ()}),
    ("ifftn", "real", {"s": (3,), "dim": 0, "norm": "forward"}),
    ("rfft2", "real", {}),
    ("rfftn", "real", {"s": (2, 9)}),
    ("irfft2", "cplx", {}),
    ("irfftn", "cplx", {"s": (4, -1)}),
    ("irfftn", "cplx", {"s": (3, 7), "norm": "ortho"}),
    ("hfft2", "cplx", {}),
    ("hfftn", "real", {"dim": 1}),
    ("hfftn", "cplx", {"s": (2, 6), "norm": "forward"}),
    ("ihfft2", "real", {}),
    ("ihfftn", "real", {"s": (2, 5)}),
]


def _ids(case):
    name, kind, kw = case
    return name + "-" + kind + "".join(f"-{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("name,kind,kwargs", TRANSFORMS, ids=map(_ids, TRANSFORMS))
def test_transform(name, kind, kwargs):
    """Values, dtype, the grad_fn graph and the gradient of a real leaf."""
    data = REAL if kind == "real" else CPLX

    def f(L):
        x = leaf(L, data, "float64" if kind == "real" else "complex128", kind == "real")
        y = getattr(L.fft, name)(x, **kwargs)
        g = L.autograd.grad(real_loss(L, y), x)[0] if kind == "real" else None
        return plain(y), g, graph(y)

    (yt, gt, nt), (ys, gs, ns) = f(torch), f(tensorish)
    assert ns == nt
    assert_same(yt, ys, "forward", 1e-10, 1e-12)
    if gt is not None:
        assert_same(gt, gs, "backward", 1e-10, 1e-12)


@pytest.mark.parametrize("name", ["fft", "ifft", "fftn", "ifft2", "hfft", "irfftn"])
def test_complex_leaf_gradient_is_conjugated(name):
    """tensorish's complex gradients follow JAX's convention: a complex leaf's ``.grad`` is the
    conjugate of PyTorch's (real leaves agree, see test_transform)."""

    def f(L):
        x = leaf(L, CPLX, "complex128")
        return L.autograd.grad(real_loss(L, getattr(L.fft, name)(x)), x)[0]

    assert_same(plain(f(torch).conj()), f(tensorish), "grad", 1e-10, 1e-12)


@pytest.mark.parametrize(
    "name,dtype",
    [
        (n, d)
        for n in ("fft", "rfft", "irfft", "ihfftn", "fft2", "hfft")
        for d in ("int64", "complex64")
    ]
    + [("fft", "bool"), ("irfft", "float32"), ("hfft", "float32")],
)
def test_dtypes(name, dtype):
    def f(L):
        return getattr(L.fft, name)(L.tensor(REAL[:2, :6] > 0).to(getattr(L, dtype)))

    try:
        expected = f(torch)
    except RuntimeError:
        assert_same_error(f)
        return
    assert_same(plain(expected), f(tensorish), "forward", 1e-5, 1e-5)


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: L.fft.fft(x.half()),
        lambda L, x: L.fft.rfft(x.bfloat16()),
        lambda L, x: L.fft.fft(x, n=0),
        lambda L, x: L.fft.irfft(x, n=-1),
        lambda L, x: L.fft.fft(x, dim=2),
        lambda L, x: L.fft.fft(x, norm="bad"),
        lambda L, x: L.fft.fft(x[0, 0]),
        lambda L, x: L.fft.fft2(x[0]),
        lambda L, x: L.fft.fftn(x, s=(2, 3), dim=(0,)),
        lambda L, x: L.fft.fftn(x, dim=(0, 0)),
        lambda L, x: L.fft.fftn(x, s=(2, 3, 4)),
        lambda L, x: L.fft.rfft(x.to(L.complex64)),
        lambda L, x: L.fft.ihfft(x.to(L.complex64)),
        lambda L, x: L.fft.rfftn(x.to(L.complex64)),
        lambda L, x: L.fft.ihfftn(x.to(L.complex64)),
        lambda L, x: L.fft.rfftn(x, dim=()),
        lambda L, x: L.fft.irfftn(x, dim=()),
        lambda L, x: L.fft.irfft(x[:, :1]),
        lambda L, x: L.fft.fft([1.0, 2.0]),
        lambda L, x: L.fft.fftfreq(4, dtype=L.int64),
        lambda L, x: L.fft.rfftfreq(-5),
        lambda L, x: L.fft.fftshift(x, dim=5),
    ],
)
def test_errors(call):
    assert_same_error(lambda L: call(L, L.tensor(REAL, dtype=L.float32)))


@pytest.mark.parametrize("name", ["fftfreq", "rfftfreq"])
@pytest.mark.parametrize(
    "args,kwargs",
    [
        ((5,), {}),
        ((6, 0.1), {}),
        ((0,), {}),
        ((-1,), {}),
        ((4,), {"dtype": "float64"}),
        ((7, 2.0), {"requires_grad": True}),
    ],
)
def test_frequencies(name, args, kwargs):
    def f(L):
        kw = {k: getattr(L, v) if k == "dtype" else v for k, v in kwargs.items()}
        y = getattr(L.fft, name)(*args, **kw)
        return y, y.requires_grad, y.is_leaf

    try:
        yt, rt, lt = f(torch)
    except RuntimeError:
        assert_same_error(f)
        return
    ys, rs, ls = f(tensorish)
    assert (rt, lt) == (rs, ls)
    assert_same(yt, ys, "values", 0, 0)


@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
@pytest.mark.parametrize("dim", [None, 0, (0, 1), -1])
def test_shifts(name, dim):
    def f(L):
        x = leaf(L, REAL[:, :7], "float32")
        y = getattr(L.fft, name)(x, dim=dim)
        return y, graph(y), L.autograd.grad(real_loss(L, y), x)[0]

    (yt, nt, gt), (ys, ns, gs) = f(torch), f(tensorish)
    assert nt == ns
    assert_same((yt, gt), (ys, gs), name, 0, 0)


WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
def test_windows(name):
    fn_t, fn_s = getattr(torch, name), getattr(tensorish, name)
    for n in (0, 1, 2, 5, 8):
        for periodic in (True, False):
            assert_same(fn_t(n, periodic), fn_s(n, periodic), f"{n} {periodic}", 1e-6, 1e-7)
    for dt in ("float64", "float16", "bfloat16"):
        t, s = fn_t(6, dtype=getattr(torch, dt)), fn_s(6, dtype=getattr(tensorish, dt))
        assert_same(t, s, dt, 1e-2 if dt in ("float16", "bfloat16") else 1e-12, 1e-3)
    t = fn_t(4, requires_grad=True)
    s = fn_s(4, requires_grad=True)
    assert (t.requires_grad, t.is_leaf) == (s.requires_grad, s.is_leaf)
    for bad in (lambda L: getattr(L, name)(-1), lambda L: getattr(L, name)(4, dtype=L.int64)):
        assert_same_error(bad)
    assert_same_error(lambda L: getattr(L, name)(4, dtype=L.complex64))


def test_window_parameters():
    pairs = [
        (torch.hamming_window(7, False, 0.5, 0.3), tensorish.hamming_window(7, False, 0.5, 0.3)),
        (torch.kaiser_window(7, True, 5.0), tensorish.kaiser_window(7, True, 5.0)),
        (torch.kaiser_window(6, True, 0.0), tensorish.kaiser_window(6, True, 0.0)),
    ]
    for t, s in pairs:
        assert_same(t, s, "window", 1e-6, 1e-7)


# input shape, keyword arguments
STFT = [
    ((40,), {"window": "hann", "hop_length": 5, "normalized": True}),
    ((2, 40), {"window": "hann", "center": False, "hop_length": 3, "onesided": False}),
    ((40,), {"window": "hamming", "win_length": 10, "pad_mode": "constant"}),
    ((2, 40), {"window": "hann", "return_complex": False}),
    ((2, 40), {"window": None}),
]


@pytest.mark.parametrize("shape,kwargs", STFT)
def test_stft(shape, kwargs):
    def f(L):
        x = leaf(L, np.sin(np.arange(np.prod(shape)) / 3).reshape(shape), "float64")
        kw = dict(kwargs)
        win = kw.pop("window")
        n = kw.get("win_length", 16)
        window = None if win is None else getattr(torch, f"{win}_window")(n, dtype=torch.float64)
        w = None if win is None else leaf(L, window.numpy(), "float64")
        kw.setdefault("return_complex", True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = L.stft(x, 16, window=w, **kw)
        loss = real_loss(L, y)
        grads = L.autograd.grad(loss, [x] + ([w] if w is not None else []))
        messages = [str(c.message).split(" (Triggered")[0] for c in caught]
        return plain(y), grads, graph(y)[0], messages

    (yt, gt, nt, wt), (ys, gs, ns, ws) = f(torch), f(tensorish)
    assert nt == ns
    assert [m.replace("torch.", "tensorish.") for m in wt] == ws
    assert_same(yt, ys, "forward", 1e-10, 1e-10)
    assert_same(gt, gs, "backward", 1e-10, 1e-10)


@pytest.mark.parametrize(
    "shape,kwargs",
    [
        ((40,), {"hop_length": 5, "normalized": True, "length": 50}),
        ((2, 40), {"length": 35}),
        ((2, 40), {"win_length": 12, "hop_length": 3}),
        ((40,), {"center": False, "hop_length": 4, "window": "hamming"}),
        ((2, 40), {"onesided": False}),
    ],
)
def test_istft(shape, kwargs):
    def f(L):
        kw = dict(kwargs)
        win = L.hann_window if kw.pop("window", "hann") == "hann" else L.hamming_window
        n = kw.get("win_length", 16)
        w = win(n, dtype=L.float64)
        x = L.tensor(np.cos(np.arange(np.prod(shape)) / 5).reshape(shape), dtype=L.float64)
        onesided = kw.pop("onesided", True)
        spec = L.stft(
            x, 16, kw.get("hop_length"), kw.get("win_length"), w, kw.get("center", True),
            onesided=onesided, return_complex=True,
        )  # fmt: skip
        spec = spec.detach().requires_grad_()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = L.istft(spec, 16, window=w, onesided=onesided, **kw)
        g = L.autograd.grad(real_loss(L, y), spec)[0]
        return y, graph(y)[0], g, [str(c.message).split(" (Triggered")[0] for c in caught]

    (yt, nt, gt, wt), (ys, ns, gs, ws) = f(torch), f(tensorish)
    assert nt == ns
    assert [m.replace("torch.", "tensorish.") for m in wt] == ws
    assert_same(yt, ys, "forward", 1e-10, 1e-10)
    assert_same(plain(gt.conj()), gs, "backward", 1e-10, 1e-10)


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: L.stft(x, 16),
        lambda L, x: L.stft(x, 100, center=False, return_complex=True),
        lambda L, x: L.stft(x, 16, hop_length=0, return_complex=True),
        lambda L, x: L.stft(x, 16, win_length=20, return_complex=True),
        lambda L, x: L.stft(x, 16, window=L.ones(10), return_complex=True),
        lambda L, x: L.stft(x[None], 16, return_complex=True),
        lambda L, x: L.stft(x[0, :5], 16, return_complex=True),
        lambda L, x: L.stft(x.to(L.complex64), 16, onesided=True, return_complex=True),
        lambda L, x: L.istft(x, 16),
        lambda L, x: L.istft(L.stft(x, 16, window=L.ones(16), return_complex=True), 15),
        lambda L, x: L.istft(
            L.stft(x, 16, window=L.ones(16), return_complex=True), 16, onesided=False
        ),
        lambda L, x: L.istft(
            L.stft(x, 16, window=L.ones(16), return_complex=True), 16, return_complex=True
        ),
        lambda L, x: L.istft(
            L.stft(x, 16, window=L.hann_window(16), return_complex=True),
            16,
            window=L.hann_window(16),
            center=False,
        ),
    ],
)
def test_stft_errors(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(lambda L: call(L, L.tensor(np.sin(np.arange(80.0)).reshape(2, 40))))


def test_methods_and_printing():
    def f(L):
        x = L.tensor([1.0, 2.0, 3.0, 4.0])
        w = L.hann_window(4)
        s = x.stft(4, window=w, return_complex=True)
        return str(L.fft.fft(x)), str(L.fft.rfft(x, norm="ortho")), s, s.istft(4, window=w)

    (pt, qt, st, it), (ps, qs, ss, is_) = f(torch), f(tensorish)
    assert (pt, qt) == (ps, qs)
    assert_same((plain(st), it), (ss, is_), "methods", 1e-6, 1e-6)


def test_namespace():
    names = {n for n in dir(torch.fft) if not n.startswith("_") and callable(getattr(torch.fft, n))}
    assert sorted(names - {"Tensor"}) == sorted(
        n for n in dir(tensorish.fft) if not n.startswith("_")
    )


def test_magnitude_spectrum_of_a_real_signal_backward():
    """|fft(x)| of a real x that requires grad: the gradient flows back through complex abs."""

    def run(lib):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0, -1.0], requires_grad=True)
        (lib.fft.fft(x).abs() * lib.arange(5.0)).sum().backward()
        return x.grad

    assert_same(run(torch), run(tensorish), "grad", rtol=1e-5, atol=1e-6)


def test_abs_of_complex_gradient_is_the_conjugate_of_torchs():
    """The README's complex-gradient convention: conj of torch's, sgn(z) with 0 at 0."""

    def run(lib):
        z = lib.tensor([3 + 4j, 0j, -2j], requires_grad=True)
        (z.abs() * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        return z.grad

    assert_same(run(torch).conj().resolve_conj(), run(tensorish), "grad")
