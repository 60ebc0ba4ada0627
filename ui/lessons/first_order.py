"""Lessons on plain gradient steps: steepest descent, the learning rate, its stability limit,
ravines, momentum and Nesterov. Numbers quoted in the text were measured with the engine at
the scenes' settings; the claims guard them (tests/test_lessons.py)."""
from __future__ import annotations

import math

import numpy as np

import optimizers

from .measures import (best_lr, first_below, first_within, hessian_eigen, heavy_ball_positions, largest_curvature,
                       mean_last, replay_run, sign_changes, stays_within, steps_to_stay, taylor_step)
from .records import Choice, Claim, Lesson, Source, scene
from .records import run as race_run


def steepest_descent() -> Lesson:
    def first_step_is_minus_eta_g(rs, s):
        r = rs[0]
        g = np.array(s.grad(*r.path[0]))
        return np.allclose(r.path[1] - r.path[0], -r.lr[0] * g, rtol=1e-12, atol=1e-15)

    def steepest_among_directions(rs, s):
        x, y = rs[0].path[0]
        g = np.array(s.grad(x, y))
        angles = np.linspace(0, 2 * np.pi, 3600, endpoint=False)
        radius = 1e-3
        change = s.f(x + radius * np.cos(angles), y + radius * np.sin(angles)) - s.f(x, y)
        best = angles[int(np.argmin(change))]
        downhill = math.atan2(-g[1], -g[0]) % (2 * np.pi)
        return abs((best - downhill + np.pi) % (2 * np.pi) - np.pi) < 2 * np.pi / 3600 * 2

    def path_shape(rs, s):
        """0: straight, 1: a curve crossing the contours, 2: a zig-zag; for the small-step run."""
        path = rs[0].path
        chord = path[-1] - path[0]
        normal = np.array([-chord[1], chord[0]]) / np.hypot(*chord)
        bend = np.max(np.abs((path - path[0]) @ normal))
        if sign_changes(path[:, 1]) >= 10:
            return 2
        return 0 if bend < 0.02 * np.hypot(*chord) else 1

    return Lesson(
        slug="steepest-descent",
        title="Steepest descent: follow the gradient downhill",
        objectives=("Explain why −∇f is the direction of steepest descent,",
                    "and why the path of gradient descent still bends."),
        scene=scene("quadratic", (-8.0, 3.0), 300, [race_run("sgd", 0.02), race_run("sgd", 0.3)], condition=5.0),
        prediction=Choice(
            "Gradient descent with small steps (run 1, η = 0.02) starts at the white circle. What does its path to the "
            "minimum look like?",
            ("A straight line to the minimum", "A curve that crosses every contour line at a right angle",
             "A zig-zag across the valley"),
            lambda rs, s: path_shape(rs, s)),
        text=(
            "The gradient ∇f points uphill, in the direction where the loss grows fastest, and it is "
            "perpendicular to the contour lines. Gradient descent takes a step of size η against it "
            "(the white arrow at the start). "
            "The chart under the race tries every direction from the start with one short step: the "
            "loss drops most exactly along −∇f. With small steps (η = 0.02) the path curves, always "
            "crossing the contours at right angles, because the best direction changes from point to point. "
            "With big steps (η = 0.3) it overshoots the valley floor and bounces across it: \"steepest\" only "
            "holds for an infinitely small step."
        ),
        formulas=(r"\theta_{t+1} = \theta_t - \eta\,\nabla f(\theta_t)",
                  r"\frac{d}{d\epsilon} f(\theta + \epsilon u)\Big|_{\epsilon=0} = u^\top \nabla f "
                  r"\ \ge\ -\|\nabla f\| \quad (\|u\| = 1,\ \text{equality for } u = -\nabla f / \|\nabla f\|)"),
        discuss="If the gradient is the best direction, why does the path bend instead of heading straight for the minimum?",
        claims=(
            Claim("The first step is exactly −η∇f(θ₀).", first_step_is_minus_eta_g),
            Claim("Of 3,600 directions for a short step from the start, −∇f lowers the loss most.", steepest_among_directions),
            Claim("With η = 0.02 the loss falls at every single step.", lambda rs, s: bool(np.all(np.diff(rs[0].loss) < 0))),
            Claim("With η = 0.3 the path zig-zags across the valley (y changes sign at least 10 times).",
                  lambda rs, s: sign_changes(rs[1].path[:, 1]) >= 10),
        ),
        recap="−∇f is the steepest way down only locally: small steps follow a curve across the contours, big ones bounce.",
        run_captions=("small steps", "big steps"),
        extras=("gradient-arrow", "directions"),
        sources=(Source("000", "Gradient Descent Optimization"),),
    )


LR_SCENE = scene("quadratic", (-9.0, 3.0), 500,
                 [race_run("sgd", lr, noise=1.0, seed=0) for lr in (0.005, 0.02, 0.18, 0.21)], condition=10.0)


def noise_floor(surface, lr: float, sigma: float) -> float:
    """E[f − f*] where gradient descent with N(0, σ²) gradient noise settles on a quadratic:
    Σᵢ ησ² / (2(2 − ηλᵢ)) over the Hessian's eigenvalues λᵢ."""
    values, _ = hessian_eigen(surface, (0.0, 0.0))
    return float(sum(lr * sigma ** 2 / (2 * (2 - lr * value)) for value in values))


def learning_rate() -> Lesson:
    def lowest_end(rs, s):
        return int(np.argmin([mean_last(r, 100) if r.diverged_at is None else np.inf for r in rs]))

    def floors_follow_formula(rs, s):
        return all(1 / 3 < mean_last(rs[i], 200) / noise_floor(s, rs[i].lr[0], 1.0) < 3 for i in (1, 2))

    def high_falls_first(rs, s):
        high, good = first_below(rs[2].loss, 1.0), first_below(rs[1].loss, 1.0)
        return high is not None and good is not None and 4 * high <= good

    def two_over_l(rs, s):
        limit = 2.0 / largest_curvature(s, (0.0, 0.0))
        return (rs[2].lr[0] < limit < rs[3].lr[0] and all(r.diverged_at is None for r in rs[:3])
                and rs[3].diverged_at is not None)

    return Lesson(
        slug="learning-rate",
        title="The learning rate: too low, good, too high, far too high",
        objectives=("Recognise the four loss curves of the notes (too low, good, high, far too high),",
                    "and explain why, with noisy gradients, the fastest rate is not the one that ends lowest."),
        scene=LR_SCENE,
        prediction=Choice(
            "Four runs of gradient descent with noisy gradients (as minibatches give) differ only in η. "
            "Which ends with the lowest loss after 500 steps?",
            ("η = 0.005", "η = 0.02", "η = 0.18", "η = 0.21"), lowest_end),
        text=(
            "Four runs of gradient descent that differ only in η, on a quadratic with curvatures 1 and L = 10, with "
            "noisy gradients (Gaussian, σ = 1 per coordinate, the same noise for all four), as minibatch gradients are. "
            "**Too low** (η = 0.005): the loss falls steadily but slowly; after 500 steps it is still about 50 times "
            "above the good run. **Good** (η = 0.02): slower at first, lowest at the end. **High** (η = 0.18, the "
            "fastest rate there is *without* noise, 2/(λmin + λmax)): it falls fastest at first (below 1 in about 12 "
            "steps, the good run needs about 90), bouncing across the valley, then stalls on a noise floor about 50 "
            "times higher: with noise the loss does not go to zero but hovers at a level that grows with η. "
            "**Far too high** (η = 0.21, above 2/L = 0.2): a step multiplies the error along a curvature λ by "
            "(1 − ηλ); past 2/L that factor's size exceeds 1 across the valley, every bounce is bigger than the last "
            "and the loss blows up. The chart under the race puts the four curves on one axis, as the notes draw them."
        ),
        formulas=(r"\theta_{t+1} - \theta^\ast = (I - \eta H)\,(\theta_t - \theta^\ast) - \eta\,\xi_t, \qquad \xi_t \sim \mathcal N(0, \sigma^2 I)",
                  r"|1 - \eta\lambda| < 1 \iff 0 < \eta < \frac{2}{\lambda}, \qquad \text{stable for every direction} \iff \eta < \frac{2}{L}",
                  r"\mathbb{E}\,[f - f^\ast] \to \sum_i \frac{\eta\,\sigma^2}{2\,(2 - \eta\lambda_i)} \quad \text{(the noise floor grows with } \eta)"),
        discuss="Your training loss went up by a factor of ten after the first epoch. Which of the four curves are you on, and what do you change?",
        claims=(
            Claim("Too low: over its last 100 steps its loss is still more than 10 times the good run's.",
                  lambda rs, s: mean_last(rs[0], 100) > 10 * mean_last(rs[1], 100)),
            Claim("Good ends lowest: over the last 100 steps its loss is more than 10 times below every other run's.",
                  lambda rs, s: rs[3].diverged_at is not None
                  and all(10 * mean_last(rs[1], 100) < mean_last(r, 100) for r in (rs[0], rs[2]))),
            Claim("High falls fastest at first: its loss drops below 1 at least 4 times sooner than the good run's.",
                  high_falls_first),
            Claim("…then stalls higher: over the last 100 steps its loss is more than 10 times the good run's.",
                  lambda rs, s: mean_last(rs[2], 100) > 10 * mean_last(rs[1], 100)),
            Claim("Over their last 200 steps the good and high runs average within a factor 3 of the noise floor "
                  "Σ ησ²/(2(2 − ηλ)) (0.011 and 0.50: the floors differ 47-fold).",
                  floors_follow_formula),
            Claim("Far too high: the run diverges.", lambda rs, s: rs[3].diverged_at is not None),
            Claim("The stability limit 2/L = 0.2 lies between the last two learning rates, and only the run above it diverges.",
                  two_over_l),
        ),
        recap="Too low crawls, far too high blows up, and with noisy gradients the rate that is fastest at first stalls "
              "on a higher floor: the good rate ends lowest.",
        run_captions=("too low", "good", "high", "far too high"),
        extras=("loss-one-axis",),
        sources=(Source("003", "The impact of learning rates"), Source("002", "Babysitting the learning process"),
                 Source("004", "Diagnosis of LR")),
    )


def ravines() -> Lesson:
    probe = 0.021  # just past 2/L: drawn on the Taylor chart, not raced (the learning-rate lessons show divergence)

    def zigzag(rs, s):
        _, vectors = hessian_eigen(s, (0.0, 0.0))
        steep = rs[0].path @ vectors[:, 1]
        return sign_changes(steep[:31]) >= 25

    def crawls(rs, s):
        _, vectors = hessian_eigen(s, (0.0, 0.0))
        flat_fast, flat_slow = rs[0].path @ vectors[:, 0], rs[1].path @ vectors[:, 0]
        return (abs(flat_fast[50]) > 3.0 and abs(flat_slow[50]) > abs(flat_fast[50])
                and sign_changes((rs[1].path @ vectors[:, 1])[:31]) == 0)

    def taylor_up_and_down(rs, s):
        start = rs[0].path[0]
        low, high = taylor_step(s, start, rs[0].lr[0]), taylor_step(s, start, probe)
        exact = all(math.isclose(t["predicted"], t["actual"], rel_tol=1e-9, abs_tol=1e-9) for t in (low, high))
        return exact and low["actual"] < 0 < high["actual"] and rs[0].loss[1] < rs[0].loss[0]

    def condition_100(rs, s):
        values, _ = hessian_eigen(s, (0.0, 0.0))
        return math.isclose(values[1] / values[0], 100.0, rel_tol=1e-9)

    def motion(rs, s):
        _, vectors = hessian_eigen(s, (0.0, 0.0))
        if rs[0].diverged_at is not None:
            return 2
        return 1 if sign_changes((rs[0].path @ vectors[:, 1])[:31]) >= 25 else 0

    return Lesson(
        slug="ravines",
        title="Ravines and ill-conditioning",
        objectives=("Recognise the zig-zag of gradient descent in a ravine,",
                    "and use the second-order Taylor step to say when a step raises the loss."),
        scene=scene("rotated_quadratic", (-8.0, -3.0), 300, [race_run("sgd", 0.019), race_run("sgd", 0.005)],
                    condition=100.0, angle=30.0),
        prediction=Choice(
            "This valley is 100 times steeper across than along. Run 1 uses the largest η that does not diverge "
            "(0.019). How does it move in its first 30 steps?",
            ("Straight down the valley floor", "Zig-zag from wall to wall across the valley", "It diverges"),
            motion),
        text=(
            "A ravine is steep across and shallow along. Here the curvatures differ by the condition "
            "number κ = 100. The learning rate must stay below 2/L = 0.02 for the steep direction, so "
            "along the valley, where the curvature is 100 times smaller, each step shrinks the error by "
            "only about 2%: gradient descent **zig-zags** across the valley and **crawls** along it. A "
            "smaller step (η = 0.005) stops the zig-zag and crawls even more slowly. "
            "The second-order Taylor expansion says why a strong gradient is not enough: one step "
            "changes the loss by −ε gᵀg + ½ε² gᵀHg, so when ½ ε gᵀHg > gᵀg the step *raises* the loss. "
            "The chart under the race plots that parabola for the first step: η = 0.019 sits just "
            "before its root, η = 0.021 just past it."
        ),
        formulas=(r"f(\theta - \epsilon g) \approx f(\theta) - \epsilon\, g^\top g + \tfrac12 \epsilon^2\, g^\top H g",
                  r"\text{the step raises the loss when } \tfrac12\,\epsilon\, g^\top H g > g^\top g "
                  r"\iff \epsilon > \frac{2\, g^\top g}{g^\top H g}",
                  r"\kappa = \frac{\lambda_{\max}(H)}{\lambda_{\min}(H)}"),
        discuss="Doubling the learning rate would speed up the crawl along the valley. Why can't we?",
        claims=(
            Claim("The condition number of the Hessian is κ = 100.", condition_100),
            Claim("η = 0.019 zig-zags: the steep coordinate changes sign at least 25 times in 30 steps.", zigzag),
            Claim("…and crawls: after 50 steps it is still more than 3 units from the minimum along the valley; "
                  "η = 0.005 does not zig-zag and is even further behind.", crawls),
            Claim("The Taylor prediction is exact here; a first step of η = 0.019 lowers the loss, one of η = 0.021 raises it.",
                  taylor_up_and_down),
        ),
        recap="In a ravine the steep direction caps η at 2/λmax, and the shallow direction then crawls: κ sets the pace.",
        run_captions=("largest stable η", "smaller η"),
        extras=("taylor",),
        probe_lrs=(probe,),
        sources=(Source("001", "Ill-conditioning"), Source("001", "Ravines"), Source("002", "Parameter Updates")),
    )


RAVINE_GRID = (0.002, 0.005, 0.01, 0.015, 0.019, 0.025, 0.03, 0.035)
MOMENTUM_SCENE = scene("quadratic", (-9.0, 3.0), 300, [race_run("sgd", 0.019), race_run("momentum", 0.019)],
                       condition=100.0)


def momentum_buffer(result) -> np.ndarray:
    """torch's momentum buffer b_t at each step, read off the path: θ_t = θ_{t−1} − η b_t."""
    return -np.diff(result.path, axis=0) / np.asarray(result.lr)[:, None]


def momentum() -> Lesson:
    def at_best_lr(rs, s):
        score = steps_to_stay((0.0, 0.0), 0.1)
        return all(best_lr(MOMENTUM_SCENE, i, RAVINE_GRID, score) == rs[i].lr[0] for i in (0, 1))

    def gradients_along(r, s):
        return np.array([s.grad(*p) for p in r.path[:-1]], dtype=float)

    def cancel_across_add_along(rs, s):
        buffer, gradients = momentum_buffer(rs[1]), gradients_along(rs[1], s)
        mu = rs[1].hyperparams["momentum"]

        def kept(coordinate, count):
            ratios = []
            for t in range(count):
                weights = mu ** np.arange(t, -1, -1)
                ratios.append(abs(buffer[t, coordinate]) / np.sum(weights * np.abs(gradients[:t + 1, coordinate])))
            return float(np.mean(ratios))
        return kept(1, 50) < 0.15 and kept(0, 20) > 0.9

    def builds_up(rs, s):
        return momentum_buffer(rs[1])[9, 0] / gradients_along(rs[1], s)[9, 0] > 5

    def races_ahead(rs, s):
        m, g = stays_within(rs[1], (0, 0), 0.1), stays_within(rs[0], (0, 0), 0.1)
        return m is not None and g is not None and 2 * m < g

    def first_to_stay(rs, s):
        arrivals = [steps_to_stay((0, 0), 0.1)(r) for r in rs]  # never: infinity
        return 2 if abs(arrivals[0] - arrivals[1]) < 10 else int(np.argmin(arrivals))

    return Lesson(
        slug="momentum",
        title="Momentum: a heavy ball with friction",
        objectives=("Explain how a velocity that remembers past gradients cancels the zig-zag across a ravine and "
                    "speeds up the crawl along it,", "and why the ball overshoots."),
        scene=MOMENTUM_SCENE,
        prediction=Choice(
            "A ravine 100 times steeper across than along. Gradient descent and momentum (μ = 0.9), each at its own "
            "best η, race to the minimum. Which stays within 0.1 of it first?",
            ("Gradient descent", "Momentum", "A tie (within 10 steps)"), first_to_stay),
        text=(
            "Picture a ball rolling in the valley. Its velocity b remembers past gradients: μ = 0.9 keeps 90% of it each "
            "step, the rest is lost to friction. Both runs use η = 0.019, the best of a small grid for each method "
            "(scored by the step from which a run stays within 0.1 of the minimum). Gradient descent at this η "
            "**zig-zags** across the steep direction (the cross-valley coordinate flips sign at every step) and crawls "
            "along the valley, shrinking the error there by only 2% a step. In the velocity, the across-valley "
            "gradients alternate and **cancel** (its across-valley part keeps under 15% of what it would hold if they "
            "added up), while the along-valley ones point the same way and **add up** to about 1/(1 − μ) = 10 times a "
            "single gradient: the ball races ahead and stays within 0.1 of the minimum from step 81, gradient descent "
            "only from step 235. The price: a ball with momentum does not stop at the bottom, it **overshoots** the "
            "minimum by 2.6, rolls back, and settles in a damped spiral."
        ),
        formulas=(r"b_t = \mu\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t \qquad "
                  r"\Big(b_t = \sum_{k \le t} \mu^{t-k} g_k\Big)",
                  r"\text{CS231n: } v_t = \mu v_{t-1} - \eta g_t,\ \theta_t = \theta_{t-1} + v_t \ \text{(the same path, } v = -\eta b)"),
        discuss="What would happen with μ = 0.99? And with μ = 0 (no memory)?",
        claims=(
            Claim("Both runs use their own best η of {0.002, 0.005, 0.01, 0.015, 0.019, 0.025, 0.03, 0.035}, scored by "
                  "the step from which they stay within 0.1 of the minimum.", at_best_lr),
            Claim("Gradient descent zig-zags across the valley: y changes sign at every one of its first 30 steps.",
                  lambda rs, s: sign_changes(rs[0].path[:31, 1]) == 30),
            Claim("In momentum's velocity the across-valley gradients cancel (over the first 50 steps |b_y| averages under "
                  "15% of Σ μ^(t−k)|g_y|), while the along-valley ones add up (over 90%).", cancel_across_add_along),
            Claim("Along the valley the velocity builds up: at step 10 it is more than 5 times the gradient there.", builds_up),
            Claim("Momentum stays within 0.1 of the minimum in less than half the steps gradient descent needs (81 against 235).",
                  races_ahead),
            Claim("Momentum overshoots the minimum by more than one unit; gradient descent never passes it.",
                  lambda rs, s: rs[1].path[:, 0].max() > 1.0 and rs[0].path[:, 0].max() < 0.0),
        ),
        recap="Momentum sums the gradients: the zig-zag cancels, the slope along the valley adds up, and the ball overshoots.",
        run_captions=("gradient descent, best η", "momentum μ = 0.9, best η"),
        sources=(Source("002", "Momentum update"), Source("001", "SGD with momentum")),
    )


def nesterov() -> Lesson:
    def overshoot(r):
        return float(r.path[:, 0].max())

    def overshoots_less_and_arrives_sooner(rs, s):
        classical, nesterov_run = rs
        arrive_c, arrive_n = first_within(classical, (0, 0), 0.1), first_within(nesterov_run, (0, 0), 0.1)
        return (overshoot(nesterov_run) < 0.85 * overshoot(classical) and arrive_n is not None and arrive_c is not None
                and 2 * arrive_n < arrive_c)

    def sooner_at_best_lr(rs, s):
        score = steps_to_stay((0.0, 0.0), 0.1)
        best = [best_lr(_VALLEY_NESTEROV, i, MOMENTUM_GRID, score) for i in (0, 1)]
        arrivals = [score(optimizers.run(r.optimizer, s, start=_VALLEY_NESTEROV.start, steps=_VALLEY_NESTEROV.steps,
                                         lr=lr)) for r, lr in zip(_VALLEY_NESTEROV.runs, best)]
        return arrivals[1] + 20 <= arrivals[0]

    def ball_moves_by_minus_eta_b(rs, s):
        balls = heavy_ball_positions(replay_run(_VALLEY_NESTEROV, 1))
        heavy_ball_steps = np.diff(balls, axis=0)
        # the ball's steps, fed back, rebuild the same look-ahead path: φ_t = θ_t + μ(θ_t − θ_{t−1})
        mu = rs[1].hyperparams["momentum"]
        lookahead = balls[1:] + mu * heavy_ball_steps
        return np.allclose(lookahead, rs[1].path[1:], rtol=1e-9, atol=1e-9)

    def less_overshoot(rs, s):
        classical, nesterov_run = overshoot(rs[0]), overshoot(rs[1])
        if abs(classical - nesterov_run) < 0.1:
            return 2
        return 1 if nesterov_run < classical else 0

    return Lesson(
        slug="nesterov",
        title="Nesterov: look ahead before you step",
        objectives=("Say where Nesterov's method evaluates the gradient,", "and why that brakes the heavy ball earlier."),
        scene=_VALLEY_NESTEROV,
        prediction=Choice(
            "Both runs are heavy balls with μ = 0.9 and the same η. One measures the gradient where the ball is, "
            "the other where momentum is about to carry it. Which overshoots the minimum less?",
            ("Classical momentum (run 1)", "Nesterov (run 2)", "They overshoot the same"),
            less_overshoot),
        text=(
            "Classical momentum measures the gradient where the ball *is*, then adds the velocity. "
            "Nesterov first lets momentum carry the ball to a look-ahead point θ + μv and measures the "
            "gradient *there*. When the ball is about to overshoot, the look-ahead gradient already "
            "points back, so it brakes earlier. The open circles are the heavy ball, the filled dots "
            "the look-ahead points where Nesterov evaluates the gradient (the first steps are drawn). "
            "torch (and CS231n's \"rewritten form\") track the look-ahead point itself, which is the "
            "path you see; it is the same method."
        ),
        formulas=(r"\text{notes: } \tilde\theta_t = \theta_t + \mu v_t,\quad v_{t+1} = \mu v_t - \eta \nabla f(\tilde\theta_t),\quad \theta_{t+1} = \theta_t + v_{t+1}",
                  r"\text{torch: } b_t = \mu b_{t-1} + g_t,\quad \theta_t = \theta_{t-1} - \eta\,(g_t + \mu b_t)\quad (g_t \text{ at the look-ahead point})"),
        discuss="Why does evaluating the gradient a little ahead reduce the overshoot?",
        claims=(
            Claim("With the same η and μ, Nesterov overshoots the minimum by at least 15% less than classical momentum "
                  "(1.08 against 1.38) and gets within 0.1 of it in less than half the steps (24 against 58).",
                  overshoots_less_and_arrives_sooner),
            Claim("Not a matter of η: each at its own best η of 21 values from 10⁻³ to 10⁻¹ (μ = 0.9), Nesterov still "
                  "stays within 0.1 of the minimum at least 20 steps sooner (52 against 76).", sooner_at_best_lr),
            Claim("The heavy-ball positions drawn are exact: θ + μ·(θ's last step) rebuilds every look-ahead point.",
                  ball_moves_by_minus_eta_b),
        ),
        recap="Nesterov measures the slope where momentum is taking the ball, so it brakes before the overshoot, not after.",
        run_captions=("classical", "Nesterov"),
        extras=("lookahead",),
        sources=(Source("002", "Nesterov Momentum update"),),
    )


MOMENTUM_GRID = tuple(float(v) for v in np.round(np.logspace(-3, -1, 21), 6))
VALLEY = dict(landscape="quadratic", start=(-9.0, 3.0), steps=300, condition=20.0)
_VALLEY_NESTEROV = scene(VALLEY["landscape"], VALLEY["start"], VALLEY["steps"],
                         [race_run("momentum", 0.01), race_run("nesterov", 0.01)], condition=VALLEY["condition"])


ANNEALING_GRID = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
ANNEALING_SCENE = scene("quadratic", (-9.0, 3.0), 300,
                        [race_run("momentum", 0.05, momentum=0.5), race_run("momentum", 0.01, momentum=0.9),
                         race_run("momentum", 0.05, momentum=0.9, momentum_start=0.5, momentum_warmup=100),
                         race_run("momentum", 0.05, momentum=0.7)], condition=50.0)
SETTLED = 1e-3  # "settled": from this step on the run stays within this distance of the minimum


def momentum_annealing() -> Lesson:
    settles = steps_to_stay((0.0, 0.0), SETTLED)  # the step a run settles at; never: infinity

    def first_settled(rs, s):
        return int(np.argmin([settles(r) for r in rs[:3]]))

    def at_best_lr(rs, s):
        score = steps_to_stay((0.0, 0.0), SETTLED)
        return all(best_lr(ANNEALING_SCENE, i, ANNEALING_GRID, score) == rs[i].lr[0] for i in range(4))

    def overshoot(r):
        return float(r.path[:, 0].max())

    def capped_at_07(rs, s):
        capped = optimizers.run("momentum", s, start=ANNEALING_SCENE.start, steps=ANNEALING_SCENE.steps, lr=0.05,
                                momentum=0.7, momentum_start=0.5, momentum_warmup=50)  # the same ramp, stopped at 0.7
        return settles(capped) == settles(rs[2])

    return Lesson(
        slug="momentum-annealing",
        title="Annealing momentum from 0.5 to 0.9: what it buys, and what it does not",
        objectives=("Say why a large momentum from the first step overshoots, and what starting low fixes,",
                    "and check the claim that the final 0.9 is what keeps the speed."),
        scene=ANNEALING_SCENE,
        prediction=Choice(
            "A ravine 50 times steeper across than along. Three heavy balls, each at its own best η: μ = 0.5, μ = 0.9, "
            "and μ raised from 0.5 to 0.9 over the first 100 steps (as the UvA notes suggest). Which settles at the "
            "minimum first (stays within 0.001 of it)?",
            ("μ = 0.5", "μ = 0.9", "μ annealed from 0.5 to 0.9"), first_settled),
        text=(
            "Momentum 0.9 from the first step builds up speed while the run is still far away, and the ball rolls far "
            "past the minimum before friction stops it. The UvA notes start at μ = 0.5 and anneal to 0.9. Here each run "
            "uses its own best step size from the grid 0.001, 0.002, 0.005, …, 0.2: μ = 0.9 passes the minimum by 1.38 "
            "and needs 162 steps to stay within 0.001 of it; μ = 0.5 never overshoots but needs 77; annealed from 0.5 to "
            "0.9 over 100 steps it needs 53. But look at when it arrives: at step 53 μ is only 0.71, and stopping the "
            "same ramp at 0.7 changes nothing; the fourth run, a constant μ = 0.7, needs 49. On a quadratic what "
            "matters is passing through the right momentum for the ravine's conditioning (the heavy ball's best "
            "constant μ here is about 0.57), not ending at 0.9. torch has no annealing option: a training loop sets "
            "the momentum before each step, as this run does."
        ),
        formulas=(r"b_t = \mu_t\, b_{t-1} + g_t\ (b_1 = g_1),\qquad \theta_t = \theta_{t-1} - \eta\, b_t,\qquad "
                  r"\mu_t = \mu_0 + (\mu - \mu_0)\,\min\!\Big(\frac{t-1}{T}, 1\Big)",
                  r"\text{heavy ball on a quadratic: best constant } \mu^\ast = "
                  r"\Big(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\Big)^2 \ (\approx 0.57 \text{ at } \kappa = 50)"),
        discuss="In a real network the curvature changes as training goes on. Could that be a better reason to change μ over time?",
        claims=(
            Claim("Each run uses its own best η of {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2}, scored by the step "
                  "from which it stays within 0.001 of the minimum.", at_best_lr),
            Claim("μ = 0.9 passes the minimum by more than 1 along the valley; annealed from 0.5 it passes by less than 0.01.",
                  lambda rs, s: overshoot(rs[1]) > 1.0 and overshoot(rs[2]) < 0.01),
            Claim("The annealed run settles at least 20 steps before either of its end points (53 against 77 for μ = 0.5 "
                  "and 162 for μ = 0.9).", lambda rs, s: settles(rs[2]) + 20 <= min(settles(rs[0]), settles(rs[1]))),
            Claim("It has settled before μ passes 0.72: stopping the same ramp at 0.7 settles at the very same step.",
                  capped_at_07),
            Claim("A constant μ = 0.7 at its best η settles no later than the annealed run.",
                  lambda rs, s: settles(rs[3]) <= settles(rs[2])),
        ),
        recap="Starting the momentum low avoids the first overshoot; after that, the right constant momentum is as good as the ramp.",
        run_captions=("μ = 0.5", "μ = 0.9", "μ: 0.5 → 0.9 over 100 steps", "μ = 0.7"),
        sources=(Source("001", "SGD with momentum"), Source("002", "Momentum update")),
    )
