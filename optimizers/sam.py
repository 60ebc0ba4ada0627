r"""**SAM**, sharpness-aware minimization (Foret et al., 2021), with SGD (``torch.optim.SGD``) as its
base optimizer.

$$\hat\epsilon_t = \rho\,\frac{g_t}{\lVert g_t\rVert_2},\qquad
\tilde g_t = \nabla f(\theta_{t-1} + \hat\epsilon_t),\qquad
\theta_t = \theta_{t-1} - \eta\,\tilde g_t \ \text{(or SGD's momentum step on } \tilde g_t)$$

Each step first climbs a distance ρ up the gradient, takes the gradient there, and applies it
at the original point: a minimum whose neighbourhood is also low (a flat one) attracts, a
sharp one repels.
"""
from ._base import Hyper, OptimizerSpec, flush, learning_rate, rule_jit, weight_decay
from ._oracle import perturb
from ._surfaces import gradient_norm, surface_grad


@rule_jit
def init(hp):
    # SGD's momentum buffer, and the ascent point this step probed
    return (0.0, 0.0, 0.0, 0.0)


@rule_jit
def ascent_point(x, y, gx, gy, rho, norm):
    """θ + ρ g/‖g‖ (the authors' dual vector); θ itself where g = 0, which has no direction to climb."""
    if norm == 0.0:
        return x, y
    return x + rho * (gx / norm), y + rho * (gy / norm)


@rule_jit
def step(t, x, y, f, gx, gy, lr, hp, state, lid, p, oracle):
    rho, momentum, weight_decay = hp
    bx, by, _, _ = state
    px, py = ascent_point(x, y, gx, gy, rho, gradient_norm(lid, gx, gy, p))  # ‖g‖ of every parameter on a network
    gx, gy = surface_grad(lid, px, py, p)
    gx, gy = perturb(gx, gy, t, 1, oracle)  # a second evaluation, noisy and clipped like the first
    if weight_decay != 0.0:  # SGD's L2 term, at the original point
        gx = gx + weight_decay * x
        gy = gy + weight_decay * y
    if momentum != 0.0:
        if t == 1:
            bx, by = gx, gy
        else:
            bx = flush(bx * momentum + gx)
            by = flush(by * momentum + gy)
        gx, gy = bx, by
    return x - lr * gx, y - lr * gy, (bx, by, px, py)


SAM = OptimizerSpec(
    name="sam",
    colour="#4D9221",
    step_scale="curvature",
    sweep_axis="rho",
    title="SAM (sharpness-aware, SGD base)",
    torch="no torch.optim class: SAM(params, torch.optim.SGD, rho=0.05, lr=1e-3) (Foret et al.; davda54/sam's PyTorch port)",
    formula=(
        r"\hat\epsilon_t = \rho\, \frac{g_t}{\lVert g_t \rVert_2},\quad \tilde g_t = \nabla f(\theta_{t-1} + \hat\epsilon_t) + \lambda\,\theta_{t-1}" "\n"
        r"b_t = \mu\, b_{t-1} + \tilde g_t \quad (b_1 = \tilde g_1),\quad \theta_t = \theta_{t-1} - \eta\, b_t"
    ),
    convention=(
        "The paper's Algorithm 1 with p = 2 and the authors' code (google-research/sam: the dual vector g/‖g‖, no "
        "added constant), with torch.optim.SGD as the base step on the gradient taken at the ascent point. Where "
        "g = 0 exactly there is no direction to climb and the ascent point is θ itself (davda54's PyTorch port "
        "divides by ‖g‖ + 1e-12 instead). The second gradient gets noise of its own and is clipped like the first."
    ),
    hypers=(
        learning_rate(1e-3),
        Hyper("rho", 0.05, 0.0, 1e3, label="neighbourhood ρ", log=True, slider=(1e-3, 10.0),
              help="How far up the gradient each step looks before taking its gradient: the size of 'flat' that counts."),
        Hyper("momentum", 0.0, 0.0, 1.0, high_open=True, label="momentum μ", help="The base SGD's heavy-ball momentum."),
        weight_decay(),
    ),
    init=init,
    step=step,
    needs_oracle=True,
    network_lr=0.7,  # SGD's (its base step): the sweep's loss kept falling to η = 5 as SGD's did, and spiked as SGD's
    summary="Takes the gradient a distance ρ uphill and steps with it from where it stands: prefers flat minima to sharp ones.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    rho, momentum, weight_decay = hp
    probe = (float(after[2]), float(after[3]))
    rows = [("ε = ρ g/‖g‖ (the ascent)", (probe[0] - point[0], probe[1] - point[1])),
            ("θ + ε (ascent point, where the gradient is taken)", probe)]
    if momentum != 0.0:
        rows.append(("b (momentum buffer) after", (float(after[0]), float(after[1]))))
    arrows = [("ε = ρ g/‖g‖ (climb to the ascent point)", tuple(point), (probe[0] - point[0], probe[1] - point[1]))]
    return rows, arrows


def companions(path, states, hp) -> dict:
    """The ascent point each step probed (row k: the step from path[k]; the last row repeats the one before)."""
    import numpy as np

    probes = np.empty_like(path)
    probes[:-1] = states[1:, 2:4]
    probes[-1] = probes[-2] if len(path) > 1 else path[-1]
    return {"ascent point θ + ρg/‖g‖": probes}
