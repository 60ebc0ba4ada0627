"""The Lessons: every claim holds on its scene (and, where the scene has noise, on at least 19 of 20
other draws of it), every prediction's answer comes from the runs, every source is in the notes,
and the page opens each lesson on its prediction and reveals it (AppTest)."""
import math
import pathlib
import urllib.parse

import numpy as np
import optimizers
import pytest
from app_kit import chart_specs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

import landscapes
from ui import lessons
from ui import state as page_state
from ui.lessons import extras, measures

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
TIMEOUT = 300  # a cold Numba compile of a page's kernels takes far longer than AppTest's 3 s
LESSONS = [pytest.param(lesson, id=lesson.slug) for lesson in lessons.LESSONS]
NOISY = [pytest.param(lesson, id=lesson.slug) for lesson in lessons.LESSONS if lessons.is_noisy(lesson.scene)]
DRAWS = range(1, 21)  # twenty draws of the noise other than the one the page shows
_RESULTS: dict[tuple, list] = {}


def _results(lesson, draw: int = 0) -> list:
    key = (lesson.slug, draw)
    if key not in _RESULTS:
        _RESULTS[key] = lessons.run_scene(lessons.reseeded(lesson.scene, draw))
    return _RESULTS[key]


# ----- the catalogue ----------------------------------------------------------------------------
def test_there_are_at_least_twenty_two_lessons_each_with_its_own_slug():
    assert len(lessons.LESSONS) >= 22
    assert len(set(lessons.slugs())) == len(lessons.LESSONS)


def test_the_first_lessons_keep_their_teaching_order():
    order = lessons.slugs()
    for before, after in [("steepest-descent", "learning-rate"), ("learning-rate", "ravines"), ("ravines", "momentum"),
                          ("momentum", "nesterov"), ("adagrad", "rmsprop"), ("rmsprop", "adam")]:
        assert order.index(before) < order.index(after)
    assert order[0] == "steepest-descent" and order[-1] == "second-order"


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_scene_uses_registered_names_and_stays_within_the_apps_limits(lesson):
    scene = lesson.scene
    assert 1 <= len(scene.runs) <= page_state.MAX_RUNS
    assert 1 <= scene.steps <= page_state.MAX_STEPS and scene.steps % 10 == 0  # the steps slider moves in tens
    for run in scene.runs:
        assert run.optimizer in optimizers.names()
    if lesson.on_data:
        for run in scene.runs:
            optimizers.get(run.optimizer).resolve({"lr": run.lr, **run.hyper})
            assert run.batch_size is None or 1 <= run.batch_size <= scene.n
        return
    assert scene.landscape in landscapes.names()
    (xa, xb), (ya, yb) = scene.surface().bounds
    assert xa <= scene.start[0] <= xb and ya <= scene.start[1] <= yb
    for run in scene.runs:
        optimizers.get(run.optimizer).resolve(run.hyper)  # raises on an invalid value
    assert len(lesson.run_captions) in (0, len(scene.runs))


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_lesson_has_objectives_a_prediction_text_formulas_claims_a_recap_and_sources(lesson):
    assert 1 <= len(lesson.objectives) <= 2
    assert len(lesson.text.split()) >= 40
    assert lesson.formulas and all(f.count("{") == f.count("}") for f in lesson.formulas)
    assert lesson.prediction.prompt.strip().endswith((".", "?"))
    if isinstance(lesson.prediction, lessons.Choice):
        assert 2 <= len(lesson.prediction.options) <= 4 and len(set(lesson.prediction.options)) == len(lesson.prediction.options)
    else:
        assert 0 <= lesson.prediction.run < len(lesson.scene.runs) and lesson.prediction.tolerance > 0
    assert lesson.claims and lesson.recap and lesson.sources
    assert not lesson.discuss or lesson.discuss.strip().endswith("?")


def _notes(course: str) -> str:
    files = sorted(SEEDS.glob(f"{course}_*.txt"))
    if not files:
        pytest.skip(f"the lecture notes are not beside the project ({SEEDS})")
    return files[0].read_text(encoding="utf-8")


def _plain(text: str) -> str:
    return " ".join(text.replace("*", "").replace("’", "'").lower().split())


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_source_names_a_course_and_a_section_heading_that_is_in_its_notes(lesson):
    for source in lesson.sources:
        assert source.course in lessons.COURSES
        assert _plain(source.section) in _plain(_notes(source.course)), f"{source.text} is not in the notes"
        assert lessons.COURSES[source.course] in source.text


@pytest.mark.parametrize("lesson", LESSONS)
def test_every_claim_of_the_lesson_holds_on_its_scene(lesson):
    results = _results(lesson)
    surface = lesson.scene.surface()
    for claim in lesson.claims:
        assert claim.holds(results, surface), f"{lesson.slug}: the scene does not show: {claim.says}"
    assert all(holds for _, holds in lessons.check_claims(lesson, results, surface))


@pytest.mark.slow
@pytest.mark.parametrize("lesson", NOISY)
def test_a_noisy_scenes_claims_hold_on_at_least_19_of_20_other_draws_of_the_noise(lesson):
    surface = lesson.scene.surface()
    failures = {claim.says: 0 for claim in lesson.claims}
    for draw in DRAWS:
        results = _results(lesson, draw)
        for claim, holds in lessons.check_claims(lesson, results, surface):
            failures[claim.says] += not holds
    assert all(count <= 1 for count in failures.values()), f"{lesson.slug}: claims failing on some of 20 draws: {failures}"


@pytest.mark.slow
@pytest.mark.parametrize("lesson", NOISY)
def test_a_noisy_scenes_right_answer_is_the_same_on_at_least_19_of_20_other_draws(lesson):
    surface = lesson.scene.surface()
    shown = lessons.judge(lesson.prediction, None, _results(lesson), surface).says
    if isinstance(lesson.prediction, lessons.Choice):
        answers = [lesson.prediction.answer(_results(lesson, draw), surface) for draw in DRAWS]
        right = lesson.prediction.answer(_results(lesson), surface)
        assert sum(a == right for a in answers) >= 19, f"{lesson.slug}: {shown} on only some draws: {answers}"
    else:
        here = np.array(lesson.prediction.answer(_results(lesson), surface))
        ends = [np.array(lesson.prediction.answer(_results(lesson, draw), surface)) for draw in DRAWS]
        assert sum(np.hypot(*(end - here)) <= lesson.prediction.tolerance for end in ends) >= 19


def test_reseeding_changes_only_the_runs_that_draw_noise_and_keeps_shared_seeds_shared():
    lesson = next(lesson for lesson in lessons.LESSONS if lessons.is_noisy(lesson.scene) and not lesson.on_data)
    moved = lessons.reseeded(lesson.scene, 3)
    for before, after in zip(lesson.scene.runs, moved.runs):
        assert (after.seed != before.seed) == bool(before.noise)
    assert lessons.reseeded(lesson.scene, 0).runs == lesson.scene.runs


@pytest.mark.parametrize("lesson", LESSONS)
def test_the_prediction_is_judged_from_the_runs(lesson):
    results, surface = _results(lesson), lesson.scene.surface()
    prediction = lesson.prediction
    if isinstance(prediction, lessons.Choice):
        right = prediction.answer(results, surface)
        assert 0 <= right < len(prediction.options)
        assert lessons.judge(prediction, right, results, surface).right
        assert not lessons.judge(prediction, (right + 1) % len(prediction.options), results, surface).right
        assert prediction.options[right] in lessons.judge(prediction, None, results, surface).says
    else:
        x, y = results[prediction.run].path[-1]
        assert lessons.judge(prediction, (x + 0.9 * prediction.tolerance, y), results, surface).right
        assert not lessons.judge(prediction, (x + 1.1 * prediction.tolerance, y), results, surface).right
        assert not lessons.judge(prediction, None, results, surface).right
        (xa, xb), (ya, yb) = surface.bounds
        assert xa <= x <= xb and ya <= y <= yb, "a run the class must click on ends off the map"


def test_a_guess_that_is_not_an_answer_is_judged_wrong_not_an_error():
    lesson = next(lesson for lesson in lessons.LESSONS if isinstance(lesson.prediction, lessons.Choice))
    assert not lessons.judge(lesson.prediction, 99, _results(lesson), lesson.scene.surface()).right


@pytest.mark.parametrize("lesson", [p for p in LESSONS if not p.values[0].on_data])
def test_the_compare_link_reproduces_the_whole_scene_with_no_warnings(lesson):
    scene = lesson.scene
    query = page_state.to_query(scene)
    parsed = dict(urllib.parse.parse_qsl(urllib.parse.urlencode(query)))  # what a browser sends back
    state, warnings = page_state.from_query(parsed)
    assert warnings == []
    assert (state.landscape, state.landscape_params, state.start, state.steps) == \
        (scene.landscape, scene.landscape_params, scene.start, scene.steps)
    assert len(state.runs) == len(scene.runs)
    for got, want in zip(state.runs, scene.runs):
        spec = optimizers.get(want.optimizer)
        assert got.optimizer == want.optimizer
        assert spec.resolve(got.hyper) == spec.resolve(want.hyper)
        assert got.schedule == want.schedule
        assert (got.clip_norm, got.clip_value, got.noise) == (want.clip_norm, want.clip_value, want.noise)
        if want.noise:
            assert got.seed == want.seed


def test_a_scene_copy_can_be_changed_without_touching_the_catalogue():
    for lesson in (lessons.LESSONS[0], next(lesson for lesson in lessons.LESSONS if lesson.on_data)):
        copy = lesson.fresh_scene()
        copy.presentation = True
        if lesson.on_data:
            copy.runs[0].hyper["momentum"] = 0.5
            assert "momentum" not in lesson.scene.runs[0].hyper
        else:
            copy.runs[0].hyper["lr"] = 123.0
            assert lesson.scene.runs[0].hyper["lr"] != 123.0
        assert not lesson.scene.presentation


@pytest.mark.parametrize("query, slug", [({}, "steepest-descent"), ({"lesson": "adam"}, "adam"), ({"lesson": "2"}, "learning-rate"),
                                         ({"lesson": ["cliffs"]}, "cliffs")])
def test_a_lesson_link_names_a_lesson_by_slug_or_number(query, slug):
    lesson, warnings = lessons.from_query(query)
    assert lesson.slug == slug and warnings == []


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "0", "999", "-1", "1e3", "__import__('os')", "x" * 5000, ""])
def test_an_unknown_lesson_in_the_link_falls_back_to_the_first_with_a_warning(value):
    lesson, warnings = lessons.from_query({"lesson": value})
    assert lesson is lessons.LESSONS[0]
    assert len(warnings) == 1 and "Unknown lesson" in warnings[0] and len(warnings[0]) < 200


def test_every_extra_a_lesson_names_is_registered():
    for lesson in lessons.LESSONS:
        for name in lesson.extras:
            assert name in extras.EXTRAS or name in extras.DECORATIONS, f"{lesson.slug}: unknown extra {name!r}"


# ----- the measures ------------------------------------------------------------------------------------
def test_the_effective_learning_rates_the_figures_show_are_the_kernels_own():
    scene = lessons.get("adagrad").scene
    for i, run in enumerate(scene.runs):
        replayed = measures.replay_run(scene, i)
        effective = measures.effective_lr(replayed)
        if run.optimizer not in ("adagrad", "rmsprop"):
            continue
        result = lessons.run_scene(scene)[i]
        np.testing.assert_array_equal(replayed.path, result.path)
        gradients = replayed.gradient
        moving = np.abs(gradients) > 1e-8
        steps = np.diff(result.path, axis=0)
        np.testing.assert_allclose(steps[moving], (-effective * gradients)[moving], rtol=1e-9, atol=1e-15)


def test_the_heavy_ball_is_where_the_notes_put_it_and_moves_by_minus_eta_b():
    scene = lessons.get("nesterov").scene
    replayed = measures.replay_run(scene, 1)
    balls = measures.heavy_ball_positions(replayed)
    surface = scene.surface()
    mu, lr = replayed.hyperparams["momentum"], replayed.lr[0]
    buffer = np.zeros(2)
    for k in range(1, 40):  # the notes' form: b = μ b + ∇f(look-ahead), the ball moves by −η b
        buffer = mu * buffer + np.array(surface.grad(*replayed.path[k - 1]))
        np.testing.assert_allclose(balls[k] - balls[k - 1], -lr * buffer, rtol=1e-9, atol=1e-12)


def test_best_lr_picks_the_grid_value_that_scores_lowest():
    scene = lessons.get("second-order").scene
    grid = (1e-4, 1e-3, 2e-3)
    best = measures.best_lr(scene, 2, grid, measures.final_distance_or_inf((1.0, 1.0)))
    distances = [measures.distance_to(optimizers.run("sgd", scene.surface(), start=scene.start, steps=scene.steps, lr=lr),
                                      (1.0, 1.0)) for lr in grid]
    assert best == grid[int(np.argmin(distances))]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition=st.floats(1.0, 1000.0), fraction=st.floats(0.05, 0.97))
def test_gradient_descent_on_a_quadratic_is_stable_below_two_over_l(condition, fraction):
    surface = landscapes.get("quadratic", condition=condition)
    limit = 2.0 / measures.largest_curvature(surface, (0.0, 0.0))
    result = optimizers.run("sgd", surface, start=(-9.0, 3.0), steps=2000, lr=fraction * limit)
    assert result.diverged_at is None
    assert abs(result.path[-1, 1]) <= 3.0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(condition=st.floats(1.0, 1000.0), fraction=st.floats(1.03, 1.5))
def test_gradient_descent_on_a_quadratic_diverges_above_two_over_l(condition, fraction):
    surface = landscapes.get("quadratic", condition=condition)
    limit = 2.0 / measures.largest_curvature(surface, (0.0, 0.0))
    result = optimizers.run("sgd", surface, start=(-9.0, 3.0), steps=2000, lr=fraction * limit)
    assert result.diverged_at is not None


@settings(max_examples=40, deadline=None)
@given(x=st.floats(-9.5, 9.5), y=st.floats(-9.5, 9.5), angle=st.floats(0.0, 90.0), condition=st.floats(1.0, 1000.0),
       fraction=st.floats(0.1, 3.0))
def test_the_taylor_readout_is_exact_on_quadratics_and_its_threshold_predicts_the_sign(x, y, angle, condition, fraction):
    surface = landscapes.get("rotated_quadratic", angle=angle, condition=condition)
    probe = measures.taylor_step(surface, (x, y), 1.0)
    if probe["gg"] < 1e-6:
        return
    lr = fraction * probe["threshold"]
    taylor = measures.taylor_step(surface, (x, y), lr)
    scale = max(abs(taylor["actual"]), probe["gg"] * lr, 1e-12)
    assert abs(taylor["predicted"] - taylor["actual"]) <= 1e-9 * scale
    if fraction < 0.99:
        assert taylor["actual"] < 0
    elif fraction > 1.01:
        assert taylor["actual"] > 0


# ----- the page, headless ---------------------------------------------------------------------------
def _lessons_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page("pages/2_Lessons.py")
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def _page_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown) + " " + " ".join(str(h.value) for h in at.header)


def _race(at: AppTest) -> dict:
    return chart_specs(at)[0]


def _run_traces(spec: dict) -> list[dict]:
    return [t for t in spec["data"] if t.get("name") not in ("known minima", "start", "your prediction")]


def _reveal(at: AppTest) -> AppTest:
    return at.button(key="lesson_reveal").click().run()


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_lesson_opens_on_its_prediction_with_no_trails_then_reveals_its_race_and_claims(lesson):
    at = _lessons_page({"lesson": lesson.slug})
    assert not at.exception and not at.warning
    text = _page_text(at)
    assert lesson.title in text and lesson.prediction.prompt in " ".join(i.body for i in at.info)
    assert not any(claim.says in text for claim in lesson.claims), "a claim shows before the reveal"
    before = chart_specs(at)
    assert len(before) == 1 and not before[0].get("frames") and not _run_traces(before[0]), "the race shows before the reveal"
    if isinstance(lesson.prediction, lessons.Choice):
        assert at.radio[0].options == list(lesson.prediction.options)
    _reveal(at)
    assert not at.exception and not at.warning
    text = _page_text(at)
    assert "not seen here" not in text
    assert sum(claim.says in text for claim in lesson.claims) == len(lesson.claims)
    assert lesson.recap in " ".join(s.body for s in at.success)
    assert len(at.latex) == len(lesson.formulas)
    specs = chart_specs(at)
    assert len(specs) == 2 + extras.chart_count(lesson)
    race = specs[0]
    assert race["frames"] and race["layout"]["images"]
    named = [str(t.get("name", "")) for t in race["data"]]
    for caption in lesson.run_captions:
        assert any(name.startswith(caption + ":") for name in named), f"no run labelled {caption!r}: {named}"
    start = next(t for t in race["data"] if t.get("name") == "start")
    assert (start["x"][0], start["y"][0]) == tuple(lesson.scene.start)
    url = at.get("link_button")[0].proto.url
    if not lesson.on_data:
        state, warnings = page_state.from_query(dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)))
        assert warnings == [] and state.landscape == lesson.scene.landscape and len(state.runs) == len(lesson.scene.runs)
    else:
        assert url.startswith("Data_landscape?") and f"problem={lesson.scene.problem}" in url
    assert at.query_params["lesson"] in (lesson.slug, [lesson.slug])
    assert at.query_params["reveal"] in ("1", ["1"])


def test_a_right_choice_says_so_and_a_wrong_one_says_the_answer():
    lesson = lessons.get("cliffs")
    right = lesson.prediction.answer(_results(lesson), lesson.scene.surface())
    at = _lessons_page({"lesson": "cliffs"})
    at.radio[0].set_value(right).run()
    assert at.button(key="lesson_reveal").label.startswith("Reveal the race")
    _reveal(at)
    assert any("Your prediction held" in s.body for s in at.success)
    at.button(key="lesson_hide").click().run()
    assert not _run_traces(chart_specs(at)[0])
    at.radio[0].set_value((right + 1) % len(lesson.prediction.options)).run()
    _reveal(at)
    assert any("Not this time" in e.body and lesson.prediction.options[right] in e.body for e in at.error)


def test_a_click_on_the_map_is_the_prediction_and_is_drawn_on_the_race():
    lesson = lessons.get("local-minima")
    at = _lessons_page({"lesson": lesson.slug})
    end = _results(lesson)[lesson.prediction.run].path[-1]
    at.session_state["lesson.guess.local-minima"] = (float(end[0]) + 0.1, float(end[1]))  # what a click on the map stores
    at.run()
    guess = [t for t in chart_specs(at)[0]["data"] if t.get("name") == "your prediction"]
    assert guess and math.isclose(guess[0]["x"][0], float(end[0]) + 0.1)
    _reveal(at)
    assert any("Your prediction held" in s.body for s in at.success)
    assert any(t.get("name") == "your prediction" for t in _race(at)["data"])


def test_a_teacher_can_reveal_without_a_prediction_and_a_link_can_open_revealed():
    at = _lessons_page({"lesson": "adam"})
    assert at.button(key="lesson_reveal").label.startswith("Reveal without")
    _reveal(at)
    assert any("No prediction was made" in i.body for i in at.info)
    direct = _lessons_page({"lesson": "adam", "reveal": "1"})
    assert not direct.exception and _run_traces(_race(direct))


def test_the_next_button_moves_to_the_next_lesson_on_its_prediction():
    at = _lessons_page({"lesson": lessons.LESSONS[0].slug, "reveal": "1"})
    next(b for b in at.button if b.label == "Next →").click().run()
    assert not at.exception
    assert at.selectbox(key="lesson").value == lessons.LESSONS[1].slug
    assert "reveal" not in at.query_params and not _run_traces(_race(at))
    next(b for b in at.button if "Previous" in b.label).click().run()
    assert at.selectbox(key="lesson").value == lessons.LESSONS[0].slug


def test_the_recaps_next_lesson_button_moves_on():
    at = _lessons_page({"lesson": "ravines", "reveal": "1"})
    at.button(key="lesson_next_bottom").click().run()
    following = lessons.slugs()[lessons.slugs().index("ravines") + 1]
    assert at.selectbox(key="lesson").value == following


@pytest.mark.parametrize("query", [
    {"lesson": "<script>alert(1)</script>"},
    {"lesson": "99"},
    {"lesson": "x" * 5000},
    {"lesson": "adam", "pres": "<b>yes</b>"},
    {"lesson": "adam", "reveal": "<script>"},
    {f"k{i}": "1" for i in range(300)},
], ids=["script", "out-of-range-number", "huge-value", "odd-presentation-value", "odd-reveal-value", "thousands-of-keys"])
def test_a_hostile_lesson_link_shows_a_lesson_and_never_a_traceback(query):
    at = _lessons_page(query)
    assert not at.exception
    assert chart_specs(at)
    if query.get("lesson") != "adam" and "lesson" in query:
        assert any("Unknown lesson" in w.value for w in at.warning)


def test_the_presentation_switch_is_kept_in_the_link_and_thickens_the_lines():
    at = _lessons_page({"lesson": "momentum", "reveal": "1"})
    widths = [t["line"]["width"] for t in _race(at)["data"] if t.get("mode") == "lines"]
    at.toggle(key="presentation_switch").set_value(True).run()
    assert not at.exception
    assert at.query_params["pres"] in ("1", ["1"])
    thick = [t["line"]["width"] for t in _race(at)["data"] if t.get("mode") == "lines"]
    assert max(thick) > max(widths)
    assert "pres=1" in at.get("link_button")[0].proto.url
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
    at.toggle(key="presentation_switch").set_value(False).run()
    assert not at.exception
    assert "pres" not in at.query_params


def test_the_steepest_descent_lesson_draws_minus_the_gradient_at_the_start():
    at = _lessons_page({"lesson": "steepest-descent", "reveal": "1"})
    arrow = next(a for a in _race(at)["layout"]["annotations"] if a.get("text") == "−∇f")
    lesson = lessons.get("steepest-descent")
    g = np.array(lesson.scene.surface().grad(*lesson.scene.start))
    direction = np.array([arrow["x"] - arrow["ax"], arrow["y"] - arrow["ay"]])
    assert (arrow["ax"], arrow["ay"]) == lesson.scene.start
    assert np.dot(direction, -g) / (np.linalg.norm(direction) * np.linalg.norm(g)) > 1 - 1e-12


def test_the_keyboard_script_has_no_line_comments_that_would_silence_it():
    from ui import shell

    # st.html runs the script with its lines joined: one // comment turned the rest into a comment
    assert "//" not in shell._KEYBOARD_JS


# ----- sentences of the lessons' texts that state rates over many draws ---------------------------------
def _draws(lesson, count: int):
    return [lessons.run_scene(lessons.reseeded(lesson.scene, draw)) for draw in range(count)]


@pytest.mark.slow
def test_flat_vs_sharp_noise_at_the_small_step_stays_and_at_the_big_step_leaves_on_all_60_draws():
    lesson = lessons.get("flat-vs-sharp")
    surface = lesson.scene.surface()
    sharp, flat = (next((m.x, m.y) for m in surface.minima if m.kind == kind) for kind in ("global", "local"))
    for results in _draws(lesson, 60):
        assert measures.distances(results[1], sharp)[-100:].mean() < 0.1
        assert measures.distances(results[3], flat)[-100:].mean() < 0.5


@pytest.mark.slow
def test_the_weakest_decayed_schedule_settles_a_median_44_times_lower_and_below_5_on_one_of_200_draws():
    lesson = lessons.get("learning-rate-decay")
    weakest = []
    for results in _draws(lesson, 200):
        constant = measures.mean_last(results[0], 100)
        weakest.append(min(constant / measures.mean_last(r, 100) for r in results[1:]))
    assert 40 < np.median(weakest) < 48 and sum(w <= 5 for w in weakest) == 1


@pytest.mark.slow
def test_the_noisy_saddle_run_leaves_the_ridge_within_200_steps_on_60_draws():
    lesson = lessons.get("saddle-points")
    for results in _draws(lesson, 60):
        left = np.flatnonzero(np.abs(results[1].path[:, 1]) > 1.0)
        assert left.size and left[0] < 200


def test_the_deep_chain_text_says_where_each_run_ends_and_how_long_each_depth_stays_on_the_plateau():
    from ui.lessons import deep

    lesson = lessons.get("deep-chain")
    results, surface = _results(lesson), lesson.scene.surface()
    start = np.array(lesson.scene.start)
    assert start @ (start * [1, -1]) == pytest.approx(6.21)  # "its value at the start (6.21)"
    for result, stated in zip(results, [(2.52, 0.40), (1.57, 0.64), (0.94, 1.07)]):
        np.testing.assert_allclose(result.path[-1], stated, atol=0.005)
    assert round(deep._valley_curvature(surface, results[0].path[-1])) == 13
    assert deep._valley_curvature(surface, results[2].path[-1]) == pytest.approx(4.0, abs=0.05)  # "beside the flattest"
    short, one, long = deep.depth_runs()
    assert 3.5 < measures.first_below(short.loss, 0.5) / measures.first_below(one.loss, 0.5) < 5  # "about four times"
    assert long.diverged_at <= 10  # "within a few steps"
    assert 0.84**8 == pytest.approx(deep.DEPTHS[0], abs=0.01) and 1.19**8 == pytest.approx(deep.DEPTHS[2], abs=0.05)


def test_random_search_beats_the_grid_in_17_of_20_draws_and_about_two_in_three_over_shifted_ranges():
    from ui.lessons import tuning

    assert tuning.random_wins(range(20)) == 17
    wins = sum(tuning.search(draw, shift / 8).random_best[-1] < tuning.search(draw, shift / 8).grid_best[-1]
               for shift in range(8) for draw in range(20))
    assert 0.6 <= wins / 160 <= 0.8, "the text says the grid wins about one draw in three over shifted ranges"


def test_the_early_stopping_text_rates_hold_over_60_training_sets():
    from landscapes import data as datasets
    from optimizers import minibatch

    separable, rises = 0, []
    for seed in range(60):
        whole = datasets.get("logistic", 100, seed)
        train, held = whole.subset(range(10)), whole.subset(range(10, 100))
        separable += not train.minima
        result = minibatch.full_batch("sgd", train, 500, lr=1.0)
        curve = held.f(np.ascontiguousarray(result.path[:, 0]), np.ascontiguousarray(result.path[:, 1]))
        if not train.minima:
            rises.append(curve[-1] / curve.min())
    assert separable == 27
    assert 1.5 < np.median(rises) < 1.9  # "rising by a median 1.7 times"
