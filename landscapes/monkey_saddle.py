"""The monkey saddle x³ − 3xy² (three valleys meet at a flat point), bounded below by a quartic."""
import numpy as np

from ._base import Minimum, Param, SurfaceSpec, surface_jit


@surface_jit
def value(x, y, quartic):
    q = x * x + y * y
    return x * x * x - 3.0 * x * y * y + quartic * q * q


@surface_jit
def grad(x, y, quartic):
    q4 = 4.0 * quartic * (x * x + y * y)
    return 3.0 * (x * x - y * y) + q4 * x, -6.0 * x * y + q4 * y


@surface_jit
def hessian(x, y, quartic):
    c4 = 4.0 * quartic
    return (6.0 * x + c4 * (3.0 * x * x + y * y), (8.0 * quartic * x - 6.0) * y,
            -6.0 * x + c4 * (x * x + 3.0 * y * y))


def _minima(p):
    # In polar form f = r³cos3φ + c r⁴: the minima sit where cos3φ = −1, at r = 3/(4c).
    c = p["quartic"]
    r = 0.75 / c
    depth = -27.0 / (256.0 * c**3)
    h = float(r * np.sqrt(3.0) / 2.0)
    return (Minimum(-r, 0.0, depth), Minimum(0.5 * r, h, depth), Minimum(0.5 * r, -h, depth))


SPEC = SurfaceSpec(
    name="monkey_saddle",
    title="Monkey saddle",
    category="saddle",
    description=(
        "At the origin the gradient and the whole Hessian vanish: three valleys (for the legs and a "
        "tail) meet three ridges, so no second-order test can tell what kind of point this is. "
        "Gradient descent approaching along a ridge slows to a crawl, because the gradient shrinks "
        "like the square of the distance, and Newton's method halves its distance to the saddle at "
        "every step, converging to it instead of a minimum. The pure monkey saddle is unbounded below; the quartic term c(x² + y²)² "
        "closes each valley in a minimum at distance 3/(4c) from the origin."
    ),
    formula=r"f(x, y) = x^3 - 3xy^2 + c\,(x^2 + y^2)^2",
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-4.0, 4.0), (-4.0, 4.0)),
    starts=((3.0, 0.1), (3.0, 0.0), (-1.0, 3.5)),
    minima=_minima,
    params=(Param("quartic", 0.25, 0.2, 1.0, "quartic wall c", "Closes the valleys: minima at distance 3/(4c), depth −27/(256c³).", log=True),),
)
