r"""**SGD, heavy-ball momentum and Nesterov momentum**, exactly as ``torch.optim.SGD``.

$$g_t \leftarrow g_t + \lambda\theta_{t-1},\qquad
b_t = \begin{cases} g_t & t = 1\\ \mu\,b_{t-1} + (1-\tau)\,g_t & t > 1\end{cases}$$
$$\theta_t = \theta_{t-1} - \eta\,\begin{cases} g_t + \mu\,b_t & \text{Nesterov}\\ b_t & \text{otherwise}\end{cases}$$

Momentum annealing (UvA lecture 3, "SGD with momentum": μ from 0.5 to 0.9) is the one addition torch's
class lacks; there a training loop sets ``param_group["momentum"]`` before each step. With
``momentum_warmup`` T > 0 the momentum of step t is μ₀ + (μ − μ₀)(t − 1)/T until step T, then μ;
T = 0 (the default) is torch's constant μ, bit for bit.
"""
from ._base import Hyper, OptimizerSpec, flush, learning_rate, rule_jit, weight_decay


@rule_jit
def init(hp):
    return (0.0, 0.0)


@rule_jit
def annealed(momentum, momentum_start, momentum_warmup, t):
    """The momentum of step t (from 1): a linear ramp from μ₀ over the first T steps, then μ."""
    if momentum_warmup == 0.0 or t > momentum_warmup:
        return momentum
    return momentum_start + (momentum - momentum_start) * (t - 1) / momentum_warmup


@rule_jit
def step(t, x, y, f, gx, gy, h, lr, hp, state):
    momentum, dampening, weight_decay, nesterov, momentum_start, momentum_warmup = hp
    momentum = annealed(momentum, momentum_start, momentum_warmup, t)
    bx, by = state
    if weight_decay != 0.0:
        gx = gx + weight_decay * x
        gy = gy + weight_decay * y
    if momentum != 0.0:
        if t == 1:  # torch starts the buffer at the first gradient, undamped
            bx, by = gx, gy
        else:
            bx = flush(bx * momentum + (1.0 - dampening) * gx)
            by = flush(by * momentum + (1.0 - dampening) * gy)
        if nesterov != 0.0:
            gx = gx + momentum * bx
            gy = gy + momentum * by
        else:
            gx, gy = bx, by
    return x - lr * gx, y - lr * gy, (bx, by)


def _check(values):
    if values["nesterov"] and (values["momentum"] <= 0.0 or values["dampening"] != 0.0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening (as in torch.optim.SGD)")


def _hypers(lr: float, momentum: float, nesterov: bool) -> tuple:
    return (
        learning_rate(lr),
        Hyper("momentum", momentum, 0.0, 1.0, high_open=True, label="momentum μ",
              help="Fraction of the previous velocity kept each step: the friction of the heavy ball is 1 − μ."),
        Hyper("dampening", 0.0, 0.0, 1.0, label="dampening τ",
              help="Scales the new gradient entering the velocity by 1 − τ (0 in almost all uses)."),
        weight_decay(),
        Hyper("nesterov", nesterov, kind="bool", label="Nesterov", help="Evaluate the step at the look-ahead point."),
        Hyper("momentum_start", 0.5, 0.0, 1.0, high_open=True, label="annealing start μ₀",
              help="Where the momentum starts when it is annealed (momentum_warmup > 0); UvA's notes start at 0.5.",
              in_torch=False),
        Hyper("momentum_warmup", 0, 0, 100_000, kind="int", label="annealing steps T",
              help="The momentum rises linearly from μ₀ to μ over the first T steps; 0: constant μ, as in torch.",
              in_torch=False),
    )


_SGD_FORMULA = r"\theta_t = \theta_{t-1} - \eta\, g_t"
_MOMENTUM_FORMULA = (
    r"b_t = \mu\, b_{t-1} + (1-\tau)\, g_t \quad (b_1 = g_1)" "\n"
    r"\theta_t = \theta_{t-1} - \eta\, b_t"
)
_NESTEROV_FORMULA = (
    r"b_t = \mu\, b_{t-1} + (1-\tau)\, g_t \quad (b_1 = g_1)" "\n"
    r"\theta_t = \theta_{t-1} - \eta\,(g_t + \mu\, b_t)"
)
_MOMENTUM_CONVENTION = (
    "Lecture notes write v ← αv − εg, θ ← θ + v (Goodfellow, CS231n). torch.optim.SGD keeps b = −v/η "
    "and starts it at the first gradient, so its first step equals plain SGD; with a constant learning "
    "rate the two trajectories coincide from the second step on up to that start. This app follows torch."
)

SGD = OptimizerSpec(
    name="sgd",
    network_lr=0.7,
    colour="#0072B2",
    step_scale="curvature",
    sweep_axis="momentum",
    title="Gradient descent (SGD)",
    torch="torch.optim.SGD(params, lr=1e-3)",
    formula=_SGD_FORMULA,
    convention="Steepest descent: a step of length η·|g| straight down the gradient (Goodfellow Alg. 8.1).",
    hypers=_hypers(1e-3, 0.0, False),
    init=init,
    step=step,
    check=_check,
    summary="Steps straight down the gradient. Jitters across ravines, crawls on plateaus, stops at saddles.",
)

MOMENTUM = OptimizerSpec(
    name="momentum",
    network_lr=0.5,
    colour="#E69F00",
    step_scale="curvature",
    sweep_axis="momentum",
    title="SGD with momentum (heavy ball)",
    torch="torch.optim.SGD(params, lr=1e-3, momentum=0.9)",
    formula=_MOMENTUM_FORMULA,
    convention=_MOMENTUM_CONVENTION,
    hypers=_hypers(1e-3, 0.9, False),
    init=init,
    step=step,
    check=_check,
    summary="A heavy ball with friction: builds speed along consistent directions, damps zig-zags, overshoots.",
    defaults_note="momentum defaults to 0.9 (torch's default of 0 would make it plain SGD).",
)

NESTEROV = OptimizerSpec(
    name="nesterov",
    network_lr=0.3,
    colour="#009E73",
    step_scale="curvature",
    sweep_axis="momentum",
    title="Nesterov momentum",
    torch="torch.optim.SGD(params, lr=1e-3, momentum=0.9, nesterov=True)",
    formula=_NESTEROV_FORMULA,
    convention=(
        "Sutskever et al. (2013) and Goodfellow write v ← αv − εg(θ + αv): the gradient at the look-ahead "
        "point. torch uses the rewritten form of CS231n, which tracks the look-ahead point itself, so one "
        "gradient per step suffices: g + μb. This app follows torch."
    ),
    hypers=_hypers(1e-3, 0.9, True),
    init=init,
    step=step,
    check=_check,
    summary="Momentum that corrects its course using where it is about to be: less overshoot.",
    defaults_note="momentum defaults to 0.9 and nesterov to True.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    momentum, dampening, weight_decay, nesterov, momentum_start, momentum_warmup = hp
    momentum = annealed(momentum, momentum_start, momentum_warmup, t)
    gx, gy = gradient
    rows, arrows = [], []
    if weight_decay != 0.0:
        gx, gy = gx + weight_decay * point[0], gy + weight_decay * point[1]
        rows.append(("g + λθ (weight decay added)", (gx, gy)))
    if momentum == 0.0:
        return rows, arrows
    buffer = (float(after[0]), float(after[1]))
    velocity = (-lr * buffer[0], -lr * buffer[1])
    rows += [("μ (momentum" + (", annealed" if momentum_warmup and t <= momentum_warmup else "") + ")", momentum), ("b (momentum buffer) before", (float(before[0]), float(before[1]))),
             ("b (momentum buffer) after" + (", = g at t = 1" if t == 1 else ""), buffer),
             ("v = −η b (velocity, the notes' form)", velocity)]
    if nesterov:
        # torch's form: the tracked point already is Sutskever's look-ahead point, so the step
        # is the momentum part μv followed by a gradient step taken from the look-ahead point.
        look_ahead = (point[0] + momentum * velocity[0], point[1] + momentum * velocity[1])
        rows += [("g + μ b (look-ahead gradient torch steps along)", (gx + momentum * buffer[0], gy + momentum * buffer[1])),
                 ("θ + μ v (look-ahead point)", look_ahead)]
        arrows += [("μ v (momentum, to the look-ahead point)", point, (momentum * velocity[0], momentum * velocity[1])),
                   ("−η g (gradient step from the look-ahead point)", look_ahead, (-lr * gx, -lr * gy))]
    else:
        arrows.append(("v = −η b (velocity: the heavy ball's step)", point, velocity))
    return rows, arrows


def stability_limit(values, lr, gradients, points):
    """On a quadratic, exactly: gradient descent is stable while η·λmax < 2, heavy-ball momentum while
    η·λmax < 2(1 + μ)/(1 − τ), Nesterov's while η·λmax < 2(1 + μ)/(1 + 2μ) (the L2 decay adds λ to H)."""
    import numpy as np

    from .stability import Limit

    t = np.arange(1, len(lr) + 1)
    mu, mu0, warmup = values["momentum"], values["momentum_start"], values["momentum_warmup"]
    momentum = np.where((warmup == 0) | (t > warmup), mu, mu0 + (mu - mu0) * (t - 1) / max(warmup, 1))
    if values["nesterov"]:
        constant, name = 2 * (1 + momentum) / (1 + 2 * momentum), "2(1 + μ)/(1 + 2μ)"
    elif mu == 0.0 and warmup == 0:
        constant, name = np.full(len(lr), 2.0), "2"
    else:  # torch ignores the dampening while μ = 0
        damping = np.where(momentum == 0.0, 0.0, values["dampening"])
        constant = 2 * (1 + momentum) / (1 - damping)
        name = "2(1 + μ)" if values["dampening"] == 0.0 else "2(1 + μ)/(1 − τ)"
    return Limit(constant, name, None, values["weight_decay"])
