r"""Two weights of a deep linear chain: a saddle at zero and a whole hyperbola of minima.

The lecture notes' deep model (ASU STP598, "Challenge: compositions in deep models") predicts
ŷ = x·w₁w₂⋯w_l. With the input x = 1, the target 1, and every weight but the first two held at
its value, the squared error is a function of two weights, f(w₁, w₂) = (1 − c w₁ w₂)², where
c = w₃⋯w_l (= w^(l−2) when they all equal w). The plot's x axis is w₁, its y axis w₂.

One parameter, c, rather than a weight and a chain length: the surface depends on them only
through their product, and a length slider would offer chains of 7.3 weights.
"""
import numpy as np

from ._base import Minimum, Param, SurfaceSpec, surface_jit


@surface_jit
def value(x, y, c):
    r = 1.0 - c * x * y
    return r * r


@surface_jit
def grad(x, y, c):
    k = -2.0 * c * (1.0 - c * x * y)
    return k * y, k * x


@surface_jit
def hessian(x, y, c):
    # the cross term has two parts: the residual's own −2c and the product rule's 2c²xy
    return 2.0 * c * c * y * y, 4.0 * c * c * x * y - 2.0 * c, 2.0 * c * c * x * x


def _minima(p):
    # Every point of w₁w₂ = 1/c is a global minimum (loss 0); these are the two balanced ones,
    # |w₁| = |w₂|, where the valley's curvature 2c²(w₁² + w₂²) is lowest (4c).
    w = float(1.0 / np.sqrt(p["depth"]))
    return (Minimum(w, w, 0.0), Minimum(-w, -w, 0.0))


SPEC = SurfaceSpec(
    name="chain",
    title="Two weights of a deep chain",
    category="saddle",
    description=(
        "The lecture notes' deep model ŷ = x·w₁w₂⋯w_l (x = 1, target 1) seen through its first two "
        "weights, x axis w₁ and y axis w₂; the others stay fixed, and their product c = w₃⋯w_l "
        "(w^(l−2) if all equal w) is the depth factor. The loss is zero on the whole hyperbola "
        "w₁w₂ = 1/c: every point of it is a global minimum (the stars mark only its balanced points "
        "±(1/√c, 1/√c)). Along this valley the Hessian has a zero eigenvalue; across it the curvature "
        "is 2c²(w₁² + w₂²), lowest (4c) at the stars. Where a run lands depends on its start: a small "
        "step keeps w₁² − w₂² as it was, and a step η settles only where the curvature across is below "
        "2/η. The origin is a saddle (curvatures ±2c): gradient descent from small weights barely moves "
        "at first, since the gradient grows with the distance from it, and on the line w₁ = −w₂, with a "
        "small step, it slides into the saddle and stays. Every gradient carries the factor c: it "
        "vanishes for weights below 1 (c small) and explodes above 1, so a step that works at c = 1 can "
        "diverge at c = 4."
    ),
    # three lines: the gallery's card is too narrow for one
    formula=r"\begin{gathered} f(x, y) = (1 - c\,x\,y)^2 \\ x = w_1,\ y = w_2 \\ c = w_3 \cdots w_l = w^{\,l-2} \end{gathered}",
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-3.0, 3.0), (-3.0, 3.0)),
    starts=((1.5, -1.2), (0.05, 0.02), (2.5, 0.2)),
    minima=_minima,
    params=(Param("depth", 1.0, 0.25, 4.0, "depth factor c = w^(l−2)",
                  "The product of the chain's other weights: below 1 the gradient vanishes, above 1 it explodes.",
                  log=True),),
    log_colors=True,  # linear bands drew one flat field, 0 to 4 around the saddle: valley and saddle unseen
)
