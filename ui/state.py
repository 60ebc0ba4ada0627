"""The Compare page's settings as one value, read from and written to the URL query string.

Everything a teacher sets lives in the link, so pasting it reproduces the view. Reading is
defensive: a malformed, hostile or out-of-range value falls back to its default and adds a
plain-words warning; nothing from the URL is ever evaluated, and the amount of work a link
can ask for is capped.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import landscapes
import optimizers
from optimizers import SCHEDULES

from . import custom, defaults
from . import query as query_text

MAX_RUNS = 6
MAX_STEPS = 2000
MAX_QUERY_KEYS = 200
MAX_VALUE_LENGTH = 200
VIEWS = ("overlay", "panels", "surface")


@dataclass
class RunSpec:
    optimizer: str
    hyper: dict  # torch keywords; values already validated
    schedule: dict = field(default_factory=lambda: {"name": "constant"})
    clip_norm: float | None = None
    clip_value: float | None = None
    noise: float = 0.0
    seed: int = 0

    def run_kwargs(self) -> dict:
        return dict(self.hyper, schedule=self.schedule, clip_norm=self.clip_norm, clip_value=self.clip_value,
                    noise=self.noise, seed=self.seed)


@dataclass
class CompareState:
    landscape: str
    landscape_params: dict
    start: tuple
    steps: int
    runs: list
    view: str = "overlay"
    presentation: bool = False

    def surface(self):
        return custom.landscape(self.landscape, self.landscape_params)


def default_run(surface, optimizer: str) -> RunSpec:
    return RunSpec(optimizer, {"lr": defaults.suggested_lr(surface, optimizer)})


def default_state(landscape: str = "rosenbrock") -> CompareState:
    surface = defaults.landscape_or_default(landscape)
    return CompareState(
        landscape=surface.name, landscape_params=dict(surface.param_values), start=defaults.default_start(surface),
        steps=defaults.DEFAULT_STEPS, runs=[default_run(surface, name) for name in defaults.default_runs(surface.name)],
    )


def custom_state(text: str, bounds) -> CompareState:
    """The default race on a typed formula (which must be valid: see custom.from_query)."""
    surface = custom.landscape(custom.CUSTOM, custom.params(text, bounds))
    return CompareState(
        landscape=custom.CUSTOM, landscape_params=custom.params(text, bounds), start=defaults.default_start(surface),
        steps=defaults.DEFAULT_STEPS, runs=[default_run(surface, name) for name in defaults.default_runs(surface.name)],
    )


# ----- reading --------------------------------------------------------------------------------
def from_query(query: dict) -> tuple[CompareState, list[str]]:
    """The state a link describes, and a warning for every part of it that was ignored."""
    q, warnings = query_text.clean(query, max_keys=MAX_QUERY_KEYS, max_value_length=MAX_VALUE_LENGTH,
                                   long_values={"formula": custom.MAX_FORMULA_LENGTH})
    if q is None:
        return default_state(), warnings

    name = q.get("land", "rosenbrock")
    if name == custom.CUSTOM:  # a typed formula: formula= and bounds=, refused ones fall back with a warning
        text, bounds, formula_warnings = custom.from_query(q)
        warnings += formula_warnings
        state = custom_state(text, bounds)
        surface = state.surface()
    else:
        name = query_text.known(q, "land", landscapes.names(), "rosenbrock", warnings, kind="landscape",
                                instead="showing Rosenbrock")
        state = default_state(name)
        surface = landscapes.get(name)

    params = query_text.landscape_params(q, surface, warnings)
    if surface.params:
        surface = surface.with_params(**params)
        state.landscape_params = dict(surface.param_values)

    if "x0" in q or "y0" in q:
        try:
            x, y = query_text.number(q.get("x0", str(state.start[0]))), query_text.number(q.get("y0", str(state.start[1])))
            (xa, xb), (ya, yb) = surface.bounds
            if not (xa <= x <= xb and ya <= y <= yb):
                raise ValueError
            state.start = (x, y)
        except ValueError:
            warnings.append(f"Ignored the start point: it must be two numbers inside the plot, x in [{surface.bounds[0][0]:g}, "
                            f"{surface.bounds[0][1]:g}], y in [{surface.bounds[1][0]:g}, {surface.bounds[1][1]:g}].")

    if "steps" in q:
        try:
            steps = query_text.number(q["steps"])
            if steps != int(steps) or not (1 <= steps <= MAX_STEPS):
                raise ValueError
            state.steps = int(steps)
        except ValueError:
            warnings.append(f"Ignored steps = '{q['steps'][:40]}': expected a whole number from 1 to {MAX_STEPS}.")

    if q.get("view") in VIEWS:
        state.view = q["view"]
    elif "view" in q:
        warnings.append(f"Unknown view '{q['view'][:40]}'; showing the overlay.")
    state.presentation = q.get("pres", "0") in ("1", "true")

    if "runs" in q:
        names = [n.strip() for n in q["runs"].split(",") if n.strip()]
        if len(names) > MAX_RUNS:
            warnings.append(f"The link asks for {len(names)} runs; at most {MAX_RUNS} are shown.")
            names = names[:MAX_RUNS]
        runs = []
        for i, optimizer in enumerate(names):
            if optimizer not in optimizers.names():
                warnings.append(f"Unknown optimizer '{optimizer[:40]}' skipped.")
                continue
            runs.append(_run_from_query(q, i, surface, optimizer, warnings))
        state.runs = runs or state.runs
    return state, warnings


def _run_from_query(q: dict, i: int, surface, optimizer: str, warnings: list[str]) -> RunSpec:
    spec = optimizers.get(optimizer)
    run = default_run(surface, optimizer)
    prefix = f"r{i}."
    hyper = dict(run.hyper)
    for h in spec.hypers:
        key = prefix + h.name
        if key in q:
            try:
                hyper[h.name] = h.validate(query_text.hyper_value(h, q[key]))
            except ValueError:
                warnings.append(f"Run {i + 1} ({optimizer}): ignored {h.name} = '{q[key][:40]}'; allowed: {describe_allowed(h)}.")
    try:
        spec.resolve(hyper)  # the cross-parameter checks, e.g. Nesterov needs a momentum
        run.hyper = hyper
    except ValueError as error:
        warnings.append(f"Run {i + 1} ({optimizer}): {error}; using its defaults.")
        run.hyper = {"lr": run.hyper["lr"]}

    sched_name = q.get(prefix + "sched", "constant")
    if sched_name in SCHEDULES:
        schedule = {"name": sched_name}
        for h in SCHEDULES[sched_name]["params"]:
            key = f"{prefix}sched.{h.name}"
            if key in q:
                try:
                    schedule[h.name] = h.validate(query_text.hyper_value(h, q[key]))
                except ValueError:
                    warnings.append(f"Run {i + 1}: ignored schedule {h.name} = '{q[key][:40]}'; allowed: {describe_allowed(h)}.")
        run.schedule = schedule
    else:
        warnings.append(f"Run {i + 1}: unknown schedule '{sched_name[:40]}'; using a constant learning rate.")

    for key, attribute, low, high in ((prefix + "clip", "clip_norm", 1e-6, 1e6), (prefix + "clipv", "clip_value", 1e-6, 1e6),
                                      (prefix + "noise", "noise", 0.0, 100.0)):
        if key in q:
            try:
                value = query_text.number(q[key])
                if not (low <= value <= high):
                    raise ValueError
                setattr(run, attribute, value)
            except ValueError:
                warnings.append(f"Run {i + 1}: ignored {attribute.replace('_', ' ')} = '{q[key][:40]}'; allowed: [{low:g}, {high:g}].")
    if prefix + "seed" in q:
        try:
            seed = query_text.number(q[prefix + "seed"])
            if seed != int(seed) or not (0 <= seed < 2**31):
                raise ValueError
            run.seed = int(seed)
        except ValueError:
            warnings.append(f"Run {i + 1}: ignored seed = '{q[prefix + 'seed'][:40]}'; expected a whole number from 0 to 2³¹−1.")
    return run


def describe_allowed(hyper) -> str:
    """What a link may give for ``hyper``, in words: '0 or 1', the choices, or the range."""
    if hyper.kind == "bool":
        return "0 or 1"
    if hyper.kind == "choice":
        return ", ".join(map(str, hyper.choices))
    return hyper.describe_range() + (" for each of two comma-separated numbers" if hyper.kind == "pair" else "")


# ----- writing --------------------------------------------------------------------------------
def to_query(state: CompareState) -> dict[str, str]:
    """The shortest query string that reproduces ``state`` (values equal to defaults are left out)."""
    q = {"land": state.landscape}
    surface = state.surface()
    if custom.is_custom(state.landscape):
        q["formula"] = state.landscape_params["formula"]
        q["bounds"] = custom.bounds_to_text(state.landscape_params["bounds"])
    for param in surface.params:
        if state.landscape_params.get(param.name, param.default) != param.default:
            q[f"lp.{param.name}"] = query_text.as_text(state.landscape_params[param.name])
    q["x0"], q["y0"] = query_text.as_text(float(state.start[0])), query_text.as_text(float(state.start[1]))
    q["steps"] = str(state.steps)
    q["runs"] = ",".join(run.optimizer for run in state.runs)
    for i, run in enumerate(state.runs):
        spec = optimizers.get(run.optimizer)
        for h in spec.hypers:
            if h.name in run.hyper and (h.name == "lr" or run.hyper[h.name] != h.default):
                q[f"r{i}.{h.name}"] = query_text.as_text(run.hyper[h.name])
        if run.schedule.get("name", "constant") != "constant":
            q[f"r{i}.sched"] = run.schedule["name"]
            for key, value in run.schedule.items():
                if key != "name":
                    q[f"r{i}.sched.{key}"] = query_text.as_text(value)
        if run.clip_norm is not None:
            q[f"r{i}.clip"] = query_text.as_text(run.clip_norm)
        if run.clip_value is not None:
            q[f"r{i}.clipv"] = query_text.as_text(run.clip_value)
        if run.noise:
            q[f"r{i}.noise"] = query_text.as_text(run.noise)
            q[f"r{i}.seed"] = str(run.seed)
    if state.view != "overlay":
        q["view"] = state.view
    if state.presentation:
        q["pres"] = "1"
    return q


def with_runs(state: CompareState, runs: list) -> CompareState:
    return replace(state, runs=list(runs))
