"""The Anatomy page's settings: read from the URL defensively, drawn as widgets, replayed with a cache.

Query keys: ``land``, ``opt``, ``h.<hyperparameter>`` (torch's keyword), ``x0``/``y0``,
``steps`` (the horizon replayed, at most ``MAX_STEPS``), ``t`` (the step shown), ``clip``,
``noise``, ``seed`` and ``frame``. Anything malformed or out of range falls back to its
default with a warning; nothing from the URL is evaluated.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import landscapes
import optimizers
import pandas as pd
import streamlit as st
from optimizers import anatomy

from viz.anatomy import FRAMINGS
from viz.numbers import readable

from . import heavy, defaults
from .compute import settings_from_key
from . import query as query_text
from .controls import hyper_widget, number_slider
from .state import MAX_QUERY_KEYS, MAX_VALUE_LENGTH, describe_allowed

MAX_STEPS = 500
DEFAULT_STEPS = 60
NOISE_GRID = [0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
CLIP_GRID = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 1000.0]


@dataclass
class AnatomyState:
    landscape: str = "rosenbrock"
    optimizer: str = "adam"
    hyper: dict = field(default_factory=dict)  # torch keywords, validated
    start: tuple = ()
    steps: int = DEFAULT_STEPS
    t: int = 1
    clip_norm: float | None = None
    noise: float = 0.0
    seed: int = 0
    framing: str = "step"

    def surface(self):
        return landscapes.get(self.landscape)

    def run_kwargs(self) -> dict:
        return dict(self.hyper, clip_norm=self.clip_norm, noise=self.noise, seed=self.seed)


def default_state(landscape: str = "rosenbrock", optimizer: str = "adam") -> AnatomyState:
    surface = defaults.landscape_or_default(landscape)
    return AnatomyState(landscape=surface.name, optimizer=optimizer, hyper={"lr": defaults.suggested_lr(surface, optimizer)},
                        start=defaults.default_start(surface))


def from_query(query: dict) -> tuple[AnatomyState, list[str]]:
    """The state a link describes, and a plain-words warning for each part that was ignored."""
    q, warnings = query_text.clean(query, max_keys=MAX_QUERY_KEYS, max_value_length=MAX_VALUE_LENGTH, max_key_length=60)
    if q is None:
        return default_state(), warnings
    name = query_text.known(q, "land", landscapes.names(), "rosenbrock", warnings, kind="landscape",
                            instead="showing Rosenbrock")
    optimizer = query_text.known(q, "opt", optimizers.names(), "adam", warnings, kind="optimizer",
                                 instead=f"showing Adam (optimizers: {', '.join(optimizers.names())})")
    state = default_state(name, optimizer)
    surface = state.surface()
    spec = optimizers.get(optimizer)

    hyper = dict(state.hyper)
    for h in spec.hypers:
        key = f"h.{h.name}"
        if key in q:
            try:
                hyper[h.name] = h.validate(query_text.hyper_value(h, q[key]))
            except ValueError:
                warnings.append(f"Ignored {h.name} = '{q[key][:40]}'; allowed: {describe_allowed(h)}.")
    try:
        spec.resolve(hyper)
        state.hyper = hyper
    except ValueError as error:
        warnings.append(f"{error}; using the defaults of {spec.title}.")

    if "x0" in q or "y0" in q:
        try:
            x, y = query_text.number(q.get("x0", str(state.start[0]))), query_text.number(q.get("y0", str(state.start[1])))
            (xa, xb), (ya, yb) = surface.bounds
            if not (xa <= x <= xb and ya <= y <= yb):
                raise ValueError
            state.start = (x, y)
        except ValueError:
            (xa, xb), (ya, yb) = surface.bounds
            warnings.append(f"Ignored the start point: it must be two numbers inside the plot, x in [{xa:g}, {xb:g}], "
                            f"y in [{ya:g}, {yb:g}].")
    state.steps = _whole(q, "steps", 1, MAX_STEPS, state.steps, warnings)
    state.t = _whole(q, "t", 1, MAX_STEPS, 1, warnings)
    if "clip" in q:
        try:
            value = query_text.number(q["clip"])
            if not (1e-6 <= value <= 1e6):
                raise ValueError
            state.clip_norm = value
        except ValueError:
            warnings.append(f"Ignored clip = '{q['clip'][:40]}'; allowed: [1e-06, 1e+06].")
    if "noise" in q:
        try:
            value = query_text.number(q["noise"])
            if not (0.0 <= value <= 100.0):
                raise ValueError
            state.noise = value
        except ValueError:
            warnings.append(f"Ignored noise = '{q['noise'][:40]}'; allowed: [0, 100].")
    state.seed = _whole(q, "seed", 0, 2**31 - 1, 0, warnings)
    if "frame" in q:
        if q["frame"] in FRAMINGS:
            state.framing = q["frame"]
        else:
            warnings.append(f"Unknown framing '{q['frame'][:40]}'; allowed: {', '.join(FRAMINGS)}.")
    return state, warnings


def _whole(q: dict, key: str, low: int, high: int, default: int, warnings: list) -> int:
    if key not in q:
        return default
    try:
        value = query_text.number(q[key])
        if value != int(value) or not (low <= value <= high):
            raise ValueError
        return int(value)
    except ValueError:
        warnings.append(f"Ignored {key} = '{q[key][:40]}': expected a whole number from {low} to {high}.")
        return default


def to_query(state: AnatomyState) -> dict[str, str]:
    q = {"land": state.landscape, "opt": state.optimizer}
    spec = optimizers.get(state.optimizer)
    for h in spec.hypers:
        if h.name in state.hyper and (h.name == "lr" or state.hyper[h.name] != h.default):
            q[f"h.{h.name}"] = query_text.as_text(state.hyper[h.name])
    q["x0"], q["y0"] = query_text.as_text(float(state.start[0])), query_text.as_text(float(state.start[1]))
    q["steps"], q["t"] = str(state.steps), str(state.t)
    if state.clip_norm is not None:
        q["clip"] = query_text.as_text(state.clip_norm)
    if state.noise:
        q["noise"], q["seed"] = query_text.as_text(state.noise), str(state.seed)
    if state.framing != "step":
        q["frame"] = state.framing
    return q


# ----- widgets ---------------------------------------------------------------------------------
def _hyper_key(landscape: str, optimizer: str, name: str) -> str:
    return f"an.{landscape}.{optimizer}.{name}"


def seed_widgets(state: AnatomyState) -> None:
    """Put a link's values into the widgets' session keys (first view of the page only)."""
    ss = st.session_state
    ss["an.land"], ss["an.opt"] = state.landscape, state.optimizer
    values = optimizers.get(state.optimizer).resolve(state.hyper)
    for h in optimizers.get(state.optimizer).hypers:
        key = _hyper_key(state.landscape, state.optimizer, h.name)
        if h.kind == "pair":
            ss[f"{key}[0]"], ss[f"{key}[1]"] = float(values[h.name][0]), float(values[h.name][1])
        else:
            ss[key] = values[h.name]
    ss[f"an.x0.{state.landscape}"], ss[f"an.y0.{state.landscape}"] = float(state.start[0]), float(state.start[1])
    ss["an.steps"], ss["an.t"] = state.steps, state.t
    ss["an.clip_on"] = state.clip_norm is not None
    if state.clip_norm is not None:
        ss["an.clip"] = float(state.clip_norm)
    ss["an.noise"], ss["an.seed"], ss["an.frame"] = float(state.noise), state.seed, state.framing


# The controls a live demo needs, mirrored on the page in presentation mode (ui/strip.py), with the
# strip's labels: which surface, which rule, its step size and momentum, and the two switches that
# change a step's anatomy the most.
MIRRORED = {"an.land": "Landscape", "an.opt": "Optimizer", "an.*.*.lr": None, "an.*.*.momentum": None,
            "an.clip_on": None, "an.clip": None, "an.noise": None}


def sidebar(sb=None) -> AnatomyState:
    """Draw the run's controls in the sidebar (or ``sb``: a ``ui.strip.MirroredSidebar``); return the
    state they describe (t is set by the page)."""
    sb = sb or st.sidebar
    name = sb.selectbox("Landscape", landscapes.names(), key="an.land",
                        format_func=lambda n: f"{landscapes.get(n).title}  ·  {landscapes.get(n).category}",
                        persist_state="session")
    optimizer = sb.selectbox("Optimizer", optimizers.names(), key="an.opt", format_func=lambda n: optimizers.get(n).title,
                             persist_state="session")
    surface, spec = landscapes.get(name), optimizers.get(optimizer)
    base = default_state(name, optimizer)
    hyper = {}
    for h in spec.hypers:
        default = base.hyper.get(h.name, h.default)
        hyper[h.name] = hyper_widget(h, default, _hyper_key(name, optimizer, h.name), sb)
    try:
        spec.resolve(hyper)
    except ValueError as error:
        sb.warning(f"{error}; using the defaults.", icon="⚠️")
        hyper = dict(base.hyper)
    (xa, xb), (ya, yb) = surface.bounds
    x_key, y_key = f"an.x0.{name}", f"an.y0.{name}"
    st.session_state.setdefault(x_key, float(base.start[0]))
    st.session_state.setdefault(y_key, float(base.start[1]))
    left, right = sb.columns(2)
    x0 = left.number_input("start x", min_value=float(xa), max_value=float(xb), key=x_key, format="%.4g", persist_state="session")
    y0 = right.number_input("start y", min_value=float(ya), max_value=float(yb), key=y_key, format="%.4g",
                            persist_state="session")
    st.session_state.setdefault("an.steps", DEFAULT_STEPS)
    steps = int(sb.number_input("steps replayed", min_value=1, max_value=MAX_STEPS, step=1, key="an.steps",
                                persist_state="session"))
    st.session_state.setdefault("an.clip_on", False)
    clip_on = sb.checkbox("clip the gradient norm", key="an.clip_on",
                          help="torch.nn.utils.clip_grad_norm_: rescale g to this norm when it is longer.",
                          persist_state="session")
    clip_norm = number_slider("max gradient norm", CLIP_GRID, st.session_state.get("an.clip", 1.0), "an.clip", container=sb) \
        if clip_on else None
    noise = number_slider("gradient noise σ", NOISE_GRID, st.session_state.get("an.noise", 0.0), "an.noise",
                          "Gaussian noise added to each gradient coordinate (a minibatch stand-in).", sb)
    st.session_state.setdefault("an.seed", 0)
    seed = int(sb.number_input("noise seed", min_value=0, max_value=2**31 - 1, step=1, key="an.seed",
                               persist_state="session")) if noise else 0
    return AnatomyState(landscape=name, optimizer=optimizer, hyper=hyper, start=(float(x0), float(y0)), steps=steps,
                        clip_norm=clip_norm, noise=float(noise), seed=seed)


@st.cache_resource(max_entries=64, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def _replay_cached(landscape: str, optimizer: str, start: tuple, steps: int, kwargs_json: str):
    kwargs = settings_from_key(kwargs_json)
    return anatomy.replay(optimizer, landscape, start=start, steps=steps, **kwargs)


def replay(state: AnatomyState):
    """The replayed run (cached: stepping through it costs no computation)."""
    return _replay_cached(state.landscape, state.optimizer, tuple(state.start), state.steps,
                          json.dumps(state.run_kwargs(), sort_keys=True, default=str))


def number_table(rows: list[dict], columns: tuple[str, ...]):
    """``rows`` as a table for ``st.dataframe`` whose ``columns`` read as ``viz.numbers.readable`` shows them
    (significant digits, powers of ten for the tiny and the huge); each cell still holds the kernel's
    exact float, which a copied cell or a test reads."""
    frame = pd.DataFrame(rows)
    return frame.style.format(readable, subset=list(columns)) if len(frame) else frame


def move_step(delta: int, last: int) -> None:
    """Button callback: one step back or forward, kept inside 1..last."""
    st.session_state["an.t"] = min(max(int(st.session_state.get("an.t", 1)) + delta, 1), last)
