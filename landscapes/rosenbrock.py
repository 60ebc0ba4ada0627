"""Rosenbrock's banana: a curved, nearly flat valley floor inside steep walls."""

from ._base import Minimum, Param, SurfaceSpec, surface_jit


@surface_jit
def value(x, y, a, b):
    return (a - x) ** 2 + b * (y - x * x) ** 2


@surface_jit
def grad(x, y, a, b):
    r = y - x * x
    return -2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r


@surface_jit
def hessian(x, y, a, b):
    return 2.0 - 4.0 * b * (y - 3.0 * x * x), -4.0 * b * x, 2.0 * b


SPEC = SurfaceSpec(
    name="rosenbrock",
    title="Rosenbrock's banana valley",
    category="ravine",
    description=(
        "A narrow curved valley: the walls are steep (curvature about 2b across the valley) while "
        "the floor falls gently towards the minimum at (a, a^2). Gradient descent spends most of its "
        "steps bouncing between the walls; momentum and second-order methods follow the floor."
    ),
    formula=r"f(x, y) = (a - x)^2 + b\,(y - x^2)^2",
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-2.0, 2.0), (-1.0, 3.0)),
    starts=((-1.5, 2.0), (-1.0, -0.5), (1.5, -0.5)),
    minima=lambda p: (Minimum(p["a"], p["a"] ** 2, 0.0),),
    params=(
        Param("a", 1.0, 0.5, 1.5, "a (minimum at (a, a²))"),
        Param("b", 100.0, 1.0, 1000.0, "b (valley steepness)", log=True),
    ),
    log_colors=True,
)
