"""The measures lessons' claims and figures use, in one place: distances, arrival steps, sign
changes, curvature, the Taylor view of a step, and what an optimizer's own state held.

Per-step quantities of an update rule (AdaGrad's and RMSProp's per-coordinate step sizes,
Nesterov's heavy ball) come from ``optimizers.anatomy.replay``, which records the kernel's own
state at every step, rather than from a second implementation of the recurrences here.
"""
from __future__ import annotations

import math

import numpy as np
import optimizers
from optimizers import anatomy


def distance_to(result, point) -> float:
    return float(math.hypot(result.path[-1, 0] - point[0], result.path[-1, 1] - point[1]))


def distances(result, point) -> np.ndarray:
    return np.hypot(result.path[:, 0] - point[0], result.path[:, 1] - point[1])


def first_within(result, point, tolerance: float):
    """First step at which the run is within ``tolerance`` of ``point``, else None."""
    hits = np.flatnonzero(distances(result, point) <= tolerance)
    return int(hits[0]) if hits.size else None


def first_below(values, level: float):
    """First index at which ``values`` is below ``level``, else None."""
    hits = np.flatnonzero(np.asarray(values) < level)
    return int(hits[0]) if hits.size else None


def step_lengths(result) -> np.ndarray:
    return np.hypot(*np.diff(result.path, axis=0).T)


def sign_changes(values) -> int:
    signs = np.sign(np.asarray(values))
    signs = signs[signs != 0]
    return int(np.sum(signs[1:] != signs[:-1]))


def hessian_eigen(surface, point) -> tuple[np.ndarray, np.ndarray]:
    return np.linalg.eigh(np.asarray(surface.hessian(float(point[0]), float(point[1])), dtype=float))


def largest_curvature(surface, point) -> float:
    return float(np.max(np.abs(hessian_eigen(surface, point)[0])))


def largest_curvature_along(result, surface) -> np.ndarray:
    """The Hessian's largest eigenvalue magnitude at every point of the run's path, in one vectorized call."""
    path = np.asarray(result.path, dtype=float)
    hessians = np.broadcast_to(np.asarray(surface.hessian(np.ascontiguousarray(path[:, 0]),
                                                          np.ascontiguousarray(path[:, 1])), dtype=float), (len(path), 2, 2))
    return np.abs(np.linalg.eigvalsh(hessians)).max(axis=1)


def stability_ratio_along(result, surface) -> np.ndarray:
    """η_t·λmax(θ_t) at each step: a plain gradient step is stable where the curvature lets it be, below 2
    (the engine's ``optimizers.stability``, which Compare's stability chart draws too)."""
    from optimizers import stability

    return stability.along(result).ratio()


def global_minimum(surface):
    return min(surface.minima, key=lambda m: m.value)


def minimum_point(surface) -> tuple[float, float]:
    m = global_minimum(surface)
    return float(m.x), float(m.y)


def taylor_step(surface, point, lr: float) -> dict:
    """Goodfellow/UvA's second-order view of one gradient step of size ``lr`` from ``point``.

    f(θ − εg) ≈ f(θ) − ε gᵀg + ½ ε² gᵀHg: the step raises the loss once ½ ε gᵀHg > gᵀg, i.e.
    for ε > 2 gᵀg / gᵀHg.
    """
    x, y = float(point[0]), float(point[1])
    g = np.array(surface.grad(x, y), dtype=float)
    hessian = np.asarray(surface.hessian(x, y), dtype=float)
    gg, ghg = float(g @ g), float(g @ hessian @ g)
    predicted = -lr * gg + 0.5 * lr * lr * ghg
    actual = float(surface.f(x - lr * g[0], y - lr * g[1]) - surface.f(x, y))
    return dict(gg=gg, ghg=ghg, threshold=2 * gg / ghg if ghg > 0 else math.inf, predicted=predicted, actual=actual)


def settled_loss(result, last: int = 50, reference: float = 0.0) -> float:
    """Mean of loss − reference over the run's last ``last`` steps."""
    return float(np.mean(np.asarray(result.loss[-last:]) - reference))


def ends_near_minimum(result, surface, tolerance: float):
    """The minimum the run ends within ``tolerance`` of, or None."""
    nearest, distance = surface.nearest_minimum(*result.path[-1])
    return nearest if nearest is not None and distance <= tolerance else None


def start_grid(surface, columns: int = 9, rows: int = 7) -> np.ndarray:
    """Starts spread evenly over the plot (inside its border), shape (rows*columns, 2)."""
    (x0, x1), (y0, y1) = surface.bounds
    xs = np.linspace(x0, x1, columns + 2)[1:-1]
    ys = np.linspace(y0, y1, rows + 2)[1:-1]
    return np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


def endings_from_starts(scene_state, run_index: int, starts, steps: int, tolerance: float = 0.05) -> tuple[list, list[int]]:
    """One scene run repeated from many starts: the paths, and the index of the minimum each ends in (-1: none)."""
    surface = scene_state.surface()
    spec = scene_state.runs[run_index]
    minima = list(surface.minima)
    paths, endings = [], []
    for start in starts:
        result = optimizers.run(spec.optimizer, surface, start=tuple(start), steps=steps, **spec.run_kwargs())
        end = ends_near_minimum(result, surface, tolerance)
        paths.append(result.path)
        endings.append(minima.index(end) if end is not None else -1)
    return paths, endings


# ----- what the update rule held (recorded by the kernel itself) ---------------------------------
_EFFECTIVE_LR_ROW = "(effective learning rate per coordinate)"


def replay_run(scene_state, run_index: int):
    """``optimizers.anatomy.replay`` of one scene run: its path equals the run's, bit for bit."""
    spec = scene_state.runs[run_index]
    return anatomy.replay(spec.optimizer, scene_state.surface(), start=scene_state.start, steps=scene_state.steps,
                          **spec.run_kwargs())


def effective_lr(replayed) -> np.ndarray | None:
    """The per-coordinate step size η/(√s + ε) the rule used at each step, shape (n, 2), from the
    rows the rule's own ``explain`` names; None for a rule without one."""
    values = []
    for t in range(1, replayed.steps + 1):
        rows = [value for name, value in replayed.step(t).rows if name.endswith(_EFFECTIVE_LR_ROW)]
        if not rows:
            return None
        values.append(rows[0])
    return np.array(values, dtype=float).reshape(-1, 2)


def heavy_ball_positions(replayed) -> np.ndarray:
    """Where the heavy ball is, for a replayed run of torch's Nesterov: shape (n+1, 2).

    torch's iterates φ are the look-ahead points (the gradient is evaluated there); the ball of
    the lecture notes' form sits at θ = φ + ημ b, b the momentum buffer the kernel holds.
    """
    mu = replayed.hyperparams["momentum"]
    buffers = replayed.states[:, :2]
    lrs = np.concatenate([[0.0], replayed.lr])
    return replayed.path + (lrs * mu)[:, None] * buffers


def best_lr(scene_state, run_index: int, grid, score) -> float:
    """The learning rate of ``grid`` that minimizes ``score(result)`` for one scene run, all else equal.

    Where a lesson compares methods, each runs at its own best η of a small stated grid; a claim
    calls this to check the scene's η is that best one, so the comparison stays fair if the scene changes.
    """
    surface = scene_state.surface()
    spec = scene_state.runs[run_index]
    kwargs = spec.run_kwargs()
    scores = []
    for lr in grid:
        kwargs["lr"] = float(lr)
        scores.append(score(optimizers.run(spec.optimizer, surface, start=scene_state.start, steps=scene_state.steps,
                                           **kwargs)))
    return float(grid[int(np.argmin(scores))])


def final_distance_or_inf(point):
    """A score for ``best_lr``: the distance of the run's end to ``point``; a diverged run scores infinity."""
    return lambda r: math.inf if r.diverged_at is not None else distance_to(r, point)


def steps_to_reach(point, tolerance: float):
    """A score for ``best_lr``: the first step within ``tolerance`` of ``point`` (never: infinity)."""
    def score(r):
        k = first_within(r, point, tolerance)
        return math.inf if k is None else k
    return score


# ----- minibatch runs ---------------------------------------------------------------------------------
def gap(result, data) -> np.ndarray:
    """Full-batch loss minus its lowest value at every iterate: what the loss charts plot."""
    return np.asarray(result.loss) - data.min_loss


def iterate_after_epochs(result, epochs: float) -> int:
    """The index of the first iterate after ``epochs`` passes over the data."""
    return int(np.argmax(np.asarray(result.epoch) >= epochs - 1e-12))


def draws_per_example(result, epoch: int) -> np.ndarray:
    """How many times each example was drawn in epoch ``epoch`` (0-based) of a minibatch run."""
    per = result.n // result.batch_size
    drawn = np.concatenate([result.batch(t) for t in range(epoch * per, (epoch + 1) * per)])
    return np.bincount(drawn, minlength=result.n)


def unseen_share(result) -> np.ndarray:
    """The share of the examples a minibatch run never drew, in each whole epoch it completed."""
    epochs = int(result.steps * result.batch_size // result.n)
    return np.array([np.mean(draws_per_example(result, e) == 0) for e in range(epochs)])


def geometric_mean(values) -> float:
    return float(np.exp(np.mean(np.log(np.maximum(np.asarray(values, dtype=float), 1e-16)))))


def epoch_end_level(result, data, first: int) -> float:
    """Geometric mean of the gap at the end of every epoch from ``first`` on."""
    per = result.n // result.batch_size
    return geometric_mean(gap(result, data)[first * per::per])


def held_out_loss(scene_state, result) -> np.ndarray:
    """The loss on the scene's held-out examples at every iterate of a run."""
    held = scene_state.held_out()
    return np.asarray(held.f(np.ascontiguousarray(result.path[:, 0]), np.ascontiguousarray(result.path[:, 1])))


def one_step_floor(data) -> float:
    """The lowest gap one full-gradient step from the start reaches at any learning rate (exact line
    search: the least-squares loss is quadratic, so η* = gᵀg / gᵀHg)."""
    x, y = data.start
    g = np.array(data.grad(x, y), dtype=float)
    eta = float(g @ g / (g @ np.asarray(data.hessian(x, y)) @ g))
    return float(data.f(x - eta * g[0], y - eta * g[1]) - data.min_loss)


def stays_within(result, point, tolerance: float):
    """The first step from which the run stays within ``tolerance`` of ``point`` to its end; None if it never
    does or diverged. A fairer finish line than the first entry for paths that spiral in (a lucky pass
    through the disc does not count)."""
    if result.diverged_at is not None:
        return None
    outside = np.flatnonzero(distances(result, point) > tolerance)
    if outside.size == 0:
        return 0
    return int(outside[-1]) + 1 if outside[-1] + 1 < len(result.path) else None


def steps_to_stay(point, tolerance: float):
    """A score for ``best_lr``: the step from which the run stays within ``tolerance`` (never: infinity)."""
    def score(r):
        k = stays_within(r, point, tolerance)
        return math.inf if k is None else k
    return score


def mean_last(result, count: int) -> float:
    return float(np.mean(np.asarray(result.loss)[-count:]))


def running_mean(values, width: int) -> np.ndarray:
    """Mean of each window of ``width`` consecutive values (shorter at the start), same length as ``values``."""
    values = np.asarray(values, dtype=float)
    sums = np.cumsum(np.concatenate([[0.0], values]))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - width, 0)
    return (sums[ends] - sums[starts]) / (ends - starts)
