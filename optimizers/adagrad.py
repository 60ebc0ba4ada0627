r"""**AdaGrad** (Duchi et al., 2011), exactly as ``torch.optim.Adagrad``.

$$\tilde\eta_t = \frac{\eta}{1 + (t-1)\,\text{lr\_decay}},\quad
s_t = s_{t-1} + g_t^2,\quad \theta_t = \theta_{t-1} - \tilde\eta_t\,\frac{g_t}{\sqrt{s_t} + \epsilon}$$
"""
import math

from ._base import Hyper, OptimizerSpec, eps, learning_rate, rule_jit, sqrt, weight_decay


@rule_jit
def init(hp):
    initial = hp[2]
    return (initial, initial)


@rule_jit
def step(t, x, y, f, gx, gy, h, lr, hp, state):
    lr_decay, weight_decay, initial_accumulator_value, eps = hp
    sx, sy = state
    if weight_decay != 0.0:
        gx = gx + weight_decay * x
        gy = gy + weight_decay * y
    clr = lr / (1.0 + (t - 1) * lr_decay)
    sx = sx + gx * gx
    sy = sy + gy * gy
    return x + (-clr * gx) / (sqrt(sx) + eps), y + (-clr * gy) / (sqrt(sy) + eps), (sx, sy)


ADAGRAD = OptimizerSpec(
    name="adagrad",
    network_lr=0.5,
    colour="#D55E00",
    step_scale="accumulating",
    sweep_axis="lr_decay",
    title="AdaGrad",
    torch="torch.optim.Adagrad(params, lr=1e-2)",
    formula=(
        r"s_t = s_{t-1} + g_t \odot g_t" "\n"
        r"\theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{s_t} + \epsilon} \odot g_t"
    ),
    convention=(
        "ε is added outside the square root, as in torch.optim.Adagrad (default 1e-10); Goodfellow's "
        "Algorithm 8.4 writes δ + √r with δ ≈ 1e-7, CS231n adds 1e-7 inside the code the same way."
    ),
    hypers=(
        learning_rate(1e-2),
        Hyper("lr_decay", 0.0, 0.0, 1e3, label="lr decay", help="Divides the step by 1 + (t−1)·lr_decay."),
        weight_decay(),
        Hyper("initial_accumulator_value", 0.0, 0.0, 1e6, label="initial accumulator",
              help="Starting value of the running sum of squared gradients."),
        eps(1e-10, "Added to √s to avoid division by zero."),
    ),
    init=init,
    step=step,
    summary="Divides each coordinate's step by the root of all its past squared gradients: steps only shrink.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    lr_decay, weight_decay, initial_accumulator_value, eps = hp
    gx, gy = gradient
    rows = []
    if weight_decay != 0.0:
        gx, gy = gx + weight_decay * point[0], gy + weight_decay * point[1]
        rows.append(("g + λθ (weight decay added)", (gx, gy)))
    clr = lr / (1.0 + (t - 1) * lr_decay)
    if lr_decay != 0.0:
        rows.append(("η̃ = η / (1 + (t−1)·lr_decay)", clr))
    sx, sy = float(after[0]), float(after[1])
    rows += [("s (sum of squared gradients) before", (float(before[0]), float(before[1]))),
             ("s after = s + g²", (sx, sy)), ("√s + ε", (math.sqrt(sx) + eps, math.sqrt(sy) + eps)),
             ("η̃ / (√s + ε) (effective learning rate per coordinate)", (clr / (math.sqrt(sx) + eps), clr / (math.sqrt(sy) + eps)))]
    return rows, []


def stability_limit(values, lr, gradients, points):
    """AdaGrad steps along g/(√s + ε) with a step η/(1 + (t − 1)·lr_decay): stable while η·λmax(P⁻¹H) < 2."""
    import numpy as np

    from .stability import Limit

    g = gradients + values["weight_decay"] * points if values["weight_decay"] != 0.0 else gradients
    s = values["initial_accumulator_value"] + np.cumsum(g * g, axis=0)
    t = np.arange(1, len(lr) + 1)[:, None]
    preconditioner = (1.0 + (t - 1) * values["lr_decay"]) * (np.sqrt(s) + values["eps"])
    return Limit(np.full(len(lr), 2.0), "2", 1.0 / preconditioner, values["weight_decay"])
