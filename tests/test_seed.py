"""Each cell of the seed notebook (shared/seed/variables_and_gradients.md), torch vs tensorish."""

import re

import pytest
import torch

import tensorish


def _variable(m):
    return m.autograd.Variable(m.ones(2, 2), requires_grad=True)


def _twos(m):
    return m.tensor([[2.0, 2.0], [2.0, 2.0]], requires_grad=True)


def _ones(m):
    return m.ones((2, 2)).requires_grad_(True)


def _y(m):
    x = m.ones(2, requires_grad=True)
    return x, 5 * (x + 1) ** 2


def _output(m):
    x, y = _y(m)
    return x, (1 / len(y)) * m.sum(y)


def _grad_after_backward(m):
    x, out = _output(m)
    out.backward()
    return x.grad


def _grad_before_backward(m):
    return m.ones(2, requires_grad=True).grad


CELLS = {
    "2 Variable": _variable,
    "3 requires_grad=True": lambda m: m.ones((2, 2), requires_grad=True),
    "4 no grad": lambda m: m.ones((2, 2)),
    "5 requires_grad flag": lambda m: m.ones((2, 2), requires_grad=True).requires_grad,
    "6 no requires_grad flag": lambda m: m.ones((2, 2)).requires_grad,
    "7 tensor requires_grad": _twos,
    "8 requires_grad_": _ones,
    "9 add": lambda m: _ones(m) + _twos(m),
    "10 mul": lambda m: m.mul(_ones(m), _twos(m)),
    "11 matmul": lambda m: m.matmul(_ones(m), _twos(m)),
    "12 add grad_fn": lambda m: (_ones(m) + _twos(m)).grad_fn,
    "13 mul grad_fn": lambda m: m.mul(_ones(m), _twos(m)).grad_fn,
    "14 matmul grad_fn": lambda m: m.matmul(_ones(m), _twos(m)).grad_fn,
    "15 x": lambda m: _y(m)[0],
    "16 x.grad": _grad_before_backward,
    "17 y": lambda m: _y(m)[1],
    "19 output": lambda m: _output(m)[1],
    "21 x.grad": _grad_after_backward,
}


def _text(value) -> str:
    text = re.sub(r"0x[0-9a-fA-F]+", "0x?", repr(value))
    return text.replace("tensorish.", "torch.")


@pytest.mark.parametrize("cell", list(CELLS), ids=list(CELLS))
def test_cell(cell):
    assert _text(CELLS[cell](tensorish)) == _text(CELLS[cell](torch))


def test_cell_18_backward_of_vector_fails_like_torch():
    errors = []
    for m in (torch, tensorish):
        _, y = _y(m)
        with pytest.raises(RuntimeError) as e:
            y.backward()
        errors.append(str(e.value))
    assert errors[0] == errors[1] == "grad can be implicitly created only for scalar outputs"
