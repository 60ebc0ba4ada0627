"""Rastrigin's function: a bowl covered in a regular egg-box of local minima."""
import numpy as np

from ._base import Minimum, SurfaceSpec, surface_jit

_A = 10.0
_TWO_PI = 2.0 * np.pi


@surface_jit
def value(x, y):
    return 2.0 * _A + x * x - _A * np.cos(_TWO_PI * x) + y * y - _A * np.cos(_TWO_PI * y)


@surface_jit
def grad(x, y):
    return 2.0 * x + _A * _TWO_PI * np.sin(_TWO_PI * x), 2.0 * y + _A * _TWO_PI * np.sin(_TWO_PI * y)


@surface_jit
def hessian(x, y):
    k = _A * _TWO_PI * _TWO_PI
    return 2.0 + k * np.cos(_TWO_PI * x), 0.0, 2.0 + k * np.cos(_TWO_PI * y)


# The nearest local minima: x1 solves 2x + 20π sin(2πx) = 0 near 1 (Newton, double precision).
_X1 = 0.9949586376523348
_F1 = 0.9949590570932914  # f(x1, 0)
_F2 = 1.9899181141865827  # f(x1, x1)

SPEC = SurfaceSpec(
    name="rastrigin",
    title="Rastrigin's function (A = 10)",
    category="multimodal",
    description=(
        "A parabola with a cosine ripple on top: a local minimum near every point with integer "
        "coordinates, and the global one at the origin. Gradient descent with a small learning rate "
        "stops in whichever dimple it starts in; a large learning rate or gradient noise lets it hop "
        "over the ripples and feel the bowl underneath, a picture of why noisy SGD can escape poor "
        "local minima. Only the ring of eight local minima nearest the origin is listed."
    ),
    formula=r"f(x, y) = 2A + \sum_{u \in \{x, y\}} \left(u^2 - A\cos 2\pi u\right),\quad A = 10",
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-5.12, 5.12), (-5.12, 5.12)),
    starts=((3.2, 2.2), (-4.5, 4.0), (1.4, -0.6)),
    minima=(
        Minimum(0.0, 0.0, 0.0),
        Minimum(_X1, 0.0, _F1, "local"),
        Minimum(-_X1, 0.0, _F1, "local"),
        Minimum(0.0, _X1, _F1, "local"),
        Minimum(0.0, -_X1, _F1, "local"),
        Minimum(_X1, _X1, _F2, "local"),
        Minimum(-_X1, _X1, _F2, "local"),
        Minimum(_X1, -_X1, _F2, "local"),
        Minimum(-_X1, -_X1, _F2, "local"),
    ),
)
