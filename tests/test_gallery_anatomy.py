"""The landscape gallery and the anatomy of a step: engine facts, curvature maps, and both pages under AppTest."""
import json
import math
import pathlib
import urllib.parse

import landscapes
import numpy as np
import optimizers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from landscapes import analysis
from optimizers import anatomy
from streamlit.testing.v1 import AppTest

import app_kit

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMEOUT = 300  # a cold Numba compile of a page's kernels takes far longer than AppTest's 3 s
NOISY_CLIPPED = dict(clip_norm=0.5, noise=0.3, seed=11)


# ----- the anatomy describes the kernel's own numbers ---------------------------------------------
@pytest.mark.parametrize("optimizer", optimizers.names())
def test_the_anatomy_replays_exactly_the_path_the_kernel_computes(optimizer):
    """Bit for bit, with noise and clipping on: the replay runs the same rule code in the same order."""
    for landscape in ("rosenbrock", "himmelblau"):
        kwargs = dict(steps=60, **NOISY_CLIPPED)
        replayed = anatomy.replay(optimizer, landscape, **kwargs)
        reference = optimizers.run(optimizer, landscape, **kwargs)
        assert np.array_equal(replayed.path, reference.path)
        assert np.array_equal(replayed.loss, reference.loss)
        assert np.array_equal(replayed.lr, reference.lr)
        assert replayed.diverged_at == reference.diverged_at


@pytest.mark.parametrize("optimizer, hyper", [
    ("momentum", dict(weight_decay=0.1, dampening=0.3)), ("adamw", dict(weight_decay=0.5)),
    ("amsgrad", dict(weight_decay=0.1)), ("nadam", dict(decoupled_weight_decay=True, weight_decay=0.2)),
    ("rmsprop", dict(momentum=0.5, centered=True)), ("adagrad", dict(lr_decay=0.01, initial_accumulator_value=0.1)),
    ("newton", dict(saddle_free=True, lr=0.5)), ("lbfgs", dict(history_size=3, line_search=False, lr=0.1)),
], ids=lambda value: value if isinstance(value, str) else ",".join(value))
def test_the_anatomy_matches_the_kernel_with_every_switch_of_a_rule_on(optimizer, hyper):
    kwargs = dict(steps=40, schedule={"name": "step", "step_size": 10, "gamma": 0.5}, clip_value=2.0, **NOISY_CLIPPED)
    replayed = anatomy.replay(optimizer, "saddle", **hyper, **kwargs)
    assert np.array_equal(replayed.path, optimizers.run(optimizer, "saddle", **hyper, **kwargs).path)


@pytest.mark.parametrize("optimizer", optimizers.names())
def test_every_optimizer_of_the_registry_names_its_state_and_ends_with_the_step_taken(optimizer):
    replayed = anatomy.replay(optimizer, "rosenbrock", steps=5, **NOISY_CLIPPED)
    for t in range(1, replayed.steps + 1):
        step = replayed.step(t)
        names = [name for name, _ in step.rows]
        assert len(names) == len(set(names)), f"two rows share a name: {names}"
        assert not any(name.startswith("state[") for name in names), "the rule file defines no explain() (see test_optimizers.what_is_missing)"
        assert step.arrows[-1].name == "Δθ (step taken)"
        assert step.arrows[-1].vector == (replayed.path[t, 0] - replayed.path[t - 1, 0], replayed.path[t, 1] - replayed.path[t - 1, 1])
        assert step.value("θ (point after the step)") == tuple(replayed.path[t])


def test_nesterov_look_ahead_is_the_point_plus_momentum_times_velocity_in_torchs_form():
    momentum = 0.8
    replayed = anatomy.replay("nesterov", "quadratic", steps=10, lr=0.03, momentum=momentum)
    for t in range(1, 11):
        step = replayed.step(t)
        buffer = replayed.states[t]
        velocity = step.value("v = −η b (velocity, the notes' form)")
        assert velocity == (-step.lr * buffer[0], -step.lr * buffer[1])
        look_ahead = step.value("θ + μ v (look-ahead point)")
        assert look_ahead == (step.point[0] + momentum * velocity[0], step.point[1] + momentum * velocity[1])
        gradient = step.value("g + μ b (look-ahead gradient torch steps along)")
        # torch's update: θ ← θ − η (g + μ b); the look-ahead point minus η g lands on the same point
        np.testing.assert_allclose(step.new_point, (step.point[0] - step.lr * gradient[0], step.point[1] - step.lr * gradient[1]),
                                   rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(step.new_point, (look_ahead[0] - step.lr * step.gradient[0], look_ahead[1] - step.lr * step.gradient[1]),
                                   rtol=1e-12, atol=1e-15)


def test_adams_bias_corrected_m_hat_is_m_over_one_minus_beta1_to_the_t():
    beta1, beta2 = 0.85, 0.99
    replayed = anatomy.replay("adam", "rosenbrock", steps=30, lr=0.01, betas=(beta1, beta2))
    for t in range(1, 31):
        step = replayed.step(t)
        m = replayed.states[t][0:2]
        m_hat = step.value("m̂ = m / (1 − β₁ᵗ)")
        # exactly the kernel's running product; equal to the power up to its last bits (see adam.py)
        assert m_hat == (m[0] / (1 - replayed.states[t][6]), m[1] / (1 - replayed.states[t][6]))
        np.testing.assert_allclose(m_hat, m / (1 - beta1 ** t), rtol=1e-12)
        np.testing.assert_allclose(step.value("v̂ = v / (1 − β₂ᵗ)"), replayed.states[t][2:4] / (1 - beta2 ** t), rtol=1e-12)


def test_the_first_adam_step_without_bias_correction_is_about_three_times_longer():
    """CS231n's point: (1 − β₁)/√(1 − β₂) ≈ 3.16 for the defaults."""
    step = anatomy.replay("adam", "rosenbrock", steps=1, lr=0.001).step(1)
    other = next(a for a in step.arrows if a.name.startswith("step without bias correction"))
    ratio = math.hypot(*other.vector) / math.hypot(*step.step_taken)
    assert ratio == pytest.approx(0.1 / math.sqrt(0.001), rel=1e-6)


@pytest.mark.parametrize("optimizer", optimizers.names())
def test_a_clipped_gradient_is_never_longer_than_the_threshold(optimizer):
    threshold = 0.25
    replayed = anatomy.replay(optimizer, "rosenbrock", steps=50, clip_norm=threshold, noise=0.5, seed=3)
    norms = np.hypot(replayed.gradient[:, 0], replayed.gradient[:, 1])
    assert (norms <= threshold).all()
    raw = np.hypot(replayed.noisy_gradient[:, 0], replayed.noisy_gradient[:, 1])
    short = raw < threshold
    assert np.array_equal(replayed.gradient[short], replayed.noisy_gradient[short]), "a short gradient was changed"


@pytest.mark.parametrize("optimizer, hyper, parts", [
    ("nesterov", {}, ("μ v (momentum, to the look-ahead point)", "−η g (gradient step from the look-ahead point)")),
    ("rmsprop", {"momentum": 0.7}, ("−η μ b (momentum part)", "−η g/(√v+ε) (scaled gradient part)")),
    ("nadam", {}, ("gradient part", "look-ahead momentum part")),
    ("newton", {}, ("−η (u₁ᵀg/λ̃₁) u₁", "−η (u₂ᵀg/λ̃₂) u₂")),
], ids=["nesterov", "rmsprop-momentum", "nadam", "newton"])
def test_the_drawn_parts_of_a_step_add_up_to_the_step_taken(optimizer, hyper, parts):
    replayed = anatomy.replay(optimizer, "rotated_quadratic", steps=8, lr=0.01 if optimizer != "newton" else 0.7, **hyper)
    for t in range(1, 9):
        step = replayed.step(t)
        chosen = [next(a for a in step.arrows if a.name.startswith(p)) for p in parts]
        assert chosen[1].origin == pytest.approx((chosen[0].origin[0] + chosen[0].vector[0], chosen[0].origin[1] + chosen[0].vector[1]))
        total = np.add(chosen[0].vector, chosen[1].vector)
        np.testing.assert_allclose(total, step.step_taken, rtol=1e-9, atol=1e-14 * max(1.0, *np.abs(step.point)))


def test_replay_refuses_what_run_refuses_and_overlong_horizons():
    with pytest.raises(ValueError, match="lr"):
        anatomy.replay("sgd", "quadratic", lr=-1)
    with pytest.raises(ValueError, match="steps"):
        anatomy.replay("sgd", "quadratic", steps=anatomy.MAX_REPLAY_STEPS + 1)
    with pytest.raises(ValueError, match="step"):
        anatomy.replay("sgd", "quadratic", steps=3).step(4)


# ----- curvature ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", landscapes.names())
def test_the_curvature_map_equals_the_eigenvalues_of_the_hessian_at_sampled_points(name):
    surface = landscapes.get(name)
    grid = analysis.curvature_grid(surface, 41)
    rng = np.random.default_rng(5)
    for i, j in zip(rng.integers(0, 41, 25), rng.integers(0, 41, 25)):
        expected = np.linalg.eigvalsh(surface.hessian(grid.xs[j], grid.ys[i]))
        scale = max(1.0, float(np.abs(expected).max()))
        assert grid.smallest[i, j] == pytest.approx(expected[0], abs=1e-12 * scale)
        assert grid.largest[i, j] == pytest.approx(expected[1], abs=1e-12 * scale)
        low, high = sorted(np.abs(expected))
        if low > 1e-9 * scale:
            assert grid.condition[i, j] == pytest.approx(high / low, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(condition=st.floats(1.0, 1000.0), x=st.floats(-10, 10), y=st.floats(-4, 4))
def test_the_condition_number_of_the_quadratic_equals_its_parameter(condition, x, y):
    surface = landscapes.get("quadratic", condition=condition)
    assert analysis.curvature_at(surface, x, y).condition == pytest.approx(condition, rel=1e-12)
    assert analysis.curvature_grid(surface, 5).condition == pytest.approx(np.full((5, 5), condition), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(hxx=st.floats(-1e6, 1e6), hxy=st.floats(-1e6, 1e6), hyy=st.floats(-1e6, 1e6))
def test_a_condition_number_is_at_least_one_and_eigenvalues_are_ordered(hxx, hxy, hyy):
    smaller, larger = analysis.eigenvalues(hxx, hxy, hyy)
    assert smaller <= larger
    assert analysis.condition_number(smaller, larger) >= 1.0 or math.isnan(analysis.condition_number(smaller, larger))


def test_the_saddle_is_a_saddle_and_the_bowl_a_bowl():
    assert analysis.curvature_at(landscapes.get("saddle"), 0.0, 0.0).kind.startswith("saddle")
    assert analysis.curvature_at(landscapes.get("bowl"), 0.3, -0.2).kind.startswith("bowl")
    assert analysis.curvature_grid(landscapes.get("saddle"), 21).saddle_fraction > 0.0
    assert analysis.curvature_grid(landscapes.get("bowl"), 21).saddle_fraction == 0.0


# ----- the pages under AppTest ----------------------------------------------------------------
def _page(path: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page(path)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def _query(at: AppTest, key: str):
    value = at.query_params.get(key)
    return value[-1] if isinstance(value, list) else value


def test_the_gallery_renders_a_card_for_every_surface_with_a_link_into_compare():
    at = _page("pages/3_Gallery.py")
    assert not at.exception
    titles = [h.value for h in at.subheader]
    assert titles == [landscapes.get(name).title for name in landscapes.names()]
    assert len(app_kit.chart_specs(at)) == len(landscapes.names())  # the maps; 3-D views wait for a category
    assert "3-D views appear once you pick a category" in at.info[0].value
    assert len(at.latex) >= len(landscapes.names())
    links = [str(link.proto) for link in at.get("page_link") if "Open in Compare" in str(link.proto)]
    assert len(links) == len(landscapes.names())
    for name, link in zip(landscapes.names(), links):
        query = urllib.parse.parse_qs(link.split('query_string: "')[1].split('"')[0])
        assert query["land"] == [name]


def test_a_category_shows_its_cards_each_with_a_3d_view():
    for category, names in landscapes.by_category().items():
        at = _page("pages/3_Gallery.py", {"cat": category})
        assert not at.exception
        assert [h.value for h in at.subheader] == [landscapes.get(n).title for n in names]
        kinds = [trace["type"] for chart in app_kit.chart_specs(at) for trace in chart["data"]]
        assert kinds.count("surface") == len(names) and kinds.count("heatmap") == len(names)


def test_moving_the_chosen_point_changes_the_eigenvalues_shown():
    at = _page("pages/3_Gallery.py", {"cat": "ravine"})
    assert [h.value for h in at.subheader] == [landscapes.get(n).title for n in landscapes.by_category()["ravine"]]
    rosenbrock = landscapes.get("rosenbrock")
    table = 5  # per card: the minima, then the curvature at the chosen point; Rosenbrock is the third card

    def shown():
        return {r["quantity"]: r["value"] for r in at.dataframe[table].value.to_dict("records")}

    before = shown()
    at.number_input(key="gal.x.rosenbrock").set_value(1.0).run()
    at.number_input(key="gal.y.rosenbrock").set_value(1.0).run()
    assert not at.exception
    assert _query(at, "pt.rosenbrock") == "1,1"
    after = shown()
    assert after != before
    expected = np.linalg.eigvalsh(rosenbrock.hessian(1.0, 1.0))
    assert float(after["λ_min"]) == pytest.approx(expected[0], rel=1e-5)
    assert float(after["λ_max"]) == pytest.approx(expected[1], rel=1e-5)
    marker = [t for t in app_kit.chart_specs(at)[4]["data"] if t.get("name") == "chosen point"]
    assert marker[0]["x"] == [1.0] and marker[0]["y"] == [1.0]


def test_switching_the_curvature_map_changes_the_heatmap():
    at = _page("pages/3_Gallery.py", {"cat": "saddle", "3d": "0"})
    def heatmap():
        spec = app_kit.chart_specs(at)[0]
        return next(trace for trace in spec["data"] if trace["type"] == "heatmap")
    before = heatmap()
    at.segmented_control(key="gal.map").set_value("smallest").run()
    assert not at.exception
    after = heatmap()
    assert after["z"] != before["z"] and after["colorscale"] != before["colorscale"]
    assert _query(at, "map") == "smallest"
    assert len(app_kit.chart_specs(at)) == len(landscapes.by_category()["saddle"])  # no 3-D views when switched off


def test_a_hostile_gallery_link_gets_warnings_and_the_defaults():
    at = _page("pages/3_Gallery.py", {"cat": "<script>", "map": "__import__('os')", "3d": "2", "pt.rosenbrock": "nan,1",
                                      "pt.nowhere": "1,1", "pt.quadratic": "1e308,0"})
    assert not at.exception
    assert len(at.warning) == 6
    assert len(at.subheader) == len(landscapes.names())


def _anatomy(query: dict | None = None) -> AppTest:
    return _page("pages/4_Anatomy.py", query)


def _arrows(at: AppTest) -> list:
    spec = app_kit.chart_specs(at)[0]
    return [(trace["name"], trace["x"], trace["y"]) for trace in spec["data"] if trace.get("mode") == "lines"
            and trace["name"] != "trajectory"]


def test_the_anatomy_page_steps_forward_and_back_and_the_arrows_follow():
    at = _anatomy({"land": "quadratic", "opt": "momentum", "h.lr": "0.02", "steps": "20"})
    assert not at.exception and not at.warning
    assert at.slider(key="an.t").value == 1
    first = _arrows(at)
    table_first = at.dataframe[0].value
    at.button(key="an.forward").click().run()
    assert not at.exception
    assert at.slider(key="an.t").value == 2 and _query(at, "t") == "2"
    assert _arrows(at) != first
    assert not at.dataframe[0].value.equals(table_first)
    at.button(key="an.back").click().run()
    assert at.slider(key="an.t").value == 1
    assert _arrows(at) == first
    assert at.button(key="an.back").disabled


def test_the_anatomy_table_shows_the_kernels_numbers():
    at = _anatomy({"land": "rosenbrock", "opt": "adam", "h.lr": "0.01", "steps": "10", "t": "4", "clip": "1", "noise": "0.2",
                   "seed": "5"})
    assert not at.exception and not at.warning
    replayed = anatomy.replay("adam", "rosenbrock", steps=10, lr=0.01, clip_norm=1.0, noise=0.2, seed=5)
    rows = {r["quantity"]: r for r in at.dataframe[0].value.to_dict("records")}
    assert rows["θ (point after the step)"]["x"] == replayed.path[4, 0]
    assert rows["g (after clipping)"]["y"] == replayed.gradient[3, 1]
    assert rows["m̂ = m / (1 − β₁ᵗ)"]["x"] == replayed.step(4).value("m̂ = m / (1 − β₁ᵗ)")[0]
    assert [e.value.strip("$\n") for e in at.latex] == [r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t", r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2",
                                         r"\hat m_t = \frac{m_t}{1-\beta_1^t}", r"\hat v_t = \frac{v_t}{1-\beta_2^t}",
                                         r"\theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}"]


def test_changing_the_optimizer_on_the_anatomy_page_changes_the_arrows_and_the_link():
    at = _anatomy({"land": "quadratic", "opt": "sgd", "h.lr": "0.02", "steps": "10"})
    before = _arrows(at)
    at.selectbox(key="an.opt").set_value("nesterov").run()
    assert not at.exception
    names = [name for name, _, _ in _arrows(at)]
    assert any(name.startswith("μ v (momentum, to the look-ahead point)") for name in names)
    assert _arrows(at) != before
    assert _query(at, "opt") == "nesterov"


def test_a_hostile_anatomy_link_gets_warnings_and_falls_back():
    at = _anatomy({"land": "../../etc/passwd", "opt": "exec", "h.lr": "-5", "x0": "inf", "steps": "1e9", "t": "-1",
                   "clip": "0", "noise": "nan", "seed": "1.5", "frame": "<b>"})
    assert not at.exception
    assert len(at.warning) >= 9
    assert at.selectbox(key="an.land").value == "rosenbrock" and at.selectbox(key="an.opt").value == "adam"
    assert len(app_kit.chart_specs(at)) == 1


def test_a_step_beyond_the_horizon_is_clamped_to_the_last_step():
    at = _anatomy({"land": "booth", "opt": "sgd", "h.lr": "0.01", "steps": "5", "t": "400"})
    assert not at.exception
    assert at.slider(key="an.t").value == 5


@pytest.mark.parametrize("optimizer", optimizers.names())
def test_the_anatomy_figure_draws_every_optimizer_in_every_framing(optimizer):
    from viz import anatomy as anatomy_figures

    replayed = anatomy.replay(optimizer, "rosenbrock", steps=30, clip_norm=1.0)
    for t in (1, 2, replayed.steps):
        for framing in anatomy_figures.FRAMINGS:
            figure = anatomy_figures.anatomy_figure(replayed, t, framing).to_dict()
            names = [trace["name"] for trace in figure["data"]]
            assert any(name.startswith("Δθ (step taken)") for name in names) or replayed.step(t).step_taken == (0.0, 0.0)
            x0, x1 = figure["layout"]["xaxis"]["range"]
            y0, y1 = figure["layout"]["yaxis"]["range"]
            assert x1 > x0 and y1 > y0 and (x1 - x0) == pytest.approx(y1 - y0)  # square: directions are true
            json.dumps(figure)  # plain JSON, as Streamlit sends it
        vectors, scalars = anatomy_figures.table_rows(replayed.step(t))
        assert len(vectors) + len(scalars) == len(replayed.step(t).rows)
