"""The six-hump camel back: two global minima, four local ones, saddles in between."""
from ._base import Minimum, SurfaceSpec, surface_jit


@surface_jit
def value(x, y):
    x2, y2 = x * x, y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (4.0 * y2 - 4.0) * y2


@surface_jit
def grad(x, y):
    x2 = x * x
    return 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * y * y * y


@surface_jit
def hessian(x, y):
    x2 = x * x
    return 8.0 - 25.2 * x2 + 10.0 * x2 * x2, 1.0, 48.0 * y * y - 8.0


SPEC = SurfaceSpec(
    name="six_hump_camel",
    title="Six-hump camel back",
    category="multimodal",
    description=(
        "Six minima: a symmetric pair of global ones near (±0.09, ∓0.71) with loss −1.0316, a pair of "
        "local ones at −0.2155 and a shallow pair at 2.1043, separated by saddle points. Gradient "
        "descent goes to the minimum whose basin it starts in, so the start and the first few steps "
        "decide whether a run finds the best answer; momentum may carry a run over a saddle into a "
        "neighbouring basin, better or worse."
    ),
    formula=r"f(x, y) = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + \left(4y^2 - 4\right)y^2",
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-2.2, 2.2), (-1.2, 1.2)),
    starts=((-1.9, -1.0), (1.2, 1.1), (-0.8, 0.0)),
    # Newton-refined to double precision; the literature gives (±0.0898, ∓0.7126), f = −1.0316.
    minima=(
        Minimum(0.08984201310031806, -0.7126564030207396, -1.0316284534898774),
        Minimum(-0.08984201310031806, 0.7126564030207396, -1.0316284534898774),
        Minimum(-1.703606714969981, 0.7960835686726251, -0.2154638243837184, "local"),
        Minimum(1.703606714969981, -0.7960835686726251, -0.2154638243837184, "local"),
        Minimum(-1.6071047529201974, -0.5686514548841314, 2.1042503103112575, "local"),
        Minimum(1.6071047529201974, 0.5686514548841314, 2.1042503103112575, "local"),
    ),
)
