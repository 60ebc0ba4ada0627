"""Lessons on the stability limit η < 2/λ: exact on a quadratic, local on a curved surface."""
from __future__ import annotations

import math

import numpy as np

from .measures import distances, largest_curvature, sign_changes, stability_ratio_along
from .records import Choice, Claim, Lesson, Source, scene
from .records import run as race_run

QUADRATIC = scene("quadratic", (-9.0, 3.0), 200, [race_run("sgd", 0.19), race_run("sgd", 0.21)], condition=10.0)


def _steep_factor(r) -> np.ndarray:
    """y_{t+1}/y_t: what one step does to the error along the steepest direction (y here)."""
    y = r.path[:, 1]
    return y[1:21] / y[:20]


def stability_limit() -> Lesson:
    def fate(rs, s):
        r = rs[1]
        flips = sign_changes(r.path[:21, 1]) == 20
        if r.diverged_at is not None:
            return 2 if flips else 3
        return 1 if flips else 0

    def limit_between(rs, s):
        limit = 2.0 / largest_curvature(s, (0.0, 0.0))
        return math.isclose(rs[0].lr[0], 0.95 * limit, rel_tol=1e-9) and math.isclose(rs[1].lr[0], 1.05 * limit, rel_tol=1e-9)

    return Lesson(
        slug="stability-limit",
        title="The stability limit: just under and just over η = 2/λ",
        objectives=("Compute the factor |1 − ηλ| a step multiplies the error by on a quadratic,",
                    "and predict what happens just under and just over η = 2/λmax."),
        scene=QUADRATIC,
        prediction=Choice(
            "On a quadratic whose steepest curvature is L = 10, run 1 uses η 5% under 2/L = 0.2 and run 2 uses η 5% "
            "over it. What does run 2 do?",
            ("Converges, just more slowly", "Zig-zags and converges", "Zig-zags ever wider and diverges",
             "Drifts away without zig-zagging"), fate),
        text=(
            "On a quadratic the rule is exact: a step of η multiplies the error along a curvature λ by (1 − ηλ). With "
            "η = 0.19 and λ = 10 that factor is −0.9: the steep coordinate jumps across the valley floor at every step "
            "and shrinks by 10% each time, so the zig-zag dies out, slowly. With η = 0.21 it is −1.1: the same zig-zag, "
            "but 10% *wider* at every step, until the run leaves the plot (step 52). Nothing dramatic happens at the "
            "border itself: 5% under it and 5% over it look alike for the first steps, and only the trend tells them "
            "apart. Along the shallow direction (λ = 1) both runs are far from their limit of 2 and converge. The chart "
            "under the race shows η·λmax for each run against the line at 2."
        ),
        formulas=(r"\theta_{t+1} - \theta^\ast = (I - \eta H)(\theta_t - \theta^\ast):\quad "
                  r"e_{t+1} = (1 - \eta\lambda)\, e_t \ \text{along each eigenvector}",
                  r"|1 - \eta\lambda| < 1 \iff 0 < \eta < \frac{2}{\lambda}:\qquad 1 - 0.19 \cdot 10 = -0.9,\qquad 1 - 0.21 \cdot 10 = -1.1"),
        discuss="A run's loss oscillates but slowly grows. Is η a little too high or far too high, and how would you tell?",
        claims=(
            Claim("The two learning rates are exactly 0.95 and 1.05 times 2/L = 0.2.", limit_between),
            Claim("At η = 0.19 each step multiplies the steep coordinate by exactly −0.9 (first 20 steps).",
                  lambda rs, s: np.allclose(_steep_factor(rs[0]), -0.9, rtol=1e-9)),
            Claim("At η = 0.21 each step multiplies it by exactly −1.1, and the run diverges within 60 steps.",
                  lambda rs, s: np.allclose(_steep_factor(rs[1]), -1.1, rtol=1e-9)
                  and rs[1].diverged_at is not None and rs[1].diverged_at <= 60),
            Claim("At η = 0.19 the run converges: its loss ends below 10⁻⁸.",
                  lambda rs, s: rs[0].diverged_at is None and rs[0].loss[-1] < 1e-8),
            Claim("After one step the two runs' losses differ by less than a factor 2 (0.8 and 1.2 of the start's steep part): "
                  "the first steps do not tell them apart.",
                  lambda rs, s: rs[1].loss[1] < 2 * rs[0].loss[1]),
        ),
        recap="On a quadratic a step multiplies the error by 1 − ηλ: under 2/λ the zig-zag shrinks, over it it grows, by the same 10%.",
        run_captions=("0.95 × 2/L", "1.05 × 2/L"),
        extras=("curvature-along-path", "loss-one-axis"),
        sources=(Source("003", "The impact of learning rates"), Source("001", "Ill-conditioning")),
    )


ROSENBROCK = scene("rosenbrock", (-1.5, 2.25), 500,
                   [race_run("sgd", 0.00095), race_run("sgd", 0.00105), race_run("sgd", 0.0015), race_run("sgd", 0.0025)])


def _across(r) -> np.ndarray:
    """y − x²: how far the run is from Rosenbrock's valley floor."""
    return r.path[:, 1] - r.path[:, 0] ** 2


def stability_is_local() -> Lesson:
    def which_diverge(rs, s):
        diverged = frozenset(i + 1 for i in (1, 2, 3) if rs[i].diverged_at is not None)
        options = (frozenset({2, 3, 4}), frozenset({3, 4}), frozenset({4}), frozenset())
        return options.index(diverged) if diverged in options else 0

    def around_the_limit(rs, s):
        limit = 2.0 / largest_curvature(s, ROSENBROCK.start)
        return 0.9 * limit < rs[0].lr[0] < limit < rs[1].lr[0] < 1.1 * limit

    def bounce_grows(rs, s):
        across = np.abs(_across(rs[1]))
        return across[:100].max() > 5 * across[1] and rs[1].loss.max() > 1.1 * rs[1].loss[0]

    def survives(rs, s):
        r = rs[1]
        return (r.diverged_at is None and bool(np.all(stability_ratio_along(r, s)[100:] < 2))
                and bool(np.all(np.abs(_across(r))[150:] < 0.02)))

    def thrown_and_back(rs, s):
        r = rs[2]
        unstable = np.flatnonzero(stability_ratio_along(r, s) > 2)
        ends = [distances(x, (1.0, 1.0))[-1] for x in rs[:3]]
        return (r.diverged_at is None and np.abs(_across(r)).max() > 1.0 and unstable.size > 0 and unstable[-1] <= 40
                and ends[2] < min(ends[0], ends[1]) - 0.3)

    def stable_at_the_minimum(rs, s):
        limit = 2.0 / largest_curvature(s, (1.0, 1.0))
        return all(r.lr[0] < limit for r in rs[:3]) and rs[3].lr[0] > limit

    return Lesson(
        slug="stability-is-local",
        title="The stability limit is local: what counts is the curvature where the run is",
        objectives=("Explain why, on a curved surface, the limit 2/λmax depends on where the run is,",
                    "and why a run just past it may be pushed to gentler curvature instead of diverging."),
        scene=ROSENBROCK,
        prediction=Choice(
            "All four runs start on Rosenbrock's valley floor. Runs 2, 3 and 4 start with η above 2/λmax = 0.0010, the "
            "limit the quadratic rule gives at the start (5%, 50% and 150% above it). Which of them diverge?",
            ("Runs 2, 3 and 4", "Runs 3 and 4", "Only run 4", "None of them"), which_diverge),
        text=(
            "On a quadratic the limit η < 2/λ is exact and the same everywhere. Rosenbrock's valley is not a quadratic: "
            "it is narrow on the left (λmax ≈ 2000 at x = −1.5), wide in the middle (200 at x = 0) and λmax ≈ 1000 at "
            "the minimum. All four runs start on the valley floor at x = −1.5: run 1 is 5% under 2/λmax there, run 2 "
            "5% over, runs 3 and 4 one and a half and two and a half times over. Run 2's bounce across the valley "
            "grows, as the quadratic rule says, and for about 60 steps it makes no progress; then the bouncing shoves "
            "it along the valley to where the valley is wide enough for its step, and the bounce dies out. Run 3 is "
            "thrown far out of the valley and still comes back; only run 4 diverges. The chart under the race shows "
            "η·λmax along each path: the limit that counts is the curvature where the run is now."
        ),
        formulas=(r"\theta_{t+1} - \theta^\ast \approx \bigl(I - \eta\, H(\theta_t)\bigr)(\theta_t - \theta^\ast),\qquad "
                  r"\text{stable where } \eta\,\lambda_{\max}(H(\theta_t)) < 2",
                  r"H(x, x^2) = \begin{pmatrix} 2 + 800x^2 & -400x \\ -400x & 200 \end{pmatrix}:\quad "
                  r"\lambda_{\max} \approx 2002\ (x = -1.5),\ 200\ (x = 0),\ 1002\ (x = 1)"),
        discuss="Training a network, the loss spikes and then recovers. What might have happened to the curvature where the run is?",
        claims=(
            Claim("At the start λmax = 2002, so the quadratic rule allows η < 0.00100: run 1 is 5% under it, run 2 5% over.",
                  around_the_limit),
            Claim("Just under the limit (run 1) the loss never goes up, in 500 steps.",
                  lambda rs, s: bool(np.all(np.diff(rs[0].loss) <= 0))),
            Claim("Just over it (run 2) the bounce across the valley grows more than 5-fold within 100 steps, and the loss "
                  "climbs more than 10% above where it started.", bounce_grows),
            Claim("…yet run 2 does not diverge: from step 100 on η·λmax stays below 2, and from step 150 on it stays "
                  "within 0.02 of the valley floor.", survives),
            Claim("Run 3 is thrown more than 1 unit out of the valley, comes back (η·λmax below 2 from step 40 on) and ends "
                  "more than 0.3 closer to the minimum than runs 1 and 2.", thrown_and_back),
            Claim("Run 4 diverges within 30 steps.", lambda rs, s: rs[3].diverged_at is not None and rs[3].diverged_at <= 30),
            Claim("At the minimum λmax = 1002: runs 1 to 3 would be stable even there, run 4 would not.", stable_at_the_minimum),
        ),
        recap="2/λ is a speed limit of the place, not of the problem: just past it a run is pushed towards gentler "
              "curvature; far past it, it is thrown off the map.",
        run_captions=("0.95 × 2/λ", "1.05 × 2/λ", "1.5 × 2/λ", "2.5 × 2/λ"),
        extras=("curvature-along-path", "loss-one-axis"),
        sources=(Source("001", "Ill-conditioning"), Source("003", "The impact of learning rates")),
    )
