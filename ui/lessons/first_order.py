"""Lessons on plain gradient steps: steepest descent, the learning rate, its stability limit,
ravines, momentum and Nesterov. Numbers quoted in the text were measured with the engine at
the scenes' settings; the claims guard them (tests/test_lessons.py)."""
from __future__ import annotations

import math

import numpy as np

import optimizers

from .measures import (best_lr, distance_to, first_within, hessian_eigen, heavy_ball_positions, largest_curvature,
                       replay_run, sign_changes, steps_to_reach, taylor_step)
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


def nesterov() -> Lesson:
    def overshoot(r):
        return float(r.path[:, 0].max())

    def overshoots_less_and_arrives_sooner(rs, s):
        classical, nesterov_run = rs
        arrive_c, arrive_n = first_within(classical, (0, 0), 0.1), first_within(nesterov_run, (0, 0), 0.1)
        return (overshoot(nesterov_run) < 0.85 * overshoot(classical) and arrive_n is not None and arrive_c is not None
                and 2 * arrive_n < arrive_c)

    def sooner_at_best_lr(rs, s):
        score = steps_to_reach((0.0, 0.0), 0.1)
        best = [best_lr(_VALLEY_NESTEROV, i, MOMENTUM_GRID, score) for i in (0, 1)]
        arrivals = [score(optimizers.run(r.optimizer, s, start=_VALLEY_NESTEROV.start, steps=_VALLEY_NESTEROV.steps,
                                         lr=lr)) for r, lr in zip(_VALLEY_NESTEROV.runs, best)]
        return 2 * arrivals[1] < arrivals[0]

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
                  "arrives in less than half the steps (10 against 46).", sooner_at_best_lr),
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
