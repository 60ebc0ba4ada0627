"""Generic tests for every surface in the catalogue, and the classroom stories of the cliff and the plateau.

Every test that takes ``name`` runs once per registered surface, so a new surface file gets all of
them by adding its registry line (and its formula to ``SYMBOLIC`` below).
"""
import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from hypothesis import given, settings
from hypothesis import strategies as st

import landscapes
from landscapes import CATEGORIES, analysis

NAMES = landscapes.names()
EPS = np.finfo(float).eps


# ----- helpers --------------------------------------------------------------------------------
def rng_for(name: str, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng([sum(map(ord, name)), len(name), salt])


def draw_params(spec, rng) -> dict:
    """One value per Param, uniform in its range (log-uniform for log sliders)."""
    values = {}
    for p in spec.params:
        if p.log:
            values[p.name] = float(np.exp(rng.uniform(np.log(p.low), np.log(p.high))))
        else:
            values[p.name] = float(rng.uniform(p.low, p.high))
    return values


def surfaces_to_check(name: str, count: int = 3):
    """The surface at its defaults, at the low and high ends of its sliders, and at ``count`` random draws."""
    surface = landscapes.get(name)
    yield surface
    if surface.params:
        yield landscapes.get(name, **{p.name: p.low for p in surface.params})
        yield landscapes.get(name, **{p.name: p.high for p in surface.params})
        rng = rng_for(name, 1)
        for _ in range(count):
            yield landscapes.get(name, **draw_params(surface.spec, rng))


def draw_points(surface, rng, n: int):
    (x0, x1), (y0, y1) = surface.bounds
    return rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)


def hessian_parts(surface, x, y):
    h = surface.hessian(x, y)
    return h[..., 0, 0], h[..., 0, 1], h[..., 1, 1]


# ----- derivatives ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    for surface in surfaces_to_check(name):
        x, y = draw_points(surface, rng_for(name, 2), 40)
        h = 1e-7 * np.maximum(1.0, np.maximum(np.abs(x), np.abs(y)))
        f = surface.f(x, y)
        fd_x = (surface.f(x + h, y) - surface.f(x - h, y)) / (2 * h)
        fd_y = (surface.f(x, y + h) - surface.f(x, y - h)) / (2 * h)
        gx, gy = surface.grad(x, y)
        rounding = 10 * EPS * np.abs(f) / h  # what cancellation in f(x+h) - f(x-h) can cost
        for fd, exact, axis in ((fd_x, gx, "x"), (fd_y, gy, "y")):
            tolerance = 1e-6 * np.maximum(1.0, np.abs(exact)) + rounding
            bad = np.abs(fd - exact) > tolerance
            assert not bad.any(), f"{surface!r}: d/d{axis} at {x[bad][0], y[bad][0]}: exact {exact[bad][0]}, FD {fd[bad][0]}"


@pytest.mark.parametrize("name", NAMES)
def test_hessian_matches_central_differences_of_the_gradient(name):
    for surface in surfaces_to_check(name):
        x, y = draw_points(surface, rng_for(name, 3), 40)
        h = 1e-7 * np.maximum(1.0, np.maximum(np.abs(x), np.abs(y)))
        gx, gy = surface.grad(x, y)
        gx_px, gy_px = surface.grad(x + h, y)
        gx_mx, gy_mx = surface.grad(x - h, y)
        gx_py, gy_py = surface.grad(x, y + h)
        gx_my, gy_my = surface.grad(x, y - h)
        hxx, hxy, hyy = hessian_parts(surface, x, y)
        rounding = 10 * EPS * (np.abs(gx) + np.abs(gy)) / h
        checks = (
            ("hxx", hxx, (gx_px - gx_mx) / (2 * h)),
            ("hyy", hyy, (gy_py - gy_my) / (2 * h)),
            ("hxy (from gx)", hxy, (gx_py - gx_my) / (2 * h)),
            ("hxy (from gy)", hxy, (gy_px - gy_mx) / (2 * h)),
        )
        for label, exact, fd in checks:
            tolerance = 1e-6 * np.maximum(1.0, np.abs(exact)) + rounding
            bad = np.abs(fd - exact) > tolerance
            assert not bad.any(), f"{surface!r}: {label} at {x[bad][0], y[bad][0]}: exact {exact[bad][0]}, FD {fd[bad][0]}"


@pytest.mark.parametrize("name", NAMES)
def test_jitted_scalar_and_numpy_vectorized_paths_agree(name):
    for surface in surfaces_to_check(name, count=1):
        x, y = draw_points(surface, rng_for(name, 4), 25)
        vector = np.column_stack([surface.f(x, y), *surface.grad(x, y), *hessian_parts(surface, x, y)])
        scalar = np.array([[surface.f(a, b), *surface.grad(a, b), *surface.hessian(a, b)[[0, 0, 1], [0, 1, 1]]]
                           for a, b in zip(x, y)])
        assert all(isinstance(v, float) for v in (surface.f(x[0], y[0]), *surface.grad(x[0], y[0])))
        # numba's libm and NumPy's vectorized exp/sin may differ in the last bit, which cancellation amplifies
        scale = np.abs(scalar).max(axis=0)
        np.testing.assert_allclose(vector, scalar, rtol=1e-10, atol=1e-12 * scale.max() + 1e-300, err_msg=repr(surface))


# ----- an independent symbolic reference ----------------------------------------------------------
X, Y = sp.symbols("x y", real=True)
R = sp.Rational


def _sp_softplus(z):
    return sp.log(1 + sp.exp(z))


SYMBOLIC = {
    "quadratic": lambda p: (X**2 + p["condition"] * Y**2) / 2,
    "rotated_quadratic": lambda p: (
        ((X * sp.cos(p["angle"] * sp.pi / 180) + Y * sp.sin(p["angle"] * sp.pi / 180)) ** 2
         + p["condition"] * (Y * sp.cos(p["angle"] * sp.pi / 180) - X * sp.sin(p["angle"] * sp.pi / 180)) ** 2) / 2
    ),
    "rosenbrock": lambda p: (p["a"] - X) ** 2 + p["b"] * (Y - X**2) ** 2,
    "saddle": lambda p: X**2 - Y**2 + p["quartic"] * Y**4,
    "monkey_saddle": lambda p: X**3 - 3 * X * Y**2 + p["quartic"] * (X**2 + Y**2) ** 2,
    "double_well": lambda p: (X**2 - 1) ** 2 + Y**2 + p["tilt"] * X,
    "chain": lambda p: (1 - p["depth"] * X * Y) ** 2,
    "cliff": lambda p: (
        R(3, 4) * (sp.sqrt(R(9, 16) + (X + R(3, 2)) ** 2 + Y**2) - R(3, 4))
        + p["height"] / R(1, 4) * R(1, 2000) * (_sp_softplus(X * 2000) - _sp_softplus((X - R(1, 4)) * 2000))
    ),
    "plateau": lambda p: 1 - sp.exp(-(X**2 + Y**2) / (2 * p["width"] ** 2)),
    "himmelblau": lambda p: (X**2 + Y - 11) ** 2 + (X + Y**2 - 7) ** 2,
    "rastrigin": lambda p: 20 + X**2 - 10 * sp.cos(2 * sp.pi * X) + Y**2 - 10 * sp.cos(2 * sp.pi * Y),
    "ackley": lambda p: (
        -20 * sp.exp(-R(1, 5) * sp.sqrt((X**2 + Y**2) / 2))
        - sp.exp((sp.cos(2 * sp.pi * X) + sp.cos(2 * sp.pi * Y)) / 2) + sp.E + 20
    ),
    "six_hump_camel": lambda p: (4 - R(21, 10) * X**2 + X**4 / 3) * X**2 + X * Y + (-4 + 4 * Y**2) * Y**2,
    "flat_sharp": lambda p: (
        R(1, 40) * (X**2 + Y**2)
        - sp.exp(-((X + R(3, 2)) ** 2 + (Y + R(1, 2)) ** 2) / 2)
        - R(5, 4) * sp.exp(-((X - R(3, 2)) ** 2 + (Y - R(1, 2)) ** 2) / (2 * p["sharpness"] ** 2))
    ),
    "bowl": lambda p: p["curvature"] * (X**2 + Y**2) / 2,
    "booth": lambda p: (X + 2 * Y - 7) ** 2 + (2 * X + Y - 5) ** 2,
    "beale": lambda p: (R(3, 2) - X + X * Y) ** 2 + (R(9, 4) - X + X * Y**2) ** 2 + (R(21, 8) - X + X * Y**3) ** 2,
}


def test_every_surface_has_a_symbolic_reference():
    assert sorted(SYMBOLIC) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_value_gradient_and_hessian_match_a_symbolic_derivation(name):
    spec = landscapes.get(name).spec
    symbols = {p.name: sp.Symbol(p.name, real=True) for p in spec.params}
    f = SYMBOLIC[name](symbols)
    exprs = [f, sp.diff(f, X), sp.diff(f, Y), sp.diff(f, X, 2), sp.diff(f, X, Y), sp.diff(f, Y, 2)]
    # mpmath evaluates exactly where float64 would overflow (e^6000 inside the cliff's softplus)
    evaluate = sp.lambdify([X, Y, *symbols.values()], exprs, modules="mpmath")
    rng = rng_for(name, 5)
    for surface in surfaces_to_check(name, count=2):
        x, y = draw_points(surface, rng, 12)
        with mpmath.workdps(30):  # arguments as mpf, or NumPy would round 2000*x before mpmath sees it
            exact = np.array([[float(v) for v in evaluate(*map(mpmath.mpf, (a, b, *surface.param_tuple)))]
                              for a, b in zip(x, y)])
        mine = np.column_stack([surface.f(x, y), *surface.grad(x, y), *hessian_parts(surface, x, y)])
        np.testing.assert_allclose(mine, exact, rtol=1e-9, atol=1e-11 * np.abs(exact).max(), err_msg=repr(surface))


# ----- minima ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_every_listed_minimum_is_a_stationary_point_with_the_listed_value(name):
    for surface in surfaces_to_check(name):
        assert surface.minima, f"{surface!r} lists no minimum"
        for m in surface.minima:
            assert m.kind in ("global", "local")
            gx, gy = surface.grad(m.x, m.y)
            curvature = np.abs(surface.hessian(m.x, m.y)).max()
            # a gradient of this size is one rounding step of the location away from zero
            assert math.hypot(gx, gy) <= 1e-12 * max(1.0, curvature) * max(1.0, abs(m.x), abs(m.y)), (surface, m, gx, gy)
            assert surface.f(m.x, m.y) == pytest.approx(m.value, rel=1e-12, abs=1e-12), (surface, m)


@pytest.mark.parametrize("name", NAMES)
def test_the_hessian_at_every_listed_minimum_is_positive_semidefinite(name):
    for surface in surfaces_to_check(name):
        for m in surface.minima:
            h = surface.hessian(m.x, m.y)
            assert np.isfinite(h).all()
            assert np.linalg.eigvalsh(h).min() >= -1e-9 * max(1.0, np.abs(h).max()), (surface, m, h)


@pytest.mark.parametrize("name", NAMES)
def test_global_minima_are_the_lowest_listed(name):
    for surface in surfaces_to_check(name):
        values = [m.value for m in surface.minima]
        best = min(values)
        globals_ = [m for m in surface.minima if m.kind == "global"]
        assert globals_, f"{surface!r} lists no global minimum"
        for m in surface.minima:
            if m.kind == "global":
                assert m.value == pytest.approx(best, abs=1e-12), (surface, m)
            else:
                assert m.value > best + 1e-12, (surface, m)


# Published locations and values, to the precision the literature gives them.
LITERATURE = {
    "rosenbrock": (1e-9, [(1.0, 1.0, 0.0, "global")]),
    "himmelblau": (1e-6, [(3.0, 2.0, 0.0, "global"), (-2.805118, 3.131312, 0.0, "global"),
                          (-3.779310, -3.283186, 0.0, "global"), (3.584428, -1.848126, 0.0, "global")]),
    "rastrigin": (1e-9, [(0.0, 0.0, 0.0, "global")]),
    "ackley": (1e-9, [(0.0, 0.0, 0.0, "global")]),
    "six_hump_camel": (1e-4, [(0.0898, -0.7126, -1.0316, "global"), (-0.0898, 0.7126, -1.0316, "global"),
                              (-1.7036, 0.7961, -0.2155, "local"), (1.7036, -0.7961, -0.2155, "local"),
                              (-1.6071, -0.5687, 2.1043, "local"), (1.6071, 0.5687, 2.1043, "local")]),
    "beale": (1e-9, [(3.0, 0.5, 0.0, "global")]),
    "booth": (1e-9, [(1.0, 3.0, 0.0, "global")]),
}


@pytest.mark.parametrize("name", sorted(LITERATURE))
def test_standard_functions_list_the_published_minima(name):
    tolerance, published = LITERATURE[name]
    surface = landscapes.get(name)
    for x, y, value, kind in published:
        m, distance = surface.nearest_minimum(x, y)
        assert distance <= tolerance, f"{name}: no listed minimum within {tolerance} of ({x}, {y})"
        assert abs(m.value - value) <= tolerance and m.kind == kind, (name, m)
    assert len([m for m in surface.minima if m.kind == "global"]) == len([p for p in published if p[3] == "global"])


def test_rastrigin_lists_the_ring_of_nearest_local_minima():
    ring = [m for m in landscapes.get("rastrigin").minima if m.kind == "local"]
    assert sorted((round(m.x), round(m.y)) for m in ring) == sorted(
        (i, j) for i in (-1, 0, 1) for j in (-1, 0, 1) if (i, j) != (0, 0))


# ----- the chain of weights: a saddle at zero and a hyperbola of minima ------------------------------
def test_the_chains_origin_is_a_saddle_with_curvatures_minus_and_plus_two_c():
    for surface in surfaces_to_check("chain"):
        c = surface.param_values["depth"]
        assert surface.grad(0.0, 0.0) == (0.0, 0.0)
        np.testing.assert_allclose(np.linalg.eigvalsh(surface.hessian(0.0, 0.0)), [-2 * c, 2 * c], rtol=1e-15)
        assert analysis.curvature_at(surface, 0.0, 0.0).kind.startswith("saddle")


@settings(max_examples=200, deadline=None)
@given(depth=st.floats(0.25, 4.0), t=st.floats(0.1, 10.0), sign=st.sampled_from([1.0, -1.0]))
def test_every_point_of_the_chains_hyperbola_is_a_minimum_with_a_flat_direction_along_it(depth, t, sign):
    surface = landscapes.get("chain", depth=depth)
    x, y = sign * t / math.sqrt(depth), sign / (t * math.sqrt(depth))  # x·y = 1/c, up to rounding
    scale = max(abs(x), abs(y))
    assert surface.f(x, y) <= (10 * EPS) ** 2
    assert math.hypot(*surface.grad(x, y)) <= 1e-14 * depth * scale
    values, vectors = np.linalg.eigh(surface.hessian(x, y))
    across = 2 * depth**2 * (x * x + y * y)
    assert abs(values[0]) <= 1e-14 * across and values[1] == pytest.approx(across, rel=1e-13)
    along = np.array([x, -y]) / math.hypot(x, y)  # the hyperbola's tangent: d(xy) = y dx + x dy = 0
    assert abs(vectors[:, 0] @ along) == pytest.approx(1.0, abs=1e-12)


def test_the_chains_listed_minima_are_the_two_balanced_points_of_its_hyperbola():
    for surface in surfaces_to_check("chain"):
        c = surface.param_values["depth"]
        assert len(surface.minima) == 2
        for m in surface.minima:
            assert m.kind == "global" and m.value == 0.0 and m.x == m.y
            assert c * m.x * m.y == pytest.approx(1.0, rel=1e-15)
        assert {math.copysign(1.0, m.x) for m in surface.minima} == {1.0, -1.0}


@pytest.mark.parametrize("depth", [0.25, 1.0, 4.0])
def test_the_chains_distance_to_its_valley_equals_a_dense_sampling_of_the_hyperbola(depth):
    from landscapes.chain import distance_to_valley

    rng = np.random.default_rng(11)
    r = 1 / math.sqrt(depth)
    x, y = rng.uniform(-4, 4, 400), rng.uniform(-4, 4, 400)
    on = np.geomspace(0.05, 20, 7)
    # the origin, beside it, on the hyperbola (both branches), and beyond the vertex's centre of curvature
    x = np.concatenate([x, [0.0, 1e-9, -1e-3], on / math.sqrt(depth), -on / math.sqrt(depth), [2 * r, 2 * r + 1e-9, 3.0]])
    y = np.concatenate([y, [0.0, 0.0, 2e-3], 1 / (depth * on / math.sqrt(depth)), -1 / (depth * on / math.sqrt(depth)),
                        [2 * r, 2 * r, 3.0]])
    distance = distance_to_valley(x, y, {"depth": depth})
    t = np.geomspace(1e-4, 1e4, 400_001)
    t = np.concatenate([t, -t])
    dense = np.array([np.min(np.hypot(a - t, b - 1 / (depth * t))) for a, b in zip(x, y)])
    # the sampling's spacing (relative, 2.3e-5) leaves it above the exact distance, by up to 5e-4 at |t| = 20, never below
    assert np.all(distance <= dense + 1e-12)
    assert np.all(distance >= dense - 1e-3)
    assert np.all(distance[403:417] < 1e-12)  # the points on the hyperbola


def test_a_gradient_descent_run_ending_on_the_chains_valley_away_from_the_stars_is_at_a_minimum():
    import optimizers

    surface = landscapes.get("chain")
    result = optimizers.run("sgd", surface, start=(2.5, 0.2), steps=300, lr=0.05)
    x, y = result.path[-1]
    assert result.loss[-1] < 1e-12 and min(math.hypot(x - m.x, y - m.y) for m in surface.minima) > 1.0
    minimum, distance = surface.nearest_minimum(x, y)
    assert distance < 1e-6 and minimum.x > 0  # on the branch w₁, w₂ > 0
    assert "branch w₁, w₂ > 0" in surface.minimum_name(surface.minima.index(minimum))


def test_the_chains_depth_factor_only_rescales_the_weights_and_the_gradient():
    # f_c(w) = f_1(√c·w), so ∇f_c(w) = √c·∇f_1(√c·w): a step of η at depth c is a step of c·η at depth 1
    one = landscapes.get("chain", depth=1.0)
    for surface in surfaces_to_check("chain"):
        root = math.sqrt(surface.param_values["depth"])
        x, y = draw_points(surface, rng_for("chain", 6), 30)
        np.testing.assert_allclose(surface.f(x, y), one.f(root * x, root * y), rtol=1e-12, atol=1e-15)
        for mine, scaled in zip(surface.grad(x, y), one.grad(root * x, root * y)):
            np.testing.assert_allclose(mine, root * scaled, rtol=1e-12, atol=1e-14)


# ----- metadata -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_metadata_is_complete(name):
    surface = landscapes.get(name)
    assert surface.name == name
    assert surface.category in CATEGORIES
    for text in (surface.title, surface.description, surface.formula):
        assert isinstance(text, str) and text.strip()
    (x0, x1), (y0, y1) = surface.bounds
    assert x0 < x1 and y0 < y1
    assert surface.spec.escape_factor > 1


@pytest.mark.parametrize("name", NAMES)
def test_starts_lie_inside_the_bounds_with_a_finite_loss(name):
    surface = landscapes.get(name)
    (x0, x1), (y0, y1) = surface.bounds
    assert 1 <= len(surface.starts) <= 3
    for x, y in surface.starts:
        assert x0 <= x <= x1 and y0 <= y <= y1, (x, y)
        assert all(math.isfinite(v) for v in (surface.f(x, y), *surface.grad(x, y))), (x, y)
        assert np.isfinite(surface.hessian(x, y)).all()


@pytest.mark.parametrize("name", NAMES)
def test_param_defaults_lie_within_their_ranges(name):
    for p in landscapes.get(name).params:
        assert p.low <= p.default <= p.high, p
        assert p.label and not (p.log and p.low <= 0), p


@pytest.mark.parametrize("name", NAMES)
def test_with_params_rejects_unknown_names_and_out_of_range_values(name):
    surface = landscapes.get(name)
    with pytest.raises(ValueError, match="Unknown parameter"):
        surface.with_params(no_such_parameter=1.0)
    for p in surface.params:
        span = p.high - p.low
        for bad in (p.low - span - 1.0, p.high + span + 1.0, float("nan"), "steep"):
            with pytest.raises(ValueError, match=p.name):
                surface.with_params(**{p.name: bad})
        assert surface.with_params(**{p.name: p.high}).param_values[p.name] == p.high


def test_an_unknown_name_raises_and_lists_the_valid_names():
    with pytest.raises(ValueError, match="nope") as caught:
        landscapes.get("nope")
    assert all(name in str(caught.value) for name in NAMES)


def test_the_registry_is_grouped_by_category_in_display_order():
    order = [CATEGORIES.index(spec.category) for spec in landscapes.SURFACES]
    assert order == sorted(order)
    assert len(set(NAMES)) == len(NAMES)


# ----- grids ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_evaluation_on_a_grid_has_the_grid_shape_and_equals_scalar_evaluation(name):
    surface = landscapes.get(name)
    (x0, x1), (y0, y1) = surface.bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, 7), np.linspace(y0, y1, 5))
    values = surface.f(gx, gy)
    assert values.shape == (5, 7) and np.isfinite(values).all()
    scalar = np.array([[surface.f(a, b) for a, b in zip(row_x, row_y)] for row_x, row_y in zip(gx, gy)])
    np.testing.assert_allclose(values, scalar, rtol=1e-12, atol=1e-12 * np.abs(scalar).max())


# ----- classroom stories, run through the engine ---------------------------------------------------
CLIFF_LR = 0.1  # the value the cliff's description recommends


def test_plain_sgd_is_catapulted_off_the_cliff():
    import optimizers

    result = optimizers.run("sgd", "cliff", steps=200, lr=CLIFF_LR)
    assert result.diverged_at is not None
    # the last recorded point is at the foot of the face: the next step was the catapult
    assert 0.0 <= result.path[-1, 0] <= 0.25


def test_gradient_clipping_carries_sgd_safely_down_the_cliff():
    import optimizers

    result = optimizers.run("sgd", "cliff", steps=200, lr=CLIFF_LR, clip_norm=1.0)
    assert result.diverged_at is None
    minimum, distance = result.landscape.nearest_minimum(*result.final)
    assert minimum.kind == "global" and distance < 1e-3


def _steps_to_reach(result, loss):
    below = np.flatnonzero(result.loss < loss)
    return int(below[0]) if below.size else math.inf


@pytest.mark.parametrize("lr", [0.01, 0.1])
@pytest.mark.parametrize("adaptive", ["adam", "rmsprop"])
def test_adaptive_methods_cross_the_plateau_far_sooner_than_sgd(adaptive, lr):
    import optimizers

    well = 0.5  # loss half-way down the well
    sgd = _steps_to_reach(optimizers.run("sgd", "plateau", steps=10_000, lr=lr), well)
    fast = _steps_to_reach(optimizers.run(adaptive, "plateau", steps=10_000, lr=lr), well)
    assert fast * 10 <= sgd, (fast, sgd)


def test_gradient_descent_started_on_the_chains_line_w1_equals_minus_w2_slides_into_the_saddle():
    import optimizers

    on_line = optimizers.run("sgd", "chain", start=(1.5, -1.5), steps=300, lr=0.05)
    assert math.hypot(*on_line.final) < 1e-9  # the line is the saddle's downhill-free direction: it stays on it
    beside = optimizers.run("sgd", "chain", start=(1.5, -1.49), steps=300, lr=0.05)
    assert beside.loss[-1] < 1e-12 and beside.final[0] * beside.final[1] == pytest.approx(1.0)


def test_a_small_step_on_the_chain_keeps_w1_squared_minus_w2_squared_so_the_start_picks_the_minimum():
    import optimizers

    for start in [(2.5, 0.2), (0.3, -2.0), (-1.0, -0.2)]:
        result = optimizers.run("sgd", "chain", start=start, steps=3000, lr=0.002)
        x, y = result.final
        assert result.loss[-1] < 1e-12
        assert x * x - y * y == pytest.approx(start[0] ** 2 - start[1] ** 2, abs=0.01), (start, result.final)
