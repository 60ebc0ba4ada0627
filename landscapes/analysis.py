"""Curvature of a surface, point-wise and over whole grids: Hessian eigenvalues and condition number.

The Hessian of a 2-D surface is a symmetric 2x2 matrix, so its eigenvalues have a closed form
(mean ± radius) that NumPy evaluates for a whole grid at once, from the same exact Hessian
functions the kernels use (``Landscape.hessian`` on arrays runs their ``py_func``).

The condition number is taken as ``max|λ| / min|λ|``: for a convex point it is the usual
λ_max/λ_min, and it stays meaningful across a saddle, where the signs differ. Where the
smaller magnitude is zero the curvature is singular and the condition number is infinite.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def eigenvalues(hxx, hxy, hyy):
    """(smaller, larger) eigenvalues of [[hxx, hxy], [hxy, hyy]], element-wise on arrays."""
    hxx, hxy, hyy = (np.asarray(h, dtype=float) for h in (hxx, hxy, hyy))
    mean = 0.5 * (hxx + hyy)
    radius = np.hypot(0.5 * (hxx - hyy), hxy)
    return mean - radius, mean + radius


def condition_number(smaller, larger):
    """max|λ| / min|λ|, element-wise; inf where the Hessian is singular, NaN where it is not finite."""
    small, large = np.abs(np.asarray(smaller, dtype=float)), np.abs(np.asarray(larger, dtype=float))
    low, high = np.minimum(small, large), np.maximum(small, large)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(low > 0, high / np.where(low > 0, low, 1.0), np.inf)
    return np.where(np.isfinite(small) & np.isfinite(large), ratio, np.nan)


def kind_of(smaller: float, larger: float, tolerance: float = 1e-12) -> str:
    """Plain words for the local shape the two eigenvalues describe."""
    scale = max(abs(smaller), abs(larger), 1.0) * tolerance
    if smaller > scale:
        return "bowl (both curvatures positive)"
    if larger < -scale:
        return "cap (both curvatures negative: a local maximum shape)"
    if smaller < -scale and larger > scale:
        return "saddle (curvatures of opposite sign)"
    return "flat in one direction (a zero curvature)"


@dataclass(frozen=True)
class PointCurvature:
    """The Hessian at one point and what its eigen-decomposition says."""

    x: float
    y: float
    hessian: np.ndarray  # 2x2
    eigenvalues: tuple  # (smaller, larger)
    eigenvectors: np.ndarray  # columns, in the order of ``eigenvalues``
    condition: float
    kind: str


def curvature_at(landscape, x: float, y: float) -> PointCurvature:
    """Hessian, eigenvalues (ascending), unit eigenvectors and condition number at (x, y)."""
    # through the array path (NumPy on the surface's py_func): a scalar call would load each
    # surface's jitted Hessian from the disk cache, 3.6 s for the gallery's sixteen cards (measured)
    hessian = landscape.hessian(np.array([float(x)]), np.array([float(y)]))[0]
    values, vectors = np.linalg.eigh(hessian)
    smaller, larger = (float(v) for v in values)
    condition = float(condition_number(smaller, larger))
    return PointCurvature(float(x), float(y), hessian, (smaller, larger), vectors, condition, kind_of(smaller, larger))


@dataclass(frozen=True, eq=False)
class CurvatureGrid:
    xs: np.ndarray
    ys: np.ndarray
    smallest: np.ndarray  # (len(ys), len(xs)) smaller eigenvalue: negative where the surface curves down
    largest: np.ndarray
    condition: np.ndarray  # max|λ| / min|λ|, inf where singular

    @property
    def log10_condition(self) -> np.ndarray:
        """log10 of the condition number, singular points set to the largest finite value (for colouring)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.log10(self.condition)
        finite = np.isfinite(values)
        top = float(values[finite].max()) if finite.any() else 0.0
        return np.where(finite, values, top)

    @property
    def saddle_fraction(self) -> float:
        """Share of the plot where the curvatures have opposite signs."""
        return float(np.mean((self.smallest < 0) & (self.largest > 0)))


def curvature_grid(landscape, resolution: int = 80, bounds=None) -> CurvatureGrid:
    """Eigenvalues and condition number of the Hessian over a ``resolution`` x ``resolution`` grid."""
    if not (isinstance(resolution, int) and 2 <= resolution <= 2000):
        raise ValueError(f"Invalid resolution: {resolution!r}; expected a whole number from 2 to 2000")
    (x0, x1), (y0, y1) = bounds or landscape.bounds
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    hessian = landscape.hessian(*np.meshgrid(xs, ys))
    smallest, largest = eigenvalues(hessian[..., 0, 0], hessian[..., 0, 1], hessian[..., 1, 1])
    return CurvatureGrid(xs, ys, smallest, largest, condition_number(smallest, largest))


def format_condition(value: float) -> str:
    """'1.2e+03', or '∞ (singular)' where the Hessian has a zero eigenvalue."""
    if math.isnan(value):
        return "undefined (not finite here)"
    return "∞ (singular)" if math.isinf(value) else f"{value:.4g}"


__all__ = ["CurvatureGrid", "PointCurvature", "condition_number", "curvature_at", "curvature_grid", "eigenvalues",
           "format_condition", "kind_of"]
