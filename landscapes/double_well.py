"""Two wells and the saddle between them; a tilt makes one well deeper than the other."""

from ._base import Param, SurfaceSpec, rank_minima, refine_minimum, surface_jit


@surface_jit
def value(x, y, tilt):
    w = x * x - 1.0
    return w * w + y * y + tilt * x


@surface_jit
def grad(x, y, tilt):
    return 4.0 * x * (x * x - 1.0) + tilt, 2.0 * y


@surface_jit
def hessian(x, y, tilt):
    return 12.0 * x * x - 4.0, 0.0, 2.0


def _minima(p):
    # On y = 0 at the outer roots of 4x³ − 4x + t = 0 (three real roots for |t| < 1.54): Newton from ±1.
    return rank_minima([refine_minimum(value, grad, hessian, x, 0.0, p["tilt"]) for x in (-1.0, 1.0)])


SPEC = SurfaceSpec(
    name="double_well",
    title="Double well (two minima and a saddle)",
    category="saddle",
    description=(
        "Two valleys near x = ±1 separated by a saddle point near the origin. A tilt t > 0 makes the "
        "left well deeper, so which minimum a run ends in, global or merely local, depends on where it "
        "starts and how much momentum it carries. From the default start plain gradient descent "
        "settles in the nearer, shallower right well, while momentum can roll over the saddle into "
        "the deeper one. The second start lies just beside the saddle (at t = 0.3): runs stall there "
        "for many steps before they fall to one side."
    ),
    formula=r"f(x, y) = (x^2 - 1)^2 + y^2 + t\,x",
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    starts=((1.8, 1.8), (0.0755, 1.8), (-1.8, -1.5)),
    minima=_minima,
    params=(Param("tilt", 0.3, -0.6, 0.6, "tilt t", "Tilts the surface: t > 0 deepens the left well, t < 0 the right one."),),
)
