"""Second-order methods: Newton and L-BFGS against first-order methods at their own best step."""
from __future__ import annotations

import numpy as np

import optimizers

from .measures import best_lr, distance_to, distances, final_distance_or_inf, steps_to_reach
from .records import Choice, Claim, Lesson, Source, scene
from .records import run as race_run

MINIMUM = (1.0, 1.0)
# Each first-order method's η is the best of this grid for its distance after 300 steps (claimed below).
FIRST_ORDER_GRID = tuple(float(v) for v in np.round(np.logspace(-4.5, -2.5, 21), 8))
HISTORIES = (1, 2, 5, 10, 100)
SECOND_ORDER_SCENE = scene("rosenbrock", (-1.5, 2.0), 300,
                           [race_run("newton", 1.0), race_run("lbfgs", 1.0), race_run("sgd", FIRST_ORDER_GRID[18]),
                            race_run("momentum", FIRST_ORDER_GRID[18])])


def second_order() -> Lesson:
    def newton_first_moves_away(rs, s):
        d = distances(rs[0], MINIMUM)
        return d[:4].max() > d[0] + 1.0

    def error_squares(rs, s):
        d = distances(rs[0], MINIMUM)
        close = [k for k in range(len(d) - 1) if 1e-12 < d[k] < 1.0]
        return len(close) >= 3 and all(d[k + 1] <= d[k] ** 2 for k in close)

    def first_order_at_best(rs, s):
        fair = all(best_lr(SECOND_ORDER_SCENE, i, FIRST_ORDER_GRID, final_distance_or_inf(MINIMUM)) == rs[i].lr[0]
                   for i in (2, 3))
        return fair and all(distance_to(rs[i], MINIMUM) > 1e-3 for i in (2, 3))

    def memory_barely_matters(rs, s):
        arrivals = []
        for history in HISTORIES:
            r = optimizers.run("lbfgs", s, start=SECOND_ORDER_SCENE.start, steps=SECOND_ORDER_SCENE.steps, lr=1.0,
                               history_size=history)
            arrivals.append(steps_to_reach(MINIMUM, 1e-4)(r))
        return max(arrivals) <= 45

    def first_to_arrive(rs, s):
        return int(np.argmin([steps_to_reach(MINIMUM, 1e-4)(r) for r in rs]))

    return Lesson(
        slug="second-order",
        title="Second-order methods: Newton and L-BFGS on Rosenbrock",
        objectives=("Say what Newton's step uses that a gradient step does not, and what it costs,",
                    "and recognise quadratic convergence near a minimum."),
        scene=SECOND_ORDER_SCENE,
        prediction=Choice(
            "Four runs start on Rosenbrock's banana-shaped valley. Which gets within 10⁻⁴ of the minimum first?",
            ("Newton's method", "L-BFGS", "Gradient descent (its best η)", "Momentum (its best η)"), first_to_arrive),
        text=(
            "First-order methods only see the slope. Newton's method also uses the curvature: it "
            "jumps to the minimum of the local quadratic model, θ − H⁻¹g, which rescales every "
            "direction by its own curvature. Far from the minimum that model is poor: Newton's first steps "
            "here take it *further* away (from 2.69 to 3.78, the loss jumping to 752). Once close, the "
            "error squares at each step (0.63, then 7·10⁻⁴, then 10⁻⁷): it arrives at step 6, where a bowl "
            "would take one step. L-BFGS gets much of that without ever forming H: it estimates H⁻¹ from "
            "the last few gradient differences, and arrives within 10⁻⁴ at step 39. Gradient descent and "
            "momentum, each at its own best η from a grid, are still more than 10⁻³ away after 300 steps. "
            "In two dimensions H is a 2×2 matrix; for n parameters it has n² entries (for a million parameters, 10¹² "
            "numbers, 8 TB) and inverting it costs about n³, which is why deep learning stays with first-order methods. "
            "L-BFGS keeps only m pairs of n numbers (m = 10: 160 MB for a million parameters); in two dimensions two "
            "pairs already span the plane, so here 1 or 100 pairs make little difference (32 to 40 steps)."
        ),
        formulas=(r"\theta_{t+1} = \theta_t - H_t^{-1} g_t \qquad \text{(damped: eigenvalues of } H \text{ floored at } \delta)",
                  r"\text{L-BFGS: } d_t = -\tilde H_t^{-1} g_t \text{ from the last } m \text{ pairs } (s_k, y_k),\ s_k = \theta_{k+1} - \theta_k,\ y_k = g_{k+1} - g_k",
                  r"\text{near } \theta^\ast:\ \|\theta_{t+1} - \theta^\ast\| \le C\,\|\theta_t - \theta^\ast\|^2"),
        discuss="Newton needs a handful of steps here. What does one step cost for a network with a million parameters?",
        claims=(
            Claim("Newton's method gets within 10⁻⁶ of the minimum within 10 steps.",
                  lambda rs, s: steps_to_reach(MINIMUM, 1e-6)(rs[0]) <= 10),
            Claim("…but its first steps move it more than 1 unit further away than where it started.", newton_first_moves_away),
            Claim("Once within 1 of the minimum, each Newton step at least squares the distance.", error_squares),
            Claim("L-BFGS gets within 10⁻⁴ within 60 steps.", lambda rs, s: steps_to_reach(MINIMUM, 1e-4)(rs[1]) <= 60),
            Claim("L-BFGS's memory barely matters in two dimensions: keeping 1, 2, 5, 10 or 100 pairs (s, y), it gets "
                  "within 10⁻⁴ within 45 steps every time.", memory_barely_matters),
            Claim("Gradient descent and momentum, each at its best η of 21 values from 10⁻⁴·⁵ to 10⁻²·⁵, are still more "
                  "than 10⁻³ from the minimum after 300 steps.", first_order_at_best),
        ),
        recap="Curvature buys quadratic convergence near the minimum, at the price of n² numbers per step; L-BFGS keeps a few.",
        run_captions=("Newton", "L-BFGS", "gradient descent", "momentum"),
        sources=(Source("002", "Second order optimization methods"), Source("002", "L-BFGS"),
                 Source("001", "Second order optimization methods in practice")),
        states_only="L-BFGS “does not transfer very well to mini-batch setting” (CS231n lecture 6, “L-BFGS”): "
                    "the engine runs L-BFGS on exact gradients only, so this lesson states it and does not show it.",
    )
