"""Booth's function: a tilted quadratic bowl with condition number 9."""
from ._base import Minimum, SurfaceSpec, surface_jit


@surface_jit
def value(x, y):
    p = x + 2.0 * y - 7.0
    q = 2.0 * x + y - 5.0
    return p * p + q * q


@surface_jit
def grad(x, y):
    p = x + 2.0 * y - 7.0
    q = 2.0 * x + y - 5.0
    return 2.0 * p + 4.0 * q, 4.0 * p + 2.0 * q


@surface_jit
def hessian(x, y):
    return 10.0, 8.0, 10.0


SPEC = SurfaceSpec(
    name="booth",
    title="Booth's function",
    category="convex",
    description=(
        "A quadratic bowl whose Hessian [[10, 8], [8, 10]] has eigenvalues 18 and 2, so its long axis "
        "runs diagonally with condition number 9. Gradient descent converges for lr < 2/18 but zig-zags "
        "across the valley near that limit; Newton's method lands on the minimum (1, 3) in one step."
    ),
    formula=r"f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-10.0, 10.0), (-10.0, 10.0)),
    starts=((-8.0, -6.0), (8.0, -8.0), (-9.0, 9.0)),
    minima=(Minimum(1.0, 3.0, 0.0),),
    log_colors=True,
)
