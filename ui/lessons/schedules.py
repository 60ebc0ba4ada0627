"""Lessons on changing the step size over time: why decay helps with noise, and how fast to decay."""
from __future__ import annotations

import math

import numpy as np

from .measures import distances, mean_last
from .records import Choice, Claim, EndPoint, Lesson, Source, scene
from .records import run as race_run

DECAY_SCHEDULES = (
    {"name": "constant"},
    {"name": "step", "step_size": 200, "gamma": 0.5},
    {"name": "exponential", "gamma": 0.997},
    {"name": "inverse_time", "decay": 0.05},
    {"name": "linear", "tau": 1000, "end_factor": 0.01},
)
SIGMA = 2.0
DECAY_SCENE = scene("bowl", (-2.5, 2.0), 2000, [race_run("sgd", 0.1, schedule=s, noise=SIGMA, seed=12) for s in DECAY_SCHEDULES])


def learning_rate_decay() -> Lesson:
    def ratios(rs):
        return [mean_last(rs[0], 100) / mean_last(r, 100) for r in rs[1:]]

    def rms_distance_formula(rs, s):
        lr = rs[0].lr[0]
        measured = float(np.sqrt(np.mean(np.sum(rs[0].path[200:] ** 2, axis=1))))
        return abs(measured / (SIGMA * np.sqrt(2 * lr / (2 - lr))) - 1) < 0.15 and measured > 3 * lr * SIGMA

    def constant_compared(rs, s):
        r = ratios(rs)
        if all(value > 5 for value in r):
            return 2
        return 0 if all(value < 1 for value in r) else 1

    return Lesson(
        slug="learning-rate-decay",
        title="Learning-rate decay: noise needs smaller steps to settle",
        objectives=("Say how far from the minimum a constant η leaves a noisy run,",
                    "and how the usual schedules (step, exponential, 1/t, linear) let it settle."),
        scene=DECAY_SCENE,
        prediction=Choice(
            "Five runs of gradient descent with the same noisy gradients: one keeps η = 0.1, four shrink it over time. "
            "Over the last 100 of 2000 steps, how does the constant run's average loss compare with the others'?",
            ("Lower: it keeps its full speed", "About the same", "More than 5 times higher"), constant_compared),
        text=(
            "A minibatch gradient is the true gradient plus noise (here Gaussian, σ = 2 in each coordinate). With a "
            "constant η the run gets to the minimum quickly and then keeps jumping around it: each step adds a kick of "
            "size ησ, and the pull back to the minimum removes only a fraction of it, so the run settles at an RMS "
            "distance of σ·√(2η/(2 − η)) ≈ 0.65 (each coordinate's variance is ησ²/(2 − η) on this bowl of "
            "curvature 1). That distance shrinks only like √η: to halve it, quarter η. Shrinking η over time lets the "
            "run settle. All five runs see the *same* noise; only the schedule differs: step (halve every 200 steps, "
            "the staircase of the notes), exponential (× 0.997 per step), 1/t, and Goodfellow's linear decay to 1% at "
            "τ = 1000, then constant. Every decayed run ends with an average loss at least 5 times below the constant "
            "run's (here 40 to 240 times; over 200 draws of the noise, the weakest schedule's factor has a median of 44, "
            "and it fell below 5 on one draw only). The "
            "right-hand panel under the race shows each η over time."
        ),
        formulas=(r"\text{step: } \eta_t = \eta\,\gamma^{\lfloor t/k \rfloor}\qquad \text{exponential: } \eta_t = \eta\,\gamma^{t}",
                  r"1/t\text{: } \eta_t = \frac{\eta}{1 + k t}\qquad \text{linear: } \eta_t = (1 - \tfrac{t}{\tau})\,\eta + \tfrac{t}{\tau}\,\eta_\tau\ (t < \tau),\ \ \eta_\tau\ (t \ge \tau)",
                  r"\text{constant } \eta \text{ on a bowl of curvature 1: } \mathbb{E}\,\|\theta - \theta^\ast\|^2 = \frac{2\eta\sigma^2}{2 - \eta}"),
        discuss="If decay helps this much, why not start with a tiny learning rate?",
        claims=(
            Claim("Over the last 100 steps the constant-η run's average loss is more than 5 times that of every decayed "
                  "schedule.", lambda rs, s: all(value > 5 for value in ratios(rs))),
            Claim("No run diverges.", lambda rs, s: all(r.diverged_at is None for r in rs)),
            Claim("The constant run's RMS distance from the minimum (steps 200 to 2000) is within 15% of σ√(2η/(2 − η)) "
                  "= 0.65, more than 3 times η·σ = 0.2.", rms_distance_formula),
        ),
        recap="With noise a constant η leaves the run a distance ∝ √η from the minimum; shrinking η lets it settle.",
        run_captions=("constant", "step", "exponential", "1/t", "linear until τ"),
        extras=("settled-loss",),
        sources=(Source("004", "Step Size (Learning Rate (LR)) for SGD"), Source("000", "Stochastic Gradient Descent")),
    )


RM_SCHEDULES = ({"name": "constant"}, {"name": "inverse_time", "decay": 0.05}, {"name": "exponential", "gamma": 0.95})
RM_NOISE = 0.5
ROBBINS_MONRO_SCENE = scene("bowl", (-2.5, 2.0), 2000,
                            [race_run("sgd", 0.1, schedule=s) for s in RM_SCHEDULES]
                            + [race_run("sgd", 0.1, schedule=s, noise=RM_NOISE, seed=0) for s in RM_SCHEDULES])


def frozen_distance(start, lr: float, gamma: float, steps: int = 5000) -> float:
    """Where exponential decay stops gradient descent on a bowl of curvature 1 without noise:
    each step multiplies the distance by (1 − η γᵗ), so it ends at |θ₀| ∏ₜ (1 − η γᵗ)."""
    return float(math.hypot(*start) * np.prod(1.0 - lr * gamma ** np.arange(steps)))


def robbins_monro() -> Lesson:
    frozen = frozen_distance(ROBBINS_MONRO_SCENE.start, 0.1, 0.95)

    def sums(rs, s):
        constant, inverse, exponential = (float(np.sum(r.lr)) for r in rs[:3])
        return abs(constant - 200) < 1e-9 and 9.0 < inverse < 9.5 and 1.99 < exponential <= 2.0

    def without_noise(rs, s):
        ends = [distances(r, (0.0, 0.0))[-1] for r in rs[:3]]
        return ends[0] < 1e-3 and ends[1] < 1e-3 and abs(ends[2] - frozen) < 1e-6 and ends[2] > 0.4

    def mean_distance(r, last=200):
        return float(distances(r, (0.0, 0.0))[-last:].mean())

    def freezes(rs, s):
        r = rs[5]
        return distances(r, (0.0, 0.0))[-1] > 0.15 and math.hypot(*(r.path[-1] - r.path[500])) < 1e-9

    return Lesson(
        slug="decay-conditions",
        title="How fast may the step size shrink? Σηₜ = ∞ and Σηₜ² < ∞",
        objectives=("State the Robbins–Monro conditions and check them for constant, 1/t and exponential decay,",
                    "and explain why a decay whose sum is finite freezes a run before the minimum."),
        scene=ROBBINS_MONRO_SCENE,
        prediction=EndPoint(
            "Run 3 shrinks its step by 5% at every step (exponential decay, γ = 0.95), without noise. Click on the map "
            "where it will stop.", run=2, tolerance=0.15),
        text=(
            "With noisy gradients a constant η never settles: the noise keeps kicking the run around the minimum. "
            "Shrinking η quiets the noise, but not too fast: the sum of all the step sizes is how far the run can still "
            "travel. 1/t decay (ηₜ = η/(1 + kt)) has a sum that grows without bound, like log t, so the run can always "
            "still arrive, while the sum of the squares, which measures how much noise piles up, stays finite: these "
            "are the conditions the notes state (Robbins and Monro's). Exponential decay with γ = 0.95 adds up to only "
            "η/(1 − γ) = 2 however long you train: here, without noise, it stops 0.41 from the minimum and never moves "
            "again, and with noise it freezes wherever the noise happened to leave it. Runs 1 to 3 have no noise; runs "
            "4 to 6 are the same schedules with noise σ = 0.5."
        ),
        formulas=(r"\sum_t \eta_t = \infty, \qquad \sum_t \eta_t^2 < \infty",
                  r"\text{constant: } \sum_{t<T}\eta_t = \eta T,\quad 1/t\text{: } \sum_{t<T}\frac{\eta}{1+kt} \approx \frac{\eta}{k}\ln(1+kT),"
                  r"\quad \text{exponential: } \sum_t \eta\gamma^t = \frac{\eta}{1-\gamma}",
                  r"\text{bowl: } |\theta_T| = |\theta_0|\prod_{t<T}(1-\eta_t) \ \ge\ 3.2016 \cdot \prod_{t\ge 0}(1 - 0.1\cdot 0.95^t) = 0.4106"),
        discuss="Exponential decay is popular in practice. What keeps it from freezing a real training run too early?",
        claims=(
            Claim("The step sizes add up to 200 (constant), 9.3 (1/t: the sum keeps growing, like 2 ln t) and 2.0 "
                  "(exponential: never more than η/(1 − γ) = 2, however long you train).", sums),
            Claim(f"Without noise, constant and 1/t reach the minimum (within 0.001); the exponential run stops "
                  f"{frozen:.2f} from it (|θ₀|·∏(1 − ηγᵗ) = {frozen:.4f}) and never gets closer.", without_noise),
            Claim("With noise σ = 0.5 the constant run never settles: over its last 200 steps it is on average more than "
                  "0.1 from the minimum.", lambda rs, s: mean_distance(rs[3]) > 0.1),
            Claim("With the same noise 1/t settles: its average distance over the last 200 steps is less than a third of "
                  "the constant run's.", lambda rs, s: mean_distance(rs[4]) < mean_distance(rs[3]) / 3),
            Claim("With noise the exponential run freezes wherever the noise left it: more than 0.15 from the minimum, "
                  "moving less than 10⁻⁹ after step 500.", freezes),
        ),
        recap="A schedule must add up to infinity to always arrive, and its squares must add up to something finite to "
              "settle; exponential decay fails the first and freezes.",
        run_captions=("constant", "1/t", "exponential 0.95", "constant + noise", "1/t + noise", "exponential + noise"),
        extras=("loss-one-axis", "settled-loss"),
        sources=(Source("000", "Stochastic Gradient Descent"), Source("004", "Step Size (Learning Rate (LR)) for SGD")),
    )
