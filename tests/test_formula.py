"""Formulas typed by students: hostile text is refused before anything runs, valid text is exact."""
import builtins
import json
import math
import os
import pathlib
import re
import subprocess
import sys
import textwrap
import time

import landscapes
import numpy as np
import optimizers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from landscapes import FormulaError, formula

ROOT = pathlib.Path(__file__).resolve().parent.parent
formula._tools()  # import sympy now, so the eval/exec spies below see only what a formula triggers
# The suite builds hundreds of formulas in one process; the server's limit is tested on its own below.
formula.MAX_FORMULAS_PER_PROCESS = 10**6
SENTINEL = pathlib.Path("/tmp/landscape-formula-sentinel")
_TOUCH = f"open('{SENTINEL}', 'w')"

HOSTILE = {
    "import-os-system": f"__import__('os').system('touch {SENTINEL}')",
    "open-builtin": _TOUCH,
    "exec-builtin": f'exec("{_TOUCH}")',
    "eval-builtin": f'eval("{_TOUCH}")',
    "compile-builtin": "compile('1', 'f', 'eval')",
    "globals": "globals()",
    "builtins-name": "__builtins__",
    "class-of-tuple": "().__class__",
    "subclasses-walk": "().__class__.__bases__[0].__subclasses__()",
    "dunder-attribute": "x.__class__",
    "numpy-attribute": "np.sin(x)",
    "lambda": "(lambda: 0)()",
    "lambda-payload": f"(lambda: {_TOUCH})()",
    "list-comprehension": "[i for i in range(9)]",
    "comprehension-payload": f"[{_TOUCH} for i in (1,)]",
    "generator": "sum(i for i in x)",
    "walrus": "(z := 2) * x",
    "f-string": "f'{x}'",
    "string": "'x' * 3",
    "subscript": "x[0]",
    "comparison": "x < y",
    "conditional": "x if y else 1",
    "boolean": "x and y",
    "tuple": "x, y",
    "keyword-argument": "sin(x=1)",
    "starred": "max(*x)",
    "tower-9": "9**9**9",
    "tower-10": "10**10**10",
    "tower-caret": "9^9^9",
    "huge-exponent": "x**1000",
    "variable-tower": "2**2**2**x",
    "huge-literal": "1e400 * x",
    "overflowing-constant": "exp(1000) * x",
    "very-long": "x" * 10000,
    "long-string-product": "'x'*10000",
    "deep-parentheses": "(" * 500 + "x" + ")" * 500,
    "deep-unary": "-" * 250 + "x",
    "many-nodes": "+".join(["x"] * 150),
    "fullwidth-x": "ｘ + y",
    "cyrillic-x": "х + y",
    "greek-omicron-in-cos": "cοs(x)",
    "math-italic-x": "𝑥 + y",
    "zero-width-space": "x\u200b + y",
    "newline": "x\n+ y",
    "backslash-continuation": "x + \\\ny",
    "null-byte": "x\x00",
    "unknown-name": "open",
    "unknown-function": "system(x)",
    "complex": "1j * x",
    "modulo": "x % 2",
    "matmul": "x @ y",
    "bitwise-not": "~x",
    "empty": "   ",
    "nested-functions": "sin(" * 12 + "x" + ")" * 12,
    "hessian-blowup": "*".join(f"sin({i}*x+y)" for i in range(1, 13)),
}


def _payload_free_run(text):
    """from_formula(text) with eval/exec/compile of user text spied on: returns the refusal."""
    calls = []
    real = {name: getattr(builtins, name) for name in ("eval", "exec", "__import__")}
    # exec of the printer's generated source is expected only for accepted formulas; the spy records any call
    with pytest.MonkeyPatch.context() as patch:
        for name, function in real.items():
            def spy(*args, _name=name, _function=function, **kwargs):
                if _name != "__import__":
                    calls.append((_name, str(args[0])[:80]))
                return _function(*args, **kwargs)
            patch.setattr(builtins, name, spy)
        with pytest.raises(ValueError) as refusal:
            landscapes.from_formula(text)
    return refusal.value, calls


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_formula_is_refused_with_a_position_and_nothing_runs(text):
    SENTINEL.unlink(missing_ok=True)
    began = time.perf_counter()
    error, calls = _payload_free_run(text)
    assert time.perf_counter() - began < 2.0, "a refusal must be cheap: work per request is bounded"
    assert isinstance(error, FormulaError)
    assert re.match(r"position \d+: \S", str(error)), str(error)
    assert 1 <= error.position <= min(len(text), formula.MAX_LENGTH) + 1
    assert calls == [], f"eval/exec ran while refusing: {calls}"
    assert not SENTINEL.exists(), "the payload ran"


@pytest.mark.parametrize("text, position, words", [
    ("sinn(x)", 1, "unknown function 'sinn' - did you mean 'sin'?"),
    ("x + sinn(y)", 5, "did you mean 'sin'?"),
    ("x^2 + Y", 7, "unknown name 'Y' - did you mean 'y'?"),
    ("  sqr(x)", 3, "did you mean 'sqrt'?"),
    ("ｘ + y", 1, "did you mean 'x'?"),
    ("x + х", 5, "CYRILLIC SMALL LETTER HA"),
    ("x² + y", 2, "did you mean '^2'?"),
    ("x^2 +", 6, "ends too early"),
    ("2x + y", 1, "write every multiplication with *"),
    ("(x + y", 1, "never closed"),
    ("x % 2", 3, "the operator '%' is not allowed"),
    ("x + 9**9**9", 6, "exponent 3.8742e+08 is too large"),
    ("x + 2^2^2^x", 6, "power tower"),
    ("x + y.real", 6, "attribute access ('.real')"),
    ("x / 0", 3, "division by zero"),
    ("sin(x, y)", 1, "sin() takes 1 argument, not 2"),
    ("min(x)", 1, "min() takes 2 to 8 arguments, not 1"),
    ("x * sigmoid", 5, "'sigmoid' is a function"),
    ("x(y + 1)", 1, "'x' is not a function"),
    ("3 + 4", 1, "the formula is constant"),
    ("x - x + 1", 1, "the formula is constant"),
    ("sin(x)^2 + cos(x)^2", 1, "the formula is constant"),
    ("x^2 + log(x)", 7, "not finite over the bounds"),
    ("y^2 + sqrt(x)", 7, "not finite over the bounds"),
    ("x^2 + 1/y", 8, "not finite over the bounds"),
])
def test_a_refusal_names_the_position_and_says_why_in_plain_words(text, position, words):
    with pytest.raises(FormulaError) as refusal:
        landscapes.from_formula(text)
    assert refusal.value.position == position, str(refusal.value)
    assert words in str(refusal.value)
    assert str(refusal.value).startswith(f"position {position}: ")


def test_the_caret_and_power_spellings_are_the_same_surface_and_the_same_kernel():
    a = landscapes.from_formula("x^2 + 10*y^2")
    b = landscapes.from_formula("x**2 + 10 * y**2")
    assert a.index == b.index and a.name == b.name
    assert a.index >= formula.FORMULA_ID_BASE


def test_a_formula_that_is_finite_on_other_bounds_is_accepted_there():
    with pytest.raises(FormulaError, match="not finite over the bounds"):
        landscapes.from_formula("log(x) + y^2")
    surface = landscapes.from_formula("log(x) + y^2", bounds=((0.5, 3), (-2, 2)))
    assert surface.f(1.0, 0.0) == 0.0


@pytest.mark.parametrize("bounds", [((1, -1), (0, 1)), ((0, 1),), ((0, float("nan")), (0, 1)), ((0, 1e9), (0, 1)), "x",
                                    ((0, 0), (0, 1))])
def test_invalid_bounds_raise_a_value_error_that_says_what_is_allowed(bounds):
    with pytest.raises(ValueError, match="Invalid bounds"):
        landscapes.from_formula("x^2 + y^2", bounds=bounds)


# ----- valid formulas: exact values, gradients and Hessians -------------------------------------------
def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


VALID = {
    # text: (reference value written independently in NumPy, bounds)
    "x**2 + 10*y**2": (lambda x, y: x**2 + 10 * y**2, None),
    "(1-x)^2 + 100*(y-x^2)^2": (lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2, ((-2, 2), (-1, 3))),
    "sin(3*x)*cos(3*y) + 0.1*(x^2+y^2)": (lambda x, y: np.sin(3 * x) * np.cos(3 * y) + 0.1 * (x**2 + y**2), None),
    "log(1 + exp(x - y))": (lambda x, y: np.log(1 + np.exp(x - y)), None),
    "-x^2 + 3*y^2 + x^4/4": (lambda x, y: -(x**2) + 3 * y**2 + x**4 / 4, None),
    "tanh(x) * y^2 + sigmoid(x - y) + softplus(2*y)":
        (lambda x, y: np.tanh(x) * y**2 + _sigmoid(x - y) + np.log1p(np.exp(2 * y)), None),
    "sqrt(1 + x^2 + y^2) + atan(x*y)": (lambda x, y: np.sqrt(1 + x**2 + y**2) + np.arctan(x * y), None),
    "exp(-(x^2 + y^2)) * -2 + 0.05 * (x^2 + y^2)":
        (lambda x, y: np.exp(-(x**2 + y**2)) * -2 + 0.05 * (x**2 + y**2), None),
    "(x^2 + y - 11)^2 + (x + y^2 - 7)^2": (lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2, ((-5, 5), (-5, 5))),
    "2^x + x^y + cosh(y/2) + pi*e": (lambda x, y: 2.0**x + x**y + np.cosh(y / 2) + np.pi * np.e, ((0.5, 2), (-1, 1))),
    "1/(1 + x^2) + y^-2": (lambda x, y: 1 / (1 + x**2) + y ** -2.0, ((-2, 2), (0.5, 2))),
    "max(x, y)^2 + min(x, -y)^2 + relu(x)": (lambda x, y: np.maximum(x, y) ** 2 + np.minimum(x, -y) ** 2 + np.maximum(x, 0), None),
}


def _points(surface, n=25, seed=0):
    (x0, x1), (y0, y1) = surface.bounds
    rng = np.random.default_rng(seed)
    # keep away from the edges so the finite-difference stencil stays inside
    return np.column_stack([rng.uniform(x0 + 0.05 * (x1 - x0), x1 - 0.05 * (x1 - x0), n),
                            rng.uniform(y0 + 0.05 * (y1 - y0), y1 - 0.05 * (y1 - y0), n)])


@pytest.mark.parametrize("text", list(VALID))
def test_a_valid_formula_has_the_value_a_hand_written_numpy_version_has(text):
    reference, bounds = VALID[text]
    surface = landscapes.from_formula(text, bounds=bounds)
    points = _points(surface)
    with np.errstate(all="ignore"):
        expected = reference(points[:, 0], points[:, 1])
    np.testing.assert_allclose(surface.f(points[:, 0], points[:, 1]), expected, rtol=1e-13, atol=1e-13)
    for x, y in points[:5]:  # the jitted scalar path agrees with the NumPy path
        assert surface.f(x, y) == pytest.approx(float(reference(np.float64(x), np.float64(y))), rel=1e-13, abs=1e-13)


@pytest.mark.parametrize("text", list(VALID))
def test_the_derived_gradient_and_hessian_match_finite_differences(text):
    reference, bounds = VALID[text]
    surface = landscapes.from_formula(text, bounds=bounds)
    kinked = "max(" in text or "relu" in text
    for x, y in _points(surface, 15, seed=1):
        if kinked and (abs(x - y) < 1e-3 or abs(x + y) < 1e-3 or abs(x) < 1e-3):
            continue
        h = 1e-6 * max(1.0, abs(x), abs(y))
        fd = [(surface.f(x + h, y) - surface.f(x - h, y)) / (2 * h), (surface.f(x, y + h) - surface.f(x, y - h)) / (2 * h)]
        gx, gy = surface.grad(x, y)
        scale = max(1.0, abs(gx), abs(gy))
        assert gx == pytest.approx(fd[0], abs=1e-6 * scale) and gy == pytest.approx(fd[1], abs=1e-6 * scale)
        hessian = surface.hessian(x, y)
        gxp, gyp = surface.grad(x + h, y)
        gxm, gym = surface.grad(x - h, y)
        gxu, gyu = surface.grad(x, y + h)
        gxd, gyd = surface.grad(x, y - h)
        fd_hessian = np.array([[(gxp - gxm) / (2 * h), (gxu - gxd) / (2 * h)], [(gyp - gym) / (2 * h), (gyu - gyd) / (2 * h)]])
        np.testing.assert_allclose(hessian, fd_hessian, atol=2e-5 * max(1.0, np.abs(hessian).max()))
        assert hessian[0, 1] == hessian[1, 0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=st.floats(-2.9, 2.9), y=st.floats(-2.9, 2.9))
def test_the_gradient_of_the_sine_example_is_the_hand_derived_one_everywhere(x, y):
    surface = landscapes.from_formula("sin(3*x)*cos(3*y) + 0.1*(x^2+y^2)")
    gx, gy = surface.grad(x, y)
    assert gx == pytest.approx(3 * math.cos(3 * x) * math.cos(3 * y) + 0.2 * x, rel=1e-14, abs=1e-14)
    assert gy == pytest.approx(-3 * math.sin(3 * x) * math.sin(3 * y) + 0.2 * y, rel=1e-14, abs=1e-14)


_ATOMS = st.sampled_from(["x", "y", "2", "0.5", "pi", "e", "3"])
_FORMULAS = st.recursive(
    _ATOMS,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^"]), inner).map(lambda t: f"({t[0]}){t[1]}({t[2]})"),
        st.tuples(st.sampled_from(["sin", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "atan"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
    ),
    max_leaves=8,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_FORMULAS)
def test_any_formula_from_the_grammar_is_either_a_landscape_or_a_refusal_with_a_position(text):
    try:
        surface = landscapes.from_formula(text)
    except FormulaError as error:
        assert re.match(r"position \d+: ", str(error))
        return
    assert surface.minima == () or all(math.isfinite(m.value) for m in surface.minima)
    x, y = surface.start
    assert math.isfinite(surface.f(x, y)) and all(math.isfinite(g) for g in surface.grad(x, y))


def test_a_landscape_knows_its_minimum_start_category_and_latex():
    surface = landscapes.from_formula("(1-x)^2 + 100*(y-x^2)^2", bounds=((-2, 2), (-1, 3)))
    assert [(m.x, m.y, m.value, m.kind) for m in surface.minima] == [(1.0, 1.0, 0.0, "global")]
    assert surface.category == "custom" and surface.log_colors
    assert surface.formula == r"f(x, y) = \left(1 - x\right)^{2} + 100 \left(- x^{2} + y\right)^{2}"
    x, y = surface.start
    assert math.hypot(x - 1, y - 1) > 1.0, "the start should be away from the minimum"
    himmelblau = landscapes.from_formula("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", bounds=((-5, 5), (-5, 5)))
    assert len(himmelblau.minima) == 4 and all(m.kind == "global" for m in himmelblau.minima)
    assert (3.0, 2.0) in {(m.x, m.y) for m in himmelblau.minima}


# ----- the engine runs on formula landscapes ----------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["adam", "momentum", "newton", "lbfgs"])
def test_a_formula_rosenbrock_runs_exactly_like_the_built_in_rosenbrock(optimizer):
    typed = landscapes.from_formula("(1-x)^2 + 100*(y-x^2)^2", bounds=((-2, 2), (-1, 3)))
    built_in = landscapes.get("rosenbrock")
    lr = {"adam": 0.02, "momentum": 0.0005, "newton": 1.0, "lbfgs": 1.0}[optimizer]
    a = optimizers.run(optimizer, typed, start=(-1.5, 2.0), steps=150, lr=lr)
    b = optimizers.run(optimizer, built_in, start=(-1.5, 2.0), steps=150, lr=lr)
    # sympy writes the gradient in another order than the hand-written file: equal to rounding
    # over a short horizon; over 150 steps L-BFGS's line search amplifies the last bit (STYLE.md)
    np.testing.assert_allclose(a.path[:15], b.path[:15], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.path[-1], b.path[-1], rtol=1e-6, atol=1e-6)
    assert a.diverged_at == b.diverged_at


def test_run_many_on_a_formula_matches_run_for_every_element():
    surface = landscapes.from_formula("x^2 + 10*y^2")
    lrs = np.array([0.01, 0.05, 0.2])
    many = optimizers.run_many("sgd", surface, starts=(-2.0, 1.5), steps=40, lr=lrs)
    for i, lr in enumerate(lrs):
        single = optimizers.run("sgd", surface, start=(-2.0, 1.5), steps=40, lr=float(lr))
        np.testing.assert_array_equal(many.final_point[i], single.path[-1])
    # gradient descent on a quadratic has a closed form: x_t = x0 (1 - 2 lr)^t, y_t = y0 (1 - 20 lr)^t
    np.testing.assert_allclose(many.final_point[0], [-2.0 * (1 - 0.02) ** 40, 1.5 * (1 - 0.2) ** 40], rtol=1e-12)
    assert many.diverged_at[2] >= 0, "lr 0.2 on curvature 20 must diverge"


def test_a_process_builds_a_bounded_number_of_new_formulas_and_keeps_serving_the_old_ones(monkeypatch):
    known = landscapes.from_formula("x^2 + 10*y^2")
    monkeypatch.setattr(formula, "MAX_FORMULAS_PER_PROCESS", len(formula._EVER_BUILT))
    with pytest.raises(FormulaError, match="limit"):
        landscapes.from_formula("x^2 + 10*y^2 + 0.123456*x*y")
    assert landscapes.from_formula("x**2 + 10 * y**2").index == known.index  # same kernel: still served


def test_an_unknown_kernel_id_is_refused():
    with pytest.raises(KeyError, match="from_formula"):
        landscapes.spec_for_index(formula.FORMULA_ID_BASE + 12345)


_CHILD = textwrap.dedent("""
    import json, sys
    import landscapes, optimizers
    from optimizers import _kernels
    out = {}
    for text in sys.argv[1:]:
        surface = landscapes.from_formula(text)
        r = optimizers.run("sgd", surface, start=(-2.0, 1.5), steps=30, lr=0.01)
        out[text] = [surface.index, list(map(float, r.path[-1]))]
    out["hits"] = int(sum(_kernels.trace.stats.cache_hits.values()))
    print(json.dumps(out))
""")


def _child(cache_base, *texts):
    env = dict(os.environ, LANDSCAPE_NUMBA_CACHE_BASE=str(cache_base), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", _CHILD, *texts], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_two_formulas_in_fresh_processes_sharing_a_disk_cache_each_get_their_own_kernel(tmp_path):
    a, b = "x^2 + 10*y^2", "3*x^2 + y^2"
    first = _child(tmp_path, a)  # compiles and caches the kernel for a
    second = _child(tmp_path, b)  # a different formula: must not be served a's machine code
    third = _child(tmp_path, a, b)  # both from the disk cache, in one process
    expected = {a: [-2.0 * (1 - 0.02) ** 30, 1.5 * (1 - 0.2) ** 30], b: [-2.0 * (1 - 0.06) ** 30, 1.5 * (1 - 0.02) ** 30]}
    for run, texts in ((first, [a]), (second, [b]), (third, [a, b])):
        for text in texts:
            np.testing.assert_allclose(run[text][1], expected[text], rtol=1e-12)
    assert first[a][0] != second[b][0]
    assert third[a][0] == first[a][0] and third[b][0] == second[b][0]
    assert third["hits"] >= 2, "the third process should load both kernels from the disk cache"
