"""Lessons on per-coordinate step sizes: AdaGrad, RMSProp, and Adam's bias correction."""
from __future__ import annotations

import math

import numpy as np

from .measures import first_within, step_lengths
from .records import Choice, Claim, Lesson, Source, scene
from .records import run as race_run


def adam() -> Lesson:
    def first_step_is_eta(rs, s):
        return np.allclose(np.abs(rs[0].path[1] - rs[0].path[0]), rs[0].lr[0], rtol=1e-6)

    def uncorrected_ratio(rs):
        return step_lengths(rs[1])[0] / step_lengths(rs[0])[0]

    def uncorrected_first_step_ratio(rs, s):
        beta1, beta2 = rs[1].hyperparams["betas"]
        return math.isclose(uncorrected_ratio(rs), (1 - beta1) / math.sqrt(1 - beta2), rel_tol=1e-6)

    def early_steps_grow(rs, s):
        return step_lengths(rs[1])[:20].max() > 4 * step_lengths(rs[0])[0]

    def first_step_answer(rs, s):
        ratio = uncorrected_ratio(rs)
        return 0 if ratio < 0.9 else 1 if ratio < 1.1 else 2

    return Lesson(
        slug="adam",
        title="Adam, and what bias correction does",
        objectives=("Explain why Adam's moving averages start too small,", "and what dividing by 1 − βᵗ fixes."),
        scene=scene("quadratic", (-9.0, 3.0), 300, [race_run("adam", 0.15), race_run("adam_nobias", 0.15)], condition=20.0),
        prediction=Choice(
            "Both runs are Adam with η = 0.15; run 2 skips the bias correction. Compared with run 1's, how long is "
            "run 2's first step?",
            ("Shorter", "About the same", "About three times longer"), first_step_answer),
        text=(
            "Adam is momentum (a moving average m of g) plus RMSProp (a moving average v of g²). Both "
            "averages start at zero, so in the first steps they are far too small: m₁ = 0.1 g and "
            "v₁ = 0.001 g². Bias correction divides them by 1 − βᵗ, which makes the first step exactly η "
            "in each coordinate. Without it the step is m/√v = 0.1/√0.001 ≈ 3.2 times larger, and it "
            "keeps growing for a while, because v warms up far more slowly (β₂ = 0.999) than m. "
            "The chart under the race shows the length of each step."
        ),
        formulas=(r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\qquad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2",
                  r"\hat m_t = \frac{m_t}{1-\beta_1^t},\quad \hat v_t = \frac{v_t}{1-\beta_2^t},\quad "
                  r"\theta_t = \theta_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}",
                  r"\text{without correction, step 1: } \eta\,\frac{(1-\beta_1)\,g}{\sqrt{1-\beta_2}\,|g|} \approx 3.16\,\eta"),
        discuss="With β₂ = 0.99999, would the uncorrected first steps be larger or smaller? Why?",
        claims=(
            Claim("With bias correction the first step is exactly η in each coordinate.", first_step_is_eta),
            Claim("Without it the first step is (1 − β₁)/√(1 − β₂) ≈ 3.16 times longer.", uncorrected_first_step_ratio),
            Claim("Without it the early steps keep growing: one of the first 20 is more than 4 times Adam's first.",
                  early_steps_grow),
            Claim("Both reach the minimum in the end: the bias fades as βᵗ → 0.",
                  lambda rs, s: all(first_within(r, (0, 0), 1e-3) is not None for r in rs)),
        ),
        recap="Moving averages that start at zero are too small at first; dividing by 1 − βᵗ makes the first steps the right size.",
        run_captions=("with bias correction", "without"),
        extras=("step-lengths",),
        sources=(Source("002", "Adam update"), Source("001", "Adam [Kingma2014]")),
    )
