"""The isotropic quadratic bowl: the easiest possible loss, the reference for every optimizer."""
from ._base import Minimum, Param, SurfaceSpec, surface_jit


@surface_jit
def value(x, y, curvature):
    return 0.5 * curvature * (x * x + y * y)


@surface_jit
def grad(x, y, curvature):
    return curvature * x, curvature * y


@surface_jit
def hessian(x, y, curvature):
    return curvature, 0.0, curvature


SPEC = SurfaceSpec(
    name="bowl",
    title="Round bowl",
    category="convex",
    description=(
        "The same curvature k in every direction (condition number 1): the gradient always points "
        "straight at the minimum. Gradient descent converges for lr < 2/k, fastest at lr = 1/k, "
        "oscillates between 1/k and 2/k and diverges beyond; use it to calibrate a learning rate and "
        "to see momentum overshoot where there is nothing to overcome."
    ),
    formula=r"f(x, y) = \tfrac{k}{2}\left(x^2 + y^2\right)",
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-3.0, 3.0), (-3.0, 3.0)),
    starts=((-2.5, 2.0), (2.8, 0.3), (0.5, -2.8)),
    minima=(Minimum(0.0, 0.0, 0.0),),
    params=(Param("curvature", 1.0, 0.1, 10.0, "curvature k", "Second derivative in every direction.", log=True),),
)
