"""Presentation mode's strip: the sidebar controls a live demo needs, drawn again on the page itself.

On a projector the sidebar is hidden (``ui.shell``), so nothing could be changed without leaving
presentation mode. A page draws its sidebar through a ``MirroredSidebar`` instead of ``st.sidebar``
and names, by their session keys, the few controls a demo needs; ``draw`` then puts a copy of each
named control on the page, in a compact grid. A copy is keyed ``"strip." + the sidebar's key``, starts
from the sidebar control's value on every run, and writes that control's own key in its callback, so
the hidden sidebar stays the one source of the page's state and the two never disagree (Compare's
strip, in ``ui/compare.py``, works the same way).
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Callable

import streamlit as st

PREFIX = "strip."
# The widget functions a sidebar draws its controls with: the calls that can be mirrored.
WIDGETS = frozenset({"selectbox", "select_slider", "slider", "number_input", "checkbox", "toggle", "radio",
                     "multiselect", "segmented_control", "pills", "text_input"})
# A mirrored control takes its value from the session, so the value a sidebar call passes is dropped
# (Streamlit warns when a widget gets both).
_VALUE_ARGUMENTS = ("value", "index", "default")


def mirrored(widget, label: str, source: str, *args, on_change=None, **options):
    """``widget`` (``st.selectbox``, a column's ``select_slider``, ...) showing and setting the sidebar
    control keyed ``source``: it starts from that control's value on every run, and its callback writes
    the control's own key before the rerun (then runs the control's own ``on_change``, if any)."""
    ss = st.session_state
    key = PREFIX + source
    if source in ss:
        value = ss[source]
        ss[key] = list(value) if isinstance(value, list) else value
    callback_args, callback_kwargs = options.pop("args", None) or (), options.pop("kwargs", None) or {}
    for name in _VALUE_ARGUMENTS:
        options.pop(name, None)

    def copy_back():
        ss[source] = ss[key]
        if on_change is not None:
            on_change(*callback_args, **callback_kwargs)

    return widget(label, *args, key=key, on_change=copy_back, **options)


@dataclass
class _Call:
    method: str
    label: str
    args: tuple
    options: dict
    key: str


@dataclass
class _Record:
    """What a page wants mirrored (session-key patterns, each with the strip's label or options) and the
    calls seen so far, in the order the sidebar drew them."""

    wanted: dict
    calls: list = field(default_factory=list)

    def mirror_of(self, key: str, label: str, options: dict):
        """The strip's label and widget options for control ``key``, or None when it is not mirrored."""
        for pattern, short in self.wanted.items():
            if fnmatch.fnmatchcase(key, pattern):
                if isinstance(short, dict):  # options of the strip's own: {"label": ..., "horizontal": True, ...}
                    short = dict(short)
                    return short.pop("label", label), {**options, **short}
                if short is None:
                    return label, options
                return (short(label) if callable(short) else short), options
        return None


class MirroredSidebar:
    """``st.sidebar`` (or a column or expander inside it) for a page's sidebar code, remembering the
    calls of the controls the page wants mirrored. Everything else passes straight through."""

    def __init__(self, wanted: dict[str, str | Callable[[str], str] | dict | None] | tuple, container=None,
                 _record=None):
        """``wanted``: session-key patterns (``fnmatch``: ``"an.*.lr"``) of the controls to mirror, as a
        tuple, or as a dict giving each a shorter label for the strip (a text, or a function of the
        sidebar's label; None keeps it), or a dict of the strip's own widget options (``"label"`` among
        them, e.g. ``{"horizontal": True, "format_func": str}``)."""
        if not isinstance(wanted, dict):
            wanted = dict.fromkeys(wanted)
        self._container = container if container is not None else st.sidebar
        self._record = _record if _record is not None else _Record(dict(wanted))

    def _child(self, container) -> "MirroredSidebar":
        return MirroredSidebar({}, container, self._record)

    def __getattr__(self, name: str):
        attribute = getattr(self._container, name)
        if name not in WIDGETS:
            return attribute

        def widget(label, *args, key=None, **options):
            mirror = self._record.mirror_of(key, label, dict(options)) if key is not None else None
            if mirror is not None:
                self._record.calls.append(_Call(name, mirror[0], args, mirror[1], key))
            return attribute(label, *args, key=key, **options)

        return widget

    def columns(self, spec, **options):
        return [self._child(column) for column in self._container.columns(spec, **options)]

    def expander(self, *args, **options):
        return _ChildContext(self._child(self._container.expander(*args, **options)))

    def container(self, *args, **options):
        return _ChildContext(self._child(self._container.container(*args, **options)))

    @property
    def mirrored_keys(self) -> list[str]:
        """The session keys of the controls recorded so far, in the sidebar's order."""
        return [call.key for call in self._record.calls]

    def draw(self, columns: int | None = None, container=None) -> None:
        """The recorded controls, mirrored on the page (or in ``container``): in a grid ``columns`` wide
        (default: one row of them all)."""
        calls = self._record.calls
        if not calls:
            return
        target = container if container is not None else st
        width = max(1, min(columns or len(calls), len(calls)))
        cells = []
        for row in range(0, len(calls), width):
            cells += list(target.columns(width, gap="small", vertical_alignment="bottom"))[: len(calls) - row]
        for call, cell in zip(calls, cells):
            mirrored(getattr(cell, call.method), call.label, call.key, *call.args, **call.options)


class _ChildContext:
    """An expander or container of a ``MirroredSidebar``: usable in ``with`` and as a container."""

    def __init__(self, child: MirroredSidebar):
        self._child = child

    def __enter__(self):
        self._child._container.__enter__()
        return self._child

    def __exit__(self, *exc):
        return self._child._container.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._child, name)


def sidebar(wanted, presentation: bool, container=None):
    """What a page draws its sidebar with: a ``MirroredSidebar`` recording ``wanted`` in presentation
    mode, a plain pass-through one otherwise (nothing recorded, nothing to draw); ``container``: where
    its calls go (default ``st.sidebar``; a ``ui.chart_first.DrawnLater`` to draw them after the chart)."""
    return MirroredSidebar(wanted if presentation else (), container)


__all__ = ["MirroredSidebar", "PREFIX", "WIDGETS", "mirrored", "sidebar"]
