"""The Landscape type shared by every surface, and the small records it is built from.

A surface file defines three plain functions of ``(x, y, *params)`` written with NumPy
ufuncs and no branches, so the same source serves two purposes: numba compiles it for the
scalar kernels, and the undecorated Python function (``.py_func``) evaluates whole grids
with NumPy for drawing.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
from numba import njit

CATEGORIES = ("ravine", "saddle", "cliff", "plateau", "multimodal", "convex")
# Formula landscapes (landscapes.from_formula) are built at run time and never listed in the
# catalogue, so their category is not one of the catalogue's headings.
CUSTOM_CATEGORY = "custom"

# Options for every jitted function of the engine. error_model="numpy": a division by zero
# gives inf/NaN, which the driver reports as divergence, instead of raising inside a kernel;
# the zero test Python semantics need is also a branch that stopped LLVM from vectorizing
# batch loops (measured). nogil: several Streamlit sessions can compute at once.
JIT_OPTIONS = dict(cache=True, nogil=True, error_model="numpy")

# LLVM inlines these small functions into each kernel specialization, so the optimizer sees
# one flat loop; cache=True also serves the standalone scalar calls (Landscape.f/grad/hessian).
surface_jit = njit(**JIT_OPTIONS)


@dataclass(frozen=True)
class Param:
    """A shape parameter of a surface (a condition number, a cliff height), shown as a slider."""

    name: str
    default: float
    low: float
    high: float
    label: str
    help: str = ""
    log: bool = False

    def validate(self, value) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"Invalid {self.name}: {value!r}; expected a number in [{self.low}, {self.high}]") from None
        if not (self.low <= number <= self.high):  # also rejects NaN
            raise ValueError(f"Invalid {self.name}: {value!r}; allowed range is [{self.low}, {self.high}]")
        return number


@dataclass(frozen=True)
class Minimum:
    x: float
    y: float
    value: float
    kind: str = "global"  # "global" or "local"


@dataclass(frozen=True)
class Valley:
    """Minima that form a curve rather than isolated points (the chain's hyperbola w₁w₂ = 1/c).

    The surface's listed minima then only stand for the valley, one per piece of it, listed so
    that every point of a piece is nearer its own representative than any other; a run that ends
    anywhere on the valley has reached a minimum.
    """

    distance: Callable  # (x, y, params dict) -> Euclidean distance to the nearest point of the valley; NumPy arrays
    name: str  # the valley in a sentence: "the valley of minima w₁w₂ = 1/c"
    pieces: tuple  # one short name per listed minimum: the piece of the valley it stands for


def refine_minimum(spec_value, spec_grad, spec_hessian, x: float, y: float, *params) -> Minimum:
    """Newton's method on the gradient from (x, y): a minimum to full double precision.

    For surfaces whose minima move with a parameter, so they are exact for every slider value.
    """
    for _ in range(100):
        gx, gy = spec_grad.py_func(x, y, *params)
        hxx, hxy, hyy = spec_hessian.py_func(x, y, *params)
        det = hxx * hyy - hxy * hxy
        dx, dy = (hyy * gx - hxy * gy) / det, (hxx * gy - hxy * gx) / det
        x, y = x - dx, y - dy
        if abs(dx) + abs(dy) < 1e-15:
            break
    return Minimum(float(x), float(y), float(spec_value.py_func(x, y, *params)))


def rank_minima(minima) -> tuple:
    """The same minima, marked global where their value is the lowest and local elsewhere."""
    lowest = min(m.value for m in minima)
    return tuple(replace(m, kind="global" if m.value - lowest <= 1e-12 else "local") for m in minima)


@dataclass(frozen=True)
class SurfaceSpec:
    """Everything one surface file declares; ``landscapes.get`` binds it to parameter values."""

    name: str
    title: str
    category: str
    description: str
    formula: str  # LaTeX, for the gallery and the formula panel
    value: Callable
    grad: Callable
    hessian: Callable
    bounds: tuple
    starts: tuple
    minima: Callable | tuple  # a tuple, or a function of the parameter dict returning one
    params: tuple = ()
    log_colors: bool = False  # colour contours on a log scale (surfaces spanning decades)
    escape_factor: float = 100.0  # diverged once a point is this many half-widths from the centre
    jitted: bool = True  # False: plain NumPy functions, whose kernels run in another process (formula.from_formula)
    valley: Valley | None = None  # minima forming a curve; None: the listed minima are all there are

    def __post_init__(self):
        if self.category not in CATEGORIES and self.category != CUSTOM_CATEGORY:
            raise ValueError(f"{self.name}: unknown category {self.category!r}; use one of {CATEGORIES}")


@dataclass(frozen=True)
class Landscape:
    """A surface bound to concrete parameter values: what pages, tests and kernels use."""

    spec: SurfaceSpec
    index: int  # the integer the kernels dispatch on: a registry position, or a formula's id (formula.py)
    param_values: dict = field(default_factory=dict)

    # ----- metadata -------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def category(self) -> str:
        return self.spec.category

    @property
    def description(self) -> str:
        return self.spec.description

    @property
    def formula(self) -> str:
        return self.spec.formula

    @property
    def bounds(self) -> tuple:
        return self.spec.bounds

    @property
    def starts(self) -> tuple:
        return self.spec.starts

    @property
    def start(self) -> tuple:
        return self.spec.starts[0]

    @property
    def params(self) -> tuple:
        return self.spec.params

    @property
    def log_colors(self) -> bool:
        return self.spec.log_colors

    @functools.cached_property  # a callable spec solves for them: once per parameter set
    def minima(self) -> tuple:
        minima = self.spec.minima
        return tuple(minima(dict(self.param_values))) if callable(minima) else tuple(minima)

    @property
    def param_tuple(self) -> tuple:
        """Parameter values in declaration order, as the kernels receive them."""
        return tuple(float(self.param_values[p.name]) for p in self.spec.params)

    @property
    def escape_box(self) -> tuple:
        """(x_low, x_high, y_low, y_high) outside which a run counts as diverged."""
        (x0, x1), (y0, y1) = self.bounds
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        hx, hy = (x1 - x0) / 2 * self.spec.escape_factor, (y1 - y0) / 2 * self.spec.escape_factor
        return (cx - hx, cx + hx, cy - hy, cy + hy)

    def with_params(self, **values) -> "Landscape":
        """A copy with some parameters changed; unknown names or out-of-range values raise."""
        known = {p.name: p for p in self.spec.params}
        merged = dict(self.param_values)
        for key, value in values.items():
            if key not in known:
                allowed = ", ".join(known) or "none"
                raise ValueError(f"Unknown parameter {key!r} for landscape {self.name!r}; its parameters: {allowed}")
            merged[key] = known[key].validate(value)
        return replace(self, param_values=merged)

    # ----- evaluation -------------------------------------------------------------------
    def f(self, x, y):
        """Loss at (x, y): a float for scalars, an array (NumPy, vectorized) for arrays."""
        if np.ndim(x) == 0 and np.ndim(y) == 0:
            return float(self.spec.value(float(x), float(y), *self.param_tuple))
        x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        with np.errstate(all="ignore"):
            return np.asarray(self.spec.value.py_func(x, y, *self.param_tuple), dtype=float) + np.zeros_like(x)

    def grad(self, x, y):
        """Exact gradient (gx, gy): floats for scalars, arrays for arrays."""
        if np.ndim(x) == 0 and np.ndim(y) == 0:
            gx, gy = self.spec.grad(float(x), float(y), *self.param_tuple)
            return float(gx), float(gy)
        x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        with np.errstate(all="ignore"):
            gx, gy = self.spec.grad.py_func(x, y, *self.param_tuple)
        return np.asarray(gx, dtype=float) + np.zeros_like(x), np.asarray(gy, dtype=float) + np.zeros_like(x)

    def hessian(self, x, y):
        """Exact Hessian: a 2x2 array for scalars, an array of shape (..., 2, 2) for arrays."""
        if np.ndim(x) == 0 and np.ndim(y) == 0:
            hxx, hxy, hyy = self.spec.hessian(float(x), float(y), *self.param_tuple)
            return np.array([[hxx, hxy], [hxy, hyy]], dtype=float)
        x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        with np.errstate(all="ignore"):
            hxx, hxy, hyy = (np.asarray(h, dtype=float) + np.zeros_like(x) for h in self.spec.hessian.py_func(x, y, *self.param_tuple))
        return np.stack([np.stack([hxx, hxy], -1), np.stack([hxy, hyy], -1)], -2)

    @property
    def valley(self):
        return self.spec.valley

    def nearest_minima(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """(index in ``minima``, distance to the nearest minimum) for every point; (-1, inf) with none known.

        On a surface with a valley the distance is to the whole valley and the index names the
        piece of it (``valley.pieces``) whose listed representative is nearest.
        """
        x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        minima = self.minima
        if not minima:
            return np.full(x.shape, -1), np.full(x.shape, np.inf)
        mx = np.array([m.x for m in minima])
        my = np.array([m.y for m in minima])
        distances = np.hypot(x[..., None] - mx, y[..., None] - my)
        index = np.argmin(distances, axis=-1)
        if self.spec.valley is not None:
            return index, np.asarray(self.spec.valley.distance(x, y, dict(self.param_values)), dtype=float)
        return index, np.take_along_axis(distances, index[..., None], -1)[..., 0]

    def minimum_name(self, index: int) -> str:
        """Listed minimum ``index`` in a sentence: 'minimum at (1, 3)', or the piece of a valley it stands for."""
        if self.spec.valley is not None:
            return f"{self.spec.valley.name}, {self.spec.valley.pieces[index]}"
        m = self.minima[index]
        return f"minimum at ({m.x:.3g}, {m.y:.3g})"

    def nearest_minimum(self, x: float, y: float):
        """The known minimum closest to (x, y) and its distance, or (None, inf) if none are known.

        With a valley: the listed minimum standing for the nearest piece, and the distance to the valley.
        """
        index, distance = self.nearest_minima(float(x), float(y))
        if int(index) < 0:
            return None, math.inf
        return self.minima[int(index)], float(distance)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v:g}" for k, v in self.param_values.items())
        return f"Landscape({self.name!r}{', ' + params if params else ''})"
