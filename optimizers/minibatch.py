r"""Real minibatch SGD: any first-order optimizer of the registry, fed minibatch gradients of a data set.

$$g_t = \frac1{|B_t|}\sum_{i \in B_t} \nabla_\theta\, \ell(\theta_{t-1}^\top \phi_i,\ y_i)$$

and then exactly the update rule the rest of the app uses (``rule_init``/``rule_step`` of
``_dispatch``), so Adam on minibatches here is Adam on a surface there, step for step.
The minibatches :math:`B_t` come from one of three samplers (CSCI 8980's terms):

* ``practical``: shuffle the training set every epoch and take consecutive batches of size B,
  without replacement (torch's ``DataLoader(shuffle=True)``, ``drop_last=False``: when B does not
  divide N the last batch of an epoch is smaller, so every example is seen once per epoch);
* ``canonical``: every iteration draws B indices independently and uniformly, with replacement
  (torch's ``RandomSampler(replacement=True)``), so :math:`\mathbb{E}[g_t] = \nabla L` exactly;
* ``full``: every example every iteration: full-batch gradient descent.

The samplers run in NumPy before the kernel, from ``numpy.random.default_rng(seed)``: they are
then reproducible from the seed alone, testable on their own, and the page can show which
examples made up batch t. The cost is bounded: at most ``MAX_STEPS`` x N indices (a few MB).
Each batch's indices are sorted, which leaves its loss unchanged but fixes the order of the sum,
so a practical run with B = N is bit for bit the full-batch run.

Update rules that need the surface itself are excluded: Newton and Sophia (the Hessian of an
analytic surface) and L-BFGS (line searches on it). Nesterov is included: torch's form, which this
app uses, needs only the gradient at the current point (g + μb), so minibatch Nesterov here is
``torch.optim.SGD(nesterov=True)`` on minibatches. A rule that takes its gradient elsewhere (SAM at
its ascent point, Schedule-Free at y) takes it on the same minibatch, as its training loop does.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from landscapes._base import JIT_OPTIONS
from landscapes.data import DataSet, batch_terms, example_terms
from numba import literally, njit

from . import INDEX_OF, get, names
from ._base import flush
from ._dispatch import rule_init, rule_step
from ._kernels import call_specialized
from ._schedules import lr_factors
from ._schedules import resolve as resolve_schedule
from ._surfaces import MINIBATCH

SAMPLINGS = {
    "practical": "shuffle each epoch, without replacement",
    "canonical": "independent draws, with replacement",
    "full": "every example, every iteration (GD)",
}
MAX_STEPS = 5000
_NO_ORACLE = (0.0, 0, math.inf, math.inf)  # first-order rules never read it; rule_step's signature wants one



def first_order_names() -> list[str]:
    """Registry optimizers that need nothing but a gradient: the ones minibatches can drive."""
    return [name for name in names() if not get(name).uses_hessian and get(name).on_minibatches]


# ----- samplers ------------------------------------------------------------------------------------
def sample_batches(n: int, batch_size: int, steps: int, sampling: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The minibatches of ``steps`` iterations as (indices, offsets): batch t is
    ``indices[offsets[t]:offsets[t + 1]]``, sorted. ``offsets[t] / n`` is the epoch count before step t."""
    if sampling not in SAMPLINGS:
        raise ValueError(f"Unknown sampling {sampling!r}; valid: {', '.join(SAMPLINGS)}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or not (1 <= batch_size <= n):
        raise ValueError(f"Invalid batch_size: {batch_size!r}; expected a whole number in [1, {n}]")
    if sampling == "full" or (sampling == "practical" and batch_size == n):  # one sorted batch: the whole set
        return np.tile(np.arange(n, dtype=np.int64), steps), np.arange(steps + 1, dtype=np.int64) * n
    rng = np.random.default_rng(seed)
    if sampling == "canonical":
        draws = np.sort(rng.integers(0, n, size=(steps, batch_size)), axis=1)
        return draws.reshape(-1).astype(np.int64), np.arange(steps + 1, dtype=np.int64) * batch_size
    per_epoch = -(-n // batch_size)
    epochs = -(-steps // per_epoch)
    orders = rng.permuted(np.tile(np.arange(n), (epochs, 1)), axis=1)  # one fresh shuffle per epoch
    # sort within each batch at once: key = batch number * n + example, sorted per epoch
    batch_of_position = np.arange(n) // batch_size
    keys = np.sort(batch_of_position * n + orders, axis=1)
    sizes = np.tile(np.diff(np.append(np.arange(0, n, batch_size), n)), epochs)[:steps]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    indices = (keys % n).reshape(-1)[:offsets[-1]].astype(np.int64)
    return indices, offsets


# ----- the kernel ----------------------------------------------------------------------------------
@njit(**JIT_OPTIONS)
def minibatch_trace(oid, lid, kind, features, targets, indices, offsets, hp, x, y, lr, lr_factor, escape,
                    path, full_loss, grad_norm, batch_loss, lr_used):
    """Fill path/full_loss/grad_norm (steps+1 rows), batch_loss and lr_used (steps); return the stop index.

    The full-batch loss and gradient norm at every iterate are recorded for the plots only:
    the update sees nothing but the minibatch.

    -1 when every step completed, else the first t whose point or full loss was non-finite or
    escaped: rows 0..t-1 are valid and nothing non-finite is stored (the rule of ``trace``).
    """
    literally(oid)
    literally(lid)
    state = rule_init(oid, hp)
    steps = lr_factor.shape[0]
    n = targets.shape[0]
    for t in range(steps + 1):
        total = 0.0
        full_gx = 0.0
        full_gy = 0.0
        for i in range(n):
            loss_i, slope, _ = example_terms(kind, features[i, 0] * x + features[i, 1] * y, targets[i])
            total += loss_i
            full_gx += slope * features[i, 0]
            full_gy += slope * features[i, 1]
        f = total / n
        if not (math.isfinite(f) and escape[0] <= x <= escape[1] and escape[2] <= y <= escape[3]):
            return t
        path[t, 0] = x
        path[t, 1] = y
        full_loss[t] = f
        grad_norm[t] = math.sqrt(full_gx * full_gx + full_gy * full_gy) / n
        if t == steps:
            break
        batch = (kind, features, targets, indices, offsets[t], offsets[t + 1])
        fb, gx, gy = batch_terms(x, y, *batch)
        batch_loss[t] = fb
        lr_t = lr * lr_factor[t]
        lr_used[t] = lr_t
        # a rule that looks elsewhere (SAM, Schedule-Free) evaluates this same minibatch there (_surfaces.MINIBATCH)
        x, y, state = rule_step(oid, lid, t + 1, x, y, fb, gx, gy, lr_t, hp, state, batch, _NO_ORACLE)
        x = flush(x)
        y = flush(y)
    return -1


# ----- the Python boundary -------------------------------------------------------------------------
@dataclass
class MinibatchResult:
    """One run on a data set. Arrays end where the run diverged; they never hold NaN or inf."""

    optimizer: str
    hyperparams: dict
    schedule: dict
    sampling: str
    batch_size: int
    seed: int
    n: int
    path: np.ndarray  # (k+1, 2): θ before each step; path[0] is the start
    loss: np.ndarray  # (k+1,) full-batch loss at path[t]
    batch_loss: np.ndarray  # (k,) loss of minibatch t at path[t]: what the optimizer saw
    epoch: np.ndarray  # (k+1,) passes over the data completed before path[t] (examples drawn / N)
    lr: np.ndarray  # (k,) learning rate of step t
    grad_norm: np.ndarray  # (k+1,) norm of the full-batch gradient at path[t]
    diverged_at: int | None
    indices: np.ndarray
    offsets: np.ndarray
    elapsed: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.path) - 1

    def batch(self, t: int) -> np.ndarray:
        """Indices of the examples in minibatch t (the batch that moved path[t] to path[t+1])."""
        return self.indices[self.offsets[t]:self.offsets[t + 1]]


def _check_steps(steps) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not (0 <= steps <= MAX_STEPS):
        raise ValueError(f"Invalid steps: {steps!r}; expected a whole number in [0, {MAX_STEPS}]")
    return int(steps)


def _check_start(data: DataSet, start) -> tuple[float, float]:
    if start is None:
        return data.start
    try:
        x, y = (float(v) for v in start)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid start: {start!r}; expected two numbers") from None
    x_low, x_high, y_low, y_high = data.escape_box
    if not (x_low <= x <= x_high and y_low <= y <= y_high):
        raise ValueError(f"Invalid start: {start!r}; it must be finite and inside the problem's range")
    return x, y


def run(optimizer: str, data: DataSet, batch_size: int | None = None, steps: int = 200, *, sampling: str = "practical",
        seed: int = 0, start=None, schedule=None, **hyperparams) -> MinibatchResult:
    """``steps`` iterations of ``optimizer`` on minibatches of ``data`` (``batch_size`` None: all N).

    Hyperparameters use torch's keywords and are validated as in ``optimizers.run``.
    """
    spec = get(optimizer)
    if spec.uses_hessian or not spec.on_minibatches:
        raise ValueError(f"Optimizer {optimizer!r} needs the surface itself, not minibatch gradients; "
                         f"first-order optimizers: {', '.join(first_order_names())}")
    steps = _check_steps(steps)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not (0 <= seed < 2**63):
        raise ValueError(f"Invalid seed: {seed!r}; expected a whole number in [0, 2**63 - 1]")
    batch_size = data.n if batch_size is None else batch_size
    indices, offsets = sample_batches(data.n, batch_size, steps, sampling, int(seed))
    x, y = _check_start(data, start)
    values = spec.resolve(hyperparams)
    schedule = resolve_schedule(schedule)
    factors = lr_factors(schedule, steps)

    path = np.empty((steps + 1, 2))
    loss = np.empty(steps + 1)
    grad_norm = np.empty(steps + 1)
    batch_loss = np.empty(steps)
    lr_used = np.empty(steps)
    began = time.perf_counter()
    stop = call_specialized(minibatch_trace, 2, INDEX_OF[optimizer], MINIBATCH, data.kind, data.features,
                            np.ascontiguousarray(data.targets, dtype=float), indices, offsets, spec.pack(values), x, y,
                            float(values["lr"]), factors, data.escape_box, path, loss, grad_norm, batch_loss, lr_used)
    elapsed = time.perf_counter() - began
    end = steps + 1 if stop < 0 else stop
    return MinibatchResult(
        optimizer=optimizer, hyperparams=values, schedule=schedule, sampling=sampling, batch_size=int(batch_size),
        seed=int(seed), n=data.n, path=path[:end], loss=loss[:end], batch_loss=batch_loss[:end - 1],
        epoch=offsets[:end] / data.n, lr=lr_used[:end - 1], grad_norm=grad_norm[:end],
        diverged_at=None if stop < 0 else int(stop), indices=indices, offsets=offsets, elapsed=elapsed,
    )


def full_batch(optimizer: str, data: DataSet, steps: int = 200, **kwargs) -> MinibatchResult:
    """Full-batch gradient descent (every example every step) with the same update rule."""
    return run(optimizer, data, data.n, steps, sampling="full", **kwargs)


__all__ = ["MAX_STEPS", "MinibatchResult", "SAMPLINGS", "first_order_names", "full_batch", "run", "sample_batches"]
