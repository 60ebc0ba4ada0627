"""The optimizer registry: one line per optimizer, in the order the app lists them.

A position here is the integer id the kernels specialize on.
"""
from .adagrad import ADAGRAD
from .adam import ADAM, ADAM_NOBIAS, ADAMW, AMSGRAD
from .lbfgs import LBFGS
from .nadam import NADAM
from .newton import NEWTON
from .rmsprop import RMSPROP
from .sgd import MOMENTUM, NESTEROV, SGD

OPTIMIZERS = (
    SGD,
    MOMENTUM,
    NESTEROV,
    ADAGRAD,
    RMSPROP,
    ADAM,
    ADAM_NOBIAS,
    ADAMW,
    NADAM,
    AMSGRAD,
    NEWTON,
    LBFGS,
)
