r"""**RMSProp** (Hinton, 2012), exactly as ``torch.optim.RMSprop``.

$$v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\qquad
\theta_t = \theta_{t-1} - \eta\,\frac{g_t}{\sqrt{v_t} + \epsilon}$$
with optional centring (subtract the squared running mean of g) and momentum on the ratio.
"""
import math

from ._base import Hyper, OptimizerSpec, eps, flush, learning_rate, rule_jit, sqrt, weight_decay


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
        dx = sqrt(vx + -1.0 * ax * ax) + eps
        dy = sqrt(vy + -1.0 * ay * ay) + eps
    else:
        dx = sqrt(vx) + eps
        dy = sqrt(vy) + eps
    if momentum > 0.0:
        bx = flush(bx * momentum + gx / dx)
        by = flush(by * momentum + gy / dy)
        return x - lr * bx, y - lr * by, (vx, vy, ax, ay, bx, by)
    return x + (-lr * gx) / dx, y + (-lr * gy) / dy, (vx, vy, ax, ay, bx, by)


RMSPROP = OptimizerSpec(
    name="rmsprop",
    network_lr=0.01,
    colour="#CC79A7",
    step_scale="per_coordinate",
    sweep_axis="momentum",
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
        eps(1e-8, "Added to √v to avoid division by zero."),
        weight_decay(),
        Hyper("momentum", 0.0, 0.0, 1.0, high_open=True, label="momentum μ", help="Momentum applied to the scaled step."),
        Hyper("centered", False, kind="bool", label="centered", help="Divide by an estimate of the variance of g instead of its raw second moment."),
    ),
    init=init,
    step=step,
    summary="AdaGrad with a leaky memory: a running mean of g² instead of a sum, so steps stop shrinking.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    alpha, eps, weight_decay, momentum, centered = hp
    gx, gy = gradient
    rows, arrows = [], []
    if weight_decay != 0.0:
        gx, gy = gx + weight_decay * point[0], gy + weight_decay * point[1]
        rows.append(("g + λθ (weight decay added)", (gx, gy)))
    vx, vy, ax, ay, bx, by = (float(v) for v in after)
    rows += [("v (running mean of g²) before", (float(before[0]), float(before[1]))), ("v after", (vx, vy))]
    if centered != 0.0:
        dx, dy = math.sqrt(vx + -1.0 * ax * ax) + eps, math.sqrt(vy + -1.0 * ay * ay) + eps
        rows += [("ḡ (running mean of g)", (ax, ay)), ("√(v − ḡ²) + ε", (dx, dy))]
    else:
        dx, dy = math.sqrt(vx) + eps, math.sqrt(vy) + eps
        rows.append(("√v + ε", (dx, dy)))
    rows.append(("η / (√v + ε) (effective learning rate per coordinate)", (lr / dx, lr / dy)))
    scaled = (-lr * gx / dx, -lr * gy / dy)
    if momentum > 0.0:
        carried = (-lr * momentum * float(before[4]), -lr * momentum * float(before[5]))
        rows += [("b (momentum buffer of g/(√v+ε)) before", (float(before[4]), float(before[5]))), ("b after", (bx, by))]
        arrows += [("−η μ b (momentum part)", point, carried),
                   ("−η g/(√v+ε) (scaled gradient part)", (point[0] + carried[0], point[1] + carried[1]), scaled)]
    else:
        arrows.append(("−η g/(√v+ε) (per-coordinate scaled gradient)", point, scaled))
    return rows, arrows


def stability_limit(values, lr, gradients, points):
    """RMSProp steps along g/(√v + ε) (centred: √(v − ḡ²)): stable while η·λmax(P⁻¹H) < 2, or 2(1 + μ) with momentum."""
    import numpy as np

    from .stability import Limit, running_mean

    g = gradients + values["weight_decay"] * points if values["weight_decay"] != 0.0 else gradients
    v = running_mean(g * g, values["alpha"])
    if values["centered"]:
        v = v - running_mean(g, values["alpha"]) ** 2
    preconditioner = np.sqrt(np.maximum(v, 0.0)) + values["eps"]
    mu = values["momentum"]
    return Limit(np.full(len(lr), 2.0 * (1 + mu)), "2(1 + μ)" if mu > 0 else "2", 1.0 / preconditioner,
                 values["weight_decay"])
