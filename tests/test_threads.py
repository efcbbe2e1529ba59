"""Threads: tensorish.compile's trace is per thread (``mode.trace``), so eager training in one
thread while another thread traces a compiled step gives, bit for bit, what each gives alone."""

import threading

import numpy as np

import tensorish

RNG = np.random.default_rng(0)
X = RNG.standard_normal((16, 6)).astype(np.float32)
Y = RNG.standard_normal((16, 3)).astype(np.float32)
W1 = RNG.standard_normal((6, 8)).astype(np.float32)
W2 = RNG.standard_normal((8, 3)).astype(np.float32)


def _model():
    w1 = tensorish.tensor(W1, requires_grad=True)
    w2 = tensorish.tensor(W2, requires_grad=True)
    return [w1, w2], tensorish.optim.SGD([w1, w2], lr=0.05)


def _train(compiled: bool, steps: int = 6) -> list:
    """Losses and final weights of a small regression, eager or as a compiled step (traced
    afresh on each run: a new compiled function)."""
    (w1, w2), opt = _model()
    x, y = tensorish.tensor(X), tensorish.tensor(Y)

    def step(x, y):
        opt.zero_grad()
        loss = (((x @ w1).tanh() @ w2 - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    if compiled:
        step = tensorish.compile(step)
    losses = [step(x, y).item() for _ in range(steps)]
    return [np.array(losses), w1.detach().numpy(), w2.detach().numpy()]


def _same(a: list, b: list) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b))


def test_eager_training_beside_a_compile_trace_in_another_thread():
    _train(False), _train(True)  # warm: the fused backward programs, the jit caches
    eager_alone, compiled_alone = _train(False), _train(True)
    done = threading.Event()
    eager_runs: list = []
    compiled_runs: list = []
    errors: list = []

    def eager() -> None:
        try:
            while not done.is_set() or not eager_runs:
                eager_runs.append(_train(False))
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    def traced() -> None:
        try:
            for _ in range(4):
                compiled_runs.append(_train(True))  # each run traces its step once
        except BaseException as e:
            errors.append(e)
        finally:
            done.set()

    threads = [threading.Thread(target=eager), threading.Thread(target=traced)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=600)
    assert not errors, errors
    assert len(compiled_runs) == 4 and eager_runs
    assert all(_same(r, eager_alone) for r in eager_runs)
    assert all(_same(r, compiled_alone) for r in compiled_runs)
