"""The gallery page's settings in the URL, and its cached per-surface computations.

Query keys: ``cat`` (a category or ``all``), ``map`` (``condition`` or ``smallest``), ``3d``
(0/1), and ``pt.<surface>=x,y`` for a chosen point that is not the surface's start. Values
that are malformed or out of range fall back to their defaults with a warning.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import landscapes
import streamlit as st
from landscapes import analysis

from viz.gallery import MAP_KINDS
from viz.surface_image import evaluate

from . import heavy, query as query_text
from .state import MAX_QUERY_KEYS, MAX_VALUE_LENGTH

CONTOUR_RESOLUTION = 120
SURFACE_RESOLUTION = 40  # a 40x40 mesh reads as a surface on a card and keeps 16 WebGL views light
CURVATURE_RESOLUTION = 80
# Chromium keeps 16 WebGL contexts alive and drops the oldest beyond that; one 3-D view is one
# context, and the software renderer of a headless or GPU-less machine draws each slowly.
MAX_3D_VIEWS = 6


@dataclass
class GalleryState:
    category: str = "all"
    map_kind: str = "condition"
    show_3d: bool = True
    points: dict = field(default_factory=dict)  # surface name -> (x, y), only where it differs from the start

    def point(self, name: str) -> tuple:
        return self.points.get(name, tuple(float(v) for v in landscapes.get(name).start))

    def names(self) -> list[str]:
        if self.category == "all":
            return landscapes.names()
        return landscapes.by_category()[self.category]


def categories() -> list[str]:
    return ["all"] + [c for c, names in landscapes.by_category().items() if names]


def _point(text: str, surface) -> tuple:
    parts = text.split(",")
    if len(parts) != 2:
        raise ValueError(text)
    x, y = (float(p) for p in parts)
    (xa, xb), (ya, yb) = surface.bounds
    if not (math.isfinite(x) and math.isfinite(y) and xa <= x <= xb and ya <= y <= yb):
        raise ValueError(text)
    return x, y


def from_query(query: dict) -> tuple[GalleryState, list[str]]:
    """The state a link describes, and a plain-words warning for each part that was ignored."""
    state, warnings = GalleryState(), []
    q, more = query_text.clean(query, max_keys=MAX_QUERY_KEYS, max_value_length=MAX_VALUE_LENGTH, max_key_length=60)
    warnings += more
    if q is None:
        return state, warnings
    if "cat" in q:
        if q["cat"] in categories():
            state.category = q["cat"]
        else:
            warnings.append(f"Unknown category '{q['cat'][:40]}'; showing every surface. Categories: {', '.join(categories())}.")
    if "map" in q:
        if q["map"] in MAP_KINDS:
            state.map_kind = q["map"]
        else:
            warnings.append(f"Unknown map '{q['map'][:40]}'; showing the condition number. Maps: {', '.join(MAP_KINDS)}.")
    if "3d" in q:
        if q["3d"] in ("0", "1"):
            state.show_3d = q["3d"] == "1"
        else:
            warnings.append(f"Ignored 3d = '{q['3d'][:40]}': expected 0 or 1.")
    for key, value in q.items():
        if not key.startswith("pt."):
            continue
        name = key[3:]
        if name not in landscapes.names():
            warnings.append(f"Ignored a point for unknown surface '{name[:40]}'.")
            continue
        surface = landscapes.get(name)
        try:
            state.points[name] = _point(value, surface)
        except ValueError:
            (xa, xb), (ya, yb) = surface.bounds
            warnings.append(f"Ignored the point '{value[:40]}' for {surface.title}: expected 'x,y' inside the plot, "
                            f"x in [{xa:g}, {xb:g}], y in [{ya:g}, {yb:g}].")
    return state, warnings


def to_query(state: GalleryState) -> dict[str, str]:
    q = {}
    if state.category != "all":
        q["cat"] = state.category
    if state.map_kind != "condition":
        q["map"] = state.map_kind
    if not state.show_3d:
        q["3d"] = "0"
    for name, (x, y) in sorted(state.points.items()):
        if (x, y) != tuple(float(v) for v in landscapes.get(name).start):
            q[f"pt.{name}"] = f"{x:g},{y:g}"
    return q


# ----- cached computations (default parameters of each surface) ---------------------------
@st.cache_resource(max_entries=64, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def contour_grid(name: str):
    return evaluate(landscapes.get(name), CONTOUR_RESOLUTION)


@st.cache_resource(max_entries=64, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def surface_grid(name: str):
    return evaluate(landscapes.get(name), SURFACE_RESOLUTION)


@st.cache_resource(max_entries=64, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def curvature_grid(name: str):
    return analysis.curvature_grid(landscapes.get(name), CURVATURE_RESOLUTION)


def point_rows(curvature: analysis.PointCurvature) -> list[dict]:
    """The curvature at the chosen point as short table rows (the shape in words goes under the table)."""
    (h11, h12), (_, h22) = curvature.hessian
    smaller, larger = curvature.eigenvalues
    return [
        {"quantity": "Hessian row 1", "value": f"{h11:.6g}, {h12:.6g}"},
        {"quantity": "Hessian row 2", "value": f"{h12:.6g}, {h22:.6g}"},
        {"quantity": "λ_min", "value": f"{smaller:.6g}"},
        {"quantity": "λ_max", "value": f"{larger:.6g}"},
        {"quantity": "κ = max|λ| / min|λ|", "value": analysis.format_condition(curvature.condition)},
    ]
