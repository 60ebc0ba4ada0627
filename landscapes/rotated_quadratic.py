"""The ill-conditioned quadratic turned by an angle: a ravine that no longer follows the axes."""
import numpy as np

from ._base import Minimum, Param, SurfaceSpec, surface_jit


@surface_jit
def value(x, y, angle, condition):
    theta = angle * (np.pi / 180.0)
    c, s = np.cos(theta), np.sin(theta)
    u = c * x + s * y  # along the valley floor (curvature 1)
    v = c * y - s * x  # across the valley (curvature κ)
    return 0.5 * (u * u + condition * v * v)


@surface_jit
def grad(x, y, angle, condition):
    theta = angle * (np.pi / 180.0)
    c, s = np.cos(theta), np.sin(theta)
    u = c * x + s * y
    kv = condition * (c * y - s * x)
    return c * u - s * kv, s * u + c * kv


@surface_jit
def hessian(x, y, angle, condition):
    theta = angle * (np.pi / 180.0)
    c, s = np.cos(theta), np.sin(theta)
    return c * c + condition * s * s, c * s * (1.0 - condition), s * s + condition * c * c


SPEC = SurfaceSpec(
    name="rotated_quadratic",
    title="Rotated ill-conditioned quadratic (diagonal ravine)",
    category="ravine",
    description=(
        "The same ravine as the axis-aligned quadratic (curvature 1 along the floor, κ across it), "
        "turned by an angle so that the floor runs diagonally. Gradient descent zig-zags across the "
        "valley exactly as before, because it does not care about the axes. AdaGrad, RMSProp and Adam "
        "rescale each coordinate separately, which cured the aligned ravine; at 45° both coordinates "
        "see the steep direction alike, so they lose much of that advantage, while momentum still damps "
        "the zig-zag and Newton's method (which uses the full Hessian) still jumps straight in."
    ),
    formula=(
        r"f(x, y) = \tfrac12\left(u^2 + \kappa\,v^2\right),\quad "
        r"u = x\cos\theta + y\sin\theta,\; v = y\cos\theta - x\sin\theta"
    ),
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-10.0, 10.0), (-10.0, 10.0)),
    starts=((-8.0, -3.0), (-6.0, 6.0), (9.0, 4.0)),
    minima=(Minimum(0.0, 0.0, 0.0),),
    params=(
        Param("angle", 45.0, 0.0, 90.0, "angle θ (degrees)", "Direction of the valley floor; at 0° this is the axis-aligned quadratic."),
        Param("condition", 20.0, 1.0, 1000.0, "condition number κ", "Ratio of the largest to the smallest curvature.", log=True),
    ),
)
