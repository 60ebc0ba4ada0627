"""The charts a page draws: one call with the app's config.

Every chart's camera (in the modebar) saves a PNG for slides, at twice its size and named after
what it shows (``ui.live_chart.image_config``). Charts are drawn by ``ui.live_chart``, whose
plotly.js every page starts loading at its top, not by ``st.plotly_chart``: its code is a part of
Streamlit's front end that the browser fetches only once the page's last message has arrived, so
in a new tab the Gallery's first card waited for all 17 cards (10 s, against 4 s for Compare's
live charts). A main chart in presentation mode (``fit_screen``) is as tall as the screen leaves
room for below it.
"""
from __future__ import annotations

from .live_chart import live_chart


def plotly_chart(figure, *, key: str, filename: str, fit_screen: bool = False, config: dict | None = None,
                 height: int | None = None, on_click=None) -> None:
    """A live chart of ``figure`` under ``key``, at most ``height`` tall (default: the figure's height), its
    camera's PNG named ``filename``; ``fit_screen``: it fits the screen; ``on_click``: see ``live_chart``."""
    # the figure's own height read from its layout: a whole ``to_dict()`` copied every frame (0.1 s for the network's boundaries)
    own_height = figure.layout.height if hasattr(figure, "layout") else dict(figure).get("layout", {}).get("height")
    live_chart(figure, key=key, height=int(height or own_height or 450), config=config, filename=filename,
               fit_screen=fit_screen, on_click=on_click)


__all__ = ["plotly_chart"]
