r"""**Damped Newton's method** with an eigenvalue floor, so it is defined everywhere.

$$H = \sum_i \lambda_i u_i u_i^\top,\qquad
\tilde\lambda_i = \operatorname{sign}(\lambda_i)\max(|\lambda_i|, \delta),\qquad
\theta_t = \theta_{t-1} - \eta \sum_i \frac{u_i^\top g_t}{\tilde\lambda_i}\,u_i$$

The floor δ keeps the step finite where the Hessian is singular (a flat direction, the
inflection line of a saddle). The sign is kept, so the method is still attracted to saddle
points, which is the lesson; ``saddle_free=True`` uses |λ| instead (Dauphin et al., 2014) and
turns the negative-curvature direction into a descent direction.
"""
import math

from ._base import Hyper, OptimizerSpec, learning_rate, rule_jit


@rule_jit
def init(hp):
    return (0.0,)


@rule_jit
def eigen_2x2(hxx, hxy, hyy):
    """Eigenvalues (larger first) and the angle of the first eigenvector of a symmetric 2x2 matrix."""
    mean = 0.5 * (hxx + hyy)
    half_diff = 0.5 * (hxx - hyy)
    radius = math.hypot(half_diff, hxy)
    angle = 0.5 * math.atan2(hxy, half_diff)
    return mean + radius, mean - radius, angle


@rule_jit
def floored(eigenvalue, damping, saddle_free):
    magnitude = max(abs(eigenvalue), damping)
    if saddle_free != 0.0 or eigenvalue >= 0.0:
        return magnitude
    return -magnitude


@rule_jit
def step(t, x, y, f, gx, gy, h, lr, hp, state):
    damping, saddle_free = hp
    lambda1, lambda2, angle = eigen_2x2(h[0], h[1], h[2])
    c, s = math.cos(angle), math.sin(angle)
    along1 = (c * gx + s * gy) / floored(lambda1, damping, saddle_free)
    along2 = (-s * gx + c * gy) / floored(lambda2, damping, saddle_free)
    dx = c * along1 - s * along2
    dy = s * along1 + c * along2
    return x - lr * dx, y - lr * dy, state


NEWTON = OptimizerSpec(
    name="newton",
    colour="#44AA99",
    step_scale="unit",
    sweep_axis="damping",
    title="Newton's method (damped)",
    torch="no torch.optim equivalent (second-order, uses the exact Hessian)",
    formula=(
        r"\theta_t = \theta_{t-1} - \eta\, \tilde H^{-1} g_t" "\n"
        r"\tilde H = \sum_i \operatorname{sign}(\lambda_i)\max(|\lambda_i|, \delta)\, u_i u_i^\top"
    ),
    convention=(
        "The Newton step of the lecture notes (θ − H⁻¹g, UvA lecture 3, CS231n), damped by η and made "
        "safe by flooring |λ| at δ. With saddle_free on, negative curvature is flipped (|H|), so "
        "the method escapes saddles instead of converging to them."
    ),
    hypers=(
        learning_rate(1.0, "η = 1 is the full Newton step; smaller values damp it."),
        Hyper("damping", 1e-4, 0.0, 1e6, low_open=True, label="eigenvalue floor δ",
              help="Curvatures smaller than δ in magnitude are treated as ±δ.", log=True),
        Hyper("saddle_free", False, kind="bool", label="saddle-free (|H|)",
              help="Use |λ|: negative curvature becomes a reason to move away, not towards."),
    ),
    init=init,
    step=step,
    uses_hessian=True,
    summary="Rescales the gradient by the inverse curvature: one step to the bottom of a quadratic, drawn to saddles.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    damping, saddle_free = hp
    hxx, hxy, hyy = float(hessian[0][0]), float(hessian[0][1]), float(hessian[1][1])
    lambda1, lambda2, angle = eigen_2x2(hxx, hxy, hyy)
    c, s = math.cos(angle), math.sin(angle)
    floor1, floor2 = floored(lambda1, damping, saddle_free), floored(lambda2, damping, saddle_free)
    gx, gy = gradient
    along1 = (c * gx + s * gy) / floor1
    along2 = (-s * gx + c * gy) / floor2
    direction = (c * along1 - s * along2, s * along1 + c * along2)
    part1 = (-lr * along1 * c, -lr * along1 * s)
    rows = [("H row 1 (∂²f/∂x², ∂²f/∂x∂y)", (hxx, hxy)), ("H row 2 (∂²f/∂y∂x, ∂²f/∂y²)", (hxy, hyy)),
            ("eigenvalues λ₁, λ₂ of H", (lambda1, lambda2)), ("λ̃ (floored at ±δ" + (", |λ|" if saddle_free else "") + ")", (floor1, floor2)),
            ("u₁ (eigenvector of λ₁)", (c, s)), ("H̃⁻¹ g (Newton direction)", direction)]
    arrows = [("−η (u₁ᵀg/λ̃₁) u₁ (Newton step along u₁)", point, part1),
              ("−η (u₂ᵀg/λ̃₂) u₂ (Newton step along u₂)", (point[0] + part1[0], point[1] + part1[1]), (lr * along2 * s, -lr * along2 * c))]
    return rows, arrows
