"""Optimizers as Numba kernels, following ``torch.optim``'s documented algorithms.

>>> import optimizers
>>> r = optimizers.run("adam", "rosenbrock", start=(-1.5, 2.0), steps=500, lr=0.01)
>>> r.path.shape, r.diverged_at
((501, 2), None)
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import landscapes  # noqa: F401  (configures numba before it is imported)
import numpy as np
from landscapes import Landscape
from landscapes.interpreted import at_point

from ._base import STEP_SCALES, Hyper, OptimizerSpec, setting_key, with_setting
from . import _interpreted
from ._kernels import call_specialized, is_compiled, trace, trace_many, trace_many_one_by_one, trace_many_serial
from .kernel_queue import NOW, QUEUE, SOON
from ._registry import OPTIMIZERS
from ._schedules import SCHEDULES, lr_factors
from ._schedules import resolve as resolve_schedule

MAX_STEPS = 1_000_000
MAX_BATCH_WORK = 2**31  # runs x steps in one run_many call
MAX_SEED = 2**63 - 1

INDEX_OF = {spec.name: i for i, spec in enumerate(OPTIMIZERS)}  # an optimizer's number in the kernels' dispatch
assert len(INDEX_OF) == len(OPTIMIZERS), "two optimizers share a name"


def names() -> list[str]:
    """Names of every optimizer, in display order."""
    return [spec.name for spec in OPTIMIZERS]


def get(name: str) -> OptimizerSpec:
    """The declaration of optimizer ``name``: hyperparameters, formula, torch equivalent."""
    if name not in INDEX_OF:
        raise ValueError(f"Unknown optimizer {name!r}; valid names: {', '.join(names())}")
    return OPTIMIZERS[INDEX_OF[name]]


@dataclass
class Result:
    """One trajectory. Arrays end where the run diverged; they never hold NaN or inf."""

    optimizer: str
    landscape: Landscape
    hyperparams: dict
    schedule: dict
    path: np.ndarray  # (n+1, 2): path[0] is the start
    loss: np.ndarray  # (n+1,)
    grad_norm: np.ndarray  # (n+1,) norm of the exact gradient (before noise and clipping)
    lr: np.ndarray  # (n,) learning rate used by step k, which moves path[k] to path[k+1]
    diverged_at: int | None  # index of the first point that was non-finite or escaped, else None
    elapsed: float = 0.0  # seconds spent in the kernel
    interpreted: bool = False  # run by the Python interpreter while its kernel compiled (see ``run``'s patience)

    @property
    def final(self) -> tuple[float, float]:
        return float(self.path[-1, 0]), float(self.path[-1, 1])


@dataclass
class ManyResult:
    """Summaries of a batch of runs; every array has the broadcast shape of the inputs."""

    optimizer: str
    landscape: Landscape
    steps: int
    final_point: np.ndarray  # (..., 2) last valid point
    final_loss: np.ndarray
    final_grad_norm: np.ndarray
    diverged_at: np.ndarray  # int, -1 where the run did not diverge
    reached_at: np.ndarray  # int, first step with loss <= target_loss, -1 if never
    target_loss: float
    elapsed: float = 0.0
    inputs: dict = field(default_factory=dict)

    @property
    def diverged(self) -> np.ndarray:
        return self.diverged_at >= 0


# ----- validation -------------------------------------------------------------------------
def checked_steps(steps) -> int:
    """``steps`` as an int, or ValueError saying what is allowed (shared by the anatomy and minibatch runs)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not (0 <= steps <= MAX_STEPS):
        raise ValueError(f"Invalid steps: {steps!r}; expected a whole number in [0, {MAX_STEPS}]")
    return int(steps)


def _check_optional_positive(name: str, value) -> float:
    """inf (meaning off, as the kernels expect) for None, else a positive number."""
    if value is None:
        return math.inf
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not (value > 0):
        raise ValueError(f"Invalid {name}: {value!r}; expected None (off) or a positive number")
    return float(value)


def _check_noise(noise) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)) or not (0 <= noise <= 1e6):
        raise ValueError(f"Invalid noise: {noise!r}; expected a standard deviation in [0, 1e6]")
    return float(noise)


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not (0 <= seed <= MAX_SEED):
        raise ValueError(f"Invalid seed: {seed!r}; expected a whole number in [0, 2**63 - 1]")
    return int(seed)


def landscape_of(landscape) -> Landscape:
    """A Landscape given itself or its registry name."""
    return landscape if isinstance(landscape, Landscape) else landscapes.get(landscape)


def jitted_landscape(landscape) -> Landscape:
    """``landscape_of``, refusing a landscape whose kernels run in another process (no interpreter here)."""
    surface = landscape_of(landscape)
    if not surface.spec.jitted:
        raise ValueError(f"{surface.title}: its kernels run in another process; build it with jitted=True")
    return surface


def checked_start(surface: Landscape, start) -> tuple[float, float]:
    """``start`` (None: the surface's own) as two floats, or ValueError when it is outside the plot or not finite."""
    if start is None:
        return surface.start
    try:
        x, y = (float(v) for v in start)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid start: {start!r}; expected two numbers (x, y)") from None
    x_low, x_high, y_low, y_high = surface.escape_box
    if not (x_low <= x <= x_high and y_low <= y <= y_high):  # also rejects NaN
        raise ValueError(
            f"Invalid start: {start!r}; it must be finite and within x in [{x_low:g}, {x_high:g}], "
            f"y in [{y_low:g}, {y_high:g}]"
        )
    # the interpreted twins: a finiteness test need not compile the jitted functions (0.8 s on a new server)
    f = at_point(surface.spec.value, x, y, surface.param_tuple)
    gx, gy = at_point(surface.spec.grad, x, y, surface.param_tuple)
    if not all(math.isfinite(v) for v in (f, gx, gy)):
        raise ValueError(f"Invalid start: {start!r}; the loss or its gradient is not finite there")
    return x, y


def oracle_settings(noise, seed, clip_value, clip_norm) -> tuple:
    """The gradient oracle's arguments checked, in the kernels' order (a clip of None becomes inf: off)."""
    return (_check_noise(noise), _check_seed(seed), _check_optional_positive("clip_value", clip_value),
            _check_optional_positive("clip_norm", clip_norm))


# ----- single trajectory --------------------------------------------------------------------
def run(optimizer: str, landscape, start=None, steps: int = 500, *, schedule=None, clip_norm=None,
        clip_value=None, noise: float = 0.0, seed: int = 0, patience: float | None = None, **hyperparams) -> Result:
    """Trace one optimizer from ``start`` for ``steps`` steps on ``landscape``.

    ``hyperparams`` use torch's keywords (``lr``, ``momentum``, ``betas``, ...); unknown names
    and invalid values raise ``ValueError`` saying what is allowed. Divergence is not an error:
    the run stops and ``diverged_at`` says where.

    ``patience``: None waits for the kernel, compiling it if need be (seconds on a new server).
    A number of seconds waits that long at most: a kernel not compiled by then keeps compiling
    in the background (``kernel_queue``) while the interpreter runs this one from the same
    source (``Result.interpreted``), in milliseconds for a page's few hundred steps.
    """
    spec = get(optimizer)
    surface = landscape_of(landscape)
    steps = checked_steps(steps)
    x, y = checked_start(surface, start)
    values = spec.resolve(hyperparams)
    schedule = resolve_schedule(schedule)
    factors = lr_factors(schedule, steps)
    oracle = oracle_settings(noise, seed, clip_value, clip_norm)

    path = np.empty((steps + 1, 2))
    loss = np.empty(steps + 1)
    grad_norm = np.empty(steps + 1)
    lr_used = np.empty(steps)
    inputs = (surface.index, INDEX_OF[optimizer], surface.param_tuple, spec.pack(values), x, y, float(values["lr"]), factors,
              oracle, surface.escape_box)
    no_steps_call = inputs[:7] + (factors[:0],) + inputs[8:] + _trace_outputs(0)
    if not surface.spec.jitted and patience is None:
        raise ValueError(f"{surface.title}: its kernels run in another process (plain functions here); "
                         "pass a patience to interpret it, or build it with jitted=True")
    if not surface.spec.jitted:
        landscapes.formula.remember_plain(surface.index, surface.spec)
    interpreted = patience is not None and (not surface.spec.jitted
                                            or not _compiled_within(trace, 2, no_steps_call, patience))
    began = time.perf_counter()
    if interpreted:
        stop = _interpreted.trace(*inputs, path, loss, grad_norm, lr_used)
    else:
        stop = call_specialized(trace, 2, *inputs, path, loss, grad_norm, lr_used)
    elapsed = time.perf_counter() - began
    end = steps + 1 if stop < 0 else stop
    return Result(
        optimizer=optimizer, landscape=surface, hyperparams=values, schedule=schedule,
        path=path[:end], loss=loss[:end], grad_norm=grad_norm[:end], lr=lr_used[: end - 1],
        diverged_at=None if stop < 0 else int(stop), elapsed=elapsed, interpreted=interpreted,
    )


def _trace_outputs(steps: int) -> tuple:
    return np.empty((steps + 1, 2)), np.empty(steps + 1), np.empty(steps + 1), np.empty(steps)


def _compiled_within(kernel, literal_count: int, no_steps_call: tuple, patience: float, priority: int = NOW) -> bool:
    """Whether ``kernel``'s specialization is compiled, waiting ``patience`` seconds at most.

    ``no_steps_call``: the arguments of a call with no steps, of the same types as the real one;
    made at the head of the compile queue, it compiles the specialization (or loads it from disk).
    """
    literals = no_steps_call[:literal_count]
    if is_compiled(kernel, literals):
        return True
    key = (kernel.py_func.__name__,) + literals
    return QUEUE.wait(key, lambda: call_specialized(kernel, literal_count, *no_steps_call), patience, priority)


def kernel_ready(optimizer: str, landscape) -> bool:
    """Whether ``run(optimizer, landscape)`` would run compiled code now (no compile, no interpreter)."""
    return is_compiled(trace, (landscape_of(landscape).index, INDEX_OF[get(optimizer).name]))


# ----- batches --------------------------------------------------------------------------------
def _batch_kernel(spec: OptimizerSpec, surface, columns: int, *, noisy: bool, clipped: bool) -> tuple:
    """The batch kernel of ``run_many`` and its literal arguments (which name its specialization)."""
    ids = (surface.index, INDEX_OF[spec.name], columns)
    if spec.needs_oracle:  # array state: one trajectory per run
        return trace_many_serial, ids
    return trace_many, ids + (noisy, clipped)


def batch_kernel_ready(optimizer: str, landscape, *, noisy: bool = False, clipped: bool = False) -> bool:
    """Whether ``run_many(optimizer, landscape, ...)`` (with noise / clipping as said) would run its
    batch kernel now, not its runs one by one while that kernel compiles."""
    spec = get(optimizer)
    surface = landscape_of(landscape)
    kernel, literals = _batch_kernel(spec, surface, len(spec.pack(spec.resolve({}))), noisy=noisy, clipped=clipped)
    return is_compiled(kernel, literals)


def _as_float_array(hyper: Hyper, name: str, value) -> np.ndarray:
    array = np.asarray(value, dtype=float) if not isinstance(value, (str, bytes)) else None
    if array is None or array.dtype.kind not in "fiu":
        raise ValueError(f"Invalid {name}: expected numbers in {hyper.describe_range()}")
    low_bad = array <= hyper.low if hyper.low_open else array < hyper.low
    high_bad = array >= hyper.high if hyper.high_open else array > hyper.high
    bad = np.isnan(array) | low_bad | high_bad
    if bad.any():
        raise ValueError(f"Invalid {name}: {array[bad].flat[0]!r}; allowed range is {hyper.describe_range()}")
    return array


def run_many(optimizer: str, landscape, starts=None, steps: int = 500, *, schedule=None, clip_norm=None,
             clip_value=None, noise: float = 0.0, seed=0, target_loss: float | None = None,
             patience: float | None = None, **hyperparams) -> ManyResult:
    """Many runs in one parallel kernel call: a grid of start points and/or hyperparameters.

    ``starts`` has shape (..., 2); any float hyperparameter (and ``lr``, ``seed``) may be an
    array. Everything broadcasts together, and every result array has the broadcast shape.
    Element ``i`` equals ``run`` with the same settings: the same numbers, bit for bit.
    With one scalar ``seed`` every run sees the same noise (common random numbers).

    ``patience``: None waits for the batch kernel, compiling it if need be (5-12 s on a new
    server). A number of seconds waits that long at most: a batch kernel not compiled by then
    keeps compiling in the background while this batch runs one by one through ``run``'s
    kernel (about a second to compile), with the same results.
    """
    spec = get(optimizer)
    surface = jitted_landscape(landscape)
    steps = checked_steps(steps)
    starts = np.asarray(surface.start if starts is None else starts, dtype=float)
    if starts.ndim == 0 or starts.shape[-1] != 2:
        raise ValueError(f"Invalid starts: expected an array of shape (..., 2), got shape {starts.shape}")
    x_low, x_high, y_low, y_high = surface.escape_box
    inside = (starts[..., 0] >= x_low) & (starts[..., 0] <= x_high) & (starts[..., 1] >= y_low) & (starts[..., 1] <= y_high)
    if not inside.all():
        raise ValueError("Invalid starts: every start point must be finite and within the landscape's range")

    # Validate scalars the usual way, arrays element-wise, then broadcast everything.
    arrays, scalars = {}, {}
    for name, value in hyperparams.items():
        if name not in {h.name for h in spec.hypers}:
            spec.resolve({name: value})  # raises the standard "unknown hyperparameter" message
        hyper = spec.hyper(name)
        if hyper.kind == "float" and np.ndim(value) > 0:
            arrays[name] = _as_float_array(hyper, name, value)
        elif hyper.kind == "pair" and isinstance(value, (tuple, list)) and len(value) == 2 and any(np.ndim(v) > 0 for v in value):
            arrays[name + "[0]"] = _as_float_array(hyper, f"{name}[0]", value[0])
            arrays[name + "[1]"] = _as_float_array(hyper, f"{name}[1]", value[1])
        else:
            scalars[name] = value
    probe = dict(scalars)
    for key, array in arrays.items():  # cross-checks see each array's smallest element
        probe = with_setting(probe, key, float(array.min()), {setting_key(key)[0]: (0.5, 0.5)})
    values = spec.resolve(probe)
    schedule = resolve_schedule(schedule)
    factors = lr_factors(schedule, steps)
    oracle = oracle_settings(noise, 0, clip_value, clip_norm)
    seeds = np.asarray(seed)
    if seeds.dtype.kind == "O" or seeds.dtype.kind not in "iu" or (seeds < 0).any() or (seeds > MAX_SEED).any():
        raise ValueError("Invalid seed: expected whole numbers in [0, 2**63 - 1]")
    if target_loss is None:
        target_loss = min((m.value for m in surface.minima), default=-math.inf) + 1e-6
    target_loss = float(target_loss)

    shape = np.broadcast_shapes(starts.shape[:-1], seeds.shape, *(a.shape for a in arrays.values()))
    n = int(np.prod(shape))
    if n * max(steps, 1) > MAX_BATCH_WORK:
        raise ValueError(f"Too much work: {n} runs x {steps} steps exceeds {MAX_BATCH_WORK}")

    columns = []
    for hyper in spec.hypers[1:]:
        if hyper.kind == "pair":
            for i in (0, 1):
                key = f"{hyper.name}[{i}]"
                columns.append(arrays[key] if key in arrays else values[hyper.name][i])
        elif hyper.name in arrays:
            columns.append(arrays[hyper.name])
        else:
            columns.extend(hyper.pack(values[hyper.name]))
    columns.extend(float(v) for _, v in spec.constants)
    hp_table = np.empty((len(columns), n))  # one column per run: the batch kernel reads it that way
    for j, column in enumerate(columns):
        hp_table[j] = np.broadcast_to(column, shape).reshape(n)
    lrs = np.ascontiguousarray(np.broadcast_to(arrays.get("lr", values["lr"]), shape).reshape(n), dtype=float)
    flat_starts = np.ascontiguousarray(np.broadcast_to(starts, shape + (2,)).reshape(n, 2))
    flat_seeds = np.ascontiguousarray(np.broadcast_to(seeds, shape).reshape(n), dtype=np.int64)

    final_point = np.empty((n, 2))
    final_loss = np.empty(n)
    final_grad_norm = np.empty(n)
    diverged_at = np.empty(n, dtype=np.int64)
    reached_at = np.empty(n, dtype=np.int64)
    outputs = (final_point, final_loss, final_grad_norm, diverged_at, reached_at)
    ids = (surface.index, INDEX_OF[optimizer], len(columns))
    inputs = (surface.param_tuple, hp_table, flat_starts, lrs, flat_seeds, factors, oracle, surface.escape_box, target_loss)
    kernel, literals = _batch_kernel(spec, surface, len(columns), noisy=oracle[0] > 0.0,
                                     clipped=oracle[2] < math.inf or oracle[3] < math.inf)
    no_steps_call = literals + (inputs[0], hp_table[:, :1].copy(), flat_starts[:1], lrs[:1], flat_seeds[:1], factors[:0]) \
        + inputs[6:] + tuple(o[:1].copy() for o in outputs)
    # SOON, not NOW: a batch has a stand-in (its runs one by one), so its kernel (5-15 s) must not hold up a page
    # that has none; five of them asked for by Sweep and Basins held the Network page's first view for 55 s
    batch_kernel_ready = patience is None or _compiled_within(kernel, len(literals), no_steps_call, patience, SOON)
    began = time.perf_counter()
    if batch_kernel_ready:
        call_specialized(kernel, len(literals), *literals, *inputs, *outputs)
    else:
        trace_many_one_by_one(*ids, *inputs, *outputs)
    elapsed = time.perf_counter() - began
    return ManyResult(
        optimizer=optimizer, landscape=surface, steps=steps,
        final_point=final_point.reshape(shape + (2,)), final_loss=final_loss.reshape(shape),
        final_grad_norm=final_grad_norm.reshape(shape), diverged_at=diverged_at.reshape(shape),
        reached_at=reached_at.reshape(shape), target_loss=target_loss, elapsed=elapsed,
        inputs={"hyperparams": values, "arrays": arrays, "schedule": schedule},
    )


__all__ = ["OPTIMIZERS", "SCHEDULES", "ManyResult", "OptimizerSpec", "Result", "batch_kernel_ready", "get", "kernel_ready",
           "names", "run", "run_many", "MAX_STEPS", "lr_factors"]
