"""The Your own landscape page: its link, its race, and its controls (the formula itself is ui/custom.py)."""
from __future__ import annotations

from urllib.parse import urlencode

import optimizers
import streamlit as st

from . import custom
from . import query as query_text
from .compute import cache_key, run_cached
from .controls import number_slider, value_grid
from .state import default_run

# L-BFGS is left out of the first view: its kernel takes the longest to compile for a new formula
# (16-23 s measured on the shared 2-core machine, against 2-7 s for a first-order method).
DEFAULT_RUNS = ("sgd", "momentum", "adam")
DEFAULT_STEPS = 200
MAX_RUNS = 6
MAX_STEPS = 2000

FORMULA_KEY = "yours.formula"
BOUNDS_KEY = "yours.bounds"
_RUNS_KEY = "yours.runs"
_STEPS_KEY = "yours.steps"
_EXAMPLE_KEY = "yours.example"
_LAST_GOOD = "yours.last_good"


def _lr_key(name: str) -> str:
    return f"yours.lr.{name}"


# ----- the link ------------------------------------------------------------------------------------------
def from_query(query: dict) -> tuple[dict, list[str]]:
    """Formula, bounds, optimizers and steps of the page from its link, with a warning per ignored part."""
    query = {str(k)[:60]: (v[-1] if isinstance(v, list) else v) for k, v in list(query.items())[:50]}
    text, bounds, warnings = custom.from_query(query)
    runs = list(DEFAULT_RUNS)
    if "runs" in query:
        asked = [name.strip() for name in str(query["runs"])[:200].split(",") if name.strip()]
        known = [name for name in asked if name in optimizers.names()]
        if len(known) != len(asked):
            warnings.append(custom.markdown_safe("Ignored unknown optimizers in the link: "
                                                 + ", ".join(f"'{n[:20]}'" for n in asked if n not in known)[:200] + "."))
        if len(known) > MAX_RUNS:
            warnings.append(f"The link asks for {len(known)} optimizers; at most {MAX_RUNS} race at once.")
        runs = list(dict.fromkeys(known))[:MAX_RUNS] or runs
    steps = DEFAULT_STEPS
    if "steps" in query:
        try:
            value = float(str(query["steps"])[:20])
            if not (value.is_integer() and 10 <= value <= MAX_STEPS):
                raise ValueError
            steps = int(value)
        except ValueError:
            warnings.append(custom.markdown_safe(f"Ignored steps = '{str(query['steps'])[:20]}': expected a whole number "
                                                 f"from 10 to {MAX_STEPS}."))
    lrs = {}
    for name in runs:
        if f"lr.{name}" in query:
            raw = str(query[f"lr.{name}"])[:30]
            try:
                lrs[name] = optimizers.get(name).hypers[0].validate(float(raw))
            except ValueError:
                warnings.append(custom.markdown_safe(f"Ignored lr.{name} = '{raw}': expected a learning rate in "
                                                     f"{optimizers.get(name).hypers[0].describe_range()}."))
    return {"formula": text, "bounds": bounds, "runs": runs, "steps": steps, "lrs": lrs}, warnings


def to_query(text: str, bounds, runs, steps: int, lrs: dict | None = None) -> dict:
    query = {"formula": text, "bounds": custom.bounds_to_text(bounds), "runs": ",".join(runs), "steps": str(int(steps))}
    for name, lr in (lrs or {}).items():
        query[f"lr.{name}"] = query_text.as_text(float(lr))
    return query


def compare_link(text: str, bounds, runs, steps: int, start, lrs: dict | None = None) -> str:
    """A link to the Compare page racing these optimizers on this formula (opened as a fresh view)."""
    query = {"land": custom.CUSTOM, "formula": text, "bounds": custom.bounds_to_text(bounds),
             "x0": query_text.as_text(float(start[0])), "y0": query_text.as_text(float(start[1])),
             "steps": str(int(steps)), "runs": ",".join(runs[:MAX_RUNS])}
    for i, name in enumerate(runs[:MAX_RUNS]):
        if lrs and name in lrs:
            query[f"r{i}.lr"] = query_text.as_text(float(lrs[name]))
    return "Compare?" + urlencode(query)


# ----- the race --------------------------------------------------------------------------------------------
def race(text: str, bounds, start, steps: int, names, lrs: dict | None = None) -> tuple[list, list]:
    """(runs, [(result, seconds)]) for optimizers on a formula surface: each at its suggested settings,
    with the learning rate of ``lrs`` where it names one."""
    surface = custom.landscape(custom.CUSTOM, custom.params(text, bounds))
    runs = [default_run(surface, name) for name in names]
    for run in runs:
        if lrs and run.optimizer in lrs:
            run.hyper["lr"] = float(lrs[run.optimizer])
    params_json = cache_key(custom.params(text, bounds))
    outcomes = [run_cached(custom.CUSTOM, params_json, tuple(float(v) for v in start), int(steps), run.optimizer,
                           cache_key(run.run_kwargs()))
                for run in runs]
    return runs, outcomes


def minima_summary(surface, shown: int = 3) -> str:
    """One sentence on the minima a formula surface found, the global ones first."""
    minima = sorted(surface.minima, key=lambda m: (m.kind != "global", m.value))
    if not minima:
        return "No minimum inside the bounds: the loss keeps falling towards an edge."
    listed = ", ".join(f"({m.x:.4g}, {m.y:.4g})" for m in minima[:shown])
    more = f" and {len(minima) - shown} more" if len(minima) > shown else ""
    globals_ = sum(m.kind == "global" for m in minima)
    return (f"{len(minima)} minim{'um' if len(minima) == 1 else 'a'} found by grid search and Newton refinement "
            f"({globals_} global, lowest f = {minima[0].value:.4g}): {listed}{more}.")


# ----- the controls ----------------------------------------------------------------------------------------
def seed_widgets(query: dict) -> list[str]:
    """Put a link's settings into the controls' session keys (on the first view); the link's warnings."""
    ss = st.session_state
    seed, warnings = from_query(query)
    ss[FORMULA_KEY] = seed["formula"]
    _put_bounds(seed["bounds"])
    ss[_RUNS_KEY], ss[_STEPS_KEY] = seed["runs"], seed["steps"]
    for name, lr in seed["lrs"].items():
        ss[_lr_key(name)] = lr
    return warnings


def _put_bounds(bounds) -> None:
    for axis, name in enumerate("xy"):
        for end, label in enumerate(("min", "max")):
            st.session_state[f"{BOUNDS_KEY}.{name}{label}"] = float(bounds[axis][end])


def _use_example() -> None:
    if st.session_state[_EXAMPLE_KEY] is None:  # the chosen example clicked again: it is unselected, the formula stays
        return
    text, bounds = custom.EXAMPLES[st.session_state[_EXAMPLE_KEY]]
    st.session_state[FORMULA_KEY] = text
    _put_bounds(bounds)


def formula_controls(container, details=None):
    """The formula box, with the examples and the bounds above and under it, or in ``details`` (on a
    projector, the formula sits in the narrow strip beside the map and the rest under the map). A refused
    formula is explained inline and the last good one kept. Returns (text, bounds, surface)."""
    ss = st.session_state
    (container if details is None else details).pills("Examples", list(custom.EXAMPLES), key=_EXAMPLE_KEY,
                                                      on_change=_use_example, persist_state="session")
    text, bounds, surface, error = custom.formula_input(container, FORMULA_KEY, BOUNDS_KEY, custom.DEFAULT_FORMULA,
                                                        custom.DEFAULT_BOUNDS, bounds_container=details)
    if error is None:
        ss[_LAST_GOOD] = (text, bounds)
    else:
        text, bounds = ss.get(_LAST_GOOD, (custom.DEFAULT_FORMULA, custom.DEFAULT_BOUNDS))
        container.caption(f"Showing the last formula that worked: `{text}`")
        surface, _ = custom.build(text, bounds)
    return text, bounds, surface


def race_controls(surface, container=None, strip: bool = False, steps_place=None) -> tuple[list[str], int, dict]:
    """The optimizers, the steps and each optimizer's own learning rate (suggested for this surface), side by
    side, or one under another in a ``strip`` (with the steps in ``steps_place``: a strip at 1280 x 720 has
    room for the formula, the optimizers and three rates, not the steps too). Returns (names, steps, lrs)."""
    container = container or st
    left, right = (container, steps_place or container) if strip else container.columns([3, 1])
    names = left.multiselect("Optimizers", optimizers.names(), key=_RUNS_KEY, max_selections=MAX_RUNS,
                             format_func=lambda n: optimizers.get(n).title, persist_state="session") or list(DEFAULT_RUNS[:1])
    steps = right.slider("Steps", 10, MAX_STEPS, key=_STEPS_KEY, step=10, persist_state="session")
    if strip:  # one heading for the rates: "Gradient descent: learning rate" took two lines a rate here
        container.caption("Learning rate")
    places = [container] * len(names) if strip else container.columns(len(names))
    lrs = {}
    for place, name in zip(places, names):
        spec = optimizers.get(name)
        title = spec.title.split(" (")[0]
        lrs[name] = number_slider(title if strip else f"{title}: learning rate", value_grid(spec.hypers[0]),
                                  default_run(surface, name).hyper["lr"], _lr_key(name), spec.hypers[0].help, place)
    return names, steps, lrs
