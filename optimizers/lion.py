r"""**Lion** (Chen et al., 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2), as in
the authors' ``lion_pytorch.py`` (google/automl).

$$c_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad
\theta_t = \theta_{t-1} - \eta\left(\operatorname{sign}(c_t) + \lambda\,\theta_{t-1}\right),\qquad
m_t = \beta_2 m_{t-1} + (1-\beta_2) g_t$$

Every coordinate moves by exactly η per step (plus the decay): the sign throws the gradient's
size away and keeps its direction, smoothed by a momentum that is interpolated with β₁ for the
step and kept with the slower β₂.
"""
from ._base import OptimizerSpec, betas, flush, learning_rate, rule_jit, sign
from ._base import weight_decay as weight_decay_hyper


@rule_jit
def init(hp):
    return (0.0, 0.0)  # the momentum m, per coordinate


@rule_jit
def step(t, x, y, f, gx, gy, h, lr, hp, state):
    beta1, beta2, weight_decay = hp
    mx, my = state
    decay = 1.0 - lr * weight_decay  # the authors' order: decay θ first, then the signed step
    x = x * decay
    y = y * decay
    x = x + -lr * sign(mx * beta1 + gx * (1.0 - beta1))
    y = y + -lr * sign(my * beta1 + gy * (1.0 - beta1))
    mx = flush(mx * beta2 + (1.0 - beta2) * gx)
    my = flush(my * beta2 + (1.0 - beta2) * gy)
    return x, y, (mx, my)


LION = OptimizerSpec(
    name="lion",
    network_lr=0.01,
    colour="#7570B3",
    step_scale="per_coordinate",
    sweep_axis="betas[1]",
    title="Lion",
    torch="no torch.optim class: lion_pytorch.Lion(params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0) (google/automl)",
    formula=(
        r"c_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t" "\n"
        r"\theta_t = \theta_{t-1} - \eta\left(\operatorname{sign}(c_t) + \lambda\, \theta_{t-1}\right)" "\n"
        r"m_t = \beta_2 m_{t-1} + (1-\beta_2)\, g_t"
    ),
    convention=(
        "The paper's Algorithm 2 and the authors' code (google/automl, lion_pytorch.py), which computes the same "
        "update as θ(1 − ηλ) − η sign(c). sign(0) = 0, as torch.sign: a coordinate whose c is exactly 0 does not "
        "move. The authors advise an η 3-10 times smaller than AdamW's and a λ 3-10 times larger."
    ),
    hypers=(
        learning_rate(1e-4),
        betas((0.9, 0.99), "β₁ mixes the new gradient into the step's direction; β₂ is the decay of the momentum kept."),
        weight_decay_hyper(0.0, "Decoupled: θ shrinks by ηλθ each step, as in AdamW."),
    ),
    init=init,
    step=step,
    summary="The sign of a momentum: every coordinate moves exactly η per step, whatever the gradient's size.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    beta1, beta2, weight_decay = hp
    gx, gy = gradient
    mx0, my0 = float(before[0]), float(before[1])
    direction = (mx0 * beta1 + gx * (1.0 - beta1), my0 * beta1 + gy * (1.0 - beta1))
    signs = (float(sign(direction[0])), float(sign(direction[1])))
    decayed = (point[0] * (1.0 - lr * weight_decay), point[1] * (1.0 - lr * weight_decay))
    rows = [("m (momentum) before", (mx0, my0)), ("c = β₁ m + (1 − β₁) g (direction of the step)", direction),
            ("sign(c)", signs), ("m after = β₂ m + (1 − β₂) g", (float(after[0]), float(after[1])))]
    arrows = []
    if weight_decay != 0.0:
        arrows.append(("−ηλθ (decoupled weight decay)", point, (decayed[0] - point[0], decayed[1] - point[1])))
    arrows.append(("−η sign(c) (the signed step)", decayed, (-lr * signs[0], -lr * signs[1])))
    return rows, arrows
