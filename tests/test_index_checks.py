"""Out-of-range indices inside ``tensorish.compile``: the step raises torch's error after the
call (never a silent value) and leaves every piece of state as it was; a good index then runs
the same compiled step. Eager out-of-range calls are rows of tests/test_bad_calls.py."""

import numpy as np
import pytest
import torch

import tensorish

CASES = {  # name: (fn(F, weight, index), a good index, a bad one)
    "embedding": (lambda F, w, i: F.embedding(i, w), [0, 4, 1], [0, 5, 1]),
    "cross_entropy": (lambda F, w, i: F.cross_entropy(w[:3], i), [0, 2, 1], [0, 3, 1]),
    "nll_loss": (lambda F, w, i: F.nll_loss(w[:3], i, ignore_index=7), [0, 7, 1], [-1, 2, 1]),
    "gather": (lambda F, w, i: w.gather(0, i.reshape(1, 3)), [0, 4, 1], [0, 9, 1]),
    "index_select": (lambda F, w, i: w.index_select(0, i), [0, 4, 1], [0, 4, 5]),
    "take": (lambda F, w, i: w.take(i), [0, -1, 14], [0, 15, 1]),
    "one_hot": (lambda F, w, i: F.one_hot(i, 5).float() @ w, [0, 4, 1], [0, 5, 1]),
}


def _torch_error(fn, bad) -> Exception:
    w = torch.tensor(np.arange(15, dtype=np.float32).reshape(5, 3), requires_grad=True)
    with pytest.raises(Exception) as e:
        fn(torch.nn.functional, w, torch.tensor(bad))
    return e.value


@pytest.mark.parametrize("name", list(CASES))
def test_bad_index_fails_the_compiled_step(name):
    fn, good, bad = CASES[name]
    w = tensorish.tensor(np.arange(15, dtype=np.float32).reshape(5, 3), requires_grad=True)
    opt = tensorish.optim.SGD([w], lr=0.1)

    @tensorish.compile
    def step(i):
        opt.zero_grad()
        loss = fn(tensorish.nn.functional, w, i).sum()
        loss.backward()
        opt.step()
        return loss

    for _ in range(3):
        step(tensorish.tensor(good))
    before, grad, count = w.detach().clone(), w.grad.clone(), step.compile_count
    expected = _torch_error(fn, bad)
    with pytest.raises(type(expected)) as e:
        step(tensorish.tensor(bad))
    assert str(e.value) == str(expected)
    assert np.array_equal(np.asarray(w.jax()), np.asarray(before.jax()))
    assert np.array_equal(np.asarray(w.grad.jax()), np.asarray(grad.jax()))
    step(tensorish.tensor(good))
    assert step.compile_count == count
    assert not np.array_equal(np.asarray(w.jax()), np.asarray(before.jax()))
