r"""**NAdam** (Dozat, 2016): Adam with Nesterov momentum, exactly as ``torch.optim.NAdam``.

$$\mu_t = \beta_1\big(1 - \tfrac12\, 0.96^{t\psi}\big),\qquad m_t, v_t \text{ as in Adam}$$
$$\theta_t = \theta_{t-1} - \eta\,\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\,\frac{g_t}{\sqrt{\hat v_t}+\epsilon}
 - \eta\,\frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\,\frac{m_t}{\sqrt{\hat v_t}+\epsilon}$$
"""
import math

from ._base import Hyper, OptimizerSpec, betas, eps, flush, learning_rate, rule_jit, sqrt, weight_decay
from .adam import explained_weight_decay, lerp, weight_decay_step


@rule_jit
def init(hp):
    # state: m, v, the running product of mu, beta2**t, 0.96**(t psi) and its factor 0.96**psi.
    # Running products instead of powers: see adam.py.
    return (0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.96 ** hp[4])


@rule_jit
def step(t, x, y, f, gx, gy, h, lr, hp, state):
    beta1, beta2, eps, weight_decay, momentum_decay, decoupled = hp
    mx, my, vx, vy, mu_product, beta2_t, decay_t, decay_factor = state
    beta2_t = flush(beta2_t * beta2)
    bias_correction2 = 1.0 - beta2_t
    x, y, gx, gy = weight_decay_step(x, y, gx, gy, lr, weight_decay, decoupled)
    decay_t = flush(decay_t * decay_factor)  # 0.96 ** (t psi)
    mu = beta1 * (1.0 - 0.5 * decay_t)
    mu_next = beta1 * (1.0 - 0.5 * decay_t * decay_factor)
    mu_product = flush(mu_product * mu)
    mx = flush(lerp(mx, gx, 1.0 - beta1))
    my = flush(lerp(my, gy, 1.0 - beta1))
    vx = flush(vx * beta2 + (1.0 - beta2) * gx * gx)
    vy = flush(vy * beta2 + (1.0 - beta2) * gy * gy)
    denom_x = sqrt(vx / bias_correction2) + eps
    denom_y = sqrt(vy / bias_correction2) + eps
    mu_product_next = mu_product * mu_next
    grad_scale = -lr * (1.0 - mu) / (1.0 - mu_product)
    momentum_scale = (-lr * mu_next) / (1.0 - mu_product_next)
    x = x + grad_scale * gx / denom_x
    y = y + grad_scale * gy / denom_y
    x = x + momentum_scale * mx / denom_x
    y = y + momentum_scale * my / denom_y
    return x, y, (mx, my, vx, vy, mu_product, beta2_t, decay_t, decay_factor)


NADAM = OptimizerSpec(
    name="nadam",
    network_lr=0.05,
    colour="#332288",
    step_scale="per_coordinate",
    sweep_axis="betas[1]",
    title="NAdam",
    torch="torch.optim.NAdam(params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, momentum_decay=4e-3)",
    formula=(
        r"\mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{t\psi}\right)" "\n"
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad \hat v_t = \frac{\beta_2 v_{t-1} + (1-\beta_2) g_t^2}{1-\beta_2^t}" "\n"
        r"\theta_t = \theta_{t-1} - \eta\left[\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\, g_t + \frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\, m_t\right] \Big/ \left(\sqrt{\hat v_t}+\epsilon\right)"
    ),
    convention=(
        "torch's NAdam, with Dozat's momentum schedule μₜ (ψ = momentum_decay = 4e-3): the Nesterov "
        "look-ahead is applied to Adam's first moment. ε sits outside the square root."
    ),
    hypers=(
        learning_rate(2e-3),
        betas(),
        eps(1e-8),
        weight_decay(help="L2 penalty added to the gradient (or decoupled)."),
        Hyper("momentum_decay", 4e-3, 0.0, 1.0, label="momentum decay ψ", help="How fast μₜ warms up towards β₁."),
        Hyper("decoupled_weight_decay", False, kind="bool", label="decoupled weight decay", help="Shrink θ by ηλ like AdamW."),
    ),
    init=init,
    step=step,
    summary="Adam whose momentum looks ahead like Nesterov's.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    beta1, beta2, eps, weight_decay, momentum_decay, decoupled = hp
    origin, (gx, gy), rows, arrows = explained_weight_decay(point, gradient, lr, weight_decay, decoupled)
    mx, my, vx, vy, mu_product, beta2_t, decay_t, decay_factor = (float(v) for v in after)
    mu = beta1 * (1.0 - 0.5 * decay_t)
    mu_next = beta1 * (1.0 - 0.5 * decay_t * decay_factor)
    correction2 = 1.0 - beta2_t
    dx, dy = math.sqrt(vx / correction2) + eps, math.sqrt(vy / correction2) + eps
    grad_scale = -lr * (1.0 - mu) / (1.0 - mu_product)
    momentum_scale = (-lr * mu_next) / (1.0 - mu_product * mu_next)
    rows += [("m (first moment) before", (float(before[0]), float(before[1]))), ("m after", (mx, my)),
             ("v (second moment) after", (vx, vy)), ("μₜ (momentum this step)", mu), ("μₜ₊₁ (look-ahead momentum)", mu_next),
             ("∏ μᵢ up to t", mu_product), ("v̂ = v / (1 − β₂ᵗ)", (vx / correction2, vy / correction2)),
             ("√v̂ + ε", (dx, dy)), ("η / (√v̂ + ε) (effective learning rate per coordinate)", (lr / dx, lr / dy))]
    gradient_part = (grad_scale * gx / dx, grad_scale * gy / dy)
    arrows += [("gradient part −η(1−μₜ)/(1−∏μ) · g/(√v̂+ε)", origin, gradient_part),
               ("look-ahead momentum part −η μₜ₊₁/(1−∏μ·μₜ₊₁) · m/(√v̂+ε)",
                (origin[0] + gradient_part[0], origin[1] + gradient_part[1]),
                (momentum_scale * mx / dx, momentum_scale * my / dy))]
    return rows, arrows
