"""The classic saddle x² − y², held up far away by a quartic so that runs leaving it can land."""
import numpy as np

from ._base import Minimum, Param, SurfaceSpec, surface_jit


@surface_jit
def value(x, y, quartic):
    y2 = y * y
    return x * x - y2 + quartic * y2 * y2


@surface_jit
def grad(x, y, quartic):
    return 2.0 * x, -2.0 * y + 4.0 * quartic * y * y * y


@surface_jit
def hessian(x, y, quartic):
    return 2.0, 0.0, -2.0 + 12.0 * quartic * y * y


def _minima(p):
    c = p["quartic"]
    y = 1.0 / np.sqrt(2.0 * c)
    return (Minimum(0.0, float(y), -0.25 / c), Minimum(0.0, float(-y), -0.25 / c))


SPEC = SurfaceSpec(
    name="saddle",
    title="Saddle point",
    category="saddle",
    description=(
        "The origin is a saddle point: the gradient vanishes there, but the surface curves up along x "
        "and down along y (it is not a minimum; the quartic term only adds two valleys at "
        "y = ±1/√(2c) so that escaping runs have somewhere to go). A run started near the x axis "
        "rushes towards the saddle, then stalls where the gradient is tiny and leaves only as fast as "
        "its small y offset grows, geometrically. Started exactly on the axis, gradient descent, "
        "momentum and Adam all converge to the saddle and gradient noise knocks them off; Newton's "
        "method, which jumps to where its local quadratic model is flat, heads for the saddle from "
        "anywhere near the x axis."
    ),
    formula=r"f(x, y) = x^2 - y^2 + c\,y^4",
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-3.5, 3.5), (-3.5, 3.5)),
    starts=((-3.0, 0.02), (-3.0, 0.0), (3.0, -1.0)),
    minima=_minima,
    params=(Param("quartic", 0.1, 0.05, 1.0, "quartic wall c", "Makes the surface bounded below: valleys at y = ±1/√(2c), depth −1/(4c).", log=True),),
)
