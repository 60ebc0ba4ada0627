"""Property tests: whatever valid settings a student picks, a run returns finite data and ends
either after ``steps`` steps or exactly where it diverged.

Every hyperparameter is drawn across its whole declared range, ends and extremes included
(lr from subnormal to 1e6, momentum 0.999999, eps tiny, betas near 1, noise up to 1e3, clipping
thresholds tiny and huge, every schedule with its own parameters), on every surface with its
shape parameters drawn too. Numba compiles a kernel per (surface, optimizer) pair the first time
it is used (~2 s, ~10 s for L-BFGS), so each optimizer gets a handful of examples.
"""
from __future__ import annotations

import math

import landscapes
import numpy as np
import optimizers
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

NAMES = optimizers.names()

# Values every float hyperparameter is tried at when its range allows: the ends of the app's
# sliders and beyond, where torch still accepts the value.
EXTREMES = (0.0, 5e-324, 1e-300, 1e-12, 1e-8, 1e-3, 0.1, 0.5, 0.9, 0.99, 0.999999, 1.0, 2.0, 10.0, 1e3, 1e6)


def _valid(hyper, value) -> bool:
    try:
        hyper.validate((value, value) if hyper.kind == "pair" else value)
    except ValueError:
        return False
    return True


def number_in_range(hyper):
    """Any float the Hyper accepts: its extremes, uniform draws, and log-uniform draws."""
    low, high = hyper.low, hyper.high
    options = [st.floats(min_value=low, max_value=high, exclude_min=hyper.low_open, exclude_max=hyper.high_open,
                         allow_nan=False, allow_infinity=False)]
    extremes = [v for v in EXTREMES if _valid(hyper, v)]
    if extremes:
        options.append(st.sampled_from(extremes))
    if low >= 0.0 and high > 0.0:
        # log-uniform between max(low, 1e-12) and high, kept off an open end (10**-1e-9 < 1)
        smallest = math.log10(max(low, 1e-12)) + (1e-9 if hyper.low_open and low > 0.0 else 0.0)
        largest = math.log10(high) - (1e-9 if hyper.high_open else 0.0)
        options.append(st.floats(smallest, largest).map(lambda e: 10.0**e).filter(lambda v: _valid(hyper, v)))
    return st.one_of(options)


def value_of(hyper):
    if hyper.kind == "bool":
        return st.booleans()
    if hyper.kind == "int":
        return st.one_of(st.sampled_from([int(hyper.low), int(hyper.high)]), st.integers(int(hyper.low), int(hyper.high)))
    if hyper.kind == "pair":
        return st.tuples(number_in_range(hyper), number_in_range(hyper))
    if hyper.kind == "choice":
        return st.sampled_from(hyper.choices)
    return number_in_range(hyper)


@st.composite
def hyperparameters(draw, name):
    spec = optimizers.get(name)
    values = {h.name: draw(st.one_of(st.just(h.default), value_of(h))) for h in spec.hypers}
    if values.get("nesterov"):  # torch's rule: Nesterov needs momentum > 0 and no dampening
        values["dampening"] = 0.0
        if values["momentum"] == 0.0:
            values["momentum"] = draw(number_in_range(spec.hyper("momentum")).filter(lambda m: m > 0.0))
    try:
        spec.resolve(values)
    except ValueError:  # a rule across settings (Rprop's 0 < η₋ < 1 < η₊) refused this draw
        assume(False)
    return values


@st.composite
def schedules(draw):
    name = draw(st.sampled_from(list(optimizers.SCHEDULES)))
    schedule = {"name": name}
    for hyper in optimizers.SCHEDULES[name]["params"]:
        if draw(st.booleans()):
            schedule[hyper.name] = draw(value_of(hyper))
    return schedule


@st.composite
def surfaces_and_starts(draw):
    surface = landscapes.get(draw(st.sampled_from(landscapes.names())))
    params = {}
    for param in surface.params:
        if draw(st.booleans()):
            params[param.name] = draw(st.one_of(st.sampled_from([param.low, param.high]),
                                                st.floats(param.low, param.high)))
    surface = surface.with_params(**params) if params else surface
    (x0, x1), (y0, y1) = surface.bounds
    start = draw(st.one_of(st.sampled_from(surface.starts),
                           st.tuples(st.floats(x0, x1), st.floats(y0, y1))))
    return surface, start


thresholds = st.one_of(st.none(), st.just(math.inf), st.sampled_from([1e-300, 1e-12, 1e-3, 1.0, 1e3, 1e12]),
                       st.floats(1e-12, 1e12))

oracles = st.fixed_dictionaries({
    "noise": st.one_of(st.just(0.0), st.sampled_from([1e-12, 1.0, 1e3]), st.floats(0.0, 1e3)),
    "seed": st.one_of(st.sampled_from([0, 2**63 - 1]), st.integers(0, 2**63 - 1)),
    "clip_norm": thresholds,
    "clip_value": thresholds,
})


def _run_or_reject(*args, **kwargs):
    try:
        return optimizers.run(*args, **kwargs)
    except ValueError as error:  # a start where the loss or its gradient is not finite is refused
        assume("Invalid start" not in str(error))
        raise


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_any_valid_settings_give_a_finite_run_that_ends_after_all_steps_or_where_it_diverged(name, data):
    surface, start = data.draw(surfaces_and_starts(), label="surface, start")
    hyper = data.draw(hyperparameters(name), label="hyperparameters")
    schedule = data.draw(schedules(), label="schedule")
    oracle = data.draw(oracles, label="oracle")
    steps = data.draw(st.integers(0, 200), label="steps")

    result = _run_or_reject(name, surface, start=start, steps=steps, schedule=schedule, **oracle, **hyper)

    n = len(result.path)
    for array in (result.path, result.loss, result.grad_norm, result.lr):
        assert np.isfinite(array).all()
    assert result.path.shape == (n, 2) and result.loss.shape == (n,) and result.grad_norm.shape == (n,)
    assert len(result.lr) == n - 1
    assert 1 <= n <= steps + 1
    assert tuple(result.path[0]) == (float(start[0]), float(start[1]))
    if n < steps + 1:
        assert result.diverged_at == n
    else:
        assert result.diverged_at is None
    x_low, x_high, y_low, y_high = surface.escape_box
    assert ((x_low <= result.path[:, 0]) & (result.path[:, 0] <= x_high)).all()
    assert ((y_low <= result.path[:, 1]) & (result.path[:, 1] <= y_high)).all()

    again = optimizers.run(name, surface, start=start, steps=steps, schedule=schedule, **oracle, **hyper)
    np.testing.assert_array_equal(again.path, result.path)  # reproducible from the seed alone
