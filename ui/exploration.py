"""What the Sweep and Basins pages compute: grids of settings or start points, run in batches.

No Streamlit here, so every number is tested headless; ``ui.sweep`` and ``ui.basins`` cache
these calls and draw the controls. Every batch goes through ``optimizers.run_many``, whose
element ``i`` is bit for bit the ``optimizers.run`` with the same settings, so a clicked cell
redrawn with ``run`` is the very run the cell summarizes.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, fields

import numpy as np
import optimizers

from .scheduler import Chunk, chunk_rows

MAX_SWEEP_RESOLUTION = 256
MAX_BASIN_RESOLUTION = 512
MAX_STEPS = 2000
# Runs x steps one request may ask for: a 256 x 256 sweep of 1000 steps (~2 s of Adam on
# two cores) and a 512 x 512 basin map of 250 steps fit; more is cut down with a message.
MAX_WORK = 256 * 256 * 1000
# L-BFGS runs one trajectory per run, with line searches: about 30 times the cost per step
# of the vectorized rules (measured: ~9 s for 256 x 256 x 500).
SERIAL_COST = 30

# Weighted run-steps per chunk of a batch (the scheduler's turn): 0.05-0.3 s on one core, so a
# replaced request stops within that, and a student's slider never waits behind a whole sweep.
CHUNK_WORK = 6_000_000

CLIP = "clip_norm"  # not a hyperparameter of any optimizer, but a sweepable setting of every run


@dataclass(frozen=True)
class AxisSpec:
    """A setting a sweep can vary: its valid range and the range offered first."""

    key: str  # a torch keyword ("lr", "momentum"), a pair element ("betas[1]") or "clip_norm"
    label: str
    valid_low: float
    valid_high: float
    low_open: bool
    high_open: bool
    default_low: float
    default_high: float
    log: bool

    def allows(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        above = value > self.valid_low if self.low_open else value >= self.valid_low
        below = value < self.valid_high if self.high_open else value <= self.valid_high
        return above and below

    def describe(self) -> str:
        lo = "(" if self.low_open else "["
        hi = ")" if self.high_open else "]"
        return f"{lo}{self.valid_low:g}, {self.valid_high:g}{hi}"


@dataclass(frozen=True)
class Axis:
    """One axis of a sweep: which setting, over which range, on which scale, at how many values."""

    key: str
    label: str
    low: float
    high: float
    log: bool
    count: int

    def values(self) -> np.ndarray:
        if self.count == 1:
            return np.array([self.low])
        if self.log:
            return np.geomspace(self.low, self.high, self.count)
        return np.linspace(self.low, self.high, self.count)

    def at_fractions(self, fractions: np.ndarray) -> np.ndarray:
        """Values at positions in [0, 1] along the axis (on its own scale)."""
        if self.log:
            return np.exp(np.log(self.low) + fractions * (np.log(self.high) - np.log(self.low)))
        return self.low + fractions * (self.high - self.low)


def _default_range(hyper) -> tuple[float, float]:
    low, high = hyper.slider or (hyper.low, hyper.high)
    if hyper.log:
        low = low if low > 0 else 1e-8
        return float(max(low, 1e-10)), float(min(high, 1e4))
    if hyper.low == 0.0 and hyper.high == 1.0:  # momentum, betas, alpha: the interesting end is near 1
        return 0.0, 0.999 if hyper.name == "betas" else 0.99
    return float(low), float(min(high, max(low + 1.0, 1.0)))


def _default_part_range(hyper, index: int) -> tuple[float, float]:
    """The range first offered for one number of a pair: β₁ and β₂ where their lessons are, else
    a factor of two either side of the default, within the valid range."""
    if hyper.name == "betas":
        return (0.5, 0.99) if index == 0 else (0.9, 0.9999)
    default = float(hyper.default[index])
    low, high = (default / 2, default * 2) if default > 0 else (hyper.low, min(hyper.high, 1.0))
    return max(low, hyper.low), min(high, hyper.high)


def axis_specs(optimizer: str) -> dict[str, AxisSpec]:
    """Every setting of ``optimizer`` a sweep can vary, keyed as the URL and ``run_settings`` name it."""
    spec = optimizers.get(optimizer)
    specs: dict[str, AxisSpec] = {}
    for hyper in spec.hypers:
        if hyper.kind not in ("float", "pair"):
            continue
        low, high = _default_range(hyper)
        if hyper.kind == "pair":
            for i, name in enumerate(hyper.parts):
                d_low, d_high = _default_part_range(hyper, i)
                specs[f"{hyper.name}[{i}]"] = AxisSpec(f"{hyper.name}[{i}]", name, hyper.low, hyper.high, hyper.low_open,
                                                       hyper.high_open, d_low, d_high, False)
        else:
            specs[hyper.name] = AxisSpec(hyper.name, hyper.label or hyper.name, hyper.low, hyper.high, hyper.low_open,
                                         hyper.high_open, low, high, hyper.log)
    specs[CLIP] = AxisSpec(CLIP, "clipping threshold (max norm)", 1e-6, 1e6, False, False, 0.01, 100.0, True)
    return specs


def default_axes(optimizer: str) -> tuple[str, str]:
    """lr against the setting that most changes the picture for this optimizer (its spec's ``sweep_axis``)."""
    keys = [k for k in axis_specs(optimizer) if k != "lr"]
    preferred = optimizers.get(optimizer).sweep_axis
    return "lr", preferred if preferred in keys else keys[0]


# ----- running many settings ----------------------------------------------------------------------
@dataclass
class Outcome:
    """Summaries of a batch of runs, each array of the batch's shape."""

    final_x: np.ndarray
    final_y: np.ndarray
    final_loss: np.ndarray
    diverged_at: np.ndarray  # -1: did not diverge
    reached_at: np.ndarray  # -1: never reached the target loss
    steps: int
    target_loss: float

    @property
    def diverged(self) -> np.ndarray:
        return self.diverged_at >= 0


def run_kwargs(optimizer: str, fixed: dict, varying: dict) -> dict:
    """run_many keywords: the fixed hyperparameters with the varying ones put in their place."""
    spec = optimizers.get(optimizer)
    values = spec.resolve({k: v for k, v in fixed.items() if k != CLIP})
    kwargs = dict(values)
    for key, array in varying.items():
        kwargs = optimizers.with_setting(kwargs, key, array)
    return kwargs


def run_settings(optimizer: str, surface, starts, steps: int, fixed: dict, varying: dict, target_loss: float,
                 patience: float | None = None) -> Outcome:
    """Runs for every combination the broadcast of ``varying`` (key -> array) and ``starts`` describes.

    ``fixed`` holds the other hyperparameters (and optionally ``clip_norm``). A varying
    clipping threshold is not a kernel argument, so each distinct threshold is one batch.
    ``patience``: as ``optimizers.run_many``'s (same results; sooner on a new server).
    """
    starts = np.asarray(starts, dtype=float)
    arrays = {k: np.asarray(v, dtype=float) for k, v in varying.items()}
    shape = np.broadcast_shapes(starts.shape[:-1], *(a.shape for a in arrays.values()))
    starts = np.broadcast_to(starts, shape + (2,))
    arrays = {k: np.broadcast_to(a, shape) for k, a in arrays.items()}
    out = Outcome(np.empty(shape), np.empty(shape), np.empty(shape), np.empty(shape, dtype=np.int64),
                  np.empty(shape, dtype=np.int64), steps, target_loss)
    clips = arrays.pop(CLIP, None)
    groups = [(None, np.ones(shape, dtype=bool))] if clips is None else [(c, clips == c) for c in np.unique(clips)]
    for clip, mask in groups:
        clip_norm = float(clip) if clip is not None else fixed.get(CLIP)
        sub = {k: a[mask] for k, a in arrays.items()}
        kwargs = run_kwargs(optimizer, fixed, sub)
        result = optimizers.run_many(optimizer, surface, starts[mask], steps=steps, clip_norm=clip_norm,
                                     target_loss=target_loss, patience=patience, **kwargs)
        out.final_x[mask] = result.final_point[..., 0]
        out.final_y[mask] = result.final_point[..., 1]
        out.final_loss[mask] = result.final_loss
        out.diverged_at[mask] = result.diverged_at
        out.reached_at[mask] = result.reached_at
    return out


def outcome_chunks(optimizer: str, surface, starts, steps: int, fixed: dict, varying: dict, target_loss: float,
                   patience: float | None = None, chunk_work: float = CHUNK_WORK) -> list[Chunk]:
    """``run_settings``'s work in row slices of about ``chunk_work`` each; ``joined`` puts their Outcomes together."""
    starts = np.asarray(starts, dtype=float)
    arrays = {k: np.asarray(v, dtype=float) for k, v in varying.items()}
    shape = np.broadcast_shapes(starts.shape[:-1], *(a.shape for a in arrays.values()))
    if not shape:
        return [Chunk(functools.partial(run_settings, optimizer, surface, starts, steps, fixed, varying, target_loss, patience),
                      work_of(optimizer, 1, steps))]
    starts = np.broadcast_to(starts, shape + (2,))
    arrays = {k: np.broadcast_to(a, shape) for k, a in arrays.items()}
    per_row = work_of(optimizer, int(np.prod(shape[1:])), steps)
    return [Chunk(functools.partial(run_settings, optimizer, surface, starts[rows], steps, fixed,
                                    {k: a[rows] for k, a in arrays.items()}, target_loss, patience),
                  per_row * (rows.stop - rows.start))
            for rows in chunk_rows(shape[0], per_row, chunk_work)]


def joined(parts: list[Outcome]) -> Outcome:
    """One Outcome from row slices in order; its arrays are read-only (a result may be shared by sessions)."""
    if len(parts) == 1 and parts[0].final_x.ndim == 0:
        return parts[0]
    arrays = {f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Outcome)
              if f.name not in ("steps", "target_loss")}
    for array in arrays.values():
        array.flags.writeable = False
    return Outcome(**arrays, steps=parts[0].steps, target_loss=parts[0].target_loss)


def several(chunk_lists: list[list[Chunk]]) -> tuple[list[Chunk], object]:
    """Several batches as one job: their chunks in order, and a combine giving one joined Outcome per batch."""
    spans, chunks = [], []
    for chunk_list in chunk_lists:
        spans.append((len(chunks), len(chunks) + len(chunk_list)))
        chunks.extend(chunk_list)
    return chunks, lambda results: [joined(results[a:b]) for a, b in spans]


def work_of(optimizer: str, runs: int, steps: int) -> int:
    """Run-steps a batch costs, weighted for rules that run one trajectory per run."""
    weight = SERIAL_COST if optimizers.get(optimizer).needs_oracle else 1
    return runs * max(steps, 1) * weight


def fit_resolution(resolution: int, steps: int, optimizer_names, cap: int = MAX_WORK) -> int:
    """The largest square resolution <= ``resolution`` whose runs of every optimizer fit ``cap``."""
    per_cell = sum(work_of(name, 1, steps) for name in optimizer_names) or 1
    fitting = int(math.isqrt(max(cap // per_cell, 4)))
    return max(2, min(resolution, fitting))


def target_loss_for(surface, tolerance: float) -> float:
    """The loss a run must reach to count as converged: the lowest known minimum plus ``tolerance``."""
    lowest = min((m.value for m in surface.minima), default=0.0)
    return lowest + tolerance


# ----- metrics ---------------------------------------------------------------------------------------
METRICS = {
    "loss": "final loss − f*",
    "steps": "steps to reach the tolerance",
    "distance": "distance to the nearest minimum",
    "diverged": "diverged or not",
}
FINE, DIVERGED, NOT_REACHED = 0, 1, 2


def nearest_minimum(surface, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the nearest known minimum, distance to it) for every point; (-1, inf) with none known.

    On a surface whose minima form a valley, the distance is to the valley (``Landscape.nearest_minima``).
    """
    return surface.nearest_minima(xs, ys)


def metric_values(outcome: Outcome, metric: str, surface) -> tuple[np.ndarray, np.ndarray]:
    """(value, status) per run: lower values are better; value is NaN where status is not FINE."""
    status = np.where(outcome.diverged, DIVERGED, FINE)
    lowest = min((m.value for m in surface.minima), default=None)
    if metric == "steps":
        values = outcome.reached_at.astype(float)
        status = np.where((status == FINE) & (outcome.reached_at < 0), NOT_REACHED, status)
    elif metric == "distance":
        _, values = nearest_minimum(surface, outcome.final_x, outcome.final_y)
    elif metric == "diverged":
        values = np.zeros(outcome.final_loss.shape)
    else:
        values = outcome.final_loss - lowest if lowest is not None else outcome.final_loss.copy()
        values = np.maximum(values, 0.0)
    values = np.where(status == FINE, values, np.nan)
    return values, status


def best_index(values: np.ndarray, outcome: Outcome, metric: str):
    """Index (a tuple) of the best run: lowest value, ties and the 'diverged' metric broken by final loss."""
    usable = np.isfinite(values)
    if not usable.any():
        return None
    order_value = np.where(usable, values, np.inf)
    loss = np.where(usable, outcome.final_loss, np.inf)
    flat = np.lexsort((loss.ravel(), order_value.ravel()))[0]
    return np.unravel_index(flat, values.shape)


# ----- grid versus random search -----------------------------------------------------------------
def grid_points(x_axis: Axis, y_axis: Axis, side: int) -> tuple[np.ndarray, np.ndarray]:
    """The side x side grid search: cell centres of the sweep's range, on each axis's scale."""
    fractions = (np.arange(side) + 0.5) / side
    gx, gy = np.meshgrid(x_axis.at_fractions(fractions), y_axis.at_fractions(fractions))
    return gx.ravel(), gy.ravel()


def random_points(x_axis: Axis, y_axis: Axis, budget: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``budget`` settings drawn uniformly over the sweep's range (log-uniformly on log axes)."""
    rng = np.random.default_rng(seed)
    return x_axis.at_fractions(rng.random(budget)), y_axis.at_fractions(rng.random(budget))


@dataclass
class SearchRace:
    """Grid and random search with the same budgets, on the same metric."""

    grid_x: np.ndarray  # the largest grid's points
    grid_y: np.ndarray
    grid_value: np.ndarray
    random_x: np.ndarray
    random_y: np.ndarray
    random_value: np.ndarray
    grid_budgets: np.ndarray  # k*k for k = 1..side
    grid_best: np.ndarray  # best value of the k x k grid
    random_best: np.ndarray  # best of the first b random points, b = 1..budget


def _score(values: np.ndarray, status: np.ndarray) -> np.ndarray:
    return np.where(status == FINE, values, np.inf)


def search_race(optimizer: str, surface, start, steps: int, fixed: dict, x_axis: Axis, y_axis: Axis, metric: str,
                target_loss: float, side: int, seed: int = 0) -> SearchRace:
    """Run both searches: grids of k x k for k up to ``side``, and ``side**2`` random settings."""
    budget = side * side
    xs, ys, owners = [], [], []
    for k in range(1, side + 1):
        gx, gy = grid_points(x_axis, y_axis, k)
        xs.append(gx)
        ys.append(gy)
        owners.append(np.full(gx.shape, k))
    rx, ry = random_points(x_axis, y_axis, budget, seed)
    all_x = np.concatenate(xs + [rx])
    all_y = np.concatenate(ys + [ry])
    outcome = run_settings(optimizer, surface, start, steps, fixed, {x_axis.key: all_x, y_axis.key: all_y}, target_loss)
    values, status = metric_values(outcome, metric if metric != "diverged" else "loss", surface)
    score = _score(values, status)
    owner = np.concatenate(owners + [np.zeros(budget, dtype=int)])
    grid_best = np.array([score[owner == k].min() for k in range(1, side + 1)])
    random_score = score[owner == 0]
    last = owner == side
    return SearchRace(all_x[last], all_y[last], score[last], rx, ry, random_score,
                      np.arange(1, side + 1) ** 2, grid_best, np.minimum.accumulate(random_score))


# ----- basins ----------------------------------------------------------------------------------------
def start_grid(surface, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, starts): a resolution x resolution grid of start points over the plot, starts[j, i] = (xs[i], ys[j])."""
    (x0, x1), (y0, y1) = surface.bounds
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx, gy], axis=-1)


def capture_radius(surface) -> float:
    """How close to a minimum a run must end to count as having arrived there.

    A twentieth of the plot's diagonal, but never more than a third of the distance
    between the two closest minima, so neighbouring basins cannot share a point.
    """
    (x0, x1), (y0, y1) = surface.bounds
    radius = 0.05 * math.hypot(x1 - x0, y1 - y0) / 2
    minima = surface.minima
    for i, a in enumerate(minima):
        for b in minima[i + 1:]:
            radius = min(radius, math.hypot(a.x - b.x, a.y - b.y) / 3)
    return radius


DIVERGED_LABEL, NOT_CONVERGED_LABEL = -1, -2


def basin_labels(outcome: Outcome, surface, radius: float) -> np.ndarray:
    """Index of the minimum each run ends at; DIVERGED_LABEL, or NOT_CONVERGED_LABEL if it ends near none."""
    index, distance = nearest_minimum(surface, outcome.final_x, outcome.final_y)
    labels = np.where(distance <= radius, index, NOT_CONVERGED_LABEL)
    return np.where(outcome.diverged, DIVERGED_LABEL, labels).astype(np.int64)
