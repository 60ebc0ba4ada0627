r"""**Adam** (Kingma & Ba, 2015) and its variants, exactly as ``torch.optim.Adam``/``AdamW``.

$$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2$$
$$\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,\frac{m_t}{\sqrt{v_t}/\sqrt{1-\beta_2^t} + \epsilon}$$

One rule with three switches: AMSGrad (divide by the running maximum of v), bias correction
(off only in ``adam_nobias``, which exists to show what the correction is for), and decoupled
weight decay (AdamW: shrink θ by ηλ instead of adding λθ to g).
"""
import math

from ._base import Hyper, OptimizerSpec, betas, eps, flush, learning_rate, rule_jit, sqrt
from ._base import weight_decay as weight_decay_hyper

@rule_jit
def init(hp):
    return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0)


@rule_jit
def lerp(start, end, weight):
    """torch.lerp: start + w(end - start), computed from the nearer end for accuracy."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


@rule_jit
def weight_decay_step(x, y, gx, gy, lr, weight_decay, decoupled):
    """L2 decay through the gradient (g + λθ), or decoupled (θ(1 − ηλ), AdamW), as torch does."""
    if weight_decay != 0.0:
        if decoupled != 0.0:
            x = x * (1.0 - lr * weight_decay)
            y = y * (1.0 - lr * weight_decay)
        else:
            gx = gx + weight_decay * x
            gy = gy + weight_decay * y
    return x, y, gx, gy


@rule_jit
def step(t, x, y, f, gx, gy, h, lr, hp, state):
    beta1, beta2, eps, weight_decay, amsgrad, bias_correction, decoupled = hp
    mx, my, vx, vy, vmax_x, vmax_y, beta1_t, beta2_t = state
    x, y, gx, gy = weight_decay_step(x, y, gx, gy, lr, weight_decay, decoupled)
    mx = flush(lerp(mx, gx, 1.0 - beta1))
    my = flush(lerp(my, gy, 1.0 - beta1))
    vx = flush(vx * beta2 + (1.0 - beta2) * gx * gx)
    vy = flush(vy * beta2 + (1.0 - beta2) * gy * gy)
    # beta**t as a running product: a power per step would cost more than the rest of the
    # update and keeps batch loops from vectorizing; it differs from torch's beta**t in the
    # last bits only. Flushed, since it sinks into slow subnormals after a few thousand steps.
    beta1_t = flush(beta1_t * beta1)
    beta2_t = flush(beta2_t * beta2)
    if bias_correction != 0.0:
        step_size = lr / (1.0 - beta1_t)
        bias_correction2_sqrt = sqrt(1.0 - beta2_t)
    else:
        step_size = lr
        bias_correction2_sqrt = 1.0
    if amsgrad != 0.0:
        vmax_x = max(vmax_x, vx)
        vmax_y = max(vmax_y, vy)
        denom_x = sqrt(vmax_x) / bias_correction2_sqrt + eps
        denom_y = sqrt(vmax_y) / bias_correction2_sqrt + eps
    else:
        denom_x = sqrt(vx) / bias_correction2_sqrt + eps
        denom_y = sqrt(vy) / bias_correction2_sqrt + eps
    x = x + (-step_size * mx) / denom_x
    y = y + (-step_size * my) / denom_y
    return x, y, (mx, my, vx, vy, vmax_x, vmax_y, beta1_t, beta2_t)


def _hypers(lr: float, weight_decay: float, amsgrad: bool, decoupled: bool) -> tuple:
    decay_help = (
        "Decoupled weight decay: θ shrinks by ηλθ each step, apart from the adaptive step."
        if decoupled else "L2 penalty added to the gradient: g + λθ (then rescaled like the gradient)."
    )
    return (
        learning_rate(lr),
        betas(),
        eps(1e-8),
        weight_decay_hyper(weight_decay, decay_help),
        Hyper("amsgrad", amsgrad, kind="bool", label="AMSGrad", help="Divide by the running maximum of v, so steps never grow back."),
    )


_ADAM_FORMULA = (
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2" "\n"
    r"\hat m_t = \frac{m_t}{1-\beta_1^t},\quad \hat v_t = \frac{v_t}{1-\beta_2^t}" "\n"
    r"\theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}"
)
_ADAM_CONVENTION = (
    "ε sits outside the square root, as in the paper, CS231n and torch.optim.Adam (default 1e-8); "
    "Goodfellow's Algorithm 8.7 writes δ + √r̂ the same way with δ = 1e-8. torch folds the bias "
    "corrections into η/(1−β₁ᵗ) and √v/√(1−β₂ᵗ) + ε, as this app does; βᵗ is kept as a running "
    "product, which can differ from torch's power in the last bits only."
)

ADAM = OptimizerSpec(
    name="adam",
    network_lr=0.03,
    colour="#56B4E9",
    step_scale="per_coordinate",
    sweep_axis="betas[1]",
    title="Adam",
    torch="torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)",
    formula=_ADAM_FORMULA,
    convention=_ADAM_CONVENTION,
    hypers=_hypers(1e-3, 0.0, False, False),
    init=init,
    step=step,
    constants=(("bias_correction", 1.0), ("decoupled_weight_decay", 0.0)),
    summary="Momentum on the gradient divided by the RMS of the gradient: each coordinate moves about η per step.",
)

ADAM_NOBIAS = OptimizerSpec(
    name="adam_nobias",
    network_lr=0.03,
    colour="#882255",
    step_scale="per_coordinate",
    sweep_axis="betas[1]",
    title="Adam without bias correction",
    torch="no torch equivalent: torch.optim.Adam always corrects the bias",
    formula=(
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2" "\n"
        r"\theta_t = \theta_{t-1} - \eta\,\frac{m_t}{\sqrt{v_t} + \epsilon}"
    ),
    convention=(
        "Adam with the two bias corrections removed, to show why they exist: m and v start at zero, so "
        "early on m ≈ (1−β₁)g and √v ≈ √(1−β₂)|g|, and the first step is (1−β₁)/√(1−β₂) ≈ 3.2 times "
        "larger than Adam's (CS231n lecture 6)."
    ),
    hypers=_hypers(1e-3, 0.0, False, False),
    init=init,
    step=step,
    constants=(("bias_correction", 0.0), ("decoupled_weight_decay", 0.0)),
    summary="Adam without the 1/(1−βᵗ) corrections: the first steps are the wrong size.",
)

ADAMW = OptimizerSpec(
    name="adamw",
    network_lr=0.05,
    colour="#117733",
    step_scale="per_coordinate",
    sweep_axis="betas[1]",
    title="AdamW",
    torch="torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)",
    formula=r"\theta_{t-1} \leftarrow \theta_{t-1}\,(1 - \eta\lambda)" "\n" + _ADAM_FORMULA,
    convention="Loshchilov & Hutter (2019): weight decay is applied to θ directly, not through the gradient. "
    + _ADAM_CONVENTION,
    hypers=_hypers(1e-3, 1e-2, False, True),
    init=init,
    step=step,
    constants=(("bias_correction", 1.0), ("decoupled_weight_decay", 1.0)),
    summary="Adam with decoupled weight decay: pulls θ towards the origin at a rate independent of the gradient scale.",
)

AMSGRAD = OptimizerSpec(
    name="amsgrad",
    network_lr=0.03,
    colour="#999933",
    step_scale="per_coordinate",
    sweep_axis="betas[1]",
    title="AMSGrad",
    torch="torch.optim.Adam(params, lr=1e-3, amsgrad=True)",
    formula=(
        r"m_t, v_t \text{ as in Adam},\quad \hat v^{\max}_t = \max(\hat v^{\max}_{t-1}, v_t)" "\n"
        r"\theta_t = \theta_{t-1} - \frac{\eta}{1-\beta_1^t}\,\frac{m_t}{\sqrt{\hat v^{\max}_t}/\sqrt{1-\beta_2^t} + \epsilon}"
    ),
    convention="Reddi et al. (2018), in torch's form: the maximum is taken of the uncorrected v. " + _ADAM_CONVENTION,
    hypers=_hypers(1e-3, 0.0, True, False),
    init=init,
    step=step,
    constants=(("bias_correction", 1.0), ("decoupled_weight_decay", 0.0)),
    summary="Adam that never lets its denominator shrink, so a rare large gradient keeps steps small afterwards.",
    defaults_note="amsgrad defaults to True.",
)


def explained_weight_decay(point, gradient, lr, weight_decay, decoupled):
    """(origin, gradient, rows, arrows) of the Anatomy page for a step's weight decay: decoupled, θ shrinks first
    and the step starts from θ(1 − ηλ); as L2, the gradient becomes g + λθ."""
    gx, gy = gradient
    if weight_decay == 0.0:
        return point, (gx, gy), [], []
    if decoupled != 0.0:
        origin = (point[0] * (1.0 - lr * weight_decay), point[1] * (1.0 - lr * weight_decay))
        return origin, (gx, gy), [], [("−ηλθ (decoupled weight decay)", point, (origin[0] - point[0], origin[1] - point[1]))]
    gx, gy = gx + weight_decay * point[0], gy + weight_decay * point[1]
    return point, (gx, gy), [("g + λθ (weight decay added)", (gx, gy))], []


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py).

    Also draws the step the other variant would take from the same state (with or without
    bias correction), which is what the correction is for.
    """
    beta1, beta2, eps, weight_decay, amsgrad, bias_correction, decoupled = hp
    origin, (gx, gy), rows, arrows = explained_weight_decay(point, gradient, lr, weight_decay, decoupled)
    if arrows:
        rows.append(("θ (1 − ηλ) (decoupled weight decay, AdamW)", origin))
    mx, my, vx, vy, vmax_x, vmax_y, beta1_t, beta2_t = (float(v) for v in after)
    correction1, correction2 = 1.0 - beta1_t, 1.0 - beta2_t
    rows += [("m (first moment) before", (float(before[0]), float(before[1]))), ("m after", (mx, my)),
             ("v (second moment) before", (float(before[2]), float(before[3]))), ("v after", (vx, vy)),
             ("β₁ᵗ", beta1_t), ("β₂ᵗ", beta2_t),
             ("1 − β₁ᵗ (bias correction of m)" + ("" if bias_correction else ", not applied"), correction1),
             ("1 − β₂ᵗ (bias correction of v)" + ("" if bias_correction else ", not applied"), correction2),
             ("m̂ = m / (1 − β₁ᵗ)", (mx / correction1, my / correction1)),
             ("v̂ = v / (1 − β₂ᵗ)", (vx / correction2, vy / correction2))]
    if amsgrad != 0.0:
        rows.append(("max v so far (AMSGrad divides by it)", (vmax_x, vmax_y)))
        vx, vy = vmax_x, vmax_y
    if bias_correction != 0.0:
        rate = ((lr / correction1) / (math.sqrt(vx) / math.sqrt(correction2) + eps),
                (lr / correction1) / (math.sqrt(vy) / math.sqrt(correction2) + eps))
        other = (-lr * mx / (math.sqrt(vx) + eps), -lr * my / (math.sqrt(vy) + eps))
        other_name = "step without bias correction (Adam's first steps would be this size)"
    else:
        rate = (lr / (math.sqrt(vx) + eps), lr / (math.sqrt(vy) + eps))
        other = (-(lr / correction1) * mx / (math.sqrt(vx) / math.sqrt(correction2) + eps),
                 -(lr / correction1) * my / (math.sqrt(vy) / math.sqrt(correction2) + eps))
        other_name = "step with bias correction (what Adam takes)"
    rows.append(("effective learning rate on m, per coordinate", rate))
    arrows.append((other_name, origin, other))
    return rows, arrows


def stability_limit(values, lr, gradients, points):
    """Adam steps along P⁻¹m with P = (1 − β₁ᵗ)(√v̂ + ε): stable while η·λmax(P⁻¹H) < 2(1 + β₁)/(1 − β₁), 38 at
    β₁ = 0.9 (Cohen et al., 2022, section 3, from the heavy ball's limit with μ = β₁ and a step of (1 − β₁)η).
    ``gradients``: what each step saw (noise and clipping in), at ``points``."""
    import numpy as np

    from .stability import Limit, running_mean

    beta1, beta2 = values["betas"]
    decoupled = values["decoupled_weight_decay"]
    g = gradients if decoupled or values["weight_decay"] == 0.0 else gradients + values["weight_decay"] * points
    v = running_mean(g * g, beta2)
    if values["amsgrad"]:
        v = np.maximum.accumulate(v, axis=0)
    t = np.arange(1, len(lr) + 1)[:, None]
    if values["bias_correction"]:
        preconditioner = (1.0 - beta1 ** t) * (np.sqrt(v / (1.0 - beta2 ** t)) + values["eps"])
    else:
        preconditioner = np.sqrt(v) + values["eps"]
    decay = 0.0 if decoupled else values["weight_decay"]
    return Limit(np.full(len(lr), 2 * (1 + beta1) / (1 - beta1)), "2(1 + β₁)/(1 − β₁)", 1.0 / preconditioner, decay)
