"""Reading charts out of an AppTest run, whichever way a page draws them."""
import json


def _figure(node) -> dict | None:
    """The figure a node draws, or None if it is not a chart.

    A chart is either an ``st.plotly_chart`` or a ``ui.live_chart`` (a components-v2 element
    whose data is a JSON document, as bytes, that holds the figure).
    """
    kind = getattr(node, "type", None)
    if kind == "plotly_chart":
        return json.loads(node.proto.spec)
    if kind == "bidi_component" and node.proto.component_name == "landscape_live_chart":
        return json.loads(node.proto.bytes)["figure"]
    return None


def chart_specs(at) -> list[dict]:
    """The figure of every chart on the page, in page order (``at.main`` is walked depth first)."""
    return [spec for spec in map(_figure, at.main) if spec is not None]


def chart_spec(at, key_end: str) -> dict:
    """The figure of the chart whose element id ends with ``key_end`` (its key)."""
    for node in at.main:
        spec = _figure(node)
        if spec is not None and node.proto.id.endswith(key_end):
            return spec
    raise AssertionError(f"no chart {key_end}")


def run_page(path: str, query: dict | None = None, timeout: float = 300):
    """Run a page as the server does (app.py the entry point, the page switched to), with a link's query."""
    import pathlib

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(pathlib.Path(__file__).resolve().parent.parent / "app.py"), default_timeout=timeout)
    at.switch_page(path)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()
