"""``(a*b + a).sum().backward()`` on 2x2 float32: tensorish vs torch eager, in one run.

Run: ``python bench/tiny.py``. Prints the median time per step of each and their ratio.
"""

from __future__ import annotations

import statistics
import timeit

import torch

import tensorish


def step(m, a, b):
    (a * b + a).sum().backward()


def median_us(fn, number: int = 2000, repeat: int = 15) -> float:
    fn()  # warm: compile and cache
    times = timeit.repeat(fn, number=number, repeat=repeat)
    return statistics.median(times) / number * 1e6


def main() -> None:
    ta, tb = torch.ones(2, 2, requires_grad=True), torch.ones(2, 2)
    sa, sb = tensorish.ones(2, 2, requires_grad=True), tensorish.ones(2, 2)
    t_torch = median_us(lambda: step(torch, ta, tb))
    t_ours = median_us(lambda: step(tensorish, sa, sb))
    print(f"torch eager      {t_torch:8.1f} us/step")
    print(f"tensorish eager  {t_ours:8.1f} us/step")
    print(f"ratio            {t_ours / t_torch:8.2f}x torch")


if __name__ == "__main__":
    main()
