"""Sweeps and basin maps: the batch numbers equal single runs, labels are right, both pages behave."""
import pathlib

import landscapes
import numpy as np
import optimizers
import pytest
from app_kit import chart_spec, chart_specs
from streamlit.testing.v1 import AppTest

from ui import basins, sweep
from ui import exploration as ex

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMEOUT = 300  # a cold compile of a batch kernel takes 5-12 s, far more on a loaded machine


# ----- engine level: sampled cells equal single runs ------------------------------------------------
def _assert_cell_equals_run(outcome, index, optimizer, surface, start, steps, settings):
    kwargs = {k: v for k, v in settings.items() if k != ex.CLIP}
    single = optimizers.run(optimizer, surface, start=start, steps=steps, clip_norm=settings.get(ex.CLIP), **kwargs)
    if single.diverged_at is not None:
        assert outcome.diverged_at[index] == single.diverged_at
    else:
        assert outcome.diverged_at[index] == -1
    assert outcome.final_x[index] == single.path[-1, 0]  # bit for bit
    assert outcome.final_y[index] == single.path[-1, 1]
    assert outcome.final_loss[index] == single.loss[-1]


@pytest.mark.parametrize("optimizer, x_key, y_key, fixed", [
    ("momentum", "lr", "momentum", {}),
    ("adam", "lr", "betas[1]", {}),
    ("rmsprop", "lr", "alpha", {}),
    ("sgd", "lr", "clip_norm", {}),
    ("adam", "lr", "betas[0]", {"clip_norm": 0.5}),
], ids=["momentum-lr-x-momentum", "adam-lr-x-beta2", "rmsprop-lr-x-alpha", "sgd-lr-x-clip", "adam-clipped-lr-x-beta1"])
def test_sampled_sweep_cells_equal_single_runs_bit_for_bit(optimizer, x_key, y_key, fixed):
    surface = landscapes.get("rosenbrock")
    specs = ex.axis_specs(optimizer)
    x_axis = ex.Axis(x_key, "x", 1e-4, 0.05, True, 9)
    y_spec = specs[y_key]
    y_axis = ex.Axis(y_key, "y", y_spec.default_low, y_spec.default_high, y_spec.log, 7)
    start, steps = (-1.5, 2.0), 150
    outcome = ex.run_settings(optimizer, surface, start, steps, fixed,
                              {x_key: x_axis.values()[None, :], y_key: y_axis.values()[:, None]}, 1e-4)
    assert outcome.final_x.shape == (7, 9)
    assert not outcome.diverged.all()
    if optimizer == "momentum":
        assert outcome.diverged.any(), "the sample should hold diverged runs too"
    state = sweep.default_state("rosenbrock", optimizer)
    state.x = sweep.AxisChoice(x_key, x_axis.low, x_axis.high, x_axis.log)
    state.y = sweep.AxisChoice(y_key, y_axis.low, y_axis.high, y_axis.log)
    state.resolution = 9
    for j, i in [(0, 0), (3, 4), (6, 8), (6, 0), (2, 7)]:
        if j >= 7:
            continue
        settings = dict(fixed)
        settings.update({x_key: float(x_axis.values()[i])})
        if y_key.endswith("]"):
            pair = list(optimizers.get(optimizer).defaults[y_key[:-3]])
            pair[int(y_key[-2])] = float(y_axis.values()[j])
            settings[y_key[:-3]] = tuple(pair)
        else:
            settings[y_key] = float(y_axis.values()[j])
        _assert_cell_equals_run(outcome, (j, i), optimizer, surface, start, steps, settings)


def test_a_noisy_sweep_equals_noisy_single_runs():
    surface = landscapes.get("himmelblau")
    lrs = np.geomspace(1e-3, 0.05, 5)
    many = optimizers.run_many("adam", surface, starts=(0.0, 0.0), steps=120, lr=lrs, noise=0.5, seed=3, clip_norm=2.0)
    for k, lr in enumerate(lrs):
        single = optimizers.run("adam", surface, start=(0.0, 0.0), steps=120, lr=float(lr), noise=0.5, seed=3, clip_norm=2.0)
        assert many.final_point[k, 0] == single.path[-1, 0]
        assert many.final_point[k, 1] == single.path[-1, 1]


@pytest.mark.parametrize("optimizer", ["momentum", "adam", "sgd"])
def test_sampled_basin_cells_equal_single_runs(optimizer):
    surface = landscapes.get("himmelblau")
    xs, ys, starts = ex.start_grid(surface, 24)
    lr = 0.01
    outcome = ex.run_settings(optimizer, surface, starts, 200, {"lr": lr}, {}, 1e-6)
    for j, i in [(0, 0), (5, 17), (12, 12), (23, 23), (20, 3)]:
        _assert_cell_equals_run(outcome, (j, i), optimizer, surface, (xs[i], ys[j]), 200, {"lr": lr})


def test_a_batch_where_every_run_diverges_stops_early_with_the_same_numbers():
    surface = landscapes.get("quadratic")
    starts = np.stack(np.meshgrid(np.linspace(-1, 1, 16), np.linspace(-1, 1, 16)), -1)
    many = optimizers.run_many("sgd", surface, starts, steps=2000, lr=50.0)
    assert many.diverged.all()
    single = optimizers.run("sgd", surface, start=tuple(starts[3, 5]), steps=2000, lr=50.0)
    assert many.diverged_at[3, 5] == single.diverged_at
    assert many.final_point[3, 5, 0] == single.path[-1, 0]


@pytest.mark.parametrize("name", ["himmelblau", "six_hump_camel", "double_well"])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_start_points_next_to_each_minimum_are_labelled_with_that_minimum(name, optimizer):
    surface = landscapes.get(name)
    assert len(surface.minima) >= 2
    radius = ex.capture_radius(surface)
    offsets = np.array([(1, 0), (0, 1), (-1, 0), (0, -1)]) * radius * 0.3
    starts = np.array([[m.x + dx, m.y + dy] for m in surface.minima for dx, dy in offsets])
    lr = 0.5 * min(0.02, 1.0 / ex_curvature(surface)) if optimizer != "adam" else 1e-3
    outcome = ex.run_settings(optimizer, surface, starts, 400, {"lr": lr}, {}, 1e-6)
    labels = ex.basin_labels(outcome, surface, radius)
    expected = np.repeat(np.arange(len(surface.minima)), len(offsets))
    np.testing.assert_array_equal(labels, expected)


def ex_curvature(surface) -> float:
    return max(float(np.max(np.abs(np.linalg.eigvalsh(surface.hessian(m.x, m.y))))) for m in surface.minima)


def test_basin_labels_mark_diverged_and_not_converged_runs():
    surface = landscapes.get("himmelblau")
    outcome = ex.Outcome(final_x=np.array([3.0, 0.0, 3.0]), final_y=np.array([2.0, 0.0, 2.0]),
                         final_loss=np.zeros(3), diverged_at=np.array([-1, -1, 7]), reached_at=np.array([5, -1, -1]),
                         steps=10, target_loss=1e-6)
    labels = ex.basin_labels(outcome, surface, ex.capture_radius(surface))
    assert labels.tolist() == [0, ex.NOT_CONVERGED_LABEL, ex.DIVERGED_LABEL]


def test_a_run_ending_anywhere_on_the_chains_valley_counts_as_at_a_minimum_of_its_branch():
    surface = landscapes.get("chain")
    # (2.52, 0.397) is where gradient descent from (2.5, 0.2) at lr 0.05 ends; (-0.4, -2.5) the other branch
    outcome = ex.Outcome(final_x=np.array([2.52, -0.4, 0.0]), final_y=np.array([1 / 2.52, -2.5, 0.0]),
                         final_loss=np.zeros(3), diverged_at=np.array([-1, -1, -1]), reached_at=np.array([5, 5, -1]),
                         steps=10, target_loss=1e-6)
    labels = ex.basin_labels(outcome, surface, ex.capture_radius(surface))
    positive = next(k for k, m in enumerate(surface.minima) if m.x > 0)
    assert labels.tolist() == [positive, 1 - positive, ex.NOT_CONVERGED_LABEL]
    values, _ = ex.metric_values(outcome, "distance", surface)
    assert values[0] < 1e-12 and values[1] < 1e-12 and values[2] > 0.5


def test_the_work_cap_cuts_the_resolution_down_and_keeps_it_otherwise():
    assert ex.fit_resolution(128, 1000, ["adam"]) == 128
    assert ex.fit_resolution(256, 2000, ["adam"]) < 256
    cut = ex.fit_resolution(512, 2000, ["sgd", "momentum", "adam", "lbfgs"])
    assert cut * cut * 2000 * (3 + ex.SERIAL_COST) <= ex.MAX_WORK


def test_grid_search_uses_a_few_values_of_each_setting_and_random_search_many():
    x_axis = ex.Axis("lr", "lr", 1e-4, 1e-1, True, 64)
    y_axis = ex.Axis("momentum", "momentum", 0.0, 0.99, False, 64)
    gx, gy = ex.grid_points(x_axis, y_axis, 5)
    rx, ry = ex.random_points(x_axis, y_axis, 25, seed=1)
    assert len(np.unique(gx)) == 5 and len(np.unique(gy)) == 5
    assert len(np.unique(rx)) == 25 and len(np.unique(ry)) == 25
    assert ((rx >= 1e-4) & (rx <= 1e-1)).all() and ((ry >= 0) & (ry <= 0.99)).all()


def test_the_search_race_reports_the_best_found_as_the_budget_grows():
    surface = landscapes.get("rosenbrock")
    x_axis = ex.Axis("lr", "lr", 1e-5, 1e-2, True, 16)
    y_axis = ex.Axis("momentum", "momentum", 0.0, 0.99, False, 16)
    race = ex.search_race("momentum", surface, (-1.5, 2.0), 100, {}, x_axis, y_axis, "loss", 1e-4, side=4)
    assert race.grid_budgets.tolist() == [1, 4, 9, 16]
    assert len(race.random_best) == 16
    assert (np.diff(race.random_best[np.isfinite(race.random_best)]) <= 0).all()  # best so far never worsens


# ----- links ---------------------------------------------------------------------------------------------
def test_a_sweep_link_round_trips():
    state, warnings = sweep.from_query({"land": "himmelblau", "opt": "adam", "x": "lr", "y": "betas[1]", "xlo": "0.001",
                                        "xhi": "0.5", "ylo": "0.9", "yhi": "0.9999", "ylog": "0", "res": "40",
                                        "steps": "250", "metric": "steps", "tol": "1e-06", "h.eps": "1e-06",
                                        "cmp": "sgd,adam"})
    assert not warnings
    again, warnings = sweep.from_query(sweep.to_query(state))
    assert not warnings
    assert again == state


def test_a_cell_opens_the_same_run_in_compare():
    state = sweep.default_state("rosenbrock", "adam")
    state.resolution = 10
    settings = sweep.cell_settings(state, 3, 7)
    link = sweep.compare_link(state.landscape, state.landscape_params, state.start, state.steps,
                              [sweep.run_spec("adam", settings)])
    from urllib.parse import parse_qsl

    from ui import state as compare_state

    compare, warnings = compare_state.from_query(dict(parse_qsl(link.split("?", 1)[1])))
    assert not warnings
    run = compare.runs[0]
    assert run.hyper["lr"] == settings["lr"]
    assert tuple(run.hyper["betas"]) == tuple(settings["betas"])


# ----- the pages -----------------------------------------------------------------------------------------
def _page(path: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page(path)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def _spec(at: AppTest, key_end: str) -> dict:
    return chart_spec(at, key_end)


def _heat(spec: dict) -> str:
    return next(t["z"]["bdata"] for t in spec["data"] if t["type"] == "heatmap")


SMALL_SWEEP = {"land": "rosenbrock", "opt": "momentum", "res": "16", "steps": "60", "cmp": "sgd,momentum", "budget": "3"}
SMALL_BASINS = {"land": "himmelblau", "opts": "sgd,momentum", "res": "24", "steps": "80"}


def test_the_sweep_page_renders_a_heatmap_the_best_run_and_every_section():
    at = _page("pages/5_Sweep.py", SMALL_SWEEP)
    assert not at.exception
    assert not at.warning
    for key in ("sweep_map", "sweep_run", "lr_curves", "search"):
        _spec(at, key)
    assert any("Best run" in m.value for m in at.markdown)
    assert at.dataframe


def test_changing_the_metric_and_the_steps_changes_the_sweep_data():
    at = _page("pages/5_Sweep.py", SMALL_SWEEP)
    before = _heat(_spec(at, "sweep_map"))
    at.selectbox(key="sw.metric").set_value("distance").run()
    assert not at.exception
    after_metric = _heat(_spec(at, "sweep_map"))
    assert after_metric != before
    at.slider(key="sw.steps").set_value(120).run()
    assert not at.exception
    assert _heat(_spec(at, "sweep_map")) != after_metric
    assert at.query_params["steps"] in ("120", ["120"])


def test_a_selected_sweep_cell_draws_that_run():
    at = _page("pages/5_Sweep.py", SMALL_SWEEP)
    at.session_state["sw.selected"] = (16, 2, 5)
    at.run()
    assert not at.exception
    assert any("Selected run" in m.value for m in at.markdown)
    run_spec = _spec(at, "sweep_run")
    assert any(t.get("mode") == "lines" for t in run_spec["data"])


@pytest.mark.parametrize("query", [
    {"land": "<script>alert(1)</script>", "opt": "__import__('os')"},
    {"res": "1e9", "steps": "-5", "budget": "nan"},
    {"x": "lr", "y": "lr"},
    {"opt": "nesterov", "y": "momentum", "ylo": "0", "yhi": "0.5", "h.momentum": "0"},
    {"xlo": "-1", "xhi": "inf", "xlog": "1", "tol": "0"},
    {"metric": "eval", "cmp": ",".join(["adam"] * 40) + ",evil"},
    {f"k{i}": "1" for i in range(200)},
    {"land": "x" * 5000},
], ids=["script-names", "absurd-numbers", "same-axis-twice", "nesterov-without-momentum", "bad-range", "bad-metric",
        "thousands-of-keys", "huge-value"])
def test_a_hostile_sweep_link_warns_and_falls_back(query):
    at = _page("pages/5_Sweep.py", dict(SMALL_SWEEP, **query))
    assert not at.exception
    assert at.warning, "a bad link must say what it ignored"
    assert chart_specs(at) or any("cannot run" in w.value for w in at.warning)


def test_a_sweep_over_the_work_cap_is_cut_down_with_a_message():
    at = _page("pages/5_Sweep.py", dict(SMALL_SWEEP, res="256", steps="2000", cmp="sgd"))
    assert not at.exception
    assert any("computing" in w.value and "instead" in w.value for w in at.warning)
    assert at.slider(key="sw.res").value <= ex.MAX_SWEEP_RESOLUTION
    assert at.slider(key="sw.steps").value <= ex.MAX_STEPS


def test_the_basins_page_renders_one_map_per_optimizer_with_the_minima_marked():
    at = _page("pages/6_Basins.py", SMALL_BASINS)
    assert not at.exception
    assert not at.warning
    spec = _spec(at, "basin_map")
    assert sum(t["type"] == "heatmap" for t in spec["data"]) == 2
    stars = [t for t in spec["data"] if t.get("mode") == "markers+text"]
    assert stars and len(stars[0]["x"]) == 4  # Himmelblau's four minima, on each panel
    assert at.dataframe


def test_changing_a_learning_rate_changes_the_basin_map():
    at = _page("pages/6_Basins.py", SMALL_BASINS)
    before = _heat(_spec(at, "basin_map"))
    at.select_slider(key="bs.lr.himmelblau.sgd").set_value(0.002).run()
    assert not at.exception
    assert _heat(_spec(at, "basin_map")) != before
    assert at.query_params["lr.sgd"] in ("0.002", ["0.002"])


def test_a_selected_start_point_draws_its_run():
    at = _page("pages/6_Basins.py", SMALL_BASINS)
    at.session_state["bs.selected"] = {"panel": 1, "x": 1.0, "y": 1.0}
    at.run()
    assert not at.exception
    assert any("Selected run" in m.value for m in at.markdown)
    _spec(at, "basin_run")


@pytest.mark.parametrize("query", [
    {"land": "<b>nope</b>", "opts": "evil,sgd"},
    {"res": "100000", "steps": "1e308", "lr.sgd": "-3"},
    {"opts": ",".join(optimizers.names())},
    {f"k{i}": "1" for i in range(100)},
], ids=["script-names", "absurd-numbers", "too-many-panels", "thousands-of-keys"])
def test_a_hostile_basins_link_warns_and_falls_back(query):
    at = _page("pages/6_Basins.py", dict(SMALL_BASINS, **query))
    assert not at.exception
    assert at.warning
    assert chart_specs(at)


def test_a_basin_map_over_the_work_cap_is_cut_down_with_a_message():
    at = _page("pages/6_Basins.py", {"land": "himmelblau", "opts": "sgd,momentum", "res": "512", "steps": "2000"})
    assert not at.exception
    assert any("instead" in w.value for w in at.warning)
    assert at.slider(key="bs.res").value <= ex.MAX_BASIN_RESOLUTION


def test_basin_link_round_trips():
    state, warnings = basins.from_query({"land": "six_hump_camel", "opts": "adam,nesterov", "lr.adam": "0.02",
                                         "res": "128", "steps": "300"})
    assert not warnings
    again, warnings = basins.from_query(basins.to_query(state))
    assert not warnings and again == state


def test_the_working_learning_rate_range_reads_as_words():
    from ui import sweep

    lrs = [0.001, 0.002, 0.005, 0.01, 0.02]
    assert sweep.working_range(lrs, []) == ("nowhere", "—")
    assert sweep.working_range(lrs, [1]) == ("only 0.002", "—")
    assert sweep.working_range(lrs, [1, 2, 3]) == ("0.002 to 0.01", "0.7")
    assert sweep.working_range(lrs, [0, 4]) == ("0.001 to 0.02 (2 of the 5 values between)", "1.3")


@pytest.mark.parametrize("click, selected", [
    ({"x": 1.2, "y": -3.9, "panel": 1}, {"panel": 1, "x": 1.0, "y": -4.0}),  # the nearest start, in the panel hit
    ({"x": 1.2, "y": -3.9, "panel": 7}, {"panel": 0, "x": 1.0, "y": -4.0}),  # a panel the map does not have
    ({"x": 1.2, "y": -3.9, "panel": "1"}, {"panel": 0, "x": 1.0, "y": -4.0}),
    ({"x": 9.0, "y": 0.0, "panel": 0}, None),  # off the map
    ({"x": float("nan"), "y": 0.0}, None),
    ("<script>", None),
])
def test_a_click_on_a_basin_map_selects_the_nearest_start_point_of_its_panel(click, selected):
    import streamlit

    xs = ys = np.linspace(-5.0, 5.0, 11)
    streamlit.session_state.pop("bs.selected", None)
    streamlit.session_state["basin_map_test"] = {"click": click}
    basins.take_click("basin_map_test", xs, ys, panels=2)()
    assert streamlit.session_state.get("bs.selected") == selected
    streamlit.session_state.pop("bs.selected", None)


def test_on_a_projector_the_basin_maps_keep_their_height_and_their_titles_apart():
    at = _page("pages/6_Basins.py", dict(SMALL_BASINS, opts="sgd,momentum,adam,nesterov", pres="1"))
    assert not at.exception
    layout = _spec(at, "basin_map")["layout"]
    # the legend beside the maps, not rows under them that a chart fitted to 720 px took from the maps
    assert layout["legend"]["orientation"] == "v" and layout["legend"]["x"] > 1
    assert layout["margin"]["b"] < 100
    titles = [a["text"] for a in layout["annotations"] if a.get("yanchor") == "bottom"]
    assert len(titles) == 4
    for title in titles:  # wrapped to a quarter of the width, the learning rate on its own line
        lines = title.split("<br>")
        assert lines[-1].startswith("lr ") and max(map(len, lines)) <= 18
