"""A Plotly chart that stays mounted across reruns and is updated in place.

Why not ``st.plotly_chart`` for the charts a slider redraws: Streamlit names a chart element
after a hash of its figure, so every slider move mounted a brand-new chart. plotly.js then
built it from nothing (``Plotly.newPlot``: about 120 ms for the Compare map, and it ran the
frame slider's layout again), and a zoomed-in map jumped back to the full view. This
component (Streamlit components v2) is named by its key, so it stays mounted, and its script
hands each new figure to ``Plotly.react``, which keeps the zoom and redraws what changed.

plotly.js itself (the copy bundled with the plotly package, so figures and library match) is
served by Streamlit's static file serving from ``static/`` (``ui.plotly_js``), copied there on first use. Where
that is not possible (static serving off, a read-only install) the page falls back to
``st.plotly_chart``.
"""
from __future__ import annotations

import math
import pathlib
import re

import plotly.io as pio
import streamlit as st

from viz.figures import LIVE_TEMPLATE

from .plotly_js import plotly_url

_CSS = """
.live-chart { width: 100%; }
.live-player { position: absolute; display: flex; align-items: center; gap: 0.6em; font-family: inherit; }
.live-player button { font: inherit; padding: 0.25em 0.8em; border: 1px solid #bec8d9; border-radius: 4px;
  background: #f4f6fa; color: #2a3f5f; cursor: pointer; white-space: nowrap; }
.live-player button:hover { background: #e2e8f0; }
.live-player-range { flex: 1; min-width: 6em; accent-color: #0072B2; cursor: pointer; }
.live-player-step { min-width: 6.5em; text-align: right; color: #333; font-variant-numeric: tabular-nums; }
.live-player-speed { font: inherit; padding: 0.15em 0.3em; border: 1px solid #bec8d9; border-radius: 4px; background: #f4f6fa;
  color: #2a3f5f; cursor: pointer; }
"""

_COMPONENT = st.components.v2.component(
    "landscape_live_chart",
    js=(pathlib.Path(__file__).with_suffix(".js")).read_text(encoding="utf-8"),
    css=_CSS,
    # plotly.js puts its own stylesheet (modebar, hover labels) in the page's head, which a
    # shadow root would keep out.
    isolate_styles=False,
)


def _tidy(value: float, span: float) -> float:
    """A clicked coordinate rounded to about a 500th of the axis span: (-2.5, 2.5), not (-2.4987, 2.5013)."""
    step = 10.0 ** math.floor(math.log10(span / 500.0)) if span > 0 else 0.0
    return round(round(value / step) * step, 12) if step else value


def _finite_xy(click) -> tuple[float, float] | None:
    """``(x, y)`` from a click payload, or None unless both are finite numbers.

    The payload comes from the browser, so anything else (text, NaN, a missing key) is
    ignored rather than trusted.
    """
    if not isinstance(click, dict):
        return None
    x, y = click.get("x"), click.get("y")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (x, y)):
        return None
    return float(x), float(y)


def tidy_point(click, bounds) -> tuple[float, float] | None:
    """A click payload as a rounded point within ``bounds``, or None (see ``_finite_xy``)."""
    point = _finite_xy(click)
    (xa, xb), (ya, yb) = bounds
    if point is None or not (xa <= point[0] <= xb and ya <= point[1] <= yb):
        return None
    x, y = _tidy(point[0], xb - xa), _tidy(point[1], yb - ya)
    return min(max(x, xa), xb), min(max(y, ya), yb)  # rounding may step just outside the map


def _last_click(key: str):
    result = st.session_state.get(key)
    return result.get("click") if hasattr(result, "get") else None


def clicked_xy(key: str) -> tuple[float, float] | None:
    """The data coordinates of the last click on chart ``key`` (the value itself on a log axis)."""
    return _finite_xy(_last_click(key))


def clicked_panel(key: str, panels: int) -> int:
    """Which panel of a subplot grid (0 the first, in axis order) the last click on chart ``key`` fell
    in; 0 when the payload names none or one beyond ``panels`` (it comes from the browser)."""
    click = _last_click(key)
    panel = click.get("panel") if isinstance(click, dict) else None
    valid = isinstance(panel, int) and not isinstance(panel, bool) and 0 <= panel < panels
    return panel if valid else 0


def clicked_point(key: str, bounds) -> tuple[float, float] | None:
    """The point of the last click on chart ``key``, rounded and within ``bounds`` (see ``tidy_point``)."""
    return tidy_point(_last_click(key), bounds)


# The modebar's camera saves the chart for slides: a PNG at twice the drawn size (sharp on a projector
# and in a printed handout), named after what it shows rather than plotly's "newplot.png".
PNG_SCALE = 2


def file_name(*parts) -> str:
    """A file name from a chart's description: ``file_name("Rosenbrock", "race")`` -> ``"rosenbrock-race"``."""
    words = re.findall(r"[a-z0-9.]+", "-".join(str(part) for part in parts if part not in (None, "")).lower())
    return "-".join(word.strip(".") for word in words if word.strip(".")) or "chart"


def image_config(filename: str, config: dict | None = None) -> dict:
    """A chart's plotly config with the app's defaults: no plotly logo, and a camera that saves a PNG."""
    return {"displaylogo": False, **(config or {}),
            "toImageButtonOptions": {"format": "png", "scale": PNG_SCALE, "filename": file_name(filename)}}


def live_chart(figure, *, key: str, height: int, config: dict | None = None, on_click=None,
               after_paint: bool = False, autoplay: str | None = None, fit_screen: bool = False,
               filename: str | None = None) -> None:
    """Draw ``figure`` under ``key``; on a rerun, update the chart already in the page.

    ``height`` is used when the figure's layout sets none. ``on_click`` (optional) is called
    after a click in the plot area; it reads the point with ``clicked_point(key, bounds)``
    (not in the ``st.plotly_chart`` fallback, which has no click). ``after_paint`` draws this chart only after the
    browser has painted the rest: Compare's curves cost as much to draw as its map (about
    100 ms each), and the map is what a student watches when moving a slider. ``autoplay``: a
    token; the animation plays from its first frame the first time the chart shows that token
    (a lesson's reveal), and not again on later reruns that carry the same one. ``fit_screen``: the
    chart is as tall as the screen leaves room for below it, up to ``height`` (presentation mode).
    ``filename``: what the camera names the saved PNG (default: what the figure's ``uirevision`` names,
    usually the landscape, and the key).
    """
    figure_dict = figure.to_dict() if hasattr(figure, "to_dict") else dict(figure)
    if filename is None:
        revision = figure_dict.get("layout", {}).get("uirevision")
        filename = file_name(revision if isinstance(revision, str) else None, key.replace("_", "-"))
    config = image_config(filename, {"responsive": True, **(config or {})})
    src = plotly_url()
    if src is None:
        st.plotly_chart(figure, key=key, config=config)
        return
    layout = dict(figure_dict.get("layout", {}), template=LIVE_TEMPLATE)
    height = int(layout.get("height") or height)  # a figure that sets its height (subplot rows) wins
    # One JSON document sent as bytes: as a dict or a string, Streamlit would run json.dumps
    # over the whole figure twice more (once to name the element), about 13 ms a chart.
    player = _lift_player(layout)
    payload = pio.to_json({"figure": {"data": figure_dict.get("data", []), "layout": layout,
                                      "frames": figure_dict.get("frames", [])},
                           "config": config, "src": src, "height": height, "clickable": on_click is not None,
                           "after_paint": after_paint, "player": player, "autoplay": autoplay,
                           "fit_screen": fit_screen},
                          validate=False).encode()
    _COMPONENT(key=key, data=payload, height=height, on_click_change=on_click or _ignore)


def _lift_player(layout: dict) -> dict | None:
    """Take an animation's play / pause buttons and frame slider out of ``layout``, for
    live_chart.js to draw as HTML; None (and ``layout`` untouched) for any other figure.

    plotly.js redraws its own slider, a label and a tick a frame, on every Plotly.react (45 of
    the Compare map's 95 ms at 100 frames, measured) and moves it on every animation frame.
    The exported HTML and the ``st.plotly_chart`` fallback keep plotly's own controls.
    """
    sliders, menus = layout.get("sliders") or [], layout.get("updatemenus") or []
    if len(sliders) != 1 or len(menus) != 1:
        return None
    slider, buttons = sliders[0], menus[0].get("buttons") or []
    steps = slider.get("steps") or []
    if (len(buttons) != 2 or not steps
            or any(step.get("method") != "animate" or not step.get("args") or not step["args"][0] for step in steps)):
        return None
    play, pause = buttons
    del layout["sliders"], layout["updatemenus"]
    return {
        "steps": [{"label": str(step.get("label", i)), "args": step["args"]} for i, step in enumerate(steps)],
        "active": int(slider.get("active", len(steps) - 1)),
        "prefix": (slider.get("currentvalue") or {}).get("prefix", ""),
        "play_label": play.get("label", "play"), "play": play["args"][1],
        "pause_label": pause.get("label", "pause"), "pause": pause["args"][1],
        "font_size": (menus[0].get("font") or {}).get("size", 13),
        "below": -float(menus[0].get("y", -0.06)),  # plotly.js placed its buttons this share of the plot height below it
    }


def _ignore() -> None:
    """Clicks on a chart without a click handler: declared, so the component may send them."""


__all__ = ["PNG_SCALE", "clicked_panel", "clicked_point", "clicked_xy", "file_name", "image_config", "live_chart", "tidy_point"]
