"""Why a run diverges (optimizers.stability) and the other points a rule looks at (companions), against
the runs themselves: on a quadratic the stability limits are exact, so the chart's line must separate
the runs that diverge from those that converge."""
from __future__ import annotations

import math

import landscapes
import numpy as np
import optimizers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from optimizers import anatomy, stability

import reference

STEPS = 800
# Away from the line itself: at η·λ = 2(1 ± δ) the error grows or shrinks by about δ per step, and a run
# must grow by the escape factor (100) within STEPS steps to leave the plot.
MARGIN = 0.03


def quadratic(condition: float):
    return landscapes.get("quadratic").with_params(condition=condition)


def limit_of(name: str, momentum: float) -> float:
    """The textbook constants: η·λmax below them, a step on a quadratic shrinks every error component."""
    if name == "sgd":
        return 2.0
    if name == "momentum":
        return 2.0 * (1.0 + momentum)
    return 2.0 * (1.0 + momentum) / (1.0 + 2.0 * momentum)


@pytest.mark.parametrize("name", ["sgd", "momentum", "nesterov"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(condition=st.floats(1.0, 500.0), share=st.floats(0.2, 1.8).filter(lambda s: abs(s - 1.0) > MARGIN),
       momentum=st.floats(0.0, 0.95))
def test_on_a_quadratic_a_run_diverges_exactly_when_the_chart_puts_it_over_its_limit(name, condition, share, momentum):
    momentum = 0.0 if name == "sgd" else max(momentum, 0.05)
    surface = quadratic(condition)
    lr = share * limit_of(name, momentum) / condition
    result = optimizers.run(name, surface, start=(-9.0, 3.0), steps=STEPS, lr=lr,
                            **({} if name == "sgd" else {"momentum": momentum}))
    traced = stability.along(result)
    assert traced.constant is not None
    np.testing.assert_allclose(traced.constant, limit_of(name, momentum), rtol=1e-12)
    np.testing.assert_allclose(traced.largest_eigenvalue, condition if condition > 1 else 1.0, rtol=1e-12)
    over = traced.first_unstable() is not None
    assert over == (share > 1.0)
    assert (result.diverged_at is not None) == over, (lr, condition, momentum, result.diverged_at)
    if over:
        assert traced.reason(result.diverged_at).startswith("step 1: η·λmax = ")
    else:
        assert traced.reason(result.diverged_at) == ""


def test_the_reason_names_the_step_the_ratio_and_the_limit():
    result = optimizers.run("sgd", quadratic(10.0), start=(-9.0, 3.0), steps=200, lr=0.21)
    assert stability.along(result).reason(result.diverged_at) == \
        f"step 1: η·λmax = 2.1 > 2 (over the stability limit); left the plot at step {result.diverged_at}"
    result = optimizers.run("momentum", quadratic(10.0), start=(-9.0, 3.0), steps=200, lr=0.4, momentum=0.9)
    assert stability.along(result).reason(result.diverged_at).startswith("step 1: η·λmax = 4 > 2(1 + μ) = 3.8 (over the stability limit)")


def test_a_run_carried_out_of_the_plot_under_its_limit_is_not_called_unstable():
    from landscapes import formula

    # a slope that never ends: gradient descent walks off the plot with the curvature far under its limit
    surface = formula.from_formula("2*x + 0.1*y**2")
    result = optimizers.run("sgd", surface, start=(0.0, 1.0), steps=3000, lr=0.1)
    assert result.diverged_at is not None
    assert stability.along(result).reason(result.diverged_at) == (
        f"left the plot at step {result.diverged_at} with η·λmax under 2 all along: not an oscillation; the run was carried out")


def test_annealed_momentum_moves_the_limit_step_by_step():
    result = optimizers.run("momentum", quadratic(10.0), steps=60, lr=0.01, momentum=0.9, momentum_start=0.5,
                            momentum_warmup=40)
    constant = stability.along(result).constant
    t = np.arange(1, 61)
    mu = np.where(t > 40, 0.9, 0.5 + 0.4 * (t - 1) / 40)
    np.testing.assert_allclose(constant, 2 * (1 + mu), rtol=1e-12)


@pytest.mark.parametrize("name, settings", [
    ("adam", {}), ("adam", {"amsgrad": True, "weight_decay": 0.1}), ("adam_nobias", {}), ("adamw", {}),
    ("rmsprop", {"centered": True}), ("rmsprop", {"momentum": 0.5}), ("adagrad", {"lr_decay": 0.1}),
])
def test_an_adaptive_rule_s_sharpness_is_that_of_its_preconditioned_hessian(name, settings):
    """λmax(P⁻¹H) from the preconditioner written out here from each rule's update (its state replayed)."""
    surface = landscapes.get("rosenbrock")
    lr = 0.01
    result = optimizers.run(name, surface, steps=80, lr=lr, noise=0.5, seed=4, **settings)
    traced = stability.along(result, noise=0.5, seed=4, lr=lr, **settings)
    states = anatomy.replay(name, surface, steps=80, lr=lr, noise=0.5, seed=4, **settings).states[1:]
    values = optimizers.get(name).resolve(dict(settings, lr=lr))
    t = np.arange(1, 81)[:, None]
    if name.startswith("adam"):
        beta1, beta2 = values["betas"]
        v = states[:, 4:6] if values["amsgrad"] else states[:, 2:4]
        p = np.sqrt(v) + values["eps"] if name == "adam_nobias" else \
            (1 - beta1 ** t) * (np.sqrt(v / (1 - beta2 ** t)) + values["eps"])
        constant, decay = 2 * (1 + beta1) / (1 - beta1), 0.0 if name == "adamw" else values["weight_decay"]
    elif name == "rmsprop":
        v = states[:, 0:2] - (states[:, 2:4] ** 2 if values["centered"] else 0)
        p, constant, decay = np.sqrt(v) + values["eps"], 2 * (1 + values["momentum"]), values["weight_decay"]
    else:
        p = (1 + (t - 1) * values["lr_decay"]) * (np.sqrt(states[:, 0:2]) + values["eps"])
        constant, decay = 2.0, values["weight_decay"]
    expected = []
    for k in range(80):
        h = np.array(surface.hessian(*result.path[k]), dtype=float).reshape(2, 2) + decay * np.eye(2)
        expected.append(max(np.linalg.eigvals(np.diag(1 / p[k]) @ h).real))
    np.testing.assert_allclose(traced.sharpness, expected, rtol=1e-6)
    np.testing.assert_allclose(traced.constant, constant, rtol=1e-12)
    assert traced.sharpness_name == "λmax(P⁻¹H)"


def test_a_rule_without_a_simple_limit_shows_its_curvature_and_says_so_when_it_leaves():
    result = optimizers.run("lion", quadratic(10.0), steps=300, lr=5.0)
    traced = stability.along(result)
    assert traced.constant is None and traced.first_unstable() is None
    np.testing.assert_allclose(traced.sharpness, 10.0)
    if result.diverged_at is not None:
        assert "no simple limit" in traced.reason(result.diverged_at)


# ----- the points a rule looks at besides where it stands -------------------------------------------------
@pytest.mark.parametrize("name", ["sf_sgd", "sf_adamw"])
def test_schedule_free_companions_are_the_y_and_z_of_the_authors_reference(name):
    surface = landscapes.get("rosenbrock")
    lr = 1e-3 if name == "sf_sgd" else 0.02
    replayed = anatomy.replay(name, surface, steps=60, lr=lr, warmup_steps=5)
    trails = anatomy.companion_trails(replayed)
    y, z = trails["y (gradient taken here)"], trails["z (base sequence)"]
    settings_ = dict(reference.DEFAULTS[name], warmup_steps=5)
    settings_.pop("lr")
    rule = reference.ALGORITHMS[name](**settings_)
    beta = rule.beta
    for k in range(60):
        theta = list(replayed.path[k])
        np.testing.assert_allclose(z[k], theta if k == 0 else rule.z, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(y[k], theta if k == 0 else [beta * theta[i] + (1 - beta) * rule.z[i] for i in (0, 1)],
                                   rtol=1e-12, atol=1e-12)
        oracle = reference.StepOracle(surface, k + 1, 0, 0.0, None, None)
        rule.step(k + 1, theta, None, None, lr, oracle)


def test_sam_s_companion_is_its_ascent_point_a_distance_rho_up_the_gradient():
    surface = landscapes.get("himmelblau")
    replayed = anatomy.replay("sam", surface, steps=40, lr=0.01, rho=0.3)
    probes = anatomy.companion_trails(replayed)["ascent point θ + ρg/‖g‖"]
    for k in range(40):
        g = np.array(surface.grad(*replayed.path[k]))
        np.testing.assert_allclose(probes[k], replayed.path[k] + 0.3 * g / np.linalg.norm(g), rtol=1e-12, atol=1e-12)
    assert math.isclose(float(np.linalg.norm(probes[5] - replayed.path[5])), 0.3, rel_tol=1e-12)


def test_rules_that_look_only_where_they_stand_have_no_companions():
    looks_elsewhere = {name for name in optimizers.names() if anatomy.has_companions(name)}
    assert looks_elsewhere == {"sf_sgd", "sf_adamw", "sam"}


def test_the_gradients_an_adaptive_rule_saw_are_rebuilt_with_the_run_s_noise_and_clipping():
    """Adam's v from the chart's rebuilt gradients equals the kernel's own v (its replayed state)."""
    surface = landscapes.get("himmelblau")
    oracle = dict(noise=2.0, seed=11, clip_value=3.0, clip_norm=2.5)
    result = optimizers.run("adam", surface, steps=120, lr=0.05, **oracle)
    seen = stability.seen_gradients(result, surface, **oracle)
    replayed = anatomy.replay("adam", surface, steps=120, lr=0.05, **oracle)
    np.testing.assert_allclose(seen, replayed.gradient, rtol=1e-12, atol=1e-12)
    v = stability.running_mean(seen * seen, 0.999)
    np.testing.assert_allclose(v, replayed.states[1:, 2:4], rtol=1e-12)
