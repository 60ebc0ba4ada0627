"""Every page rendered headless with Streamlit's AppTest: no exception, and controls take effect."""
import pathlib
from dataclasses import replace

import numpy as np
import pytest
from app_kit import run_page, chart_specs
from streamlit.testing.v1 import AppTest
from ui import shell

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMEOUT = 300  # a cold Numba compile of a page's kernels takes far longer than AppTest's 3 s


def _page(path: str, query: dict | None = None) -> AppTest:
    """Run a page as the server does: app.py is the entry point, the page is switched to."""
    return run_page(path, query, TIMEOUT)


def _compare(query: dict | None = None) -> AppTest:
    return _page("pages/1_Compare.py", query)


def _map_spec(at: AppTest) -> dict:
    charts = chart_specs(at)
    assert charts, "no chart rendered"
    return charts[0]


def _trail(spec: dict, label_start: str):
    for trace in spec["data"]:
        if str(trace.get("name", "")).startswith(label_start):
            return trace
    raise AssertionError(f"no trace named {label_start!r}: {[t.get('name') for t in spec['data']]}")


def test_the_landing_page_renders_and_links_every_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not at.exception
    links = [e.proto.label for e in at.get("page_link") if e.proto.label.startswith("**")]
    assert any("Compare" in label for label in links)
    assert all(len(label.split(": ", 1)) == 2 and len(label.split(": ", 1)[1]) > 20 for label in links), links
    assert any("Teaching a class" in i.body for i in at.info)


def test_the_compare_page_renders_a_race_with_no_exception():
    at = _compare()
    assert not at.exception
    spec = _map_spec(at)
    assert spec["frames"], "the figure has no animation frames"
    assert spec["layout"]["images"], "the landscape image is missing"
    assert len(chart_specs(at)) >= 2  # the map and the curves
    assert at.dataframe  # the summary table


def test_moving_the_learning_rate_slider_changes_the_trajectory():
    at = _compare({"land": "quadratic", "runs": "sgd", "r0.lr": "0.01"})
    before = _trail(_map_spec(at), "Gradient descent")
    slider = next(s for s in at.select_slider if s.label == "learning rate")
    slider.set_value(0.05).run()
    assert not at.exception
    after = _trail(_map_spec(at), "Gradient descent")
    assert after["x"] != before["x"]
    assert at.query_params["r0.lr"] in ("0.05", ["0.05"])


def test_changing_the_landscape_parameter_changes_the_picture():
    at = _compare({"land": "quadratic", "runs": "sgd"})
    image_before = _map_spec(at)["layout"]["images"][0]["source"]
    slider = next(s for s in at.select_slider if s.label.startswith("condition"))
    slider.set_value(100.0).run()
    assert not at.exception
    assert _map_spec(at)["layout"]["images"][0]["source"] != image_before


def test_a_shared_link_reproduces_its_settings():
    at = _compare({"land": "himmelblau", "x0": "1", "y0": "-1", "steps": "120", "runs": "adam,momentum",
                   "r0.lr": "0.05", "r0.betas": "0.8,0.99", "r1.momentum": "0.95", "r1.lr": "0.002"})
    assert not at.exception
    assert not at.warning
    assert at.selectbox(key="land").value == "himmelblau"
    assert at.number_input(key="x0.himmelblau").value == 1.0
    assert at.slider(key="steps").value == 120
    assert at.selectbox(key="r0.opt").value == "adam"
    assert at.select_slider(key="r0.himmelblau.adam.lr").value == 0.05
    assert at.select_slider(key="r0.himmelblau.adam.betas[0]").value == 0.8
    assert at.select_slider(key="r1.himmelblau.momentum.momentum").value == 0.95


@pytest.mark.parametrize("query", [
    {"land": "<script>alert(1)</script>"},
    {"steps": "1e308", "x0": "nan", "y0": "inf"},
    {"runs": ",".join(["sgd"] * 50)},
    {"runs": "__import__('os').system('touch /tmp/pwned')"},
    {"runs": "adam", "r0.lr": "-1", "r0.betas": "2,3", "r0.eps": "0"},
    {"runs": "nesterov", "r0.momentum": "0"},
    {"runs": "sgd", "r0.sched": "exec", "r0.clip": "1e308", "r0.noise": "NaN", "r0.seed": "-5"},
    {"land": "quadratic", "lp.condition": "1e9"},
    {f"k{i}": "1" for i in range(300)},
    {"land": "x" * 5000},
], ids=["script-name", "absurd-numbers", "too-many-runs", "code-as-name", "bad-hyperparameters",
        "nesterov-without-momentum", "bad-run-options", "param-out-of-range", "thousands-of-keys", "huge-value"])
def test_a_hostile_link_falls_back_to_defaults_with_a_warning(query):
    at = _compare(query)
    assert not at.exception
    assert at.warning, "a bad link must say what it ignored"
    assert not pathlib.Path("/tmp/pwned").exists()
    assert chart_specs(at), "the page still shows a race"


def test_the_work_of_one_request_is_bounded():
    at = _compare({"steps": "999999", "runs": ",".join(["adam"] * 6)})
    assert not at.exception
    assert at.slider(key="steps").value <= 2000
    assert at.number_input(key="nruns").value <= 6


@pytest.mark.parametrize("view", ["panels", "surface"])
def test_every_view_renders(view):
    at = _compare({"land": "himmelblau", "view": view})
    assert not at.exception
    assert chart_specs(at)


@pytest.mark.parametrize("path", [page[0] for page in shell.PAGES[1:]],
                         ids=lambda path: path.split("/")[-1][:-3])
def test_every_page_keeps_presentation_mode_in_its_link(path):
    at = _page(path, {"pres": "1"})
    assert not at.exception, at.exception
    assert at.query_params.get("pres") in ("1", ["1"]), dict(at.query_params)


def test_the_compare_charts_keep_fixed_margins_so_plotly_draws_each_once():
    # Margins pushed by the legend, slider and tick labels made plotly.js draw every chart twice.
    at = _compare({"land": "himmelblau", "runs": "adam,momentum,sgd,rmsprop,nesterov,adagrad"})
    specs = chart_specs(at)
    assert len(specs) == 3  # the map, the curves and the stability chart
    for spec in specs:
        assert spec["layout"]["margin"]["autoexpand"] is False


def test_the_map_reserves_a_row_of_legend_for_every_row_the_labels_fill():
    from viz.figures import legend_rows

    assert legend_rows(["known minima", "start", "Adam · lr 0.1"], 15, 1000) == 1
    six = ["known minima", "start"] + [f"SGD with momentum · lr 0.00{i}" for i in range(6)]
    assert legend_rows(six, 15, 1000) == 3
    assert legend_rows(six, 20, 1000) > legend_rows(six, 15, 1000)
    # a learning rate's digits never re-flow the legend (the map would shift and redraw in full)
    three = ["known minima", "start", "Gradient descent · lr {}", "Adam · lr 0.03", "SGD with momentum · lr 0.001"]
    assert len({legend_rows([n.format(lr) for n in three], 15, 1000) for lr in ("1", "0.001", "0.0015", "1.5e-05")}) == 1
    one = _map_spec(_compare({"land": "himmelblau", "runs": "adam"}))["layout"]["margin"]["t"]
    many = _map_spec(_compare({"land": "himmelblau", "runs": "adam,momentum,sgd,rmsprop,nesterov,adagrad"}))
    assert many["layout"]["margin"]["t"] > one


def test_the_server_skips_the_full_garbage_collection_after_every_rerun():
    # It held the GIL for about 400 ms per slider move while the chart waited to be sent.
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
    assert config["server"]["fileWatcherType"] == "none"


def test_a_link_names_only_known_things_and_says_what_it_left_out():
    from ui import query

    warnings = []
    assert query.known({"land": "x" * 500}, "land", ["rosenbrock", "cliff"], "rosenbrock", warnings,
                       kind="landscape", instead="showing Rosenbrock") == "rosenbrock"
    assert warnings == [f"Unknown landscape '{'x' * 40}': showing Rosenbrock instead."]
    assert query.known({"land": "cliff"}, "land", ["rosenbrock", "cliff"], "rosenbrock", warnings,
                       kind="landscape", instead="") == "cliff"
    assert len(warnings) == 1
    warnings = []
    names = query.known_names("adam, sgd,adam,,__import__('os'),momentum,rmsprop", ["adam", "sgd", "momentum", "rmsprop"],
                              3, warnings, kind="optimizer", too_many="at most 3")
    assert names == ["adam", "sgd", "momentum"]
    assert warnings == ["Unknown optimizer '__import__('os')' left out.", "at most 3"]


def test_the_compare_map_keeps_its_identity_when_a_slider_moves():
    # st.plotly_chart names a chart after its figure, so each change mounted a new chart that
    # plotly.js rebuilt from nothing; a live chart is named by its key and updated in place.
    at = _compare({"land": "quadratic", "runs": "sgd", "r0.lr": "0.01"})
    ids = [node.proto.id for node in at.main if getattr(node, "type", None) == "bidi_component"]
    before = chart_specs(at)[0]
    next(s for s in at.select_slider if s.label == "learning rate").set_value(0.05).run()
    assert not at.exception
    assert [node.proto.id for node in at.main if getattr(node, "type", None) == "bidi_component"] == ids
    assert chart_specs(at)[0] != before
    assert len(ids) == 3  # the map, the curves and the stability chart


@pytest.mark.parametrize("click", [None, "1,2", [1, 2], {"x": "1", "y": 2}, {"x": float("nan"), "y": 0},
                                   {"x": 1e308, "y": 0}, {"x": True, "y": 0}, {"x": 9, "y": 0}, {"y": 1}],
                         ids=["none", "text", "list", "text-x", "nan", "huge", "bool", "off-map", "no-x"])
def test_a_malformed_click_from_the_browser_is_ignored(click):
    from ui.live_chart import tidy_point

    assert tidy_point(click, ((-5, 5), (-5, 5))) is None


def test_a_click_is_rounded_to_a_tidy_start_point():
    from ui.live_chart import tidy_point

    assert tidy_point({"x": -2.4987, "y": 2.5013}, ((-5, 5), (-5, 5))) == (-2.5, 2.5)
    assert tidy_point({"x": 0.123456, "y": -0.5}, ((-1, 1), (-1, 1))) == (0.123, -0.5)


def test_a_cached_subplot_layout_equals_plotly_s_and_is_a_fresh_copy_each_time():
    from plotly.subplots import make_subplots
    from viz.figures import subplot_layout

    options = dict(rows=1, cols=3, column_widths=(0.3, 0.3, 0.4), subplot_titles=("a", "b", "c"))
    first = subplot_layout(**options)
    expected = make_subplots(rows=1, cols=3, column_widths=[0.3, 0.3, 0.4], subplot_titles=("a", "b", "c"))
    assert first == expected.to_dict()["layout"]
    first["xaxis"]["type"] = "log"  # a builder edits its copy...
    assert "type" not in subplot_layout(**options)["xaxis"]  # ...and the next caller gets a clean one


def _shown_in_the_sidebar(at: AppTest) -> dict:
    """The settings the sidebar's controls show, as the link names them."""
    sidebar = at.sidebar
    land = at.selectbox(key="land").value
    runs = [at.selectbox(key=f"r{i}.opt").value for i in range(int(at.number_input(key="nruns").value))]
    lrs = {}
    for i in range(len(runs)):
        lrs[f"r{i}.lr"] = next(s.value for s in sidebar.select_slider if s.key.startswith(f"r{i}.") and s.key.endswith(".lr"))
    start = [n.value for n in sidebar.number_input if n.key.startswith(("x0.", "y0."))]
    return {"land": land, "steps": at.slider(key="steps").value, "runs": runs, "start": start, **lrs}


def _in_the_link(at: AppTest, shown: dict) -> dict:
    def value(key):
        found = at.query_params[key]
        return found[-1] if isinstance(found, list) else found

    return {"land": value("land"), "steps": int(value("steps")), "runs": value("runs").split(","),
            "start": [float(value("x0")), float(value("y0"))], **{key: float(value(key)) for key in shown if key.endswith(".lr")}}


def test_after_every_kind_of_move_the_sidebar_shows_what_the_map_was_drawn_with():
    # The page reads the controls' values, sends the map, and draws the controls last
    # (ui/chart_first.py): the sidebar, the link and the map's legend must agree after any move.
    at = _compare({"land": "himmelblau", "runs": "adam,momentum,sgd", "r2.clip": "1", "r1.noise": "0.5",
                   "r0.sched": "step"})
    assert not at.exception
    moves = [
        lambda: next(s for s in at.select_slider if s.label == "learning rate").set_value(0.02),
        lambda: at.slider(key="steps").set_value(150),
        lambda: at.number_input(key="x0.himmelblau").set_value(1.5),
        lambda: at.selectbox(key="r1.opt").set_value("rmsprop"),
        lambda: at.checkbox(key="r0.clip_on").check(),
        lambda: at.number_input(key="nruns").set_value(4),
        lambda: at.selectbox(key="land").set_value("rosenbrock"),
        lambda: next(s for s in at.select_slider if s.label.startswith("b ")).set_value(10.0),
        lambda: at.selectbox(key="land").set_value("custom"),
        lambda: at.text_input(key="cmp.formula").set_value("x^2 + 3*y^2"),
    ]
    for number, move in enumerate(moves):
        before = _map_spec(at)
        move().run()
        assert not at.exception, at.exception
        assert _map_spec(at) != before, f"move {number} did not change the map"
        shown = _shown_in_the_sidebar(at)
        assert _in_the_link(at, shown) == shown, f"move {number}: the sidebar and the link disagree"
        legend = [t["name"] for t in _map_spec(at)["data"] if t.get("mode") == "lines" and t.get("name")]
        assert [name.split(" · lr ")[1].split(" ")[0] for name in legend] == [f"{shown[f'r{i}.lr']:g}" for i in range(len(legend))], \
            f"move {number}: the map's legend is not what the sidebar shows"
        assert len(legend) == len(shown["runs"])
    assert at.query_params["land"] in ("custom", ["custom"])


def test_compare_shows_each_selected_optimizer_s_update_rule_with_torch_s_convention():
    import optimizers

    at = _compare({"land": "himmelblau", "runs": "adam,nesterov,lbfgs,adam"})
    assert not at.exception
    texts = [m.value for m in at.markdown]
    captions = [c.value for c in at.caption]
    for name in ("adam", "nesterov", "lbfgs"):
        spec = optimizers.get(name)
        shown = next(t for t in texts if t.startswith(f"**{spec.title}**"))
        for line in spec.formula.split("\n"):  # ",\quad" splits a line in two on this narrow panel
            for part in line.split(r",\quad"):
                assert f"$$\n{part.strip()}\n$$" in shown, (name, part)
        assert any(spec.convention in c and spec.torch.split("(")[0] in c for c in captions), name
    assert sum(t.startswith(f"**{optimizers.get('adam').title}**") for t in texts) == 1, "one rule per optimizer"


def test_the_torch_call_under_each_rule_carries_the_runs_own_settings():
    import optimizers

    at = _compare({"land": "himmelblau", "runs": "adam,adam,lbfgs", "r0.lr": "0.03", "r1.lr": "0.2",
                   "r1.betas": "0.8,0.99", "r2.line_search": "0"})
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "`torch.optim.Adam(params, lr=0.03, betas=(0.9, 0.999), eps=1e-8)`" in captions
    assert "`torch.optim.Adam(params, lr=0.2, betas=(0.8, 0.99), eps=1e-8)`" in captions
    assert "line_search_fn=None" in captions
    spec = optimizers.get("momentum")
    annealed = spec.torch_call(spec.resolve({"lr": 0.05, "momentum_warmup": 100}))
    assert annealed.startswith("torch.optim.SGD(params, lr=0.05, momentum=0.9)") and "momentum_warmup=100" in annealed


def _race_figure(steps=200):
    import landscapes
    import numpy as np
    from ui import compute
    from viz import figures

    surface = landscapes.get("himmelblau")
    path = np.column_stack([np.linspace(0, 3, steps + 1), np.linspace(0, 2, steps + 1)])
    track = figures.Track("Adam · lr 0.1", "adam", "#0072B2", "solid", path, np.ones(steps + 1), np.ones(steps + 1),
                          np.full(steps + 1, 0.1), None)
    grid = compute.surface_grid(surface.name, compute.cache_key(dict(surface.param_values)), 40)
    return figures.trajectory_figure(surface, grid, [track], (0.0, 0.0))


def test_the_live_chart_draws_the_animation_controls_itself_and_the_export_keeps_plotly_s():
    from ui.live_chart import _lift_player

    figure = _race_figure().to_dict()
    layout = dict(figure["layout"])
    player = _lift_player(layout)
    assert "sliders" not in layout and "updatemenus" not in layout  # plotly.js no longer redraws them
    assert "sliders" in figure["layout"]  # the figure itself (exported, or the fallback chart) keeps them
    frame_names = [frame["name"] for frame in figure["frames"]]
    assert [step["args"][0][-1] for step in player["steps"]] == frame_names  # one step a frame, in order
    assert all(set(step["args"][0]) <= set(frame_names) for step in player["steps"])
    assert player["steps"][0]["label"] == "0" and player["steps"][-1]["label"] == "200"
    assert player["active"] == len(frame_names) - 1  # the finished race is shown first
    assert player["prefix"] == "step " and "play" in player["play_label"] and "pause" in player["pause_label"]
    assert player["play"]["frame"]["redraw"] is False and player["play"]["frame"]["duration"] > 0
    assert 0 < player["below"] < 0.5


def test_a_figure_without_an_animation_keeps_its_layout():
    from ui.live_chart import _lift_player

    layout = {"title": {"text": "curves"}, "updatemenus": [{"buttons": [{"label": "log", "method": "relayout",
                                                                           "args": [{"yaxis.type": "log"}]}]}]}
    assert _lift_player(layout) is None
    assert "updatemenus" in layout
    sliders = {"sliders": [{"steps": [{"method": "restyle", "args": [{"visible": True}]}]}],
               "updatemenus": [{"buttons": [{"label": "a", "args": [None, {}]}, {"label": "b", "args": [[None], {}]}]}]}
    assert _lift_player(sliders) is None and "sliders" in sliders


def test_the_summary_times_each_run_not_its_kernel_compiling(monkeypatch):
    """The first call of a kernel on a server compiles or loads it (tens of ms against a run's µs)."""
    import optimizers
    from ui import compute

    calls = []
    real_run = optimizers.run

    def first_call_slow(*args, **kwargs):
        result = real_run(*args, **kwargs)
        calls.append(result)
        return replace(result, elapsed=0.25 if len(calls) == 1 else 1e-5 * len(calls))

    monkeypatch.setattr(optimizers, "run", first_call_slow)
    compute.exact_run_cached.clear()
    result, seconds = compute.run_cached("booth", "{}", (1.5, -1.5), 37, "adam", compute.cache_key({"lr": 0.02}))
    compute.exact_run_cached.clear()
    assert len(calls) == 1 + 3 and seconds == pytest.approx(2e-5), "not the best of the warm calls"
    assert np.array_equal(result.path, calls[0].path) and len(result.path) == 38


def test_the_compare_summary_has_a_row_a_run_with_warm_kernel_times():
    at = _compare({"land": "himmelblau", "runs": "sgd,adam,lbfgs", "steps": "200"})
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["run"].str.split(" ·").str[0]) == ["Gradient descent", "Adam", "L-BFGS"]
    # 200 steps take microseconds; a compile or a cache load would show as 30,000 and more
    assert (table["kernel time (µs)"] > 0).all() and (table["kernel time (µs)"] < 5_000).all(), table
    assert (table["final loss"] >= 0).all() and table["distance to nearest minimum"].notna().all()
    words = " ".join(map(str, table["first step near a minimum"])) + " " + " ".join(map(str, table["diverged at step"]))
    assert "None" not in words and "nan" not in words  # "never" and "—" where a run never got there


def test_presentation_mode_keeps_a_strip_of_the_demos_controls_that_drive_the_race():
    at = _compare({"land": "rosenbrock", "runs": "adam,momentum", "r0.lr": "0.03", "pres": "1"})
    assert not at.exception
    strip = {s.key: s for s in at.select_slider if s.key and s.key.startswith("strip.")}
    assert {"strip.r0.rosenbrock.adam.lr", "strip.r1.rosenbrock.momentum.lr", "strip.r1.rosenbrock.momentum.momentum"} <= set(strip)
    assert strip["strip.r0.rosenbrock.adam.lr"].value == 0.03
    strip["strip.r0.rosenbrock.adam.lr"].set_value(0.1).run()
    assert not at.exception
    assert at.query_params["r0.lr"] in ("0.1", ["0.1"])  # the sidebar's control took the strip's value
    assert any(name.startswith("Adam · lr 0.1") for name in (t.get("name", "") for t in _map_spec(at)["data"]))
    at.selectbox(key="strip.land").set_value("himmelblau").run()
    assert not at.exception and at.query_params["land"] in ("himmelblau", ["himmelblau"])
    at.selectbox(key="strip.r1.opt").set_value("nesterov").run()
    assert not at.exception and at.query_params["runs"] in ("adam,nesterov", ["adam,nesterov"])


def test_without_presentation_mode_there_is_no_strip():
    at = _compare({"land": "rosenbrock", "runs": "adam"})
    assert not [s for s in at.select_slider if s.key and s.key.startswith("strip.")]


def test_reset_to_defaults_brings_compare_back_to_its_first_view_and_keeps_presentation_mode():
    at = _compare({"land": "himmelblau", "runs": "adam", "r0.lr": "0.2", "pres": "1"})
    assert at.query_params["land"] in ("himmelblau", ["himmelblau"])
    at.button(key="reset_to_defaults").click().run()
    assert not at.exception
    assert at.query_params["land"] in ("rosenbrock", ["rosenbrock"]) and at.query_params["pres"] in ("1", ["1"])
    assert at.query_params.get("r0.lr") not in ("0.2", ["0.2"])


@pytest.mark.parametrize("page", ["pages/2_Lessons.py", "pages/3_Gallery.py", "pages/4_Anatomy.py", "pages/5_Sweep.py",
                                  "pages/6_Basins.py", "pages/7_Your_landscape.py", "pages/8_Data_landscape.py",
                                  "pages/10_Network.py"])
def test_every_page_has_a_reset_to_defaults_that_reopens_it_cleanly(page):
    at = _page(page, {})
    assert not at.exception
    at.button(key="reset_to_defaults").click().run()
    assert not at.exception and not at.warning


def test_compare_says_why_a_run_diverged_and_draws_each_run_against_its_stability_limit():
    at = _compare({"land": "quadratic", "lp.condition": "10", "x0": "-9", "y0": "3", "steps": "100",
                   "runs": "sgd,sgd,momentum,adam", "r0.lr": "0.19", "r1.lr": "0.21", "r2.lr": "0.4", "r3.lr": "0.1"})
    assert not at.exception
    rows = at.dataframe[0].value.to_dict("records")
    assert rows[0]["why"] == "—"
    assert rows[1]["why"].startswith("step 1: η·λmax = 2.1 > 2 (over the stability limit); left the plot at step ")
    assert rows[2]["why"].startswith("step 1: η·λmax = 4 > 2(1 + μ) = 3.8 (over the stability limit)")
    stability = next(spec for spec in chart_specs(at) if "stability limit" in spec["layout"].get("title", {}).get("text", ""))
    limits = [trace for trace in stability["data"] if "stability limit" in trace["hovertemplate"]]
    assert len(limits) == 4, "a dashed limit line for every run"
    assert [trace["hovertemplate"].split(": stability limit ")[1].split(" =")[0] for trace in limits] == \
        ["2", "2", "2(1 + μ)", "2(1 + β₁)/(1 − β₁)"]
    heads = [trace for trace in _map_spec(at)["data"] if "diverged<br>step 1" in trace.get("hovertemplate", "")]
    assert len(heads) == 2, "the diverged runs' markers on the map say why"


def test_compare_draws_the_points_a_rule_looks_at_beside_its_run():
    at = _compare({"land": "himmelblau", "runs": "sf_sgd,sam,adam", "steps": "120"})
    assert not at.exception
    names = [trace.get("name") for trace in _map_spec(at)["data"] if trace.get("name")]
    sf, sam = names[2], names[5]
    assert names[3:5] == [f"{sf}: y (gradient taken here)", f"{sf}: z (base sequence)"]
    assert names[6] == f"{sam}: ascent point θ + ρg/‖g‖"
    assert not any(name.startswith(names[7] + ":") for name in names), "Adam looks only where it stands"
    legend = [trace["name"] for trace in _map_spec(at)["data"] if trace.get("showlegend")]
    assert not any(": " in name for name in legend), "companions are named in the caption, not the legend"
    caption = " ".join(c.value for c in at.caption)
    assert f"{sf}: y (gradient taken here) dotted, z (base sequence) dashed" in caption
    assert f"{sam}: ascent point θ + ρg/‖g‖ dotted" in caption


def test_the_eigen_directions_follow_each_run_frame_by_frame_on_demand():
    at = _compare({"land": "rotated_quadratic", "runs": "sgd,adam", "steps": "60"})
    assert not at.exception
    plain = _map_spec(at)
    at.toggle(key="eig").set_value(True).run()
    assert not at.exception
    spec = _map_spec(at)
    crosses = [t for t in spec["data"] if "eigen-directions of H" in t.get("hovertemplate", "")]
    assert len(crosses) == 2 and len(spec["data"]) == len(plain["data"]) + 2
    index = spec["data"].index(crosses[0])
    import landscapes
    surface = landscapes.get("rotated_quadratic")
    for frame in spec["frames"][::10]:
        cross = frame["data"][frame["traces"].index(index)]
        step = int(frame["name"][1:])
        centre = np.array([cross["x"][0] + cross["x"][1], cross["y"][0] + cross["y"][1]]) / 2
        arm = np.array([cross["x"][1] - cross["x"][0], cross["y"][1] - cross["y"][0]])
        values, vectors = np.linalg.eigh(np.array(surface.hessian(*centre), dtype=float).reshape(2, 2))
        assert abs(abs(arm @ vectors[:, 1]) - np.linalg.norm(arm)) < 1e-9 * np.linalg.norm(arm), "the long arm is the steep eigenvector"
        assert step >= 0


def test_a_link_s_learning_rate_off_the_slider_s_grid_is_kept_exactly():
    at = _compare({"land": "quadratic", "runs": "sgd,momentum", "r0.lr": "0.19", "r1.lr": "0.0137"})
    assert not at.exception
    rows = at.dataframe[0].value.to_dict("records")
    assert rows[0]["run"].endswith("lr 0.19") and rows[1]["run"].endswith("lr 0.0137")
    assert 0.19 in at.select_slider(key="r0.quadratic.sgd.lr").options or \
        "0.19" in at.select_slider(key="r0.quadratic.sgd.lr").options


@pytest.mark.parametrize("query, warning", [
    ({"runs": "rprop", "r0.etas": "2,1"}, "Invalid etas: (2.0, 1.0); expected 0 < η₋ < 1 < η₊"),
    ({"runs": "sophia", "r0.hessian_interval": "0"}, "ignored hessian_interval = '0'; allowed: [1, 100000]"),
    ({"runs": "lion", "r0.betas": "1.5,0.9"}, "ignored betas = '1.5,0.9'; allowed: [0, 1) for each"),
    ({"runs": "sf_sgd", "r0.momentum": "1"}, "ignored momentum = '1'; allowed: (0, 1)"),
], ids=["rprop-etas", "sophia-interval", "lion-betas", "sf-momentum"])
def test_a_bad_value_for_a_new_rule_in_a_link_is_named_and_the_race_still_runs(query, warning):
    at = _compare(query)
    assert not at.exception
    assert any(warning in w.value for w in at.warning)
    assert chart_specs(at), "the race is drawn with the rule's defaults"
