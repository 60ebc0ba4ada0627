r"""**RAdam** (Liu et al., 2020, "On the Variance of the Adaptive Learning Rate and Beyond"), exactly
as ``torch.optim.RAdam``.

$$\rho_\infty = \frac{2}{1-\beta_2} - 1,\qquad \rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t}$$
$$\theta_t = \theta_{t-1} - \eta\,\hat m_t\cdot\begin{cases} r_t\,\dfrac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon} & \rho_t > 5\\ 1 & \text{otherwise}\end{cases}$$

While too few squared gradients have been averaged for their mean to be trusted (ρₜ ≤ 5: the
first five steps at β₂ = 0.999), RAdam takes plain momentum steps η·m̂; afterwards Adam's
steps, scaled by the rectification rₜ that rises from about 0 towards 1.
"""
from ._base import Hyper, OptimizerSpec, betas, eps, flush, learning_rate, rule_jit, sqrt, weight_decay
from .adam import explained_weight_decay, lerp, weight_decay_step


@rule_jit
def init(hp):
    # m, v, beta1**t, beta2**t (running products, see adam.py)
    return (0.0, 0.0, 0.0, 0.0, 1.0, 1.0)


@rule_jit
def rectification(t, beta2, beta2_t):
    """(ρₜ, rₜ): the length of the approximated simple moving average, and the variance rectification."""
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    rho_t = rho_inf - 2.0 * t * beta2_t / (1.0 - beta2_t)
    if rho_t > 5.0:
        return rho_t, ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5
    return rho_t, 0.0


@rule_jit
def step(t, x, y, f, gx, gy, h, lr, hp, state):
    beta1, beta2, eps, weight_decay, decoupled = hp
    mx, my, vx, vy, beta1_t, beta2_t = state
    x, y, gx, gy = weight_decay_step(x, y, gx, gy, lr, weight_decay, decoupled)
    mx = flush(lerp(mx, gx, 1.0 - beta1))
    my = flush(lerp(my, gy, 1.0 - beta1))
    vx = flush(vx * beta2 + (1.0 - beta2) * gx * gx)
    vy = flush(vy * beta2 + (1.0 - beta2) * gy * gy)
    beta1_t = flush(beta1_t * beta1)
    beta2_t = flush(beta2_t * beta2)
    bias_correction1 = 1.0 - beta1_t
    bias_correction2 = 1.0 - beta2_t
    corrected_x = mx / bias_correction1
    corrected_y = my / bias_correction1
    rho_t, rect = rectification(float(t), beta2, beta2_t)
    if rho_t > 5.0:
        # torch's order: m̂ · η · (√(1 − β₂ᵗ) / (√v + ε)) · r
        x = x - corrected_x * lr * (sqrt(bias_correction2) / (sqrt(vx) + eps)) * rect
        y = y - corrected_y * lr * (sqrt(bias_correction2) / (sqrt(vy) + eps)) * rect
    else:
        x = x - corrected_x * lr
        y = y - corrected_y * lr
    return x, y, (mx, my, vx, vy, beta1_t, beta2_t)


RADAM = OptimizerSpec(
    name="radam",
    network_lr=0.5,
    colour="#EE3377",
    step_scale="rectified",
    sweep_axis="betas[1]",
    title="RAdam",
    torch="torch.optim.RAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)",
    formula=(
        r"m_t, v_t \text{ as in Adam},\quad \hat m_t = \frac{m_t}{1-\beta_1^t},\quad \rho_\infty = \frac{2}{1-\beta_2} - 1,\quad \rho_t = \rho_\infty - \frac{2t\,\beta_2^t}{1-\beta_2^t}" "\n"
        r"r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\,\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\,\rho_t}}" "\n"
        r"\theta_t = \theta_{t-1} - \eta\,\hat m_t\, r_t\,\frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t}+\epsilon}\ \text{ if } \rho_t > 5,\quad"
        r"\theta_t = \theta_{t-1} - \eta\,\hat m_t \text{ otherwise}"
    ),
    convention=(
        "torch's RAdam and the authors' code switch the adaptive step on when ρₜ > 5 (the paper's Algorithm 2 "
        "writes ρₜ > 4); this app follows torch. Until then each step is η·m̂, a momentum step whose length is "
        "η·|g|, not Adam's η per coordinate: on a steep surface the first five steps can be long. ε is added to √v "
        "before the bias correction, as torch does."
    ),
    hypers=(
        learning_rate(1e-3),
        betas(),
        eps(1e-8, "Added to √v (uncorrected) in the denominator."),
        weight_decay(help="L2 penalty added to the gradient: g + λθ (or decoupled)."),
        Hyper("decoupled_weight_decay", False, kind="bool", label="decoupled weight decay", help="Shrink θ by ηλ like AdamW."),
    ),
    init=init,
    step=step,
    summary="Adam that takes plain momentum steps until its estimate of the gradient's scale can be trusted, then rectifies.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    beta1, beta2, eps, weight_decay, decoupled = hp
    origin, _, rows, arrows = explained_weight_decay(point, gradient, lr, weight_decay, decoupled)
    mx, my, vx, vy, beta1_t, beta2_t = (float(v) for v in after)
    rho_t, rect = rectification(float(t), beta2, beta2_t)
    corrected = (mx / (1.0 - beta1_t), my / (1.0 - beta1_t))
    rows += [("m (first moment) after", (mx, my)), ("v (second moment) after", (vx, vy)),
             ("m̂ = m / (1 − β₁ᵗ)", corrected), ("ρ∞ = 2 / (1 − β₂) − 1", 2.0 / (1.0 - beta2) - 1.0),
             ("ρₜ (length of the average of g²; adaptive once > 5)", rho_t)]
    if rho_t > 5.0:
        scale = ((1.0 - beta2_t) ** 0.5 / (vx ** 0.5 + eps), (1.0 - beta2_t) ** 0.5 / (vy ** 0.5 + eps))
        rows += [("rₜ (variance rectification)", rect),
                 ("η rₜ √(1 − β₂ᵗ) / (√v + ε) (effective learning rate per coordinate)",
                  (lr * rect * scale[0], lr * rect * scale[1]))]
        arrows.append(("−η rₜ m̂ √(1 − β₂ᵗ)/(√v + ε) (rectified Adam step)", origin,
                       (-corrected[0] * lr * scale[0] * rect, -corrected[1] * lr * scale[1] * rect)))
    else:
        rows.append(("rₜ (not used: ρₜ ≤ 5, a plain momentum step)", 0.0))
        arrows.append(("−η m̂ (momentum step, no adaptive scale yet)", origin, (-corrected[0] * lr, -corrected[1] * lr)))
    return rows, arrows
