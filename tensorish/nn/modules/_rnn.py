"""RNN, LSTM, GRU and their one-step cells: PyTorch's parameters (``weight_ih_l0``, ...) and
init; every layer and direction runs as one op (``lax.scan`` over time).

A ``PackedSequence`` runs layer by layer and direction by direction on the padded batch: each
sequence's outputs are exact whatever follows it (the scan is causal), the reverse direction
reads each sequence reversed within its own length, and the final state of each sequence is the
output at its last real step. An LSTM's final cell state is not an output of the scan: it is
rebuilt from the gates in closed form (``c_n = sum_s (prod_{r>s} f_r) i_s g_s + (prod f) c_0``),
the same function of the inputs, so values and gradients are the sequential ones.
"""

from __future__ import annotations

import math

from ... import _creation
from ..._tensor import Tensor
from ...ops import cat, stack, where
from .. import functional as F
from .. import init
from .._module import Module
from ..utils.rnn import PackedSequence, _int64, _lengths, _packed, _padded
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

    def _check_input(self, input: Tensor, dims: int) -> None:
        weight = self._flat_weights[0]
        if input.dtype != weight.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
                f"Convert input: input.to({weight.dtype}), or convert model: "
                f"model.to({input.dtype})"
            )
        if input.ndim != dims:
            raise RuntimeError(f"input must have {dims} dimensions, got {input.ndim}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                f"got {input.shape[-1]}"
            )

    def _check_hidden(self, states: list, batch: int) -> None:
        """Each given state has shape (layers * directions, batch, hidden_size)."""
        expect = (self.num_layers * (2 if self.bidirectional else 1), batch, self.hidden_size)
        lstm = self.mode == "LSTM"
        for k, shape in enumerate(states):
            if shape is not None and tuple(shape) != expect:
                label = f"hidden[{k}]" if lstm else "hidden"
                raise RuntimeError(f"Expected {label} size {expect}, got {list(shape)}")

    def _run(self, input: Tensor, hx, cx) -> tuple:
        name = {"LSTM": "LSTM", "GRU": "GRU"}.get(self.mode, "RNN")
        if input.ndim not in (2, 3):
            got = f"{input.ndim}D tensor" if name == "RNN" else f"{input.ndim}D"
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {got} instead")
        batched = input.ndim == 3
        states = [hx, cx] if self.mode == "LSTM" else [hx]
        if hx is not None:
            want, kind = (3, "batched 3-D") if batched else (2, "unbatched 2-D")
            if any(h.ndim != want for h in states):
                if self.mode == "LSTM":
                    raise RuntimeError(
                        f"For {kind} input, hx and cx should also be {want}-D but got "
                        f"({hx.ndim}-D, {cx.ndim}-D) tensors"
                    )
                raise RuntimeError(
                    f"For {kind} input, hx should also be {want}-D but got {hx.ndim}-D tensor"
                )
        self._check_input(input if batched else input.unsqueeze(0), 3)
        batch = input.shape[0 if self.batch_first else 1] if batched else 1
        self._check_hidden(
            [
                None if h is None else (h.shape if batched else (h.shape[0], 1, h.shape[1]))
                for h in states
            ],
            batch,
        )
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

    def _run_packed(self, input: PackedSequence, hx, cx) -> tuple:
        data, batch_sizes, sorted_indices, unsorted_indices = input
        sizes = [int(n) for n in batch_sizes.tolist()]
        steps, batch = len(sizes), sizes[0]
        dirs = 2 if self.bidirectional else 1
        hidden = self.hidden_size
        lstm = self.mode == "LSTM"
        states = [hx, cx] if lstm else [hx]
        for k, h in enumerate(states):
            if h is None:
                states[k] = _creation.zeros(
                    (self.num_layers * dirs, batch, hidden), dtype=data.dtype, device=data.device
                )
            elif sorted_indices is not None:
                states[k] = h.index_select(1, sorted_indices)
        self._check_input(data, 2)
        self._check_hidden([h.shape for h in states], batch)
        lengths = _lengths(sizes)
        last = _int64([(n - 1) * batch + b for b, n in enumerate(lengths)], data.device)
        rev = _int64(
            [
                (n - 1 - t if t < n else t) * batch + b
                for t in range(steps)
                for b, n in enumerate(lengths)
            ],
            data.device,
        )
        mask = _creation.tensor(
            [[[t < n] for n in lengths] for t in range(steps)], device=data.device
        )

        def reverse(x: Tensor) -> Tensor:  # each sequence reversed within its length
            return x.reshape(steps * batch, -1).index_select(0, rev).reshape(steps, batch, -1)

        per = 4 if self.bias else 2
        weights = self._flat_weights
        x = _padded(data, sizes, steps)
        finals: list[list[Tensor]] = [[] for _ in states]
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                idx = layer * dirs + d
                ws = weights[idx * per : (idx + 1) * per]
                seq = x if d == 0 else reverse(x)
                h0 = [s[idx : idx + 1] for s in states]
                out = F._rnn_forward(
                    self.mode,
                    seq,
                    h0[0],
                    h0[1] if lstm else None,
                    ws,
                    layers=1,
                    bidirectional=False,
                    batch_first=False,
                    dropout=0.0,
                    training=self.training,
                    has_bias=self.bias,
                    hidden=hidden,
                )[0]
                finals[0].append(out.reshape(steps * batch, hidden).index_select(0, last))
                if lstm:
                    finals[1].append(_last_cell(seq, out, h0[0][0], h0[1][0], ws, mask))
                outs.append(out if d == 0 else reverse(out))
            x = outs[0] if dirs == 1 else cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        output = PackedSequence(_packed(x, sizes), batch_sizes, sorted_indices, unsorted_indices)
        finals = [stack(f) for f in finals]
        if unsorted_indices is not None:
            finals = [f.index_select(1, unsorted_indices) for f in finals]
        return (output, *finals)

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


def _last_cell(seq: Tensor, out: Tensor, h0: Tensor, c0: Tensor, ws: list, mask: Tensor) -> Tensor:
    """An LSTM's cell state after each sequence's last real step, from its gates."""
    w_ih, w_hh, *bias = ws
    b_ih, b_hh = bias or (None, None)
    prev = cat([h0[None], out[:-1]])
    i, f, g, _ = (F.linear(prev, w_hh, b_hh) + F.linear(seq, w_ih, b_ih)).chunk(4, 2)
    log_f = where(mask, F.logsigmoid(f), 0.0)
    upto = log_f.flip(0).cumsum(0).flip(0)  # log of the product of f over steps >= t
    after = cat([upto[1:], _creation.zeros_like(upto[:1])])  # ... over steps > t
    return (where(mask, after.exp(), 0.0) * i.sigmoid() * g.tanh()).sum(0) + upto[0].exp() * c0


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

    def forward(self, input: Tensor | PackedSequence, hx: Tensor | None = None) -> tuple:
        if isinstance(input, PackedSequence):
            return self._run_packed(input, hx, None)
        return self._run(input, hx, None)

    def extra_repr(self) -> str:
        s = super().extra_repr()
        return s if self.nonlinearity == "tanh" else s + ", nonlinearity=relu"


class LSTM(RNNBase):
    """Long short-term memory; returns ``output, (h_n, c_n)``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("LSTM", **_args(args, kwargs, _NAMES + ("proj_size",)))

    def forward(
        self, input: Tensor | PackedSequence, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple:
        h, c = (None, None) if hx is None else hx
        run = self._run_packed if isinstance(input, PackedSequence) else self._run
        out, h_n, c_n = run(input, h, c)
        return out, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("GRU", **_args(args, kwargs, _NAMES))

    def forward(self, input: Tensor | PackedSequence, hx: Tensor | None = None) -> tuple:
        if isinstance(input, PackedSequence):
            return self._run_packed(input, hx, None)
        return self._run(input, hx, None)


# -- one-step cells ----------------------------------------------------------------------


class RNNCellBase(Module):
    """The parameters of one recurrent step: ``weight_ih``, ``weight_hh`` (and biases).

    >>> import tensorish
    >>> [n for n, _ in tensorish.nn.GRUCell(2, 3, bias=False).named_parameters()]
    ['weight_ih', 'weight_hh']
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        gate = num_chunks * hidden_size
        self.weight_ih = _param(gate, input_size, device=device, dtype=dtype)
        self.weight_hh = _param(gate, hidden_size, device=device, dtype=dtype)
        if bias:
            self.bias_ih = _param(gate, device=device, dtype=dtype)
            self.bias_hh = _param(gate, device=device, dtype=dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self) -> str:
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _inputs(self, input: Tensor, hx: tuple, name: str) -> tuple[bool, Tensor, tuple]:
        """Batch an unbatched step (adding zero states where none are given) and check it."""
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        batched = input.ndim == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = _creation.zeros(
                (input.shape[0], self.hidden_size), dtype=input.dtype, device=input.device
            )
            hx = (zeros,) * (2 if name == "LSTMCell" else 1)
        elif not batched:
            hx = tuple(h.unsqueeze(0) for h in hx)
        if input.shape[1] != self.input_size:
            raise RuntimeError(
                f"input has inconsistent input_size: got {input.shape[1]} expected "
                f"{self.input_size}"
            )
        for k, h in enumerate(hx):
            if input.shape[0] != h.shape[0]:
                raise RuntimeError(
                    f"Input batch size {input.shape[0]} doesn't match hidden{k} batch size "
                    f"{h.shape[0]}"
                )
            if h.shape[1] != self.hidden_size:
                raise RuntimeError(
                    f"hidden{k} has inconsistent hidden_size: got {h.shape[1]}, expected "
                    f"{self.hidden_size}"
                )
        return batched, input, hx


def _check_hidden(name: str, label: str, h: Tensor | None) -> None:
    if h is not None and h.ndim not in (1, 2):
        raise ValueError(f"{name}: Expected {label} to be 1D or 2D, got {h.ndim}D instead")


class RNNCell(RNNCellBase):
    """One Elman RNN step: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or relu).

    >>> import tensorish
    >>> tensorish.nn.RNNCell(3, 4)(tensorish.ones(2, 3)).shape
    tensorish.Size([2, 4])
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        _check_hidden("RNNCell", "hidden", hx)
        batched, input, (h,) = self._inputs(input, None if hx is None else (hx,), "RNNCell")
        pre = F.linear(h, self.weight_hh, self.bias_hh) + F.linear(
            input, self.weight_ih, self.bias_ih
        )
        if self.nonlinearity == "tanh":
            out = pre.tanh()
        elif self.nonlinearity == "relu":
            out = F.relu(pre)
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step; returns ``(h', c')``.

    >>> import tensorish
    >>> h, c = tensorish.nn.LSTMCell(3, 4)(tensorish.ones(2, 3))
    >>> h.shape, c.shape
    (tensorish.Size([2, 4]), tensorish.Size([2, 4]))
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        for k, h in enumerate(hx or ()):
            _check_hidden("LSTMCell", f"hx[{k}]", h)
        batched, input, (h, c) = self._inputs(input, hx, "LSTMCell")
        gates = F.linear(h, self.weight_hh, self.bias_hh) + F.linear(
            input, self.weight_ih, self.bias_ih
        )
        i, f, g, o = gates.chunk(4, 1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step.

    >>> import tensorish
    >>> tensorish.nn.GRUCell(3, 4)(tensorish.ones(3)).shape
    tensorish.Size([4])
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        _check_hidden("GRUCell", "hidden", hx)
        batched, input, (h,) = self._inputs(input, None if hx is None else (hx,), "GRUCell")
        ri, zi, ni = F.linear(input, self.weight_ih, self.bias_ih).chunk(3, 1)
        rh, zh, nh = F.linear(h, self.weight_hh, self.bias_hh).chunk(3, 1)
        r = (rh + ri).sigmoid()
        z = (zh + zi).sigmoid()
        n = (ni + nh * r).tanh()
        out = (h - n) * z + n
        return out if batched else out.squeeze(0)


__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]
