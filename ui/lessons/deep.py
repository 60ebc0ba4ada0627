"""Lessons on what depth does to a loss surface: two weights of the lecture notes' deep chain."""
from __future__ import annotations

import functools
import itertools
import math

import landscapes
import numpy as np
import optimizers

from .. import heavy
from .measures import step_lengths
from .records import Choice, Claim, Lesson, Source, scene
from .records import run as race_run

CHAIN_SCENE = scene("chain", (2.5, 0.2), 100, [race_run("sgd", 0.05), race_run("sgd", 0.2), race_run("sgd", 0.25)],
                    depth=1.0)

# The chart under the race: one step size from small initial weights, on chains of three depths.
# η = 0.3 because the valley's flattest curvature is 4c: at c = 4 no point of it can hold η > 2/16,
# and 0.3 is thrown off within ten steps from every start we tried near the origin, while 0.25
# bounced for 20 to 80 steps first, depending on the fourth decimal of the start.
DEPTH_START = (0.05, 0.02)
DEPTH_LR = 0.3
DEPTHS = (0.25, 1.0, 4.0)  # eight further weights of 0.84, of 1, of 1.19
DEPTH_STEPS = 60
SETTLED = 1e-12  # "in the valley": a loss below this


@functools.lru_cache(maxsize=1)
def depth_runs() -> tuple:
    """Gradient descent with ``DEPTH_LR`` from ``DEPTH_START`` on the chain at each of ``DEPTHS``."""
    return tuple(optimizers.run("sgd", landscapes.get("chain", depth=c), start=DEPTH_START, steps=DEPTH_STEPS,
                                lr=DEPTH_LR) for c in DEPTHS)


heavy.on_clear(depth_runs.cache_clear)


def depth_captions() -> tuple[str, ...]:
    return tuple(f"c = {c:g}" + {0.25: ": eight weights of 0.84", 4.0: ": eight weights of 1.19"}.get(c, "")
                 for c in DEPTHS)


def _valley_curvature(surface, point) -> float:
    """The Hessian's nonzero eigenvalue on the valley w₁w₂ = 1/c: 2c²(w₁² + w₂²), the curvature across it."""
    c = surface.param_values["depth"]
    return 2.0 * c * c * float(point[0] ** 2 + point[1] ** 2)


def _settled(r) -> bool:
    return r.diverged_at is None and r.loss[-1] < SETTLED


def _first_below(r, level: float) -> float:
    hits = np.flatnonzero(r.loss < level)
    return int(hits[0]) if hits.size else math.inf


def chain() -> Lesson:
    def where_they_end(rs, s):
        if not all(_settled(r) for r in rs):
            return 2
        ends = [r.path[-1] for r in rs]
        return 0 if max(math.dist(a, b) for a, b in itertools.combinations(ends, 2)) < 0.1 else 1

    def three_minima(rs, s):
        ends = [r.path[-1] for r in rs]
        return all(_settled(r) for r in rs) and min(math.dist(a, b) for a, b in itertools.combinations(ends, 2)) > 0.5

    def start_decides(rs, s):
        start, end = rs[0].path[0], rs[0].path[-1]
        return abs((end[0] ** 2 - end[1] ** 2) - (start[0] ** 2 - start[1] ** 2)) < 0.05

    def two_over_lambda(rs, s):
        small_end = _valley_curvature(s, rs[0].path[-1])
        return (all(_valley_curvature(s, r.path[-1]) < 2.0 / r.lr[0] for r in rs)
                and all(small_end > 2.0 / r.lr[0] for r in rs[1:]))

    def saddle_and_slow_start(rs, s):
        c = s.param_values["depth"]
        at_one = depth_runs()[DEPTHS.index(1.0)]
        return (s.grad(0.0, 0.0) == (0.0, 0.0)
                and np.allclose(np.linalg.eigvalsh(s.hessian(0.0, 0.0)), [-2.0 * c, 2.0 * c], rtol=1e-12)
                and step_lengths(at_one)[0] < 0.05)

    def vanishing(rs, s):
        short, one = depth_runs()[DEPTHS.index(0.25)], depth_runs()[DEPTHS.index(1.0)]
        return _first_below(short, 0.5) > 3 * _first_below(one, 0.5)

    def exploding(rs, s):
        one, long = depth_runs()[DEPTHS.index(1.0)], depth_runs()[DEPTHS.index(4.0)]
        return long.diverged_at is not None and long.diverged_at <= 10 and _settled(one)

    return Lesson(
        slug="deep-chain",
        title="Two weights of a deep chain: a valley of minima, a saddle at zero",
        objectives=("Find the saddle and the valley of minima of a chain of weights, and say why the minimum a run "
                    "reaches depends on its start and its step,",
                    "and explain why the other weights' product c makes the gradient vanish (c < 1) or explode (c > 1)."),
        scene=CHAIN_SCENE,
        prediction=Choice(
            "This is the loss of a chain ŷ = w₁w₂⋯w_l as a function of its first two weights: zero all along the "
            "curved valley w₁w₂ = 1. Three runs of gradient descent start at (2.5, 0.2), just below the valley, "
            "with steps η = 0.05, 0.2 and 0.25. Where do they end?",
            ("All at the same minimum", "At three different points of the valley, each with loss ≈ 0",
             "Only the small step settles; the bigger ones bounce or diverge"), where_they_end),
        text=(
            "The lecture notes' deep model multiplies its input by every weight in turn, ŷ = x·w₁w₂⋯w_l. Hold all "
            "weights but the first two fixed, their product c (c = w^(l−2) when they all equal w), and the squared "
            "error for x = 1 and target 1 is this surface, (1 − c·w₁w₂)². Its loss is zero on the whole hyperbola "
            "w₁w₂ = 1/c: a valley of minima, all equally good (the stars mark only its two balanced points). "
            "Doubling w₁ and halving w₂ leaves the output unchanged, and real networks have such valleys too.\n\n"
            "All three runs end in the valley, at three different points. The small step (η = 0.05) goes almost "
            "straight up to the nearest part of it and stops at (2.52, 0.40): with a small step gradient descent "
            "keeps w₁² − w₂² as it was, so the start decides where it ends. The valley is sharp there: its curvature "
            "across, 2c²(w₁² + w₂²), is 13, more than the bigger steps can stand (2/η = 10 and 8; the 2/λ rule of "
            "the flat and sharp minima). They bounce across the valley, slipping along it with every bounce, and "
            "settle where it is flat enough: η = 0.2 at (1.57, 0.64), η = 0.25 at (0.94, 1.07), beside the "
            "flattest point (curvature 4c).\n\n"
            "The origin, all weights zero, is a saddle: the gradient −2c(1 − c·w₁w₂)·(w₂, w₁) vanishes there and "
            "is proportional to the distance from it nearby, so small initial weights make a slow start. Every "
            "gradient also carries the factor c from the other weights. The chart under the race repeats gradient "
            "descent with η = 0.3 from small weights (0.05, 0.02) on chains of ten weights: with c = 0.25 (the other "
            "eight 0.84 each) the loss stays high about four times as long as with c = 1 (a vanishing gradient); "
            "with c = 4 (eight of 1.19) the run is thrown off the map within a few steps (an exploding gradient).\n\n"
            "How real are these pictures? [The Network page](Network) trains a real small network and shows its own "
            "landscape: a few hundred weights instead of two, and four ways to look at them."
        ),
        formulas=(r"f(w_1, w_2) = (1 - c\,w_1 w_2)^2,\qquad c = w_3 \cdots w_l = w^{\,l-2}",
                  r"\nabla f = -2c\,(1 - c\,w_1 w_2)\begin{pmatrix} w_2 \\ w_1 \end{pmatrix},\qquad "
                  r"H(0, 0) = \begin{pmatrix} 0 & -2c \\ -2c & 0 \end{pmatrix}:\ \lambda = \pm 2c",
                  r"\text{on the valley } w_1 w_2 = 1/c:\quad \lambda_{\text{along}} = 0,\quad "
                  r"\lambda_{\text{across}} = 2c^2\,(w_1^2 + w_2^2) \ge 4c"),
        discuss="Doubling w₁ and halving w₂ gives the same network. What does that say about comparing two trained "
                "networks weight by weight, or about 'the' minimum a network should find?",
        claims=(
            Claim("All three runs end in the valley (loss below 10⁻¹²), at three points more than 0.5 apart.",
                  three_minima),
            Claim("The small step keeps w₁² − w₂² within 0.05 of its value at the start (6.21).", start_decides),
            Claim("Each run ends where the valley's curvature across is below its 2/η; where the small step stopped "
                  "(curvature 13) is too sharp for η = 0.2 and 0.25.", two_over_lambda),
            Claim("The origin is a saddle (zero gradient, curvatures −2c and +2c), and from small weights (0.05, 0.02) "
                  "the first step at c = 1, even with η = 0.3, is shorter than 0.05.", saddle_and_slow_start),
            Claim("With c = 0.25 the loss takes more than three times as many steps to fall below 0.5 as with c = 1.",
                  vanishing),
            Claim("With c = 4 the same step diverges within 10 steps, where c = 1 settles in the valley.", exploding),
        ),
        recap="A chain of weights has a saddle at zero and a whole valley of equally good minima: the start and the "
              "step decide which one a run reaches, and the other weights' product scales every gradient.",
        run_captions=("small step", "bigger step", "biggest step"),
        extras=("depths",),
        sources=(Source("000", "Challenge: compositions in deep models"), Source("001", "Vanishing and exploding gradients"),
                 Source("004", "Where to initialize for DNNs?")),
        states_only="The notes' remedy for these gradients, batch normalization (ASU STP598, “Challenge: compositions "
                    "in deep models”), and the principled initializations they list (CSCI 8980, “Where to initialize "
                    "for DNNs?”) are not shown here.",
    )
