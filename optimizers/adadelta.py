r"""**Adadelta** (Zeiler, 2012), exactly as ``torch.optim.Adadelta``.

$$v_t = \rho v_{t-1} + (1-\rho) g_t^2,\qquad \Delta_t = \frac{\sqrt{u_{t-1}+\epsilon}}{\sqrt{v_t+\epsilon}}\, g_t$$
$$u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\qquad \theta_t = \theta_{t-1} - \eta\,\Delta_t$$

The step's units come from the running RMS of past steps instead of a learning rate: it starts
tiny (√ε per coordinate) and grows only as fast as the steps themselves do.
"""
from ._base import Hyper, OptimizerSpec, eps, flush, learning_rate, rule_jit, sqrt, weight_decay


@rule_jit
def init(hp):
    # v (running mean of g²) and u (running mean of Δ²), per coordinate
    return (0.0, 0.0, 0.0, 0.0)


@rule_jit
def step(t, x, y, f, gx, gy, h, lr, hp, state):
    rho, eps, weight_decay = hp
    vx, vy, ux, uy = state
    if weight_decay != 0.0:
        gx = gx + weight_decay * x
        gy = gy + weight_decay * y
    vx = flush(vx * rho + (1.0 - rho) * gx * gx)
    vy = flush(vy * rho + (1.0 - rho) * gy * gy)
    # torch's order: √(u + ε) / √(v + ε), then times g
    delta_x = sqrt(ux + eps) / sqrt(vx + eps) * gx
    delta_y = sqrt(uy + eps) / sqrt(vy + eps) * gy
    ux = flush(ux * rho + (1.0 - rho) * delta_x * delta_x)
    uy = flush(uy * rho + (1.0 - rho) * delta_y * delta_y)
    return x + -lr * delta_x, y + -lr * delta_y, (vx, vy, ux, uy)


ADADELTA = OptimizerSpec(
    name="adadelta",
    network_lr=5,
    colour="#997700",
    step_scale="unit",
    sweep_axis="rho",
    title="Adadelta",
    torch="torch.optim.Adadelta(params, lr=1, rho=0.9, eps=1e-6)",
    formula=(
        r"v_t = \rho\, v_{t-1} + (1-\rho)\, g_t^2" "\n"
        r"\Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t,\quad u_t = \rho\, u_{t-1} + (1-\rho)\, \Delta_t^2" "\n"
        r"\theta_t = \theta_{t-1} - \eta\, \Delta_t"
    ),
    convention=(
        "Zeiler's Algorithm 1 with torch's learning rate η in front (default 1, which is the paper's rule); ε sits "
        "inside both square roots, as in the paper and torch. Zeiler's example used ρ = 0.95, ε = 1e-6; torch's "
        "default ρ is 0.9, as here. The first steps are about √ε/√(1−ρ) ≈ 0.003 per coordinate whatever |g| is."
    ),
    hypers=(
        learning_rate(1.0, "Multiplies Adadelta's own step; 1 is the paper's rule."),
        Hyper("rho", 0.9, 0.0, 1.0, label="decay ρ", help="Weight of the past in the running means of g² and of Δ²."),
        eps(1e-6, "Added inside both square roots: sets the size of the first steps."),
        weight_decay(),
    ),
    init=init,
    step=step,
    summary="Steps measured in the units of past steps, with no learning rate to tune: starts tiny and speeds up by itself.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    rho, eps, weight_decay = hp
    gx, gy = gradient
    rows = []
    if weight_decay != 0.0:
        gx, gy = gx + weight_decay * point[0], gy + weight_decay * point[1]
        rows.append(("g + λθ (weight decay added)", (gx, gy)))
    vx, vy, ux, uy = (float(v) for v in after)
    ux0, uy0 = float(before[2]), float(before[3])
    numerator = ((ux0 + eps) ** 0.5, (uy0 + eps) ** 0.5)
    denominator = ((vx + eps) ** 0.5, (vy + eps) ** 0.5)
    delta = (numerator[0] / denominator[0] * gx, numerator[1] / denominator[1] * gy)
    rows += [("v (mean of g²) after", (vx, vy)), ("u (mean of Δ²) before", (ux0, uy0)),
             ("√(u + ε) (RMS of past steps)", numerator), ("√(v + ε) (RMS of gradients)", denominator),
             ("Δ = √(u + ε)/√(v + ε) · g", delta), ("u after", (ux, uy)),
             ("η √(u + ε)/√(v + ε) (effective learning rate per coordinate)",
              (lr * numerator[0] / denominator[0], lr * numerator[1] / denominator[1]))]
    return rows, [("−η Δ (the step)", point, (-lr * delta[0], -lr * delta[1]))]
