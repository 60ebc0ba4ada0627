"""The optimizer registry: one line per optimizer, in the order the app lists them.

A position here is the integer id the kernels specialize on.
"""
from .adadelta import ADADELTA
from .adagrad import ADAGRAD
from .adam import ADAM, ADAM_NOBIAS, ADAMW, AMSGRAD
from .adamax import ADAMAX
from .lbfgs import LBFGS
from .lion import LION
from .nadam import NADAM
from .newton import NEWTON
from .radam import RADAM
from .rmsprop import RMSPROP
from .rprop import RPROP
from .sam import SAM
from .schedule_free import SF_ADAMW, SF_SGD
from .sgd import MOMENTUM, NESTEROV, SGD
from .sophia import SOPHIA

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
    ADAMAX,
    RADAM,
    ADADELTA,
    RPROP,
    LION,
    SF_SGD,
    SF_ADAMW,
    SAM,
    SOPHIA,
)
