"""``tensorish.utils.data``: datasets, samplers and the DataLoader, as ``torch.utils.data``.

>>> import tensorish
>>> from tensorish.utils.data import DataLoader, TensorDataset
>>> [b.tolist() for (b,) in DataLoader(TensorDataset(tensorish.arange(5)), batch_size=2)]
[[0, 1], [2, 3], [4]]
"""

from . import dataloader as dataloader
from . import dataset as dataset
from . import distributed as distributed
from . import sampler as sampler
from ._dataloader import DataLoader as DataLoader
from ._dataset import ChainDataset as ChainDataset
from ._dataset import ConcatDataset as ConcatDataset
from ._dataset import Dataset as Dataset
from ._dataset import IterableDataset as IterableDataset
from ._dataset import StackDataset as StackDataset
from ._dataset import Subset as Subset
from ._dataset import TensorDataset as TensorDataset
from ._dataset import random_split as random_split
from ._distributed import DistributedSampler as DistributedSampler
from ._sampler import BatchSampler as BatchSampler
from ._sampler import RandomSampler as RandomSampler
from ._sampler import Sampler as Sampler
from ._sampler import SequentialSampler as SequentialSampler
from ._sampler import SubsetRandomSampler as SubsetRandomSampler
from ._sampler import WeightedRandomSampler as WeightedRandomSampler
from ._utils.collate import default_collate as default_collate
from ._utils.collate import default_convert as default_convert
from ._utils.worker import WorkerInfo as WorkerInfo
from ._utils.worker import get_worker_info as get_worker_info
