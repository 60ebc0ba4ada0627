r"""Two weights of a deep linear chain: a saddle at zero and a whole hyperbola of minima.

The lecture notes' deep model (ASU STP598, "Challenge: compositions in deep models") predicts
ŷ = x·w₁w₂⋯w_l. With the input x = 1, the target 1, and every weight but the first two held at
its value, the squared error is a function of two weights, f(w₁, w₂) = (1 − c w₁ w₂)², where
c = w₃⋯w_l (= w^(l−2) when they all equal w). The plot's x axis is w₁, its y axis w₂.

One parameter, c, rather than a weight and a chain length: the surface depends on them only
through their product, and a length slider would offer chains of 7.3 weights.
"""
import numpy as np

from ._base import Minimum, Param, SurfaceSpec, Valley, surface_jit


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


# Samples of the branch's parameter before refining: enough that the two feet a point beyond the
# vertex's centre of curvature has on one branch fall in separate intervals (checked against dense
# sampling of the hyperbola in tests/test_landscapes.py).
_SAMPLES = 24
# Newton steps in a bracket: 8 left errors of 5e-11 against dense sampling, 12 none above 1e-13.
_NEWTON_STEPS = 12


def _g(s, x, y, r):
    """½ dD/ds and its derivative, D the squared distance from (x, y) to (r eˢ, r e⁻ˢ)."""
    e = np.exp(s)
    f = 1.0 / e
    return r * (e * e - f * f) - x * e + y * f, 2.0 * r * (e * e + f * f) - x * e - y * f


def _distance_to_branch(x, y, r):
    """Distance from (x, y) to the branch (r eˢ, r e⁻ˢ), s real, of xy = r².

    The foot's s solves g(s) = ½ dD/ds = r(e²ˢ − e⁻²ˢ) − x eˢ + y e⁻ˢ = 0, a quartic in eˢ. Sign changes of
    g from − to + on a grid bracket its local minima (at most two); Newton refines each, bisecting
    instead where its step would leave the bracket (near an inflection of D).
    """
    # g > 0 for eˢ ≥ (|x| + |y|)/r + 2 and g < 0 for e⁻ˢ as large: every foot lies within ±span
    span = np.log((np.abs(x) + np.abs(y)) / r + 2.0) + 0.5
    s = span[..., None] * np.linspace(-1.0, 1.0, _SAMPLES)
    g, _ = _g(s, x[..., None], y[..., None], r)
    up = (g[..., :-1] < 0) & (g[..., 1:] >= 0)
    best = np.full(x.shape, np.inf)
    # the first and the last − to + change: a branch has at most two local minima
    for pick in (np.argmax(up, axis=-1), up.shape[-1] - 1 - np.argmax(up[..., ::-1], axis=-1)):
        found = np.take_along_axis(up, pick[..., None], -1)[..., 0]
        low = np.take_along_axis(s, pick[..., None], -1)[..., 0]
        high = np.take_along_axis(s, pick[..., None] + 1, -1)[..., 0]
        foot = 0.5 * (low + high)
        for _ in range(_NEWTON_STEPS):
            value, slope = _g(foot, x, y, r)
            low, high = np.where(value < 0, foot, low), np.where(value < 0, high, foot)
            newton = foot - value / slope
            foot = np.where((slope > 0) & (newton >= low) & (newton <= high), newton, 0.5 * (low + high))
        distance = np.hypot(x - r * np.exp(foot), y - r * np.exp(-foot))
        best = np.where(found, np.minimum(best, distance), best)
    return best


def distance_to_valley(x, y, p):
    """Euclidean distance from (x, y) to the nearest point of the hyperbola w₁w₂ = 1/c, either branch; NumPy arrays."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    r = float(1.0 / np.sqrt(p["depth"]))
    finite = np.isfinite(x) & np.isfinite(y)
    fx, fy = np.where(finite, x, 0.0), np.where(finite, y, 0.0)
    # Reflection in the line x + y = 0 maps the hyperbola onto itself, swapping its branches, so from
    # either side of that line the branch on the same side is the nearer; the one in x, y < 0 is the
    # first one seen from (−x, −y).
    side = np.where(fx + fy >= 0, 1.0, -1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        distance = _distance_to_branch(side * fx, side * fy, r)
    return np.where(finite, distance, np.hypot(x, y))  # inf far away, NaN for NaN: as for listed minima


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
    valley=Valley(distance_to_valley, "the valley of minima w₁w₂ = 1/c", ("branch w₁, w₂ > 0", "branch w₁, w₂ < 0")),
    log_colors=True,  # linear bands drew one flat field, 0 to 4 around the saddle: valley and saddle unseen
)
