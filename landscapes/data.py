r"""Finite-sum losses of two parameters, built from a small data set: the landscape of real SGD.

Every problem here is a linear model in its two parameters :math:`\theta = (\theta_1, \theta_2)`
with one feature vector :math:`\phi_i \in \mathbb{R}^2` per example, so the full-batch loss

$$L(\theta) = \frac1N \sum_{i=1}^N \ell(\theta^\top\phi_i,\ y_i)$$

can be drawn exactly over the plane, and a minibatch :math:`B` gives the loss
:math:`L_B(\theta) = \frac1{|B|}\sum_{i\in B} \ell(\theta^\top\phi_i, y_i)` whose gradient SGD follows.

* **linear regression** :math:`\hat y = w x + b`: :math:`\theta = (w, b)`, :math:`\phi_i = (x_i, 1)`, and
  :math:`\ell(z, y) = (z - y)^2` (``torch.nn.MSELoss``, no factor ½);
* **logistic regression with two weights** :math:`p = \sigma(w_1 x_1 + w_2 x_2)` (no bias):
  :math:`\theta = (w_1, w_2)`, :math:`\phi_i = (x_{i1}, x_{i2})`, and
  :math:`\ell(z, y) = \log(1 + e^{z}) - y z` (``torch.nn.BCEWithLogitsLoss``), :math:`y \in \{0, 1\}`.

Data sets: a noisy line and two overlapping Gaussian blobs generated from a seed, and two classic
tables shipped inside plotly's package data (no download): *tips* (Bryant & Smith 1995, tip
against total bill) for regression and Fisher's *iris* (versicolor against virginica, sepal
length and width) for classification. The blobs and iris classes overlap on purpose: on
separable data the logistic loss has no minimum (it keeps falling towards infinity).

``example_terms`` is branch-free NumPy, so the same source is compiled by numba for the
minibatch kernel and evaluated on whole grids (``.py_func``) for drawing.
"""
from __future__ import annotations

import csv
import functools
import gzip
import math
import pathlib
from dataclasses import dataclass, field, replace

import numpy as np

from ._base import Minimum, surface_jit

SQUARED, LOGISTIC = 0, 1  # the loss ``kind`` a kernel receives
MIN_EXAMPLES, MAX_EXAMPLES = 10, 300
MAX_SEED = 2**31 - 1


@surface_jit
def example_terms(kind, z, y):
    """(loss, dloss/dz, d²loss/dz²) of one example with score z = θ·φ and target y.

    The logistic loss is written max(z, 0) − yz + log1p(e^−|z|) and the sigmoid as
    ½(1 + tanh(z/2)): neither overflows for any finite z, and neither needs a branch.
    """
    if kind == 0:
        r = z - y
        return r * r, 2.0 * r, 2.0 + 0.0 * r
    s = 0.5 * (1.0 + np.tanh(0.5 * z))
    return np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z))), s - y, s * (1.0 - s)


@surface_jit
def batch_terms(x, y, kind, features, targets, indices, lo, hi):
    """(mean loss, mean gradient) of the examples ``indices[lo:hi]`` at θ = (x, y): one minibatch, summed in order."""
    loss = 0.0
    gx = 0.0
    gy = 0.0
    for k in range(lo, hi):
        i = indices[k]
        loss_i, slope, _ = example_terms(kind, features[i, 0] * x + features[i, 1] * y, targets[i])
        loss += loss_i
        gx += slope * features[i, 0]
        gy += slope * features[i, 1]
    count = hi - lo
    return loss / count, gx / count, gy / count


@dataclass(frozen=True)
class Problem:
    """Which data, which model: one entry of ``PROBLEMS``."""

    name: str
    title: str
    kind: int  # SQUARED or LOGISTIC
    parameter_names: tuple  # names of θ₁, θ₂ as the axes show them
    feature_names: tuple  # axes of the data scatter
    description: str
    start: tuple  # θ at which every run starts
    seeded: bool  # generated from (seed, n); the classic tables ignore both
    source: str = ""


PROBLEMS: dict[str, Problem] = {
    "linear": Problem(
        "linear", "Linear regression on a noisy line", SQUARED, ("w", "b"), ("x", "y"),
        "y = 2x − 1 plus Gaussian noise (σ = 1), x uniform in [−1, 3]. Fit ŷ = w x + b by mean squared error.",
        start=(-1.5, 2.0), seeded=True),
    "logistic": Problem(
        "logistic", "Logistic regression on two Gaussian blobs", LOGISTIC, ("w₁", "w₂"), ("x₁", "x₂"),
        "Two overlapping clouds (centres ±(1, 0.5), σ = 1), class 1 and class 0. Fit p = σ(w₁x₁ + w₂x₂) "
        "by binary cross-entropy.",
        start=(-2.0, 3.0), seeded=True),
    "tips": Problem(
        "tips", "Classic: restaurant tips (244 bills)", SQUARED, ("w", "b"), ("total bill ($10s)", "tip ($)"),
        "Tip against total bill at one restaurant (Bryant & Smith 1995), as shipped with plotly. The bill is in "
        "tens of dollars so both parameters are of order one. Fit tip = w·bill + b by mean squared error.",
        start=(-1.0, 3.0), seeded=False, source="plotly/package_data/datasets/tips.csv.gz (Bryant & Smith 1995)"),
    "iris": Problem(
        "iris", "Classic: Fisher's iris, versicolor vs virginica (100 flowers)", LOGISTIC, ("w₁", "w₂"),
        ("sepal length (standardized)", "sepal width (standardized)"),
        "Fisher's iris (1936), as shipped with plotly: is a flower virginica (1) or versicolor (0), from its sepal "
        "length and width, each standardized over the 100 flowers? The sepals overlap (the petals would separate "
        "the classes almost perfectly, pushing the minimum far out). Fit p = σ(w₁x₁ + w₂x₂) by binary cross-entropy.",
        start=(-1.5, 2.5), seeded=False, source="plotly/package_data/datasets/iris.csv.gz (Fisher 1936)"),
}


def names() -> list[str]:
    return list(PROBLEMS)


# ----- the data --------------------------------------------------------------------------------
def _plotly_table(filename: str) -> list[dict]:
    import plotly  # a runtime dependency already; only its bundled data files are read

    path = pathlib.Path(plotly.__file__).parent / "package_data" / "datasets" / filename
    with gzip.open(path, "rt", newline="") as handle:
        return list(csv.DictReader(handle))


@functools.lru_cache(maxsize=4)
def _tips() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = _plotly_table("tips.csv.gz")
    bill = np.array([float(r["total_bill"]) for r in rows]) / 10.0
    tip = np.array([float(r["tip"]) for r in rows])
    return bill, tip, np.column_stack([bill, np.ones_like(bill)])


@functools.lru_cache(maxsize=4)
def _iris() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [r for r in _plotly_table("iris.csv.gz") if r["species"] in ("versicolor", "virginica")]
    raw = np.array([[float(r["sepal_length"]), float(r["sepal_width"])] for r in rows])
    features = (raw - raw.mean(axis=0)) / raw.std(axis=0)
    labels = np.array([1.0 if r["species"] == "virginica" else 0.0 for r in rows])
    return features, labels, features


def logistic_minimizer(features: np.ndarray, labels: np.ndarray) -> np.ndarray | None:
    """The minimum of the mean logistic loss by Newton's method with backtracking, or None
    when there is none: labels that a line through the origin separates make the loss fall
    towards zero as |θ| grows, and too few examples leave a flat direction."""
    if len(labels) == 0 or np.linalg.matrix_rank(features) < 2 or labels.min() == labels.max():
        return None

    def loss_terms(theta):
        return example_terms.py_func(LOGISTIC, features @ theta, labels)

    theta = np.zeros(2)
    loss, slope, curvature = loss_terms(theta)
    for _ in range(200):
        gradient = slope @ features / len(labels)
        if np.abs(gradient).max() < 1e-13:
            break
        hessian = (features * curvature[:, None]).T @ features / len(labels)
        if not np.all(np.isfinite(hessian)) or np.linalg.cond(hessian) > 1e13:
            return None
        step = np.linalg.solve(hessian, gradient)
        size = 1.0
        while size > 1e-10:  # backtrack until the mean loss decreases (Armijo)
            trial = theta - size * step
            new_loss, new_slope, new_curvature = loss_terms(trial)
            if new_loss.mean() <= loss.mean() - 1e-4 * size * (gradient @ step):
                break
            size *= 0.5
        else:
            break  # no decrease possible: at the minimum to rounding
        theta, loss, slope, curvature = trial, new_loss, new_slope, new_curvature
        if np.abs(theta).max() > 1e4:
            return None
    gradient = slope @ features / len(labels)
    if np.abs(gradient).max() >= 1e-9:
        return None
    # On separable labels the gradient falls below any absolute test far out along a separating
    # direction (n = 10: 87 of 200 seeds reported a "minimum" such as (336, -114)). A true minimizer
    # never classifies every example right: scaling such a θ up would lower the loss further.
    if np.all((2.0 * labels - 1.0) * (features @ theta) > 0.0):
        return None
    return theta


def _generate(problem: Problem, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if problem.name == "linear":
        x = rng.uniform(-1.0, 3.0, n)
        y = 2.0 * x - 1.0 + rng.normal(0.0, 1.0, n)
        return x, y, np.column_stack([x, np.ones(n)])
    labels = (np.arange(n) % 2).astype(float)  # balanced classes, interleaved
    centres = np.where(labels[:, None] == 1.0, 1.0, -1.0) * np.array([1.0, 0.5])
    # A separable draw (likely only for small N) has no minimum: draw again, from the same
    # generator, so a seed still names one data set. Overlap is the rule: a few draws suffice.
    for _ in range(1000):
        points = centres + rng.normal(0.0, 1.0, (n, 2))
        if logistic_minimizer(points, labels) is not None:
            break
    return points, labels, points


# ----- the data set bound to its loss ------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class DataSet:
    """A problem's examples and the exact full-batch loss, gradient and Hessian over θ.

    Quacks like a ``landscapes.Landscape`` where drawing needs it (``f`` on arrays, ``bounds``,
    ``minima``, ``log_colors``, ``name``), so the app's landscape pictures serve it too.
    ``subset(indices)`` is the same problem restricted to one minibatch.
    """

    problem: Problem
    seed: int
    inputs: np.ndarray  # what the scatter plots: x (N,) for regression, points (N, 2) for classification
    targets: np.ndarray  # (N,) y: real values, or labels 0/1
    features: np.ndarray  # (N, 2) φ_i, C-contiguous float64: what the kernels read
    bounds: tuple = field(default=((-1.0, 1.0), (-1.0, 1.0)))
    log_colors: bool = False

    @property
    def name(self) -> str:
        return self.problem.name

    @property
    def title(self) -> str:
        return self.problem.title

    @property
    def kind(self) -> int:
        return self.problem.kind

    @property
    def n(self) -> int:
        return len(self.targets)

    @property
    def start(self) -> tuple:
        return self.problem.start

    @property
    def escape_box(self) -> tuple:
        """Outside this box (a hundred half-widths out, as for the analytic surfaces) a run has diverged."""
        (x0, x1), (y0, y1) = self.bounds
        cx, cy, hx, hy = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * 50, (y1 - y0) * 50
        return (cx - hx, cx + hx, cy - hy, cy + hy)

    # ----- per example ---------------------------------------------------------------------
    def scores(self, w1, w2) -> np.ndarray:
        """z_i = θ·φ_i for every example; θ may be arrays (the result gains a last axis of N)."""
        w1, w2 = np.asarray(w1, dtype=float), np.asarray(w2, dtype=float)
        return w1[..., None] * self.features[:, 0] + w2[..., None] * self.features[:, 1]

    def example_losses(self, w1, w2) -> np.ndarray:
        return example_terms.py_func(self.kind, self.scores(w1, w2), self.targets)[0]

    def example_gradients(self, w1: float, w2: float) -> np.ndarray:
        """(N, 2): the gradient of each example's loss ℓ(θ·φ_i, y_i) at θ."""
        _, slope, _ = example_terms.py_func(self.kind, self.scores(w1, w2), self.targets)
        return slope[:, None] * self.features

    # ----- the full batch (mean over examples) ----------------------------------------------
    def f(self, w1, w2):
        """Full-batch loss; a float for scalars, an array for arrays (one example at a time, so
        a 160x160 grid never holds a grid x N temporary)."""
        if np.ndim(w1) == 0 and np.ndim(w2) == 0:
            return float(np.mean(self.example_losses(float(w1), float(w2))))
        w1, w2 = np.broadcast_arrays(np.asarray(w1, dtype=float), np.asarray(w2, dtype=float))
        total = np.zeros(w1.shape)
        for (a, b), y in zip(self.features, self.targets):
            total += example_terms.py_func(self.kind, a * w1 + b * w2, y)[0]
        return total / self.n

    def grad(self, w1: float, w2: float) -> tuple[float, float]:
        _, slope, _ = example_terms.py_func(self.kind, self.scores(w1, w2), self.targets)
        g = slope @ self.features / self.n
        return float(g[0]), float(g[1])

    def hessian(self, w1: float, w2: float) -> np.ndarray:
        _, _, curvature = example_terms.py_func(self.kind, self.scores(w1, w2), self.targets)
        a, b = self.features[:, 0], self.features[:, 1]
        hxy = np.mean(curvature * a * b)  # computed once, so the matrix is exactly symmetric
        return np.array([[np.mean(curvature * a * a), hxy], [hxy, np.mean(curvature * b * b)]])

    # ----- minima ---------------------------------------------------------------------------
    @functools.cached_property
    def minimizer(self) -> tuple[float, float]:
        """The full-batch minimum: least squares in closed form, Newton's method for logistic."""
        phi = self.features
        if self.kind == SQUARED:  # normal equations (ΦᵀΦ) θ = Φᵀy, solved stably by lstsq
            theta = np.linalg.lstsq(phi, self.targets, rcond=None)[0]
            return float(theta[0]), float(theta[1])
        theta = logistic_minimizer(phi, self.targets)
        if theta is None:  # the generators and classic tables here all overlap; a subset may not
            return (math.nan, math.nan)
        return float(theta[0]), float(theta[1])

    @property
    def minima(self) -> tuple:
        """The minimum, or none: a classification a line separates has none (see ``min_loss``)."""
        w1, w2 = self.minimizer
        if not (math.isfinite(w1) and math.isfinite(w2)):
            return ()
        return (Minimum(w1, w2, self.f(w1, w2)),)

    @property
    def min_loss(self) -> float:
        """The lowest loss: the minimum's, or for separable labels the infimum 0 (never reached)."""
        return self.minima[0].value if self.minima else 0.0

    def subset(self, indices) -> "DataSet":
        """The loss of one minibatch (repeats count twice, as a with-replacement draw does)."""
        indices = np.asarray(indices, dtype=np.int64)
        return replace(self, inputs=self.inputs[indices], targets=self.targets[indices],
                       features=np.ascontiguousarray(self.features[indices]))

    def batch_minimizer(self, indices) -> tuple[float, float] | None:
        """Where the minibatch loss is lowest, or None when it has no unique minimum
        (one example of a regression, separable labels of a classification)."""
        batch = self.subset(indices)
        if self.kind == LOGISTIC:
            theta = logistic_minimizer(batch.features, batch.targets)
            return None if theta is None else (float(theta[0]), float(theta[1]))
        if np.linalg.matrix_rank(batch.features) < 2:
            return None
        return batch.minimizer


def _view_bounds(centre: tuple, start: tuple) -> tuple:
    """A square box (equal units on both axes) around the minimum that keeps the start well inside."""
    half = 1.35 * max(abs(start[0] - centre[0]), abs(start[1] - centre[1]), 0.5)
    return ((centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half))


def check_n(n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not (MIN_EXAMPLES <= n <= MAX_EXAMPLES):
        raise ValueError(f"Invalid n: {n!r}; expected a whole number of examples in [{MIN_EXAMPLES}, {MAX_EXAMPLES}]")
    return int(n)


def check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not (0 <= seed <= MAX_SEED):
        raise ValueError(f"Invalid seed: {seed!r}; expected a whole number in [0, {MAX_SEED}]")
    return int(seed)


def get(name: str, n: int = 100, seed: int = 0) -> DataSet:
    """The data set ``name``; ``n`` and ``seed`` pick the examples of a generated one."""
    if name not in PROBLEMS:
        raise ValueError(f"Unknown data problem {name!r}; valid names: {', '.join(PROBLEMS)}")
    problem = PROBLEMS[name]
    if problem.seeded:
        inputs, targets, features = _generate(problem, check_n(n), check_seed(seed))
        seed = int(seed)
    else:
        inputs, targets, features = _tips() if name == "tips" else _iris()
        seed = 0
    data = DataSet(problem, seed, inputs, targets, np.ascontiguousarray(features, dtype=float))
    centre = data.minimizer
    if not all(math.isfinite(v) for v in centre):  # cannot happen for these data sets; guards the picture
        centre = (0.0, 0.0)
    return replace(data, bounds=_view_bounds(centre, problem.start))


__all__ = ["DataSet", "LOGISTIC", "PROBLEMS", "Problem", "SQUARED", "example_terms", "get", "names"]
