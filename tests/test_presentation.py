"""In front of a class: the demo's controls on the page in presentation mode, readable numbers, the 3-D
view's player and valley floor, and a PNG camera on every chart."""
import base64
import json
import pathlib

import landscapes
import numpy as np
import optimizers
import optimizers.anatomy
import pytest
from streamlit.testing.v1 import AppTest
from ui import live_chart, strip

from app_kit import chart_spec, run_page
from viz import figures
from viz.numbers import readable
from viz.surface_image import evaluate

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMEOUT = 300  # a cold Numba compile of a page's kernels takes far longer than AppTest's 3 s
WIDGET_KINDS = ("selectbox", "select_slider", "slider", "number_input", "checkbox", "toggle", "radio", "multiselect")


def _page(path: str, query: dict | None = None) -> AppTest:
    return run_page(path, query, TIMEOUT)


def _widget(at: AppTest, key: str):
    for kind in WIDGET_KINDS:
        try:
            return getattr(at, kind)(key=key)
        except KeyError:
            continue
    raise AssertionError(f"no widget keyed {key}")


def _keys(tree) -> set:
    return {node.key for node in tree if getattr(node, "key", None)}


def _query(at: AppTest) -> dict:
    return {key: at.query_params[key] for key in at.query_params}


# ----- numbers as a person reads them ----------------------------------------------------------------
@pytest.mark.parametrize("value, shown", [
    (0.02999999999, "0.03"), (0.03, "0.03"), (35483871.0, "3.54839 × 10⁷"), (99999999.0, "1 × 10⁸"),
    (-155.0, "-155"), (162.8649747, "162.865"), (0.0005916891953, "0.000591689"), (1e-9, "1 × 10⁻⁹"),
    (-1.5e-12, "-1.5 × 10⁻¹²"), (99999.99999, "1 × 10⁵"), (12.5, "12.5"), (1.0, "1"), (0.0, "0"),
    (float("nan"), "—"), (float("inf"), "∞"), (float("-inf"), "-∞"), (None, "—"),
], ids=str)
def test_a_number_reads_with_six_significant_digits_and_powers_of_ten_when_tiny_or_huge(value, shown):
    assert readable(value) == shown


def test_no_readable_number_is_wider_than_the_anatomy_tables_column_holds():
    values = np.concatenate([10.0 ** np.arange(-320, 308, 0.37), -(10.0 ** np.arange(-300, 300, 1.3)),
                             np.random.default_rng(0).normal(0, 1e3, 500)])
    assert max(len(readable(v)) for v in values) <= len("-3.54839 × 10⁻³⁰⁰")
    assert all("e" not in readable(v) for v in values)  # never the computer's 1e-05


def _shown(table) -> list[dict]:
    """The strings a table shows (its styler's display values), row by row."""
    import pyarrow as pa

    return pa.ipc.open_stream(table.proto.arrow_data.styler.display_values).read_all().to_pandas().to_dict("records")


def test_the_anatomy_tables_show_readable_numbers_and_keep_the_kernels_floats():
    at = _page("pages/4_Anatomy.py", {"land": "rosenbrock", "opt": "adam", "h.lr": "0.03", "steps": "60", "t": "20"})
    assert not at.exception
    vectors, scalars = at.dataframe[0], at.dataframe[1]
    replayed = optimizers.anatomy.replay("adam", "rosenbrock", steps=60, lr=0.03)
    held = {r["quantity"]: r for r in vectors.value.to_dict("records")}
    assert held["θ (point after the step)"]["x"] == replayed.path[20, 0]  # the kernel's float, for a copied cell
    shown = {r["quantity"]: r for r in _shown(vectors)} | {r["quantity"]: r for r in _shown(scalars)}
    assert shown["η (learning rate this step)"]["value"] == "0.03"
    assert shown["θ (point after the step)"]["x"] == readable(replayed.path[20, 0])
    for row in shown.values():
        for column in ("x", "y", "value"):
            if isinstance(row.get(column), str):
                assert len(row[column]) <= 16 and "e" not in row[column], row


def test_the_anatomy_table_styles_every_number_with_readable():
    from ui import anatomy
    table = anatomy.number_table([{"quantity": "a", "x": 0.02999999999, "y": 35483871.0}], ("x", "y"))
    html = table.to_html()
    assert "0.03" in html and "3.54839 × 10⁷" in html and "0.02999999999" not in html
    assert anatomy.number_table([], ("value",)).empty


# ----- presentation mode: the demo's controls on the page ---------------------------------------------
PAGES_WITH_A_STRIP = {
    # page: (link, the controls it mirrors, one change per case: (sidebar key, new value))
    "pages/4_Anatomy.py": ({"land": "quadratic", "opt": "momentum", "h.lr": "0.02", "steps": "20"},
                           {"an.land", "an.opt", "an.quadratic.momentum.lr", "an.quadratic.momentum.momentum",
                            "an.clip_on", "an.noise"},
                           [("an.quadratic.momentum.lr", 0.05), ("an.opt", "adam"), ("an.clip_on", True)]),
    "pages/5_Sweep.py": ({"res": "16", "steps": "100", "cmp": "sgd"},
                         {"sw.land", "sw.opt", "sw.x.momentum", "sw.y.momentum", "sw.metric", "sw.steps"},
                         [("sw.metric", "steps"), ("sw.steps", 120)]),
    "pages/6_Basins.py": ({"res": "32", "steps": "100"},
                          {"bs.land", "bs.opts", "bs.lr.himmelblau.sgd", "bs.lr.himmelblau.momentum", "bs.lr.himmelblau.adam"},
                          [("bs.lr.himmelblau.sgd", 0.002), ("bs.opts", ["sgd", "adam"])]),
    "pages/8_Data_landscape.py": ({"problem": "linear", "batch": "10", "steps": "200"},
                                  {"data.problem", "data.batch", "data.sampling", "data.opt", "data.linear.sgd.lr"},
                                  [("data.batch", 25), ("data.sampling", "canonical"), ("data.linear.sgd.lr", 0.05)]),
    "pages/10_Network.py": ({"steps": "100", "opts": "sgd,adam"},
                            {"net.set", "net.runs", "net.lr.sgd", "net.lr.adam", "net.bn", "net.act"},
                            [("net.lr.adam", 0.02), ("net.bn", True), ("net.set", "xor")]),
}


@pytest.mark.parametrize("page", PAGES_WITH_A_STRIP, ids=lambda p: p.split("_", 1)[1][:-3])
def test_presentation_mode_mirrors_the_demos_sidebar_controls_on_the_page(page):
    query, mirrored, _ = PAGES_WITH_A_STRIP[page]
    at = _page(page, {**query, "pres": "1"})
    assert not at.exception, at.exception
    on_page = _keys(at.main)
    assert {strip.PREFIX + key for key in mirrored} <= on_page, sorted(on_page)
    for key in mirrored:  # each copy shows its sidebar control's value
        assert _widget(at, strip.PREFIX + key).value == _widget(at, key).value, key
    assert not [key for key in _keys(at.sidebar) if key.startswith(strip.PREFIX)]


@pytest.mark.parametrize("page", PAGES_WITH_A_STRIP, ids=lambda p: p.split("_", 1)[1][:-3])
def test_without_presentation_mode_no_control_is_mirrored(page):
    query, _, _ = PAGES_WITH_A_STRIP[page]
    at = _page(page, query)
    assert not at.exception
    assert not [key for key in _keys(at.main) if key.startswith(strip.PREFIX)]


@pytest.mark.parametrize("page, key, value", [(page, key, value) for page, (_, _, changes) in PAGES_WITH_A_STRIP.items()
                                              for key, value in changes],
                         ids=lambda v: v.split("_", 1)[1][:-3] if isinstance(v, str) and v.startswith("pages/") else str(v))
def test_a_mirrored_control_changes_the_page_as_its_sidebar_control_does(page, key, value):
    query = {**PAGES_WITH_A_STRIP[page][0], "pres": "1"}
    through_sidebar = _page(page, query)
    _widget(through_sidebar, key).set_value(value).run()
    through_strip = _page(page, query)
    _widget(through_strip, strip.PREFIX + key).set_value(value).run()
    assert not through_sidebar.exception and not through_strip.exception
    assert _query(through_strip) == _query(through_sidebar)  # every setting of a page is in its link
    assert _widget(through_strip, key).value == value  # the hidden sidebar control took the new value
    assert _widget(through_strip, strip.PREFIX + key).value == value


@pytest.mark.parametrize("page, controls", [("pages/2_Lessons.py", {"lesson"}), ("pages/3_Gallery.py", {"gal.cat", "gal.map", "gal.3d"})])
def test_the_pages_without_sidebar_controls_keep_theirs_on_the_page_in_presentation_mode(page, controls):
    at = _page(page, {"pres": "1"})
    assert not at.exception
    assert controls <= _keys(at.main)
    assert not [key for key in _keys(at.main) if key.startswith(strip.PREFIX)]


def test_a_mirrored_control_runs_its_sidebar_controls_own_callback():
    def script():
        import streamlit as st
        from ui import strip

        st.session_state.setdefault("calls", 0)

        def count():
            st.session_state["calls"] += 1

        sidebar = strip.MirroredSidebar({"speed": "Speed", "size.*": lambda label: label.upper(),
                                         "mode": {"label": "Mode", "horizontal": True}})
        sidebar.select_slider("speed of the race", options=[1, 2, 4], key="speed", on_change=count)
        left, _ = sidebar.columns(2)
        left.slider("size", 1, 9, key="size.a")
        with sidebar.expander("more"):
            pass
        sidebar.radio("mode", ["a", "b"], key="mode")
        sidebar.checkbox("not mirrored", key="other")
        st.session_state["mirrored"] = sidebar.mirrored_keys
        sidebar.draw(columns=2)

    at = AppTest.from_function(script).run()
    assert not at.exception
    assert at.session_state["mirrored"] == ["speed", "size.a", "mode"]
    assert at.select_slider(key="strip.speed").label == "Speed" and at.slider(key="strip.size.a").label == "SIZE"
    assert at.radio(key="strip.mode").label == "Mode"
    at.select_slider(key="strip.speed").set_value(4).run()
    assert at.select_slider(key="speed").value == 4 and at.session_state["calls"] == 1
    at.slider(key="strip.size.a").set_value(7).run()
    assert at.slider(key="size.a").value == 7 and at.slider(key="strip.size.a").value == 7
    at.slider(key="size.a").set_value(3).run()  # the sidebar moved: the copy follows on the next run
    assert at.slider(key="strip.size.a").value == 3


def test_a_pass_through_sidebar_records_nothing():
    sidebar = strip.sidebar({"a": None}, presentation=False)
    assert sidebar.mirrored_keys == []


# ----- text at projector size ----------------------------------------------------------------------------
def test_enlarged_text_scales_every_size_and_leaves_the_shared_font_alone():
    before = dict(figures.FONT)
    figure = {"layout": {"font": figures.FONT, "annotations": [{"text": "panel", "font": {"size": 16}}],
                         "xaxis": {"title": {"text": "lr"}}, "xaxis2": {}, "legend": {}},
              "data": [{"type": "heatmap", "colorbar": {"title": {"font": {"size": 10}}}}], "frames": [{"name": "f0"}]}
    big = figures.enlarge_text(figure, 1.5)
    assert figures.FONT == before and figure["layout"]["annotations"][0]["font"]["size"] == 16
    assert big["layout"]["font"]["size"] == round(15 * 1.5) and big["layout"]["annotations"][0]["font"]["size"] == 24
    # where Streamlit's theme would put its own 12 px, the figure's size is set and scaled
    assert big["layout"]["xaxis2"]["tickfont"]["size"] == round(15 * 1.5)
    assert big["layout"]["xaxis"]["title"]["font"]["size"] == round(15 * 1.5)
    assert big["layout"]["legend"]["font"]["size"] == round(15 * 1.5)
    assert big["data"][0]["colorbar"]["title"]["font"]["size"] == 15 and big["frames"] == figure["frames"]


def test_the_race_curves_panel_titles_grow_on_a_projector():
    surface = landscapes.get("rosenbrock")
    tracks = figures.tracks_from_results([optimizers.run("adam", surface, steps=20)])
    small = figures.curves_figure(tracks, 0.0).to_dict()["layout"]["annotations"]
    large = figures.curves_figure(tracks, 0.0, presentation=True).to_dict()["layout"]["annotations"]
    assert all(b["font"]["size"] > a["font"]["size"] for a, b in zip(small, large))


def test_the_network_boundaries_keep_their_projector_titles_while_they_play():
    """Each frame names its step and losses in the panel titles; on a projector those titles must stay at the
    enlarged size as the animation plays (frames built with the builder's 16 px shrank them back)."""
    at = _page("pages/10_Network.py", {"steps": "60", "n": "200", "opts": "sgd,adam", "pres": "1"})
    assert not at.exception, at.exception
    boundary = chart_spec(at, "net_boundary")
    sizes = {a["font"]["size"] for a in boundary["layout"]["annotations"]}
    assert len(sizes) == 1 and sizes.pop() > 16
    for frame in boundary["frames"]:
        assert [a["font"] for a in frame["layout"]["annotations"]] == [a["font"] for a in boundary["layout"]["annotations"]]
        assert [a["text"].split("<br>")[0] for a in frame["layout"]["annotations"]] == ["Gradient descent (SGD)", "Adam"]


# ----- the 3-D view ----------------------------------------------------------------------------------
def _three_d(name: str = "rosenbrock", steps: int = 300, presentation: bool = False):
    surface = landscapes.get(name)
    results = [optimizers.run(o, surface, start=(-1.5, 2.0) if name == "rosenbrock" else None, steps=steps, lr=lr)
               for o, lr in (("adam", 0.03), ("momentum", 0.001))]
    return surface, figures.surface3d_figure(surface, evaluate(surface, 70), figures.tracks_from_results(results, ["a", "b"]),
                                             presentation)


def test_the_3d_view_plays_like_the_map_with_the_live_charts_player():
    _, figure = _three_d()
    spec = figure.to_dict()
    assert spec["data"][0]["type"] == "surface" and spec["frames"]
    layout = dict(spec["layout"])
    player = live_chart._lift_player(layout)
    assert player is not None, "the live chart would not draw play, pause and the frame slider"
    assert player["play"]["frame"]["redraw"] is True  # plotly.js animates a 3-D scene only by redrawing it
    last = spec["frames"][-1]
    assert all(spec["data"][index]["type"] == "scatter3d" for index in last["traces"])
    # the last frame's heads are where the runs end, on the surface's scale
    heads = [trace for trace in last["data"] if isinstance(trace["x"], list)]
    assert len(heads) == 2 and all(len(head["z"]) == 1 for head in heads)
    json.dumps(spec)


def test_rosenbrocks_valley_floor_is_smooth_in_3d():
    """The lowest height of every column and row of the mesh (where the valley crosses it) changes
    smoothly; at the grid's own points, on a log scale, it jumped by up to four decades (saw-teeth)."""
    surface = landscapes.get("rosenbrock")
    grid = evaluate(surface, 70)
    xs, ys, heights, _ = figures.surface_heights(surface, grid)
    assert len(xs) > len(grid.xs)  # a finer mesh than the grid given
    inside = xs ** 2 <= ys[-1]
    for floor in (heights.min(axis=0)[inside], heights.min(axis=1)):
        assert np.abs(np.diff(floor, 2)).max() < 0.1
    at_the_points = np.log10(grid.z - grid.z_low + 1e-6 * (grid.z_high - grid.z_low))
    assert np.abs(np.diff(at_the_points.min(axis=1), 2)).max() > 1.0  # what the test would have caught


def _floats(typed: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(typed["bdata"]), np.float32)


def test_the_3d_runs_lie_on_or_above_the_surface():
    surface, figure = _three_d()
    spec = figure.to_dict()
    xs, ys = _floats(spec["data"][0]["x"]), _floats(spec["data"][0]["y"])
    z = _floats(spec["data"][0]["z"]).reshape(len(ys), len(xs))
    tx, ty, tz = (_floats(spec["data"][1][axis]) for axis in "xyz")
    i, j = np.searchsorted(xs, tx).clip(0, len(xs) - 1), np.searchsorted(ys, ty).clip(0, len(ys) - 1)
    assert (tz >= z[j, i] - 0.05).mean() > 0.95


def test_the_3d_scene_keeps_its_labels_inside_the_figure_and_apart():
    surface, figure = _three_d("quadratic")
    scene = figure.to_dict()["layout"]["scene"]
    assert 0 < scene["domain"]["x"][0] and scene["domain"]["x"][1] < 1 and scene["domain"]["y"][0] > 0
    assert scene["xaxis"]["nticks"] <= 5 and scene["yaxis"]["nticks"] <= 5
    assert scene["zaxis"].get("exponentformat") == "power"
    (x0, x1), (y0, y1) = surface.bounds
    assert scene["aspectratio"]["y"] == pytest.approx((y1 - y0) / (x1 - x0))


# ----- PNG for slides ------------------------------------------------------------------------------------
def test_a_file_name_is_a_slug_of_what_the_chart_shows():
    assert live_chart.file_name("Rosenbrock", "map_overlay") == "rosenbrock-map-overlay"
    assert live_chart.file_name(None, "anatomy", "adam", "step", 3) == "anatomy-adam-step-3"
    assert live_chart.file_name("x**2 + 10*y**2") == "x-2-10-y-2" and live_chart.file_name("") == "chart"
    config = live_chart.image_config("Sweep map", {"scrollZoom": True})
    assert config["toImageButtonOptions"] == {"format": "png", "scale": 2, "filename": "sweep-map"}
    assert config["scrollZoom"] and config["displaylogo"] is False


def _chart_configs(at: AppTest) -> list[dict]:
    configs = []
    for node in at.main:
        kind = getattr(node, "type", None)
        if kind == "plotly_chart":
            configs.append(json.loads(node.proto.config))
        elif kind == "bidi_component" and node.proto.component_name == "landscape_live_chart":
            configs.append(json.loads(node.proto.bytes)["config"])
    return configs


@pytest.mark.parametrize("page, query", [
    ("pages/1_Compare.py", {}), ("pages/1_Compare.py", {"view": "surface"}),
    ("pages/2_Lessons.py", {"lesson": "cliffs", "reveal": "1"}), ("pages/3_Gallery.py", {"cat": "saddle"}),
    ("pages/4_Anatomy.py", {}), ("pages/4_Anatomy.py", {"pres": "1"}), ("pages/5_Sweep.py", {"res": "16", "steps": "100"}),
    ("pages/6_Basins.py", {"res": "32", "steps": "100"}), ("pages/8_Data_landscape.py", {}),
    ("pages/8_Data_landscape.py", {"pres": "1"}),
], ids=lambda v: v.split("_", 1)[1][:-3] if isinstance(v, str) else "&".join(f"{k}={x}" for k, x in v.items()))
def test_every_chart_saves_a_png_at_twice_its_size_named_after_what_it_shows(page, query):
    at = _page(page, query)
    assert not at.exception
    configs = _chart_configs(at)
    assert configs
    names = []
    for config in configs:
        options = config.get("toImageButtonOptions")
        assert options and options["format"] == "png" and options["scale"] == 2, config
        assert options["filename"] and options["filename"] != "newplot"
        assert config.get("displayModeBar", True) is not False  # the camera is in the modebar
        names.append(options["filename"])
    assert len(set(names)) == len(names), names


def test_anatomy_names_the_torch_call_with_the_run_s_own_learning_rate():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(pathlib.Path(__file__).resolve().parent.parent / "app.py"), default_timeout=300)
    at.switch_page("pages/4_Anatomy.py")
    at.query_params.update({"land": "rosenbrock", "opt": "adam", "h.lr": "0.03"})
    at.run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "torch.optim.Adam(params, lr=0.03" in captions, captions[-400:]
