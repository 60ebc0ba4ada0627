r"""Training a small network (``landscapes.mlp``) with the registry's own update rules.

Every rule this applies to is coordinate-wise: it updates each parameter from that parameter's own
gradient and state. A rule file's ``step`` updates two coordinates (x, y) of a surface; here the
kernel hands it the network's parameters two at a time, (θ₀, θ₁), (θ₂, θ₃), ..., each pair with its
own state, so Adam on the network is, coordinate by coordinate, the very Adam of the surfaces
(``rule_init``/``rule_step`` of ``_dispatch``, no second copy of any rule). An odd last parameter is
paired with a dummy coordinate whose gradient is 0, which no rule moves.

The gradient the rule sees is the minibatch's (samplers of ``optimizers.minibatch``), clipped first
by value and then by the global norm over all parameters, as ``torch.nn.utils.clip_grad_value_`` and
``clip_grad_norm_`` do; the learning rate follows the schedule.

A rule that takes a second gradient (Schedule-Free at y, SAM at its ascent point) asks for it at its own
pair's coordinates (``_surfaces.PAIRED``): a dry run of the step on copies collects every pair's point, the
network's gradient at that whole vector on the same minibatch is computed (and clipped like the first),
and the step is then taken for real with it. SAM's ascent normalises by the norm of the whole gradient,
which it reads through ``_surfaces.gradient_norm``. Not every rule of the registry fits: Newton and
Sophia need the Hessian of a surface; L-BFGS searches along a line of one fixed function. ``names()``
lists the rest, and the page says why the others are missing.

Batch normalization's running averages are updated with each minibatch's statistics
(``torch.nn.BatchNorm1d``: momentum 0.1, the unbiased variance) and used for the test loss and the
decision boundary.
"""
from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass

import numpy as np
from landscapes._base import JIT_OPTIONS
from landscapes.classification import make as make_data_set
from landscapes.interpreted import array_twin, twin
from landscapes.mlp import BN_MOMENTUM, STATS_SHAPE, Network, backward, buffers, forward, mean_loss
from numba import literally, njit
from numba.cpython.unsafe.tuple import tuple_setitem

from . import INDEX_OF, get
from . import names as all_names
from ._base import flush
from ._dispatch import rule_init, rule_step
from ._kernels import call_compiled, call_specialized, is_compiled
from ._schedules import lr_factors
from ._schedules import resolve as resolve_schedule
from ._surfaces import PAIRED
from .minibatch import SAMPLINGS, sample_batches

MAX_STEPS = 5000
ESCAPE = 1e6  # a parameter beyond this has diverged
# θ is kept at most this often, so that a run holds at most this many rows of weights (3,000 steps of the largest
# network would hold 57 MB, and a class's runs stay cached for minutes); every loss is kept at every step
KEPT_PATH_ROWS = 500
_NO_ORACLE = (0.0, 0, math.inf, math.inf)


def why_not(name: str) -> str:
    """Why optimizer ``name`` cannot train the network ('' when it can)."""
    spec = get(name)
    if spec.uses_hessian:
        return "needs the Hessian of a surface"
    if not spec.on_minibatches:
        return "searches along a line of one fixed function"
    return ""


def names() -> list[str]:
    """The registry's optimizers that can train the network, in registry order."""
    return [name for name in all_names() if not why_not(name)]


@njit(**JIT_OPTIONS)
def clip_global(grad, clip_value, clip_norm):
    """Clip by value, then scale by max_norm / (norm + 1e-6) when below one (torch's clip_grad_norm_)."""
    n = grad.shape[0]
    if clip_value < math.inf:
        for q in range(n):
            grad[q] = min(max(grad[q], -clip_value), clip_value)
    if clip_norm < math.inf:
        total = 0.0
        for q in range(n):
            total += grad[q] * grad[q]
        coef = clip_norm / (math.sqrt(total) + 1e-6)
        if coef < 1.0:
            for q in range(n):
                grad[q] *= coef


# A training is a Python loop over two compiled calls per step. ``network_step`` (the forward and backward
# passes, the records, clipping) is the same code for every optimizer and compiles once; ``apply_rule``, the
# only code that depends on the optimizer, compiles in under a second. One kernel per optimizer with the
# whole loop inside compiled in 4.6 s each (LLVM optimized and emitted the passes again in every one) and
# 15 s for the first; the loop costs about 10 µs a step (2 calls of 4 µs).
CONTINUE, FINISHED = -1, -2


@njit(**JIT_OPTIONS)
def network_step(t, every, row, theta, widths, offsets, relu, batch_norm, x_train, y_train, x_test, y_test, indices,
                 batch_offsets, lr, lr_factor, clip_value, clip_norm, scratch, records, kept):
    """Step t of a training: θ_t's losses recorded (θ_t kept every ``every`` steps and at the last one), then
    the minibatch's gradient at θ_t into ``scratch``'s ``grad``, clipped. Returns (status, rows of ``kept``
    filled, θ_t's loss, the step's learning rate); status CONTINUE (apply the rule), FINISHED (t was the last
    step), or t itself when θ_t or its loss was non-finite or escaped (the last valid θ is then kept).

    Row t of ``train_loss``/``train_acc``/``test_loss``/``test_acc`` holds θ_t's losses (training set with its
    own batch statistics; test set with batch norm's running averages); ``batch_loss``, ``grad_norm`` (before
    clipping) and ``lr_used`` are those of step t. θ_t itself and the running averages then (mean 0, variance 1
    at the start) are rows of ``path``/``running_mean``/``running_var``, with their step in ``path_steps``."""
    (all_rows, test_rows, acts, normed, inv_std, delta, upstream, test_acts, test_normed, test_inv_std, stat_mean,
     stat_var, mean_now, var_now, previous, previous_mean, previous_var, grad) = scratch
    train_loss, train_acc, test_loss, test_acc, batch_loss, grad_norm, lr_used = records
    path, path_steps, running_mean, running_var = kept
    n = theta.shape[0]
    layers = widths.shape[0] - 1
    n_train = y_train.shape[0]
    steps = lr_factor.shape[0]
    # One call site of the forward pass and of the loss for the three passes (θ_t on the training set, on the
    # test set, then the minibatch): each call site is another inlined copy for LLVM to optimize (~1.5 s each
    # on an empty cache).
    f = 0.0
    rows = all_rows
    batch = n_train
    for phase in range(3):
        if phase == 0:
            x, y, chosen, given, mean, var, a, nm, inv = (x_train, y_train, all_rows, False, stat_mean, stat_var, acts,
                                                          normed, inv_std)
        elif phase == 1:
            x, y, chosen, given, mean, var, a, nm, inv = (x_test, y_test, test_rows, True, mean_now, var_now, test_acts,
                                                          test_normed, test_inv_std)
        else:
            x, y, chosen, given, mean, var, a, nm, inv = x_train, y_train, rows, False, stat_mean, stat_var, acts, normed, inv_std
        forward(theta, widths, offsets, relu, batch_norm, given, x, chosen, mean, var, a, nm, inv)
        loss, accuracy = mean_loss(widths, y, chosen, a)
        if phase == 0:
            f = loss
            escaped = False
            for q in range(n):
                if not abs(theta[q]) <= ESCAPE:
                    escaped = True
            if escaped or not math.isfinite(f):
                if t > 0 and path_steps[row - 1] != t - 1:  # the last valid θ, wherever it fell
                    path[row] = previous
                    running_mean[row] = previous_mean
                    running_var[row] = previous_var
                    path_steps[row] = t - 1
                    row += 1
                return t, row, f, 0.0
            if t % every == 0 or t == steps:
                path[row] = theta
                running_mean[row] = mean_now
                running_var[row] = var_now
                path_steps[row] = t
                row += 1
            previous[:] = theta
            previous_mean[:] = mean_now
            previous_var[:] = var_now
            train_loss[t] = f
            train_acc[t] = accuracy
        elif phase == 1:
            test_loss[t] = loss
            test_acc[t] = accuracy
            if t == steps:
                return FINISHED, row, f, 0.0
            lo = batch_offsets[t]
            hi = batch_offsets[t + 1]
            batch = hi - lo
            if batch == n_train:  # the whole set in order (full batch): the training pass is this step's
                batch_loss[t] = f
                break
            rows = indices[lo:hi]
        else:
            batch_loss[t] = loss
    backward(theta, widths, offsets, relu, batch_norm, y_train, rows, acts, normed, inv_std, grad, delta, upstream)
    if batch_norm:
        unbiased = batch / (batch - 1.0) if batch > 1 else 1.0
        for layer in range(layers - 1):
            for j in range(widths[layer + 1]):
                mean_now[layer, j] = (1.0 - BN_MOMENTUM) * mean_now[layer, j] + BN_MOMENTUM * stat_mean[layer, j]
                var_now[layer, j] = (1.0 - BN_MOMENTUM) * var_now[layer, j] + BN_MOMENTUM * stat_var[layer, j] * unbiased
    total = 0.0
    for q in range(n):
        total += grad[q] * grad[q]
    grad_norm[t] = math.sqrt(total)
    clip_global(grad, clip_value, clip_norm)
    lr_t = lr * lr_factor[t]
    lr_used[t] = lr_t
    return CONTINUE, row, f, lr_t


@njit(**JIT_OPTIONS)
def apply_rule(oid, lid, t, theta, grad, f, lr_t, hp, states, points, answers, norm):
    """Step t (from 1) of rule ``oid`` on every parameter, two at a time: (θ₀, θ₁), (θ₂, θ₃), ..., each pair
    with its own state, a row of ``states`` (set by the rule's ``init`` at t = 1). An odd last parameter is
    paired with a dummy coordinate whose gradient is 0. ``lid`` is ``PAIRED``: a rule that takes a second
    gradient writes where to ``points`` and reads it from ``answers`` (``_surfaces.PAIRED``); ``norm`` is ‖g‖
    over every parameter."""
    literally(oid)
    literally(lid)
    n = theta.shape[0]
    template = rule_init(oid, hp)
    for k in range(states.shape[0]):
        state = template
        if t > 1:
            for j in range(len(template)):
                state = tuple_setitem(state, j, states[k, j])
        odd = 2 * k + 1 == n
        x = theta[2 * k]
        y = 0.0 if odd else theta[2 * k + 1]
        gx = grad[2 * k]
        gy = 0.0 if odd else grad[2 * k + 1]
        x, y, state = rule_step(oid, lid, t, x, y, f, gx, gy, lr_t, hp, state, (points, answers, k, norm), _NO_ORACLE)
        for j in range(len(template)):
            states[k, j] = state[j]
        theta[2 * k] = flush(x)
        if not odd:
            theta[2 * k + 1] = flush(y)


@njit(**JIT_OPTIONS)
def gradient_at(point, widths, offsets, relu, batch_norm, x_train, rows, y_train, scratch, grad, clip_value, clip_norm):
    """The gradient at ``point`` over the training examples ``rows`` (a step's minibatch), clipped like the
    step's own: a rule's second gradient (SAM's ascent point, Schedule-Free's y)."""
    acts, normed, inv_std, delta, upstream, stat_mean, stat_var = scratch
    forward(point, widths, offsets, relu, batch_norm, False, x_train, rows, stat_mean, stat_var, acts, normed, inv_std)
    backward(point, widths, offsets, relu, batch_norm, y_train, rows, acts, normed, inv_std, grad, delta, upstream)
    clip_global(grad, clip_value, clip_norm)


@njit(**JIT_OPTIONS)
def curve_gradient(t, ends, bend, point, widths, offsets, relu, batch_norm, x_train, y_train, scratch, grad):
    """The loss at the Bézier curve's point φ(t) = (1−t)² w₁ + 2t(1−t) θ + t² w₂ (``ends`` = (w₁, w₂), θ the
    bend), and its gradient with respect to the bend (∂φ/∂θ = 2t(1−t)) into ``grad`` (Garipov et al. 2018)."""
    rows, acts, normed, inv_std, delta, upstream, stat_mean, stat_var = scratch
    n = bend.shape[0]
    c_start = (1.0 - t) * (1.0 - t)
    c_bend = 2.0 * t * (1.0 - t)
    c_end = t * t
    for q in range(n):
        point[q] = c_start * ends[0, q] + c_bend * bend[q] + c_end * ends[1, q]
    forward(point, widths, offsets, relu, batch_norm, False, x_train, rows, stat_mean, stat_var, acts, normed, inv_std)
    f = mean_loss(widths, y_train, rows, acts)[0]
    if not math.isfinite(f):
        return f
    backward(point, widths, offsets, relu, batch_norm, y_train, rows, acts, normed, inv_std, grad, delta, upstream)
    for q in range(n):
        grad[q] *= c_bend
    return f


def interpreted_rule(spec):
    """``apply_rule``'s twin for ``spec``'s rule: the rule's step once, on arrays holding every pair's coordinates
    (``array_twin``: the same arithmetic, element by element), or, for a rule that branches on a value or takes a
    second gradient, pair by pair. Adam's 500 steps of the default network: 1.34 s pair by pair, 0.43 s on arrays."""
    pair_by_pair = twin(apply_rule)
    if spec.needs_oracle or spec.uses_hessian:
        return pair_by_pair
    try:
        step, init = array_twin(spec.step), twin(spec.init)
    except TypeError:
        return pair_by_pair
    on_arrays = [True]

    def apply(oid, lid, t, theta, grad, f, lr_t, hp, states, points, answers, norm):
        if on_arrays[0]:
            try:
                return _step_every_pair(step, init, t, theta, grad, f, lr_t, hp, states)
            except (ValueError, TypeError):  # an array's truth value: the rule branches on a value
                on_arrays[0] = False
        return pair_by_pair(oid, lid, t, theta, grad, f, lr_t, hp, states, points, answers, norm)

    return apply


def _step_every_pair(step, init, t, theta, grad, f, lr_t, hp, states) -> None:
    """What ``apply_rule`` does pair by pair, with each pair's coordinates an element of an array. Copies in: a
    rule's ``g += ...`` rebinds a scalar but would change an array in place."""
    n, pairs = theta.shape[0], states.shape[0]
    x, gx = theta[0::2].copy(), grad[0::2].copy()
    y, gy = np.zeros(pairs), np.zeros(pairs)  # an odd last parameter's partner: 0, with gradient 0, never moved
    y[:n // 2], gy[:n // 2] = theta[1::2], grad[1::2]
    if t == 1:
        state = tuple(np.full(pairs, value) for value in init(hp))
    else:
        state = tuple(states[:, j].copy() for j in range(states.shape[1]))
    x, y, state = step(t, x, y, f, gx, gy, (0.0, 0.0, 0.0), lr_t, hp, state)
    columns = [np.broadcast_to(column, (pairs,)).copy() for column in state]
    flush_all = array_twin(flush)
    x, y = np.broadcast_arrays(x, y)
    theta[0::2] = flush_all(x)
    theta[1::2] = flush_all(y)[:n // 2]
    for j, column in enumerate(columns):
        states[:, j] = column


def rule_states(spec, packed: tuple, n_params: int) -> np.ndarray:
    """One row of a rule's state per pair of parameters."""
    return np.zeros(((n_params + 1) // 2, len(spec.init.py_func(packed))))


# ----- the Python boundary -------------------------------------------------------------------------
@dataclass
class Training:
    """One training run. Arrays end where it diverged; they never hold NaN or inf."""

    optimizer: str
    hyperparams: dict
    schedule: dict
    network: Network
    seed: int
    batch_size: int
    sampling: str
    path: np.ndarray  # (rows, n_params): θ at the steps ``path_steps`` (every step of a run of ≤ KEPT_PATH_ROWS steps)
    path_steps: np.ndarray  # (rows,): 0, every, 2·every, ..., and the last step
    train_loss: np.ndarray  # (k+1,) training set, batch norm with its own statistics at θ_t
    train_accuracy: np.ndarray
    test_loss: np.ndarray  # (k+1,) test set, batch norm with the running averages
    test_accuracy: np.ndarray
    batch_loss: np.ndarray  # (k,) the minibatch loss step t saw
    grad_norm: np.ndarray  # (k,) its gradient's norm, before clipping
    lr: np.ndarray  # (k,)
    running_mean: np.ndarray  # (rows, 4, 32) batch norm's running averages at path_steps (what the test loss used)
    running_var: np.ndarray
    diverged_at: int | None
    elapsed: float = 0.0
    interpreted: bool = False  # run by the kernels' interpreted twins while they compiled (``train``'s ``interpreted``)

    @property
    def steps(self) -> int:
        return len(self.train_loss) - 1

    @property
    def final(self) -> np.ndarray:
        return self.path[-1]

    def at(self, step: int) -> int:
        """The row of ``path`` kept at ``step``, or at the last kept step before it."""
        return max(int(np.searchsorted(self.path_steps, step, side="right")) - 1, 0)


def _whole(value, name, low, high) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"Invalid {name}: {value!r}; expected a whole number in [{low}, {high}]")
    return int(value)


def _threshold(value, name) -> float:
    if value is None:
        return math.inf
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0:
        raise ValueError(f"Invalid {name}: {value!r}; expected a positive number (None: no clipping)")
    return float(value)


_TRAIN_PASS, _BATCH_STATS = slice(2, 7), slice(10, 12)  # in _step_scratch: a training pass's buffers, its statistics


# Allocated by the kernel's Python source: compiling it would cost a new server a second before a training that the
# interpreted twins run in as long (and would wait for numba's compile lock, which the compile queue's loads take).
allocate_buffers = buffers.py_func


def _step_scratch(network: Network, n_train: int, n_test: int) -> tuple:
    """``network_step``'s working arrays: the rows of both sets, the passes' buffers, batch norm's batch and
    running statistics (mean 0, variance 1 at the start), the previous θ and statistics, the gradient."""
    layers, n = len(network.widths) - 1, network.n_params
    return (np.arange(n_train), np.arange(n_test), *allocate_buffers(layers, n_train), *allocate_buffers(layers, n_test)[:3],
            np.zeros(STATS_SHAPE), np.ones(STATS_SHAPE), np.zeros(STATS_SHAPE), np.ones(STATS_SHAPE),
            np.empty(n), np.zeros(STATS_SHAPE), np.ones(STATS_SHAPE), np.empty(n))


def train(optimizer: str, network: Network, data, steps: int = 500, *, seed: int = 0, batch_size: int | None = None,
          sampling: str = "practical", schedule=None, clip_value=None, clip_norm=None, interpreted: bool = False,
          **hyperparams) -> Training:
    """``steps`` updates of ``network`` (initialised from ``seed``) on ``data.x_train``, by ``optimizer``'s rule.

    ``batch_size`` None trains on the full batch; minibatches are drawn from ``seed`` too.
    Hyperparameters use torch's keywords and are validated as everywhere in the app.

    ``interpreted``: run the kernels' interpreted twins, with the passes in NumPy (``landscapes.mlp``), instead
    of the kernels: about a second for a page's training where a new server compiles the kernels for ~11 s.
    The same steps, but sums are taken in another order, so a long training drifts from the kernel's in the
    last digits (within 1e-6 of its losses over 500 steps, tested): a page shows it while the kernels compile,
    then the kernels' own."""
    reason = why_not(optimizer) if optimizer in INDEX_OF else ""
    spec = get(optimizer)
    if reason:
        raise ValueError(f"{spec.title} cannot train the network: it {reason}; these can: {', '.join(names())}")
    steps = _whole(steps, "steps", 0, MAX_STEPS)
    seed = _whole(seed, "seed", 0, 2**31 - 1)
    n_train = len(data.y_train)
    batch_size = n_train if batch_size is None else _whole(batch_size, "batch size", 1, n_train)
    if network.batch_norm and batch_size < 2:
        raise ValueError("Invalid batch size: 1; batch normalization needs at least 2 examples per batch "
                         "(a single example's variance is zero)")
    if sampling not in SAMPLINGS:
        raise ValueError(f"Unknown sampling {sampling!r}; valid: {', '.join(SAMPLINGS)}")
    values = spec.resolve(hyperparams)
    schedule = resolve_schedule(schedule)
    factors = lr_factors(schedule, steps)
    indices, offsets = sample_batches(n_train, batch_size, steps, "full" if batch_size == n_train else sampling, seed)
    theta = network.init(seed)
    n = network.n_params
    every = max(1, -(-steps // KEPT_PATH_ROWS))
    rows = steps // every + 3
    path, path_steps = np.empty((rows, n)), np.empty(rows, dtype=np.int64)
    train_loss, train_acc = np.empty(steps + 1), np.empty(steps + 1)
    test_loss, test_acc = np.empty(steps + 1), np.empty(steps + 1)
    batch_loss, grad_norm, lr_used = np.empty(steps), np.empty(steps), np.empty(steps)
    running_mean, running_var = np.zeros((rows, *STATS_SHAPE)), np.ones((rows, *STATS_SHAPE))
    x_train, y_train, x_test, y_test = (np.ascontiguousarray(a, dtype=np.float64)
                                        for a in (data.x_train, data.y_train, data.x_test, data.y_test))
    scratch = _step_scratch(network, n_train, len(y_test))
    records = (train_loss, train_acc, test_loss, test_acc, batch_loss, grad_norm, lr_used)
    kept_rows = (path, path_steps, running_mean, running_var)
    packed, oid, lr = spec.pack(values), INDEX_OF[optimizer], float(values["lr"])
    states = rule_states(spec, packed, n)
    if interpreted:  # float64 scalars, as in a kernel: a division by zero gives inf, not an exception
        packed, lr = tuple(np.float64(v) for v in packed), np.float64(lr)
        run_step, run_rule, run_probe = twin(network_step), interpreted_rule(spec), twin(gradient_at)
    else:
        run_step = functools.partial(call_compiled, network_step)
        run_rule = functools.partial(call_specialized, apply_rule, 2)
        run_probe = functools.partial(call_compiled, gradient_at)
    network_args = (network.widths, network.offsets, bool(network.relu), bool(network.batch_norm))
    clip = (_threshold(clip_value, "clip value"), _threshold(clip_norm, "clip norm"))
    grad = scratch[-1]
    # a rule's second gradient (SAM, Schedule-Free): where, and its value there; the training pass's buffers and
    # batch statistics are free again by then (network_step has used them)
    points, answers = np.zeros(n), np.zeros(n)
    probe_scratch = scratch[_TRAIN_PASS] + scratch[_BATCH_STATS]
    began = time.perf_counter()
    stop, kept = -1, 0
    with np.errstate(all="ignore"):  # a diverging twin's inf and NaN are data, as in a kernel
        for t in range(steps + 1):
            status, kept, f, lr_t = run_step(t, every, kept, theta, *network_args, x_train, y_train, x_test, y_test,
                                             indices, offsets, lr, factors, *clip, scratch, records, kept_rows)
            if status != CONTINUE:
                stop = -1 if status == FINISHED else status
                break
            norm = np.sqrt(grad @ grad)
            if spec.needs_oracle:  # a dry run of the step finds the points, then the network's gradient there
                run_rule(oid, PAIRED, t + 1, theta.copy(), grad, f, lr_t, packed, states.copy(), points, answers, norm)
                run_probe(points, *network_args, x_train, indices[offsets[t]:offsets[t + 1]], y_train, probe_scratch,
                          answers, *clip)
            run_rule(oid, PAIRED, t + 1, theta, grad, f, lr_t, packed, states, points, answers, norm)
    elapsed = time.perf_counter() - began
    end = steps + 1 if stop < 0 else stop
    return Training(
        optimizer=optimizer, hyperparams=values, schedule=schedule, network=network, seed=seed, batch_size=batch_size,
        sampling="full" if batch_size == n_train else sampling, path=path[:kept].copy(), path_steps=path_steps[:kept].copy(),
        train_loss=train_loss[:end],
        train_accuracy=train_acc[:end], test_loss=test_loss[:end], test_accuracy=test_acc[:end],
        batch_loss=batch_loss[:end - 1], grad_norm=grad_norm[:end - 1], lr=lr_used[:end - 1],
        running_mean=running_mean[:kept].copy(), running_var=running_var[:kept].copy(), diverged_at=None if stop < 0 else int(stop), elapsed=elapsed,
        interpreted=interpreted)


@dataclass
class Bend:
    """A trained quadratic Bézier curve between two solutions."""

    bend: np.ndarray
    iteration_loss: np.ndarray  # the loss each iteration saw at its sampled t
    diverged_at: int | None
    elapsed: float


def fit_curve(network: Network, data, start: np.ndarray, end: np.ndarray, iterations: int = 1500, *, seed: int = 0,
              optimizer: str = "adam", schedule="cosine", **hyperparams) -> Bend:
    """Train the bend of the curve between solutions ``start`` and ``end`` to keep the loss low along it
    (Garipov et al. 2018, section 3: t uniform in [0, 1] at each iteration, full batch here). The bend
    starts at the midpoint. Adam with a cosine schedule by default (the authors train with SGD and a
    schedule over many epochs; Adam gets there here in fewer iterations)."""
    spec = get(optimizer)
    if why_not(optimizer) or spec.needs_oracle:
        raise ValueError(f"{spec.title} cannot fit the curve: it "
                         f"{why_not(optimizer) or 'takes a second gradient, which the curve fit does not provide'}")
    iterations = _whole(iterations, "iterations", 1, 20_000)
    values = spec.resolve({"lr": 0.01, **hyperparams} if "lr" in spec.defaults else hyperparams)
    ends = np.ascontiguousarray(np.stack([start, end]), dtype=np.float64)
    if ends.shape != (2, network.n_params):
        raise ValueError(f"The curve's end points have shape {ends.shape[1:]}; this network has {network.n_params} parameters")
    bend = 0.5 * (ends[0] + ends[1])
    ts = np.random.default_rng(seed).uniform(0.0, 1.0, iterations)
    curve_loss = np.empty(iterations)
    factors = lr_factors(schedule, iterations)
    packed, oid, lr = spec.pack(values), INDEX_OF[optimizer], float(values["lr"])
    states = rule_states(spec, packed, network.n_params)
    x_train, y_train = (np.ascontiguousarray(a, dtype=np.float64) for a in (data.x_train, data.y_train))
    scratch = (np.arange(len(y_train)), *allocate_buffers(len(network.widths) - 1, len(y_train)), np.zeros(STATS_SHAPE),
               np.ones(STATS_SHAPE))
    network_args = (network.widths, network.offsets, bool(network.relu), bool(network.batch_norm))
    point, grad = np.empty(network.n_params), np.empty(network.n_params)
    no_probes = (np.zeros(network.n_params), np.zeros(network.n_params))  # no rule here takes a second gradient
    began = time.perf_counter()
    stop = -1
    for i in range(iterations):
        f = call_compiled(curve_gradient, float(ts[i]), ends, bend, point, *network_args, x_train, y_train, scratch, grad)
        curve_loss[i] = f
        if not math.isfinite(f):
            stop = i
            break
        call_specialized(apply_rule, 2, oid, PAIRED, i + 1, bend, grad, f, lr * factors[i], packed, states, *no_probes,
                         0.0)
    return Bend(bend, curve_loss[: iterations if stop < 0 else stop], None if stop < 0 else int(stop),
                time.perf_counter() - began)


def kernels_ready(optimizer: str, curve: bool = False) -> bool:
    """Whether a training by ``optimizer`` (``curve``: and the curve fit) runs without compiling."""
    return (bool(network_step.overloads) and is_compiled(apply_rule, (INDEX_OF[get(optimizer).name], PAIRED))
            and (not curve or bool(curve_gradient.overloads)))


def warm_up_problem() -> tuple:
    """The smallest network and data set, whose training compiles the same kernels as any other in a moment."""
    return Network((2,)), make_data_set("xor", 20, 0.1, 0)


# What the compile worker process may be asked to compile (optimizers.compile_worker).
COMPILED_IN_BACKGROUND = (network_step, apply_rule, curve_gradient, gradient_at)

__all__ = ["Bend", "COMPILED_IN_BACKGROUND", "KEPT_PATH_ROWS", "MAX_STEPS", "Training", "fit_curve", "kernels_ready",
           "names", "train", "warm_up_problem", "why_not"]
