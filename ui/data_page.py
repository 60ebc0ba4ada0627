"""The data-landscape page's settings: URL state read defensively, the sidebar, cached runs.

Every setting lives in the link. A malformed or out-of-range value falls back to its default
with a plain-words warning; nothing from the URL is evaluated, and the work one request can
ask for is bounded (N <= 300 examples, <= 2000 iterations, three runs of the kernel).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import optimizers
import streamlit as st
from landscapes import data as datasets
from optimizers import minibatch
from optimizers import SCHEDULES

from . import heavy, defaults
from .compute import cache_key, settings_from_key
from . import query as query_text
from .controls import hyper_widget

MAX_STEPS = 2000
MIN_STEPS = 10
MAX_QUERY_KEYS = 60
MAX_VALUE_LENGTH = 100
SAMPLING_CHOICES = ("practical", "canonical")
SAMPLING_TITLES = {"practical": "practical: reshuffle each epoch, without replacement",
                   "canonical": "canonical: independent draws, with replacement"}


@dataclass
class DataState:
    problem: str = "linear"
    n: int = 100
    seed: int = 0
    batch: int = 10
    sampling: str = "practical"
    optimizer: str = "sgd"
    hyper: dict = field(default_factory=dict)  # torch keywords, validated; lr always present
    schedule: dict = field(default_factory=lambda: {"name": "constant"})
    steps: int = 300
    iteration: int = 0

    def data(self):
        return data_set(self.problem, self.n, self.seed)


@st.cache_resource(max_entries=32, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def data_set(problem: str, n: int, seed: int):
    return datasets.get(problem, n, seed)


# Adaptive rules move each coordinate about lr per step: the data's box is crossed in this many steps.
DATA_STEPS_TO_CROSS = {"per_coordinate": 60, "rectified": 60, "accumulating": 10}


def suggested_lr(data, optimizer: str) -> float:
    """About 1/L for the SGD family (L the largest curvature at the minimum: fast, stable GD);
    adaptive methods move about lr per coordinate per step, so a fraction of the box."""
    scale = optimizers.get(optimizer).step_scale
    if scale in ("curvature", "unit"):
        curvature = float(np.max(np.linalg.eigvalsh(data.hessian(*data.minimizer))))
        lr = 1.0 / curvature if math.isfinite(curvature) and curvature > 0 else 0.1
    else:
        (x0, x1), (y0, y1) = data.bounds
        lr = math.hypot(x1 - x0, y1 - y0) / DATA_STEPS_TO_CROSS[scale]
    return defaults.snap_lr(min(max(lr, 1e-5), 10.0))


def default_state(problem: str = "linear", n: int = 100, seed: int = 0) -> DataState:
    data = data_set(problem, n, seed)
    return DataState(problem=problem, n=data.n, seed=data.seed, batch=min(10, data.n),
                     hyper={"lr": suggested_lr(data, "sgd")})


# ----- reading the link --------------------------------------------------------------------------
def from_query(query: dict) -> tuple[DataState, list[str]]:
    """The state a link describes, and a warning for every part of it that was ignored."""
    q, warnings = query_text.clean(query, max_keys=MAX_QUERY_KEYS, max_value_length=MAX_VALUE_LENGTH, max_key_length=40)
    if q is None:
        return default_state(), warnings

    problem = q.get("problem", "linear")
    if problem not in datasets.names():
        warnings.append(f"Unknown data set '{problem[:30]}': showing the noisy line instead.")
        problem = "linear"
    n, seed = 100, 0
    if "n" in q:
        try:
            n = query_text.whole(q["n"], datasets.MIN_EXAMPLES, datasets.MAX_EXAMPLES)
        except ValueError:
            warnings.append(f"Ignored n = '{q['n'][:30]}': expected a whole number of examples from "
                            f"{datasets.MIN_EXAMPLES} to {datasets.MAX_EXAMPLES}.")
    if "seed" in q:
        try:
            seed = query_text.whole(q["seed"], 0, datasets.MAX_SEED)
        except ValueError:
            warnings.append(f"Ignored seed = '{q['seed'][:30]}': expected a whole number from 0 to 2³¹−1.")
    state = default_state(problem, n, seed)
    data = state.data()

    if "batch" in q:
        try:
            state.batch = query_text.whole(q["batch"], 1, data.n)
        except ValueError:
            warnings.append(f"Ignored batch = '{q['batch'][:30]}': expected a whole number from 1 to N = {data.n}.")
    if "sampling" in q:
        if q["sampling"] in SAMPLING_CHOICES:
            state.sampling = q["sampling"]
        else:
            warnings.append(f"Unknown sampling '{q['sampling'][:30]}'; using {state.sampling}.")

    optimizer = q.get("opt", state.optimizer)
    if optimizer not in minibatch.first_order_names():
        warnings.append(f"'{optimizer[:30]}' is not a first-order optimizer this page can run on minibatches; "
                        f"using SGD. Choose from: {', '.join(minibatch.first_order_names())}.")
        optimizer = "sgd"
    state.optimizer = optimizer
    spec = optimizers.get(optimizer)
    hyper = {"lr": suggested_lr(data, optimizer)}
    for h in spec.hypers:
        key = "lr" if h.name == "lr" else f"h.{h.name}"
        if key in q:
            try:
                hyper[h.name] = h.validate(query_text.hyper_value(h, q[key]))
            except ValueError:
                warnings.append(f"Ignored {h.name} = '{q[key][:30]}'; allowed: {h.describe_range() if h.kind != 'bool' else '0 or 1'}.")
    try:
        spec.resolve(hyper)
        state.hyper = hyper
    except ValueError as error:
        warnings.append(f"{error}; using the defaults of {spec.title}.")
        state.hyper = {"lr": hyper["lr"]}

    name = q.get("sched", "constant")
    if name in SCHEDULES:
        schedule = {"name": name}
        for h in SCHEDULES[name]["params"]:
            key = f"s.{h.name}"
            if key in q:
                try:
                    schedule[h.name] = h.validate(query_text.hyper_value(h, q[key]))
                except ValueError:
                    warnings.append(f"Ignored schedule {h.name} = '{q[key][:30]}'; allowed: {h.describe_range()}.")
        state.schedule = schedule
    else:
        warnings.append(f"Unknown schedule '{name[:30]}'; using a constant learning rate.")

    if "steps" in q:
        try:
            state.steps = query_text.whole(q["steps"], MIN_STEPS, MAX_STEPS)
        except ValueError:
            warnings.append(f"Ignored steps = '{q['steps'][:30]}': expected a whole number from {MIN_STEPS} to {MAX_STEPS}.")
    if "it" in q:
        try:
            state.iteration = query_text.whole(q["it"], 0, state.steps - 1)
        except ValueError:
            warnings.append(f"Ignored it = '{q['it'][:30]}': expected an iteration from 0 to {state.steps - 1}.")
    return state, warnings


def to_query(state: DataState) -> dict[str, str]:
    """The query string that reproduces ``state`` (hyperparameters at their defaults left out)."""
    q = {"problem": state.problem}
    if datasets.PROBLEMS[state.problem].seeded:
        q["n"], q["seed"] = str(state.n), str(state.seed)
    q.update(batch=str(state.batch), sampling=state.sampling, opt=state.optimizer, lr=query_text.as_text(state.hyper["lr"]))
    for h in optimizers.get(state.optimizer).hypers[1:]:
        if h.name in state.hyper and state.hyper[h.name] != h.default:
            q[f"h.{h.name}"] = query_text.as_text(state.hyper[h.name])
    if state.schedule["name"] != "constant":
        q["sched"] = state.schedule["name"]
        for key, value in state.schedule.items():
            if key != "name":
                q[f"s.{key}"] = query_text.as_text(value)
    q["steps"] = str(state.steps)
    if state.iteration:
        q["it"] = str(state.iteration)
    return q


# ----- the sidebar ---------------------------------------------------------------------------------
def seed_widgets(state: DataState) -> None:
    """Put a state's values into the widgets' session keys (on the first view of a link)."""
    ss = st.session_state
    ss["data.problem"] = state.problem
    ss["data.n"] = int(state.n) if datasets.PROBLEMS[state.problem].seeded else 100
    ss["data.seed"] = int(state.seed)
    ss["data.batch"] = int(state.batch)
    ss["data.sampling"] = state.sampling
    ss["data.opt"] = state.optimizer
    spec = optimizers.get(state.optimizer)
    values = spec.resolve(state.hyper)
    for h in spec.hypers:
        key = _hyper_key(state.problem, state.optimizer, h.name)
        if h.kind == "pair":
            ss[f"{key}[0]"], ss[f"{key}[1]"] = float(values[h.name][0]), float(values[h.name][1])
        else:
            ss[key] = values[h.name]
    ss["data.sched"] = state.schedule["name"]
    for k, v in state.schedule.items():
        if k != "name":
            ss[f"data.sched.{state.schedule['name']}.{k}"] = v
    ss["data.steps"] = int(state.steps)
    ss["data.it"] = int(state.iteration)


def _hyper_key(problem: str, optimizer: str, name: str) -> str:
    # per data set and optimizer: switching either brings that pair's own suggested lr
    return f"data.{problem}.{optimizer}.{name}"


# The controls a live demo needs, mirrored on the page in presentation mode (ui/strip.py): the data, the
# batch size and how batches are drawn, the optimizer and its learning rate.
MIRRORED = {"data.problem": "Data set", "data.batch": "Batch size B",
            "data.sampling": {"horizontal": True, "format_func": str},  # the choice's name: its meaning is in the help
            "data.opt": "Optimizer", "data.*.*.lr": None}


def sidebar(sb=None) -> DataState:
    """Draw the controls (in the sidebar, or ``sb``: a ``ui.strip.MirroredSidebar``); return the state they describe."""
    sb = sb or st.sidebar
    ss = st.session_state
    sb.subheader("Data")
    problem = sb.selectbox("Data set", datasets.names(), key="data.problem",
                           format_func=lambda name: datasets.PROBLEMS[name].title, persist_state="session")
    n, seed = 100, 0
    if datasets.PROBLEMS[problem].seeded:
        ss.setdefault("data.n", 100)
        n = int(sb.slider("Examples N", datasets.MIN_EXAMPLES, datasets.MAX_EXAMPLES, key="data.n", persist_state="session"))
        ss.setdefault("data.seed", 0)
        seed = int(sb.number_input("Data seed", 0, datasets.MAX_SEED, key="data.seed",
                                   help="Draws the examples, and the minibatches.", persist_state="session"))
    data = data_set(problem, n, seed)

    sb.subheader("Minibatches")
    ss.setdefault("data.batch", min(10, data.n))
    if ss["data.batch"] > data.n:  # fewer examples than the batch asked for: the whole set
        ss["data.batch"] = data.n
    batch = int(sb.slider("Batch size B", 1, data.n, key="data.batch",
                          help=f"1 is classic SGD; {data.n} (= N) makes every iteration a full-batch step.",
                          persist_state="session"))
    ss.setdefault("data.sampling", "practical")
    sampling = sb.radio("Sampling", SAMPLING_CHOICES, key="data.sampling", format_func=SAMPLING_TITLES.get,
                        help="CSCI 8980: canonical SGD draws a random batch every iteration (with replacement); "
                             "practical SGD shuffles the data each epoch and walks through it in batches.",
                             persist_state="session")

    sb.subheader("Optimizer")
    ss.setdefault("data.opt", "sgd")
    optimizer = sb.selectbox("Optimizer", minibatch.first_order_names(), key="data.opt",
                             format_func=lambda name: optimizers.get(name).title,
                             help="First-order optimizers only: Newton and L-BFGS need the surface itself.",
                             persist_state="session")
    spec = optimizers.get(optimizer)
    suggested = suggested_lr(data, optimizer)
    defaults_values = spec.resolve({"lr": suggested})
    hyper = {"lr": hyper_widget(spec.hypers[0], suggested, _hyper_key(problem, optimizer, "lr"), sb)}
    if len(spec.hypers) > 1:
        with sb.expander("More hyperparameters"):
            for h in spec.hypers[1:]:
                hyper[h.name] = hyper_widget(h, defaults_values[h.name], _hyper_key(problem, optimizer, h.name))
    try:
        spec.resolve(hyper)
    except ValueError as error:
        sb.warning(f"{error}. Using the defaults.")
        hyper = {"lr": hyper["lr"]}

    ss.setdefault("data.sched", "constant")
    sched_name = sb.selectbox("Learning-rate schedule", list(SCHEDULES), key="data.sched",
                              format_func=lambda name: SCHEDULES[name]["title"], persist_state="session")
    schedule = {"name": sched_name}
    for h in SCHEDULES[sched_name]["params"]:
        schedule[h.name] = hyper_widget(h, h.default, f"data.sched.{sched_name}.{h.name}", sb)
    ss.setdefault("data.steps", 300)
    steps = int(sb.slider("Iterations", MIN_STEPS, MAX_STEPS, key="data.steps", step=10, persist_state="session"))
    return DataState(problem=problem, n=data.n, seed=data.seed, batch=batch, sampling=sampling, optimizer=optimizer,
                     hyper=hyper, schedule=schedule, steps=steps, iteration=int(ss.get("data.it", 0)))


# ----- cached runs ---------------------------------------------------------------------------------
# Each result holds its batch indices (up to 2000 x 300 int64, about 5 MB): a bounded cache.
@st.cache_resource(max_entries=48, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def _run(problem: str, n: int, seed: int, optimizer: str, batch: int, sampling: str, steps: int, hyper_json: str,
         schedule_json: str):
    hyper = settings_from_key(hyper_json)
    return minibatch.run(optimizer, data_set(problem, n, seed), batch, steps, sampling=sampling, seed=seed,
                         schedule=json.loads(schedule_json), **hyper)


def decayed_schedule(state: DataState) -> dict:
    """The decay the noise-ball view compares with a constant rate: the chosen schedule, or,
    when that is constant, 1/t decay ending at about 1/20 of the starting rate."""
    if state.schedule["name"] != "constant":
        return state.schedule
    return {"name": "inverse_time", "decay": 19.0 / state.steps}


def decay_title(state: DataState) -> str:
    return SCHEDULES[decayed_schedule(state)["name"]]["title"]


def runs(state: DataState) -> dict:
    """Full-batch GD, SGD as set, and SGD with constant and with decayed lr (for the noise ball)."""
    common = (state.problem, state.n, state.seed, state.optimizer)
    hyper = cache_key(state.hyper)
    constant = {"name": "constant"}
    return {
        "gd": _run(*common, state.n, "full", state.steps, hyper, cache_key(state.schedule)),
        "sgd": _run(*common, state.batch, state.sampling, state.steps, hyper, cache_key(state.schedule)),
        "constant": _run(*common, state.batch, state.sampling, state.steps, hyper, cache_key(constant)),
        "decayed": _run(*common, state.batch, state.sampling, state.steps, hyper, cache_key(decayed_schedule(state))),
    }
