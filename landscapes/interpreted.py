"""Jitted functions run by the interpreter, nearly as a kernel runs them: their "twins".

Every jitted function keeps its Python source (``.py_func``). A twin is that source with its
globals re-bound: the jitted functions it calls become their twins too, names that only mean
something to numba get stand-ins, and ``np`` becomes ``KERNEL_NUMPY``, whose scalar exp, cos,
log, ... call the C library as a kernel does (NumPy's own vectorized versions may differ from it
in the last bit). Twins run on float64 scalars, so a division by zero gives inf or NaN as in a
kernel (error_model="numpy") instead of raising.

Why: a kernel's first call compiles it (0.5-6 s on a new server); its twin answers at once, with
the same operations in the same order. Not always the same last bit: numba multiplies out
``x ** 2`` where Python calls ``pow``, and Newton's ``hypot`` is numba's own. So a twin's result
is provisional: the app shows it for the seconds a kernel takes to compile, then the kernel's.
"""
from __future__ import annotations

import math
import types as pytypes

import numpy as np
from numba.core.dispatcher import Dispatcher


def _like_a_kernel(libm_function, numpy_function):
    """The C library's function for a scalar, NumPy's for arrays and where Python's math raises."""
    def call(value):
        if np.ndim(value) != 0:
            return numpy_function(value)
        try:
            return np.float64(libm_function(value))
        except (OverflowError, ValueError):  # inf, -inf or NaN: NumPy gives the IEEE value a kernel gives
            return numpy_function(value)
    call.__name__ = numpy_function.__name__
    return call


class _KernelNumpy(pytypes.ModuleType):
    """NumPy, except the scalar transcendental functions a kernel takes from the C library."""

    def __getattr__(self, name):
        return getattr(np, name)


KERNEL_NUMPY = _KernelNumpy("kernel_numpy")
for _name, _libm in {"exp": math.exp, "expm1": math.expm1, "log": math.log, "log1p": math.log1p, "log2": math.log2,
                     "log10": math.log10, "sin": math.sin, "cos": math.cos, "tan": math.tan, "arcsin": math.asin,
                     "arccos": math.acos, "arctan": math.atan, "sinh": math.sinh, "cosh": math.cosh,
                     "tanh": math.tanh}.items():
    setattr(KERNEL_NUMPY, _name, _like_a_kernel(_libm, getattr(np, _name)))
for _name in ("arctan2", "hypot", "power"):  # two arguments: the C library only when both are scalars
    _binary_libm, _binary_numpy = {"arctan2": math.atan2, "hypot": math.hypot, "power": math.pow}[_name], getattr(np, _name)

    def _binary(a, b, _libm=_binary_libm, _numpy=_binary_numpy):
        if np.ndim(a) != 0 or np.ndim(b) != 0:
            return _numpy(a, b)
        try:
            return np.float64(_libm(a, b))
        except (OverflowError, ValueError, ZeroDivisionError):
            return _numpy(a, b)
    setattr(KERNEL_NUMPY, _name, _binary)

STAND_INS: dict[int, object] = {id(np): KERNEL_NUMPY}  # id(numba-only object) -> what the interpreter uses
_TWINS: dict[int, object] = {}  # jitted functions live as long as their module: keyed by id
_TWIN_ATTRIBUTE = "interpreted_twin"


def stand_in(numba_only, python_equivalent) -> None:
    """Register what a twin calls in place of ``numba_only`` (an intrinsic, a compile-time lookup)."""
    STAND_INS[id(numba_only)] = python_equivalent


def twin(function):
    """The interpreted twin of a jitted function (or of a plain function that calls jitted ones)."""
    if id(function) in STAND_INS:
        return STAND_INS[id(function)]
    if id(function) in _TWINS:
        return _TWINS[id(function)]
    jitted = isinstance(function, Dispatcher)
    if not jitted and getattr(function, _TWIN_ATTRIBUTE, None) is not None:
        return getattr(function, _TWIN_ATTRIBUTE)
    source = function.py_func if jitted else function
    if not isinstance(source, pytypes.FunctionType):
        raise TypeError(f"no interpreted twin for {function!r}")
    rebound = dict(source.__globals__)
    closure = source.__closure__
    if closure:  # overload implementations capture the jitted functions they call
        closure = tuple(pytypes.CellType(twin(c.cell_contents) if isinstance(c.cell_contents, Dispatcher) else c.cell_contents)
                        for c in closure)
    copy = pytypes.FunctionType(source.__code__, rebound, source.__name__, source.__defaults__, closure)
    # before its globals: a function may call itself. A plain function (a formula's, which a
    # server may drop) keeps its twin itself, so an id reused after it is freed cannot find it.
    if jitted:
        _TWINS[id(function)] = copy
    else:
        setattr(function, _TWIN_ATTRIBUTE, copy)
    for name in source.__code__.co_names:
        value = rebound.get(name)
        if isinstance(value, Dispatcher) or id(value) in STAND_INS:
            rebound[name] = twin(value)
    return copy


# ----- twins over arrays: one call for many independent scalar problems ----------------------------------
# A rule of the registry updates one pair of coordinates; the network's kernel applies it to every pair in a
# loop, and its twin would call the rule once a pair (Adam on the default network: 1.3 s of 500 steps, 8 of 10
# parts of the interpreted training). An array twin runs the rule's source once on whole arrays: Python's
# min, max and abs and the math module become NumPy's element-wise functions, and a function that branches on
# a value raises (an array's truth value is ambiguous), which its caller takes to mean: pair by pair.
ARRAY_STAND_INS: dict[int, object] = {}
_ARRAY_TWINS: dict[int, object] = {}


class _ArrayMath(pytypes.ModuleType):
    """The math module's functions, element-wise (NumPy's of the same name or its equivalent)."""

    _RENAMED = {"pow": np.power, "atan2": np.arctan2, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan}

    def __getattr__(self, name):
        if name in self._RENAMED:
            return self._RENAMED[name]
        value = getattr(math, name)
        return value if isinstance(value, float) else getattr(np, name)


ARRAY_MATH = _ArrayMath("array_math")
_ARRAY_GLOBALS = {"min": np.minimum, "max": np.maximum, "abs": np.abs, "math": ARRAY_MATH}


def array_stand_in(numba_only, array_equivalent) -> None:
    """Register what an array twin calls in place of ``numba_only`` (a scalar helper such as ``flush``)."""
    ARRAY_STAND_INS[id(numba_only)] = array_equivalent


def array_twin(function):
    """The twin of a jitted function that takes arrays where the kernel takes scalars, element by element."""
    if id(function) in ARRAY_STAND_INS:
        return ARRAY_STAND_INS[id(function)]
    if id(function) in _ARRAY_TWINS:
        return _ARRAY_TWINS[id(function)]
    if id(function) in STAND_INS:
        return STAND_INS[id(function)]
    if not isinstance(function, Dispatcher):
        raise TypeError(f"no array twin for {function!r}")
    source = function.py_func
    if source.__closure__:  # an overload's implementation: the kernels it captured would be called with arrays
        raise TypeError(f"no array twin for {function!r}")
    rebound = {**source.__globals__, **_ARRAY_GLOBALS}
    copy = pytypes.FunctionType(source.__code__, rebound, source.__name__, source.__defaults__)
    _ARRAY_TWINS[id(function)] = copy
    for name in source.__code__.co_names:
        value = source.__globals__.get(name)
        if isinstance(value, Dispatcher) or id(value) in STAND_INS or id(value) in ARRAY_STAND_INS:
            rebound[name] = array_twin(value)
    return copy


def at_point(function, x, y, params):
    """A surface function's twin at one point, as a kernel computes it (float64, IEEE inf and NaN)."""
    with np.errstate(all="ignore"):
        return twin(function)(np.float64(x), np.float64(y), *params)
