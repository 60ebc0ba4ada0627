"""Starting settings that make the first picture on every landscape worth looking at.

A learning rate that suits one surface diverges or crawls on another, so defaults follow
each surface's curvature: first-order methods get a step near 1/L (L the largest curvature at
the global minimum), adaptive methods a step that crosses the plot in a few hundred steps.
A surface can override any of them below.
"""
from __future__ import annotations

import math

import landscapes
import numpy as np
import optimizers
from landscapes.interpreted import at_point

DEFAULT_RUNS = ("sgd", "momentum", "adam")
DEFAULT_STEPS = 300

# Hand-tuned where the rule of thumb misses the lesson the surface is for.
OVERRIDES: dict[tuple[str, str], float] = {
    # The chain's largest curvature is 4 at the balanced minimum the rule reads but 12.9 at its first
    # start: 1/L (0.3) starts GD at η·λ = 3.9 > 2, and momentum or Nesterov at 0.3 diverged from two
    # of its three starts (measured).
    ("chain", "sgd"): 0.1,
    ("chain", "momentum"): 0.02,
    ("chain", "nesterov"): 0.02,
}
RUNS_FOR: dict[str, tuple[str, ...]] = {
    "rosenbrock": ("sgd", "momentum", "adam", "lbfgs"),
    "saddle": ("sgd", "momentum", "newton"),
    "plateau": ("sgd", "momentum", "adam"),
    "cliff": ("sgd", "adam"),
}

LR_GRID = tuple(float(f"{m * 10.0 ** e:.6g}") for e in range(-5, 1) for m in (1, 1.5, 2, 3, 5, 7)) + (10.0,)


def snap_lr(value: float) -> float:
    """The nearest value of the learning-rate grid (log distance)."""
    return min(LR_GRID, key=lambda g: abs(math.log(g) - math.log(value)))


def curvature_scale(landscape) -> float:
    """Largest |eigenvalue| of the Hessian at the global minimum (or the start), at least 1e-6."""
    minima = [m for m in landscape.minima if m.kind == "global"] or list(landscape.minima)
    point = (minima[0].x, minima[0].y) if minima else landscape.start
    # the interpreted twin: snapped to the grid below, the last bit cannot matter, and the jitted
    # Hessian would compile on a new server's first view (0.8 s, with numba's start-up)
    hxx, hxy, hyy = at_point(landscape.spec.hessian, *point, landscape.param_tuple)
    eigenvalues = np.linalg.eigvalsh(np.array([[hxx, hxy], [hxy, hyy]], dtype=float))
    scale = float(np.max(np.abs(eigenvalues)))
    return scale if math.isfinite(scale) and scale > 1e-6 else 1.0


# An adaptive rule moves each coordinate about lr per step: the plot is crossed in this many steps.
STEPS_TO_CROSS = {"per_coordinate": 150, "accumulating": 10}


def suggested_lr(landscape, optimizer: str) -> float:
    key = (landscape.name, optimizer)
    if key in OVERRIDES:
        return OVERRIDES[key]
    scale = optimizers.get(optimizer).step_scale
    if scale == "unit":  # Newton-like: the step already has its length
        return 1.0
    if scale == "curvature":
        # 1/L: stable for plain GD (limit 2/L) and for momentum 0.9 (limit 2(1+mu)/L), so the
        # two start side by side and momentum's speed-up is what differs
        lr = 1.0 / curvature_scale(landscape)
    else:
        (x0, x1), (y0, y1) = landscape.bounds
        extent = math.hypot(x1 - x0, y1 - y0)
        lr = extent / STEPS_TO_CROSS["per_coordinate" if scale == "rectified" else scale]
        if scale == "rectified":  # its first steps, η·|g| long, cross at most a tenth of the plot
            gradient = math.hypot(*at_point(landscape.spec.grad, *landscape.start, landscape.param_tuple))
            lr = min(lr, extent / (10 * gradient)) if gradient > 0 else lr
    return snap_lr(min(max(lr, 1e-5), 10.0))


def default_runs(landscape_name: str) -> tuple[str, ...]:
    return RUNS_FOR.get(landscape_name, DEFAULT_RUNS)


def default_start(landscape) -> tuple[float, float]:
    return tuple(float(v) for v in landscape.start)


def landscape_or_default(name: str):
    return landscapes.get(name if name in landscapes.names() else "rosenbrock")
