r"""Why a run diverges: the curvature its steps meet against the largest its rule can take at its lr.

On a quadratic, a gradient step multiplies the error along an eigenvector of H by (1 − ηλ): it
is stable while η·λmax < 2. Momentum moves that line to 2(1 + μ) (heavy ball) or
2(1 + μ)/(1 + 2μ) (Nesterov); an adaptive rule steps along P⁻¹g, so what counts is the
preconditioned curvature λmax(P⁻¹H) (Cohen et al., 2022, "Adaptive gradient methods at the edge of
stability": for Adam with β₁, the line is (2 + 2β₁)/(1 − β₁), 38 at β₁ = 0.9). On any other surface
the same holds locally, with H the Hessian where the run is.

A rule module that has such a limit defines

    stability_limit(values, lr, gradients, points) -> Limit

with ``values`` its resolved hyperparameters, ``lr`` the learning rate of each step (n,), and
``gradients`` the gradient each step saw (noise and clipping in; (n, 2)) at ``points``, the run's
own path: an adaptive rule rebuilds its preconditioner from them, without replaying the run, so
the chart follows the kernel's path exactly and costs no compiling.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import get, landscape_of
from ._oracle import normal_pair
from .anatomy import rule_module


@dataclass(frozen=True)
class Limit:
    """What one rule's stability limit is, step by step (arrays of the run's n steps)."""

    constant: np.ndarray  # c: the step is stable while η·(sharpness) < c
    constant_name: str  # how c is written ("2", "2(1 + μ)", "2(1 + β₁)/(1 − β₁)")
    inverse_preconditioner: np.ndarray | None = None  # (n, 2): the diagonal of P⁻¹, None for P = I
    decay: float = 0.0  # an L2 weight decay λ adds λI to the Hessian the step sees


@dataclass(frozen=True)
class Stability:
    """The curvature along a run, against its rule's limit (every array has one entry per step taken)."""

    optimizer: str
    lr: np.ndarray  # (n,)
    largest_eigenvalue: np.ndarray  # (n,) λmax(H) at the point each step starts from (signed: ≤ 0 is no curvature)
    sharpness: np.ndarray  # (n,) what the step sees: λmax(H + decay), or λmax(P⁻¹(H + decay)) for an adaptive rule
    sharpness_name: str  # "λmax" or "λmax(P⁻¹H)"
    limit: np.ndarray | None  # (n,) c/η: the largest sharpness the step can take; None if the rule has no simple one
    constant: np.ndarray | None  # (n,) c
    constant_name: str

    def ratio(self) -> np.ndarray:
        """η·sharpness at each step: above ``constant`` the step amplifies the error along the steepest direction."""
        return self.lr * self.sharpness

    def first_unstable(self) -> int | None:
        """The first step (from 1) whose η·sharpness exceeded the limit, or None."""
        if self.constant is None:
            return None
        over = np.flatnonzero(self.ratio() > self.constant)
        return int(over[0]) + 1 if over.size else None

    def reason(self, diverged_at: int | None) -> str:
        """Why the run stopped, in one line ("" if it did not)."""
        if diverged_at is None:
            return ""
        name = "η·" + self.sharpness_name
        unstable = self.first_unstable()
        if unstable is not None:
            k = unstable - 1
            written = self.constant_name if _is_number(self.constant_name) else f"{self.constant_name} = {self.constant[k]:.3g}"
            return f"step {unstable}: {name} = {self.ratio()[k]:.3g} > {written} (over the stability limit); left the plot at step {diverged_at}"
        if self.constant is not None and len(self.lr):
            return (f"left the plot at step {diverged_at} with {name} under {self.constant_name} all along: "
                    f"not an oscillation; the run was carried out")
        largest = float(np.max(self.ratio())) if len(self.lr) else math.nan
        return f"left the plot at step {diverged_at} (largest {name} on the way: {largest:.3g}; this rule has no simple limit)"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def has_limit(name: str) -> bool:
    return getattr(rule_module(name), "stability_limit", None) is not None


def hessians_along(surface, points: np.ndarray) -> np.ndarray:
    """(n, 2, 2) exact Hessians at ``points`` (n, 2), in one vectorized call."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    return np.broadcast_to(np.asarray(surface.hessian(np.ascontiguousarray(points[:, 0]),
                                                      np.ascontiguousarray(points[:, 1])), dtype=float), (len(points), 2, 2))


def running_mean(values: np.ndarray, decay: float) -> np.ndarray:
    """rows v_k = decay·v_{k−1} + (1 − decay)·values_k from v_0 = 0: the exponential averages of the update rules."""
    averaged = np.empty_like(values, dtype=float)
    current = np.zeros(values.shape[1:])
    for k, row in enumerate(values):
        current = current * decay + (1.0 - decay) * row
        averaged[k] = current
    return averaged


def seen_gradients(result, surface, noise: float = 0.0, seed: int = 0, clip_value=None, clip_norm=None) -> np.ndarray:
    """(n, 2) the gradient each step of ``result`` saw: exact at its point, plus the oracle's noise (its draw
    (seed, step, 0)), clipped by value, then by norm, as ``optimizers._oracle.perturb`` does."""
    n = len(result.lr)
    points = np.asarray(result.path[:n], dtype=float)
    gx, gy = (np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in
              surface.grad(np.ascontiguousarray(points[:, 0]), np.ascontiguousarray(points[:, 1])))
    g = np.stack([gx, gy], axis=1).astype(float)
    if noise > 0:
        g = g + noise * np.array([normal_pair(seed, k, 0) for k in range(n)]).reshape(n, 2)
    if clip_value is not None and math.isfinite(clip_value):
        g = np.minimum(np.maximum(g, -clip_value), clip_value)
    if clip_norm is not None and math.isfinite(clip_norm):
        coefficient = clip_norm / (np.sqrt(g[:, 0] * g[:, 0] + g[:, 1] * g[:, 1]) + 1e-6)
        g = g * np.minimum(coefficient, 1.0)[:, None]
    return g


def along(result, *, noise: float = 0.0, seed: int = 0, clip_value=None, clip_norm=None, **_run_settings) -> Stability:
    """The stability of a run (an ``optimizers.Result``). ``noise``, ``seed`` and the clipping thresholds are the
    run's own (an adaptive rule's preconditioner depends on what its steps saw); other keywords of the run
    (schedule, hyperparameters) are read from ``result`` and ignored here."""
    surface = landscape_of(result.landscape)
    n = len(result.lr)
    lr = np.asarray(result.lr, dtype=float)
    hessians = hessians_along(surface, result.path[:n])
    largest = np.linalg.eigvalsh(hessians)[:, -1] if n else np.zeros(0)
    rule = getattr(rule_module(result.optimizer), "stability_limit", None)
    if rule is None or not n:
        return Stability(result.optimizer, lr, largest, largest, "λmax", None, None, "")
    gradients = seen_gradients(result, surface, noise, seed, clip_value, clip_norm)
    limit = rule(dict(result.hyperparams, **dict(get(result.optimizer).constants)), lr, gradients,
                 np.asarray(result.path[:n], dtype=float))
    seen = hessians + limit.decay * np.eye(2)
    if limit.inverse_preconditioner is None:
        sharpness, name = np.linalg.eigvalsh(seen)[:, -1], "λmax"
    else:
        root = np.sqrt(np.asarray(limit.inverse_preconditioner, dtype=float))  # P^{-1/2} H P^{-1/2}: symmetric, same spectrum
        sharpness, name = np.linalg.eigvalsh(seen * root[:, :, None] * root[:, None, :])[:, -1], "λmax(P⁻¹H)"
    constant = np.broadcast_to(np.asarray(limit.constant, dtype=float), (n,)).copy()
    with np.errstate(divide="ignore"):
        ceiling = np.where(lr > 0, constant / lr, np.inf)
    return Stability(result.optimizer, lr, largest, sharpness, name, ceiling, constant, limit.constant_name)
