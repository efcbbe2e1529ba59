"""Optimizers and learning-rate schedulers, as ``torch.optim``."""

from . import lr_scheduler as lr_scheduler
from ._adam import Adafactor as Adafactor
from ._adam import Adam as Adam
from ._adam import Adamax as Adamax
from ._adam import AdamW as AdamW
from ._adam import Muon as Muon
from ._adam import NAdam as NAdam
from ._adam import RAdam as RAdam
from ._lbfgs import LBFGS as LBFGS
from ._sgd import ASGD as ASGD
from ._sgd import SGD as SGD
from ._sgd import Adadelta as Adadelta
from ._sgd import Adagrad as Adagrad
from ._sgd import RMSprop as RMSprop
from ._sgd import Rprop as Rprop
from .optimizer import Optimizer as Optimizer
