"""The data landscape (landscapes/data.py), real minibatch SGD (optimizers/minibatch.py) and its page.

The losses are checked against independent computations (finite differences, the normal
equations written out here), the samplers against their definitions, and the Numba kernel
against a plain-Python loop that uses tests/reference.py's algorithm boxes for every update rule.
"""
from __future__ import annotations

import math
import pathlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from landscapes import data as datasets
from optimizers import minibatch
from streamlit.testing.v1 import AppTest

import app_kit
from reference import ALGORITHMS, DEFAULTS

ROOT = pathlib.Path(__file__).resolve().parent.parent
TIMEOUT = 300
PROBLEMS = datasets.names()
FIRST_ORDER = minibatch.first_order_names()
POINTS = [(0.3, -0.7), (-1.5, 2.0), (2.5, 1.0)]


def _data(name: str, n: int = 40, seed: int = 3):
    return datasets.get(name, n, seed)


# ----- the losses -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PROBLEMS)
@pytest.mark.parametrize("point", POINTS, ids=str)
def test_the_full_batch_gradient_is_the_mean_of_the_per_example_gradients(name, point):
    data = _data(name)
    per_example = data.example_gradients(*point)
    assert per_example.shape == (data.n, 2)
    np.testing.assert_allclose(data.grad(*point), per_example.mean(axis=0), rtol=1e-13, atol=1e-13)


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(["linear", "logistic"]), n=st.integers(10, 120), seed=st.integers(0, 2**31 - 1),
       w1=st.floats(-20, 20), w2=st.floats(-20, 20))
def test_the_mean_of_per_example_gradients_is_the_gradient_for_any_data_and_point(name, n, seed, w1, w2):
    data = datasets.get(name, n, seed)
    per_example = data.example_gradients(w1, w2)
    scale = 1.0 + np.abs(per_example).max()
    np.testing.assert_allclose(data.grad(w1, w2), per_example.mean(axis=0), rtol=1e-12, atol=1e-13 * scale)


@pytest.mark.parametrize("name", PROBLEMS)
@pytest.mark.parametrize("point", POINTS, ids=str)
def test_the_full_batch_gradient_matches_central_differences_of_the_loss(name, point):
    data = _data(name)
    h = 1e-6
    w1, w2 = point
    numeric = ((data.f(w1 + h, w2) - data.f(w1 - h, w2)) / (2 * h), (data.f(w1, w2 + h) - data.f(w1, w2 - h)) / (2 * h))
    np.testing.assert_allclose(data.grad(w1, w2), numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", PROBLEMS)
@pytest.mark.parametrize("point", POINTS, ids=str)
def test_the_hessian_matches_central_differences_of_the_gradient(name, point):
    data = _data(name)
    h = 1e-6
    w1, w2 = point
    columns = [(np.array(data.grad(w1 + h, w2)) - data.grad(w1 - h, w2)) / (2 * h),
               (np.array(data.grad(w1, w2 + h)) - data.grad(w1, w2 - h)) / (2 * h)]
    hessian = data.hessian(w1, w2)
    np.testing.assert_allclose(hessian, np.column_stack(columns), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hessian, hessian.T, rtol=0, atol=0)


@pytest.mark.parametrize("name", PROBLEMS)
def test_the_loss_evaluates_whole_grids_exactly_as_point_by_point(name):
    data = _data(name)
    w1, w2 = np.meshgrid(np.linspace(-2, 3, 7), np.linspace(-1, 2, 5))
    grid = data.f(w1, w2)
    assert grid.shape == (5, 7)
    np.testing.assert_allclose(grid, [[data.f(a, b) for a, b in zip(r1, r2)] for r1, r2 in zip(w1, w2)], rtol=1e-13)


@pytest.mark.parametrize("name", ["linear", "tips"])
def test_the_linear_regression_minimum_is_the_closed_form_least_squares_fit(name):
    data = _data(name)
    x, y = (data.inputs, data.targets)
    # the normal equations of y ≈ w x + b, written out from the sums
    sx, sy, sxx, sxy, n = x.sum(), y.sum(), (x * x).sum(), (x * y).sum(), len(x)
    w = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    b = (sy - w * sx) / n
    np.testing.assert_allclose(data.minimizer, (w, b), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(data.grad(w, b), (0.0, 0.0), atol=1e-10)
    assert data.min_loss == pytest.approx(np.mean((w * x + b - y) ** 2), rel=1e-12)


@pytest.mark.parametrize("name", ["logistic", "iris"])
def test_the_logistic_minimum_has_zero_gradient_and_is_lowest_around(name):
    data = _data(name)
    w1, w2 = data.minimizer
    np.testing.assert_allclose(data.grad(w1, w2), (0.0, 0.0), atol=1e-12)
    assert np.all(np.linalg.eigvalsh(data.hessian(w1, w2)) > 0)
    ring = [data.f(w1 + 0.05 * math.cos(a), w2 + 0.05 * math.sin(a)) for a in np.linspace(0, 2 * math.pi, 12)]
    assert min(ring) > data.min_loss


@settings(max_examples=40, deadline=None)
@given(n=st.integers(10, 300), seed=st.integers(0, 2**31 - 1))
def test_every_generated_classification_set_overlaps_so_its_loss_has_a_minimum(n, seed):
    data = datasets.get("logistic", n, seed)
    w1, w2 = data.minimizer
    assert math.isfinite(w1) and math.isfinite(w2)
    np.testing.assert_allclose(data.grad(w1, w2), (0.0, 0.0), atol=1e-9)
    margins = (2 * data.targets - 1) * (data.features @ np.array([w1, w2]))
    assert margins.min() < 0, "every example on its right side: separable data, the 'minimum' is a point far out"


def test_labels_a_line_separates_have_no_minimum_even_where_the_gradient_is_tiny():
    data = datasets.get("logistic", 100, 10)
    train = data.subset(range(10))  # these ten happen to be separable: seen as (240.9, -32.9) before
    assert datasets.logistic_minimizer(train.features, train.targets) is None
    assert all(math.isnan(v) for v in train.minimizer)
    points = np.array([[1.0, 0.2], [2.0, -0.5], [-1.0, 0.1], [-2.0, 0.4]])
    assert datasets.logistic_minimizer(points, np.array([1.0, 1.0, 0.0, 0.0])) is None


def test_a_separable_minibatch_has_no_minimum():
    data = datasets.get("logistic", 40, 0)
    class_one = np.flatnonzero(data.targets == 1.0)[:3]
    assert data.batch_minimizer(class_one) is None  # one class only: the loss falls towards zero
    assert data.batch_minimizer(np.arange(data.n)) == pytest.approx(data.minimizer, abs=1e-9)


def test_the_logistic_loss_stays_finite_for_huge_scores():
    losses, slopes, curvatures = datasets.example_terms.py_func(1, np.array([-800.0, 800.0]), np.array([1.0, 0.0]))
    np.testing.assert_allclose(losses, [800.0, 800.0])
    np.testing.assert_allclose(slopes, [-1.0, 1.0])
    np.testing.assert_allclose(curvatures, [0.0, 0.0])


def test_the_classic_tables_load_from_plotly_package_data():
    tips, iris = datasets.get("tips"), datasets.get("iris")
    assert (tips.n, iris.n) == (244, 100)
    assert set(np.unique(iris.targets)) == {0.0, 1.0}
    np.testing.assert_allclose(iris.features.mean(axis=0), 0.0, atol=1e-12)  # standardized
    # the textbook fit of these data: about 10.5% tip plus 92 cents
    assert tips.minimizer == pytest.approx((1.050, 0.920), abs=0.002)


def test_generated_data_are_reproducible_from_the_seed_and_differ_between_seeds():
    a, b, c = datasets.get("linear", 50, 7), datasets.get("linear", 50, 7), datasets.get("linear", 50, 8)
    np.testing.assert_array_equal(a.features, b.features)
    np.testing.assert_array_equal(a.targets, b.targets)
    assert not np.array_equal(a.targets, c.targets)


@pytest.mark.parametrize("bad", [dict(n=5), dict(n=10_000), dict(n=50.5), dict(seed=-1), dict(seed=True)])
def test_invalid_data_settings_raise_saying_what_is_allowed(bad):
    with pytest.raises(ValueError, match="Invalid"):
        datasets.get("linear", **{"n": 50, "seed": 0, **bad})


def test_an_unknown_problem_raises_listing_the_valid_ones():
    with pytest.raises(ValueError, match="linear, logistic"):
        datasets.get("nope")


# ----- the samplers -----------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 60), batch=st.integers(1, 60), epochs=st.integers(1, 4), seed=st.integers(0, 2**31 - 1))
def test_the_practical_sampler_visits_every_example_exactly_once_per_epoch(n, batch, epochs, seed):
    batch = min(batch, n)
    per_epoch = -(-n // batch)
    indices, offsets = minibatch.sample_batches(n, batch, epochs * per_epoch, "practical", seed)
    assert offsets[-1] == len(indices) == epochs * n
    for epoch in range(epochs):
        seen = indices[epoch * n:(epoch + 1) * n]
        np.testing.assert_array_equal(np.sort(seen), np.arange(n))
        sizes = np.diff(offsets[epoch * per_epoch:(epoch + 1) * per_epoch + 1])
        assert sizes.max() == batch and sizes.sum() == n  # only the last batch of an epoch may be smaller
    for t in range(len(offsets) - 1):
        batch_t = indices[offsets[t]:offsets[t + 1]]
        assert np.all(np.diff(batch_t) > 0), "a practical batch has distinct, sorted examples"


def test_the_practical_sampler_reshuffles_every_epoch():
    indices, _ = minibatch.sample_batches(40, 5, 16, "practical", 0)
    first, second = indices[:40], indices[40:80]
    assert not np.array_equal(first, second)


def test_the_canonical_sampler_draws_with_replacement_and_is_reproducible():
    indices, offsets = minibatch.sample_batches(50, 50, 20, "canonical", 11)
    again, _ = minibatch.sample_batches(50, 50, 20, "canonical", 11)
    other, _ = minibatch.sample_batches(50, 50, 20, "canonical", 12)
    np.testing.assert_array_equal(indices, again)
    assert not np.array_equal(indices, other)
    np.testing.assert_array_equal(offsets, np.arange(21) * 50)
    batches = indices.reshape(20, 50)
    # with replacement: a batch of N draws almost surely repeats some examples and misses others
    assert all(len(np.unique(b)) < 50 for b in batches)
    # and every example is equally likely: 1000 draws of 50 examples, 20 each on average
    counts = np.bincount(indices, minlength=50)
    assert counts.min() > 5 and counts.max() < 40


def test_the_full_sampler_is_every_example_every_iteration():
    indices, offsets = minibatch.sample_batches(7, 7, 3, "full", 0)
    np.testing.assert_array_equal(indices, np.tile(np.arange(7), 3))
    np.testing.assert_array_equal(offsets, [0, 7, 14, 21])


@pytest.mark.parametrize("bad", [dict(batch_size=0), dict(batch_size=11), dict(sampling="bootstrap")])
def test_invalid_sampler_settings_raise(bad):
    with pytest.raises(ValueError):
        minibatch.sample_batches(**{"n": 10, "batch_size": 3, "steps": 5, "sampling": "practical", "seed": 0, **bad})


# ----- the kernel ---------------------------------------------------------------------------------------
class _BatchOracle:
    """What a rule that looks elsewhere (SAM, Schedule-Free) may ask of one step's minibatch: its gradient anywhere."""

    def __init__(self, data, batch):
        self.data, self.batch = data, batch

    def loss_and_gradient(self, theta):
        return None, _batch_gradient(self.data, self.batch, theta)


def _batch_gradient(data, batch, theta):
    g = [0.0, 0.0]
    for i in batch:
        z = data.features[i, 0] * theta[0] + data.features[i, 1] * theta[1]
        if data.kind == datasets.SQUARED:
            slope = 2.0 * (z - data.targets[i])
        else:
            # the sigmoid as the data module documents it, ½(1 + tanh(z/2)): where it saturates to exactly 1,
            # 1/(1 + e^−z) still differs from 1 by ~1e-13, and a sign-based rule (Rprop) moves on that sign
            slope = 0.5 * (1.0 + math.tanh(0.5 * z)) - data.targets[i]
        g = [g[0] + slope * data.features[i, 0], g[1] + slope * data.features[i, 1]]
    return [g[0] / len(batch), g[1] / len(batch)]


def _reference_minibatch_run(optimizer, data, result, hyper):
    """The path ``minibatch.run`` must produce, the slow, obvious way: for each batch of the run,
    the mean of the per-example gradients (a Python loop), then one step of the algorithm box."""
    settings_ = dict(DEFAULTS[optimizer])
    settings_.update(hyper)
    lr = settings_.pop("lr")
    rule = ALGORITHMS[optimizer](**settings_)
    theta = list(data.start)
    path = [list(theta)]
    for t in range(result.steps):
        batch = result.batch(t)
        g = _batch_gradient(data, batch, theta)
        theta = [float(v) for v in rule.step(t + 1, theta, None, g, lr, _BatchOracle(data, batch))]
        path.append(list(theta))
    return np.array(path)


@pytest.mark.parametrize("optimizer", FIRST_ORDER)
@pytest.mark.parametrize("name, sampling", [("linear", "practical"), ("logistic", "canonical")])
def test_the_minibatch_kernel_equals_a_plain_python_loop_for_every_first_order_optimizer(optimizer, name, sampling):
    data = datasets.get(name, 12, 5)
    hyper = {"lr": 0.05 if data.kind == datasets.SQUARED else 0.5}
    result = minibatch.run(optimizer, data, 3, 25, sampling=sampling, seed=9, **hyper)
    assert result.diverged_at is None
    expected = _reference_minibatch_run(optimizer, data, result, hyper)
    np.testing.assert_allclose(result.path, expected, rtol=1e-11, atol=1e-12)
    # what the kernel records along the way
    np.testing.assert_allclose(result.loss, [data.f(*p) for p in result.path], rtol=1e-12)
    np.testing.assert_allclose(result.batch_loss, [data.subset(result.batch(t)).f(*result.path[t])
                                                   for t in range(result.steps)], rtol=1e-12)
    np.testing.assert_allclose(result.grad_norm, [np.hypot(*data.grad(*p)) for p in result.path], rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_batch_size_n_with_practical_sampling_is_the_full_batch_gd_path_exactly(optimizer):
    data = datasets.get("logistic", 30, 2)
    gd = minibatch.full_batch(optimizer, data, 60, lr=0.3)
    sgd = minibatch.run(optimizer, data, data.n, 60, sampling="practical", seed=4, lr=0.3)
    np.testing.assert_array_equal(sgd.path, gd.path)
    np.testing.assert_array_equal(sgd.loss, gd.loss)
    np.testing.assert_array_equal(sgd.epoch, np.arange(61))


def test_the_epoch_count_is_examples_drawn_over_n():
    data = datasets.get("linear", 20, 0)
    practical = minibatch.run("sgd", data, 5, 12, lr=0.05)
    np.testing.assert_allclose(practical.epoch, np.arange(13) * 5 / 20)
    ragged = minibatch.run("sgd", data, 8, 6, lr=0.05)  # batches 8, 8, 4 per epoch
    np.testing.assert_allclose(ragged.epoch, [0, 0.4, 0.8, 1.0, 1.4, 1.8, 2.0])


@pytest.mark.parametrize("name", ["linear", "logistic"])
def test_a_decaying_learning_rate_shrinks_the_noise_ball(name):
    data = datasets.get(name, 100, 0)
    lr = 0.1 if name == "linear" else 3.0
    ratios = []
    for seed in range(8):
        constant = minibatch.run("sgd", data, 1, 1500, seed=seed, lr=lr)
        decayed = minibatch.run("sgd", data, 1, 1500, seed=seed, lr=lr,
                                schedule={"name": "inverse_time", "decay": 19.0 / 1500})
        minimum = np.array(data.minimizer)
        spread = [np.sqrt(np.mean(np.sum((r.path[-300:] - minimum) ** 2, axis=1))) for r in (constant, decayed)]
        ratios.append(spread[1] / spread[0])
    # a twentyfold smaller rate at the end: the ball's radius shrinks by about sqrt(20) in theory
    assert max(ratios) < 0.7, ratios
    assert np.mean(ratios) < 0.45, ratios


def test_sgd_reaches_the_noise_ball_in_fewer_epochs_than_gd_needs():
    """CSCI 8980: by epoch, SGD wins early. After one epoch of work SGD (B = 1) is much closer."""
    data = datasets.get("linear", 100, 0)
    gd = minibatch.full_batch("sgd", data, 1, lr=0.1)
    sgd = minibatch.run("sgd", data, 1, 100, seed=0, lr=0.1)
    assert sgd.epoch[-1] == gd.epoch[-1] == 1.0
    assert sgd.loss[-1] - data.min_loss < 0.1 * (gd.loss[-1] - data.min_loss)


def test_a_run_that_diverges_stops_without_storing_non_finite_values():
    data = datasets.get("linear", 50, 0)
    result = minibatch.run("sgd", data, 5, 300, lr=10.0)
    assert result.diverged_at is not None and result.diverged_at < 300
    assert np.isfinite(result.path).all() and np.isfinite(result.loss).all() and np.isfinite(result.batch_loss).all()
    assert len(result.path) == result.diverged_at == len(result.batch_loss) + 1


@pytest.mark.parametrize("optimizer", ["newton", "lbfgs"])
def test_optimizers_that_need_the_surface_itself_are_refused(optimizer):
    assert optimizer not in FIRST_ORDER
    with pytest.raises(ValueError, match="first-order"):
        minibatch.run(optimizer, datasets.get("linear"), 5, 10)


@pytest.mark.parametrize("bad", [dict(steps=-1), dict(steps=10**7), dict(lr=-1.0), dict(seed=-3), dict(start=(1e9, 0)),
                                 dict(batch_size=0), dict(sampling="x")])
def test_invalid_run_settings_raise_value_errors(bad):
    kwargs = {"batch_size": 5, "steps": 10, **bad}
    with pytest.raises(ValueError):
        minibatch.run("sgd", datasets.get("linear", 20, 0), **kwargs)


# ----- the page ------------------------------------------------------------------------------------------
def _page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page("pages/8_Data_landscape.py")
    for key, value in (query or {}).items():
        at.query_params[key] = value
    return at.run()


def _charts(at: AppTest) -> list[dict]:
    return app_kit.chart_specs(at)


def _sgd_trail(at: AppTest) -> dict:
    return next(t for t in _charts(at)[0]["data"] if str(t.get("name", "")).startswith("SGD"))


def test_the_data_page_renders_gd_and_sgd_with_every_view():
    at = _page()
    assert not at.exception
    assert not at.warning
    charts = _charts(at)
    assert len(charts) == 5
    names = [t.get("name") for t in charts[0]["data"]]
    assert any(str(n).startswith("GD") for n in names) and any(str(n).startswith("SGD") for n in names)
    assert charts[0]["frames"] and charts[0]["layout"]["images"]
    curves = charts[1]
    assert {t["xaxis"] for t in curves["data"]} == {"x", "x2"}  # by iteration and by epoch
    assert "this minibatch" in [t.get("name") for t in charts[3]["data"]]
    ball = charts[4]
    assert len(ball["layout"]["images"]) == 2  # the noise ball, constant and decayed
    titles = [a["text"] for a in ball["layout"]["annotations"] if "RMS distance" in a["text"]]
    constant, decayed = (float(t.rsplit(" ", 1)[1]) for t in titles)
    assert decayed < constant, titles


def test_shrinking_n_below_the_batch_size_clamps_the_batch():
    at = _page({"problem": "linear", "n": "100", "batch": "60", "steps": "50"})
    at.slider(key="data.n").set_value(30).run()
    assert not at.exception
    assert at.slider(key="data.batch").value == 30
    assert "SGD (batch 30, practical)" in [t.get("name") for t in _charts(at)[0]["data"]]


def test_the_classic_tips_table_renders_with_its_244_bills():
    at = _page()
    at.selectbox(key="data.problem").set_value("tips").run()
    assert not at.exception
    assert "GD (all 244 examples)" in [t.get("name") for t in _charts(at)[0]["data"]]
    assert at.query_params["problem"] in ("tips", ["tips"])


def test_moving_the_batch_size_slider_changes_the_sgd_run():
    at = _page({"problem": "linear", "batch": "10", "steps": "100"})
    before = _sgd_trail(at)
    at.slider(key="data.batch").set_value(25).run()
    assert not at.exception
    after = _sgd_trail(at)
    assert after["name"] != before["name"] and after["x"] != before["x"]
    assert at.query_params["batch"] in ("25", ["25"])


def test_the_iteration_slider_shows_that_iterations_minibatch():
    at = _page({"problem": "linear", "batch": "5", "steps": "100"})
    first = _charts(at)[3]
    at.slider(key="data.it").set_value(40).run()
    assert not at.exception
    later = _charts(at)[3]
    ringed = lambda chart: next(t for t in chart["data"] if t.get("name") == "this minibatch")["x"]  # noqa: E731
    assert ringed(first) != ringed(later)
    assert at.query_params["it"] in ("40", ["40"])


def test_a_shared_link_reproduces_its_settings():
    at = _page({"problem": "logistic", "n": "80", "seed": "5", "batch": "4", "sampling": "canonical", "opt": "momentum",
                "lr": "2", "h.momentum": "0.8", "sched": "step", "s.step_size": "50", "steps": "200", "it": "30"})
    assert not at.exception
    assert not at.warning
    assert at.selectbox(key="data.problem").value == "logistic"
    assert at.slider(key="data.n").value == 80
    assert at.slider(key="data.batch").value == 4
    assert at.radio(key="data.sampling").value == "canonical"
    assert at.selectbox(key="data.opt").value == "momentum"
    assert at.select_slider(key="data.logistic.momentum.lr").value == 2.0
    assert at.select_slider(key="data.logistic.momentum.momentum").value == 0.8
    assert at.selectbox(key="data.sched").value == "step"
    assert at.slider(key="data.it").value == 30
    assert "SGD (batch 4, canonical)" in [t.get("name") for t in _charts(at)[0]["data"]]


@pytest.mark.parametrize("query", [
    {"problem": "<script>alert(1)</script>"},
    {"n": "1e308", "seed": "-5", "batch": "nan"},
    {"opt": "newton"},
    {"opt": "__import__('os').system('touch /tmp/pwned-data')"},
    {"lr": "-1", "h.momentum": "7", "sampling": "eval"},
    {"opt": "nesterov", "h.momentum": "0"},
    {"sched": "exec", "steps": "999999", "it": "5000"},
    {f"k{i}": "1" for i in range(100)},
    {"problem": "x" * 5000},
], ids=["script-name", "absurd-numbers", "second-order-optimizer", "code-as-name", "bad-hyperparameters",
        "nesterov-without-momentum", "bad-schedule-and-steps", "too-many-keys", "huge-value"])
def test_a_hostile_link_falls_back_to_defaults_with_a_warning(query):
    at = _page(query)
    assert not at.exception
    assert at.warning, "a bad link must say what it ignored"
    assert not pathlib.Path("/tmp/pwned-data").exists()
    assert len(app_kit.chart_specs(at)) == 5
    assert at.slider(key="data.steps").value <= 2000
