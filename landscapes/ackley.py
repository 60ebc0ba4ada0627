"""Ackley's function: a nearly flat, rippled plain with one deep funnel at the origin."""
import numpy as np

from ._base import Minimum, SurfaceSpec, surface_jit

_A, _B, _C = 20.0, 0.2, 2.0 * np.pi
# The cone term's derivatives divide by r, which is 0 at the minimum. Below this radius r is
# replaced by _TINY: the gradient is then exactly 0 at the origin and the Hessian stays finite
# (about 2/_TINY, the true curvature at the tip of a cone being infinite).
_TINY = 1e-12


@surface_jit
def value(x, y):
    r = np.sqrt(0.5 * (x * x + y * y))
    ripple = np.exp(0.5 * (np.cos(_C * x) + np.cos(_C * y)))
    return -_A * np.exp(-_B * r) - ripple + np.e + _A


@surface_jit
def grad(x, y):
    r = np.maximum(np.sqrt(0.5 * (x * x + y * y)), _TINY)
    cone = 0.5 * _A * _B * np.exp(-_B * r) / r
    ripple = 0.5 * _C * np.exp(0.5 * (np.cos(_C * x) + np.cos(_C * y)))
    return cone * x + ripple * np.sin(_C * x), cone * y + ripple * np.sin(_C * y)


@surface_jit
def hessian(x, y):
    r = np.maximum(np.sqrt(0.5 * (x * x + y * y)), _TINY)
    e1 = 0.5 * _A * _B * np.exp(-_B * r)
    cone = e1 / r
    bend = e1 * (0.5 * _B / (r * r) + 0.5 / (r * r * r))  # from differentiating e^{-Br}/r again
    e2 = 0.5 * _C * np.exp(0.5 * (np.cos(_C * x) + np.cos(_C * y)))
    sx, sy = np.sin(_C * x), np.sin(_C * y)
    hxx = cone - bend * x * x + e2 * _C * (np.cos(_C * x) - 0.5 * sx * sx)
    hyy = cone - bend * y * y + e2 * _C * (np.cos(_C * y) - 0.5 * sy * sy)
    hxy = -bend * x * y - 0.5 * e2 * _C * sx * sy
    return hxx, hxy, hyy


SPEC = SurfaceSpec(
    name="ackley",
    title="Ackley's function",
    category="multimodal",
    description=(
        "An almost flat plain covered with a regular grid of shallow local minima, and in the middle "
        "one deep funnel whose tip at the origin is a cone: the gradient does not shrink near the "
        "minimum, so gradient descent with a fixed learning rate rattles around it (a decaying "
        "schedule settles it). Far out, plain gradient descent is trapped by the first dimple it "
        "meets; momentum and noise help it roll over the ripples towards the funnel."
    ),
    formula=(
        r"f(x, y) = -a\,e^{-b\sqrt{(x^2 + y^2)/2}} - e^{(\cos cx + \cos cy)/2} + e + a,"
        r"\quad a = 20,\; b = 0.2,\; c = 2\pi"
    ),
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    starts=((3.3, -2.6), (-4.2, 4.4), (1.2, 0.9)),
    minima=(Minimum(0.0, 0.0, 0.0),),
)
