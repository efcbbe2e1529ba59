"""The torch half of micrograd's ``test_engine.py`` (its reference values come from these
lines), written with the legacy constructor ``torch.Tensor([...]).double()`` and Tensor
methods such as ``z.relu()``, followed by other idioms of older PyTorch code: typed legacy
constructors, ``isinstance`` with them, ``x.type(...)``, ``new_*`` and ``torch.Tensor(2, 3)``.

Adjustment for comparing runs: none (nothing here reads the random stream).
"""

import torch

# -- legacy constructors and types, as older code writes them --------------------------------
w = torch.FloatTensor([[0.5, -1.0], [2.0, 0.25]])
idx = torch.LongTensor([1, 0, 1])
mask = torch.ByteTensor([1, 0, 1]).bool()
print(w, idx, mask)
print(isinstance(w, torch.FloatTensor), isinstance(idx, torch.LongTensor), w.type())
print(w.type(torch.DoubleTensor).dtype, idx.type("torch.FloatTensor"))
print(torch.Tensor(2, 3).zero_().shape, torch.Tensor().numel(), torch.Tensor([[1, 2]]))
print(w.new_zeros(3), w.new_ones((2, 2), dtype=torch.int64), w.new_full((2,), 7.0))
print(w.new_tensor([1, 2, 3]), idx.new_tensor([4.7]), w[idx])

# -- test_sanity_check ------------------------------------------------------------------------
x = torch.Tensor([-4.0]).double()
x.requires_grad = True
z = 2 * x + 2 + x
q = z.relu() + z * x
h = (z * z).relu()
y = h + q + q * x
y.backward()
xpt, ypt = x, y
print(ypt.data.item(), xpt.grad.item())

# -- test_more_ops ----------------------------------------------------------------------------
a = torch.Tensor([-4.0]).double()
b = torch.Tensor([2.0]).double()
a.requires_grad = True
b.requires_grad = True
c = a + b
d = a * b + b**3
c = c + c + 1
c = c + 1 + c + (-a)
d = d + d * 2 + (b + a).relu()
d = d + 3 * d + (b - a).relu()
e = c - d
f = e**2
g = f / 2.0
g = g + 10.0 / f
g.backward()
apt, bpt, gpt = a, b, g
print(gpt.data.item(), apt.grad.item(), bpt.grad.item())
print(g.grad_fn, [type(n).__name__ for n, _ in g.grad_fn.next_functions])
