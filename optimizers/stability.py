r"""Why a run diverges: the curvature its steps meet against the largest its rule can take at its lr.

On a quadratic, a gradient step multiplies the error along an eigenvector of H by (1 − ηλ): it
is stable while η·λmax < 2. Momentum moves that line to 2(1 + μ) (heavy ball) or
2(1 + μ)/(1 + 2μ) (Nesterov); an adaptive rule steps along P⁻¹g, so what counts is the
preconditioned curvature λmax(P⁻¹H) (Cohen et al., 2022, "Adaptive gradient methods at the edge of
stability": for Adam with β₁, the line is (2 + 2β₁)/(1 − β₁), 38 at β₁ = 0.9). On any other surface
the same holds locally, with H the Hessian where the run is.

A rule module that has such a limit defines

    stability_limit(values, lr, states) -> Limit

with ``values`` its resolved hyperparameters, ``lr`` the learning rate of each step (n,), and
``states`` a function returning the replayed state after each step ((n+1, slots), see
``optimizers.anatomy``), called only by the adaptive rules that need it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import get, landscape_of
from .anatomy import MAX_REPLAY_STEPS, replay, rule_module


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


def along(result, *, start=None, steps: int | None = None, **run_settings) -> Stability:
    """The stability of a run (an ``optimizers.Result``); ``run_settings`` are the run's own keywords (schedule,
    noise, seed, clipping and hyperparameters), needed only to replay an adaptive rule's state."""
    surface = landscape_of(result.landscape)
    n = len(result.lr)
    hessians = hessians_along(surface, result.path[:n])
    largest = np.linalg.eigvalsh(hessians)[:, -1] if n else np.zeros(0)
    rule = getattr(rule_module(result.optimizer), "stability_limit", None)
    if rule is None:
        return Stability(result.optimizer, np.asarray(result.lr), largest, largest, "λmax", None, None, "")

    def states():
        if n > MAX_REPLAY_STEPS:
            raise ValueError(f"a run of {n} steps is longer than a replay may be ({MAX_REPLAY_STEPS})")
        replayed = replay(result.optimizer, surface, start=tuple(result.path[0]) if start is None else start,
                          steps=n if steps is None else steps, **run_settings)
        return replayed.states

    limit = rule(dict(result.hyperparams, **dict(get(result.optimizer).constants)), np.asarray(result.lr, dtype=float), states)
    seen = hessians + limit.decay * np.eye(2)
    if limit.inverse_preconditioner is None:
        sharpness, name = np.linalg.eigvalsh(seen)[:, -1] if n else np.zeros(0), "λmax"
    else:
        root = np.sqrt(np.asarray(limit.inverse_preconditioner, dtype=float)[:n])  # P^{-1/2} H P^{-1/2}: symmetric, same spectrum
        scaled = seen * root[:, :, None] * root[:, None, :]
        sharpness, name = np.linalg.eigvalsh(scaled)[:, -1] if n else np.zeros(0), "λmax(P⁻¹H)"
    constant = np.broadcast_to(np.asarray(limit.constant, dtype=float), (n,)).copy()
    lr = np.asarray(result.lr, dtype=float)
    with np.errstate(divide="ignore"):
        ceiling = np.where(lr > 0, constant / lr, np.inf)
    return Stability(result.optimizer, lr, largest, sharpness, name, ceiling, constant, limit.constant_name)
