r"""**RMSProp** (Hinton, 2012), exactly as ``torch.optim.RMSprop``.

$$v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\qquad
\theta_t = \theta_{t-1} - \eta\,\frac{g_t}{\sqrt{v_t} + \epsilon}$$
with optional centring (subtract the squared running mean of g) and momentum on the ratio.
"""
import math

from ._base import Hyper, OptimizerSpec, flush, learning_rate, rule_jit


@rule_jit
def init(hp):
    return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


@rule_jit
def step(t, x, y, f, gx, gy, h, lr, hp, state):
    alpha, eps, weight_decay, momentum, centered = hp
    vx, vy, ax, ay, bx, by = state
    if weight_decay != 0.0:
        gx = gx + weight_decay * x
        gy = gy + weight_decay * y
    vx = flush(vx * alpha + (1.0 - alpha) * gx * gx)
    vy = flush(vy * alpha + (1.0 - alpha) * gy * gy)
    if centered != 0.0:
        w = 1.0 - alpha  # torch's lerp picks its formula by the weight, for accuracy
        if w < 0.5:
            ax = flush(ax + w * (gx - ax))
            ay = flush(ay + w * (gy - ay))
        else:
            ax = flush(gx - (gx - ax) * (1.0 - w))
            ay = flush(gy - (gy - ay) * (1.0 - w))
        dx = math.sqrt(vx + -1.0 * ax * ax) + eps
        dy = math.sqrt(vy + -1.0 * ay * ay) + eps
    else:
        dx = math.sqrt(vx) + eps
        dy = math.sqrt(vy) + eps
    if momentum > 0.0:
        bx = flush(bx * momentum + gx / dx)
        by = flush(by * momentum + gy / dy)
        return x - lr * bx, y - lr * by, (vx, vy, ax, ay, bx, by)
    return x + (-lr * gx) / dx, y + (-lr * gy) / dy, (vx, vy, ax, ay, bx, by)


RMSPROP = OptimizerSpec(
    name="rmsprop",
    title="RMSProp",
    torch="torch.optim.RMSprop(params, lr=1e-2, alpha=0.99)",
    formula=(
        r"v_t = \alpha\, v_{t-1} + (1-\alpha)\, g_t \odot g_t" "\n"
        r"\theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{v_t} + \epsilon} \odot g_t"
    ),
    convention=(
        "The decay rate is called α here as in torch (ρ in Goodfellow, decay_rate in CS231n, default 0.99 "
        "in torch vs 0.9 in the notes). ε sits outside the square root, as in torch; Goodfellow's "
        "Algorithm 8.5 puts δ inside, √(δ + r)."
    ),
    hypers=(
        learning_rate(1e-2),
        Hyper("alpha", 0.99, 0.0, 1.0, high_open=True, label="decay α", help="Weight of the past in the running mean of g²."),
        Hyper("eps", 1e-8, 0.0, 1.0, low_open=True, label="ε", help="Added to √v to avoid division by zero.", log=True),
        Hyper("weight_decay", 0.0, 0.0, 1e3, label="weight decay λ", help="L2 penalty added to the gradient: g + λθ."),
        Hyper("momentum", 0.0, 0.0, 1.0, high_open=True, label="momentum μ", help="Momentum applied to the scaled step."),
        Hyper("centered", False, kind="bool", label="centered", help="Divide by an estimate of the variance of g instead of its raw second moment."),
    ),
    init=init,
    step=step,
    summary="AdaGrad with a leaky memory: a running mean of g² instead of a sum, so steps stop shrinking.",
)
