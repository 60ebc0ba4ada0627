r"""**Schedule-Free SGD and AdamW** (Defazio et al., 2024, "The Road Less Scheduled"), as the authors'
``schedulefree`` package computes them (``SGDScheduleFree``, ``AdamWScheduleFree``).

Three sequences: the gradient is taken at y, a base optimizer steps z, and x, the point a
training run evaluates and this app plots, is a running average of the z's:

$$y_t = (1-\beta)\, z_t + \beta\, x_t,\qquad z_{t+1} = z_t - \gamma_t\, u(\nabla f(y_t)),\qquad
x_{t+1} = (1-c_{t+1})\, x_t + c_{t+1}\, z_{t+1},\qquad c_{t+1} = \frac{w_{t+1}}{\sum_{i\le t+1} w_i}$$

with u the plain gradient (SGD) or Adam's normalised one (AdamW), and weights
w = tʳ · (max lr so far)^weight_lr_power. The average replaces a decaying schedule: with a
constant learning rate x behaves like the end of a well-tuned schedule.
"""
from ._base import Hyper, OptimizerSpec, betas, eps, flush, learning_rate, rule_jit, sqrt
from ._base import weight_decay as weight_decay_hyper
from ._oracle import perturb
from ._surfaces import surface_grad

# state slots: z (2), y where this step took its gradient (2), v (2, AdamW), lr_max, weight_sum, beta2**t
_Z, _Y, _V, _LR_MAX, _WEIGHT_SUM, _BETA2_T = 0, 2, 4, 6, 7, 8


@rule_jit
def init(hp):
    return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, 0.0, 1.0)


@rule_jit
def schedule_free_step(t, x, y, lr, beta, beta2, eps, weight_decay, warmup_steps, r, weight_lr_power, adam, state, lid, p,
                       oracle):
    zx, zy, _, _, vx, vy, lr_max, weight_sum, beta2_t = state
    if t == 1:  # z starts at the starting point, and so does y
        zx, zy = x, y
        px, py = x, y
    else:  # y as the package computes it after each step: x·β + (1 − β)·z
        px = x * beta + (1.0 - beta) * zx
        py = y * beta + (1.0 - beta) * zy
    # the gradient at y, not at the plotted x: a second evaluation, noisy and clipped like the first
    gx, gy = surface_grad(lid, px, py, p)
    gx, gy = perturb(gx, gy, t, 1, oracle)
    scheduled = lr * (t / warmup_steps if t - 1 < warmup_steps else 1.0)
    lr_max = max(scheduled, lr_max)
    weight = (t ** r) * (lr_max ** weight_lr_power)
    weight_sum = weight_sum + weight
    ckp1 = weight / weight_sum if weight_sum != 0.0 else 0.0
    if adam:
        # β₂ᵗ as the package computes it (a power, not a running product): z sums every step, so a last-bit
        # difference in each would add up instead of fading as it does in Adam's moments
        beta2_t = beta2 ** float(t)
        vx = flush(vx * beta2 + (1.0 - beta2) * gx * gx)
        vy = flush(vy * beta2 + (1.0 - beta2) * gy * gy)
        gx = gx / (sqrt(vx / (1.0 - beta2_t)) + eps)
        gy = gy / (sqrt(vy / (1.0 - beta2_t)) + eps)
    if weight_decay != 0.0:  # at y, as the package does
        gx = gx + weight_decay * px
        gy = gy + weight_decay * py
    zx = zx - scheduled * gx
    zy = zy - scheduled * gy
    x = x * (1.0 - ckp1) + ckp1 * zx
    y = y * (1.0 - ckp1) + ckp1 * zy
    return x, y, (zx, zy, px, py, vx, vy, lr_max, weight_sum, beta2_t)


@rule_jit
def sgd_step(t, x, y, f, gx, gy, lr, hp, state, lid, p, oracle):
    momentum, weight_decay, warmup_steps, r, weight_lr_power = hp
    return schedule_free_step(t, x, y, lr, momentum, 0.0, 0.0, weight_decay, warmup_steps, r, weight_lr_power, False,
                              state, lid, p, oracle)


@rule_jit
def adamw_step(t, x, y, f, gx, gy, lr, hp, state, lid, p, oracle):
    beta1, beta2, eps, weight_decay, warmup_steps, r, weight_lr_power = hp
    return schedule_free_step(t, x, y, lr, beta1, beta2, eps, weight_decay, warmup_steps, r, weight_lr_power, True,
                              state, lid, p, oracle)


def _hypers(lr: float, adam: bool) -> tuple:
    if adam:
        averaging = (betas(help="β₁: where between x and z the gradient is taken (y = (1−β₁)z + β₁x); β₂: decay of the "
                                "running mean of g²."),
                     eps(1e-8, "Added to the denominator, outside the square root."))
    else:
        averaging = (Hyper("momentum", 0.9, 0.0, 1.0, low_open=True, high_open=True, label="interpolation β",
                           help="Where between x and z the gradient is taken: y = (1−β)z + βx. β → 0 is plain SGD on z."),)
    return (
        learning_rate(lr),
        *averaging,
        weight_decay_hyper(0.0, "Added to the gradient at y: g + λy."),
        Hyper("warmup_steps", 0, 0, 100_000, kind="int", label="warm-up steps",
              help="The learning rate rises linearly over these steps; the averaging weights follow the largest so far."),
        Hyper("r", 0.0, 0.0, 10.0, label="weight power r", help="Later points weigh more in the average: weight ∝ tʳ."),
        Hyper("weight_lr_power", 2.0, 0.0, 10.0, label="weight lr power",
              help="The average weighs each point by (largest lr so far) to this power."),
    )


_FORMULA = (
    r"y_t = (1-\beta)\, z_t + \beta\, x_t,\quad g_t = \nabla f(y_t)" "\n"
    r"z_{t+1} = z_t - \gamma_t\, {U}" "\n"
    r"x_{t+1} = (1 - c_{t+1})\, x_t + c_{t+1}\, z_{t+1},\quad c_{t+1} = \frac{t^r\, \gamma_{\max}^{p}}{\sum_{i \le t} i^r\, \gamma_{\max,i}^{p}}"
)
_CONVENTION = (
    "The authors' schedulefree package, in the form of its reference implementation (x, y and z kept explicitly; "
    "the package's own class stores y and z and is the same algebra). The map plots x, the average a run "
    "evaluates; the gradient is taken at y, drawn thin, and z, the base sequence, is drawn faint. The package's "
    "averaging weight uses the largest learning rate so far (the paper writes γₜ²); γₜ includes the linear "
    "warm-up."
)


SF_SGD = OptimizerSpec(
    name="sf_sgd",
    colour="#B2182B",
    step_scale="curvature",
    sweep_axis="momentum",
    title="Schedule-Free SGD",
    torch="no torch.optim class: schedulefree.SGDScheduleFree(params, lr=1.0, momentum=0.9, weight_decay=0, "
          "warmup_steps=0, r=0.0, weight_lr_power=2.0) (facebookresearch/schedule_free)",
    formula=_FORMULA.replace("{U}", r"(g_t + \lambda y_t)"),
    convention=_CONVENTION,
    hypers=_hypers(1.0, False),
    init=init,
    step=sgd_step,
    needs_oracle=True,
    network_lr=1.0,  # the package's default: smooth (no rise over 1 %); the sweep's loss kept falling to η = 5, rising 15 % there
    summary="Gradient steps on z, taken at a point y between z and their running average x: the average is the answer, no schedule needed.",
)

SF_ADAMW = OptimizerSpec(
    name="sf_adamw",
    colour="#F781BF",
    step_scale="per_coordinate",
    sweep_axis="betas[0]",
    title="Schedule-Free AdamW",
    torch="no torch.optim class: schedulefree.AdamWScheduleFree(params, lr=0.0025, betas=(0.9, 0.999), eps=1e-8, "
          "weight_decay=0, warmup_steps=0, r=0.0, weight_lr_power=2.0) (facebookresearch/schedule_free)",
    formula=(_FORMULA.replace("{U}", r"\left(\frac{g_t}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon} + \lambda y_t\right)")
             + "\n" + r"v_t = \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2"),
    convention=_CONVENTION + " AdamW as in the package's version 1.3: the bias correction sits inside the "
    "denominator (its AdamWScheduleFreePaper multiplies γₜ by √(1−β₂ᵗ) instead, which also changes the weights).",
    hypers=_hypers(0.0025, True),
    init=init,
    step=adamw_step,
    needs_oracle=True,
    network_lr=0.1,  # the sweep's best was 0.3, whose loss rose 2.8x over its best so far; 0.1 ends near it, smooth
    summary="Adam's normalised steps on z, averaged into x: Schedule-Free with an adaptive base step.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    adam = len(hp) == 7  # AdamW's betas and eps, or SGD's momentum
    beta, (weight_decay, warmup_steps, r, weight_lr_power) = hp[0], hp[-4:]
    z_before = (point[0], point[1]) if t == 1 else (float(before[_Z]), float(before[_Z + 1]))
    z_after = (float(after[_Z]), float(after[_Z + 1]))
    probe = (float(after[_Y]), float(after[_Y + 1]))
    weight_sum, lr_max = float(after[_WEIGHT_SUM]), float(after[_LR_MAX])
    weight = (t ** r) * (lr_max ** weight_lr_power)
    ckp1 = weight / weight_sum if weight_sum != 0.0 else 0.0
    rows = [("x (the average, plotted) before", tuple(point)), ("z (base sequence) before", z_before),
            ("y = (1 − β) z + β x (where the gradient is taken)", probe),
            ("largest lr so far", lr_max), ("c = weight / sum of weights (share of z in the new x)", ckp1),
            ("z after", z_after)]
    if adam:
        rows.insert(5, ("v (second moment of g at y) after", (float(after[_V]), float(after[_V + 1]))))
    arrows = [("to y: where the gradient is taken", tuple(point), (probe[0] - point[0], probe[1] - point[1])),
              ("z's step (the base optimizer)", z_before, (z_after[0] - z_before[0], z_after[1] - z_before[1]))]
    return rows, arrows


def companions(path, states, hp) -> dict:
    """The other two sequences along a run (rows as ``path``): y, where each step's gradient was taken,
    and z, the base sequence; row k of each belongs to the step from path[k]."""
    import numpy as np

    beta = hp[0]
    z = np.array(states[:, _Z:_Z + 2], dtype=float)
    z[0] = path[0]  # before the first step z is the start
    y = beta * path + (1.0 - beta) * z
    y[0] = path[0]
    return {"y (gradient taken here)": y, "z (base sequence)": z}
