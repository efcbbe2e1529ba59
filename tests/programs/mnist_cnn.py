"""A small MNIST-style convolutional classifier trained through a DataLoader with two worker
processes, in the manner of pytorch/examples' ``mnist/main.py``: a custom Dataset with a
normalising transform, Adadelta with a StepLR schedule, ``model.train()``/``model.eval()``,
evaluation under ``torch.no_grad()`` and an accuracy printout. The "digits" are synthetic
12x12 images (a class-dependent stroke plus noise), so nothing is downloaded.

Adjustments for comparing runs: the initial weights come from a fixed NumPy stream (the
``init_weights`` hook below, instead of torch's random initialisation), the training loader
does not shuffle, and the network has no dropout layers (all three would draw from the random
stream, which differs between libraries).
"""

import argparse
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, Dataset


def synthetic_digits(n, seed):
    """``n`` 12x12 images of four classes: a bright bar whose place and direction is the
    class, on noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=n)
    images = rng.normal(0.0, 0.3, size=(n, 12, 12)).astype(np.float32)
    for img, label in zip(images, labels):
        if label == 0:
            img[2:10, 3] += 1.0
        elif label == 1:
            img[2:10, 8] += 1.0
        elif label == 2:
            img[3, 2:10] += 1.0
        else:
            img[8, 2:10] += 1.0
    return images, labels


class Digits(Dataset):
    def __init__(self, images, labels, transform=None):
        self.images = images
        self.labels = labels
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        image = torch.from_numpy(self.images[idx]).unsqueeze(0)
        if self.transform is not None:
            image = self.transform(image)
        return image, int(self.labels[idx])


class Normalize:
    def __init__(self, mean, std):
        self.mean = mean
        self.std = std

    def __call__(self, x):
        return (x - self.mean) / self.std


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.fc1 = nn.Linear(128, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def init_weights(m):
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        bound = 1 / math.sqrt(m.weight[0].numel())
        with torch.no_grad():
            m.weight.copy_(torch.from_numpy(RNG.uniform(-bound, bound, m.weight.shape)))
            m.bias.copy_(torch.from_numpy(RNG.uniform(-bound, bound, m.bias.shape)))


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print(
                "Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}".format(
                    epoch,
                    batch_idx * len(data),
                    len(train_loader.dataset),
                    100.0 * batch_idx / len(train_loader),
                    loss.item(),
                )
            )


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)
    print(
        "\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n".format(
            test_loss,
            correct,
            len(test_loader.dataset),
            100.0 * correct / len(test_loader.dataset),
        )
    )


def main():
    parser = argparse.ArgumentParser(description="Synthetic MNIST-style example")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--test-batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--gamma", type=float, default=0.7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log-interval", type=int, default=2)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    device = torch.device("cpu")

    transform = Normalize(0.1, 0.4)
    train_set = Digits(*synthetic_digits(256, seed=0), transform=transform)
    test_set = Digits(*synthetic_digits(128, seed=1), transform=transform)
    train_loader = DataLoader(
        train_set,
        batch_size=args.batch_size,
        shuffle=False,
        num_workers=2,
        persistent_workers=True,
    )
    test_loader = DataLoader(test_set, batch_size=args.test_batch_size)

    model = Net().to(device)
    model.apply(init_weights)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test(model, device, test_loader)
        scheduler.step()
    print(model)


RNG = np.random.default_rng(2024)

if __name__ == "__main__":
    main()
