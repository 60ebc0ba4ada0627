"""An axis-aligned ill-conditioned quadratic bowl: the ravine in its purest form."""
from ._base import Minimum, Param, SurfaceSpec, surface_jit


@surface_jit
def value(x, y, condition):
    return 0.5 * (x * x + condition * y * y)


@surface_jit
def grad(x, y, condition):
    return x, condition * y


@surface_jit
def hessian(x, y, condition):
    return 1.0, 0.0, condition


SPEC = SurfaceSpec(
    name="quadratic",
    title="Ill-conditioned quadratic (axis-aligned ravine)",
    category="ravine",
    description=(
        "Curvature 1 along x and κ along y, so the condition number is κ. Gradient descent is stable "
        "only for lr < 2/κ, and at that rate it crawls along the shallow x direction while it "
        "zig-zags across the steep y direction. Because the valley is aligned with the axes, "
        "per-coordinate methods (AdaGrad, RMSProp, Adam) rescale each axis and walk straight in."
    ),
    formula=r"f(x, y) = \tfrac12\left(x^2 + \kappa\,y^2\right)",
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-10.0, 10.0), (-4.0, 4.0)),
    starts=((-9.0, 3.0), (-9.0, 0.5), (8.0, -3.5)),
    minima=(Minimum(0.0, 0.0, 0.0),),
    params=(Param("condition", 20.0, 1.0, 1000.0, "condition number κ", "Ratio of the largest to the smallest curvature.", log=True),),
)
