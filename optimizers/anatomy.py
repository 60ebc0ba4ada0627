r"""The anatomy of a step: what each optimizer computed on its way from one point to the next.

``replay`` runs the very loop of ``_kernels.trace`` (same surface functions, same oracle, the
same jitted update rule through ``rule_step``) and additionally records, at every step, the
exact gradient, the gradient after noise, the gradient after clipping (what the rule saw),
and the optimizer's whole state before and after. Its path is therefore ``run``'s path bit
for bit, and everything the Anatomy page shows is derived from the kernel's own numbers.

Naming the state is the rule file's job: every rule module defines (tests/test_optimizers.py's
completeness test asks for it)

    explain(t, point, gradient, lr, hp, before, after, new_point, hessian) -> (rows, arrows)

with ``rows`` a list of ``(name, value)`` (a float or an (x, y) pair) and ``arrows`` a list of
``(name, origin, vector)``; a rule that takes its gradient elsewhere also defines ``companions`` (see
``companion_trails``), which the maps draw as trails beside the run; ``hp`` is the packed hyperparameter tuple the kernel received,
``before``/``after`` the state as float arrays. Without one the page would still show the generic
rows (gradients, step, raw state slots), but not what the state means.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass

import numpy as np
from landscapes._base import JIT_OPTIONS
from numba import literally, njit

from . import INDEX_OF, checked_start, checked_steps, jitted_landscape, oracle_settings, get
from ._base import flush
from ._dispatch import rule_init, rule_step
from ._kernels import healthy, call_specialized
from ._oracle import add_noise, perturb
from ._schedules import lr_factors
from ._schedules import resolve as resolve_schedule
from ._surfaces import surface_grad, surface_value

MAX_REPLAY_STEPS = 5000  # the page steps through one iteration at a time: no one reads 5000 tables
# State slots recorded per step. L-BFGS keeps up to 6008 floats of history; its first 8 (step
# count, pairs used, H_diag, step length, direction, previous gradient) are what a step shows.
MAX_STATE_SLOTS = 16


@njit(**JIT_OPTIONS)
def _replay(lid, oid, p, hp, x, y, lr, lr_factor, oracle, escape, path, loss, exact_grad, noisy_grad, seen_grad,
            lr_used, states):
    """``trace`` with every intermediate recorded; returns the stop index exactly as ``trace`` does.

    Kept line for line in step with ``_kernels.trace``: the test suite checks the two paths
    are equal bit for bit for every optimizer, with noise and clipping on.
    """
    literally(lid)
    literally(oid)
    state = rule_init(oid, hp)
    width = states.shape[1]
    for k in range(width):
        states[0, k] = state[k]
    steps = lr_factor.shape[0]
    noise, seed, _, _ = oracle
    for t in range(steps + 1):
        f = surface_value(lid, x, y, p)
        gx, gy = surface_grad(lid, x, y, p)
        if not healthy(x, y, f, gx, gy, escape):
            return t
        path[t, 0] = x
        path[t, 1] = y
        loss[t] = f
        exact_grad[t, 0] = gx
        exact_grad[t, 1] = gy
        if t == steps:
            break
        lr_t = lr * lr_factor[t]
        lr_used[t] = lr_t
        if noise > 0.0:  # the same draw perturb makes, kept apart to show noise and clipping separately
            nx, ny = add_noise(gx, gy, t, 0, noise, seed)
        else:
            nx, ny = gx, gy
        noisy_grad[t, 0] = nx
        noisy_grad[t, 1] = ny
        gx, gy = perturb(gx, gy, t, 0, oracle)
        seen_grad[t, 0] = gx
        seen_grad[t, 1] = gy
        x, y, state = rule_step(oid, lid, t + 1, x, y, f, gx, gy, lr_t, hp, state, p, oracle)
        x = flush(x)
        y = flush(y)
        for k in range(width):
            states[t + 1, k] = state[k]
    return -1


@dataclass(frozen=True)
class Arrow:
    """A vector drawn on the map from ``origin``; every arrow is a displacement in (x, y)."""

    name: str
    origin: tuple
    vector: tuple


@dataclass(frozen=True)
class StepAnatomy:
    """Step ``t`` (1-based): how ``point`` (path[t-1]) became ``new_point`` (path[t])."""

    t: int
    point: tuple
    new_point: tuple
    loss: float
    exact_gradient: tuple
    noisy_gradient: tuple
    gradient: tuple  # after noise and clipping: what the update rule received
    lr: float
    state_before: np.ndarray
    state_after: np.ndarray
    rows: list  # (name, float or (x, y)), generic rows first, then the optimizer's own
    arrows: list  # Arrow records, the step actually taken last

    @property
    def step_taken(self) -> tuple:
        return (self.new_point[0] - self.point[0], self.new_point[1] - self.point[1])

    def value(self, name: str):
        for row_name, value in self.rows:
            if row_name == name:
                return value
        raise KeyError(f"no row {name!r}; rows: {[n for n, _ in self.rows]}")


@dataclass
class Anatomy:
    """A replayed run: ``run``'s arrays plus what every step computed."""

    optimizer: str
    landscape: object
    hyperparams: dict
    packed: tuple  # the hyperparameter tuple the kernel received
    path: np.ndarray  # (n+1, 2), equal to optimizers.run(...).path
    loss: np.ndarray
    exact_gradient: np.ndarray  # (n+1, 2)
    noisy_gradient: np.ndarray  # (n, 2)
    gradient: np.ndarray  # (n, 2) after noise and clipping
    lr: np.ndarray  # (n,)
    states: np.ndarray  # (n+1, state size): states[k] is the state after k steps
    diverged_at: int | None
    noise: float
    clip_norm: float | None
    clip_value: float | None

    @property
    def steps(self) -> int:
        return len(self.path) - 1

    def step(self, t: int) -> StepAnatomy:
        """The anatomy of step ``t`` in 1..steps (the move from path[t-1] to path[t])."""
        if not 1 <= t <= self.steps:
            raise ValueError(f"Invalid step: {t!r}; this run has steps 1 to {self.steps}")
        k = t - 1
        point = (float(self.path[k, 0]), float(self.path[k, 1]))
        new_point = (float(self.path[t, 0]), float(self.path[t, 1]))
        exact = _pair(self.exact_gradient[k])
        noisy = _pair(self.noisy_gradient[k])
        seen = _pair(self.gradient[k])
        lr = float(self.lr[k])
        before, after = self.states[k].copy(), self.states[t].copy()
        step = (new_point[0] - point[0], new_point[1] - point[1])

        rows = [("θ (point before the step)", point), ("f(θ) (loss)", float(self.loss[k])),
                ("∇f(θ) (exact gradient)", exact), ("‖∇f‖", math.hypot(*exact))]
        arrows = [Arrow("−η ∇f (exact gradient, times η)", point, (-lr * exact[0], -lr * exact[1]))]
        if self.noise > 0.0:
            rows.append(("∇f + noise", noisy))
        if self.clip_norm is not None or self.clip_value is not None:
            rows += [("g (after clipping)", seen), ("‖g‖ after clipping", math.hypot(*seen))]
        if seen != exact:
            arrows.append(Arrow("−η g (gradient seen: noise, clipping)", point, (-lr * seen[0], -lr * seen[1])))
        rows.append(("η (learning rate this step)", lr))

        explain = explainer(self.optimizer)
        if explain is not None:
            hessian = self.landscape.hessian(*point) if get(self.optimizer).uses_hessian else None
            own_rows, own_arrows = explain(t, point, seen, lr, self.packed, before, after, new_point, hessian)
            rows += list(own_rows)
            arrows += [Arrow(name, tuple(map(float, origin)), tuple(map(float, vector))) for name, origin, vector in own_arrows]
        else:
            for i in range(len(before)):
                rows.append((f"state[{i}] before → after", (float(before[i]), float(after[i]))))
        rows += [("Δθ (step taken)", step), ("‖Δθ‖", math.hypot(*step)), ("θ (point after the step)", new_point),
                 ("f (loss after the step)", float(self.loss[t]))]
        arrows.append(Arrow("Δθ (step taken)", point, step))
        return StepAnatomy(t, point, new_point, float(self.loss[k]), exact, noisy, seen, lr, before, after, rows, arrows)


def _pair(values) -> tuple:
    return (float(values[0]), float(values[1]))


def rule_module(name: str):
    step = get(name).step
    return sys.modules.get(getattr(getattr(step, "py_func", step), "__module__", ""), None)


def explainer(name: str):
    """The ``explain`` function beside the optimizer's update rule, if its file defines one."""
    return getattr(rule_module(name), "explain", None)


def has_companions(name: str) -> bool:
    """Whether the rule takes its gradient away from the point it moves (Schedule-Free's y and z, SAM's
    ascent point): its file then defines ``companions(path, states, packed) -> {name: (n+1, 2) array}``."""
    return getattr(rule_module(name), "companions", None) is not None


def companion_trails(replayed: Anatomy) -> dict:
    """The other points the rule looked at along a replayed run, each row beside ``replayed.path``'s; {} for a
    rule that only looks where it stands."""
    companions = getattr(rule_module(replayed.optimizer), "companions", None)
    if companions is None:
        return {}
    return {name: np.asarray(trail, dtype=float) for name, trail in
            companions(replayed.path, replayed.states, replayed.packed).items()}


def replay(optimizer: str, landscape, start=None, steps: int = 100, *, schedule=None, clip_norm=None, clip_value=None,
           noise: float = 0.0, seed: int = 0, **hyperparams) -> Anatomy:
    """Replay ``optimizers.run`` with the same arguments, recording every intermediate value.

    Validation is ``run``'s, and the path equals ``run(...).path`` exactly.
    """
    spec = get(optimizer)
    surface = jitted_landscape(landscape)
    steps = checked_steps(steps)
    if steps > MAX_REPLAY_STEPS:
        raise ValueError(f"Invalid steps: {steps}; the anatomy replays at most {MAX_REPLAY_STEPS} steps")
    x, y = checked_start(surface, start)
    values = spec.resolve(hyperparams)
    schedule = resolve_schedule(schedule)
    factors = lr_factors(schedule, steps)
    oracle = oracle_settings(noise, seed, clip_value, clip_norm)
    packed = spec.pack(values)
    width = min(len(spec.init(packed)), MAX_STATE_SLOTS)  # a rule's init is a plain jitted function: callable here

    path = np.empty((steps + 1, 2))
    loss = np.empty(steps + 1)
    exact = np.empty((steps + 1, 2))
    noisy = np.empty((steps, 2))
    seen = np.empty((steps, 2))
    lr_used = np.empty(steps)
    states = np.empty((steps + 1, width))
    stop = call_specialized(_replay, 2, surface.index, INDEX_OF[optimizer], surface.param_tuple, packed, x, y,
                            float(values["lr"]), factors, oracle, surface.escape_box, path, loss, exact, noisy, seen,
                            lr_used, states)
    end = steps + 1 if stop < 0 else stop
    return Anatomy(
        optimizer=optimizer, landscape=surface, hyperparams=values, packed=packed, path=path[:end], loss=loss[:end],
        exact_gradient=exact[:end], noisy_gradient=noisy[:end - 1], gradient=seen[:end - 1], lr=lr_used[:end - 1],
        states=states[:end], diverged_at=None if stop < 0 else int(stop), noise=float(oracle[0]),
        clip_norm=None if math.isinf(oracle[3]) else oracle[3], clip_value=None if math.isinf(oracle[2]) else oracle[2],
    )


__all__ = ["Anatomy", "Arrow", "MAX_REPLAY_STEPS", "StepAnatomy", "replay"]
