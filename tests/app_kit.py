"""Reading charts out of an AppTest run, whichever way a page draws them."""
import json


def chart_specs(at) -> list[dict]:
    """The figure of every chart on the page, in page order.

    A chart is either an ``st.plotly_chart`` or a ``ui.live_chart`` (a components-v2 element
    whose data is a JSON document, as bytes, that holds the figure).
    """
    specs = []
    for node in at.main:  # depth first: the order the page draws them
        kind = getattr(node, "type", None)
        if kind == "plotly_chart":
            specs.append(json.loads(node.proto.spec))
        elif kind == "bidi_component" and node.proto.component_name == "landscape_live_chart":
            specs.append(json.loads(node.proto.bytes)["figure"])
    return specs


def chart_spec(at, key_end: str) -> dict:
    """The figure of the chart whose element id ends with ``key_end`` (its key)."""
    for node in at.main:
        kind = getattr(node, "type", None)
        if kind in ("plotly_chart", "bidi_component") and node.proto.id.endswith(key_end):
            return json.loads(node.proto.spec) if kind == "plotly_chart" else json.loads(node.proto.bytes)["figure"]
    raise AssertionError(f"no chart {key_end}")
