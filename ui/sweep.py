"""The Sweep page's settings, controls, link and cached batches.

Every setting lives in the link; reading one is defensive: anything malformed, hostile or
out of range falls back to its default with a warning, and the work a link may ask for is
capped (resolution, steps, and runs x steps in total, cut down with a message).
"""
from __future__ import annotations

import json
import math
import functools
from dataclasses import astuple, dataclass, field, replace
from urllib.parse import urlencode

import landscapes
import numpy as np
import optimizers
import streamlit as st

from . import defaults, heavy
from .compute import cache_key, first_view_patience
from . import query as query_text
from . import exploration as ex
from . import live_chart
from . import state as compare_state
from .controls import hyper_widget, log_grid
from .scheduler import Chunk

MAX_QUERY_KEYS = 80
MAX_VALUE_LENGTH = 120
MAX_COMPARED = 6
DEFAULT_RESOLUTION = 64
DEFAULT_STEPS = 300
DEFAULT_TOLERANCE = 1e-4
DEFAULT_COMPARED = ("sgd", "momentum", "rmsprop", "adam")
SEARCH_SIDES = tuple(range(2, 17))  # grid search of side k: a budget of k*k runs
TOLERANCES = tuple(log_grid(1e-12, 1.0, (1,)))


@dataclass
class AxisChoice:
    key: str
    low: float
    high: float
    log: bool


@dataclass
class SweepState:
    landscape: str
    landscape_params: dict
    optimizer: str
    x: AxisChoice
    y: AxisChoice
    resolution: int
    steps: int
    start: tuple
    metric: str
    tolerance: float
    fixed: dict  # the other hyperparameters, torch keywords
    compared: list = field(default_factory=list)
    search_side: int = 8

    def surface(self):
        return landscapes.get(self.landscape, **self.landscape_params)

    def axis(self, choice: AxisChoice) -> ex.Axis:
        spec = ex.axis_specs(self.optimizer)[choice.key]
        return ex.Axis(choice.key, spec.label, choice.low, choice.high, choice.log, self.resolution)


def _axis_choice(optimizer: str, key: str) -> AxisChoice:
    spec = ex.axis_specs(optimizer)[key]
    return AxisChoice(key, usable_low(optimizer, key, spec.default_low, spec.default_high), spec.default_high, spec.log)


def usable_low(optimizer: str, key: str, low: float, high: float) -> float:
    """``low``, raised towards ``high`` while the optimizer's own checks reject it (Nesterov needs a momentum)."""
    spec = optimizers.get(optimizer)
    for _ in range(4):
        try:
            ex.run_kwargs(optimizer, {}, {})  # the defaults themselves are valid
            values = dict(spec.defaults)
            if key != ex.CLIP:
                values = optimizers.with_setting(values, key, low)
            spec.resolve(values)
            return low
        except ValueError:
            low = low + (high - low) / 2
    return low


def default_lr_range(surface, optimizer: str) -> tuple[float, float]:
    """Two decades below to one above the suggested rate: stalls, good runs and divergence all show."""
    lr = defaults.suggested_lr(surface, optimizer)
    return max(lr / 100, 1e-6), min(lr * 10, 10.0)


def default_state(landscape: str = "rosenbrock", optimizer: str = "momentum") -> SweepState:
    surface = defaults.landscape_or_default(landscape)
    x_key, y_key = ex.default_axes(optimizer)
    x = _axis_choice(optimizer, x_key)
    if x_key == "lr":
        x.low, x.high = default_lr_range(surface, optimizer)
    return SweepState(landscape=surface.name, landscape_params=dict(surface.param_values), optimizer=optimizer,
                      x=x, y=_axis_choice(optimizer, y_key), resolution=DEFAULT_RESOLUTION, steps=DEFAULT_STEPS,
                      start=defaults.default_start(surface), metric="loss", tolerance=DEFAULT_TOLERANCE,
                      fixed=dict(optimizers.get(optimizer).defaults), compared=list(DEFAULT_COMPARED))


# ----- reading a link --------------------------------------------------------------------------------
def from_query(query: dict) -> tuple[SweepState, list[str]]:
    """The state a link describes, and a warning for every part of it that was ignored."""
    q, warnings = query_text.clean(query, max_keys=MAX_QUERY_KEYS, max_value_length=MAX_VALUE_LENGTH, max_key_length=40)
    if q is None:
        return default_state(), warnings

    land = query_text.known(q, "land", landscapes.names(), "rosenbrock", warnings, kind="landscape",
                            instead="showing Rosenbrock")
    optimizer = query_text.known(q, "opt", optimizers.names(), "momentum", warnings, kind="optimizer",
                                 instead="sweeping momentum")
    state = default_state(land, optimizer)
    surface = landscapes.get(land)
    params = query_text.landscape_params(q, surface, warnings)
    surface = surface.with_params(**params)
    state.landscape_params = dict(surface.param_values)

    specs = ex.axis_specs(optimizer)
    for name in ("x", "y"):
        if name in q:
            if q[name] in specs:
                setattr(state, name, _axis_choice(optimizer, q[name]))
            else:
                warnings.append(f"Ignored {name} = '{q[name][:40]}': {optimizer} can sweep {', '.join(specs)}.")
    if state.x.key == state.y.key:
        warnings.append("The two axes must be different settings; using the defaults.")
        state.x, state.y = default_state(land, optimizer).x, default_state(land, optimizer).y
    for name in ("x", "y"):
        choice = getattr(state, name)
        spec = specs[choice.key]
        if f"{name}log" in q:
            choice.log = q[f"{name}log"] in ("1", "true")
        low, high = choice.low, choice.high
        try:
            low = query_text.number(q[f"{name}lo"]) if f"{name}lo" in q else low
            high = query_text.number(q[f"{name}hi"]) if f"{name}hi" in q else high
            if not (spec.allows(low) and spec.allows(high) and low < high):
                raise ValueError
            choice.low, choice.high = low, high
        except ValueError:
            warnings.append(f"Ignored the range of {spec.label}: expected two numbers low < high within {spec.describe()}.")
        if choice.log and choice.low <= 0:
            warnings.append(f"A log scale needs a positive range; {spec.label} is shown on a linear scale.")
            choice.log = False

    for key, attribute, low, high, message in (
            ("res", "resolution", 2, ex.MAX_SWEEP_RESOLUTION, f"a whole number from 2 to {ex.MAX_SWEEP_RESOLUTION}"),
            ("steps", "steps", 1, ex.MAX_STEPS, f"a whole number from 1 to {ex.MAX_STEPS}"),
            ("budget", "search_side", SEARCH_SIDES[0], SEARCH_SIDES[-1],
             f"a grid side from {SEARCH_SIDES[0]} to {SEARCH_SIDES[-1]}")):
        if key in q:
            try:
                setattr(state, attribute, query_text.whole(q[key], low, high))
            except ValueError:
                warnings.append(f"Ignored {key} = '{q[key][:40]}': expected {message}.")

    if "x0" in q or "y0" in q:
        try:
            x, y = query_text.number(q.get("x0", str(state.start[0]))), query_text.number(q.get("y0", str(state.start[1])))
            (xa, xb), (ya, yb) = surface.bounds
            if not (xa <= x <= xb and ya <= y <= yb):
                raise ValueError
            state.start = (x, y)
        except ValueError:
            warnings.append("Ignored the start point: it must be two numbers inside the plot.")
    if "metric" in q:
        if q["metric"] in ex.METRICS:
            state.metric = q["metric"]
        else:
            warnings.append(f"Unknown metric '{q['metric'][:40]}'; showing the final loss.")
    if "tol" in q:
        try:
            tolerance = query_text.number(q["tol"])
            if not (1e-15 <= tolerance <= 1e3):
                raise ValueError
            state.tolerance = tolerance
        except ValueError:
            warnings.append(f"Ignored tol = '{q['tol'][:40]}': expected a number in [1e-15, 1000].")

    spec = optimizers.get(optimizer)
    fixed = dict(state.fixed)
    for hyper in spec.hypers:
        key = f"h.{hyper.name}"
        if key in q:
            try:
                fixed[hyper.name] = hyper.validate(query_text.hyper_value(hyper, q[key]))
            except ValueError:
                warnings.append(f"Ignored {hyper.name} = '{q[key][:40]}'; allowed: {compare_state.describe_allowed(hyper)}.")
    if "h.clip_norm" in q:
        try:
            clip = query_text.number(q["h.clip_norm"])
            if not (1e-6 <= clip <= 1e6):
                raise ValueError
            fixed[ex.CLIP] = clip
        except ValueError:
            warnings.append(f"Ignored clip_norm = '{q['h.clip_norm'][:40]}': expected a number in [1e-06, 1e+06].")
    try:
        spec.resolve({k: v for k, v in fixed.items() if k != ex.CLIP})
        state.fixed = fixed
    except ValueError as error:
        warnings.append(f"{error}; using {optimizer}'s defaults.")

    if "cmp" in q:
        state.compared = query_text.known_names(
            q["cmp"], optimizers.names(), MAX_COMPARED, warnings, kind="optimizer",
            too_many=f"At most {MAX_COMPARED} optimizers are compared; the first {MAX_COMPARED} are shown.")
    return state, warnings


def to_query(state: SweepState) -> dict[str, str]:
    q = {"land": state.landscape, "opt": state.optimizer}
    surface = state.surface()
    for param in surface.params:
        if state.landscape_params.get(param.name, param.default) != param.default:
            q[f"lp.{param.name}"] = query_text.as_text(state.landscape_params[param.name])
    for name in ("x", "y"):
        choice = getattr(state, name)
        q[name] = choice.key
        q[f"{name}lo"], q[f"{name}hi"] = query_text.as_text(float(choice.low)), query_text.as_text(float(choice.high))
        q[f"{name}log"] = "1" if choice.log else "0"
    q["res"], q["steps"] = str(state.resolution), str(state.steps)
    q["x0"], q["y0"] = query_text.as_text(float(state.start[0])), query_text.as_text(float(state.start[1]))
    q["metric"], q["tol"] = state.metric, query_text.as_text(float(state.tolerance))
    spec = optimizers.get(state.optimizer)
    for hyper in spec.hypers:
        if hyper.name in state.fixed and state.fixed[hyper.name] != hyper.default:
            q[f"h.{hyper.name}"] = query_text.as_text(state.fixed[hyper.name])
    if state.fixed.get(ex.CLIP) is not None:
        q["h.clip_norm"] = query_text.as_text(float(state.fixed[ex.CLIP]))
    q["cmp"] = ",".join(state.compared)
    q["budget"] = str(state.search_side)
    return q


# ----- controls ----------------------------------------------------------------------------------
def seed_widgets(state: SweepState) -> None:
    """Put a link's values into the widgets' session keys, on the first view of the page."""
    ss = st.session_state
    ss["sw.land"], ss["sw.opt"] = state.landscape, state.optimizer
    for name, value in state.landscape_params.items():
        ss[f"sw.lp.{state.landscape}.{name}"] = float(value)
    for name in ("x", "y"):
        choice = getattr(state, name)
        ss[f"sw.{name}.{state.optimizer}"] = choice.key
        ss[f"sw.{name}lo.{state.optimizer}.{choice.key}"] = float(choice.low)
        ss[f"sw.{name}hi.{state.optimizer}.{choice.key}"] = float(choice.high)
        ss[f"sw.{name}log.{state.optimizer}.{choice.key}"] = bool(choice.log)
    ss["sw.res"], ss["sw.steps"] = state.resolution, state.steps
    ss[f"sw.x0.{state.landscape}"], ss[f"sw.y0.{state.landscape}"] = float(state.start[0]), float(state.start[1])
    ss["sw.metric"], ss["sw.tol"] = state.metric, float(state.tolerance)
    spec = optimizers.get(state.optimizer)
    values = spec.resolve({k: v for k, v in state.fixed.items() if k != ex.CLIP})
    for hyper in spec.hypers:
        key = f"sw.h.{state.optimizer}.{hyper.name}"
        if hyper.kind == "pair":
            ss[f"{key}[0]"], ss[f"{key}[1]"] = float(values[hyper.name][0]), float(values[hyper.name][1])
        else:
            ss[key] = values[hyper.name]
    ss["sw.clip_on"] = state.fixed.get(ex.CLIP) is not None
    if state.fixed.get(ex.CLIP) is not None:
        ss["sw.clip"] = float(state.fixed[ex.CLIP])
    ss["sw.cmp"] = list(state.compared)
    ss["sw.budget"] = state.search_side


def _axis_controls(name: str, optimizer: str, surface, other: str | None, sb=None):
    sb = sb or st.sidebar
    specs = ex.axis_specs(optimizer)
    keys = [k for k in specs if k != other]
    picked_key = f"sw.{name}.{optimizer}"
    if st.session_state.get(picked_key) not in keys:
        st.session_state[picked_key] = ex.default_axes(optimizer)[0 if name == "x" else 1]
        if st.session_state[picked_key] not in keys:
            st.session_state[picked_key] = keys[0]
    key = sb.selectbox(f"{name} axis", keys, key=picked_key, format_func=lambda k: specs[k].label, persist_state="session")
    spec = specs[key]
    low, high = spec.default_low, spec.default_high
    if key == "lr":
        low, high = default_lr_range(surface, optimizer)
    lo_key, hi_key, log_key = (f"sw.{name}lo.{optimizer}.{key}", f"sw.{name}hi.{optimizer}.{key}",
                               f"sw.{name}log.{optimizer}.{key}")
    st.session_state.setdefault(lo_key, float(low))
    st.session_state.setdefault(hi_key, float(high))
    st.session_state.setdefault(log_key, bool(spec.log))
    c1, c2 = sb.columns(2)
    bounds = dict(min_value=float(spec.valid_low), max_value=float(min(spec.valid_high, 1e6)), format="%.4g")
    low = c1.number_input("from", key=lo_key, **bounds, persist_state="session")
    high = c2.number_input("to", key=hi_key, **bounds, persist_state="session")
    log = sb.checkbox(f"log scale for {spec.label}", key=log_key, help="Space the values evenly on a log scale.",
                      persist_state="session")
    return AxisChoice(key, float(low), float(high), bool(log)), spec


# The controls a live demo needs, mirrored on the page in presentation mode (ui/strip.py): which surface
# and optimizer, which two settings span the map, what colours it, and how long each run is.
MIRRORED = {"sw.land": "Landscape", "sw.opt": "Optimizer", "sw.x.*": "x axis", "sw.y.*": "y axis",
            "sw.metric": "Colour by", "sw.steps": "Steps per run"}


def sidebar(sb=None) -> tuple[SweepState, list[str]]:
    """Draw the controls (in the sidebar, or ``sb``: a ``ui.strip.MirroredSidebar``); return the state
    they describe and the problems found in it."""
    sb = sb or st.sidebar
    problems: list[str] = []
    sb.selectbox("Landscape", landscapes.names(), key="sw.land",
                 format_func=lambda n: f"{landscapes.get(n).title}  ·  {landscapes.get(n).category}", persist_state="session")
    surface = landscapes.get(st.session_state["sw.land"])
    surface = surface.with_params(**{p.name: st.session_state.get(f"sw.lp.{surface.name}.{p.name}", p.default)
                                     for p in surface.params})
    optimizer = sb.selectbox("Optimizer", optimizers.names(), key="sw.opt", format_func=lambda n: optimizers.get(n).title,
                             persist_state="session")
    x, x_spec = _axis_controls("x", optimizer, surface, None, sb)
    y, y_spec = _axis_controls("y", optimizer, surface, x.key, sb)
    for choice, spec in ((x, x_spec), (y, y_spec)):
        if not (spec.allows(choice.low) and spec.allows(choice.high)) or choice.low >= choice.high:
            problems.append(f"The range of {spec.label} must be low < high within {spec.describe()}; using its default range.")
            choice.low, choice.high = spec.default_low, spec.default_high
        if choice.log and choice.low <= 0:
            problems.append(f"A log scale needs a positive range; {spec.label} is shown on a linear scale.")
            choice.log = False

    st.session_state.setdefault("sw.res", DEFAULT_RESOLUTION)
    resolution = sb.slider("Resolution (cells per axis)", 8, ex.MAX_SWEEP_RESOLUTION, key="sw.res", step=8
                           if st.session_state["sw.res"] % 8 == 0 else 1, persist_state="session")
    st.session_state.setdefault("sw.steps", DEFAULT_STEPS)
    steps = sb.slider("Steps per run", 10, ex.MAX_STEPS, key="sw.steps", step=10 if st.session_state["sw.steps"] % 10 == 0 else 1,
                      persist_state="session")
    st.session_state.setdefault("sw.metric", "loss")
    metric = sb.selectbox("Colour by", list(ex.METRICS), key="sw.metric", format_func=ex.METRICS.get, persist_state="session")
    st.session_state.setdefault("sw.tol", DEFAULT_TOLERANCE)
    if st.session_state["sw.tol"] not in TOLERANCES:
        st.session_state["sw.tol"] = DEFAULT_TOLERANCE
    tolerance = sb.select_slider("Tolerance: converged once loss − f* ≤", TOLERANCES, key="sw.tol",
                                 format_func=lambda v: f"{v:g}", persist_state="session")

    (xa, xb), (ya, yb) = surface.bounds
    sx, sy = f"sw.x0.{surface.name}", f"sw.y0.{surface.name}"
    start_x, start_y = defaults.default_start(surface)
    st.session_state.setdefault(sx, start_x)
    st.session_state.setdefault(sy, start_y)
    c1, c2 = sb.columns(2)
    x0 = c1.number_input("start x", min_value=float(xa), max_value=float(xb), key=sx, format="%.4g", persist_state="session")
    y0 = c2.number_input("start y", min_value=float(ya), max_value=float(yb), key=sy, format="%.4g", persist_state="session")

    spec = optimizers.get(optimizer)
    fixed = {}
    with sb.expander("The other settings of this optimizer"):
        swept = {x.key.split("[")[0], y.key.split("[")[0]}
        for hyper in spec.hypers:
            key = f"sw.h.{optimizer}.{hyper.name}"
            value = hyper.default if hyper.name != "lr" else defaults.suggested_lr(surface, optimizer)
            if hyper.name in swept and hyper.kind != "pair":
                fixed[hyper.name] = st.session_state.get(key, value)
                continue
            fixed[hyper.name] = hyper_widget(hyper, value, key)
        if x.key != ex.CLIP and y.key != ex.CLIP:
            st.session_state.setdefault("sw.clip_on", False)
            if st.checkbox("Clip the gradient norm", key="sw.clip_on", persist_state="session"):
                st.session_state.setdefault("sw.clip", 1.0)
                fixed[ex.CLIP] = float(st.number_input("max norm", 1e-6, 1e6, key="sw.clip", format="%.4g",
                                                       persist_state="session"))
    try:
        spec.resolve({k: v for k, v in fixed.items() if k != ex.CLIP})
    except ValueError as error:
        problems.append(f"{error}; using {optimizer}'s defaults for the other settings.")
        fixed = dict(spec.defaults)

    st.session_state.setdefault("sw.cmp", list(DEFAULT_COMPARED))
    compared = sb.multiselect("Compare learning-rate ranges of", optimizers.names(), key="sw.cmp",
                              max_selections=MAX_COMPARED, format_func=lambda n: optimizers.get(n).title, persist_state="session")
    st.session_state.setdefault("sw.budget", 8)
    side = sb.select_slider("Search budget (runs)", SEARCH_SIDES, key="sw.budget", format_func=lambda k: f"{k * k}",
                            persist_state="session")
    state = SweepState(landscape=surface.name, landscape_params=dict(surface.param_values), optimizer=optimizer, x=x, y=y,
                       resolution=int(resolution), steps=int(steps), start=(float(x0), float(y0)), metric=metric,
                       tolerance=float(tolerance), fixed=fixed, compared=list(compared), search_side=int(side))
    return state, problems


def capped(state: SweepState) -> tuple[SweepState, str | None]:
    """The state cut down to the work one request may do, and the message saying so."""
    resolution = ex.fit_resolution(state.resolution, state.steps, [state.optimizer])
    if resolution == state.resolution:
        return state, None
    note = (f"{state.resolution}×{state.resolution} runs of {state.steps} steps is more than one request may compute "
            f"(at most {ex.MAX_WORK:,} run-steps); computing {resolution}×{resolution} instead.")
    return replace(state, resolution=resolution), note


# ----- cached batches -----------------------------------------------------------------------------
def fixed_json(fixed: dict) -> str:
    """The fixed hyperparameters as the text the cached batches key on (tuples as lists)."""
    return cache_key({k: list(v) if isinstance(v, tuple) else v for k, v in fixed.items()})


def _fixed_from_json(text: str) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(text).items()}


def compute(state: SweepState) -> ex.Outcome:
    """The sweep's runs, in the server's scheduler (``ui.heavy``): queued with the class's other heavy work."""
    x_axis, y_axis = state.axis(state.x), state.axis(state.y)
    target = ex.target_loss_for(state.surface(), state.tolerance)
    key = ("sweep", state.landscape, cache_key(state.landscape_params), state.optimizer, tuple(state.start), state.steps,
           fixed_json(state.fixed), astuple(x_axis), astuple(y_axis), target)

    def chunks():
        varying = {x_axis.key: x_axis.values()[None, :], y_axis.key: y_axis.values()[:, None]}
        return ex.outcome_chunks(state.optimizer, state.surface(), state.start, state.steps, dict(state.fixed), varying,
                                 target, patience=first_view_patience())

    return heavy.compute(key, chunks, ex.joined, f"The {state.resolution}×{state.resolution} sweep")


def lr_curves(state: SweepState, lrs: tuple, target_loss: float) -> list[ex.Outcome]:
    """Each compared optimizer's learning rate swept alone (its other settings at their defaults), as one job."""
    key = ("lr curves", state.landscape, cache_key(state.landscape_params), tuple(state.compared), tuple(state.start),
           state.steps, lrs, target_loss)

    surface = state.surface()
    chunks, combine = ex.several([ex.outcome_chunks(name, surface, state.start, state.steps, {"lr": lrs[0]},
                                                    {"lr": np.array(lrs)}, target_loss, patience=first_view_patience())
                                  for name in state.compared])
    return heavy.compute(key, chunks, combine, "The learning-rate sweeps")


def search(state: SweepState, metric: str, target_loss: float) -> ex.SearchRace:
    """Grid search against random search on the same budget, in the server's scheduler."""
    x_axis, y_axis = state.axis(state.x), state.axis(state.y)
    key = ("search", state.landscape, cache_key(state.landscape_params), state.optimizer, tuple(state.start), state.steps,
           fixed_json(state.fixed), astuple(x_axis), astuple(y_axis), metric, target_loss, state.search_side)
    side = state.search_side
    runs = side * (side + 1) * (2 * side + 1) // 6 + side * side  # every k x k grid up to side, and the random runs

    def chunks():
        return [Chunk(functools.partial(ex.search_race, state.optimizer, state.surface(), state.start, state.steps,
                                        dict(state.fixed), x_axis, y_axis, metric, target_loss, side),
                      ex.work_of(state.optimizer, runs, state.steps))]

    return heavy.compute(key, chunks, lambda results: results[0], "The grid and random searches")


# ----- a selected cell, and links to Compare ----------------------------------------------------------
def cell_settings(state: SweepState, j: int, i: int) -> dict:
    """The hyperparameters (and clip) of cell (row j, column i), as torch keywords."""
    settings = dict(state.fixed)
    for axis, index in ((state.axis(state.x), i), (state.axis(state.y), j)):
        value = float(axis.values()[index])
        settings = optimizers.with_setting(settings, axis.key, value, optimizers.get(state.optimizer).defaults)
    return settings


def run_spec(optimizer: str, settings: dict) -> compare_state.RunSpec:
    hyper = {k: v for k, v in settings.items() if k != ex.CLIP}
    return compare_state.RunSpec(optimizer, hyper, clip_norm=settings.get(ex.CLIP))


def compare_link(state_landscape: str, params: dict, start, steps: int, runs: list) -> str:
    """A relative link that opens these runs on the Compare page."""
    compare = compare_state.CompareState(landscape=state_landscape, landscape_params=dict(params), start=tuple(start),
                                         steps=int(steps), runs=list(runs))
    return "Compare?" + urlencode(compare_state.to_query(compare))


def nearest_index(values: np.ndarray, value: float, log: bool) -> int:
    scaled = np.log(values) if log else values
    target = math.log(value) if log else value
    return int(np.argmin(np.abs(scaled - target)))


def take_click(chart_key: str, state: SweepState):
    """A click callback for the ``live_chart`` heatmap: the click selects the nearest cell's run."""
    x_axis, y_axis = state.axis(state.x), state.axis(state.y)

    def callback():
        point = live_chart.clicked_xy(chart_key)
        if point is None:
            return
        x, y = point
        if (x_axis.log and x <= 0) or (y_axis.log and y <= 0):
            return
        st.session_state["sw.selected"] = (state.resolution, nearest_index(y_axis.values(), y, y_axis.log),
                                           nearest_index(x_axis.values(), x, x_axis.log))

    return callback


# ----- warm-up ----------------------------------------------------------------------------------
def warm_up_calls():
    """The page's default batch kernels (5-12 s each to compile on a new machine), as calls for ``ui.warm_up``."""
    state = default_state()  # the page's defaults first
    pairs = [(state.landscape, state.optimizer)] + [(state.landscape, name) for name in DEFAULT_COMPARED]
    return (functools.partial(optimizers.run_many, optimizer, landscape, steps=2, lr=np.array([1e-4, 2e-4]))
            for landscape, optimizer in dict.fromkeys(pairs))


def working_range(lrs, reached) -> tuple[str, str]:
    """Words for where the learning rate works: ("0.002 to 0.05 (9 of 24 values)", "1.4"), ("only 0.002", "—"),
    or ("nowhere", "—"); a range with gaps says how many of its values work."""
    lrs = np.asarray(lrs, dtype=float)
    if len(reached) == 0:
        return "nowhere", "—"
    low, high = lrs[reached[0]], lrs[reached[-1]]
    if len(reached) == 1:
        return f"only {low:.2g}", "—"
    inside = reached[-1] - reached[0] + 1
    gaps = "" if len(reached) == inside else f" ({len(reached)} of the {inside} values between)"
    return f"{low:.2g} to {high:.2g}{gaps}", f"{np.log10(high / low):.1f}"
