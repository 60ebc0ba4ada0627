r"""Four honest pictures of a trained network's loss landscape (``landscapes.mlp``), each a low-dimensional
window on a function of hundreds of parameters, and each with what it does not show.

1. **Random slice** (Li et al. 2018, "Visualizing the Loss Landscape of Neural Nets"):
   L(θ* + α δ + β η) with δ, η Gaussian and *filter-normalized*: each filter (one unit's incoming
   weights) of a direction is rescaled to the norm of the same filter of θ*, so that the picture does
   not depend on the scale invariances of the weights. Biases and batch-norm parameters are not
   perturbed (their direction is 0), as the authors' recommended ``--xignore biasbn`` runs do. It shows
   two of n directions, chosen at random: the path of training almost never lies in it.
2. **The path's own plane** (Li et al. section 7): the first two principal directions of
   θ_0 − θ_T, ..., θ_{T−1} − θ_T (centred, as scikit-learn's PCA in the authors' code), the path
   projected onto the plane through θ_T they span, and the share of the path's variance the plane
   explains. The loss the contours show under a projected point is the loss of the *projected* weights,
   not of the weights the path visited: both are returned, so the page can show how far they differ.
3. **Linear interpolation** (Goodfellow, Vinyals & Saxe 2015): L((1 − α) θ_0 + α θ_T) for α beyond
   [0, 1] too. Monotone descent along the line says the problem is easy *along that line*, nothing
   about the path the optimizer took.
4. **Mode connectivity** (Garipov et al. 2018): two solutions from different seeds, the loss on the
   straight line between them (usually a barrier) and on a quadratic Bézier curve
   φ(t) = (1−t)² w₁ + 2t(1−t) θ + t² w₂ whose bend θ is trained to keep it low
   (``optimizers.network.fit_curve``). The barrier is Frankle et al.'s (2020): the largest excess of the
   loss over the straight interpolation of the two end losses.

With batch normalization, every point of every picture is evaluated with the training set's own
statistics at that point (Garipov et al. recompute them the same way), for the test loss too.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .mlp import Network, evaluate_span

TRAIN_LOSS, TRAIN_ACCURACY, TEST_LOSS, TEST_ACCURACY = range(4)  # the columns of mlp.evaluate_span
MAX_RESOLUTION = 121


def filter_norms(network: Network, vector: np.ndarray) -> np.ndarray:
    """The norm of every filter of ``vector`` (a θ or a direction), in ``network.filters()`` order."""
    return np.array([np.linalg.norm(vector[indices]) for indices in network.filters()])


def filter_normalized(network: Network, theta: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """``direction`` with every filter rescaled to the norm of θ's filter, biases and batch-norm parameters 0."""
    result = np.zeros_like(direction)
    for indices in network.filters():
        norm = np.linalg.norm(direction[indices])
        # the authors' normalize_direction: d · ‖w‖ / (‖d‖ + 1e-10)
        result[indices] = direction[indices] * (np.linalg.norm(theta[indices]) / (norm + 1e-10))
    return result


def random_directions(network: Network, theta: np.ndarray, seed: int = 0) -> np.ndarray:
    """Two filter-normalized Gaussian directions, (2, n_params), drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    return np.stack([filter_normalized(network, theta, rng.standard_normal(network.n_params)) for _ in range(2)])


def _resolution(value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 5 <= value <= MAX_RESOLUTION:
        raise ValueError(f"Invalid resolution: {value!r}; expected a whole number in [5, {MAX_RESOLUTION}]")
    return int(value)


@dataclass
class PlaneView:
    """The loss over a plane through ``centre`` spanned by ``directions``: grid[i, j] at (alphas[j], betas[i])."""

    centre: np.ndarray
    directions: np.ndarray  # (2, n)
    alphas: np.ndarray
    betas: np.ndarray
    train_loss: np.ndarray  # (len(betas), len(alphas))
    test_loss: np.ndarray
    train_accuracy: np.ndarray


def plane(network: Network, data, centre, directions, alphas, betas, interpreted: bool = False) -> PlaneView:
    """The loss over ``centre + α d₀ + β d₁`` on the grid ``alphas × betas``. ``interpreted``, here and below:
    by the kernel's interpreted twin, while it compiles (``mlp.evaluate_span``)."""
    alphas, betas = np.asarray(alphas, dtype=float), np.asarray(betas, dtype=float)
    a, b = np.meshgrid(alphas, betas)
    values = evaluate_span(network, data, centre, directions, np.column_stack([a.ravel(), b.ravel()]), interpreted)
    shape = a.shape
    return PlaneView(np.asarray(centre), np.asarray(directions), alphas, betas, values[:, TRAIN_LOSS].reshape(shape),
                     values[:, TEST_LOSS].reshape(shape), values[:, TRAIN_ACCURACY].reshape(shape))


def random_slice(network: Network, data, theta, seed: int = 0, span: float = 1.0, resolution: int = 61,
                 interpreted: bool = False) -> PlaneView:
    """View 1: the loss around θ along two random filter-normalized directions, α, β in [−span, span]."""
    resolution = _resolution(resolution)
    if not (isinstance(span, (int, float)) and 0.01 <= span <= 10.0):
        raise ValueError(f"Invalid span: {span!r}; expected a number in [0.01, 10]")
    theta = np.asarray(theta, dtype=float)
    axis = np.linspace(-span, span, resolution)
    return plane(network, data, theta, random_directions(network, theta, seed), axis, axis, interpreted)


@dataclass
class PathPlane:
    """View 2: the plane of the path's two principal directions through its end."""

    view: PlaneView
    explained: np.ndarray  # share of the path's variance along each of the two directions
    coordinates: np.ndarray  # (m, 2) the path's kept points projected on the plane
    true_loss: np.ndarray  # (m,) the loss the path really had there
    projected_loss: np.ndarray  # (m,) the loss at the projected points (what the contours show under the path)
    steps: np.ndarray  # (m,) the training step of each point


def principal_directions(path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two leading principal directions (unit, (2, n)) of θ_t − θ_T over the path, and their variance shares."""
    offsets = path[:-1] - path[-1]
    centred = offsets - offsets.mean(axis=0)
    _, singular, rows = np.linalg.svd(centred, full_matrices=False)
    variance = singular ** 2
    total = variance.sum()
    shares = variance[:2] / total if total > 0 else np.zeros(2)
    directions = np.zeros((2, path.shape[1]))
    directions[: min(2, len(rows))] = rows[:2]
    return directions, np.pad(shares, (0, 2 - len(shares)))


def path_plane(network: Network, data, path, true_loss, resolution: int = 41, margin: float = 0.2,
               steps=None, interpreted: bool = False) -> PathPlane:
    """View 2 for a training path (m, n) whose recorded training loss is ``true_loss`` (m,), kept at training
    ``steps`` (default 0 .. m−1)."""
    resolution = _resolution(resolution)
    path = np.asarray(path, dtype=float)
    if len(path) < 3:
        raise ValueError("The path has fewer than 3 points: train for at least 2 steps to draw its plane")
    directions, explained = principal_directions(path)
    centre = path[-1]
    coordinates = (path - centre) @ directions.T
    low, high = coordinates.min(axis=0), coordinates.max(axis=0)
    pad = margin * np.maximum(high - low, 1e-3)
    axes = [np.linspace(low[k] - pad[k], high[k] + pad[k], resolution) for k in range(2)]
    view = plane(network, data, centre, directions, axes[0], axes[1], interpreted)
    projected = evaluate_span(network, data, centre, directions, coordinates, interpreted)[:, TRAIN_LOSS]
    steps = np.arange(len(path)) if steps is None else np.asarray(steps)
    return PathPlane(view, explained, coordinates, np.asarray(true_loss, dtype=float), projected, steps)


@dataclass
class LineView:
    """The loss along a line or curve, at parameter values ``t``."""

    t: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray


def _line(network, data, points, coefficients, t, interpreted: bool = False) -> LineView:
    values = evaluate_span(network, data, np.zeros(network.n_params), points, coefficients, interpreted)
    return LineView(np.asarray(t), values[:, TRAIN_LOSS], values[:, TEST_LOSS], values[:, TRAIN_ACCURACY],
                    values[:, TEST_ACCURACY])


def interpolation(network: Network, data, start, end, alphas=None, interpreted: bool = False) -> LineView:
    """View 3: the loss at (1 − α) start + α end; α = 0 and 1 are the end points exactly."""
    alphas = np.linspace(-0.5, 1.5, 81) if alphas is None else np.asarray(alphas, dtype=float)
    return _line(network, data, np.stack([start, end]), np.column_stack([1.0 - alphas, alphas]), alphas, interpreted)


def bezier(network: Network, data, start, bend, end, ts=None) -> LineView:
    """The loss along (1−t)² start + 2t(1−t) bend + t² end; t = 0 and 1 are the end points exactly."""
    ts = np.linspace(0.0, 1.0, 61) if ts is None else np.asarray(ts, dtype=float)
    coefficients = np.column_stack([(1.0 - ts) ** 2, 2.0 * ts * (1.0 - ts), ts ** 2])
    return _line(network, data, np.stack([start, bend, end]), coefficients, ts)


def rises(view: LineView, low: float = 0.0, high: float = 1.0, tolerance: float = 1e-9) -> int:
    """How many times the training loss goes up (by more than ``tolerance`` relative) between t = low and high."""
    inside = view.train_loss[(view.t >= low) & (view.t <= high)]
    return int(np.sum(np.diff(inside) > tolerance * np.maximum(np.abs(inside[:-1]), 1e-300)))


def projection_gap(path_plane: PathPlane) -> tuple[int, float]:
    """(index, factor): the point of the path where the loss under its projection differs most from its true
    loss (its step is ``path_plane.steps[index]``), and by what factor (≥ 1, whichever is larger)."""
    true = np.maximum(path_plane.true_loss, 1e-300)
    projected = np.maximum(path_plane.projected_loss, 1e-300)
    factor = np.maximum(true / projected, projected / true)
    index = int(np.argmax(factor))
    return index, float(factor[index])


def barrier(view: LineView, kind: str = "train_loss") -> float:
    """The largest excess of the loss over the straight interpolation of its two end values (Frankle et al. 2020),
    for a line or curve drawn from t = 0 (one solution) to t = 1 (the other)."""
    if view.t[0] != 0.0 or view.t[-1] != 1.0:
        raise ValueError("A barrier is measured between two solutions: draw the line for t from 0 to 1")
    values = getattr(view, kind)
    t = view.t
    return float(np.max(values - ((1.0 - t) * values[0] + t * values[-1])))


__all__ = ["LineView", "MAX_RESOLUTION", "PathPlane", "PlaneView", "barrier", "bezier", "filter_norms",
           "filter_normalized", "interpolation", "path_plane", "plane", "principal_directions", "projection_gap",
           "random_directions", "random_slice", "rises"]
