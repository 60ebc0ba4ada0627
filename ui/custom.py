"""A formula typed in the app: read from the URL, validated, compiled once per (formula, bounds).

Pages and ``compute`` resolve a landscape through ``landscape(name, params)``: the catalogue's
surfaces by name, a formula surface (Compare's ``land=custom``, or a ``custom-…`` name) from
its params ``{"formula": text, "bounds": [[x0, x1], [y0, y1]]}``. Formula surfaces are kept in
a small LRU, so one server process compiles a bounded number of them per minute of use.
"""
from __future__ import annotations

import math
import os
import re

import cachetools.func
import landscapes
from landscapes import FormulaError, formula

from . import heavy
from . import query as query_text
from .scheduler import OverLimit

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


# The app leaves a formula's kernels to the formula worker (optimizers.formula_worker), a child
# process recycled after some formulas, so their machine code never stays in the server; here a
# formula is plain NumPy functions. LANDSCAPE_FORMULAS_IN_PROCESS=1 compiles them in the server.
JITTED = bool(os.environ.get("LANDSCAPE_FORMULAS_IN_PROCESS"))


@cachetools.func.ttl_cache(maxsize=CACHE_SIZE, ttl=heavy.RESULT_SECONDS)
def _build(text: str, bounds: tuple):
    return landscapes.from_formula(text, bounds=bounds, jitted=JITTED)


heavy.on_clear(_build.cache_clear)
heavy.on_clear(formula.forget_derived)


def build(text: str, bounds) -> tuple:
    """(landscape, None) for a formula it accepts, (None, FormulaError or ValueError) otherwise.

    A formula new to this server counts against the asking session's share (``heavy.NEW_FORMULAS``):
    one student cannot keep the server deriving formulas for everyone else."""
    new = isinstance(text, str) and not formula.is_known(text)
    owner = heavy.owner() if new else None
    try:
        if new:
            heavy.NEW_FORMULAS.check(owner)
        surface = _build(text, tuple(tuple(float(v) for v in axis) for axis in bounds))
    except OverLimit as limit:
        return None, FormulaError(1, str(limit))
    except ValueError as error:  # FormulaError is a ValueError; so are invalid bounds
        return None, error
    if new:
        heavy.NEW_FORMULAS.record(owner)
    return surface, None


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
    return formula.check_bounds(((x0, x1), (y0, y1)))


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


def formula_input(container, key: str, bounds_key: str, default_text: str, default_bounds, bounds_container=None):
    """A formula box with its bounds and its error inline; returns (text, bounds, surface, error).

    The bounds' boxes go under the formula, or in ``bounds_container`` (a strip too narrow for four boxes)."""
    import streamlit as st

    ss = st.session_state
    ss.setdefault(key, default_text)
    text = container.text_input("f(x, y) =", key=key, max_chars=MAX_FORMULA_LENGTH,
                                help="Use x, y, numbers, + - * / ^ ( ), pi, e and sin cos tan exp log sqrt abs tanh "
                                     "sigmoid softplus relu min max (and asin acos atan sinh cosh).", persist_state="session")
    for axis, name in enumerate("xy"):
        for end, label in enumerate(("min", "max")):
            ss.setdefault(f"{bounds_key}.{name}{label}", float(default_bounds[axis][end]))
    columns = (container if bounds_container is None else bounds_container).columns(4)
    values = [columns[2 * axis + end].number_input(f"{name} {label}", key=f"{bounds_key}.{name}{label}", format="%.4g",
                                                   min_value=-formula.MAX_BOUND, max_value=formula.MAX_BOUND,
                                                   persist_state="session")
              for axis, name in enumerate("xy") for end, label in enumerate(("min", "max"))]
    bounds = ((values[0], values[1]), (values[2], values[3]))
    surface, error = build(text, bounds)
    if error is not None:
        what = "this formula" if isinstance(error, FormulaError) else "these bounds"
        container.error(markdown_safe(f"Cannot use {what}: {error}"), icon="✏️")
        if isinstance(error, FormulaError):
            container.code(caret_line(text, error), language=None)
    return text, bounds, surface, error
