"""A page's chart on screen before the rest of the page: the two mechanisms measured on Compare.

The browser handles a rerun's messages in the order they are sent, and what comes right after a
chart holds its drawing back. Both mechanisms were measured with benchmarks/ab_latency.py (a slider
press to the repainted map, presses alternating between two checkouts served at once).

``DrawnLater``: controls read now and drawn after the chart. Compare's ~40 sidebar controls, sent
before its map, held it back after every slider move (two paired runs: 63 and 96 ms of a move's
~470). The chart needs the controls' values, not the controls: a keyed widget created without a
value argument shows the value its key holds in ``st.session_state``, and Streamlit puts a moved
control's new value there before the rerun starts. So a ``DrawnLater`` takes the calls a page makes
on a container, answers each with its key's session value, and makes the same calls, in order,
when the page calls ``draw_into(st.sidebar)`` after its chart. One pass: nothing is drawn twice.
What makes the answer and the drawn control agree: every control has a key whose value is in the
session before the call (``ui.controls`` puts a default there; other controls use
``st.session_state.setdefault``), and no value argument. A call that breaks the rule raises
``NotInSession`` instead of drawing something the chart was not computed from.

``head_start()``: a pause right after the chart, so the browser draws it alone before the ~70
elements that follow arrive (sent together, they are applied in one pass first: the map's own
script ran ~100 ms after its message arrived). The rest of the page comes that much later, and a
press during the pause waits for it to end. Paired, 15 presses each: 0.08 s: 35-44 ms sooner on
screen, 0.15 s: 65 ms, 0.25 s: 92 ms; with DrawnLater, dropping the 0.15 s pause cost 71, 146 and
185 ms in three paired runs on the loaded 2-core machine.

Why not ``st.fragment``: it reruns a part of the page when a widget inside that part changes, and
runs that part's lines in order, so a fragment holding the controls and the chart would still send
the controls first. Rerunning only a chart fragment from the sidebar's callbacks would leave the
sidebar unsent, but the map's clicks and the presentation strip write the sidebar's keys, and a
sidebar control that is not redrawn sends its old value back on the next full rerun.
"""
from __future__ import annotations

import functools
import os
import time

import streamlit as st

# A choice widget's session value must be one of its options (its second positional argument or ``options=``).
_CHOICES = ("selectbox", "select_slider", "radio")


class NotInSession(LookupError):
    """A control was added before its key held a valid value in the session."""


class DrawnLater:
    """A container whose controls return their session values now and are drawn by ``draw_into``.

    Widgets: selectbox, select_slider, slider, number_input, checkbox, toggle, radio, multiselect,
    text_input. Elements (drawn later, returning None): subheader, caption, code, error, warning.
    Layout: ``columns`` returns one ``DrawnLater`` a column, ``expander`` one for its body (use it as an
    object, not in a ``with``: calls made on ``st`` inside a ``with`` would be drawn at once, before the chart).
    """

    def __init__(self) -> None:
        self._calls: list[tuple[str, tuple, dict, list[DrawnLater]]] = []
        self.drawn = False

    def _add_widget(self, name: str, *args, **kwargs):
        key = kwargs.get("key")
        if key is None or key not in st.session_state:
            raise NotInSession(f"{name} {key!r}: put its value in st.session_state before adding it, so the "
                               "control drawn later shows the value the page reads now")
        value = st.session_state[key]
        if name in _CHOICES or name == "multiselect":
            options = list(kwargs["options"] if "options" in kwargs else args[1])
            chosen = value if name == "multiselect" else [value]
            if not isinstance(chosen, (list, tuple)) or any(item not in options for item in chosen):
                raise NotInSession(f"{name} {key!r}: the session holds {value!r}, which is not one of its options")
        self._calls.append((name, args, kwargs, []))
        return value

    def _add_element(self, name: str, *args, **kwargs) -> None:
        self._calls.append((name, args, kwargs, []))

    selectbox = functools.partialmethod(_add_widget, "selectbox")
    select_slider = functools.partialmethod(_add_widget, "select_slider")
    slider = functools.partialmethod(_add_widget, "slider")
    number_input = functools.partialmethod(_add_widget, "number_input")
    checkbox = functools.partialmethod(_add_widget, "checkbox")
    toggle = functools.partialmethod(_add_widget, "toggle")
    radio = functools.partialmethod(_add_widget, "radio")
    multiselect = functools.partialmethod(_add_widget, "multiselect")
    text_input = functools.partialmethod(_add_widget, "text_input")

    subheader = functools.partialmethod(_add_element, "subheader")
    caption = functools.partialmethod(_add_element, "caption")
    code = functools.partialmethod(_add_element, "code")
    error = functools.partialmethod(_add_element, "error")
    warning = functools.partialmethod(_add_element, "warning")

    def columns(self, spec, **kwargs) -> list[DrawnLater]:
        count = spec if isinstance(spec, int) else len(spec)
        children = [DrawnLater() for _ in range(count)]
        self._calls.append(("columns", (spec,), kwargs, children))
        return children

    def expander(self, label: str, **kwargs) -> DrawnLater:
        body = DrawnLater()
        self._calls.append(("expander", (label,), kwargs, [body]))
        return body

    def draw_into(self, container) -> None:
        """Make every call, in the order it was added, on ``container`` (e.g. ``st.sidebar``); once: a page
        that drew them early (before it waited for a computation, ``ui.heavy.compute``'s ``on_wait``) draws
        nothing at its end."""
        if self.drawn:
            return
        self.drawn = True
        for name, args, kwargs, children in self._calls:
            made = getattr(container, name)(*args, **kwargs)
            for child, part in zip(children, made if name == "columns" else [made]):
                child.draw_into(part)


HEAD_START_S = 0.15  # see the module's docstring for the measured values
# A page's chart entering the screen (a new tab, or a sidebar link to another page) waits for its
# component and plotly.js to start, then is drawn from nothing: about 0.5 s after its message in
# Chromium with the app's scripts cached, more beside a 3-D view that the software renderer
# draws. Compare's map on a warm server, cached page, 4 loads each (benchmarks/bench_first_view.py
# probe): 1.14-1.51 s with 0.15 s, 1.05-1.15 s with 0.8 s. A rerun of the same page only updates
# the mounted chart (Plotly.react), so it keeps the short pause.
ENTRY_HEAD_START_S = 0.8
_PAGE_KEY, _ENTERED_KEY = "chart_first.page", "chart_first.entered"


def entering(page: str) -> None:
    """Note which page this run draws (``ui.shell`` calls it at the top of every page)."""
    ss = st.session_state
    ss[_ENTERED_KEY] = ss.get(_PAGE_KEY) != page
    ss[_PAGE_KEY] = page


def head_start() -> None:
    """Hold the rest of the page back: call it right after sending a page's main chart.

    ``ENTRY_HEAD_START_S`` when the run enters the page (its charts are mounted from nothing),
    ``HEAD_START_S`` on a rerun of the page. The ``LANDSCAPE_HEAD_START`` environment variable
    scales both (0 in the tests: a pause changes when the browser draws, never what).
    """
    entered = st.session_state.get(_ENTERED_KEY, True)
    st.session_state[_ENTERED_KEY] = False  # one long pause per entry, after its first chart
    scale = _scale()
    if scale > 0:
        time.sleep((ENTRY_HEAD_START_S if entered else HEAD_START_S) * scale)


def _scale() -> float:
    try:
        return min(max(float(os.environ.get("LANDSCAPE_HEAD_START", "1")), 0.0), 4.0)
    except ValueError:
        return 1.0
