"""The Network page as a student meets it (Streamlit's AppTest): a small network trained live, its four views,
batch normalization on and off, the lesson's predictions judged on the page's own runs, and hostile links."""
import threading

import pytest
from app_kit import chart_spec, chart_specs, run_page

from landscapes import network_views as views
from ui import network_page

PAGE = "pages/10_Network.py"
QUICK = {"steps": "150", "n": "200"}


def _page(query=None):
    at = run_page(PAGE, {**QUICK, **(query or {})})
    assert not at.exception, at.exception
    return at


def _titles(at) -> list[str]:
    return [(spec.get("layout", {}).get("title") or {}).get("text") or "" for spec in chart_specs(at)]


def test_the_page_trains_every_default_run_and_draws_the_boundary_the_curves_and_a_slice():
    at = _page()
    titles = _titles(at)
    assert any(t.startswith("Decision boundary") for t in titles)
    assert any(t.startswith("Random slice") for t in titles)
    curves = chart_spec(at, "net_curves")
    names = {trace.get("name") for trace in curves["data"]}
    assert {"Gradient descent (SGD)", "SGD with momentum (heavy ball)", "Adam"} <= names
    table = at.dataframe[0].value
    assert list(table["optimizer"]) == ["Gradient descent (SGD)", "SGD with momentum (heavy ball)", "Adam"]
    assert all(text == "—" for text in table["stopped"])  # the default settings train without diverging
    boundary = chart_spec(at, "net_boundary")
    assert len(boundary["frames"]) >= 20  # the boundaries animate over training, every run's in each frame
    assert all(len(frame["data"]) == 3 for frame in boundary["frames"])  # one map (colours and ½ line) per run
    # sent in float32, once per frame: the first view's largest payload stays a couple of MB
    assert all(trace["z"]["dtype"] == "f4" for frame in boundary["frames"] for trace in frame["data"])
    assert boundary["data"][0]["contours"]["coloring"] == "heatmap" and boundary["data"][0]["contours"]["start"] == 0.5
    panels = [a["text"].split("<br>")[0] for a in boundary["layout"]["annotations"]]
    assert panels == ["Gradient descent (SGD)", "SGD with momentum (heavy ball)", "Adam"]
    assert "η = 0.7, step" in boundary["layout"]["annotations"][0]["text"]
    # the losses play with the boundaries: each frame's titles say that frame's step and losses
    first, last = boundary["frames"][0], boundary["frames"][-1]
    assert "step 0<br>train loss" in first["layout"]["annotations"][0]["text"]
    assert f"step {last['name']}<br>train loss" in last["layout"]["annotations"][2]["text"]
    assert not at.warning


@pytest.mark.parametrize("view, chart, words", [
    ("slice", "net_slice", "filter-normalized"),
    ("plane", "net_plane", "of the path's variance"),
    ("line", "net_line", "Goodfellow"),
    ("modes", "net_modes", "Garipov"),
])
def test_every_view_draws_its_chart_and_says_what_it_is_and_what_it_is_not(view, chart, words):
    at = _page({"view": view})
    chart_spec(at, chart)
    text = " ".join(m.value for m in at.markdown)
    assert "What it is." in text and "What it is not." in text and words in text


def test_the_path_plane_shows_the_true_loss_beside_the_projected_one():
    at = _page({"view": "plane"})
    names = [trace.get("name") for trace in chart_spec(at, "net_projection")["data"]]
    assert names == ["true loss along the path", "loss under the projected path (what the contours show)"]


@pytest.mark.parametrize("batch_norm", ["0", "1"])
def test_batch_normalization_on_and_off_trains_and_draws_the_slices(batch_norm):
    at = _page({"bn": batch_norm, "batch": "32", "view": "slice"})
    chart_spec(at, "net_slice")
    caption = " ".join(c.value for c in at.caption)
    assert ("batch norm" in caption) == (batch_norm == "1")
    assert ("running averages" in caption) == (batch_norm == "1")


def test_the_lesson_judges_each_prediction_on_the_page_s_own_runs():
    at = _page()
    at.radio(key="net.q.line").set_value(0)
    at.radio(key="net.q.share").set_value(0)
    at.radio(key="net.q.projection").set_value(1)
    at.button(key="net.lesson.reveal").click().run()
    assert not at.exception
    state, _ = network_page.from_query({**QUICK})
    state.runs = list(network_page.DEFAULT_RUNS)
    runs = network_page.trainings(state)
    answers = network_page.lesson_answers(state, runs[state.runs[0]])
    guesses = {"line": 0, "share": 0, "projection": 1, "modes": None}
    right = sum(guesses[name] == answers[name][0] for name in guesses)
    wrong = sum(guesses[name] is not None and guesses[name] != answers[name][0] for name in guesses)
    assert (len(at.success), len(at.error), len(at.info)) == (right, wrong, 1)
    assert f"{right} of 4 right" in " ".join(m.value for m in at.markdown)
    at.button(key="net.lesson.again").click().run()
    assert not at.exception and not at.success and not at.error


def test_the_lesson_s_answers_follow_the_views_numbers():
    state, _ = network_page.from_query({**QUICK, "opts": "adam"})
    run = network_page.trainings(state)["adam"]
    answers = network_page.lesson_answers(state, run)
    plane = network_page.landscape_view(state, run, "plane")
    share = plane.explained.sum()
    assert answers["share"][0] == (0 if share < 0.5 else 1 if share <= 0.9 else 2)
    assert answers["line"][0] == (0 if views.rises(network_page.landscape_view(state, run, "line")) == 0 else 1)
    assert answers["projection"][0] == (views.projection_gap(plane)[1] > network_page.PROJECTION_FACTOR)
    modes = network_page.landscape_view(state, run, "modes")
    assert answers["modes"][0] == (modes.line_barrier > network_page.BARRIER)


@pytest.mark.parametrize("query, says", [
    ({"layers": "0,10000"}, "hidden layers"),
    ({"noise": "-1"}, "noise"),
    ({"opts": "newton,<script>"}, "optimizers"),
    ({"steps": "1e9"}, "number of steps"),
    ({"set": "mnist"}, "Unknown data set"),
    ({"view": "__import__('os')"}, "view"),
    ({"lr.adam": "nan", "opts": "adam"}, "learning rate"),
    ({"bn": "maybe", "act": "sigmoid"}, "activation"),
])
def test_a_hostile_link_falls_back_to_defaults_with_a_warning(query, says):
    at = _page(query)
    text = " ".join(w.value for w in at.warning)
    assert says in text, text
    chart_spec(at, "net_boundary")


def test_a_link_with_too_many_parameters_shows_the_defaults():
    at = _page({f"k{i}": "1" for i in range(60)})
    assert any("parameters" in w.value for w in at.warning)


def test_a_shared_link_reproduces_its_settings():
    query = {"set": "xor", "n": "300", "noise": "0.05", "layers": "8,8,8", "act": "relu", "bn": "1", "seed": "3",
             "opts": "rmsprop,lion", "lr.rmsprop": "0.003", "lr.lion": "0.001", "batch": "16", "steps": "120",
             "sched": "cosine", "clip": "1", "view": "line", "3d": "1"}
    at = _page(query)
    assert not at.warning
    state, warnings = network_page.from_query(query)
    assert not warnings
    back = network_page.to_query(state)
    for key, value in query.items():
        assert back[key] == value, key
    assert at.query_params["layers"] in ("8,8,8", ["8,8,8"])
    assert list(at.dataframe[0].value["optimizer"]) == ["RMSProp", "Lion"]


def test_optimizers_that_cannot_train_a_network_are_named_with_the_reason():
    at = _page()
    box = at.multiselect(key="net.runs")
    assert "newton" not in box.options and "Newton" not in " ".join(map(str, box.options))
    assert "Hessian" in box.help and "line" in box.help


def test_minibatches_a_schedule_and_clipping_all_reach_the_training():
    state, _ = network_page.from_query({**QUICK, "batch": "16", "sched": "cosine", "clip": "0.1", "opts": "sgd"})
    run = network_page.trainings(state)["sgd"]
    assert run.batch_size == 16 and run.sampling == "practical"
    assert run.lr[-1] < run.lr[0]  # the cosine schedule
    assert run.grad_norm.max() > 0.1  # some gradients were above the threshold, so the clip mattered


@pytest.mark.parametrize("view", ["slice", "plane"])
def test_the_slice_and_the_path_s_plane_turn_into_surfaces(view):
    at = _page({"view": view, "3d": "1"})
    kinds = [trace["type"] for trace in chart_spec(at, f"net_{view}")["data"]]
    assert kinds[0] == "surface" and "scatter3d" in kinds
    assert len(kinds) == (2 if view == "slice" else 3)  # the plane carries its projected path


def test_a_page_s_kernels_not_yet_compiled_are_asked_of_the_compile_queue_ahead_of_the_warm_up(monkeypatch):
    from optimizers import network as training
    from optimizers.kernel_queue import NOW

    from landscapes import mlp

    asked = []

    def request(key, call, priority):
        # asked from the page's own thread, before the work goes to the scheduler's lanes: a first compile is
        # the server's cost, and would otherwise count against the student's share of heavy work
        assert threading.current_thread() is threading.main_thread()
        asked.append((key, priority))
        call()  # what the queue's thread would run: the same kernels, on the smallest problem
        done = threading.Event()
        done.set()
        return done

    monkeypatch.setattr(network_page.QUEUE, "request", request)
    monkeypatch.setattr(training, "kernels_ready", lambda name, curve=False: False)
    monkeypatch.setattr(mlp, "kernels_ready", lambda predictions_only=False: False)
    state, _ = network_page.from_query({**QUICK, "opts": "rmsprop", "steps": "20", "seed": "7"})
    run = network_page.trainings(state)["rmsprop"]
    network_page.boundary_frames(state, {"rmsprop": run})
    network_page.landscape_view(state, run, "modes")  # the other seed's training is the same optimizer's: ready by then
    # the training's kernels first (the long compile), then the boundary's; the two seeds' view trains again and fits
    # a curve: it asks for those kernels beside the maps', all at once (nothing slips in between)
    assert asked == [(("network training", "rmsprop"), NOW), (("network predictions",), NOW), (("network maps",), NOW),
                     (("network training", "rmsprop"), NOW), (("network curve",), NOW)]
    monkeypatch.undo()
    assert training.kernels_ready("rmsprop", curve=True) and mlp.kernels_ready()
