r"""**Adamax** (Kingma & Ba, 2015, section 7.1), exactly as ``torch.optim.Adamax``.

$$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad u_t = \max(\beta_2 u_{t-1},\ |g_t| + \epsilon)$$
$$\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,\frac{m_t}{u_t}$$

Adam with the RMS of past gradients replaced by a decaying maximum of their sizes: a single
large gradient sets the scale until β₂ has worn it down, and no bias correction of u is needed.
"""
from ._base import OptimizerSpec, betas, eps, flush, learning_rate, rule_jit, weight_decay
from .adam import lerp


@rule_jit
def init(hp):
    # m, u and beta1**t as a running product (see adam.py)
    return (0.0, 0.0, 0.0, 0.0, 1.0)


@rule_jit
def step(t, x, y, f, gx, gy, h, lr, hp, state):
    beta1, beta2, eps, weight_decay = hp
    mx, my, ux, uy, beta1_t = state
    if weight_decay != 0.0:
        gx = gx + weight_decay * x
        gy = gy + weight_decay * y
    mx = flush(lerp(mx, gx, 1.0 - beta1))
    my = flush(lerp(my, gy, 1.0 - beta1))
    ux = max(ux * beta2, abs(gx) + eps)  # torch adds ε to |g| inside the maximum
    uy = max(uy * beta2, abs(gy) + eps)
    beta1_t = flush(beta1_t * beta1)
    clr = lr / (1.0 - beta1_t)
    x = x + (-clr * mx) / ux
    y = y + (-clr * my) / uy
    return x, y, (mx, my, ux, uy, beta1_t)


ADAMAX = OptimizerSpec(
    name="adamax",
    network_lr=0.1,
    colour="#661100",
    step_scale="per_coordinate",
    sweep_axis="betas[1]",
    title="Adamax",
    torch="torch.optim.Adamax(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8)",
    formula=(
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\quad u_t = \max\left(\beta_2 u_{t-1},\ |g_t| + \epsilon\right)" "\n"
        r"\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,\frac{m_t}{u_t}"
    ),
    convention=(
        "torch's Adamax: ε is added to |g| inside the maximum (the paper has no ε), and only m is bias-corrected, "
        "as in the paper's Algorithm 2 (a maximum has no bias towards zero to correct). u is the ∞-norm limit of "
        "Adam's √v: the scale is the largest recent |g|, decayed by β₂ per step."
    ),
    hypers=(
        learning_rate(2e-3),
        betas(help="Decay rates of the running mean of g (momentum) and of the running maximum of |g| (scale)."),
        eps(1e-8, "Added to |g| inside the maximum, so u is never zero."),
        weight_decay(),
    ),
    init=init,
    step=step,
    summary="Adam that divides by a decaying maximum of |g| instead of the RMS: one large gradient keeps steps small for a while.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    beta1, beta2, eps, weight_decay = hp
    gx, gy = gradient
    rows = []
    if weight_decay != 0.0:
        gx, gy = gx + weight_decay * point[0], gy + weight_decay * point[1]
        rows.append(("g + λθ (weight decay added)", (gx, gy)))
    mx, my, ux, uy, beta1_t = (float(v) for v in after)
    clr = lr / (1.0 - beta1_t)
    rows += [("m (first moment) before", (float(before[0]), float(before[1]))), ("m after", (mx, my)),
             ("β₂ u before (decayed maximum)", (beta2 * float(before[2]), beta2 * float(before[3]))),
             ("|g| + ε", (abs(gx) + eps, abs(gy) + eps)),
             ("u = max(β₂ u, |g| + ε) (scale)", (ux, uy)), ("β₁ᵗ", beta1_t),
             ("η / (1 − β₁ᵗ) (bias-corrected step size)", clr),
             ("η / ((1 − β₁ᵗ) u) (effective learning rate per coordinate)", (clr / ux, clr / uy))]
    return rows, [("−η m / ((1 − β₁ᵗ) u) (the step)", point, ((-clr * mx) / ux, (-clr * my) / uy))]
