"""The classroom stories of the lecture notes (shared/seeds/), shown by the engine live.

Each test is one claim a lecturer makes about an optimizer, checked on the surface the app uses
to show it: stability below lr = 2/L (Goodfellow ch. 8, UvA lecture 3), momentum overshooting in
a ravine (CS231n lecture 6), AdaGrad's shrinking steps, Adam's first step of about lr and why the
bias correction exists, gradient clipping on a cliff (Goodfellow 8.2.4), Newton drawn to saddles
(UvA lecture 3, Dauphin et al. 2014), and decaying learning rates for noisy SGD (Goodfellow 8.3.1).
"""
from __future__ import annotations

import math
import re

import landscapes
import numpy as np
import optimizers
import pytest


def _steps(result):
    return np.diff(result.path, axis=0)


# ----- gradient descent and the 2/L threshold ------------------------------------------------
@pytest.mark.parametrize("condition", [5.0, 20.0, 100.0])
def test_gradient_descent_on_a_quadratic_converges_below_lr_2_over_L_and_diverges_above(condition):
    surface = landscapes.get("quadratic", condition=condition)  # curvatures 1 and L = condition
    threshold = 2.0 / condition
    below = optimizers.run("sgd", surface, steps=3000, lr=0.9 * threshold)
    above = optimizers.run("sgd", surface, steps=3000, lr=1.1 * threshold)
    assert below.diverged_at is None
    assert below.loss[-1] < 1e-12 * below.loss[0]
    assert above.diverged_at is not None
    # along the steep axis each step multiplies y by 1 - lr L = -1.2: the growth is geometric
    y = above.path[:, 1]
    np.testing.assert_allclose(y[1:] / y[:-1], 1.0 - 1.1 * threshold * condition, rtol=1e-9)


def test_gradient_descent_exactly_at_lr_2_over_L_bounces_across_the_ravine_forever():
    surface = landscapes.get("quadratic", condition=20.0)
    result = optimizers.run("sgd", surface, steps=500, lr=2.0 / 20.0)
    assert result.diverged_at is None
    np.testing.assert_allclose(np.abs(result.path[:, 1]), abs(surface.start[1]), rtol=1e-9)
    assert result.path[-1, 0] == pytest.approx(0.0, abs=1e-9)  # the shallow axis converged


# ----- momentum in a ravine ------------------------------------------------------------------
def test_momentum_overshoots_the_minimum_along_the_shallow_axis_of_a_ravine_where_gradient_descent_does_not():
    surface = landscapes.get("quadratic", condition=100.0)
    start, lr = (-9.0, 0.5), 1.0 / 100.0  # lr = 1/L: GD crosses the steep axis in one step
    plain = optimizers.run("sgd", surface, start=start, steps=600, lr=lr)
    heavy = optimizers.run("momentum", surface, start=start, steps=600, lr=lr, momentum=0.9)
    # the shallow axis is x, with the minimum at x = 0, approached from x = -9
    assert plain.path[:, 0].max() <= 0.0
    assert np.all(np.diff(plain.path[:, 0]) >= 0.0), "GD creeps monotonically along the floor"
    overshoot = heavy.path[:, 0].max()
    assert overshoot > 0.05 * abs(start[0]), f"momentum overshot by only {overshoot}"
    # ... and yet it is much closer to the minimum after the same number of steps
    assert heavy.loss[-1] < 1e-3 * plain.loss[-1]


def test_nesterov_overshoots_less_than_heavy_ball_momentum():
    surface = landscapes.get("quadratic", condition=100.0)
    kwargs = dict(start=(-9.0, 0.5), steps=600, lr=0.01, momentum=0.9)
    heavy = optimizers.run("momentum", surface, **kwargs)
    nesterov = optimizers.run("nesterov", surface, **kwargs)
    assert 0.0 < nesterov.path[:, 0].max() < heavy.path[:, 0].max()


# ----- adaptive methods -------------------------------------------------------------------------
def _effective_steps(result, surface):
    """|step| / |gradient| per coordinate: the learning rate each coordinate actually got."""
    gradients = np.array([surface.grad(x, y) for x, y in result.path[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(_steps(result)) / np.abs(gradients)


@pytest.mark.parametrize("landscape", ["quadratic", "rosenbrock"])
def test_adagrads_effective_step_only_ever_shrinks(landscape):
    surface = landscapes.get(landscape)
    result = optimizers.run("adagrad", surface, steps=500, lr=0.5)
    effective = _effective_steps(result, surface)
    for coordinate in (0, 1):
        e = effective[:, coordinate]
        e = e[np.isfinite(e) & (e > 0)]
        assert np.all(e[1:] <= e[:-1] * (1 + 1e-9)), "AdaGrad's per-coordinate step size grew"
        assert e[-1] < 0.6 * e[0]


def test_rmsprops_leaky_average_lets_the_effective_step_grow_back_where_adagrads_cannot():
    surface = landscapes.get("quadratic")
    rms = _effective_steps(optimizers.run("rmsprop", surface, steps=2000, lr=0.01, alpha=0.9), surface)[:, 0]
    rms = rms[np.isfinite(rms)]
    assert rms[-1] > 2.0 * rms.min()


@pytest.mark.parametrize("lr", [1e-3, 0.05])
@pytest.mark.parametrize("landscape", ["quadratic", "rosenbrock", "himmelblau"])
def test_adams_first_step_moves_each_coordinate_by_about_lr(landscape, lr):
    if landscape not in landscapes.names():
        pytest.skip(f"landscape {landscape!r} is not in the catalogue")
    result = optimizers.run("adam", landscape, steps=1, lr=lr)
    np.testing.assert_allclose(np.abs(_steps(result)[0]), lr, rtol=1e-6)


def test_without_bias_correction_adams_first_step_is_about_3_times_too_big():
    # CS231n lecture 6: m and v start at zero, so m_1 = (1 - b1) g and sqrt(v_1) = sqrt(1 - b2)|g|
    corrected = np.abs(_steps(optimizers.run("adam", "rosenbrock", steps=1, lr=1e-3))[0])
    uncorrected = np.abs(_steps(optimizers.run("adam_nobias", "rosenbrock", steps=1, lr=1e-3))[0])
    np.testing.assert_allclose(uncorrected / corrected, (1 - 0.9) / math.sqrt(1 - 0.999), rtol=1e-6)


# ----- clipping on a cliff -------------------------------------------------------------------
def _stated(description: str, name: str):
    match = re.search(rf"\b{name}\s*=\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)", description)
    return float(match.group(1)) if match else None


def test_clipping_keeps_the_run_on_the_cliff_where_plain_gradient_descent_is_thrown_away():
    if "cliff" not in landscapes.names():
        pytest.skip("landscape 'cliff' is not in the catalogue yet (another engineer is writing it)")
    cliff = landscapes.get("cliff")
    lr = _stated(cliff.description, "lr")
    if lr is None:
        pytest.skip("the cliff's description does not state a recommended 'lr = ...'")
    clip_norm = _stated(cliff.description, "clip_norm") or 1.0
    plain = optimizers.run("sgd", cliff, steps=500, lr=lr)
    clipped = optimizers.run("sgd", cliff, steps=500, lr=lr, clip_norm=clip_norm)
    assert plain.diverged_at is not None, "plain SGD was meant to be catapulted off the cliff"
    assert clipped.diverged_at is None
    step_lengths = np.hypot(*_steps(clipped).T)
    assert step_lengths.max() <= lr * clip_norm * (1 + 1e-12)
    minimum, distance = cliff.nearest_minimum(*clipped.final)
    assert distance < 0.05 and clipped.loss[-1] < 1e-2 * clipped.loss[0]


# ----- Newton and saddle points ----------------------------------------------------------------
def _saddle_point(surface):
    """A critical point with an indefinite Hessian, found on a grid and polished by Newton."""
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.meshgrid(np.linspace(x0, x1, 201), np.linspace(y0, y1, 201))
    gx, gy = surface.grad(xs, ys)
    order = np.argsort((np.hypot(gx, gy)).ravel())
    for k in order[:50]:
        p = np.array([xs.flat[k], ys.flat[k]])
        for _ in range(50):
            p = p - np.linalg.solve(surface.hessian(*p), np.array(surface.grad(*p)))
        if np.hypot(*surface.grad(*p)) < 1e-10 and np.linalg.det(surface.hessian(*p)) < 0:
            return p
    return None


def test_newton_converges_to_a_saddle_point_while_saddle_free_newton_escapes_it():
    if "saddle" not in landscapes.names():
        pytest.skip("landscape 'saddle' is not in the catalogue yet (another engineer is writing it)")
    surface = landscapes.get("saddle")
    saddle = _saddle_point(surface)
    assert saddle is not None, "the saddle surface should have a saddle point"
    (x0, x1), (y0, y1) = surface.bounds
    start = tuple(saddle + 0.08 * np.array([x1 - x0, y1 - y0]))
    newton = optimizers.run("newton", surface, start=start, steps=50)
    free = optimizers.run("newton", surface, start=start, steps=50, saddle_free=True)
    assert np.hypot(*(newton.path[-1] - saddle)) < 1e-8, "Newton's method is attracted to the saddle"
    assert np.hypot(*(free.path[-1] - saddle)) > 2 * np.hypot(*(np.array(start) - saddle))
    assert free.loss[-1] < surface.f(*saddle) - 0.1, "saddle-free Newton went downhill, away from the saddle"
    if surface.minima:
        assert surface.nearest_minimum(*free.final)[1] < 1e-6, "... and on into a minimum"


# ----- learning-rate schedules and noise ------------------------------------------------------
DECAYING = {
    "step": {"name": "step", "step_size": 500, "gamma": 0.5},
    "exponential": {"name": "exponential", "gamma": 0.999},
    "inverse_time": {"name": "inverse_time", "decay": 0.01},
    "linear": {"name": "linear", "tau": 2000, "end_factor": 0.01},
    "cosine": "cosine",
}


NOISY = dict(lr=0.05, noise=1.0, steps=3000)


def _mean_final_loss(schedule, seeds=range(200)):
    return np.mean([optimizers.run("sgd", "quadratic", seed=seed, schedule=schedule, **NOISY).loss[-1]
                    for seed in seeds])


def test_noisy_sgd_with_a_constant_learning_rate_keeps_jittering_at_the_predicted_loss():
    # Along a curvature h, x <- (1 - lr h) x - lr noise z settles at variance lr^2 noise^2 / (1 - (1 - lr h)^2),
    # which costs h/2 times that in loss: with a constant lr the noise never averages out.
    lr, noise = NOISY["lr"], NOISY["noise"]
    expected = sum(0.5 * h * lr**2 * noise**2 / (1 - (1 - lr * h) ** 2) for h in (1.0, landscapes.get("quadratic").param_values["condition"]))
    assert _mean_final_loss("constant") == pytest.approx(expected, rel=0.25)


@pytest.mark.parametrize("schedule", DECAYING.values(), ids=DECAYING.keys())
def test_a_decaying_learning_rate_lets_noisy_sgd_settle_closer_to_the_minimum_than_a_constant_one(schedule):
    assert _mean_final_loss(schedule) < 0.3 * _mean_final_loss("constant")
