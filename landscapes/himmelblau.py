"""Himmelblau's function: four equally deep minima around one local maximum."""
from ._base import Minimum, SurfaceSpec, surface_jit


@surface_jit
def value(x, y):
    p = x * x + y - 11.0
    q = x + y * y - 7.0
    return p * p + q * q


@surface_jit
def grad(x, y):
    p = x * x + y - 11.0
    q = x + y * y - 7.0
    return 4.0 * x * p + 2.0 * q, 2.0 * p + 4.0 * y * q


@surface_jit
def hessian(x, y):
    return 12.0 * x * x + 4.0 * y - 42.0, 4.0 * (x + y), 12.0 * y * y + 4.0 * x - 26.0


SPEC = SurfaceSpec(
    name="himmelblau",
    title="Himmelblau's function",
    category="multimodal",
    description=(
        "Four minima, all with loss exactly 0, around a local maximum near (−0.27, −0.92). Every "
        "minimum is global, so the question is not how good the answer is but which one a run picks: "
        "started near the central hill, different optimizers roll into different basins (from the "
        "origin with lr = 0.01, gradient descent ends at (3, 2) and momentum at (3.58, −1.85)). "
        "Newton's method is drawn to the hill itself, a maximum, where the gradient also vanishes."
    ),
    formula=r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    starts=((0.0, 0.0), (0.2, -0.9), (-4.5, 0.5)),
    # Newton-refined to double precision; Himmelblau (1972) gives them to six decimals.
    minima=(
        Minimum(3.0, 2.0, 0.0),
        Minimum(-2.805118086952745, 3.131312518250573, 0.0),
        Minimum(-3.779310253377747, -3.2831859912861696, 0.0),
        Minimum(3.5844283403304917, -1.8481265269644036, 0.0),
    ),
    log_colors=True,
)
