"""A wide, flat minimum beside a narrow, sharp and slightly deeper one."""
import numpy as np

from ._base import Param, SurfaceSpec, rank_minima, refine_minimum, surface_jit

# A weak bowl (so the plain between the wells still slopes inwards) minus two Gaussian wells.
_BOWL = 0.05
_FLAT_X, _FLAT_Y, _FLAT_DEPTH, _FLAT_WIDTH = -1.5, -0.5, 1.0, 1.0
_SHARP_X, _SHARP_Y, _SHARP_DEPTH = 1.5, 0.5, 1.25


@surface_jit
def value(x, y, sharpness):
    flat = np.exp(-((x - _FLAT_X) ** 2 + (y - _FLAT_Y) ** 2) / (2.0 * _FLAT_WIDTH * _FLAT_WIDTH))
    sharp = np.exp(-((x - _SHARP_X) ** 2 + (y - _SHARP_Y) ** 2) / (2.0 * sharpness * sharpness))
    return 0.5 * _BOWL * (x * x + y * y) - _FLAT_DEPTH * flat - _SHARP_DEPTH * sharp


@surface_jit
def grad(x, y, sharpness):
    fx, fy = x - _FLAT_X, y - _FLAT_Y
    sx, sy = x - _SHARP_X, y - _SHARP_Y
    f2, s2 = _FLAT_WIDTH * _FLAT_WIDTH, sharpness * sharpness
    kf = _FLAT_DEPTH * np.exp(-(fx * fx + fy * fy) / (2.0 * f2)) / f2
    ks = _SHARP_DEPTH * np.exp(-(sx * sx + sy * sy) / (2.0 * s2)) / s2
    return _BOWL * x + kf * fx + ks * sx, _BOWL * y + kf * fy + ks * sy


@surface_jit
def hessian(x, y, sharpness):
    fx, fy = x - _FLAT_X, y - _FLAT_Y
    sx, sy = x - _SHARP_X, y - _SHARP_Y
    f2, s2 = _FLAT_WIDTH * _FLAT_WIDTH, sharpness * sharpness
    kf = _FLAT_DEPTH * np.exp(-(fx * fx + fy * fy) / (2.0 * f2)) / f2
    ks = _SHARP_DEPTH * np.exp(-(sx * sx + sy * sy) / (2.0 * s2)) / s2
    hxx = _BOWL + kf * (1.0 - fx * fx / f2) + ks * (1.0 - sx * sx / s2)
    hyy = _BOWL + kf * (1.0 - fy * fy / f2) + ks * (1.0 - sy * sy / s2)
    hxy = -kf * fx * fy / f2 - ks * sx * sy / s2
    return hxx, hxy, hyy


def _minima(p):
    s = p["sharpness"]
    # the wells' minima, moved slightly by the bowl and each other's tails
    return rank_minima([refine_minimum(value, grad, hessian, x, y, s) for x, y in ((_SHARP_X, _SHARP_Y), (_FLAT_X, _FLAT_Y))])


SPEC = SurfaceSpec(
    name="flat_sharp",
    title="Flat versus sharp minimum",
    category="multimodal",
    description=(
        "Two minima: a wide, flat one (lower left) and a narrow, sharp one (upper right) that is a "
        "little deeper. Most starts drain into the wide basin, and gradient descent cannot settle in the "
        "sharp one once lr exceeds 2/curvature (the curvature there is about 1.25/σ², so lr ≈ 0.036 at "
        "σ = 0.15): it rattles inside, or with a large step (lr = 0.5) ends in the flat minimum. The "
        "lecture's point: if the test loss is this surface shifted a little, the flat minimum hardly "
        "changes while the sharp one gets much worse, one explanation of why flat minima generalize better."
    ),
    formula=(
        r"f(x, y) = \tfrac{0.05}{2}(x^2 + y^2) - e^{-\frac{(x + 1.5)^2 + (y + 0.5)^2}{2}}"
        r" - 1.25\,e^{-\frac{(x - 1.5)^2 + (y - 0.5)^2}{2\sigma^2}}"
    ),
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-4.0, 4.0), (-3.0, 3.0)),
    starts=((2.5, 2.0), (0.5, -2.5), (-3.5, 2.5)),
    minima=_minima,
    params=(Param("sharpness", 0.15, 0.05, 0.5, "sharp well width σ", "Width of the sharp well: smaller is sharper.", log=True),),
)
