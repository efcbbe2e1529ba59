"""Variable-length batches for the recurrent layers, as ``torch.nn.utils.rnn``.

A ``PackedSequence`` holds the steps of several sequences, sorted by decreasing length, time
step by time step: ``data`` row ``k`` is one sequence's step, ``batch_sizes[t]`` says how many
sequences are still running at step ``t``. Packing and padding are index gathers built on the
host from the (host) lengths, so each is one op on the device.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from ... import _creation, _dtype
from ..._tensor import Tensor
from ...ops import cat

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(PackedSequence_):
    """The packed steps of a batch of sequences (made by ``pack_padded_sequence`` or
    ``pack_sequence``); every recurrent layer accepts one.

    >>> import tensorish
    >>> from tensorish.nn.utils.rnn import pack_sequence
    >>> pack_sequence([tensorish.tensor([1, 2, 3]), tensorish.tensor([4, 5])])
    PackedSequence(data=tensor([1, 4, 2, 5, 3]), batch_sizes=tensor([2, 2, 1]), \
sorted_indices=None, unsorted_indices=None)
    """

    def __new__(
        cls,
        data: Tensor,
        batch_sizes: Tensor | None = None,
        sorted_indices: Tensor | None = None,
        unsorted_indices: Tensor | None = None,
    ) -> PackedSequence:
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence"
            )
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """``data`` converted as ``Tensor.to`` does (the indices follow its device);
        ``self`` if nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        sorted_indices, unsorted_indices = (
            None if t is None else t.to(data.device)
            for t in (self.sorted_indices, self.unsorted_indices)
        )
        return type(self)(data, self.batch_sizes, sorted_indices, unsorted_indices)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def cuda(self, device: Any = None) -> PackedSequence:
        return self.to("cuda" if device is None else device)

    def double(self) -> PackedSequence:
        return self.to(dtype=_dtype.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=_dtype.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=_dtype.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=_dtype.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=_dtype.int32)

    def short(self) -> PackedSequence:
        return self.to(dtype=_dtype.int16)

    def char(self) -> PackedSequence:
        return self.to(dtype=_dtype.int8)

    def byte(self) -> PackedSequence:
        return self.to(dtype=_dtype.uint8)

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def _int64(values: list, device: Any = None) -> Tensor:
    return _creation.tensor(values, dtype=_dtype.int64, device=device)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation (None stays None).

    >>> import tensorish
    >>> from tensorish.nn.utils.rnn import invert_permutation
    >>> invert_permutation(tensorish.tensor([2, 0, 1]))
    tensor([1, 2, 0])
    """
    if permutation is None:
        return None
    order = permutation.tolist()
    inverse = [0] * len(order)
    for i, p in enumerate(order):
        inverse[p] = i
    return _int64(inverse, permutation.device)


def _lengths_list(lengths: Tensor | Iterable[int]) -> list[int]:
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise RuntimeError(
                "'lengths' argument should be a 1D CPU int64 tensor, but got "
                f"{lengths.ndim}D cpu Long tensor"
            )
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def _batch_sizes(lengths: list[int]) -> list[int]:
    return [sum(1 for n in lengths if n > t) for t in range(lengths[0])]


def _lengths(batch_sizes: list[int]) -> list[int]:
    return [sum(1 for n in batch_sizes if n > b) for b in range(batch_sizes[0])]


def _packed_rows(batch_sizes: list[int], batch: int) -> list[int]:
    """For each packed row, its position in the time-major (T * batch) padded layout."""
    return [t * batch + b for t, n in enumerate(batch_sizes) for b in range(n)]


def _packed(padded: Tensor, sizes: list[int]) -> Tensor:
    """The packed rows of a time-major padded batch (``len(sizes)`` steps)."""
    steps, batch = padded.shape[:2]
    flat = padded.reshape(steps * batch, *padded.shape[2:])
    return flat.index_select(0, _int64(_packed_rows(sizes, batch), padded.device))


def _padded(data: Tensor, sizes: list[int], steps: int, value: float = 0.0) -> Tensor:
    """The time-major ``steps x batch x *`` padded batch of packed rows ``data``."""
    batch, rows = sizes[0], data.shape[0]
    source = [rows] * (steps * batch)  # row ``rows`` is the padding row appended below
    for k, pos in enumerate(_packed_rows(sizes, batch)):
        source[pos] = k
    pad = _creation.full((1, *data.shape[1:]), value, dtype=data.dtype, device=data.device)
    padded = cat([data, pad]).index_select(0, _int64(source, data.device))
    return padded.reshape(steps, batch, *data.shape[1:])


def pack_padded_sequence(
    input: Tensor,
    lengths: Tensor | list[int],
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded ``T x B x *`` (or ``B x T x *``) batch of sequences of ``lengths``.

    >>> import tensorish
    >>> from tensorish.nn.utils.rnn import pack_padded_sequence
    >>> seq = tensorish.tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6]])
    >>> pack_padded_sequence(seq, [2, 1, 3], batch_first=True, enforce_sorted=False).data
    tensor([4, 1, 3, 5, 2, 6])
    """
    lens = _lengths_list(lengths)
    sorted_indices = None
    if not enforce_sorted:
        order = sorted(range(len(lens)), key=lambda i: -lens[i])
        lens = [lens[i] for i in order]
        sorted_indices = _int64(order, input.device)
        input = input.index_select(0 if batch_first else 1, sorted_indices)
    if input.ndim < 2:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [-{input.ndim}, "
            f"{input.ndim - 1}], but got 1)"
        )
    batch = input.shape[0 if batch_first else 1]
    if len(lens) != batch:
        raise RuntimeError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(lens)} "
            f"(batch_size={batch})"
        )
    if lens[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    if any(a < b for a, b in zip(lens, lens[1:])):
        raise RuntimeError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
            "to sidestep this requirement if you do not need ONNX exportability."
        )
    if batch_first:
        input = input.transpose(0, 1)
    sizes = _batch_sizes(lens)
    return PackedSequence(_packed(input[: len(sizes)], sizes), _int64(sizes), sorted_indices, None)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Undo ``pack_padded_sequence``: the padded batch (in the original order) and the lengths.

    >>> import tensorish
    >>> from tensorish.nn.utils.rnn import pack_sequence, pad_packed_sequence
    >>> packed = pack_sequence([tensorish.tensor([1, 2]), tensorish.tensor([3])])
    >>> pad_packed_sequence(packed, batch_first=True)
    (tensor([[1, 2],
            [3, 0]]), tensor([2, 1]))
    """
    sizes = [int(n) for n in sequence.batch_sizes.tolist()]
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    padded = _padded(sequence.data, sizes, steps, padding_value)
    lengths = _lengths(sizes)
    if batch_first:
        padded = padded.transpose(0, 1)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:
        padded = padded.index_select(0 if batch_first else 1, unsorted)
        lengths = [lengths[i] for i in unsorted.tolist()]
    return padded, _int64(lengths)


def pad_sequence(
    sequences: Tensor | Iterable[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of different lengths into one ``T x B x *`` (or ``B x T x *``) tensor,
    padded with ``padding_value`` on ``padding_side``.

    >>> import tensorish
    >>> from tensorish.nn.utils.rnn import pad_sequence
    >>> pad_sequence([tensorish.ones(3), tensorish.ones(1)], batch_first=True)
    tensor([[1., 1., 1.],
            [1., 0., 0.]])
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences)}"
        )
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    first = sequences[0]
    if first.ndim == 0:
        raise RuntimeError("ArrayRef: invalid slice, N = 1; size = 0")
    longest = max(s.shape[0] for s in sequences)
    trailing = tuple(first.shape[1:])
    for s in sequences:
        for d, (a, b) in enumerate(zip(reversed(s.shape[1:]), reversed(trailing))):
            if a != b and a != 1:
                raise RuntimeError(
                    f"The size of tensor a ({b}) must match the size of tensor b ({a}) at "
                    f"non-singleton dimension {len(trailing) - d}"
                )
    shape = (len(sequences), longest) if batch_first else (longest, len(sequences))
    out = _creation.full(shape + trailing, padding_value, dtype=first.dtype, device=first.device)
    for i, s in enumerate(sequences):
        n = s.shape[0]
        steps = slice(0, n) if padding_side == "right" else slice(longest - n, longest)
        if batch_first:
            out[i, steps] = s
        else:
            out[steps, i] = s
    return out


def unpad_sequence(
    padded_sequences: Tensor, lengths: Tensor, batch_first: bool = False
) -> list[Tensor]:
    """Split a padded batch back into its sequences (a list, one tensor each).

    >>> import tensorish
    >>> from tensorish.nn.utils.rnn import unpad_sequence
    >>> [s.shape for s in unpad_sequence(tensorish.zeros(3, 2), tensorish.tensor([3, 1]))]
    [tensorish.Size([3]), tensorish.Size([1])]
    """
    if not batch_first:
        padded_sequences.transpose_(0, 1)  # in place, as PyTorch does
    steps = _creation.arange(padded_sequences.shape[1], device=lengths.device)
    return [seq[steps < n] for seq, n in zip(padded_sequences, lengths, strict=True)]


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (``pad_sequence`` then ``pack_padded_sequence``).

    >>> import tensorish
    >>> from tensorish.nn.utils.rnn import pack_sequence
    >>> pack_sequence([tensorish.tensor([1]), tensorish.tensor([2, 3])], False).batch_sizes
    tensor([2, 1])
    """
    lengths = [v.shape[0] for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences a ``PackedSequence`` holds, in their original order.

    >>> import tensorish
    >>> from tensorish.nn.utils.rnn import pack_sequence, unpack_sequence
    >>> unpack_sequence(pack_sequence([tensorish.tensor([1, 2]), tensorish.tensor([3])]))
    [tensor([1, 2]), tensor([3])]
    """
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
