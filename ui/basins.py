"""The Basins page's settings, controls, link and cached batches.

From where does it work? Every start point of a grid is run, and coloured by the minimum
its run ends in. Reading a link is defensive (warnings and defaults, never a traceback),
and the work of one request is capped.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import landscapes
import numpy as np
import optimizers
import streamlit as st

from . import defaults, heavy, live_chart
from .compute import background_compiling, cache_key, first_view_patience, rerun_when
from . import exploration as ex
from . import query as query_text
from .controls import number_slider, value_grid

MAX_QUERY_KEYS = 60
MAX_VALUE_LENGTH = 120
MAX_PANELS = 4
DEFAULT_LANDSCAPE = "himmelblau"
DEFAULT_OPTIMIZERS = ("sgd", "momentum", "adam")
# the three default maps at 500 steps fit one request's work cap (ex.fit_resolution), so the
# first view is not cut down
DEFAULT_RESOLUTION = 200
DEFAULT_STEPS = 500


def several_minima() -> list[str]:
    """Landscapes with more than one known minimum first: those are what a basin map is for."""
    names = landscapes.names()
    counts = {name: len(landscapes.get(name).minima) for name in names}
    return [n for n in names if counts[n] > 1] + [n for n in names if counts[n] == 1]


@dataclass
class BasinState:
    landscape: str
    landscape_params: dict
    optimizers: list
    lrs: dict  # optimizer -> learning rate
    resolution: int = DEFAULT_RESOLUTION
    steps: int = DEFAULT_STEPS

    def surface(self):
        return landscapes.get(self.landscape, **self.landscape_params)


def default_state(landscape: str = DEFAULT_LANDSCAPE) -> BasinState:
    surface = landscapes.get(landscape if landscape in landscapes.names() else DEFAULT_LANDSCAPE)
    names = list(DEFAULT_OPTIMIZERS)
    return BasinState(landscape=surface.name, landscape_params=dict(surface.param_values), optimizers=names,
                      lrs={name: defaults.suggested_lr(surface, name) for name in names})


def from_query(query: dict) -> tuple[BasinState, list[str]]:
    """The state a link describes, and a warning for every part of it that was ignored."""
    q, warnings = query_text.clean(query, max_keys=MAX_QUERY_KEYS, max_value_length=MAX_VALUE_LENGTH, max_key_length=40)
    if q is None:
        return default_state(), warnings
    land = query_text.known(q, "land", landscapes.names(), DEFAULT_LANDSCAPE, warnings, kind="landscape",
                            instead="showing Himmelblau's function")
    state = default_state(land)
    surface = landscapes.get(land)
    params = query_text.landscape_params(q, surface, warnings)
    surface = surface.with_params(**params)
    state.landscape_params = dict(surface.param_values)
    if "opts" in q:
        names = query_text.known_names(
            q["opts"], optimizers.names(), MAX_PANELS, warnings, kind="optimizer",
            too_many=f"At most {MAX_PANELS} maps side by side; the first {MAX_PANELS} are shown.")
        if names:
            state.optimizers = names
    state.lrs = {name: defaults.suggested_lr(surface, name) for name in state.optimizers}
    lr_hyper = optimizers.get("sgd").hyper("lr")
    for name in state.optimizers:
        key = f"lr.{name}"
        if key in q:
            try:
                state.lrs[name] = float(optimizers.get(name).hyper("lr").validate(query_text.number(q[key])))
            except ValueError:
                warnings.append(f"Ignored {key} = '{q[key][:40]}': expected a learning rate in {lr_hyper.describe_range()}.")
    for key, attribute, low, high in (("res", "resolution", 2, ex.MAX_BASIN_RESOLUTION), ("steps", "steps", 1, ex.MAX_STEPS)):
        if key in q:
            try:
                value = query_text.number(q[key])
                if value != int(value) or not (low <= value <= high):
                    raise ValueError
                setattr(state, attribute, int(value))
            except ValueError:
                warnings.append(f"Ignored {key} = '{q[key][:40]}': expected a whole number from {low} to {high}.")
    return state, warnings


def to_query(state: BasinState) -> dict[str, str]:
    q = {"land": state.landscape}
    surface = state.surface()
    for param in surface.params:
        if state.landscape_params.get(param.name, param.default) != param.default:
            q[f"lp.{param.name}"] = f"{state.landscape_params[param.name]!r}"
    q["opts"] = ",".join(state.optimizers)
    for name in state.optimizers:
        q[f"lr.{name}"] = f"{float(state.lrs[name]):g}" if float(f"{state.lrs[name]:g}") == state.lrs[name] else repr(state.lrs[name])
    q["res"], q["steps"] = str(state.resolution), str(state.steps)
    return q


# ----- controls ----------------------------------------------------------------------------------
def seed_widgets(state: BasinState) -> None:
    ss = st.session_state
    ss["bs.land"] = state.landscape
    for name, value in state.landscape_params.items():
        ss[f"bs.lp.{state.landscape}.{name}"] = float(value)
    ss["bs.opts"] = list(state.optimizers)
    for name in state.optimizers:
        ss[f"bs.lr.{state.landscape}.{name}"] = float(state.lrs[name])
    ss["bs.res"], ss["bs.steps"] = state.resolution, state.steps


def _short_lr_label(label: str) -> str:
    """'learning rate · SGD with momentum (heavy ball)' -> 'lr · SGD with momentum': a strip's column is narrow."""
    return "lr · " + label.split(" · ", 1)[-1].split(" (")[0]


# The controls a live demo needs, mirrored on the page in presentation mode (ui/strip.py): the surface,
# the optimizers side by side, and each one's learning rate.
MIRRORED = {"bs.land": "Landscape", "bs.opts": "Optimizers", "bs.lr.*": _short_lr_label}


def sidebar(sb=None) -> BasinState:
    """Draw the controls (in the sidebar, or ``sb``: a ``ui.strip.MirroredSidebar``); return the state."""
    sb = sb or st.sidebar
    choices = several_minima()
    st.session_state.setdefault("bs.land", DEFAULT_LANDSCAPE)
    sb.selectbox("Landscape", choices, key="bs.land",
                 format_func=lambda n: f"{landscapes.get(n).title}  ·  {len(landscapes.get(n).minima)} minima",
                 persist_state="session")
    surface = landscapes.get(st.session_state["bs.land"])
    params = {}
    for p in surface.params:
        grid = value_grid(type("H", (), dict(slider=(p.low, p.high), low=p.low, high=p.high, log=p.log, low_open=False,
                                              high_open=False, name=p.name))())
        params[p.name] = number_slider(p.label, grid, p.default, f"bs.lp.{surface.name}.{p.name}", p.help, sb)
    surface = surface.with_params(**params)
    st.session_state.setdefault("bs.opts", list(DEFAULT_OPTIMIZERS))
    names = sb.multiselect("Optimizers, side by side", optimizers.names(), key="bs.opts", max_selections=MAX_PANELS,
                           format_func=lambda n: optimizers.get(n).title, persist_state="session") or ["sgd"]
    lrs = {}
    lr_hyper = optimizers.get("sgd").hyper("lr")
    for name in names:
        lrs[name] = number_slider(f"learning rate · {optimizers.get(name).title}", value_grid(lr_hyper),
                                  defaults.suggested_lr(surface, name), f"bs.lr.{surface.name}.{name}", container=sb)
    st.session_state.setdefault("bs.res", DEFAULT_RESOLUTION)
    resolution = sb.slider("Start points per axis", 16, ex.MAX_BASIN_RESOLUTION, key="bs.res",
                           step=16 if st.session_state["bs.res"] % 16 == 0 else 1, persist_state="session")
    st.session_state.setdefault("bs.steps", DEFAULT_STEPS)
    steps = sb.slider("Steps per run", 10, ex.MAX_STEPS, key="bs.steps",
                      step=10 if st.session_state["bs.steps"] % 10 == 0 else 1, persist_state="session")
    return BasinState(landscape=surface.name, landscape_params=dict(surface.param_values), optimizers=list(names),
                      lrs=lrs, resolution=int(resolution), steps=int(steps))


def capped(state: BasinState) -> tuple[BasinState, str | None]:
    resolution = ex.fit_resolution(state.resolution, state.steps, state.optimizers)
    if resolution == state.resolution:
        return state, None
    note = (f"{len(state.optimizers)} maps of {state.resolution}×{state.resolution} start points × {state.steps} steps is "
            f"more than one request may compute (at most {ex.MAX_WORK:,} run-steps); computing "
            f"{resolution}×{resolution} start points instead.")
    return replace(state, resolution=resolution), note


# ----- cached batches -----------------------------------------------------------------------------
# A new server's first view while the batch kernels compile (5-12 s each): its runs go one by one
# through the trajectory kernels, about 1 s for three 48 x 48 maps against 13 s for 200 x 200.
COARSE_RESOLUTION = 48


def first_view(state: BasinState) -> BasinState:
    """``state``, or on a new server whose batch kernels for it are still compiling, ``state`` at
    ``COARSE_RESOLUTION`` with a note saying so and a rerun once they are ready."""
    if not background_compiling() or state.resolution <= COARSE_RESOLUTION or batch_kernels_ready(state):
        return state
    st.info(f"A first view at {COARSE_RESOLUTION}×{COARSE_RESOLUTION} start points while this server prepares its fast "
            f"batch code (a few seconds after it starts); the {state.resolution}×{state.resolution} maps follow by themselves.",
            icon=":material/hourglass_top:")
    rerun_when(lambda: batch_kernels_ready(state))
    return replace(state, resolution=COARSE_RESOLUTION)


def batch_kernels_ready(state: BasinState) -> bool:
    surface = state.surface()
    return all(optimizers.batch_kernel_ready(name, surface) for name in state.optimizers)


def outcomes(state: BasinState, on_wait=None) -> list[ex.Outcome]:
    """Every panel's map, as one job in the server's scheduler (``ui.heavy``; ``on_wait``: see ``heavy.compute``)."""
    surface = state.surface()
    _, _, starts = ex.start_grid(surface, state.resolution)
    target = ex.target_loss_for(surface, 1e-6)
    key = ("basins", state.landscape, cache_key(state.landscape_params), tuple(state.optimizers),
           tuple(float(state.lrs[name]) for name in state.optimizers), state.resolution, state.steps)
    chunks, combine = ex.several([ex.outcome_chunks(name, surface, starts, state.steps, {"lr": float(state.lrs[name])}, {},
                                                    target, patience=first_view_patience()) for name in state.optimizers])
    return heavy.compute(key, chunks, combine, f"The {state.resolution}×{state.resolution} basin maps", on_wait)


def take_click(chart_key: str, xs: np.ndarray, ys: np.ndarray, panels: int):
    """A click callback for the live basin map: a click selects the nearest start point of the grid
    (``xs`` by ``ys``), in the panel it fell in, so the run drawn is the one whose colour was clicked."""

    def callback():
        point = live_chart.clicked_xy(chart_key)
        if point is None:
            return
        x, y = point
        if not (xs[0] <= x <= xs[-1] and ys[0] <= y <= ys[-1]):
            return
        st.session_state["bs.selected"] = {"panel": live_chart.clicked_panel(chart_key, panels),
                                           "x": float(xs[int(np.argmin(np.abs(xs - x)))]),
                                           "y": float(ys[int(np.argmin(np.abs(ys - y)))])}

    return callback


def warm_up_calls():
    """The page's default batch kernels, as calls for ``ui.warm_up``."""
    return (functools.partial(optimizers.run_many, name, DEFAULT_LANDSCAPE, np.zeros((2, 2)), steps=2, lr=1e-4)
            for name in DEFAULT_OPTIMIZERS)
