r"""**Rprop** (Riedmiller & Braun, 1993), exactly as ``torch.optim.Rprop``.

Each coordinate has its own step size; only the sign of the gradient is used:

$$\Delta_t = \begin{cases} \min(\eta_+\Delta_{t-1}, \Delta_{\max}) & g_t g_{t-1} > 0\\
\max(\eta_-\Delta_{t-1}, \Delta_{\min}),\ g_t \leftarrow 0 & g_t g_{t-1} < 0\\
\Delta_{t-1} & \text{otherwise}\end{cases}\qquad
\theta_t = \theta_{t-1} - \Delta_t\,\operatorname{sign}(g_t)$$
"""
from ._base import Hyper, OptimizerSpec, learning_rate, rule_jit, sign


@rule_jit
def init(hp):
    # the previous (possibly zeroed) gradient and the step size, per coordinate; the step sizes
    # start at lr on the first step, as torch's state does
    return (0.0, 0.0, 0.0, 0.0)


@rule_jit
def adapted(g, previous, step_size, eta_minus, eta_plus, step_min, step_max):
    """(the gradient used, the new step size) of one coordinate: grow on agreement, shrink and skip on a sign change."""
    agreement = sign(g * previous)
    factor = eta_plus if agreement > 0.0 else (eta_minus if agreement < 0.0 else 1.0)
    step_size = min(max(step_size * factor, step_min), step_max)
    return (0.0 if agreement < 0.0 else g), step_size


@rule_jit
def step(t, x, y, f, gx, gy, h, lr, hp, state):
    eta_minus, eta_plus, step_min, step_max = hp
    prev_x, prev_y, step_x, step_y = state
    if t == 1:  # torch reads lr once, as every coordinate's first step size
        step_x, step_y = lr, lr
    gx, step_x = adapted(gx, prev_x, step_x, eta_minus, eta_plus, step_min, step_max)
    gy, step_y = adapted(gy, prev_y, step_y, eta_minus, eta_plus, step_min, step_max)
    return x + -(sign(gx) * step_x), y + -(sign(gy) * step_y), (gx, gy, step_x, step_y)


def _check(values):
    eta_minus, eta_plus = values["etas"]
    if not eta_minus < 1.0 < eta_plus:
        raise ValueError(f"Invalid etas: {values['etas']!r}; expected 0 < η₋ < 1 < η₊ (as torch.optim.Rprop)")
    low, high = values["step_sizes"]
    if low > high:
        raise ValueError(f"Invalid step_sizes: {values['step_sizes']!r}; the smallest step must not exceed the largest")


RPROP = OptimizerSpec(
    name="rprop",
    network_lr=0.01,
    colour="#666666",
    step_scale="per_coordinate",
    sweep_axis="etas[1]",
    title="Rprop",
    torch="torch.optim.Rprop(params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50))",
    formula=(
        r"\Delta_t = \min(\eta_+ \Delta_{t-1}, \Delta_{\max}) \text{ if } g_t g_{t-1} > 0,\quad"
        r"\Delta_t = \max(\eta_- \Delta_{t-1}, \Delta_{\min}),\ g_t \leftarrow 0 \text{ if } g_t g_{t-1} < 0" "\n"
        r"\theta_t = \theta_{t-1} - \Delta_t\, \operatorname{sign}(g_t),\quad \Delta_0 = \eta"
    ),
    convention=(
        "torch's Rprop is the variant without weight backtracking (iRprop⁻ of Igel & Hüsken, 2000): after a sign "
        "change the coordinate does not move and its gradient is stored as 0, so the next step keeps the step size. "
        "The learning rate is only the first step size: torch reads it once, so a schedule changes nothing after "
        "the first step. Made for full-batch gradients: noise flips signs and shrinks every step."
    ),
    hypers=(
        learning_rate(1e-2, "Rprop uses it only as every coordinate's first step size."),
        Hyper("etas", (0.5, 1.2), 0.0, 1e3, low_open=True, kind="pair", label="etas (η₋, η₊)", parts=("η₋", "η₊"),
              slider=(0.1, 10.0),
              help="The step size is multiplied by η₊ while a coordinate's gradient keeps its sign, by η₋ when it flips."),
        Hyper("step_sizes", (1e-6, 50.0), 0.0, 1e6, kind="pair", label="step sizes (min, max)", log=True, slider=(1e-8, 1e3),
              parts=("smallest step", "largest step"), help="Bounds on each coordinate's step size."),
    ),
    init=init,
    step=step,
    check=_check,
    summary="Each coordinate steps by its own size, grown while the gradient's sign holds and halved when it flips.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    eta_minus, eta_plus, step_min, step_max = hp
    prev_x, prev_y, step_before_x, step_before_y = (float(v) for v in before)
    if t == 1:
        step_before_x = step_before_y = lr
    used_x, used_y, step_x, step_y = (float(v) for v in after)
    agreement = (sign(gradient[0] * prev_x), sign(gradient[1] * prev_y))
    rows = [("previous g (0 after a sign change)", (prev_x, prev_y)),
            ("sign(g · previous g): +1 grow, −1 shrink, 0 keep", agreement),
            ("step size before" + (" (= η on the first step)" if t == 1 else ""), (step_before_x, step_before_y)),
            ("step size after", (step_x, step_y)),
            ("g used (0 where the sign flipped: no move)", (used_x, used_y))]
    return rows, [("−Δ sign(g) (the step)", point, (-(sign(used_x) * step_x), -(sign(used_y) * step_y)))]
