"""The charts a page draws with ``st.plotly_chart``: one call with the app's config.

Every chart's camera (in the modebar) saves a PNG for slides, at twice its size and named after
what it shows (``ui.live_chart.image_config``). A page's main chart, in presentation mode, is drawn
by ``ui.live_chart`` instead (``fit_screen``), as tall as the screen leaves room for below it:
``st.plotly_chart`` can only be as tall as its figure says, which ran off a 1280 x 720 projector,
and the live chart draws an animation's player as HTML that presentation mode enlarges.
"""
from __future__ import annotations

import streamlit as st

from .live_chart import image_config, live_chart


def plotly_chart(figure, *, key: str, filename: str, fit_screen: bool = False, config: dict | None = None,
                 height: int | None = None, **options):
    """``st.plotly_chart(figure, key=key, config=...)`` with the camera's PNG named ``filename``; with
    ``fit_screen`` (a main chart in presentation mode; not with ``on_select``, which only
    ``st.plotly_chart`` has) a live chart at most ``height`` tall (default: the figure's height) that
    fits the screen."""
    if fit_screen and "on_select" not in options:
        layout = (figure.to_dict() if hasattr(figure, "to_dict") else dict(figure)).get("layout", {})
        live_chart(figure, key=key, height=int(height or layout.get("height") or 450), config=config,
                   filename=filename, fit_screen=True)
        return None
    return st.plotly_chart(figure, key=key, config=image_config(filename, config), **options)


__all__ = ["plotly_chart"]
