r"""**L-BFGS** with a strong-Wolfe line search, exactly as ``torch.optim.LBFGS``.

One step of this app is one iteration of torch's loop, i.e. ``torch.optim.LBFGS(params, lr,
max_iter=1, history_size, line_search_fn="strong_wolfe")`` stepped once per frame: the
two-loop recursion builds d ≈ −H⁻¹g from the last ``history_size`` pairs (s, y), and the line
search (torch's port of minFunc's ``lswolfe``) picks the step length along d.
"""
import numpy as np

from ._base import Hyper, OptimizerSpec, learning_rate, rule_jit
from ._oracle import perturb
from ._surfaces import surface_grad, surface_value

# layout of the state array
_N_ITER, _NUM_OLD, _H_DIAG, _T, _DX, _DY, _PREV_GX, _PREV_GY, _HEADER = 0, 1, 2, 3, 4, 5, 6, 7, 8
# torch's _strong_wolfe defaults; LBFGS.step does not pass its own tolerance_change to it
_C1, _C2, _MAX_LS, _LS_TOLERANCE_CHANGE = 1e-4, 0.9, 25, 1e-9


@rule_jit
def init(hp):
    history = int(hp[0])
    return np.zeros(_HEADER + 6 * history)


@rule_jit
def cubic_interpolate(x1, f1, g1, x2, f2, g2, xmin_bound, xmax_bound):
    """Minimizer of the cubic through two points with slopes, clamped to the bounds (torch)."""
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


@rule_jit
def directional(lid, p, oracle, t_step, j, x, y, t, dx, dy):
    """Loss and directional derivative at x + t d, the gradient seen through the oracle.

    Noise for the j-th evaluation of step ``t_step`` (torch's 1-based count) uses the stream
    (seed, t_step, j >= 1): disjoint from the driver's draw (seed, t_step - 1, 0) for the
    step's own gradient. The loss itself is exact: the noise models a noisy gradient oracle.
    """
    px = x + t * dx
    py = y + t * dy
    f_new = surface_value(lid, px, py, p)
    gx, gy = surface_grad(lid, px, py, p)
    gx, gy = perturb(gx, gy, t_step, j, oracle)
    return f_new, gx * dx + gy * dy


@rule_jit
def strong_wolfe(lid, p, oracle, t_step, x, y, t, dx, dy, f, gtd):
    """torch.optim.lbfgs._strong_wolfe, returning the accepted step length."""
    d_norm = max(abs(dx), abs(dy))
    f_new, gtd_new = directional(lid, p, oracle, t_step, 1, x, y, t, dx, dy)
    evals = 1
    t_prev, f_prev, gtd_prev = 0.0, f, gtd
    done = False
    ls_iter = 0
    b0, b1, bf0, bf1, bg0, bg1 = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    single = False  # the bracket holds one point (Wolfe conditions met while bracketing)
    while ls_iter < _MAX_LS:
        if f_new > (f + _C1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            b0, b1, bf0, bf1, bg0, bg1 = t_prev, t, f_prev, f_new, gtd_prev, gtd_new
            break
        if abs(gtd_new) <= -_C2 * gtd:
            b0, bf0 = t, f_new
            single = True
            done = True
            break
        if gtd_new >= 0:
            b0, b1, bf0, bf1, bg0, bg1 = t_prev, t, f_prev, f_new, gtd_prev, gtd_new
            break
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, min_step, max_step)
        t_prev = tmp
        f_prev = f_new
        gtd_prev = gtd_new
        evals += 1
        f_new, gtd_new = directional(lid, p, oracle, t_step, evals, x, y, t, dx, dy)
        ls_iter += 1
    if ls_iter == _MAX_LS:
        b0, b1, bf0, bf1 = 0.0, t, f, f_new
    if single:
        return b0
    insuf_progress = False
    low_pos = 0 if bf0 <= bf1 else 1
    while not done and ls_iter < _MAX_LS:
        if abs(b1 - b0) * d_norm < _LS_TOLERANCE_CHANGE:
            break
        t = cubic_interpolate(b0, bf0, bg0, b1, bf1, bg1, min(b0, b1), max(b0, b1))
        high, low = max(b0, b1), min(b0, b1)
        eps = 0.1 * (high - low)
        if min(high - t, t - low) < eps:
            if insuf_progress or t >= high or t <= low:
                t = high - eps if abs(t - high) < abs(t - low) else low + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        evals += 1
        f_new, gtd_new = directional(lid, p, oracle, t_step, evals, x, y, t, dx, dy)
        ls_iter += 1
        f_low = bf0 if low_pos == 0 else bf1
        if f_new > (f + _C1 * t * gtd) or f_new >= f_low:
            if low_pos == 0:  # the new point replaces the high end
                b1, bf1, bg1 = t, f_new, gtd_new
            else:
                b0, bf0, bg0 = t, f_new, gtd_new
            low_pos = 0 if bf0 <= bf1 else 1
        else:
            if abs(gtd_new) <= -_C2 * gtd:
                done = True
            elif gtd_new * ((b1 - b0) if low_pos == 0 else (b0 - b1)) >= 0:
                # old high becomes new low
                if low_pos == 0:
                    b1, bf1, bg1 = b0, bf0, bg0
                else:
                    b0, bf0, bg0 = b1, bf1, bg1
            if low_pos == 0:
                b0, bf0, bg0 = t, f_new, gtd_new
            else:
                b1, bf1, bg1 = t, f_new, gtd_new
    return b0 if low_pos == 0 else b1


@rule_jit
def step(t_step, x, y, f, gx, gy, lr, hp, state, lid, p, oracle):
    history, tolerance_grad, tolerance_change, line_search = hp
    if max(abs(gx), abs(gy)) <= tolerance_grad:
        return x, y, state  # torch returns before iterating: converged
    history_size = int(history)
    dirs = state[_HEADER:_HEADER + 2 * history_size]  # y_k pairs
    stps = state[_HEADER + 2 * history_size:_HEADER + 4 * history_size]  # s_k pairs
    ro = state[_HEADER + 4 * history_size:_HEADER + 5 * history_size]
    al = state[_HEADER + 5 * history_size:_HEADER + 6 * history_size]
    state[_N_ITER] += 1
    if state[_N_ITER] == 1:
        dx, dy = -gx, -gy
        num_old = 0
        h_diag = 1.0
    else:
        num_old = int(state[_NUM_OLD])
        h_diag = state[_H_DIAG]
        yx = gx - state[_PREV_GX]
        yy = gy - state[_PREV_GY]
        sx = state[_DX] * state[_T]
        sy = state[_DY] * state[_T]
        ys = yx * sx + yy * sy
        if ys > 1e-10:
            if num_old == history_size:  # forget the oldest pair
                for i in range(num_old - 1):
                    dirs[2 * i], dirs[2 * i + 1] = dirs[2 * i + 2], dirs[2 * i + 3]
                    stps[2 * i], stps[2 * i + 1] = stps[2 * i + 2], stps[2 * i + 3]
                    ro[i] = ro[i + 1]
                num_old -= 1
            dirs[2 * num_old], dirs[2 * num_old + 1] = yx, yy
            stps[2 * num_old], stps[2 * num_old + 1] = sx, sy
            ro[num_old] = 1.0 / ys
            num_old += 1
            h_diag = ys / (yx * yx + yy * yy)
        qx, qy = -gx, -gy
        for i in range(num_old - 1, -1, -1):
            al[i] = (stps[2 * i] * qx + stps[2 * i + 1] * qy) * ro[i]
            qx += -al[i] * dirs[2 * i]
            qy += -al[i] * dirs[2 * i + 1]
        dx, dy = qx * h_diag, qy * h_diag
        for i in range(num_old):
            be_i = (dirs[2 * i] * dx + dirs[2 * i + 1] * dy) * ro[i]
            dx += (al[i] - be_i) * stps[2 * i]
            dy += (al[i] - be_i) * stps[2 * i + 1]
    state[_NUM_OLD] = num_old
    state[_H_DIAG] = h_diag
    state[_PREV_GX] = gx
    state[_PREV_GY] = gy
    if state[_N_ITER] == 1:
        t = min(1.0, 1.0 / (abs(gx) + abs(gy))) * lr
    else:
        t = lr
    state[_DX] = dx
    state[_DY] = dy
    state[_T] = t
    gtd = gx * dx + gy * dy
    if gtd > -tolerance_change:
        return x, y, state  # no descent left along d
    if line_search != 0.0:
        t = strong_wolfe(lid, p, oracle, t_step, x, y, t, dx, dy, f, gtd)
        state[_T] = t
    return x + t * dx, y + t * dy, state


LBFGS = OptimizerSpec(
    name="lbfgs",
    colour="#AA4499",
    step_scale="unit",
    title="L-BFGS (strong Wolfe line search)",
    torch='torch.optim.LBFGS(params, lr=1, max_iter=1, history_size=100, line_search_fn="strong_wolfe")',
    formula=(
        r"d_t = -\tilde H_t\, g_t,\quad \text{two-loop recursion over the last } m \text{ pairs}" "\n"
        r"s_k = \theta_{k+1}-\theta_k,\quad y_k = g_{k+1}-g_k" "\n"
        r"\theta_t = \theta_{t-1} + \alpha_t d_t,\quad \alpha_t \text{ satisfies the strong Wolfe conditions}"
    ),
    convention=(
        "torch's L-BFGS with one iteration per step (max_iter=1) and line_search_fn='strong_wolfe' (torch's "
        "default is no line search, a fixed step η; set line_search=False for that). The first step "
        "length is η·min(1, 1/‖g‖₁), as in torch."
    ),
    hypers=(
        learning_rate(1.0, "The first step length the line search tries."),
        Hyper("history_size", 100, 1, 1000, kind="int", label="history size m", help="How many (s, y) pairs shape the inverse-Hessian estimate."),
        Hyper("tolerance_grad", 1e-7, 0.0, 1.0, label="gradient tolerance", help="Stop moving once max |g| is this small.", log=True),
        Hyper("tolerance_change", 1e-9, 0.0, 1.0, label="change tolerance", help="Stop when the directional derivative or the bracket is this small.", log=True),
        Hyper("line_search", True, kind="bool", label="strong Wolfe line search", help="Off: a fixed step of η along d, torch's default.",
              torch_name="line_search_fn", torch_literals=((True, '"strong_wolfe"'), (False, "None"))),
    ),
    init=init,
    step=step,
    needs_oracle=True,
    on_minibatches=False,
    summary="Builds a curvature model from recent steps and searches along it: the full-batch baseline.",
    defaults_note="line search on (torch's line_search_fn='strong_wolfe'); torch's default is off.",
)


def explain(t, point, gradient, lr, hp, before, after, new_point, hessian):
    """One step's quantities for the Anatomy page (protocol in optimizers/anatomy.py)."""
    history, tolerance_grad, tolerance_change, line_search = hp
    gx, gy = gradient
    if after[_N_ITER] == before[_N_ITER]:
        return [("stopped: max |g| ≤ tolerance_grad, torch returns at once", max(abs(gx), abs(gy)))], []
    direction = (float(after[_DX]), float(after[_DY]))
    length = float(after[_T])
    rows = [("iteration", float(after[_N_ITER])), ("(s, y) pairs in memory", float(after[_NUM_OLD])),
            ("γ = sᵀy / yᵀy (initial inverse-Hessian scale)", float(after[_H_DIAG])),
            ("d ≈ −H⁻¹g (two-loop direction)", direction), ("gᵀd (slope along d)", gx * direction[0] + gy * direction[1]),
            ("α (step length" + (", strong Wolfe line search)" if line_search else ", fixed)"), length)]
    if new_point == point:
        rows.append(("no move: gᵀd > −tolerance_change", 0.0))
    return rows, [("d (direction, α = 1)", point, direction)]
