"""The seed notebook, cell by cell: Variables, requires_grad, grad_fn and backward().

Run it with ``python examples/01_variables_and_gradients.py``. Every cell prints what the
notebook shows; under real PyTorch the same script prints the same text (module name and memory
addresses aside), which tests/test_examples.py checks.
"""

import tensorish as torch
from tensorish.autograd import Variable


def cell(n: int, value: object = None) -> None:
    print(f"In [{n}]:")
    if value is not None:
        print(repr(value))
    print()


# 2.1 Variables (deprecated since PyTorch 0.4): a Variable wraps a Tensor
cell(1)
var = Variable(torch.ones(2, 2), requires_grad=True)
cell(2, var)

# Tensors and Variables have merged: create a tensor with gradient directly
tensor_grad = torch.ones((2, 2), requires_grad=True)
cell(3, tensor_grad)
tensor_nograd = torch.ones((2, 2))
cell(4, tensor_nograd)
cell(5, tensor_grad.requires_grad)
cell(6, tensor_nograd.requires_grad)

# 2.2 Gradients. Only tensors of floating point dtype can require gradients.
torch_twos = torch.tensor([[2.0, 2.0], [2.0, 2.0]], requires_grad=True)
cell(7, torch_twos)
torch_ones = torch.ones((2, 2))
cell(8, torch_ones.requires_grad_(True))

# Standard math operations record their grad_fn
torch_add = torch_ones + torch_twos
cell(9, torch_add)
torch_mul = torch.mul(torch_ones, torch_twos)
cell(10, torch_mul)
torch_matmul = torch.matmul(torch_ones, torch_twos)
cell(11, torch_matmul)
cell(12, torch_add.grad_fn)
cell(13, torch_mul.grad_fn)
cell(14, torch_matmul.grad_fn)

# 2.3 Manually and automatically calculating gradients: y_i = 5 (x_i + 1)^2
x = torch.ones(2, requires_grad=True)
cell(15, x)
print("In [16]:")
print(x.grad)
print()
y = 5 * (x + 1) ** 2
cell(17, y)

# backward() needs a scalar output (or an explicit gradient)
print("In [18]:")
try:
    y.backward()
except RuntimeError as e:
    print(f"RuntimeError: {e}")
print()

output = (1 / len(y)) * torch.sum(y)
cell(19, output)
output.backward()
cell(20)
print("In [21]:")
print(x.grad)
