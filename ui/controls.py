"""Widgets built from the engine's metadata: a hyperparameter is declared once, in its optimizer.

Every numeric control is a ``select_slider`` over a grid of sensible values (logarithmic
where the quantity spans decades), so it moves with the arrow keys and a link can carry any
exact value: a value from the URL that is not on the grid is added to it.
"""
from __future__ import annotations

import math

import streamlit as st

_NEAR_ONE = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999, 0.9999)


def log_grid(low: float, high: float, mantissas=(1, 2, 5)) -> list[float]:
    values = []
    for exponent in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for m in mantissas:
            v = float(f"{m * 10.0 ** exponent:.6g}")
            if low * (1 - 1e-12) <= v <= high * (1 + 1e-12):
                values.append(v)
    return values


def value_grid(hyper) -> list[float]:
    """The values a slider for ``hyper`` offers."""
    low, high = hyper.slider or (hyper.low, hyper.high)
    if hyper.log:
        low = max(low, 1e-12) if not hyper.low_open or low > 0 else 1e-12
        return log_grid(max(low, 1e-12), min(high, 1e4), (1, 1.5, 2, 3, 5, 7) if hyper.name == "lr" else (1, 2, 5))
    if low == 0.0 and high == 1.0:
        grid = [v for v in _NEAR_ONE if not (hyper.high_open and v >= 1.0)]
        return grid + ([1.0] if not hyper.high_open else [])
    if low == 0.0:
        return [0.0] + log_grid(1e-4, min(high, 100.0))
    return log_grid(low, min(high, 1e4))


def _with_value(grid: list[float], value: float) -> list[float]:
    return sorted(set(grid) | {float(value)})


def _fmt(value) -> str:
    return f"{value:g}"


def number_slider(label: str, grid: list[float], value: float, key: str, help: str = "", container=st):
    options = _with_value(grid, value)
    current = st.session_state.get(key)
    # a link's exact value (η = 0.19, just under a limit) stays on the slider beside the grid's round ones
    if isinstance(current, (int, float)) and not isinstance(current, bool) and math.isfinite(current) \
            and grid and min(grid) <= current <= max(grid):
        options = _with_value(options, current)
    if key not in st.session_state or st.session_state[key] not in options:
        st.session_state[key] = float(value)
    return container.select_slider(label, options=options, key=key, format_func=_fmt, help=help or None, persist_state="session")


def hyper_widget(hyper, value, key: str, container=st):
    """A control for one hyperparameter; returns its current value (validated by construction)."""
    label = hyper.label or hyper.name
    if hyper.kind == "bool":
        if key not in st.session_state:
            st.session_state[key] = bool(value)
        return container.checkbox(label, key=key, help=hyper.help or None, persist_state="session")
    if hyper.kind == "int":
        if key not in st.session_state:
            st.session_state[key] = int(value)
        return int(container.number_input(label, min_value=int(hyper.low), max_value=int(min(hyper.high, 100_000)),
                                          step=1, key=key, help=hyper.help or None, persist_state="session"))
    if hyper.kind == "pair":
        return tuple(number_slider(hyper.parts[i], value_grid(hyper), value[i], f"{key}[{i}]", hyper.help, container)
                     for i in (0, 1))
    return number_slider(label, value_grid(hyper), value, key, hyper.help, container)
