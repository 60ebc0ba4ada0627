"""Beale's function: a sharp-cornered valley with steep walls and very flat arms."""
from ._base import Minimum, SurfaceSpec, surface_jit


@surface_jit
def value(x, y):
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y * y
    c = 2.625 - x + x * y * y * y
    return a * a + b * b + c * c


@surface_jit
def grad(x, y):
    y2 = y * y
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y2
    c = 2.625 - x + x * y2 * y
    gx = 2.0 * (a * (y - 1.0) + b * (y2 - 1.0) + c * (y2 * y - 1.0))
    gy = 2.0 * x * (a + 2.0 * y * b + 3.0 * y2 * c)
    return gx, gy


@surface_jit
def hessian(x, y):
    y2 = y * y
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y2
    c = 2.625 - x + x * y2 * y
    da, db, dc = y - 1.0, y2 - 1.0, y2 * y - 1.0  # derivatives of a, b, c in x
    ea, eb, ec = x, 2.0 * x * y, 3.0 * x * y2  # derivatives of a, b, c in y
    hxx = 2.0 * (da * da + db * db + dc * dc)
    hxy = 2.0 * (da * ea + db * eb + dc * ec + a + 2.0 * y * b + 3.0 * y2 * c)
    hyy = 2.0 * (ea * ea + eb * eb + ec * ec + 2.0 * x * b + 6.0 * x * y * c)
    return hxx, hxy, hyy


SPEC = SurfaceSpec(
    name="beale",
    title="Beale's function",
    category="convex",
    description=(
        "A single minimum at (3, 0.5) at the end of a curved valley, between walls that rise by five "
        "orders of magnitude towards the corners and two long, nearly flat arms. It is not convex: "
        "there is a saddle point at (0, 1), and the arms are plateaus. A learning rate small enough "
        "for the walls crawls along the arms, which is where adaptive methods and momentum gain most."
    ),
    formula=r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-4.5, 4.5), (-4.5, 4.5)),
    starts=((1.0, 1.5), (-3.0, -1.0), (4.0, -1.5)),
    minima=(Minimum(3.0, 0.5, 0.0),),
    log_colors=True,
)
