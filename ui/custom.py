"""A formula typed in the app: read from the URL, validated, compiled once per (formula, bounds).

Pages and ``compute`` resolve a landscape through ``landscape(name, params)``: the catalogue's
surfaces by name, a formula surface (Compare's ``land=custom``, or a ``custom-…`` name) from
its params ``{"formula": text, "bounds": [[x0, x1], [y0, y1]]}``. Formula surfaces are kept in
a small LRU, so one server process compiles a bounded number of them per minute of use.
"""
from __future__ import annotations

import functools
import math
import re

import landscapes
from landscapes import FormulaError, formula

from . import query as query_text

CUSTOM = "custom"  # Compare's land= value for a typed formula
DEFAULT_FORMULA = "sin(3*x)*cos(3*y) + 0.1*(x^2+y^2)"
DEFAULT_BOUNDS = formula.DEFAULT_BOUNDS
MAX_FORMULA_LENGTH = formula.MAX_LENGTH
CACHE_SIZE = 32

# The classroom examples of issue #6, with bounds that show their shape.
EXAMPLES = {
    "ravine": ("x^2 + 10*y^2", ((-3.0, 3.0), (-3.0, 3.0))),
    "banana": ("(1-x)^2 + 100*(y-x^2)^2", ((-2.0, 2.0), (-1.0, 3.0))),
    "egg crate": ("sin(3*x)*cos(3*y) + 0.1*(x^2+y^2)", ((-3.0, 3.0), (-3.0, 3.0))),
    "logistic": ("log(1 + exp(x - y))", ((-3.0, 3.0), (-3.0, 3.0))),
    "saddle": ("x^2 - y^2 + 0.1*y^4", ((-3.0, 3.0), (-3.0, 3.0))),
    "kink": ("abs(x) + 5*abs(y)", ((-3.0, 3.0), (-3.0, 3.0))),
}

formula.never_count(DEFAULT_FORMULA, *(text for text, _ in EXAMPLES.values()))


def markdown_safe(text: str) -> str:
    """Text shown verbatim in Streamlit markdown: typed '__x__' must not turn bold, '$' not into LaTeX."""
    return re.sub(r"([\\`*_$\[\]<>~#|])", r"\\\1", text)


def is_custom(name: str) -> bool:
    return name == CUSTOM or name.startswith(CUSTOM + "-")


@functools.lru_cache(maxsize=CACHE_SIZE)
def _build(text: str, bounds: tuple):
    return landscapes.from_formula(text, bounds=bounds)


def build(text: str, bounds) -> tuple:
    """(landscape, None) for a formula it accepts, (None, FormulaError or ValueError) otherwise."""
    try:
        return _build(text, tuple(tuple(float(v) for v in axis) for axis in bounds)), None
    except ValueError as error:  # FormulaError is a ValueError; so are invalid bounds
        return None, error


def params(text: str, bounds) -> dict:
    """The JSON-able landscape params a formula surface is cached and linked by."""
    return {"formula": text, "bounds": [[float(a), float(b)] for a, b in bounds]}


def landscape(name: str, values: dict):
    """The surface a page's (name, params) describe: a formula surface or a catalogue one."""
    if is_custom(name):
        surface, error = build(values["formula"], values["bounds"])
        if error is not None:
            raise error
        return surface
    return landscapes.get(name, **values)


# ----- URL ---------------------------------------------------------------------------------------------
def bounds_to_text(bounds) -> str:
    return ",".join(query_text.as_text(float(v)) for axis in bounds for v in axis)


def bounds_from_text(text: str):
    """Bounds from 'x_min,x_max,y_min,y_max'; raises ValueError with what is allowed."""
    parts = text.split(",")
    try:
        if len(parts) != 4:
            raise ValueError
        x0, x1, y0, y1 = (float(p) for p in parts)
        if not all(math.isfinite(v) for v in (x0, x1, y0, y1)):
            raise ValueError
    except ValueError:
        raise ValueError("bounds must be four numbers x_min,x_max,y_min,y_max") from None
    return formula._check_bounds(((x0, x1), (y0, y1)))


def from_query(query: dict) -> tuple[str, tuple, list[str]]:
    """(formula, bounds, warnings) from a link's ``formula=`` and ``bounds=``; defaults where they fail."""
    warnings = []
    text = query.get("formula", DEFAULT_FORMULA)
    bounds = DEFAULT_BOUNDS
    if not isinstance(text, str) or len(text) > MAX_FORMULA_LENGTH:
        warnings.append(f"Ignored the formula in the link: it is longer than {MAX_FORMULA_LENGTH} characters.")
        text = DEFAULT_FORMULA
    if "bounds" in query:
        try:
            bounds = bounds_from_text(str(query["bounds"])[:200])
        except ValueError as error:
            warnings.append(markdown_safe(f"Ignored bounds = '{str(query['bounds'])[:40]}': {error}."))
    _, error = build(text, bounds)
    if error is not None:
        warnings.append(markdown_safe(f"Ignored the formula in the link ('{text[:60]}'): {error}. Showing the default formula instead."))
        text, bounds = DEFAULT_FORMULA, DEFAULT_BOUNDS
    return text, bounds, warnings


def caret_line(text: str, error) -> str:
    """The formula with a ^ under the position an error names (for an inline code block)."""
    position = getattr(error, "position", None)
    if position is None:
        return text
    shown = text.replace("\t", " ")
    return f"{shown}\n{' ' * (min(position, len(shown) + 1) - 1)}^"


def formula_input(container, key: str, bounds_key: str, default_text: str, default_bounds, show_bounds=True):
    """A formula box with optional bounds and its error inline; returns (text, bounds, surface, error)."""
    import streamlit as st

    ss = st.session_state
    ss.setdefault(key, default_text)
    text = container.text_input("f(x, y) =", key=key, max_chars=MAX_FORMULA_LENGTH,
                                help="Use x, y, numbers, + - * / ^ ( ), pi, e and sin cos tan exp log sqrt abs tanh "
                                     "sigmoid softplus relu min max (and asin acos atan sinh cosh).")
    bounds = default_bounds
    if show_bounds:
        for axis, name in enumerate("xy"):
            for end, label in enumerate(("min", "max")):
                ss.setdefault(f"{bounds_key}.{name}{label}", float(default_bounds[axis][end]))
        columns = container.columns(4)
        values = [columns[2 * axis + end].number_input(f"{name} {label}", key=f"{bounds_key}.{name}{label}", format="%.4g",
                                                       min_value=-formula.MAX_BOUND, max_value=formula.MAX_BOUND)
                  for axis, name in enumerate("xy") for end, label in enumerate(("min", "max"))]
        bounds = ((values[0], values[1]), (values[2], values[3]))
    surface, error = build(text, bounds)
    if error is not None:
        what = "this formula" if isinstance(error, FormulaError) else "these bounds"
        container.error(markdown_safe(f"Cannot use {what}: {error}"), icon="✏️")
        if isinstance(error, FormulaError):
            container.code(caret_line(text, error), language=None)
    return text, bounds, surface, error


# ----- the "Your own landscape" page's state -------------------------------------------------------------
# L-BFGS is left out of the first view: its kernel takes the longest to compile for a new formula
# (16-23 s measured on the shared 2-core machine, against 2-7 s for a first-order method).
PAGE_RUNS = ("sgd", "momentum", "adam")
PAGE_STEPS = 200
MAX_PAGE_RUNS = 6
MAX_PAGE_STEPS = 2000


def page_from_query(query: dict) -> tuple[dict, list[str]]:
    """Formula, bounds, optimizers and steps of the page from its link, with a warning per ignored part."""
    query = {str(k)[:60]: (v[-1] if isinstance(v, list) else v) for k, v in list(query.items())[:50]}
    text, bounds, warnings = from_query(query)
    runs = list(PAGE_RUNS)
    if "runs" in query:
        import optimizers

        asked = [name.strip() for name in str(query["runs"])[:200].split(",") if name.strip()]
        known = [name for name in asked if name in optimizers.names()]
        if len(known) != len(asked):
            warnings.append(markdown_safe("Ignored unknown optimizers in the link: "
                                          + ", ".join(f"'{n[:20]}'" for n in asked if n not in known)[:200] + "."))
        if len(known) > MAX_PAGE_RUNS:
            warnings.append(f"The link asks for {len(known)} optimizers; at most {MAX_PAGE_RUNS} race at once.")
        runs = list(dict.fromkeys(known))[:MAX_PAGE_RUNS] or runs
    steps = PAGE_STEPS
    if "steps" in query:
        try:
            value = float(str(query["steps"])[:20])
            if not (value.is_integer() and 10 <= value <= MAX_PAGE_STEPS):
                raise ValueError
            steps = int(value)
        except ValueError:
            warnings.append(markdown_safe(f"Ignored steps = '{str(query['steps'])[:20]}': expected a whole number from 10 to "
                                          f"{MAX_PAGE_STEPS}."))
    lrs = {}
    for name in runs:
        if f"lr.{name}" in query:
            import optimizers

            raw = str(query[f"lr.{name}"])[:30]
            try:
                lrs[name] = optimizers.get(name).hypers[0].validate(float(raw))
            except ValueError:
                warnings.append(markdown_safe(f"Ignored lr.{name} = '{raw}': expected a learning rate in "
                                              f"{optimizers.get(name).hypers[0].describe_range()}."))
    return {"formula": text, "bounds": bounds, "runs": runs, "steps": steps, "lrs": lrs}, warnings


def page_to_query(text: str, bounds, runs, steps: int, lrs: dict | None = None) -> dict:
    query = {"formula": text, "bounds": bounds_to_text(bounds), "runs": ",".join(runs), "steps": str(int(steps))}
    for name, lr in (lrs or {}).items():
        query[f"lr.{name}"] = query_text.as_text(float(lr))
    return query


def compare_link(text: str, bounds, runs, steps: int, start, lrs: dict | None = None) -> str:
    """A link to the Compare page racing these optimizers on this formula (opened as a fresh view)."""
    from urllib.parse import urlencode

    query = {"land": CUSTOM, "formula": text, "bounds": bounds_to_text(bounds), "x0": query_text.as_text(float(start[0])),
             "y0": query_text.as_text(float(start[1])), "steps": str(int(steps)), "runs": ",".join(runs[:MAX_PAGE_RUNS])}
    for i, name in enumerate(runs[:MAX_PAGE_RUNS]):
        if lrs and name in lrs:
            query[f"r{i}.lr"] = query_text.as_text(float(lrs[name]))
    return "Compare?" + urlencode(query)


def race(text: str, bounds, start, steps: int, names, lrs: dict | None = None) -> tuple[list, list]:
    """(runs, [(result, seconds)]) for optimizers on a formula surface: each at its suggested settings,
    with the learning rate of ``lrs`` where it names one."""
    from .compute import cache_key, run_cached
    from .state import default_run

    surface = landscape(CUSTOM, params(text, bounds))
    runs = [default_run(surface, name) for name in names]
    for run in runs:
        if lrs and run.optimizer in lrs:
            run.hyper["lr"] = float(lrs[run.optimizer])
    params_json = cache_key(params(text, bounds))
    outcomes = [run_cached(CUSTOM, params_json, tuple(float(v) for v in start), int(steps), run.optimizer, cache_key(run.run_kwargs()))
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
