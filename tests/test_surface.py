"""The functional surface in every spelling PyTorch has: the ``nn.functional`` ops that are also
``torch.X`` and ``Tensor`` methods (declared once, ``declare(toplevel=...)``), and
``nn.Linear``'s graph, each against torch."""

import importlib
import warnings

import numpy as np
import pytest
import torch
from oracle import assert_same, assert_same_error, check_op

import tensorish
from tensorish.ops._registry import REGISTRY, Given, Sample, T

_TOPLEVEL = {k: d for k, d in REGISTRY.items() if d.toplevel is not None}


def tree(fn) -> tuple:
    """A grad_fn's graph as nested (name, children) tuples; None where torch has None."""
    if fn is None:
        return None
    return (type(fn).__name__, tuple(tree(f) for f, _ in fn.next_functions))


@pytest.mark.parametrize("key", sorted(_TOPLEVEL))
def test_toplevel_spellings(key):
    """Each top-level spelling is torch's name, and the Tensor methods torch lacks stay absent."""
    decl = _TOPLEVEL[key]
    assert hasattr(torch, decl.name) and tensorish.__dict__[decl.name] is decl.toplevel
    assert (decl.toplevel_inplace is not None) == hasattr(torch, decl.name + "_")
    if decl.toplevel_inplace is not None:
        assert tensorish.__dict__[decl.name + "_"] is decl.toplevel_inplace
    assert hasattr(tensorish.Tensor, decl.name) == hasattr(torch.Tensor, decl.name)
    assert hasattr(tensorish.Tensor, decl.name + "_") == hasattr(torch.Tensor, decl.name + "_")


@pytest.mark.parametrize(
    "key",
    sorted(
        k
        for k, d in _TOPLEVEL.items()
        if d.fn in (d.toplevel, getattr(d.toplevel, "__wrapped__", None)) and d.samples
    ),
)
def test_toplevel_same_function(key):
    """Where the top-level spelling is the functional itself, torch's answers the same."""
    decl = _TOPLEVEL[key]
    sample = decl.samples[0]
    check_op(
        sample.shapes,
        lambda *xs: sample.call(getattr(torch, decl.name), list(xs)),
        lambda *xs: sample.call(getattr(tensorish, decl.name), list(xs)),
        each_node=True,
        rtol=sample.rtol,
        atol=sample.atol,
    )


_KINK = ((2, 5),)
# Top-level and method spellings whose arguments differ from the functional's.
_VARIANTS = {
    "relu": Sample(_KINK),
    "selu": Sample(_KINK),
    "celu": Sample(_KINK, args=(1.5,)),
    "threshold": Sample(_KINK, args=(1.0, -2.0)),
    "softmax": Sample(_KINK, args=(1,)),
    "log_softmax": Sample(_KINK, kwargs={"dim": 0, "dtype": None}),
    "dropout": Sample(_KINK, args=(0.5, False)),
    "batch_norm": Sample(((4, 3), (3,), (3,)), args=(T, T, T, None, None, True, 0.1, 1e-5, True)),
    "layer_norm": Sample(((2, 3, 4), (4,), (4,)), args=(T, (4,), T, T, 1e-5, True)),
    "group_norm": Sample(((3, 4, 5), (4,), (4,)), args=(T, 2, T, T, 1e-5, True)),
    "binary_cross_entropy_with_logits": Sample(((4, 5), (4, 5)), args=(T, T, None, None, 2)),
    "kl_div": Sample(((4, 5), (4, 5)), args=(0,), kwargs={"log_target": True}),
    "cosine_embedding_loss": Sample(((4, 5), (4, 5), (4,)), args=(0.1, 0), grad=False),
    "margin_ranking_loss": Sample(((6,), (6,), (6,)), args=(0.2, 1)),
    "prelu": Sample(((2, 3, 4), (3,))),
}


@pytest.mark.parametrize("name", sorted(_VARIANTS))
def test_toplevel_variant(name):
    sample = _VARIANTS[name]
    check_op(
        sample.shapes,
        lambda *xs: sample.call(getattr(torch, name), list(xs)),
        lambda *xs: sample.call(getattr(tensorish, name), list(xs)),
        each_node=True,
        grad=sample.grad,
    )


@pytest.mark.parametrize("name", ["relu", "softmax", "log_softmax", "prelu"])
def test_tensor_method(name):
    sample = _VARIANTS[name]
    check_op(
        sample.shapes,
        lambda *xs: sample.call(getattr(torch.Tensor, name), list(xs)),
        lambda *xs: sample.call(getattr(tensorish.Tensor, name), list(xs)),
        each_node=True,
    )


def test_embedding_toplevel():
    """``torch.embedding(weight, indices, padding_idx=-1)``: weight first, -1 for no padding."""
    w = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    idx = np.array([[0, 2], [4, 2]])
    for pad in (-1, 2):
        wt, ws = (lib.tensor(w, requires_grad=True) for lib in (torch, tensorish))
        out_t = torch.embedding(wt, torch.tensor(idx), pad)
        out_s = tensorish.embedding(ws, tensorish.tensor(idx), pad)
        assert_same(out_t, out_s, "forward")
        out_t.sum().backward()
        out_s.sum().backward()
        assert_same(wt.grad, ws.grad, "backward")


@pytest.mark.parametrize("name", ["relu", "selu", "celu", "dropout", "threshold"])
def test_toplevel_inplace(name):
    """``torch.relu_(x)`` and the like change ``x`` and record the op on it."""
    args = {"dropout": (0.5, False), "threshold": (0.5, 0.0)}.get(name, ())

    def run(lib):
        x = lib.tensor([[-1.0, 0.5, 2.0]], requires_grad=True)
        y = x * 2
        out = getattr(lib, name + "_")(y, *args)
        assert out is y
        y.sum().backward()
        return y.detach(), x.grad

    (yt, gt), (ys, gs) = run(torch), run(tensorish)
    assert_same(yt, ys, "forward")
    assert_same(gt, gs, "backward")


def test_inplace_on_a_leaf_fails_as_torch():
    assert_same_error(lambda lib: lib.relu_(lib.ones(2, requires_grad=True)))
    assert_same_error(lambda lib: lib.ones(2, requires_grad=True).relu_())


@pytest.mark.parametrize("shape", [(4, 3), (2, 4, 3), (3,)], ids=str)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("input_grad", [False, True])
def test_linear_graph(shape, bias, input_grad):
    """``nn.Linear``'s output has torch's graph: addmm (bias, input, t(weight)) or mm, with the
    views torch records around an input that is not a matrix."""
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    w = np.random.default_rng(2).normal(size=(2, 3)).astype("float32")
    outs, grads = [], []
    for lib in (torch, tensorish):
        lin = lib.nn.Linear(3, 2, bias=bias)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(w))
            if bias:
                lin.bias.fill_(0.5)
        xi = lib.tensor(x, requires_grad=input_grad)
        y = lin(xi)
        outs.append(y)
        (y * lib.arange(y.numel()).reshape(y.shape)).sum().backward()
        grads.append((lin.weight.grad, xi.grad))
    assert tree(outs[1].grad_fn) == tree(outs[0].grad_fn)
    assert_same(outs[0], outs[1], "forward")
    assert_same(grads[0][0], grads[1][0], "weight grad")
    if input_grad:
        assert_same(grads[0][1], grads[1][1], "input grad")


# -- nn.attention ------------------------------------------------------------------------

_SDPA_CASES = {
    "flash": (["FLASH_ATTENTION"], (1, 2, 4, 8), {}),
    "flash, dropout": (["FLASH_ATTENTION"], (1, 2, 4, 8), {"dropout_p": 0.3}),
    "flash then math, dropout": (["FLASH_ATTENTION", "MATH"], (1, 2, 4, 8), {"dropout_p": 0.3}),
    "flash, 3-D": (["FLASH_ATTENTION"], (2, 4, 8), {}),
    "flash and efficient, 3-D": (["FLASH_ATTENTION", "EFFICIENT_ATTENTION"], (2, 4, 8), {}),
    "efficient": (["EFFICIENT_ATTENTION"], (1, 2, 4, 8), {}),
    "cudnn": (["CUDNN_ATTENTION"], (1, 2, 4, 8), {}),
    "overrideable": (["OVERRIDEABLE"], (1, 2, 4, 8), {}),
    "none": ([], (1, 2, 4, 8), {}),
    "math": (["MATH"], (1, 2, 4, 8), {}),
    "math, 3-D": (["MATH"], (2, 4, 8), {}),
    "flash, mask": (["FLASH_ATTENTION"], (1, 2, 4, 8), {"attn_mask": np.tril(np.ones((4, 4)))}),
    "default, 5-D": (None, (2, 1, 2, 4, 8), {}),
    "default, dropout": (None, (1, 2, 4, 8), {"dropout_p": 0.2}),
}


def _sdpa(lib, backends, shape, kw):
    """The attention's grad_fn name (or its error) and the warnings, under ``backends``."""
    attention = importlib.import_module(f"{lib.__name__}.nn.attention")
    q = lib.tensor(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape), dtype=lib.float32)
    q.requires_grad_()
    kw = {k: lib.tensor(v, dtype=lib.float32) if k == "attn_mask" else v for k, v in kw.items()}
    chosen = [getattr(attention.SDPBackend, b) for b in backends or ()]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            if backends is None:
                out = lib.nn.functional.scaled_dot_product_attention(q, q, q, **kw)
            else:
                with attention.sdpa_kernel(chosen):
                    out = lib.nn.functional.scaled_dot_product_attention(q, q, q, **kw)
            result = type(out.grad_fn).__name__, tuple(out.shape)
        except RuntimeError as e:
            result = "RuntimeError", str(e)
    said = [str(w.message).split(" (Triggered internally")[0] for w in record]
    return result, said


@pytest.mark.parametrize("case", sorted(_SDPA_CASES))
def test_sdpa_kernel_choice(case):
    """The kernel chosen (by its grad_fn), PyTorch's error and warnings when none can run."""
    assert _sdpa(tensorish, *_SDPA_CASES[case]) == _sdpa(torch, *_SDPA_CASES[case])


_FIXED_MASK = Given(np.tril(np.ones((3, 5), bool)).tolist(), "bool")


@pytest.mark.parametrize(
    "backend, mask", [("MATH", (3, 5)), ("FLASH_ATTENTION", _FIXED_MASK)], ids=["math", "flash"]
)
def test_sdpa_kernel_values(backend, mask):
    """Values and gradients under each CPU backend (the flash kernel takes no mask that
    requires grad)."""

    def run(lib):
        def fn(q, k, v, mask):
            attention = lib.nn.attention
            with attention.sdpa_kernel(getattr(attention.SDPBackend, backend)):
                return lib.nn.functional.scaled_dot_product_attention(q, k, v, mask, scale=0.3)

        return fn

    check_op(((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 4), mask), run(torch), run(tensorish))


def test_sdpa_backend_enum():
    names = lambda lib: {
        n: (int(b), repr(b), str(b)) for n, b in lib.nn.attention.SDPBackend.__members__.items()
    }  # noqa: E731
    assert names(tensorish) == names(torch)
    assert {"SDPBackend", "sdpa_kernel"} <= set(tensorish.nn.attention.__all__)


def test_sdpa_kernel_restores_and_orders():
    """The previous backends come back on exit, even after an error; ``set_priority`` puts the
    listed backends first."""
    from tensorish._mode import mode

    B = tensorish.nn.attention.SDPBackend
    before = mode.sdpa_enabled, mode.sdpa_order
    with pytest.raises(ZeroDivisionError):
        with tensorish.nn.attention.sdpa_kernel([B.CUDNN_ATTENTION, B.MATH], set_priority=True):
            assert mode.sdpa_enabled == {3, 0}
            assert mode.sdpa_order == (3, 0, 1, 2, 4)
            1 / 0  # noqa: B018
    assert (mode.sdpa_enabled, mode.sdpa_order) == before


@pytest.mark.parametrize("bad", ["math", 0, (0,)])
def test_sdpa_kernel_bad_backends(bad):
    assert_same_error(lambda lib: lib.nn.attention.sdpa_kernel(bad).__enter__())


# -- Tensor metadata and the ops real programs use ------------------------------------------


@pytest.mark.parametrize("shape", [(2, 3, 4), (5,), (), (0, 3)], ids=str)
def test_metadata(shape):
    """What programs read off a tensor: strides (contiguous), sizes in bytes, device, layout,
    and the storage kinds a tensorish tensor never is."""

    def info(lib):
        x = lib.ones(shape)
        y = x * 2
        return (
            x.stride(),
            [x.stride(d) for d in range(x.ndim)],
            x.storage_offset(),
            x.nbytes,
            x.itemsize,
            x.is_cpu,
            x.get_device(),
            repr(x.layout).split(".")[1],
            y.output_nr,
            [x.is_sparse, x.is_quantized, x.is_meta, x.is_mkldnn, x.is_nested, x.is_sparse_csr],
            x.is_conj(),
            x.is_neg(),
            x.is_signed(),
            x.is_inference(),
            lib.is_same_size(x, y),
            lib.numel(x),
        )

    assert info(tensorish) == info(torch)


def test_data_ptr_and_inference():
    x = tensorish.ones(4)
    assert x.data_ptr() != 0 and x.data_ptr() == x.data_ptr()
    for lib in (torch, tensorish):
        with lib.inference_mode():
            a = lib.ones(2)
        assert a.is_inference() and lib.is_inference(a) and not lib.ones(2).is_inference()
    assert [lib.uint8.is_signed for lib in (torch, tensorish)] == [False, False]
    assert (tensorish.pi, tensorish.e, tensorish.inf) == (torch.pi, torch.e, torch.inf)
    assert repr(tensorish.strided) == "tensorish.strided"


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.ones(2, 2).is_nonzero(),
        lambda lib: lib.ones(0).is_nonzero(),
        lambda lib: lib.imag(lib.ones(2)),
        lambda lib: lib.tensor([True]).positive(),
        lambda lib: lib.ones(3).adjoint(),
        lambda lib: lib.frexp(lib.tensor([1])),
        lambda lib: lib.gcd(lib.ones(2), lib.ones(2)),
        lambda lib: lib.ones(4, 6).unfold(0, 5, 1),
        lambda lib: lib.ones(4, 6).unfold(0, 2, 0),
        lambda lib: lib.ones(4, 6).hsplit(4),
        lambda lib: lib.ones(4).vsplit(2),
        lambda lib: lib.ones(4, 6).dsplit(2),
        lambda lib: lib.ones(4, 6).sum_to_size(3, 6),
        lambda lib: lib.select_scatter(lib.ones(4, 6), lib.ones(5), 0, 0),
        lambda lib: lib.slice_scatter(lib.ones(4, 6), lib.ones(2, 6), 0, 0, 1),
        lambda lib: lib.diagonal_scatter(lib.ones(4, 6), lib.ones(3)),
        lambda lib: lib.ones(2, 3).quantile(1.5),
        lambda lib: lib.ones(2, 3).quantile(0.3, interpolation="bad"),
        lambda lib: lib.ones(2, 3, dtype=lib.int64).quantile(0.3),
        lambda lib: lib.ones(2, 3).quantile(lib.ones(1, 1) / 2),
        lambda lib: lib.histogram(lib.tensor([1, 2]), 2),
        lambda lib: lib.ones(2, 3).put(lib.tensor([6]), lib.tensor([1.0])),
        lambda lib: lib.ones(2, 3).put(lib.tensor([1, 2]), lib.tensor([1.0])),
        lambda lib: lib.ones(2, 3).index_reduce(0, lib.tensor([0]), lib.ones(1, 3), "sum"),
        lambda lib: lib.ones(3).fill_diagonal_(1.0),
        lambda lib: lib.ones(2, 3, 3).fill_diagonal_(1.0),
        lambda lib: lib.ones(2, 3, 4).cov(),
        lambda lib: lib.tensor(1.0).diff(),
    ],
)
def test_errors(call):
    assert_same_error(call)


@pytest.mark.filterwarnings("ignore:index_reduce")
@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.frexp(lib.tensor([8.0, -0.3, 0.0])),
        lambda lib: lib.histogram(lib.tensor([1.0, 2.0, 1.0, 5.0]), lib.tensor([0.0, 1.5, 6.0])),
        lambda lib: lib.unique_consecutive(lib.tensor([1, 1, 2, 2, 3, 1]), return_counts=True),
        lambda lib: lib.zeros(7, 3).fill_diagonal_(1.0, wrap=True),
        lambda lib: lib.zeros(3, 3, 3).fill_diagonal_(2.0),
        lambda lib: lib.ones(2, 3).quantile(0.25, dim=None, keepdim=True),
        lambda lib: lib.ones(4).cov(fweights=lib.tensor([1, 2, 1, 1]), aweights=lib.ones(4) / 2),
        lambda lib: lib.tensor([True, False, False]).diff(),
        lambda lib: lib.ones(2, 2).index_reduce(0, lib.tensor([1]), lib.ones(1, 2) * 3, "mean"),
        lambda lib: lib.tensor([1, 2]).angle(),
        lambda lib: lib.ldexp(lib.tensor([1, 2]), lib.tensor([3, 1])),
        lambda lib: lib.tensor([1 + 2j, 3j]).conj().imag,
        lambda lib: lib.ones(3, 3).tril_(),
        lambda lib: lib.ones(2, 3).swapdims_(0, 1),
    ],
)
def test_values(call):
    assert_same(call(torch), call(tensorish), "forward")


def test_index_reduce_warns_once():
    """As torch's, the beta warning comes once per process."""
    from tensorish.ops._index import _beta_warning

    _beta_warning.cache_clear()
    with pytest.warns(UserWarning, match="index_reduce\\(\\) is in beta"):
        tensorish.ones(2).index_reduce(0, tensorish.tensor([0]), tensorish.ones(1), "amax")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tensorish.ones(2).index_reduce(0, tensorish.tensor([0]), tensorish.ones(1), "amax")


@pytest.mark.parametrize(
    "call",
    [
        lambda lib, x: x.flip(dims=[0]),
        lambda lib, x: lib.flip(x, dims=(0,)),
        lambda lib, x: x.sum(axis=0),
        lambda lib, x: x.sum(0, keepdims=True),
        lambda lib, x: x.mean(axis=1),
        lambda lib, x: x.max(axis=1).values,
        lambda lib, x: x.permute(dims=(1, 0)),
        lambda lib, x: lib.cat([x, x], axis=1),
        lambda lib, x: x.cumsum(axis=1),
        lambda lib, x: x.view(size=(3, 2)),
        lambda lib, x: x.reshape(shape=(3, 2)),
        lambda lib, x: x[:1].expand(size=(4, 3)),
        lambda lib, x: x.softmax(axis=0),
        lambda lib, x: lib.softmax(x, axis=0),
    ],
)
def test_keyword_spellings(call):
    """The keywords PyTorch's argument parser takes besides the documented ones."""
    x = np.array([[0.1, 0.5, 0.9], [0.2, 0.4, 0.8]], "float32")
    assert_same(call(torch, torch.tensor(x)), call(tensorish, tensorish.tensor(x)), "forward")


def test_functional_takes_no_numpy_keywords():
    """nn.functional's ops are Python functions in PyTorch: no ``axis`` there."""
    for lib in (torch, tensorish):
        with pytest.raises(TypeError, match="axis"):
            lib.nn.functional.softmax(lib.ones(2), axis=0)


@pytest.mark.parametrize("kernel", ["flash", "mem_efficient", "math", "cudnn"])
def test_backend_sdp_switches(kernel):
    """``torch.backends.cuda.enable_<kernel>_sdp`` is the switch sdpa_kernel sets."""
    B = tensorish.nn.attention.SDPBackend
    member = {"flash": "FLASH_ATTENTION", "mem_efficient": "EFFICIENT_ATTENTION"}.get(
        kernel, kernel.upper() + ("_ATTENTION" if kernel == "cudnn" else "")
    )
    cuda = tensorish.backends.cuda
    enabled = getattr(cuda, f"{kernel}_sdp_enabled")
    assert enabled()
    with tensorish.nn.attention.sdpa_kernel([b for b in B if b.name != member]):
        assert not enabled()
    getattr(cuda, f"enable_{kernel}_sdp")(False)
    try:
        assert not enabled() and getattr(torch.backends.cuda, f"{kernel}_sdp_enabled")()
    finally:
        getattr(cuda, f"enable_{kernel}_sdp")(True)
    assert enabled()


def test_host_memory_methods():
    """pin_memory needs an accelerator, as torch's; sharing and densifying give the tensor."""
    if not tensorish.accelerator.is_available():
        assert_same_error(lambda lib: lib.ones(2).pin_memory())
    x = tensorish.ones(2)
    assert x.share_memory_() is x and x.to_dense() is x and not x.is_pinned()
    assert x.to_dense(tensorish.float64).dtype is tensorish.float64
    assert x.const_data_ptr() == x.data_ptr()
    assert not any(getattr(x, f"is_{d}") for d in ("mps", "xpu", "xla", "ipu", "vulkan"))
