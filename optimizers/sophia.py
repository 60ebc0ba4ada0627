r"""**Sophia** (Liu et al., 2023, "Sophia: A Scalable Stochastic Second-order Optimizer", Algorithm 3),
with the surface's exact Hessian diagonal as its curvature estimate.

$$m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad
h_t = \beta_2 h_{t-k} + (1-\beta_2)\operatorname{diag}(H(\theta_t)) \ \text{ every } k \text{ steps}$$
$$\theta_t = \theta_{t-1}(1 - \eta\lambda) - \eta\,\operatorname{clip}\!\left(\frac{m_t}{\max(\rho h_t, \epsilon)},\ 1\right)$$

A diagonal Newton step m/h, scaled by η/ρ, where the curvature is large enough; where it is
small, negative or not yet estimated, the clip caps every coordinate's move at η: a sign
step. On a 2-D surface the estimate can be exact, so the picture shows the method's idea
rather than an estimator's noise.
"""
from ._base import Hyper, OptimizerSpec, betas, flush, learning_rate, rule_jit
from ._base import weight_decay as weight_decay_hyper


@rule_jit
def init(hp):
    return (0.0, 0.0, 0.0, 0.0)  # m and h, per coordinate


@rule_jit
def clipped(value):
    """clip(z, 1) = max(min(z, 1), −1)."""
    return max(min(value, 1.0), -1.0)


@rule_jit
def step(t, x, y, f, gx, gy, h, lr, hp, state):
    beta1, beta2, rho, weight_decay, eps, interval = hp
    mx, my, hx, hy = state
    mx = flush(beta1 * mx + (1.0 - beta1) * gx)
    my = flush(beta1 * my + (1.0 - beta1) * gy)
    if (t - 1) % int(interval) == 0:  # the paper's "t mod k = 1": steps 1, k + 1, 2k + 1, ...
        hx = flush(beta2 * hx + (1.0 - beta2) * h[0])
        hy = flush(beta2 * hy + (1.0 - beta2) * h[2])
    decay = 1.0 - lr * weight_decay
    x = x * decay - lr * clipped(mx / max(rho * hx, eps))
    y = y * decay - lr * clipped(my / max(rho * hy, eps))
    return x, y, (mx, my, hx, hy)


SOPHIA = OptimizerSpec(
    name="sophia",
    colour="#01665E",
    step_scale="per_coordinate",
    sweep_axis="rho",
    title="Sophia (exact Hessian diagonal)",
    torch="no torch.optim class: SophiaG(params, lr=1e-4, betas=(0.965, 0.99), rho=0.04, weight_decay=1e-1) "
          "(Liuhong99/Sophia), here with the exact diagonal of H as the estimate",
    formula=(
        r"m_t = \beta_1 m_{t-1} + (1-\beta_1)\, g_t" "\n"
        r"h_t = \beta_2 h_{t-k} + (1-\beta_2)\, \operatorname{diag} H(\theta_{t-1}) \text{ when } t \bmod k = 1,\ \text{else } h_t = h_{t-1}" "\n"
        r"\theta_t = \theta_{t-1}(1-\eta\lambda) - \eta\, \operatorname{clip}\!\left(\frac{m_t}{\max(\rho\, h_t,\ \epsilon)},\ 1\right)"
    ),
    convention=(
        "The paper's Algorithm 3 with the exact Hessian diagonal in place of its stochastic estimators (Hutchinson or "
        "Gauss-Newton-Bartlett); max(ρh, ε) keeps negative curvature from reversing the step, where the authors' "
        "SophiaG divides by ρ·bs·h + 1e-15 (bs, the batch size, scales the GNB estimate and has no role here). "
        "Defaults from SophiaG (lr, betas, ρ, λ) and the paper (ε = 1e-12, k = 10); no bias correction, as in both. "
        "Until h is large enough, the clip makes every step a sign step of length η per coordinate."
    ),
    hypers=(
        learning_rate(1e-4),
        betas((0.965, 0.99), "β₁: momentum of the gradient; β₂: decay of the curvature estimate (per refresh)."),
        Hyper("rho", 0.04, 0.0, 1e3, low_open=True, label="curvature scale ρ", log=True, slider=(1e-3, 100.0),
              help="Divides the curvature: the unclipped step is (η/ρ)·m/h, a Newton step when η = ρ."),
        weight_decay_hyper(0.1, "Decoupled: θ shrinks by ηλθ each step, as in AdamW (SophiaG's default 0.1)."),
        Hyper("eps", 1e-12, 0.0, 1.0, low_open=True, label="ε", log=True,
              help="The smallest curvature divided by: flat or negative curvature gives a clipped sign step."),
        Hyper("hessian_interval", 10, 1, 100_000, kind="int", label="Hessian every k steps",
              help="How often the curvature estimate is refreshed (the paper's k).", in_torch=False),
    ),
    init=init,
    step=step,
    uses_hessian=True,
    summary="A diagonal Newton step, clipped to η per coordinate: large where curvature is small, safe where it is negative.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    beta1, beta2, rho, weight_decay, eps, interval = hp
    mx, my, hx, hy = (float(v) for v in after)
    refreshed = (t - 1) % int(interval) == 0
    ratio = (mx / max(rho * hx, eps), my / max(rho * hy, eps))
    clips = tuple(max(min(value, 1.0), -1.0) for value in ratio)
    rows = [("m (momentum) after", (mx, my)),
            ("diag H at θ (exact)" + (", taken into h this step" if refreshed else ", not used this step"),
             (float(hessian[0][0]), float(hessian[1][1]))),
            ("h (curvature estimate) after", (hx, hy)),
            ("m / max(ρh, ε) (scaled diagonal Newton step)", ratio),
            ("clip(·, 1): 1 or −1 where the step was capped", clips)]
    decayed = (point[0] * (1.0 - lr * weight_decay), point[1] * (1.0 - lr * weight_decay))
    arrows = []
    if weight_decay != 0.0:
        arrows.append(("−ηλθ (decoupled weight decay)", tuple(point), (decayed[0] - point[0], decayed[1] - point[1])))
    arrows.append(("−η clip(m / max(ρh, ε), 1) (the step)", decayed, (-lr * clips[0], -lr * clips[1])))
    return rows, arrows
