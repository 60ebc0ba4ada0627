"""Lessons on per-coordinate step sizes: AdaGrad, RMSProp, and Adam's bias correction."""
from __future__ import annotations

import functools
import math

import numpy as np

from .measures import (best_lr, distances, effective_lr, first_within, hessian_eigen, largest_curvature, replay_run,
                       step_lengths, steps_to_reach)
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


RAVINE = dict(landscape="quadratic", start=(-9.0, 3.0), steps=1000, condition=100.0)
ADAGRAD_SCENE = scene(RAVINE["landscape"], RAVINE["start"], RAVINE["steps"],
                      [race_run("adagrad", 0.1), race_run("adagrad", 1.0), race_run("sgd", 0.019)],
                      condition=RAVINE["condition"])
ADAGRAD_GRID = (0.01, 0.03, 0.1, 0.3, 1.0)
GRADIENT_DESCENT_GRID = (0.005, 0.01, 0.015, 0.019)


def adagrad() -> Lesson:
    @functools.lru_cache(maxsize=None)  # the scene never changes: replay each run once per server
    def step_sizes(i):
        return effective_lr(replay_run(ADAGRAD_SCENE, i))

    def equal_first_steps(rs, s):
        g = np.abs(np.array(s.grad(*rs[0].path[0])))
        return all(np.allclose(np.abs(r.path[1] - r.path[0]), r.lr[0], rtol=1e-8) for r in rs[:2]) and g[1] / g[0] > 10

    def steps_shrink(rs, s):
        sizes = [step_sizes(0), step_sizes(1)]
        return all(np.all(np.diff(e, axis=0) <= 0) for e in sizes) and bool(np.all(5 * sizes[0][-1] < sizes[0][0]))

    def slows_not_stops(rs, s):
        d = distances(rs[0], (0, 0))
        return d[-1] > 3.0 and d[-201] - d[-1] > 0.3

    def level_off(rs, s):
        e = step_sizes(1)
        return bool(np.all(np.abs(e[-1] / e[299] - 1) < 1e-3))

    def fair_and_faster(rs, s):
        score = steps_to_reach((0.0, 0.0), 1e-3)
        fair = (best_lr(ADAGRAD_SCENE, 1, ADAGRAD_GRID, score) == rs[1].lr[0]
                and best_lr(ADAGRAD_SCENE, 2, GRADIENT_DESCENT_GRID, score) == rs[2].lr[0])
        return fair and score(rs[2]) > 1.5 * score(rs[1])

    def after_1000_steps(rs, s):
        d = distances(rs[0], (0, 0))
        if d[-1] < 1e-3:
            return 2
        return 1 if d[-201] - d[-1] > 0.05 else 0

    return Lesson(
        slug="adagrad",
        title="AdaGrad: a step size per coordinate, shrinking for ever",
        objectives=("Explain how AdaGrad gives each coordinate its own step size,",
                    "and how its ever-growing sum slows learning, by how much depending on η."),
        scene=ADAGRAD_SCENE,
        prediction=Choice(
            "AdaGrad divides each step by the root of the sum of all past squared gradients, a sum that only grows. "
            "After 1000 steps with η = 0.1 (run 1), what has its learning done?",
            ("Stopped: it no longer moves", "Slowed down, but it still moves towards the minimum", "Reached the minimum"),
            after_1000_steps),
        text=(
            "AdaGrad divides each coordinate's step by the root of the sum of all its past squared gradients. A "
            "coordinate with big gradients gets small steps, one with small gradients big ones: the first step moves "
            "exactly η in x and in y although the gradient is 33 times larger in y, so AdaGrad heads diagonally instead "
            "of diving into the ravine like gradient descent. The sum only grows, so the step sizes (chart below) only "
            "shrink, and big early gradients shrink them for good. How much that hurts depends on η: with η = 0.1 the "
            "steps fall 19-fold and after 1000 steps the run is still 3.7 from the minimum, slowing down but still "
            "moving (it gets there by about step 18,000). With η = 1 the same rule is within 0.001 by step 225: once "
            "the gradients vanish, the sum stops growing and the step sizes level off. Gradient descent at its own "
            "best η needs 475 steps."
        ),
        formulas=(r"s_t = s_{t-1} + g_t \odot g_t", r"\theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{s_t} + \epsilon} \odot g_t",
                  r"\text{torch: } \epsilon \text{ outside the root (1e-10); Goodfellow: } \delta + \sqrt{r},\ \delta \approx 10^{-7}"),
        discuss="AdaGrad works well for sparse features that appear rarely. Why does the same rule hurt on a long training run?",
        claims=(
            Claim("Each AdaGrad run's first step moves exactly η in x and in y, although the gradient is more than ten "
                  "times larger in y.", equal_first_steps),
            Claim("Its step sizes never grow; at η = 0.1 they end more than 5 times smaller than they started.", steps_shrink),
            Claim("With η = 0.1 it slows but does not stop: after 1000 steps it is more than 3 from the minimum, yet it got "
                  "more than 0.3 closer in the last 200 steps.", slows_not_stops),
            Claim("With η = 1 the same rule gets within 0.001 of the minimum by step 250.",
                  lambda rs, s: steps_to_reach((0, 0), 1e-3)(rs[1]) <= 250),
            Claim("Once the gradients vanish the step sizes level off: with η = 1 they change by less than 0.1% after "
                  "step 300.", level_off),
            Claim("Each at its best η (AdaGrad of {0.01, 0.03, 0.1, 0.3, 1}, gradient descent of {0.005, 0.01, 0.015, "
                  "0.019}), gradient descent needs more than 1.5 times AdaGrad's steps to get within 0.001 (475 against 225).",
                  fair_and_faster),
        ),
        recap="AdaGrad's per-coordinate steps only shrink: with a small η learning slows to a crawl, with a large one it "
              "arrives before that matters.",
        run_captions=("AdaGrad η = 0.1", "AdaGrad η = 1", "gradient descent, best η"),
        extras=("effective-lr",),
        sources=(Source("004", "Method 1: Adagrad"), Source("001", "Adagrad [Duchi2011]")),
    )


RMSPROP_SCENE = scene(RAVINE["landscape"], RAVINE["start"], RAVINE["steps"],
                      [race_run("adagrad", 0.1), race_run("rmsprop", 0.1),
                       race_run("rmsprop", 0.1, schedule={"name": "exponential", "gamma": 0.995})],
                      condition=RAVINE["condition"])


def rmsprop() -> Lesson:
    @functools.lru_cache(maxsize=None)  # the scene never changes: replay each run once per server
    def step_sizes(i):
        return effective_lr(replay_run(RMSPROP_SCENE, i))

    def limit(s):
        return 2.0 / largest_curvature(s, (0.0, 0.0))

    def peak(rs):
        return 700 + int(np.argmax(rs[1].loss[700:800]))

    def levels_off(rs, s):
        return step_sizes(1)[299].min() > 10 * step_sizes(0)[299].max()

    def arrives(rs, s):
        return steps_to_reach((0, 0), 1e-3)(rs[1]) <= 160 and rs[1].loss.min() < 1e-100

    def crosses_before_spike(rs, s):
        crossed = np.flatnonzero(step_sizes(1)[:, 1] > limit(s))
        return crossed.size > 0 and crossed[0] + 1 + 100 < peak(rs)

    def spikes(rs, s):
        loss = rs[1].loss
        return loss[:700].min() < 1e-100 and loss[700:800].max() > 10 and loss[850:1000].max() > 1

    def across_the_valley(rs, s):
        k = peak(rs)
        values, vectors = hessian_eigen(s, (0.0, 0.0))
        steep = float(rs[1].path[k] @ vectors[:, 1])
        return 0.5 * values[1] * steep ** 2 > 0.99 * rs[1].loss[k]

    def refills(rs, s):
        return step_sizes(1)[peak(rs) + 29, 1] < limit(s)

    def decay_settles(rs, s):
        k = first_within(rs[2], (0, 0), 1e-3)
        return k is not None and k <= 250 and step_sizes(2)[:, 1].max() < limit(s) and rs[2].loss[k:].max() < 1e-6

    def afterwards(rs, s):
        loss = rs[1].loss
        arrived = first_within(rs[1], (0, 0), 1e-3) or 0
        if loss[arrived:].max() > 1.0:
            return 2
        return 1 if loss[-1] > 1e3 * loss.min() else 0

    return Lesson(
        slug="rmsprop",
        title="RMSProp: forget old gradients, and what forgetting costs",
        objectives=("Explain how a moving average of g² keeps RMSProp's step sizes from dying out,",
                    "and why, with a constant η, it cannot stay at the minimum."),
        scene=RMSPROP_SCENE,
        prediction=Choice(
            "RMSProp (run 2, constant η) is within 0.001 of the minimum by step 153. What does its loss do over the "
            "remaining 850 steps?",
            ("It stays at the minimum", "It creeps slowly back up", "It shoots back up in sudden spikes"), afterwards),
        text=(
            "RMSProp keeps AdaGrad's per-coordinate scaling but replaces the ever-growing sum by a moving average with "
            "decay α: old gradients are forgotten after about 1/(1 − α) = 100 steps. The denominator tracks the "
            "*recent* size of the gradient, so with the same η the step sizes level off instead of shrinking (chart "
            "below): at step 300 they are over ten times AdaGrad's, and RMSProp is within 0.001 of the minimum by step "
            "153. But forgetting has a price. At the minimum the gradients vanish, v keeps shrinking by α every step, "
            "and the step size η/(√v + ε) keeps growing. At step 427 the steep coordinate's step size passes 2/λ = 0.02, "
            "the stability limit of the learning-rate lessons, and from then on the error across the valley grows at "
            "every step. It starts from 10⁻¹⁹², so nothing shows for 300 steps; then the loss shoots from below 10⁻¹⁰⁰ "
            "up to 25 at step 771. The big gradients of the spike refill v, the step size drops below 2/λ, the run "
            "settles, and the cycle repeats (6 at step 968). With a constant η, RMSProp never settles for good. A tiny "
            "ε does not help; decaying η at least as fast as √v decays (here × 0.995 per step, about √α) does: the "
            "third run arrives and stays."
        ),
        formulas=(r"v_t = \alpha\, v_{t-1} + (1-\alpha)\, g_t \odot g_t",
                  r"\theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{v_t} + \epsilon} \odot g_t",
                  r"g \to 0:\ \ v_t \approx \alpha^t v_0,\ \ \frac{\eta}{\sqrt{v_t}} \text{ grows by } \tfrac{1}{\sqrt\alpha} \text{ a step, until } "
                  r"\frac{\eta}{\sqrt{v}}\,\lambda > 2",
                  r"\text{torch's } \alpha = 0.99 \text{ is the notes' decay rate } \rho \text{ (or } \beta\text{); } \epsilon \text{ outside the root}"),
        discuss="RMSProp forgets. Why does forgetting make it unstable exactly when it has found the minimum?",
        claims=(
            Claim("With the same η, at step 300 RMSProp's step sizes are more than ten times AdaGrad's.", levels_off),
            Claim("RMSProp arrives: within 0.001 of the minimum by step 160, and its loss goes below 10⁻¹⁰⁰.", arrives),
            Claim("Then its steep coordinate's step size passes 2/λ = 0.02, more than 100 steps before the loss spikes.",
                  crosses_before_spike),
            Claim("The loss spikes: from below 10⁻¹⁰⁰ it shoots above 10 between steps 700 and 800, and above 1 again "
                  "before step 1000.", spikes),
            Claim("The spike is across the valley: at its peak more than 99% of the loss is in the steep direction.",
                  across_the_valley),
            Claim("The spike refills v: 30 steps after the peak the steep step size is back below 2/λ.", refills),
            Claim("Decaying η by 0.995 per step arrives too (within 0.001 by step 250) and never spikes: its steep step "
                  "size stays below 2/λ and its loss below 10⁻⁶ after arriving.", decay_settles),
        ),
        recap="Forgetting keeps RMSProp's steps alive, but at the minimum they grow past 2/λ: with a constant η it spikes "
              "again and again; a decaying η settles.",
        run_captions=("AdaGrad", "RMSProp, constant η", "RMSProp, η × 0.995 per step"),
        extras=("effective-lr",),
        sources=(Source("001", "RMSprop"), Source("002", "RMSProp update")),
    )
