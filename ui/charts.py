"""The charts a page draws: one call with the app's config.

Every chart's camera (in the modebar) saves a PNG for slides, at twice its size and named after
what it shows (``ui.live_chart.image_config``). Charts are drawn by ``ui.live_chart``, whose
plotly.js every page starts loading at its top: ``st.plotly_chart``'s own code is a part of
Streamlit's front end that the browser fetches only once the page's last message has arrived, so
in a new tab the Gallery's first card waited for all 17 cards (10 s, against 4 s for Compare's
live charts). A main chart in presentation mode (``fit_screen``) is as tall as the screen leaves
room for below it. Only a chart whose points a student selects (``on_select``) stays an
``st.plotly_chart``.
"""
from __future__ import annotations

import streamlit as st

from .live_chart import image_config, live_chart


def plotly_chart(figure, *, key: str, filename: str, fit_screen: bool = False, config: dict | None = None,
                 height: int | None = None, **options):
    """A live chart of ``figure`` under ``key``, at most ``height`` tall (default: the figure's height), its
    camera's PNG named ``filename``; with ``fit_screen`` (a main chart in presentation mode) it fits the
    screen. With ``on_select`` (which only ``st.plotly_chart`` has) an ``st.plotly_chart``."""
    if "on_select" not in options:
        layout = (figure.to_dict() if hasattr(figure, "to_dict") else dict(figure)).get("layout", {})
        live_chart(figure, key=key, height=int(height or layout.get("height") or 450), config=config,
                   filename=filename, fit_screen=fit_screen)
        return None
    return st.plotly_chart(figure, key=key, config=image_config(filename, config), **options)


__all__ = ["plotly_chart"]
