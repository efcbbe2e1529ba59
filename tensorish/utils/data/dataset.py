"""``tensorish.utils.data.dataset``, as torch's module of that name."""

from ._dataset import ChainDataset as ChainDataset
from ._dataset import ConcatDataset as ConcatDataset
from ._dataset import Dataset as Dataset
from ._dataset import IterableDataset as IterableDataset
from ._dataset import StackDataset as StackDataset
from ._dataset import Subset as Subset
from ._dataset import TensorDataset as TensorDataset
from ._dataset import random_split as random_split
