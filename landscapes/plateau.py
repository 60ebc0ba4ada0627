"""A Gaussian well in a vast flat plain: the gradient is exponentially small far from the well."""
import numpy as np

from ._base import Minimum, Param, SurfaceSpec, surface_jit


@surface_jit
def value(x, y, width):
    return 1.0 - np.exp(-(x * x + y * y) / (2.0 * width * width))


@surface_jit
def grad(x, y, width):
    s2 = width * width
    k = np.exp(-(x * x + y * y) / (2.0 * s2)) / s2
    return k * x, k * y


@surface_jit
def hessian(x, y, width):
    s2 = width * width
    k = np.exp(-(x * x + y * y) / (2.0 * s2)) / s2
    return k * (1.0 - x * x / s2), -k * x * y / s2, k * (1.0 - y * y / s2)


SPEC = SurfaceSpec(
    name="plateau",
    title="Plateau around a well",
    category="plateau",
    description=(
        "A narrow well in a wide plain at height 1. Far from the well the gradient is almost zero, "
        "so gradient descent barely moves and its loss curve is flat for a long time (which looks like "
        "a learning rate that is too low) before it suddenly drops. AdaGrad, RMSProp and Adam divide "
        "by the size of recent gradients, so their steps stay near lr however tiny the gradient is and "
        "they cross the plain quickly (from the default start with lr = 0.1: Adam reaches the well in "
        "about 20 steps, SGD in about 640); Newton's method sees negative curvature outside the rim of "
        "the well and heads the wrong way."
    ),
    formula=r"f(x, y) = 1 - \exp\!\left(-\frac{x^2 + y^2}{2\sigma^2}\right)",
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    starts=((-3.0, 2.0), (4.0, 0.5), (-1.5, -1.5)),
    minima=(Minimum(0.0, 0.0, 0.0),),
    params=(Param("width", 1.0, 0.5, 2.0, "well width σ", "Radius of the well; outside a few σ the plain is flat."),),
)
