"""plotly.js for the live charts: served from ``static/`` and loaded by a page's first line.

Light on purpose (Streamlit and plotly's version only): a page calls ``preload_plotly()`` before
importing the engine, so a browser seeing the app for the first time fetches and compiles
plotly.js while the server is still importing.
"""
from __future__ import annotations

import functools
import pathlib
import shutil

import plotly
import streamlit as st
from plotly.offline import get_plotlyjs_version

_PROJECT = pathlib.Path(__file__).resolve().parent.parent
_STATIC = _PROJECT / "static"
_PLOTLY_FILE = f"plotly-{get_plotlyjs_version()}.min.js"


@functools.lru_cache(maxsize=1)
def plotly_url() -> str | None:
    """The URL path of the served plotly.js, or None when it cannot be served."""
    if not st.get_option("server.enableStaticServing"):
        return None
    target = _STATIC / _PLOTLY_FILE
    try:
        if not target.exists():
            _STATIC.mkdir(exist_ok=True)
            partial = target.with_suffix(".partial")
            shutil.copyfile(pathlib.Path(plotly.__file__).parent / "package_data" / "plotly.min.js", partial)
            partial.replace(target)  # atomic: a browser never receives half a file
    except OSError:
        return None
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return "/" + "/".join(part for part in (base, "app", "static", _PLOTLY_FILE) if part)


# Started by the first line of every page, before its imports: plotly.js (4.6 MB) then downloads and
# compiles while the server imports and computes, instead of after the chart's component has
# mounted (2 s after the page's last message on a first view) or after the page's imports (a fresh
# server's first Compare: plotly.js defined 1.7 s after its download ended, 2.0 s after the map was
# sent; headless Chromium on two cores, server and browser on one machine).
# The promise is the one live_chart.js waits on. Only /* */ comments: st.html joins lines.
_PRELOAD_JS = """<script>
(() => {
  if (window.Plotly || window.__landscapePlotlyPromise) return;
  window.__landscapePlotlyPromise = new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = "__SRC__";
    script.async = true;
    script.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("plotly.js did not start")));
    script.onerror = () => { window.__landscapePlotlyPromise = undefined; reject(new Error("could not load plotly.js")); };
    document.head.appendChild(script);
  });
  window.__landscapePlotlyPromise.catch(() => {});  /* a chart's own load reports the failure */
})();
</script>"""


def preload_plotly() -> None:
    """Start loading the live charts' plotly.js now (see _PRELOAD_JS); nothing when it is not served."""
    src = plotly_url()
    if src is not None:
        st.html(_PRELOAD_JS.replace("__SRC__", src), unsafe_allow_javascript=True)
