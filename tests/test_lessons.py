"""The Lessons page: every lesson's claims hold on its scene, its link reproduces the scene in
Compare, and the page renders each lesson headless (AppTest) with the scene it describes."""
import json
import math
import pathlib
import urllib.parse

import numpy as np
import optimizers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import landscapes
from ui import lessons
from ui import state as page_state

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMEOUT = 300  # a cold Numba compile of a page's kernels takes far longer than AppTest's 3 s
LESSONS = [pytest.param(lesson, id=lesson.slug) for lesson in lessons.LESSONS]
_RESULTS: dict[str, list] = {}


def _results(lesson) -> list:
    if lesson.slug not in _RESULTS:
        _RESULTS[lesson.slug] = lessons.run_scene(lesson.scene)
    return _RESULTS[lesson.slug]


# ----- the catalogue ----------------------------------------------------------------------------
def test_there_are_at_least_twelve_lessons_each_with_its_own_slug():
    assert len(lessons.LESSONS) >= 12
    assert len(set(lessons.slugs())) == len(lessons.LESSONS)


def test_the_lessons_cover_every_topic_of_the_issue_in_order():
    expected = ["steepest-descent", "learning-rate", "ravines", "momentum", "nesterov", "adagrad", "rmsprop", "adam",
                "saddle-points", "plateaus", "cliffs", "local-minima", "learning-rate-decay", "second-order"]
    assert lessons.slugs() == expected


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_scene_uses_registered_names_and_stays_within_the_apps_limits(lesson):
    scene = lesson.scene
    assert scene.landscape in landscapes.names()
    assert 1 <= len(scene.runs) <= page_state.MAX_RUNS
    assert 1 <= scene.steps <= page_state.MAX_STEPS and scene.steps % 10 == 0  # the steps slider moves in tens
    (xa, xb), (ya, yb) = scene.surface().bounds
    assert xa <= scene.start[0] <= xb and ya <= scene.start[1] <= yb
    for run in scene.runs:
        assert run.optimizer in optimizers.names()
        optimizers.get(run.optimizer).resolve(run.hyper)  # raises on an invalid value
    assert len(lesson.run_captions) in (0, len(scene.runs))


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_lesson_has_text_formulas_a_question_and_claims(lesson):
    assert len(lesson.text.split()) >= 40
    assert lesson.formulas and all(f.count("{") == f.count("}") for f in lesson.formulas)
    assert lesson.question.strip().endswith("?")
    assert lesson.claims
    assert lesson.sources


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_claim_of_the_lesson_holds_on_its_scene(lesson):
    results = _results(lesson)
    surface = lesson.scene.surface()
    for claim in lesson.claims:
        assert claim.holds(results, surface), f"{lesson.slug}: the scene does not show: {claim.says}"
    assert all(holds for _, holds in lessons.check_claims(lesson, results, surface))


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_compare_link_reproduces_the_whole_scene_with_no_warnings(lesson):
    scene = lesson.scene
    query = page_state.to_query(scene)
    # what a browser sends back after the link is followed
    parsed = dict(urllib.parse.parse_qsl(urllib.parse.urlencode(query)))
    state, warnings = page_state.from_query(parsed)
    assert warnings == []
    assert state.landscape == scene.landscape
    assert state.landscape_params == scene.landscape_params
    assert state.start == scene.start
    assert state.steps == scene.steps
    assert len(state.runs) == len(scene.runs)
    for got, want in zip(state.runs, scene.runs):
        spec = optimizers.get(want.optimizer)
        assert got.optimizer == want.optimizer
        assert spec.resolve(got.hyper) == spec.resolve(want.hyper)
        assert optimizers.SCHEDULES[got.schedule["name"]] is optimizers.SCHEDULES[want.schedule["name"]]
        assert {k: v for k, v in got.schedule.items()} == {k: v for k, v in want.schedule.items()}
        assert (got.clip_norm, got.clip_value, got.noise) == (want.clip_norm, want.clip_value, want.noise)
        if want.noise:
            assert got.seed == want.seed


def test_a_scene_copy_can_be_changed_without_touching_the_catalogue():
    lesson = lessons.LESSONS[0]
    copy = lesson.fresh_scene()
    copy.runs[0].hyper["lr"] = 123.0
    copy.presentation = True
    assert lesson.scene.runs[0].hyper["lr"] != 123.0 and not lesson.scene.presentation


@pytest.mark.parametrize("query, slug", [({}, "steepest-descent"), ({"lesson": "adam"}, "adam"), ({"lesson": "3"}, "ravines"),
                                         ({"lesson": ["cliffs"]}, "cliffs")])
def test_a_lesson_link_names_a_lesson_by_slug_or_number(query, slug):
    lesson, warnings = lessons.from_query(query)
    assert lesson.slug == slug and warnings == []


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "0", "15", "-1", "1e3", "__import__('os')", "x" * 5000, ""])
def test_an_unknown_lesson_in_the_link_falls_back_to_the_first_with_a_warning(value):
    lesson, warnings = lessons.from_query({"lesson": value})
    assert lesson is lessons.LESSONS[0]
    assert len(warnings) == 1 and "Unknown lesson" in warnings[0] and len(warnings[0]) < 200


# ----- the engine shows what the lessons say (named, beyond the catalogue's own claims) -------------
def test_the_cliff_lessons_unclipped_run_diverges_and_the_clipped_one_survives():
    unclipped, clipped = _results(lessons.get("cliffs"))
    assert unclipped.diverged_at is not None and 20 <= unclipped.diverged_at <= 60
    assert clipped.diverged_at is None
    assert clipped.grad_norm.max() > 100  # it did meet the cliff
    assert clipped.loss[-1] < 1e-9


def test_the_momentum_lessons_heavy_ball_overshoots_the_minimum_and_comes_back():
    sgd, momentum = _results(lessons.get("momentum"))
    x = momentum.path[:, 0]
    crossing = int(np.argmax(x > 0))
    assert crossing > 0 and x.max() > 1.0
    assert abs(x[-1]) < 1e-3  # it comes back and settles
    assert np.all(sgd.path[:, 0] < 0)


def test_adagrads_step_sizes_shrink_and_their_reconstruction_matches_the_engine():
    lesson = lessons.get("adagrad")
    adagrad = _results(lesson)[0]
    surface = lesson.scene.surface()
    effective = lessons.reconstructed_effective_lr(adagrad, surface)
    gradients = np.array([surface.grad(*p) for p in adagrad.path[:-1]])
    np.testing.assert_allclose(np.diff(adagrad.path, axis=0), -effective * gradients, rtol=1e-9, atol=1e-13)
    assert np.all(np.diff(effective, axis=0) <= 0)


def test_rmsprops_step_size_reconstruction_matches_the_engine():
    lesson = lessons.get("rmsprop")
    rmsprop = _results(lesson)[1]
    surface = lesson.scene.surface()
    effective = lessons.reconstructed_effective_lr(rmsprop, surface)
    gradients = np.array([surface.grad(*p) for p in rmsprop.path[:-1]])
    np.testing.assert_allclose(np.diff(rmsprop.path, axis=0)[:300], (-effective * gradients)[:300], rtol=1e-8, atol=1e-13)


def test_adam_without_bias_correction_takes_a_first_step_three_times_longer():
    adam, uncorrected = _results(lessons.get("adam"))
    first = lessons.step_lengths(adam)[0], lessons.step_lengths(uncorrected)[0]
    assert math.isclose(first[0], adam.lr[0] * math.sqrt(2), rel_tol=1e-6)
    assert math.isclose(first[1] / first[0], 0.1 / math.sqrt(0.001), rel_tol=1e-6)


def test_newton_converges_to_the_saddle_while_noise_and_momentum_escape_it():
    lesson = lessons.get("saddle-points")
    plain, noisy, momentum, newton = _results(lesson)
    assert np.hypot(*newton.path[-1]) < 1e-9
    surface = lesson.scene.surface()
    for run in (noisy, momentum):
        nearest, distance = surface.nearest_minimum(*run.final)
        assert nearest is not None and distance < 0.2
    assert np.sum(np.hypot(*plain.path.T) < 0.5) > np.sum(np.hypot(*momentum.path.T) < 0.5) + 100


def test_the_learning_rate_lessons_runs_are_slow_good_oscillating_and_diverging():
    low, good, high, far = _results(lessons.get("learning-rate"))
    assert low.diverged_at is None and low.loss[-1] > 0.05 * low.loss[0]
    assert good.loss[-1] < 1e-12
    assert lessons.sign_changes(high.path[:50, 1]) >= 45 and high.diverged_at is None
    assert far.diverged_at is not None


def test_the_plateau_lessons_adam_crosses_while_gradient_descent_stays():
    sgd, _, adam, _ = _results(lessons.get("plateaus"))
    assert sgd.grad_norm[0] < 1e-3
    assert np.hypot(*(sgd.path[-1] - sgd.path[0])) < 0.1
    assert np.hypot(*adam.path[-1]) < 1e-3


def test_decayed_schedules_settle_closer_than_a_constant_rate_under_the_same_noise():
    results = _results(lessons.get("learning-rate-decay"))
    constant = lessons.final_settled_loss(results[0])
    for run in results[1:]:
        assert lessons.final_settled_loss(run) < constant / 5
    np.testing.assert_array_equal(results[0].lr, results[0].lr[0])  # the constant run really is constant
    assert all(r.lr[-1] < r.lr[0] for r in results[1:])


def test_newton_and_lbfgs_beat_first_order_methods_on_rosenbrock():
    newton, lbfgs, sgd, adam = _results(lessons.get("second-order"))
    assert lessons.first_within(newton, (1, 1), 1e-6) <= 20
    assert lessons.first_within(lbfgs, (1, 1), 1e-4) <= 100
    assert lessons.distance_to(sgd, (1, 1)) > 0.1 and lessons.distance_to(adam, (1, 1)) > 0.1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition=st.floats(1.0, 1000.0), fraction=st.floats(0.05, 0.97))
def test_gradient_descent_on_a_quadratic_is_stable_below_two_over_l(condition, fraction):
    surface = landscapes.get("quadratic", condition=condition)
    limit = 2.0 / lessons.largest_curvature(surface, (0.0, 0.0))
    result = optimizers.run("sgd", surface, start=(-9.0, 3.0), steps=2000, lr=fraction * limit)
    assert result.diverged_at is None
    assert abs(result.path[-1, 1]) <= 3.0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition=st.floats(1.0, 1000.0), fraction=st.floats(1.03, 1.5))
def test_gradient_descent_on_a_quadratic_diverges_above_two_over_l(condition, fraction):
    surface = landscapes.get("quadratic", condition=condition)
    limit = 2.0 / lessons.largest_curvature(surface, (0.0, 0.0))
    result = optimizers.run("sgd", surface, start=(-9.0, 3.0), steps=2000, lr=fraction * limit)
    assert result.diverged_at is not None


@settings(max_examples=40, deadline=None)
@given(x=st.floats(-9.5, 9.5), y=st.floats(-9.5, 9.5), angle=st.floats(0.0, 90.0), condition=st.floats(1.0, 1000.0),
       fraction=st.floats(0.1, 3.0))
def test_the_taylor_readout_is_exact_on_quadratics_and_its_threshold_predicts_the_sign(x, y, angle, condition, fraction):
    surface = landscapes.get("rotated_quadratic", angle=angle, condition=condition)
    probe = lessons.taylor_step(surface, (x, y), 1.0)
    if probe["gg"] < 1e-6:
        return
    lr = fraction * probe["threshold"]
    taylor = lessons.taylor_step(surface, (x, y), lr)
    scale = max(abs(taylor["actual"]), probe["gg"] * lr, 1e-12)
    assert abs(taylor["predicted"] - taylor["actual"]) <= 1e-9 * scale
    if fraction < 0.99:
        assert taylor["actual"] < 0
    elif fraction > 1.01:
        assert taylor["actual"] > 0


def test_the_nesterov_look_ahead_points_are_where_the_gradient_is_evaluated():
    lesson = lessons.get("nesterov")
    nesterov = _results(lesson)[1]
    surface = lesson.scene.surface()
    balls = lessons.nesterov_ball_positions(nesterov, surface)
    mu, lr = nesterov.hyperparams["momentum"], nesterov.lr[0]
    # the heavy ball moves by −η·b with b = μ b + ∇f(look-ahead): the notes' form of Nesterov
    buffer = np.zeros(2)
    for k in range(1, 40):
        buffer = mu * buffer + np.array(surface.grad(*nesterov.path[k - 1]))
        np.testing.assert_allclose(balls[k] - balls[k - 1], -lr * buffer, rtol=1e-9, atol=1e-12)


# ----- the page, headless ---------------------------------------------------------------------------
def _lessons_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page("pages/2_Lessons.py")
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def _specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def _page_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown) + " " + " ".join(str(h.value) for h in at.header)


def _compare_link(at: AppTest) -> str:
    buttons = at.get("link_button")
    assert buttons, "no link button"
    return buttons[0].proto.url


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_lesson_renders_its_scene_with_no_exception(lesson):
    at = _lessons_page({"lesson": lesson.slug})
    assert not at.exception
    assert not at.warning
    text = _page_text(at)
    assert lesson.title in text
    assert "not seen here" not in text
    assert sum(claim.says in text for claim in lesson.claims) == len(lesson.claims)
    assert len(at.latex) == len(lesson.formulas)
    specs = _specs(at)
    assert len(specs) == 2 + lessons.extra_chart_count(lesson)
    race = specs[0]
    assert race["frames"] and race["layout"]["images"]
    named = [str(t.get("name", "")) for t in race["data"]]
    for caption in lesson.run_captions:
        assert any(name.startswith(caption + ":") for name in named), f"no run labelled {caption!r}: {named}"
    assert any(str(t.get("name", "")).startswith("start") for t in race["data"])
    start = next(t for t in race["data"] if t.get("name") == "start")
    assert (start["x"][0], start["y"][0]) == lesson.scene.start
    # the link carries the scene
    url = _compare_link(at)
    assert url.startswith("Compare?")
    state, warnings = page_state.from_query(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)))
    assert warnings == [] and state.landscape == lesson.scene.landscape and len(state.runs) == len(lesson.scene.runs)
    assert at.query_params["lesson"] in (lesson.slug, [lesson.slug])


def test_the_next_button_moves_to_the_next_lesson_and_the_data_changes():
    at = _lessons_page()
    before = _specs(at)[0]["layout"]["images"][0]["source"], _compare_link(at)
    next_button = next(b for b in at.button if "Next" in b.label)
    next_button.click().run()
    assert not at.exception
    assert at.selectbox(key="lesson").value == lessons.LESSONS[1].slug
    assert at.query_params["lesson"] in (lessons.LESSONS[1].slug, [lessons.LESSONS[1].slug])
    after = _specs(at)[0]["layout"]["images"][0]["source"], _compare_link(at)
    assert after != before
    previous = next(b for b in at.button if "Previous" in b.label)
    previous.click().run()
    assert at.selectbox(key="lesson").value == lessons.LESSONS[0].slug


def test_choosing_a_lesson_in_the_list_shows_its_scene():
    at = _lessons_page()
    at.selectbox(key="lesson").set_value("cliffs").run()
    assert not at.exception
    assert lessons.get("cliffs").title in _page_text(at)
    assert "land=cliff" in _compare_link(at)


@pytest.mark.parametrize("query", [
    {"lesson": "<script>alert(1)</script>"},
    {"lesson": "99"},
    {"lesson": "x" * 5000},
    {"lesson": "adam", "pres": "<b>yes</b>"},
    {f"k{i}": "1" for i in range(300)},
], ids=["script", "out-of-range-number", "huge-value", "odd-presentation-value", "thousands-of-keys"])
def test_a_hostile_lesson_link_shows_a_lesson_and_never_a_traceback(query):
    at = _lessons_page(query)
    assert not at.exception
    assert at.get("plotly_chart")
    if query.get("lesson") != "adam" and "lesson" in query:
        assert any("Unknown lesson" in w.value for w in at.warning)


def test_the_presentation_switch_is_kept_in_the_link_and_thickens_the_lines():
    at = _lessons_page({"lesson": "momentum"})
    widths = [t["line"]["width"] for t in _specs(at)[0]["data"] if t.get("mode") == "lines"]
    at.toggle(key="presentation_switch").set_value(True).run()
    assert not at.exception
    assert at.query_params["pres"] in ("1", ["1"])
    assert at.session_state["pres"] is True
    thick = [t["line"]["width"] for t in _specs(at)[0]["data"] if t.get("mode") == "lines"]
    assert max(thick) > max(widths)
    assert "pres=1" in _compare_link(at)
    at.toggle(key="presentation_switch").set_value(False).run()
    assert "pres" not in at.query_params


def test_a_link_with_pres_1_opens_in_presentation_mode():
    at = _lessons_page({"lesson": "adam", "pres": "1"})
    assert not at.exception
    assert at.toggle(key="presentation_switch").value is True
    assert any("stSidebar" in str(h.proto) for h in at.get("html"))  # the projector stylesheet is on the page


def test_the_compare_page_keeps_pres_from_its_link_and_its_switch_turns_it_off():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page("pages/1_Compare.py")
    at.query_params.update({"land": "bowl", "runs": "sgd", "pres": "1"})
    at.run()
    assert not at.exception and not at.warning
    assert at.toggle(key="presentation_switch").value is True
    assert at.query_params["pres"] in ("1", ["1"])
    at.toggle(key="presentation_switch").set_value(False).run()
    assert not at.exception
    assert "pres" not in at.query_params


def test_the_steepest_descent_lesson_draws_minus_the_gradient_at_the_start():
    at = _lessons_page({"lesson": "steepest-descent"})
    arrow = next(a for a in _specs(at)[0]["layout"]["annotations"] if a.get("text") == "−∇f")
    lesson = lessons.get("steepest-descent")
    surface = lesson.scene.surface()
    g = np.array(surface.grad(*lesson.scene.start))
    direction = np.array([arrow["x"] - arrow["ax"], arrow["y"] - arrow["ay"]])
    assert (arrow["ax"], arrow["ay"]) == lesson.scene.start
    assert np.dot(direction, -g) / (np.linalg.norm(direction) * np.linalg.norm(g)) > 1 - 1e-12


def test_the_schedule_lesson_shows_where_each_schedule_settles():
    at = _lessons_page({"lesson": "learning-rate-decay"})
    bars = _specs(at)[-1]["data"][0]
    assert bars["type"] == "bar" and list(bars["x"]) == list(lessons.get("learning-rate-decay").run_captions)
    assert bars["y"][0] == max(bars["y"])  # the constant rate settles worst


def test_the_keyboard_script_has_no_line_comments_that_would_silence_it():
    from ui import shell

    # st.html runs the script with its lines joined: one // comment turned the rest into a comment
    assert "//" not in shell._KEYBOARD_JS
