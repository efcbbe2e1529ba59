"""RNN, LSTM, GRU: PyTorch's parameters (``weight_ih_l0``, ...) and init; every layer and
direction runs as one op (``lax.scan`` over time)."""

from __future__ import annotations

import math

from ..._tensor import Tensor
from .. import functional as F
from .. import init
from .._module import Module
from ._layers import _param

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


class RNNBase(Module):
    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if (
            not isinstance(dropout, (int, float))
            or not 0 <= dropout <= 1
            or isinstance(dropout, bool)
        ):
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of "
                "an element being zeroed"
            )
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size:
            raise NotImplementedError("LSTM proj_size is not supported")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        gate = _GATES[mode] * hidden_size
        dirs = 2 if bidirectional else 1
        self._flat_weights_names = []
        for layer in range(num_layers):
            for d in range(dirs):
                in_size = input_size if layer == 0 else hidden_size * dirs
                suffix = "_reverse" if d == 1 else ""
                shapes = [
                    (f"weight_ih_l{layer}{suffix}", (gate, in_size)),
                    (f"weight_hh_l{layer}{suffix}", (gate, hidden_size)),
                ]
                if bias:
                    shapes += [
                        (f"bias_ih_l{layer}{suffix}", (gate,)),
                        (f"bias_hh_l{layer}{suffix}", (gate,)),
                    ]
                for name, shape in shapes:
                    setattr(self, name, _param(*shape, device=device, dtype=dtype))
                    self._flat_weights_names.append(name)
        self.reset_parameters()

    @property
    def _flat_weights(self) -> list:
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list:
        per = 4 if self.bias else 2
        w = self._flat_weights
        return [w[i : i + per] for i in range(0, len(w), per)]

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _run(self, input: Tensor, hx, cx) -> tuple:
        batched = input.ndim == 3
        if input.ndim not in (2, 3):
            raise ValueError(
                f"{type(self).__name__}: Expected input to be 2D or 3D, got {input.ndim}D instead"
            )
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {input.shape[-1]}"
            )
        dirs = 2 if self.bidirectional else 1
        if hx is not None:
            n = input.shape[0 if self.batch_first else 1] if batched else None
            expect = (
                (self.num_layers * dirs, n, self.hidden_size)
                if batched
                else (self.num_layers * dirs, self.hidden_size)
            )
            if tuple(hx.shape) != expect:
                raise RuntimeError(f"Expected hidden size {expect}, got {list(hx.shape)}")
        return F._rnn_forward(
            self.mode,
            input,
            hx,
            cx,
            self._flat_weights,
            layers=self.num_layers,
            bidirectional=self.bidirectional,
            batch_first=self.batch_first,
            dropout=self.dropout,
            training=self.training,
            has_bias=self.bias,
            hidden=self.hidden_size,
        )

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)


def _args(args: tuple, kwargs: dict, names: tuple) -> dict:
    out = dict(zip(names, args))
    out.update(kwargs)
    return out


_NAMES = (
    "input_size",
    "hidden_size",
    "num_layers",
    "bias",
    "batch_first",
    "dropout",
    "bidirectional",
)


class RNN(RNNBase):
    """Elman RNN with tanh (or relu) nonlinearity.

    >>> import tensorish
    >>> out, h = tensorish.nn.RNN(3, 4)(tensorish.ones(5, 2, 3))
    >>> out.shape, h.shape
    (tensorish.Size([5, 2, 4]), tensorish.Size([1, 2, 4]))
    """

    def __init__(self, *args, **kwargs) -> None:
        kw = _args(
            args,
            kwargs,
            (
                "input_size",
                "hidden_size",
                "num_layers",
                "nonlinearity",
                "bias",
                "batch_first",
                "dropout",
                "bidirectional",
            ),
        )
        nonlinearity = kw.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(
                f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'."
            )
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", **kw)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._run(input, hx, None)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + ", nonlinearity=relu"


class LSTM(RNNBase):
    """Long short-term memory; returns ``output, (h_n, c_n)``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", **_args(args, kwargs, _NAMES + ("proj_size",)))

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None):
        h, c = (None, None) if hx is None else hx
        out, h_n, c_n = self._run(input, h, c)
        return out, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("GRU", **_args(args, kwargs, _NAMES))

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:
        return self._run(input, hx, None)


__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]
