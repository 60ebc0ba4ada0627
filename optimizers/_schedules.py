"""Learning-rate schedules, as multipliers of the base learning rate (like torch's LambdaLR).

Each schedule is declared once with its parameters (the same Hyper records as optimizers), so
the app builds its controls and the engine validates from one table.
"""
from __future__ import annotations

import math

import numpy as np

from ._base import Hyper

SCHEDULES: dict[str, dict] = {
    "constant": {
        "title": "constant",
        "formula": r"\eta_t = \eta",
        "params": (),
    },
    "step": {
        "title": "step (staircase)",
        "formula": r"\eta_t = \eta\,\gamma^{\lfloor t / k \rfloor}",
        "params": (
            Hyper("step_size", 100, 1, 1_000_000, kind="int", label="every k steps", help="Multiply by γ every k steps."),
            Hyper("gamma", 0.5, 0.0, 1.0, low_open=True, label="factor γ"),
        ),
        "torch": "torch.optim.lr_scheduler.StepLR(step_size, gamma)",
    },
    "exponential": {
        "title": "exponential",
        "formula": r"\eta_t = \eta\,\gamma^{t}",
        "params": (Hyper("gamma", 0.99, 0.0, 1.0, low_open=True, label="factor γ per step"),),
        "torch": "torch.optim.lr_scheduler.ExponentialLR(gamma)",
    },
    "inverse_time": {
        "title": "1/t",
        "formula": r"\eta_t = \frac{\eta}{1 + k\,t}",
        "params": (Hyper("decay", 0.01, 0.0, 1e6, label="decay k", log=True),),
        "torch": "LambdaLR(lambda t: 1 / (1 + k t)) (CS231n's 1/t decay)",
    },
    "linear": {
        "title": "linear until τ, then constant",
        "formula": r"\eta_t = (1-\tfrac{t}{\tau})\,\eta + \tfrac{t}{\tau}\,\eta_\tau \ (t < \tau),\quad \eta_t = \eta_\tau = f\eta \ (t \ge \tau)",
        "params": (
            Hyper("tau", 100, 1, 1_000_000, kind="int", label="τ (steps)"),
            Hyper("end_factor", 0.01, 0.0, 1.0, label="η_τ / η", help="Goodfellow suggests about 1%."),
        ),
        "torch": "LinearLR(start_factor=1, end_factor, total_iters=τ) (Goodfellow §8.3.1)",
    },
    "cosine": {
        "title": "cosine",
        "formula": r"\eta_t = \eta_{\min} + \tfrac12(\eta - \eta_{\min})\left(1 + \cos\frac{\pi \min(t, T)}{T}\right)",
        "params": (
            Hyper("t_max", 0, 0, 1_000_000, kind="int", label="T (steps; 0 = the whole run)"),
            Hyper("min_factor", 0.0, 0.0, 1.0, label="η_min / η"),
        ),
        "torch": "CosineAnnealingLR(T_max, eta_min) without restarts",
    },
}


def resolve(schedule) -> dict:
    """Normalize ``None``, a name, or a dict with a ``name`` key into a validated dict."""
    if schedule is None:
        schedule = "constant"
    if isinstance(schedule, str):
        schedule = {"name": schedule}
    if not isinstance(schedule, dict) or "name" not in schedule:
        raise ValueError(f"Invalid schedule {schedule!r}; give a name ({', '.join(SCHEDULES)}) or a dict with a 'name' key")
    name = schedule["name"]
    if name not in SCHEDULES:
        raise ValueError(f"Unknown schedule {name!r}; valid schedules: {', '.join(SCHEDULES)}")
    params = {h.name: h for h in SCHEDULES[name]["params"]}
    unknown = [k for k in schedule if k != "name" and k not in params]
    if unknown:
        allowed = ", ".join(params) or "none"
        raise ValueError(f"Unknown parameter {unknown[0]!r} for the {name!r} schedule; its parameters: {allowed}")
    resolved = {"name": name}
    for key, hyper in params.items():
        resolved[key] = hyper.validate(schedule.get(key, hyper.default))
    return resolved


def lr_factors(schedule, steps: int) -> np.ndarray:
    """Multipliers of the base learning rate for steps 0 .. steps-1."""
    s = resolve(schedule)
    t = np.arange(steps, dtype=float)
    name = s["name"]
    if name == "constant":
        return np.ones(steps)
    if name == "step":
        return s["gamma"] ** np.floor(t / s["step_size"])
    if name == "exponential":
        return s["gamma"] ** t
    if name == "inverse_time":
        return 1.0 / (1.0 + s["decay"] * t)
    if name == "linear":
        alpha = np.minimum(t / s["tau"], 1.0)
        return (1.0 - alpha) + alpha * s["end_factor"]
    if name == "cosine":
        t_max = s["t_max"] or max(steps, 1)
        progress = np.minimum(t, t_max) / t_max
        return s["min_factor"] + 0.5 * (1.0 - s["min_factor"]) * (1.0 + np.cos(math.pi * progress))
    raise AssertionError(name)  # resolve() admits only the names above
