"""Every optimizer against the plain-Python reference (tests/reference.py), its metadata, its
identities, and the batch API against the single-run API.

Two ways of comparing with the reference:

* step for step ("replay"): the reference takes every step from the engine's own previous point
  and must predict the engine's next point to 1e-12. This pins every single update down to
  rounding whatever the surface, without the exponential growth of rounding differences that
  chaotic runs show (STYLE.md: identical math in a different order drifts);
* free running: whole paths from the same start agree to 1e-12 over a short horizon, on the two
  surfaces where that horizon is known to be safe (torch's operation order and the algorithm
  boxes' differ in the last bits, and Rosenbrock amplifies that past ~60 adaptive steps).

Numba compiles one kernel per (surface, optimizer) pair on first use (~2 s, ~10 s for a batch
kernel), so the comparisons use a fixed handful of surfaces and the batch tests one surface.
"""
from __future__ import annotations

import math
import re

import landscapes
import numpy as np
import optimizers
import pytest
from optimizers._oracle import normal_pair as engine_normal_pair

import reference
from reference import DEFAULTS, reference_run

NAMES = optimizers.names()
AVAILABLE = landscapes.names()
LANDSCAPES = [n for n in ("quadratic", "rosenbrock", "himmelblau", "saddle", "rastrigin") if n in AVAILABLE]
FREE_RUNNING_LANDSCAPES = [n for n in ("quadratic", "rosenbrock") if n in AVAILABLE]
BATCH_LANDSCAPE = "rosenbrock"

# A learning rate at which each optimizer visibly moves within 200 steps on these surfaces, by the
# kind of step its spec declares (optimizers.STEP_SCALES).
LIVELY_LR_BY_STEP_SCALE = {"curvature": 1e-3, "per_coordinate": 0.05, "accumulating": 0.3, "rectified": 0.01, "unit": 0.5}
LIVELY_LR = {name: LIVELY_LR_BY_STEP_SCALE[optimizers.get(name).step_scale] for name in NAMES}


def moved(hyper, value):
    """A valid value of ``hyper`` other than ``value``: a switch flipped, a number moved within its range."""
    if hyper.kind == "bool":
        return not value
    if hyper.kind == "choice":
        return hyper.choices[(hyper.choices.index(value) + 1) % len(hyper.choices)]
    if hyper.kind == "pair":
        return (moved_number(hyper, value[0]), value[1])
    if hyper.kind == "int":
        return value // 2 if value // 2 >= hyper.low and value // 2 != value else value + 1
    return moved_number(hyper, value)


def moved_number(hyper, value: float) -> float:
    if hyper.log and value > 0:
        return value * 10 if hyper.allows(value * 10) else value / 10
    if hyper.high <= 1.0:  # a rate in [0, 1): halfway towards the other end
        return value / 2 if value > 0.2 else value + (hyper.high - value) / 2
    return value * 2 if value > 0 else 0.05


def derived_settings(name: str) -> dict:
    """The defaults, each hyperparameter but lr moved on its own (where the optimizer's own checks allow
    it), and the hand-picked combinations of tests/reference.py."""
    spec = optimizers.get(name)
    settings = {"defaults": {}}
    for hyper in spec.hypers[1:]:
        value = moved(hyper, hyper.default)
        try:
            spec.resolve({hyper.name: value})
        except ValueError:  # Nesterov without momentum, say: torch refuses it too
            continue
        settings[f"{hyper.name}_moved"] = {hyper.name: value}
    settings.update(reference.CURATED_SETTINGS.get(name, {}))
    return settings


SETTINGS = {name: derived_settings(name) for name in NAMES}

SCHEDULES = {
    "constant": "constant",
    "step": {"name": "step", "step_size": 30, "gamma": 0.5},
    "exponential": {"name": "exponential", "gamma": 0.98},
    "inverse_time": {"name": "inverse_time", "decay": 0.1},
    "linear": {"name": "linear", "tau": 120, "end_factor": 0.05},
    "cosine": {"name": "cosine", "t_max": 150, "min_factor": 0.1},
    "cosine_whole_run": "cosine",
}

ORACLES = {
    "clip_norm": {"clip_norm": 1.0},
    "clip_value": {"clip_value": 0.5},
    "noise": {"noise": 1.0, "seed": 7},
    "noise_large_seed_and_both_clips": {"noise": 5.0, "seed": 2**63 - 1, "clip_value": 3.0, "clip_norm": 2.0},
    "infinite_clips": {"clip_norm": math.inf, "clip_value": math.inf, "noise": 0.5, "seed": 1},
}


def _setting_params():
    return [pytest.param(name, settings, id=f"{name}-{label}")
            for name in NAMES for label, settings in SETTINGS[name].items()]


def assert_paths_agree(result, expected, rtol=1e-12, atol=1e-12):
    assert result.diverged_at == expected.diverged_at, (
        f"engine stopped at {result.diverged_at}, reference at {expected.diverged_at}")
    assert result.path.shape == expected.path.shape
    np.testing.assert_allclose(result.path, expected.path, rtol=rtol, atol=atol)
    np.testing.assert_allclose(result.lr, expected.lr, rtol=1e-14, atol=0.0)


def engine_and_replayed_reference(name, landscape, steps, **settings):
    result = optimizers.run(name, landscape, steps=steps, **settings)
    expected = reference_run(name, landscape, steps=steps, replay=result.path, **settings)
    return result, expected


# ----- step for step against the reference ---------------------------------------------------
@pytest.mark.parametrize("landscape", LANDSCAPES)
@pytest.mark.parametrize("name, settings", _setting_params())
def test_every_step_matches_the_reference_for_each_hyperparameter_setting(name, settings, landscape):
    assert_paths_agree(*engine_and_replayed_reference(name, landscape, 200, **settings))


@pytest.mark.parametrize("landscape", FREE_RUNNING_LANDSCAPES)
@pytest.mark.parametrize("name, settings", _setting_params())
def test_the_whole_path_matches_the_free_running_reference_over_a_short_horizon(name, settings, landscape):
    result = optimizers.run(name, landscape, steps=50, **settings)
    assert_paths_agree(result, reference_run(name, landscape, steps=50, **settings))


@pytest.mark.parametrize("landscape", LANDSCAPES)
@pytest.mark.parametrize("schedule", SCHEDULES.values(), ids=SCHEDULES.keys())
@pytest.mark.parametrize("name", NAMES)
def test_every_step_matches_the_reference_under_each_learning_rate_schedule(name, schedule, landscape):
    assert_paths_agree(*engine_and_replayed_reference(name, landscape, 200, schedule=schedule, lr=LIVELY_LR[name]))


@pytest.mark.parametrize("landscape", LANDSCAPES)
@pytest.mark.parametrize("oracle", ORACLES.values(), ids=ORACLES.keys())
@pytest.mark.parametrize("name", NAMES)
def test_every_step_matches_the_reference_with_noisy_and_clipped_gradients(name, oracle, landscape):
    assert_paths_agree(*engine_and_replayed_reference(name, landscape, 200, lr=LIVELY_LR[name], **oracle))


@pytest.mark.parametrize("oracle", ORACLES.values(), ids=ORACLES.keys())
@pytest.mark.parametrize("name", NAMES)
def test_the_whole_noisy_clipped_path_matches_the_free_running_reference_on_the_quadratic(name, oracle):
    result = optimizers.run(name, "quadratic", steps=50, lr=LIVELY_LR[name], **oracle)
    assert_paths_agree(result, reference_run(name, "quadratic", steps=50, lr=LIVELY_LR[name], **oracle))


@pytest.mark.parametrize("landscape", LANDSCAPES)
@pytest.mark.parametrize("name", NAMES)
def test_a_run_that_diverges_stops_where_the_reference_stops(name, landscape):
    result, expected = engine_and_replayed_reference(name, landscape, 100, lr=1e3)
    assert_paths_agree(result, expected)


# ----- the pieces of the driver ---------------------------------------------------------------
@pytest.mark.parametrize("schedule", list(SCHEDULES.values()) + list(reference.SCHEDULE_DEFAULTS),
                         ids=list(SCHEDULES) + [f"{s}_defaults" for s in reference.SCHEDULE_DEFAULTS])
def test_learning_rate_factors_follow_the_documented_schedules(schedule):
    for steps in (0, 1, 7, 1000):
        np.testing.assert_allclose(optimizers.lr_factors(schedule, steps), reference.schedule_factors(schedule, steps),
                                   rtol=1e-13, atol=1e-15)


def test_schedule_defaults_are_the_documented_ones():
    for name, schedule in optimizers.SCHEDULES.items():
        assert {h.name: h.default for h in schedule["params"]} == reference.SCHEDULE_DEFAULTS[name]


def test_noise_is_the_documented_splitmix64_box_muller_draw():
    for seed in (0, 1, 12345, 2**32 + 5, 2**63 - 1):
        for t in (0, 1, 2, 999, 10**6):
            for j in (0, 1, 2, 25):
                assert engine_normal_pair(seed, t, j) == reference.normal_pair(seed, t, j)


def test_noise_draws_look_like_independent_standard_normals():
    z = np.array([reference.normal_pair(3, t, 0) for t in range(20000)])
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1.0) < 0.03
    assert abs(np.corrcoef(z[:, 0], z[:, 1])[0, 1]) < 0.03


@pytest.mark.parametrize("name", NAMES)
def test_hyperparameter_defaults_are_torchs_or_the_documented_variant(name):
    assert optimizers.get(name).defaults == DEFAULTS[name]


# ----- what a new optimizer needs ---------------------------------------------------------------
def what_is_missing(name: str) -> list[str]:
    """Everything the app and these tests need of a registered optimizer that ``name`` lacks."""
    from optimizers import anatomy

    spec = optimizers.get(name)
    missing = [f"a non-empty {field} on its OptimizerSpec" for field in ("title", "torch", "formula", "convention", "summary")
               if not getattr(spec, field)]
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", spec.colour):
        missing.append(f"a colour on its OptimizerSpec, '#RRGGBB' (has {spec.colour!r})")
    if anatomy.explainer(name) is None:
        missing.append("an explain() beside its update rule, for the Anatomy page (protocol in optimizers/anatomy.py)")
    if name not in reference.ALGORITHMS:
        missing.append("a plain-Python reference written from the published algorithm, in tests/reference.py's ALGORITHMS")
    if name not in reference.DEFAULTS:
        missing.append("its documented defaults (torch's or the paper's), in tests/reference.py's DEFAULTS")
    return missing


@pytest.mark.parametrize("name", NAMES)
def test_every_registered_optimizer_has_what_the_app_and_its_tests_need(name):
    missing = what_is_missing(name)
    assert not missing, f"optimizer {name!r} lacks: " + "; ".join(missing)


def test_every_optimizer_has_a_colour_of_its_own():
    owners = {}
    for name in NAMES:
        owners.setdefault(optimizers.get(name).colour.upper(), []).append(name)
    assert not {c: n for c, n in owners.items() if len(n) > 1}


# ----- hyperparameter metadata and validation ------------------------------------------------
HYPERS = [pytest.param(name, hyper, id=f"{name}-{hyper.name}") for name in NAMES for hyper in optimizers.get(name).hypers]


@pytest.mark.parametrize("name, hyper", HYPERS)
def test_every_default_passes_its_own_validation(name, hyper):
    assert hyper.validate(hyper.default) == hyper.default
    if hyper.slider is not None:  # a pair's slider bounds each of its two numbers
        low, high = hyper.slider
        for end in (low, high):
            value = (end, end) if hyper.kind == "pair" else end
            assert hyper.validate(value) == value


@pytest.mark.parametrize("name, hyper", HYPERS)
def test_closed_ends_of_the_range_are_accepted(name, hyper):
    if hyper.kind in ("float", "int"):
        for end, is_open in ((hyper.low, hyper.low_open), (hyper.high, hyper.high_open)):
            if math.isfinite(end) and not is_open:
                assert hyper.validate(end) == end


def _bad_numbers(hyper):
    bad = [math.nan, "0.5", None, [0.5], True, complex(0.5, 0.0)]
    if math.isfinite(hyper.low):
        bad += [hyper.low - 1.0, -math.inf] + ([hyper.low] if hyper.low_open else [])
    if math.isfinite(hyper.high):
        bad += [hyper.high * 2 + 1.0, math.inf] + ([hyper.high] if hyper.high_open else [])
    if hyper.kind == "int":
        bad.append(hyper.low + 0.5)
    return bad


def invalid_values(hyper):
    if hyper.kind == "bool":
        return [1, 0, 1.0, "True", None]
    if hyper.kind == "pair":
        inner = [v for v in _bad_numbers(hyper) if not isinstance(v, list)]
        first, second = hyper.default
        return ([(v, second) for v in inner] + [(first, v) for v in inner]
                + [0.5, (0.5,), (0.5, 0.5, 0.5), "ab", None])
    return _bad_numbers(hyper)


INVALID = [pytest.param(name, hyper, value, id=f"{name}-{hyper.name}-{value!r}")
           for name in NAMES for hyper in optimizers.get(name).hypers for value in invalid_values(hyper)]


@pytest.mark.parametrize("name, hyper, value", INVALID)
def test_an_invalid_hyperparameter_raises_naming_it_and_its_allowed_range(name, hyper, value):
    with pytest.raises(ValueError) as raised:
        optimizers.run(name, "quadratic", steps=1, **{hyper.name: value})
    message = str(raised.value)
    assert hyper.name in message
    if hyper.kind == "bool":
        assert "True or False" in message
    else:
        assert hyper.describe_range() in message


@pytest.mark.parametrize("name", NAMES)
def test_an_unknown_hyperparameter_name_raises_listing_the_valid_ones(name):
    with pytest.raises(ValueError) as raised:
        optimizers.run(name, "quadratic", steps=1, learning_rate=0.1)
    message = str(raised.value)
    assert "learning_rate" in message
    assert all(h.name in message for h in optimizers.get(name).hypers)


@pytest.mark.parametrize("steps", [-1, optimizers.MAX_STEPS + 1, 1.5, "10", True, None])
def test_steps_out_of_range_raise(steps):
    with pytest.raises(ValueError, match=r"Invalid steps.*\[0, 1000000\]"):
        optimizers.run("sgd", "quadratic", steps=steps)


@pytest.mark.parametrize("seed", [-1, 2**63, 1.5, True, "1", None])
def test_a_seed_out_of_range_raises(seed):
    with pytest.raises(ValueError, match=r"Invalid seed.*\[0, 2\*\*63 - 1\]"):
        optimizers.run("sgd", "quadratic", steps=1, noise=1.0, seed=seed)


@pytest.mark.parametrize("noise", [-0.1, math.nan, math.inf, 1e7, True, "1"])
def test_noise_out_of_range_raises(noise):
    with pytest.raises(ValueError, match=r"Invalid noise.*\[0, 1e6\]"):
        optimizers.run("sgd", "quadratic", steps=1, noise=noise)


@pytest.mark.parametrize("which", ["clip_norm", "clip_value"])
@pytest.mark.parametrize("threshold", [0.0, -1.0, math.nan, -math.inf, True, "1"])
def test_a_clipping_threshold_that_is_not_positive_raises(which, threshold):
    with pytest.raises(ValueError, match=rf"Invalid {which}.*positive"):
        optimizers.run("sgd", "quadratic", steps=1, **{which: threshold})


@pytest.mark.parametrize("start", [(math.nan, 0.0), (math.inf, 0.0), (1e9, 0.0), (0.0, -1e9), "xy", (1.0, 2.0, 3.0), (1.0,), 5.0])
def test_a_bad_start_raises(start):
    with pytest.raises(ValueError, match=r"Invalid start"):
        optimizers.run("sgd", "quadratic", start=start, steps=1)


def test_unknown_names_raise_listing_the_valid_ones():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adafactor'.*sgd"):
        optimizers.run("adafactor", "quadratic", steps=1)
    with pytest.raises(ValueError, match=r"Unknown landscape 'banana'.*rosenbrock"):
        optimizers.run("sgd", "banana", steps=1)
    with pytest.raises(ValueError, match=r"Unknown schedule 'warmup'.*cosine"):
        optimizers.run("sgd", "quadratic", steps=1, schedule="warmup")
    with pytest.raises(ValueError, match=r"Unknown parameter 'rate'.*step_size"):
        optimizers.run("sgd", "quadratic", steps=1, schedule={"name": "step", "rate": 2})
    with pytest.raises(ValueError, match=r"Invalid schedule"):
        optimizers.run("sgd", "quadratic", steps=1, schedule=3)


SCHEDULE_PARAMS = [pytest.param(name, hyper, value, id=f"{name}-{hyper.name}-{value!r}")
                   for name, schedule in optimizers.SCHEDULES.items() for hyper in schedule["params"]
                   for value in _bad_numbers(hyper)]


@pytest.mark.parametrize("name, hyper, value", SCHEDULE_PARAMS)
def test_an_invalid_schedule_parameter_raises_naming_it_and_its_range(name, hyper, value):
    with pytest.raises(ValueError) as raised:
        optimizers.run("sgd", "quadratic", steps=1, schedule={"name": name, hyper.name: value})
    assert hyper.name in str(raised.value) and hyper.describe_range() in str(raised.value)


# ----- identities --------------------------------------------------------------------------------
def same_path(a, b):
    assert a.diverged_at == b.diverged_at
    np.testing.assert_array_equal(a.path, b.path)


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_momentum_with_zero_momentum_is_sgd(landscape):
    for extra in ({}, {"weight_decay": 0.1}, {"dampening": 0.7}):
        same_path(optimizers.run("momentum", landscape, steps=100, lr=2e-3, momentum=0.0, **extra),
                  optimizers.run("sgd", landscape, steps=100, lr=2e-3, **extra))


def test_nesterov_needs_momentum_and_no_dampening_as_in_torch():
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        optimizers.run("nesterov", "quadratic", steps=1, momentum=0.0)
    with pytest.raises(ValueError, match="zero dampening"):
        optimizers.run("nesterov", "quadratic", steps=1, dampening=0.1)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        optimizers.run("sgd", "quadratic", steps=1, nesterov=True)


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_nesterov_switched_off_is_heavy_ball_momentum(landscape):
    same_path(optimizers.run("nesterov", landscape, steps=100, nesterov=False, momentum=0.8),
              optimizers.run("momentum", landscape, steps=100, momentum=0.8))


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_the_amsgrad_optimizer_is_adam_with_amsgrad_on(landscape):
    same_path(optimizers.run("amsgrad", landscape, steps=150, lr=0.05),
              optimizers.run("adam", landscape, steps=150, lr=0.05, amsgrad=True))


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_adamw_without_weight_decay_is_adam(landscape):
    same_path(optimizers.run("adamw", landscape, steps=150, lr=0.05, weight_decay=0.0),
              optimizers.run("adam", landscape, steps=150, lr=0.05))


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_nadam_with_decoupled_decay_but_no_weight_decay_is_nadam(landscape):
    same_path(optimizers.run("nadam", landscape, steps=150, lr=0.02, decoupled_weight_decay=True),
              optimizers.run("nadam", landscape, steps=150, lr=0.02))


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_adam_without_first_moment_or_bias_correction_is_rmsprop(landscape):
    # optax's "RMSProp equals Adam without momentum": beta1 = 0 makes m = g, and without the bias
    # corrections Adam's update is RMSprop's g / (sqrt(v) + eps) with alpha = beta2.
    for beta2, eps in ((0.99, 1e-8), (0.9, 1e-3)):
        same_path(optimizers.run("adam_nobias", landscape, steps=150, lr=0.01, betas=(0.0, beta2), eps=eps),
                  optimizers.run("rmsprop", landscape, steps=150, lr=0.01, alpha=beta2, eps=eps))


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_adam_with_no_first_moment_is_rmsprop_with_bias_corrected_steps_on_its_first_step(landscape):
    # After one step v = (1 - beta2) g^2: Adam moves lr g / (|g| + eps), RMSprop lr g / (sqrt(1 - alpha)|g| + eps),
    # so with a tiny eps RMSprop's first step is Adam's divided by sqrt(1 - alpha): the bias correction.
    s = landscapes.get(landscape)
    g = np.array(s.grad(*s.start))
    adam = optimizers.run("adam", landscape, steps=1, lr=0.01, betas=(0.0, 0.9), eps=1e-12)
    rms = optimizers.run("rmsprop", landscape, steps=1, lr=0.01, alpha=0.9, eps=1e-12)
    np.testing.assert_allclose(adam.path[1] - adam.path[0], (rms.path[1] - rms.path[0]) * math.sqrt(1 - 0.9),
                               rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(rms.path[1] - rms.path[0], -0.01 * g / (math.sqrt(0.1) * np.abs(g) + 1e-12), rtol=1e-12)


@pytest.mark.parametrize("landscape", LANDSCAPES)
@pytest.mark.parametrize("name", ["adam", "amsgrad", "adamw"])
def test_a_bias_corrected_adam_first_step_moves_each_coordinate_by_lr_g_over_abs_g_plus_eps(name, landscape):
    s = landscapes.get(landscape)
    g = np.array(s.grad(*s.start))
    extra = {"weight_decay": 0.0} if name == "adamw" else {}
    for lr, eps in ((0.1, 1e-8), (0.01, 0.5)):
        step = np.diff(optimizers.run(name, landscape, steps=1, lr=lr, eps=eps, **extra).path, axis=0)[0]
        np.testing.assert_allclose(step, -lr * g / (np.abs(g) + eps), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_nadam_first_step_adds_the_look_ahead_momentum_to_an_adam_step(landscape):
    # m^_1 = (1 - mu_1) g / (1 - mu_1) + mu_2 (1 - beta1) g / (1 - mu_1 mu_2), v^_1 = g^2
    s = landscapes.get(landscape)
    g = np.array(s.grad(*s.start))
    mu1, mu2 = (0.9 * (1 - 0.5 * 0.96 ** (k * 4e-3)) for k in (1, 2))
    scale = 1.0 + mu2 * 0.1 / (1.0 - mu1 * mu2)
    for lr, eps in ((0.1, 1e-8), (0.01, 0.5)):
        step = np.diff(optimizers.run("nadam", landscape, steps=1, lr=lr, eps=eps).path, axis=0)[0]
        np.testing.assert_allclose(step, -lr * scale * g / (np.abs(g) + eps), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_adam_without_bias_correction_first_step_is_about_3_times_lr(landscape):
    s = landscapes.get(landscape)
    g = np.array(s.grad(*s.start))
    step = np.diff(optimizers.run("adam_nobias", landscape, steps=1, lr=0.01).path, axis=0)[0]
    np.testing.assert_allclose(step, -0.01 * 0.1 * g / (math.sqrt(0.001) * np.abs(g) + 1e-8), rtol=1e-12)
    big = np.abs(g) > 1.0
    np.testing.assert_allclose(np.abs(step[big]), 0.01 * 0.1 / math.sqrt(0.001), rtol=1e-4)  # 3.16 lr


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_adagrad_and_rmsprop_first_steps_are_sign_steps(landscape):
    s = landscapes.get(landscape)
    g = np.array(s.grad(*s.start))
    adagrad = np.diff(optimizers.run("adagrad", landscape, steps=1, lr=0.1).path, axis=0)[0]
    np.testing.assert_allclose(adagrad, -0.1 * g / (np.abs(g) + 1e-10), rtol=1e-12)
    rms = np.diff(optimizers.run("rmsprop", landscape, steps=1, lr=0.01, alpha=0.99).path, axis=0)[0]
    np.testing.assert_allclose(rms, -0.01 * g / (0.1 * np.abs(g) + 1e-8), rtol=1e-12)


@pytest.mark.parametrize("condition", [1.0, 20.0, 1000.0])
def test_newton_reaches_the_minimum_of_a_quadratic_in_one_step(condition):
    surface = landscapes.get("quadratic", condition=condition)
    result = optimizers.run("newton", surface, start=(-9.0, 3.0), steps=1)
    np.testing.assert_allclose(result.path[1], (0.0, 0.0), atol=1e-12)


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_lbfgs_without_line_search_first_moves_lr_min_1_inverse_l1_norm_down_the_gradient(landscape):
    s = landscapes.get(landscape)
    g = np.array(s.grad(*s.start))
    step = np.diff(optimizers.run("lbfgs", landscape, steps=1, lr=0.3, line_search=False).path, axis=0)[0]
    np.testing.assert_allclose(step, -0.3 * min(1.0, 1.0 / np.abs(g).sum()) * g, rtol=1e-12)


def test_lbfgs_stops_once_the_gradient_is_within_tolerance_grad():
    result = optimizers.run("lbfgs", "quadratic", start=(1e-8, 1e-9), steps=5, tolerance_grad=1e-7)
    assert (result.path == result.path[0]).all()


# ----- the batch API equals the single-run API ----------------------------------------------
def _grid_of_starts(surface, n=3):
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.linspace(x0, x1, n + 2)[1:-1], np.linspace(y0, y1, n + 2)[1:-1]
    return np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1)


def assert_batch_equals_runs(many, runs):
    for index, result in runs.items():
        assert many.final_point[index].tolist() == list(result.path[-1]), index
        assert many.final_loss[index] == result.loss[-1], index
        assert many.final_grad_norm[index] == result.grad_norm[-1], index
        assert many.diverged_at[index] == (-1 if result.diverged_at is None else result.diverged_at), index
        reached = np.flatnonzero(result.loss <= many.target_loss)
        assert many.reached_at[index] == (reached[0] if reached.size else -1), index


@pytest.mark.parametrize("name", NAMES)
def test_run_many_over_a_grid_of_starts_equals_run_for_each_start(name):
    surface = landscapes.get(BATCH_LANDSCAPE)
    starts = _grid_of_starts(surface)
    many = optimizers.run_many(name, surface, starts, steps=120, lr=LIVELY_LR[name], target_loss=0.5)
    assert many.final_point.shape == starts.shape
    runs = {index: optimizers.run(name, surface, start=tuple(starts[index]), steps=120, lr=LIVELY_LR[name])
            for index in np.ndindex(starts.shape[:-1])}
    assert_batch_equals_runs(many, runs)


def second_axis(name: str) -> tuple[str, list]:
    """The setting a sweep sets against lr first (the spec's ``sweep_axis``), at three valid values."""
    spec = optimizers.get(name)
    key = spec.sweep_axis or next(h.name for h in spec.hypers[1:] if h.kind in ("float", "pair"))
    hyper_name, index = optimizers.setting_key(key)
    hyper = spec.hyper(hyper_name)
    value = hyper.default if index is None else hyper.default[index]
    values = [value]
    for _ in range(2):
        values.append(moved_number(hyper, values[-1]))
    assert len(set(values)) == 3, values
    return key, values


@pytest.mark.parametrize("name", NAMES)
def test_run_many_over_a_grid_of_lr_and_a_second_hyperparameter_equals_run_even_where_runs_diverge(name):
    key, values = second_axis(name)
    defaults = optimizers.get(name).defaults
    lrs = np.array([LIVELY_LR[name] / 10, LIVELY_LR[name], 1e5])[:, None]
    batched = optimizers.with_setting({}, key, np.array(values)[None, :], defaults)
    many = optimizers.run_many(name, BATCH_LANDSCAPE, steps=100, lr=lrs, **batched)
    assert many.final_point.shape == (3, 3, 2)
    runs = {}
    for i, j in np.ndindex(3, 3):
        runs[i, j] = optimizers.run(name, BATCH_LANDSCAPE, steps=100, lr=float(lrs[i, 0]),
                                    **optimizers.with_setting({}, key, values[j], defaults))
    assert_batch_equals_runs(many, runs)
    if name != "lbfgs":  # its line search tames even lr = 1e3
        assert many.diverged.any(), "the grid was meant to include diverging runs"


@pytest.mark.parametrize("name", NAMES)
def test_noisy_run_many_with_per_run_seeds_equals_run_with_each_seed(name):
    seeds = np.arange(6) * 1_000_003
    many = optimizers.run_many(name, BATCH_LANDSCAPE, steps=100, lr=LIVELY_LR[name], noise=2.0, clip_norm=5.0, seed=seeds)
    runs = {(i,): optimizers.run(name, BATCH_LANDSCAPE, steps=100, lr=LIVELY_LR[name], noise=2.0, clip_norm=5.0,
                                 seed=int(seeds[i])) for i in range(len(seeds))}
    assert_batch_equals_runs(many, runs)
    # sign-based rules (Lion, Rprop) move on a lattice of ±lr steps, where different noise can end at one point
    assert len({tuple(p) for p in many.final_point}) > 1, "different seeds, different noise"


def test_run_many_with_one_seed_gives_every_run_the_same_noise():
    many = optimizers.run_many("sgd", "quadratic", np.array([[1.0, 1.0], [1.0, 1.0]]), steps=50, lr=0.01, noise=1.0, seed=5)
    assert many.final_point[0].tolist() == many.final_point[1].tolist()


def test_run_many_validates_like_run():
    with pytest.raises(ValueError, match="Invalid lr"):
        optimizers.run_many("sgd", "quadratic", steps=1, lr=np.array([0.1, -0.1]))
    with pytest.raises(ValueError, match="Invalid momentum"):
        optimizers.run_many("sgd", "quadratic", steps=1, momentum=np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
        optimizers.run_many("nesterov", "quadratic", steps=1, momentum=np.array([0.5, 0.0]))
    with pytest.raises(ValueError, match="Invalid starts"):
        optimizers.run_many("sgd", "quadratic", np.array([[0.0, 0.0], [np.nan, 0.0]]), steps=1)
    with pytest.raises(ValueError, match="Invalid starts"):
        optimizers.run_many("sgd", "quadratic", np.array([1e9, 0.0]), steps=1)
    with pytest.raises(ValueError, match="Unknown hyperparameter 'betas'"):
        optimizers.run_many("sgd", "quadratic", steps=1, betas=(0.9, 0.99))


@pytest.mark.parametrize("seed", [-1, np.array([0, -3]), 1.5, 2**63, np.array([2**63], dtype=np.uint64)])
def test_run_many_rejects_the_seeds_run_rejects(seed):
    with pytest.raises(ValueError, match=r"Invalid seed"):
        optimizers.run_many("sgd", "quadratic", steps=1, noise=1.0, seed=seed)


# ----- invariants of a Result --------------------------------------------------------------------
@pytest.mark.parametrize("lr_scale", [1.0, 1e5], ids=["lively", "diverging"])
@pytest.mark.parametrize("landscape", LANDSCAPES)
@pytest.mark.parametrize("name", NAMES)
def test_result_invariants_hold(name, landscape, lr_scale):
    surface = landscapes.get(landscape)
    lr = min(LIVELY_LR[name] * lr_scale, 1e6)
    result = optimizers.run(name, surface, steps=150, lr=lr, schedule="cosine", noise=0.1, seed=3)
    n = len(result.path)
    assert result.path.shape == (n, 2) and result.loss.shape == (n,) and result.grad_norm.shape == (n,)
    assert len(result.lr) == n - 1
    assert tuple(result.path[0]) == surface.start
    assert result.diverged_at is None or result.diverged_at == n
    assert (result.diverged_at is None) == (n == 151)
    for array in (result.path, result.loss, result.grad_norm, result.lr):
        assert np.isfinite(array).all()
    x_low, x_high, y_low, y_high = surface.escape_box
    assert ((x_low <= result.path[:, 0]) & (result.path[:, 0] <= x_high)).all()
    assert ((y_low <= result.path[:, 1]) & (result.path[:, 1] <= y_high)).all()
    np.testing.assert_array_equal(result.loss, [surface.f(x, y) for x, y in result.path])
    np.testing.assert_allclose(result.grad_norm, [math.hypot(*surface.grad(x, y)) for x, y in result.path], rtol=1e-15)
    np.testing.assert_allclose(result.lr, lr * optimizers.lr_factors("cosine", 150)[: n - 1], rtol=1e-15)
    assert result.hyperparams == {**DEFAULTS[name], "lr": lr}
    assert result.schedule == {"name": "cosine", "t_max": 0, "min_factor": 0.0}


def test_zero_steps_return_the_start_alone():
    result = optimizers.run("adam", "rosenbrock", start=(0.5, 0.5), steps=0)
    assert result.path.tolist() == [[0.5, 0.5]] and result.lr.shape == (0,) and result.diverged_at is None


def test_momentum_annealing_ramps_linearly_from_mu0_to_mu_and_warmup_0_is_torchs_constant_momentum():
    surface = landscapes.get("quadratic", condition=50.0)
    constant = optimizers.run("momentum", surface, start=(-9.0, 3.0), steps=200, lr=0.01, momentum=0.9)
    unused = optimizers.run("momentum", surface, start=(-9.0, 3.0), steps=200, lr=0.01, momentum=0.9, momentum_start=0.1)
    np.testing.assert_array_equal(constant.path, unused.path)  # T = 0: μ₀ is never read
    from optimizers import anatomy

    replayed = anatomy.replay("momentum", surface, start=(-9.0, 3.0), steps=12, lr=0.01, momentum=0.9,
                              momentum_start=0.5, momentum_warmup=4)
    shown = [next(v for n, v in replayed.step(t).rows if n.startswith("μ (momentum")) for t in range(1, 8)]
    np.testing.assert_allclose(shown, [0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.9], rtol=1e-12)


# ----- what the new rules' notes say of them, on the runs ----------------------------------------------
@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_radam_s_first_five_steps_are_momentum_steps_and_the_sixth_is_rectified(landscape):
    """RAdam's note: with β₂ = 0.999, ρₜ ≤ 5 for t ≤ 5, so those steps are η·m̂ (no adaptive scale)."""
    lr = 1e-3
    r = optimizers.run("radam", landscape, steps=6, lr=lr)
    surface = landscapes.get(landscape)
    m = np.zeros(2)
    for t in range(1, 6):
        g = np.array(surface.grad(*r.path[t - 1]))
        m = 0.9 * m + 0.1 * g
        np.testing.assert_allclose(r.path[t] - r.path[t - 1], -lr * m / (1 - 0.9 ** t), rtol=1e-12, atol=1e-15)
    g = np.array(surface.grad(*r.path[5]))
    assert not np.allclose(r.path[6] - r.path[5], -lr * (0.9 * m + 0.1 * g) / (1 - 0.9 ** 6), rtol=1e-3)


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_adadelta_s_first_step_is_about_root_eps_over_root_one_minus_rho_whatever_the_gradient(landscape):
    r = optimizers.run("adadelta", landscape, steps=1)
    g = np.array(landscapes.get(landscape).grad(*r.path[0]))
    moved = np.abs(r.path[1] - r.path[0])
    expected = np.sqrt(1e-6) / np.sqrt(0.1) * np.ones(2)
    big = np.abs(g) > 1.0  # where |g| ≫ √ε/√(1−ρ) the step no longer depends on |g|
    assert big.any()
    np.testing.assert_allclose(moved[big], expected[big], rtol=1e-5)


@pytest.mark.parametrize("landscape", LANDSCAPES)
def test_lion_moves_every_coordinate_by_exactly_lr_per_step_without_weight_decay(landscape):
    r = optimizers.run("lion", landscape, steps=50, lr=0.01)
    steps = np.abs(np.diff(r.path, axis=0))
    assert np.all((np.abs(steps - 0.01) < 1e-12) | (steps == 0.0))


def test_rprop_leaves_a_coordinate_where_it_is_on_the_step_its_gradient_changes_sign():
    r = optimizers.run("rprop", "quadratic", start=(-9.0, 3.0), steps=40, lr=1.0)
    surface = landscapes.get("quadratic")
    g = np.array([surface.grad(*p) for p in r.path[:-1]])
    flips = 0
    previous = np.zeros(2)
    for t in range(len(g)):
        for i in (0, 1):
            if g[t, i] * previous[i] < 0:
                assert r.path[t + 1, i] == r.path[t, i]
                flips += 1
                previous[i] = 0.0
            else:
                previous[i] = g[t, i]
    assert flips > 0, "the run was meant to overshoot and flip"
