"""Lessons on what the terrain does to a run: saddle points, plateaus, cliffs, local minima."""
from __future__ import annotations

import math

import numpy as np

from .measures import (distance_to, distances, ends_near_minimum, first_within, global_minimum, largest_curvature,
                       settled_loss, step_lengths, steps_to_reach)
from .records import Choice, Claim, EndPoint, Lesson, Source, scene
from .records import run as race_run


def _time_near_saddle(r) -> int:
    return int(np.sum(np.hypot(*r.path.T) < 0.5))


def _leaves_ridge(r):
    left = np.flatnonzero(np.abs(r.path[:, 1]) > 1.0)
    return int(left[0]) if left.size else None


def saddles() -> Lesson:
    def gd_stalls(rs, s):
        return _time_near_saddle(rs[0]) > 250

    def escape(i, within):
        def check(rs, s):
            left = _leaves_ridge(rs[i])
            return left is not None and left < within and ends_near_minimum(rs[i], s, 0.2) is not None
        return check

    def momentum_by_how_much(rs, s):
        gd, momentum = rs[0], rs[2]
        left_gd, left_momentum = _leaves_ridge(gd), _leaves_ridge(momentum)
        return (_time_near_saddle(momentum) * 3 < _time_near_saddle(gd) and left_momentum is not None
                and left_gd is not None and left_momentum * 3 < left_gd)

    def newton_to_saddle(rs, s):
        return distance_to(rs[3], (0.0, 0.0)) < 1e-6

    return Lesson(
        slug="saddle-points",
        title="Saddle points: stall, escape, or be attracted",
        objectives=("Tell a saddle from a minimum by its curvature,",
                    "and say which methods stall at one, escape it, or are drawn to it."),
        scene=scene("saddle", (-3.0, 1e-6), 400,
                    [race_run("sgd", 0.02), race_run("sgd", 0.02, noise=0.5, seed=1), race_run("momentum", 0.02),
                     race_run("newton", 1.0)]),
        prediction=EndPoint(
            "Run 4 is Newton's method: it jumps to where the local quadratic model has zero gradient. "
            "Click on the map where you think it will end after 400 steps.", run=3, tolerance=0.3),
        text=(
            "At a saddle the gradient is zero but it is not a minimum: the surface curves up along x "
            "and down along y. Starting a hair (10⁻⁶) off the ridge line, gradient descent slides "
            "down to the saddle and **stalls** there: the gradient is tiny, and the escaping "
            "y-component grows by only 4% a step, so it spends 292 of its 400 steps within 0.5 of the saddle "
            "and leaves the ridge only at step 355. **Noise** (a minibatch gradient) kicks it off the "
            "ridge well before that (within 200 steps on every draw of the noise we tried). **Momentum** carries it through: 62 steps near the saddle, off the ridge at step 90. "
            "**Newton's method** jumps to where the quadratic model has zero gradient, and that is the "
            "saddle itself: it is attracted to it, which is why plain Newton is not used for neural networks "
            "(the saddle-free variant uses |H|)."
        ),
        formulas=(r"f(x, y) = x^2 - y^2 + c\,y^4, \qquad H(0,0) = \begin{pmatrix} 2 & 0 \\ 0 & -2 \end{pmatrix}",
                  r"\text{GD near the saddle: } y_{t+1} = (1 + 2\eta)\,y_t, \qquad \text{Newton: } \theta_{t+1} = \theta_t - H^{-1} g_t"),
        discuss="In a network with millions of parameters, are you more likely to meet a local minimum or a saddle point? Why?",
        claims=(
            Claim("Gradient descent spends more than 250 of its 400 steps within 0.5 of the saddle.", gd_stalls),
            Claim("With gradient noise it leaves the ridge within 200 steps (without: 355) and ends within 0.2 of a minimum.",
                  escape(1, 200)),
            Claim("With momentum it leaves within 150 steps and ends within 0.2 of a minimum.", escape(2, 150)),
            Claim("Momentum spends less than a third as many steps near the saddle as gradient descent, and leaves the "
                  "ridge in less than a third of the time.", momentum_by_how_much),
            Claim("Newton's method converges to the saddle point itself.", newton_to_saddle),
        ),
        recap="A saddle stalls gradient descent; noise and momentum push through it; Newton's method is drawn into it.",
        run_captions=("gradient descent", "with noise", "with momentum", "Newton"),
        sources=(Source("000", "Other Challenges"),),
        states_only="The notes only list saddle points among the challenges (ASU STP598, “Other Challenges”); "
                    "the claims about high dimensions in the question are for discussion, not shown here.",
    )


def plateaus() -> Lesson:
    def tiny_gradient(rs, s):
        return rs[0].grad_norm[0] < 1e-3

    def gd_barely_moves(rs, s):
        return math.hypot(*(rs[0].path[-1] - rs[0].path[0])) < 0.1

    def first_in_well(rs, s):
        return int(np.argmin([steps_to_reach((0, 0), 0.2)(r) for r in rs]))

    return Lesson(
        slug="plateaus",
        title="Plateaus: when the gradient vanishes",
        objectives=("Recognise a plateau in a loss curve,", "and explain why adaptive methods cross it quickly."),
        scene=scene("plateau", (-3.5, 3.0), 300,
                    [race_run("sgd", 1.0), race_run("momentum", 1.0), race_run("adam", 0.1), race_run("rmsprop", 0.1)]),
        prediction=Choice(
            "The start lies on a nearly flat plain far from the well. Which run reaches the well (within 0.2 of the "
            "minimum) first?",
            ("Gradient descent", "Momentum", "Adam", "RMSProp"), first_in_well),
        text=(
            "Far from the well the surface is almost flat: the gradient at the start is about 10⁻⁴. "
            "Gradient descent's step is η times the gradient, so it hardly moves; that is the "
            "plateau in the loss curve, and what vanishing gradients look like. Momentum slowly "
            "builds up speed. Adaptive methods divide the gradient by its own recent size, so their "
            "steps are about η whatever the slope: Adam and RMSProp walk straight across the plain "
            "into the well. (The gradient-norm panel below the race shows how small the signal is.)"
        ),
        formulas=(r"\text{GD: } \|\Delta\theta\| = \eta\,\|g\| \to 0 \ \text{ as } \ \|g\| \to 0",
                  r"\text{Adam/RMSProp: } |\Delta\theta_i| \approx \eta\, \frac{|g_i|}{\sqrt{\overline{g_i^2}}} \approx \eta"),
        discuss="If adaptive methods cross plateaus so easily, why would anyone still use plain SGD with momentum?",
        claims=(
            Claim("The gradient at the start is smaller than 10⁻³.", tiny_gradient),
            Claim("Gradient descent moves less than 0.1 in 300 steps.", gd_barely_moves),
            Claim("Momentum ends more than 1 unit closer to the minimum than gradient descent.",
                  lambda rs, s: distance_to(rs[1], (0, 0)) < distance_to(rs[0], (0, 0)) - 1.0),
            Claim("Adam reaches the minimum (within 0.001).",
                  lambda rs, s: first_within(rs[2], (0, 0), 1e-3) is not None),
            Claim("RMSProp ends within 0.2 of it.", lambda rs, s: distance_to(rs[3], (0, 0)) < 0.2),
        ),
        recap="On a plateau a step of η·g is nearly zero; dividing by the gradient's own size keeps steps about η.",
        run_captions=("gradient descent", "momentum", "Adam", "RMSProp"),
        sources=(Source("001", "Plateaus/Flat areas"), Source("001", "RMSprop")),
    )


def cliffs() -> Lesson:
    cliff_scene = scene("cliff", (2.5, 1.5), 300, [race_run("sgd", 0.1), race_run("sgd", 0.1, clip_norm=1.0)])
    max_norm = cliff_scene.runs[1].clip_norm

    def clipped_steps_bounded(rs, s):
        return bool(np.all(step_lengths(rs[1]) <= rs[1].lr * max_norm * (1 + 1e-12)))

    def fate(rs, s):
        r = rs[0]
        if r.diverged_at is not None:
            return 2
        return 1 if distance_to(r, (global_minimum(s).x, global_minimum(s).y)) < 1e-3 else 0

    return Lesson(
        slug="cliffs",
        title="Cliffs and exploding gradients: clip the norm",
        objectives=("Explain why a cliff throws a run away,", "and how clipping the gradient's norm bounds every step."),
        scene=cliff_scene,
        prediction=Choice(
            "Run 1 (no clipping, η = 0.1) walks towards a cliff, where the gradient is hundreds of times larger. "
            "What happens to it there?",
            ("It slows down and stops at the cliff's edge", "It jumps down and lands at the minimum",
             "It is thrown off the map (it diverges)"), fate),
        text=(
            "A cliff is a place where the loss drops by a lot over a very short distance, common in "
            "recurrent networks. There the gradient is enormous, and a step of η·g throws the "
            "parameters far away: the run is thrown away. Clipping the gradient's norm keeps its "
            "direction but limits its length to a threshold, so no step is longer than η·max_norm. "
            "Both runs use η = 0.1; only the second clips at norm 1."
        ),
        formulas=(r"g \leftarrow g\,\frac{\text{max\_norm}}{\|g\|} \quad \text{if } \|g\| > \text{max\_norm}",
                  r"\text{torch.nn.utils.clip\_grad\_norm\_(params, max\_norm)}"),
        discuss="Clipping changes the length of the step but not its direction. Why is the direction still worth trusting on a cliff?",
        claims=(
            Claim("Without clipping the run diverges when it reaches the cliff.", lambda rs, s: rs[0].diverged_at is not None),
            Claim("With clipping at norm 1 it never diverges and ends at the minimum (within 0.001).",
                  lambda rs, s: rs[1].diverged_at is None
                  and first_within(rs[1], (global_minimum(s).x, global_minimum(s).y), 1e-3) is not None),
            Claim("No clipped step is longer than η · max_norm = 0.1.", clipped_steps_bounded),
        ),
        recap="Clipping keeps the gradient's direction and caps its length, so a cliff can no longer throw the run away.",
        run_captions=("no clipping", "clipped at norm 1"),
        sources=(Source("000", "Challenge: cliff"),),
    )


MULTIMODAL_SCENE = scene("flat_sharp", (2.0, 1.0), 500, [race_run("sgd", 0.02), race_run("sgd", 0.05)])


def local_minima() -> Lesson:
    from .extras import starts_of

    def settles_in_sharp(rs, s):
        sharp = global_minimum(s)
        return first_within(rs[0], (sharp.x, sharp.y), 1e-3) is not None

    def cannot_settle(rs, s):
        sharp = global_minimum(s)
        limit = 2.0 / largest_curvature(s, (sharp.x, sharp.y))
        r = rs[1]
        return (rs[0].lr[0] < limit < r.lr[0] and settled_loss(r) > sharp.value + 0.2
                and distance_to(r, (sharp.x, sharp.y)) > 0.05)

    def climbs(rs, s):
        return bool(np.any(np.diff(rs[1].loss) > 0))

    def start_decides(rs, s):
        _, endings = starts_of("local-minima", MULTIMODAL_SCENE)
        minima = list(s.minima)
        flat = next(i for i, m in enumerate(minima) if m.kind == "local")
        sharp = next(i for i, m in enumerate(minima) if m.kind == "global")
        return endings.count(flat) > endings.count(sharp) > 0 and -1 not in endings

    return Lesson(
        slug="local-minima",
        title="Local minima, flat and sharp: where you start decides where you end",
        objectives=("Predict which basin a run ends in from where it starts,",
                    "and say why a minimum with curvature λ cannot hold a run with η > 2/λ."),
        scene=MULTIMODAL_SCENE,
        prediction=EndPoint(
            "This surface has two minima. Run 1 is gradient descent with a small step (η = 0.02). "
            "Click on the map where it will end.", run=0, tolerance=0.3),
        text=(
            "This surface has two minima: a narrow, sharp one (upper right, a little deeper) and a "
            "wide, flat one (lower left). With a small enough step, gradient descent goes downhill at "
            "every step, so the basin it starts in decides where it ends; the chart under the race repeats "
            "the first run from 63 starts (2000 steps each) and colours each path by the minimum it reaches: "
            "most starts drain into the wide basin. The sharp minimum has curvature about 55, so any η above "
            "2/55 ≈ 0.036 cannot settle in it: at η = 0.05 the run bounces on its walls, its loss going up as "
            "often as down, and stays high. A flat minimum tolerates large steps and noise, and its loss changes "
            "little if the surface shifts a bit (as it does between training and test data): one reason flat "
            "minima are thought to generalize better."
        ),
        formulas=(r"\theta_{t+1} = \theta_t - \eta\,\nabla f(\theta_t) \ \text{ stays in a minimum with curvature } \lambda "
                  r"\text{ only if } \eta < 2/\lambda",),
        discuss="Both minima have almost the same training loss. Which would you rather ship, and how could you tell them apart?",
        claims=(
            Claim("At η = 0.02 gradient descent settles in the sharp minimum.", settles_in_sharp),
            Claim("At η = 0.05, above 2/λ of the sharp minimum, it cannot settle there: its loss stays more than 0.2 above "
                  "the bottom.", cannot_settle),
            Claim("At η = 0.05 the loss goes up at some steps: a step too large for the curvature climbs.", climbs),
            Claim("From 63 starts spread over the plot, every run ends in a minimum, more in the flat one than in the "
                  "sharp one, and both are reached.", start_decides),
        ),
        recap="The start picks the basin; a basin with curvature λ keeps a run only if η < 2/λ.",
        run_captions=("η below 2/λ", "η above 2/λ"),
        extras=("starts",),
        sources=(Source("001", "Local minima"), Source("001", "Plateaus/Flat areas")),
    )



SHARP_SCENE = scene("flat_sharp", (2.0, 1.0), 1000,
                    [race_run("sgd", 0.02), race_run("sgd", 0.02, noise=0.5, seed=0), race_run("sgd", 0.3),
                     race_run("sgd", 0.3, noise=0.5, seed=0)], sharpness=0.15)


def _minimum_of_kind(surface, kind: str) -> tuple[float, float]:
    m = next(m for m in surface.minima if m.kind == kind)
    return float(m.x), float(m.y)


def sharp_minima() -> Lesson:
    def near(r, point, last=100):
        return float(distances(r, point)[-last:].mean())

    def in_flat(r, s):
        return near(r, _minimum_of_kind(s, "local")) < 0.5

    def which_end_flat(rs, s):
        ended = frozenset(i + 1 for i in (1, 2, 3) if in_flat(rs[i], s))
        options = (frozenset({3, 4}), frozenset({2, 4}), frozenset({2, 3, 4}), frozenset())
        return options.index(ended) if ended in options else 3

    def curvatures(rs, s):
        sharp = largest_curvature(s, _minimum_of_kind(s, "global"))
        flat = largest_curvature(s, _minimum_of_kind(s, "local"))
        return rs[0].lr[0] < 2 / sharp < rs[2].lr[0] < 2 / flat

    def thrown_out(rs, s):
        r = rs[2]
        return (distances(r, _minimum_of_kind(s, "global"))[:40].min() < 0.2
                and distances(r, _minimum_of_kind(s, "local"))[-1] < 1e-3)

    return Lesson(
        slug="flat-vs-sharp",
        title="A big step finds the flat minimum; noise alone does not",
        objectives=("Explain with 2/λ why a large step cannot stay in a sharp minimum but can settle in a flat one,",
                    "and see that gradient noise at a small step is not the same thing."),
        scene=SHARP_SCENE,
        prediction=Choice(
            "Four runs of gradient descent start beside the sharp minimum (upper right): a small step and a big step, "
            "each with and without gradient noise. Which end in the wide, flat basin (lower left)?",
            ("Only the big-step runs (3 and 4)", "Only the noisy runs (2 and 4)", "Runs 2, 3 and 4", "None of them"),
            which_end_flat),
        text=(
            "The sharp minimum (upper right) is narrow and a little deeper: its curvature is about 56, so gradient "
            "descent can settle there only with η < 2/56 = 0.036. The flat minimum's curvature is about 1: any η below "
            "1.9 can settle there. With η = 0.02 the run drops into the sharp well and stays. With η = 0.3 it falls in "
            "too, but every step overshoots the narrow bottom by more than it came, the bounce grows, and the run is "
            "thrown out; it lands in the flat basin and settles there. Gradient noise (σ = 0.5) does not do that at the "
            "small step: the noisy run jitters at the bottom of the sharp well and stays, on every one of 60 draws of "
            "the noise we tried, while the big-step run with the same noise ends in the flat basin on all 60. "
            "\"Stochasticity alone is not always enough\", as the notes say: what decides which minima can hold a run "
            "is its step size against 2/λ. (Noise strong enough to leave the sharp well, σ of 5 to 8, also keeps the "
            "run from settling anywhere.)"
        ),
        formulas=(r"\lambda_{\text{sharp}} \approx 55.6,\qquad \lambda_{\text{flat}} \approx 1.05",
                  r"\text{a minimum with curvature } \lambda \text{ holds gradient descent only if } \eta < 2/\lambda:\quad "
                  r"0.02 < 0.036 < 0.3 < 1.91"),
        discuss="Large learning rates and small batches are said to find flatter minima. Which part of this scene supports "
                "that, and which part warns against reading too much into it?",
        claims=(
            Claim("The sharp minimum's curvature is 55.6 (2/λ = 0.036) and the flat one's 1.05 (2/λ = 1.91): η = 0.02 fits "
                  "both, η = 0.3 only the flat one.", curvatures),
            Claim("η = 0.02 settles in the sharp minimum (within 0.001).",
                  lambda rs, s: distances(rs[0], _minimum_of_kind(s, "global"))[-1] < 1e-3),
            Claim("η = 0.3 falls into the sharp well (within 0.2 of its bottom) but is thrown out, and settles in the flat "
                  "minimum (within 0.001).", thrown_out),
            Claim("With noise σ = 0.5 and the small step the run stays: over its last 100 steps it is on average within 0.1 "
                  "of the sharp minimum.", lambda rs, s: near(rs[1], _minimum_of_kind(s, "global")) < 0.1),
            Claim("With the same noise and the big step the run ends in the flat basin: over its last 100 steps on average "
                  "within 0.5 of the flat minimum.", lambda rs, s: in_flat(rs[3], s)),
        ),
        recap="A step too big for a sharp minimum throws the run out to a flatter one; noise at a small step does not.",
        run_captions=("small step", "small step + noise", "big step", "big step + noise"),
        extras=("curvature-along-path",),
        sources=(Source("001", "Local minima"), Source("001", "Flat areas, steep minima")),
    )
