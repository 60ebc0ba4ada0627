"""The lessons: a lecture on optimization as data, one entry per idea, in teaching order.

Each lesson is a ready-made Compare scene (a ``CompareState``: landscape, start, runs), a few
sentences for students, the formulas, one question for the class, and the *claims* the scene
demonstrates. A claim is a sentence plus a predicate over the scene's results; the page shows
each claim with a tick computed from the live runs, and tests/test_lessons.py asserts every
one, so a lesson can never say something its picture does not show.

Scenes name landscapes and optimizers from the registries; the lesson order, text and numbers
are the only hand-written parts. Numbers quoted in the text were measured with the engine at
the scene's settings (see the claims that guard them).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable

import landscapes
import numpy as np
import optimizers

from .state import CompareState, RunSpec


# ----- records ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    """Something the scene shows, in words, and the check that it really does.

    ``holds(results, surface)`` receives the scene's runs in order (``optimizers.Result``) and
    its landscape.
    """

    says: str
    holds: Callable[[list, object], bool]


@dataclass(frozen=True)
class Lesson:
    slug: str  # the lesson's name in the URL: ?lesson=<slug>
    title: str
    scene: CompareState
    text: str  # Markdown, for students
    formulas: tuple[str, ...]  # LaTeX, one display formula each
    question: str  # one question to ask the class
    claims: tuple[Claim, ...]
    run_captions: tuple[str, ...] = ()  # a short role per run ("too low", ...), where it helps
    extras: tuple[str, ...] = ()  # extra figures under the race; names understood by extra_figures below
    probe_lrs: tuple[float, ...] = ()  # step sizes the Taylor chart marks besides the runs' own
    sources: str = ""  # which lecture notes in ../shared/seeds this follows

    def fresh_scene(self) -> CompareState:
        """A copy of the scene that callers may change without touching the catalogue."""
        return replace(self.scene, runs=[replace(run, hyper=dict(run.hyper), schedule=dict(run.schedule))
                                         for run in self.scene.runs],
                       landscape_params=dict(self.scene.landscape_params))


def scene(landscape: str, start, steps: int, runs, **params) -> CompareState:
    surface = landscapes.get(landscape, **params)
    return CompareState(landscape=landscape, landscape_params=dict(surface.param_values),
                        start=(float(start[0]), float(start[1])), steps=steps, runs=list(runs))


def run(optimizer: str, lr: float, *, schedule=None, clip_norm=None, noise=0.0, seed=0, **hyper) -> RunSpec:
    """A run as Compare holds it: only lr and the hyperparameters that differ from the defaults."""
    return RunSpec(optimizer, {"lr": lr, **hyper}, dict(schedule or {"name": "constant"}), clip_norm, None, noise, seed)


def run_scene(scene_state: CompareState) -> list:
    """The scene's runs through the engine, in order (what the page gets from the cache)."""
    surface = scene_state.surface()
    return [optimizers.run(r.optimizer, surface, start=scene_state.start, steps=scene_state.steps, **r.run_kwargs())
            for r in scene_state.runs]


# ----- measurements the claims use ----------------------------------------------------------
def distance_to(result, point) -> float:
    return float(math.hypot(result.path[-1, 0] - point[0], result.path[-1, 1] - point[1]))


def first_within(result, point, tolerance: float):
    """First step at which the run is within ``tolerance`` of ``point``, else None."""
    d = np.hypot(result.path[:, 0] - point[0], result.path[:, 1] - point[1])
    hits = np.flatnonzero(d <= tolerance)
    return int(hits[0]) if hits.size else None


def step_lengths(result) -> np.ndarray:
    return np.hypot(*np.diff(result.path, axis=0).T)


def sign_changes(values) -> int:
    signs = np.sign(np.asarray(values))
    signs = signs[signs != 0]
    return int(np.sum(signs[1:] != signs[:-1]))


def hessian_eigen(surface, point) -> tuple[np.ndarray, np.ndarray]:
    return np.linalg.eigh(np.asarray(surface.hessian(float(point[0]), float(point[1])), dtype=float))


def largest_curvature(surface, point) -> float:
    return float(np.max(np.abs(hessian_eigen(surface, point)[0])))


def global_minimum(surface):
    return min(surface.minima, key=lambda m: m.value)


def taylor_step(surface, point, lr: float) -> dict:
    """Goodfellow/UvA's second-order view of one gradient step of size ``lr`` from ``point``.

    f(θ − εg) ≈ f(θ) − ε gᵀg + ½ ε² gᵀHg: the step raises the loss once ½ ε gᵀHg > gᵀg, i.e.
    for ε > 2 gᵀg / gᵀHg.
    """
    x, y = float(point[0]), float(point[1])
    g = np.array(surface.grad(x, y), dtype=float)
    hessian = np.asarray(surface.hessian(x, y), dtype=float)
    gg, ghg = float(g @ g), float(g @ hessian @ g)
    predicted = -lr * gg + 0.5 * lr * lr * ghg
    actual = float(surface.f(x - lr * g[0], y - lr * g[1]) - surface.f(x, y))
    return dict(gg=gg, ghg=ghg, threshold=2 * gg / ghg if ghg > 0 else math.inf, predicted=predicted, actual=actual)


def final_settled_loss(result, last: int = 50) -> float:
    return float(np.mean(result.loss[-last:]))


def ends_near_minimum(result, surface, tolerance: float):
    """The minimum the run ends within ``tolerance`` of, or None."""
    nearest, distance = surface.nearest_minimum(*result.final)
    return nearest if nearest is not None and distance <= tolerance else None


def start_grid(surface, columns: int = 9, rows: int = 7) -> np.ndarray:
    """Starts spread evenly over the plot (inside its border), shape (rows*columns, 2)."""
    (x0, x1), (y0, y1) = surface.bounds
    xs = np.linspace(x0, x1, columns + 2)[1:-1]
    ys = np.linspace(y0, y1, rows + 2)[1:-1]
    return np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)


GRID_STEPS = 2000  # long enough for every start of the local-minima lesson to arrive somewhere


def runs_from_starts(scene_state: CompareState, run_index: int, starts, steps: int = GRID_STEPS) -> list:
    """One scene run repeated from many starts (for "where you start decides where you end")."""
    surface = scene_state.surface()
    spec = scene_state.runs[run_index]
    return [optimizers.run(spec.optimizer, surface, start=tuple(s), steps=steps, **spec.run_kwargs()) for s in starts]


def reconstructed_effective_lr(result, surface) -> np.ndarray | None:
    """Per-coordinate step size η/(√s + ε) that AdaGrad or RMSProp used at each step, shape (n, 2).

    Rebuilt from the path's exact gradients with the same recurrences as torch (no noise or
    clipping in the lessons that use it); None for other optimizers.
    """
    hp = result.hyperparams
    g = path_gradients(result.path[:-1], surface)
    if result.optimizer == "adagrad":
        s = hp["initial_accumulator_value"] + np.cumsum(g * g, axis=0)
        t = np.arange(1, len(g) + 1)[:, None]
        clr = result.lr[:, None] / (1.0 + (t - 1) * hp["lr_decay"])
        return clr / (np.sqrt(s) + hp["eps"])
    if result.optimizer == "rmsprop" and not hp["centered"] and hp["momentum"] == 0.0:
        alpha = hp["alpha"]
        v = np.empty_like(g)
        acc = np.zeros(2)
        for k in range(len(g)):
            acc = acc * alpha + (1.0 - alpha) * g[k] * g[k]
            v[k] = acc
        return result.lr[:, None] / (np.sqrt(v) + hp["eps"])
    return None


def path_gradients(path: np.ndarray, surface) -> np.ndarray:
    """The exact gradient at every point of a path, shape (n, 2), in one vectorized call."""
    gx, gy = surface.grad(np.ascontiguousarray(path[:, 0]), np.ascontiguousarray(path[:, 1]))
    return np.stack([np.broadcast_to(gx, len(path)), np.broadcast_to(gy, len(path))], axis=1).astype(float)


def nesterov_ball_positions(result, surface) -> np.ndarray:
    """Where the heavy ball is, for a run of torch's Nesterov: shape (n+1, 2).

    torch's iterates φ are the look-ahead points (the gradient is evaluated there); the ball
    of the lecture notes' form sits at θ = φ + ημ b (b the momentum buffer) and moves by −η b.
    """
    hp = result.hyperparams
    mu = hp["momentum"]
    gradients = path_gradients(result.path[:-1], surface)
    buffer = np.zeros(2)
    balls = [result.path[0].copy()]
    for k in range(1, len(result.path)):
        g = gradients[k - 1]
        buffer = g if k == 1 else mu * buffer + (1.0 - hp["dampening"]) * g
        balls.append(result.path[k] + result.lr[k - 1] * mu * buffer)
    return np.array(balls)


# ----- the claims, named -------------------------------------------------------------------
def _diverges(i):
    return lambda rs, s: rs[i].diverged_at is not None


def _survives(i):
    return lambda rs, s: rs[i].diverged_at is None


def _reaches(i, tolerance, by=None):
    def check(rs, s):
        m = global_minimum(s)
        k = first_within(rs[i], (m.x, m.y), tolerance)
        return k is not None and (by is None or k <= by)
    return check


def _far_from_minimum(i, distance):
    def check(rs, s):
        m = global_minimum(s)
        return distance_to(rs[i], (m.x, m.y)) > distance
    return check


# ----- the catalogue -------------------------------------------------------------------------
def _steepest_descent() -> Lesson:
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

    return Lesson(
        slug="steepest-descent",
        title="Steepest descent: follow the gradient downhill",
        scene=scene("quadratic", (-8.0, 3.0), 300, [run("sgd", 0.02), run("sgd", 0.3)], condition=5.0),
        text=(
            "The gradient ∇f points uphill, in the direction where the loss grows fastest, and it is "
            "perpendicular to the contour lines. Gradient descent takes a step of size η against it "
            "(the white arrow at the start). "
            "The chart under the race tries every direction from the start with one short step: the "
            "loss drops most exactly along −∇f. With small steps (η = 0.02) the path curves, always "
            "crossing the contours at right angles. With big steps (η = 0.3) it overshoots "
            "the valley floor and bounces across it: \"steepest\" only holds for an infinitely small step."
        ),
        formulas=(r"\theta_{t+1} = \theta_t - \eta\,\nabla f(\theta_t)",
                  r"\frac{d}{d\epsilon} f(\theta + \epsilon u)\Big|_{\epsilon=0} = u^\top \nabla f "
                  r"\ \ge\ -\|\nabla f\| \quad (\|u\| = 1,\ \text{equality for } u = -\nabla f / \|\nabla f\|)"),
        question="If the gradient is the best direction, why does the path bend instead of heading straight for the minimum?",
        claims=(
            Claim("The first step is exactly −η∇f(θ₀).", first_step_is_minus_eta_g),
            Claim("Of 3,600 directions for a short step from the start, −∇f lowers the loss most.", steepest_among_directions),
            Claim("With η = 0.02 the loss falls at every single step.", lambda rs, s: bool(np.all(np.diff(rs[0].loss) < 0))),
            Claim("With η = 0.3 the path zig-zags across the valley (y changes sign at least 10 times).",
                  lambda rs, s: sign_changes(rs[1].path[:, 1]) >= 10),
        ),
        run_captions=("small steps", "big steps"),
        extras=("gradient-arrow", "directions"),
        sources="000 (gradient descent as steepest descent)",
    )


def _learning_rate() -> Lesson:
    lrs = (0.005, 0.1, 0.19, 0.21)

    def two_over_l(rs, s):
        limit = 2.0 / largest_curvature(s, (0.0, 0.0))
        return lrs[2] < limit < lrs[3] and rs[2].diverged_at is None and rs[3].diverged_at is not None

    def oscillates_but_converges(rs, s):
        r = rs[2]
        return sign_changes(r.path[:21, 1]) == 20 and r.loss[-1] < 1e-8

    return Lesson(
        slug="learning-rate",
        title="The learning rate: too low, good, too high, far too high",
        scene=scene("quadratic", (-9.0, 3.0), 200, [run("sgd", lr) for lr in lrs], condition=10.0),
        text=(
            "Four runs of plain gradient descent that differ only in η, on a quadratic whose steepest "
            "curvature is L = 10. **Too low** (η = 0.005): the loss barely moves, the sign the notes call "
            "\"babysitting\" should catch. **Good** (η = 0.1 = 1/L): the steep direction is solved in "
            "one step. **High** (η = 0.19): every step overshoots the valley floor, the run oscillates "
            "and still converges. **Far too high** (η = 0.21): each bounce is bigger than the last and "
            "the run diverges. The border is η = 2/L = 0.2: on a quadratic, a step of η multiplies the "
            "error along each curvature λ by (1 − ηλ), and |1 − ηλ| < 1 exactly when η < 2/λ."
        ),
        formulas=(r"\theta_{t+1} - \theta^\ast = (I - \eta H)\,(\theta_t - \theta^\ast)",
                  r"|1 - \eta\lambda| < 1 \iff 0 < \eta < \frac{2}{\lambda}, \qquad \text{stable for every direction} \iff \eta < \frac{2}{L}"),
        question="Your training loss went up by a factor of ten after the first epoch. Which of the four curves are you on, and what do you change?",
        claims=(
            Claim("Too low: after 200 steps the loss is still above 5% of where it started.",
                  lambda rs, s: rs[0].loss[-1] > 0.05 * rs[0].loss[0]),
            Claim("Good: η = 1/L reaches a loss below 10⁻⁸ before every other run.",
                  lambda rs, s: int(np.argmax(rs[1].loss < 1e-8)) < min(
                      (int(np.argmax(r.loss < 1e-8)) if (r.loss < 1e-8).any() else 10**9) for r in (rs[0], rs[2], rs[3]))),
            Claim("High: the steep coordinate changes sign at every one of the first 20 steps, yet the run converges.",
                  oscillates_but_converges),
            Claim("Far too high: the run diverges.", _diverges(3)),
            Claim("The stability limit 2/L = 0.2 lies between the last two learning rates, and only the run above it diverges.",
                  two_over_l),
        ),
        run_captions=("too low", "good", "high", "far too high"),
        extras=("loss-grid",),
        sources="003 (loss curves for low / good / high / very high η), 004 (diagnosing η from loss curves)",
    )


def _ravines() -> Lesson:
    probe = 0.021  # just past 2/L: drawn on the Taylor chart, not raced (lesson 2 shows divergence)

    def zigzag(rs, s):
        _, vectors = hessian_eigen(s, (0.0, 0.0))
        steep = rs[0].path @ vectors[:, 1]
        return sign_changes(steep[:31]) >= 25

    def crawls(rs, s):
        _, vectors = hessian_eigen(s, (0.0, 0.0))
        flat_fast, flat_slow = rs[0].path @ vectors[:, 0], rs[1].path @ vectors[:, 0]
        return abs(flat_fast[50]) > 3.0 and abs(flat_slow[50]) > abs(flat_fast[50]) and sign_changes((rs[1].path @ vectors[:, 1])[:31]) == 0

    def taylor_up_and_down(rs, s):
        start = rs[0].path[0]
        low, high = taylor_step(s, start, rs[0].lr[0]), taylor_step(s, start, probe)
        exact = all(math.isclose(t["predicted"], t["actual"], rel_tol=1e-9, abs_tol=1e-9) for t in (low, high))
        return exact and low["actual"] < 0 < high["actual"] and rs[0].loss[1] < rs[0].loss[0]

    def condition_100(rs, s):
        values, _ = hessian_eigen(s, (0.0, 0.0))
        return math.isclose(values[1] / values[0], 100.0, rel_tol=1e-9)

    return Lesson(
        slug="ravines",
        title="Ravines and ill-conditioning",
        scene=scene("rotated_quadratic", (-8.0, -3.0), 300, [run("sgd", 0.019), run("sgd", 0.005)],
                    condition=100.0, angle=30.0),
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
        question="Doubling the learning rate would speed up the crawl along the valley. Why can't we?",
        claims=(
            Claim("The condition number of the Hessian is κ = 100.", condition_100),
            Claim("η = 0.019 zig-zags: the steep coordinate changes sign at least 25 times in 30 steps.", zigzag),
            Claim("…and crawls: after 50 steps it is still more than 3 units from the minimum along the valley; "
                  "η = 0.005 does not zig-zag and is even further behind.", crawls),
            Claim("The Taylor prediction is exact here; a first step of η = 0.019 lowers the loss, one of η = 0.021 raises it.",
                  taylor_up_and_down),
        ),
        run_captions=("largest stable η", "smaller η"),
        extras=("taylor",),
        probe_lrs=(probe,),
        sources="001 (ill-conditioning via the 2nd-order Taylor step; ravines), 002 (SGD jitter in a ravine)",
    )


_VALLEY_SCENE = dict(landscape="quadratic", start=(-9.0, 3.0), steps=300, condition=20.0)


def _momentum() -> Lesson:
    def overshoots(rs, s):
        return float(rs[1].path[:, 0].max()) > 1.0 and float(rs[0].path[:, 0].max()) < 0.0

    def faster(rs, s):
        return (abs(rs[1].path[30, 0]) < abs(rs[0].path[30, 0]) - 2.0 and first_within(rs[1], (0, 0), 0.1) is not None
                and first_within(rs[0], (0, 0), 0.1) is None)

    return Lesson(
        slug="momentum",
        title="Momentum: a heavy ball with friction",
        scene=scene(_VALLEY_SCENE["landscape"], _VALLEY_SCENE["start"], _VALLEY_SCENE["steps"],
                    [run("sgd", 0.01), run("momentum", 0.01)], condition=20.0),
        text=(
            "Picture a ball rolling in the valley. Its velocity b remembers past gradients: μ = 0.9 "
            "keeps 90% of it each step, the rest is lost to friction. Along the valley the gradients "
            "agree, so the velocity builds up to about 1/(1 − μ) = 10 times a plain step: the ball "
            "races ahead while gradient descent (same η) crawls. Across the valley the gradients "
            "alternate and cancel. The price: a ball with momentum does not stop at the bottom, it "
            "**overshoots** the minimum, rolls back, and settles in a damped spiral."
        ),
        formulas=(r"b_t = \mu\, b_{t-1} + g_t, \qquad \theta_t = \theta_{t-1} - \eta\, b_t",
                  r"\text{CS231n: } v_t = \mu v_{t-1} - \eta g_t,\ \theta_t = \theta_{t-1} + v_t \ \text{(the same path, } v = -\eta b)"),
        question="What would happen with μ = 0.99? And with μ = 0 (no memory)?",
        claims=(
            Claim("Momentum overshoots: it passes the minimum by more than one unit; gradient descent never reaches it.", overshoots),
            Claim("After 30 steps momentum is more than 2 units further along the valley, and only it gets within 0.1 of the minimum.",
                  faster),
        ),
        run_captions=("no momentum", "μ = 0.9"),
        sources="002 (momentum as a ball with friction), 003 (typical μ), 000 (Algorithm 8.2)",
    )


def _nesterov() -> Lesson:
    def overshoots_less_and_arrives_sooner(rs, s):
        classical, nesterov = rs
        arrive_c, arrive_n = first_within(classical, (0, 0), 0.1), first_within(nesterov, (0, 0), 0.1)
        return (nesterov.path[:, 0].max() < classical.path[:, 0].max() and arrive_n is not None and arrive_c is not None
                and arrive_n < arrive_c)

    def ball_moves_by_minus_eta_b(rs, s):
        balls = nesterov_ball_positions(rs[1], s)
        heavy_ball_steps = np.diff(balls, axis=0)
        # the ball's steps, fed back, rebuild the same look-ahead path: φ_t = θ_t + μ(θ_t − θ_{t−1})
        mu = rs[1].hyperparams["momentum"]
        lookahead = balls[1:] + mu * heavy_ball_steps
        return np.allclose(lookahead, rs[1].path[1:], rtol=1e-9, atol=1e-9)

    return Lesson(
        slug="nesterov",
        title="Nesterov: look ahead before you step",
        scene=scene(_VALLEY_SCENE["landscape"], _VALLEY_SCENE["start"], _VALLEY_SCENE["steps"],
                    [run("momentum", 0.01), run("nesterov", 0.01)], condition=20.0),
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
        question="Why does evaluating the gradient a little ahead reduce the overshoot?",
        claims=(
            Claim("Nesterov overshoots less and gets within 0.1 of the minimum sooner than classical momentum.",
                  overshoots_less_and_arrives_sooner),
            Claim("The heavy-ball positions drawn are exact: θ + μ·(θ's last step) rebuilds every look-ahead point.",
                  ball_moves_by_minus_eta_b),
        ),
        run_captions=("classical", "Nesterov"),
        extras=("lookahead",),
        sources="002 (Nesterov and its rewritten form), 003 (Nesterov's accelerated momentum)",
    )


_ADAPTIVE_SCENE = dict(landscape="quadratic", start=(-9.0, 3.0), steps=1000)


def _adagrad() -> Lesson:
    def equal_first_steps(rs, s):
        r = rs[0]
        step = np.abs(r.path[1] - r.path[0])
        g = np.abs(np.array(s.grad(*r.path[0])))
        return np.allclose(step, r.lr[0], rtol=1e-8) and g[1] / g[0] > 10

    def steps_shrink(rs, s):
        effective = reconstructed_effective_lr(rs[0], s)
        return bool(np.all(np.diff(effective, axis=0) <= 0)) and bool(np.all(effective[-1] < effective[0] / 5))

    def learning_stops(rs, s):
        r = rs[0]
        return distance_to(r, (0, 0)) > 3.0 and math.hypot(*(r.path[-1] - r.path[-201])) < 0.5

    return Lesson(
        slug="adagrad",
        title="AdaGrad: a step size per coordinate, shrinking for ever",
        scene=scene(_ADAPTIVE_SCENE["landscape"], _ADAPTIVE_SCENE["start"], _ADAPTIVE_SCENE["steps"],
                    [run("adagrad", 0.1), run("sgd", 0.01)], condition=100.0),
        text=(
            "AdaGrad divides each coordinate's step by the root of the sum of all its past squared "
            "gradients. A coordinate with big gradients gets small steps, one with small gradients "
            "big ones: the first step moves exactly η in x and in y although the gradient is about 30 "
            "times larger in y, so AdaGrad heads diagonally instead of diving into the ravine like "
            "gradient descent. But the sum only grows. Every step divides by a larger number, the "
            "step sizes (chart below) fall like 1/√t, and here learning stops more than 3 units "
            "short of the minimum."
        ),
        formulas=(r"s_t = s_{t-1} + g_t \odot g_t", r"\theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{s_t} + \epsilon} \odot g_t",
                  r"\text{torch: } \epsilon \text{ outside the root (1e-10); Goodfellow: } \delta + \sqrt{r},\ \delta \approx 10^{-7}"),
        question="AdaGrad works well for sparse features that appear rarely. Why does the same rule hurt on a long training run?",
        claims=(
            Claim("AdaGrad's first step moves exactly η in each coordinate, although the gradients differ more than tenfold.",
                  equal_first_steps),
            Claim("Its per-coordinate step sizes never grow, and end more than 5 times smaller than they started.", steps_shrink),
            Claim("Learning stops: after 1000 steps it is more than 3 units from the minimum and moved less than 0.5 in the last 200.",
                  learning_stops),
        ),
        run_captions=("AdaGrad", "gradient descent"),
        extras=("effective-lr",),
        sources="002 (AdaGrad step sizes shrinking), 000 (Algorithm 8.4), 003",
    )


def _rmsprop() -> Lesson:
    def fixes_decay(rs, s):
        adagrad, rmsprop = rs
        return first_within(rmsprop, (0, 0), 1e-3) is not None and distance_to(adagrad, (0, 0)) > 3.0

    def step_sizes_level_off(rs, s):
        eff_a, eff_r = reconstructed_effective_lr(rs[0], s), reconstructed_effective_lr(rs[1], s)
        k = 300  # well before RMSProp arrives, so its gradients are not yet vanishing
        return eff_r[k].min() > 10 * eff_a[k].max()

    return Lesson(
        slug="rmsprop",
        title="RMSProp: forget old gradients",
        scene=scene(_ADAPTIVE_SCENE["landscape"], _ADAPTIVE_SCENE["start"], _ADAPTIVE_SCENE["steps"],
                    [run("adagrad", 0.1), run("rmsprop", 0.1)], condition=100.0),
        text=(
            "RMSProp keeps AdaGrad's per-coordinate scaling but replaces the ever-growing sum by a "
            "moving average with decay α: old gradients are forgotten after about 1/(1 − α) = 100 "
            "steps. The denominator now tracks the *recent* size of the gradient, so the step sizes "
            "level off instead of decaying to nothing. Same landscape, same η = 0.1: AdaGrad stalls, "
            "RMSProp arrives."
        ),
        formulas=(r"v_t = \alpha\, v_{t-1} + (1-\alpha)\, g_t \odot g_t",
                  r"\theta_t = \theta_{t-1} - \frac{\eta}{\sqrt{v_t} + \epsilon} \odot g_t",
                  r"\text{torch's } \alpha = 0.99 \text{ is the notes' decay rate } \rho \text{ (or } \beta\text{); } \epsilon \text{ outside the root}"),
        question="RMSProp forgets. Can forgetting ever hurt?",
        claims=(
            Claim("RMSProp gets within 0.001 of the minimum; AdaGrad, with the same η, ends more than 3 units away.", fixes_decay),
            Claim("At step 300 RMSProp's per-coordinate step sizes are more than ten times AdaGrad's.", step_sizes_level_off),
        ),
        run_captions=("AdaGrad", "RMSProp"),
        extras=("effective-lr",),
        sources="002 (RMSProp), 003, 000 (Algorithm 8.5)",
    )


def _adam() -> Lesson:
    def first_step_is_eta(rs, s):
        return np.allclose(np.abs(rs[0].path[1] - rs[0].path[0]), rs[0].lr[0], rtol=1e-6)

    def uncorrected_first_step_ratio(rs, s):
        beta1, beta2 = rs[1].hyperparams["betas"]
        expected = (1 - beta1) / math.sqrt(1 - beta2)
        ratio = step_lengths(rs[1])[0] / step_lengths(rs[0])[0]
        return math.isclose(ratio, expected, rel_tol=1e-6)

    def early_steps_grow(rs, s):
        return step_lengths(rs[1])[:20].max() > 4 * step_lengths(rs[0])[0]

    return Lesson(
        slug="adam",
        title="Adam, and what bias correction does",
        scene=scene("quadratic", (-9.0, 3.0), 300, [run("adam", 0.15), run("adam_nobias", 0.15)], condition=20.0),
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
        question="With β₂ = 0.99999, would the uncorrected first steps be larger or smaller? Why?",
        claims=(
            Claim("With bias correction the first step is exactly η in each coordinate.", first_step_is_eta),
            Claim("Without it the first step is (1 − β₁)/√(1 − β₂) ≈ 3.16 times longer.", uncorrected_first_step_ratio),
            Claim("Without it the early steps keep growing: one of the first 20 is more than 4 times Adam's first.",
                  early_steps_grow),
            Claim("Both reach the minimum in the end: the bias fades as βᵗ → 0.",
                  lambda rs, s: all(first_within(r, (0, 0), 1e-3) is not None for r in rs)),
        ),
        run_captions=("with bias correction", "without"),
        extras=("step-lengths",),
        sources="002 (Adam with/without bias correction), 003 (typical β), 000 (Algorithm 8.7)",
    )


def _saddles() -> Lesson:
    def gd_stalls(rs, s):
        return int(np.sum(np.hypot(*rs[0].path.T) < 0.5)) > 250

    def escape(i):
        def check(rs, s):
            r = rs[i]
            left = np.flatnonzero(np.abs(r.path[:, 1]) > 1.0)
            end = ends_near_minimum(r, s, 0.2)
            return left.size > 0 and left[0] < 150 and end is not None
        return check

    def newton_to_saddle(rs, s):
        return distance_to(rs[3], (0.0, 0.0)) < 1e-6

    return Lesson(
        slug="saddle-points",
        title="Saddle points: stall, escape, or be attracted",
        scene=scene("saddle", (-3.0, 1e-6), 400,
                    [run("sgd", 0.02), run("sgd", 0.02, noise=0.5, seed=1), run("momentum", 0.02), run("newton", 1.0)]),
        text=(
            "At a saddle the gradient is zero but it is not a minimum: the surface curves up along x "
            "and down along y. Starting a hair (10⁻⁶) off the ridge line, gradient descent slides "
            "down to the saddle and **stalls** there: the gradient is tiny, and the escaping "
            "y-component grows by only 4% a step. **Noise** (a minibatch gradient) kicks it off the "
            "ridge at once; **momentum** carries it through. **Newton's method** jumps to where the "
            "quadratic model has zero gradient, and that is the saddle itself: it is attracted to "
            "it, which is why plain Newton is not used for neural networks (the saddle-free variant "
            "uses |H|)."
        ),
        formulas=(r"f(x, y) = x^2 - y^2 + c\,y^4, \qquad H(0,0) = \begin{pmatrix} 2 & 0 \\ 0 & -2 \end{pmatrix}",
                  r"\text{GD near the saddle: } y_{t+1} = (1 + 2\eta)\,y_t, \qquad \text{Newton: } \theta_{t+1} = \theta_t - H^{-1} g_t"),
        question="In a network with millions of parameters, are you more likely to meet a local minimum or a saddle point? Why?",
        claims=(
            Claim("Gradient descent spends more than 250 of its 400 steps within 0.5 of the saddle.", gd_stalls),
            Claim("With gradient noise it leaves the ridge within 150 steps and ends in a minimum.", escape(1)),
            Claim("With momentum it leaves within 150 steps and ends in a minimum.", escape(2)),
            Claim("Newton's method converges to the saddle point itself.", newton_to_saddle),
        ),
        run_captions=("gradient descent", "with noise", "with momentum", "Newton"),
        sources="000 (saddle points), 001 (challenges), 002 (saddles in high dimension)",
    )


def _plateaus() -> Lesson:
    def tiny_gradient(rs, s):
        return rs[0].grad_norm[0] < 1e-3

    def gd_barely_moves(rs, s):
        return math.hypot(*(rs[0].path[-1] - rs[0].path[0])) < 0.1

    return Lesson(
        slug="plateaus",
        title="Plateaus: when the gradient vanishes",
        scene=scene("plateau", (-3.5, 3.0), 300,
                    [run("sgd", 1.0), run("momentum", 1.0), run("adam", 0.1), run("rmsprop", 0.1)]),
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
        question="If adaptive methods cross plateaus so easily, why would anyone still use plain SGD with momentum?",
        claims=(
            Claim("The gradient at the start is smaller than 10⁻³.", tiny_gradient),
            Claim("Gradient descent moves less than 0.1 in 300 steps.", gd_barely_moves),
            Claim("Momentum gets further than gradient descent.",
                  lambda rs, s: distance_to(rs[1], (0, 0)) < distance_to(rs[0], (0, 0)) - 1.0),
            Claim("Adam reaches the minimum (within 0.001).", _reaches(2, 1e-3)),
            Claim("RMSProp ends within 0.2 of it.", lambda rs, s: distance_to(rs[3], (0, 0)) < 0.2),
        ),
        run_captions=("gradient descent", "momentum", "Adam", "RMSProp"),
        sources="001 (plateaus, flat areas), 000 (plateaus), 004 (why adaptive methods)",
    )


def _cliffs() -> Lesson:
    cliff_scene = scene("cliff", (2.5, 1.5), 300, [run("sgd", 0.1), run("sgd", 0.1, clip_norm=1.0)])
    max_norm = cliff_scene.runs[1].clip_norm

    def clipped_steps_bounded(rs, s):
        return bool(np.all(step_lengths(rs[1]) <= rs[1].lr * max_norm * (1 + 1e-12)))

    return Lesson(
        slug="cliffs",
        title="Cliffs and exploding gradients: clip the norm",
        scene=cliff_scene,
        text=(
            "A cliff is a place where the loss drops by a lot over a very short distance, common in "
            "recurrent networks. There the gradient is enormous, and a step of η·g throws the "
            "parameters far away: the run is thrown away. Clipping the gradient's norm keeps its "
            "direction but limits its length to a threshold, so no step is longer than η·max_norm. "
            "Both runs use η = 0.1; only the second clips at norm 1."
        ),
        formulas=(r"g \leftarrow g\,\frac{\text{max\_norm}}{\|g\|} \quad \text{if } \|g\| > \text{max\_norm}",
                  r"\text{torch.nn.utils.clip\_grad\_norm\_(params, max\_norm)}"),
        question="Clipping changes the length of the step but not its direction. Why is the direction still worth trusting on a cliff?",
        claims=(
            Claim("Without clipping the run diverges when it reaches the cliff.", _diverges(0)),
            Claim("With clipping at norm 1 it never diverges and ends at the minimum (within 0.001).",
                  lambda rs, s: rs[1].diverged_at is None and _reaches(1, 1e-3)(rs, s)),
            Claim("No clipped step is longer than η · max_norm = 0.1.", clipped_steps_bounded),
        ),
        run_captions=("no clipping", "clipped at norm 1"),
        sources="000 (cliffs, exploding gradients, clipping by norm)",
    )


def _multimodal() -> Lesson:
    def settles_in_sharp(rs, s):
        sharp = global_minimum(s)
        return first_within(rs[0], (sharp.x, sharp.y), 1e-3) is not None

    def cannot_settle(rs, s):
        sharp = global_minimum(s)
        limit = 2.0 / largest_curvature(s, (sharp.x, sharp.y))
        r = rs[1]
        return (rs[0].lr[0] < limit < r.lr[0] and final_settled_loss(r) > sharp.value + 0.2
                and distance_to(r, (sharp.x, sharp.y)) > 0.05)

    def start_decides(rs, s):
        _, endings = grid_runs(_MULTIMODAL_SCENE, 0)
        minima = list(s.minima)
        flat = next(i for i, m in enumerate(minima) if m.kind == "local")
        sharp = next(i for i, m in enumerate(minima) if m.kind == "global")
        return endings.count(flat) > endings.count(sharp) > 0 and -1 not in endings

    return Lesson(
        slug="local-minima",
        title="Local minima, flat and sharp: where you start decides where you end",
        scene=_MULTIMODAL_SCENE,
        text=(
            "This surface has two minima: a narrow, sharp one (upper right, a little deeper) and a "
            "wide, flat one (lower left). Gradient descent only ever goes downhill, so the basin it "
            "starts in decides where it ends; the chart under the race repeats the first run from "
            "63 starts (2000 steps each) and colours each path by the minimum it reaches: most "
            "starts drain into the wide basin. The sharp minimum has curvature about 55, so any η above 2/55 ≈ 0.036 "
            "cannot settle in it: at η = 0.05 the run keeps bouncing high on its walls. A flat "
            "minimum tolerates large steps and noise, and its loss changes little if the surface "
            "shifts a bit (as it does between training and test data): one reason flat minima are "
            "thought to generalize better."
        ),
        formulas=(r"\theta_{t+1} = \theta_t - \eta\,\nabla f(\theta_t) \ \text{ stays in a minimum with curvature } \lambda "
                  r"\text{ only if } \eta < 2/\lambda",),
        question="Both minima have almost the same training loss. Which would you rather ship, and how could you tell them apart?",
        claims=(
            Claim("At η = 0.02 gradient descent settles in the sharp minimum.", settles_in_sharp),
            Claim("At η = 0.05, above 2/λ of the sharp minimum, it cannot settle there: its loss stays more than 0.2 above the bottom.",
                  cannot_settle),
            Claim("From 63 starts spread over the plot, every run ends in a minimum, more in the flat one than in the sharp one, "
                  "and both are reached.",
                  start_decides),
        ),
        run_captions=("η below 2/λ", "η above 2/λ"),
        extras=("starts",),
        sources="001 (local minima; flat versus sharp minima), 000 (multimodality)",
    )


_MULTIMODAL_SCENE = scene("flat_sharp", (2.0, 1.0), 500, [run("sgd", 0.02), run("sgd", 0.05)])


def _schedules() -> Lesson:
    schedules = (
        {"name": "constant"},
        {"name": "step", "step_size": 100, "gamma": 0.5},
        {"name": "exponential", "gamma": 0.99},
        {"name": "inverse_time", "decay": 0.05},
        {"name": "linear", "tau": 300, "end_factor": 0.01},
    )

    def decay_settles(rs, s):
        constant = final_settled_loss(rs[0])
        return all(final_settled_loss(r) * 5 < constant for r in rs[1:])

    return Lesson(
        slug="learning-rate-decay",
        title="Learning-rate decay: noise needs smaller steps to settle",
        scene=scene("bowl", (-2.5, 2.0), 500,
                    [run("sgd", 0.1, schedule=sch, noise=2.0, seed=3) for sch in schedules]),
        text=(
            "A minibatch gradient is the true gradient plus noise (here Gaussian, σ = 2). With a "
            "constant η the run gets to the minimum quickly and then keeps jumping around it, at a "
            "distance set by η·σ. Shrinking η over time lets it settle. All five runs see the *same* "
            "noise; only the schedule differs: step (halve every 100 steps, the staircase of the "
            "notes), exponential, 1/t, and Goodfellow's linear decay to 1% at τ = 300, then constant. "
            "The right-hand panel under the race shows each η over time, the bar chart where each run settles."
        ),
        formulas=(r"\text{step: } \eta_t = \eta\,\gamma^{\lfloor t/k \rfloor}\qquad \text{exponential: } \eta_t = \eta\,\gamma^{t}",
                  r"1/t\text{: } \eta_t = \frac{\eta}{1 + k t}\qquad \text{linear: } \eta_t = (1 - \tfrac{t}{\tau})\,\eta + \tfrac{t}{\tau}\,\eta_\tau\ (t < \tau),\ \ \eta_\tau\ (t \ge \tau)"),
        question="If decay helps this much, why not start with a tiny learning rate?",
        claims=(
            Claim("Over the last 50 steps the constant-η run's average loss is more than 5 times that of every decayed schedule.",
                  decay_settles),
            Claim("No run diverges.", lambda rs, s: all(r.diverged_at is None for r in rs)),
        ),
        run_captions=("constant", "step", "exponential", "1/t", "linear until τ"),
        extras=("settled-loss",),
        sources="004 (GD vs SGD, staircase schedules), 002 (step, exponential, 1/t decay), 000 (linear decay until τ)",
    )


def _second_order() -> Lesson:
    def first_order_far(rs, s):
        return all(distance_to(rs[i], (1.0, 1.0)) > 0.1 for i in (2, 3))

    return Lesson(
        slug="second-order",
        title="Second-order methods: Newton and L-BFGS on Rosenbrock",
        scene=scene("rosenbrock", (-1.5, 2.0), 300,
                    [run("newton", 1.0), run("lbfgs", 1.0), run("sgd", 0.001), run("adam", 0.03)]),
        text=(
            "First-order methods only see the slope. Newton's method also uses the curvature: it "
            "jumps to the minimum of the local quadratic model, θ − H⁻¹g, which rescales every "
            "direction by its own curvature, so the banana-shaped valley of Rosenbrock is no harder "
            "than a bowl. Near the minimum the error squares at each step. L-BFGS gets most of that "
            "without ever forming H: it estimates H⁻¹ from the last few gradient differences. In "
            "two dimensions H is a 2×2 matrix; in a network with n parameters it has n² entries, "
            "which is why deep learning stays with first-order methods."
        ),
        formulas=(r"\theta_{t+1} = \theta_t - H_t^{-1} g_t \qquad \text{(damped: eigenvalues of } H \text{ floored at } \delta)",
                  r"\text{L-BFGS: } d_t = -\tilde H_t^{-1} g_t \text{ from the last } m \text{ pairs } (s_k, y_k),\ s_k = \theta_{k+1} - \theta_k,\ y_k = g_{k+1} - g_k"),
        question="Newton needs a handful of steps here. What does one step cost for a network with a million parameters?",
        claims=(
            Claim("Newton's method gets within 10⁻⁶ of the minimum within 20 steps.", _reaches(0, 1e-6, by=20)),
            Claim("L-BFGS gets within 10⁻⁴ within 100 steps.", _reaches(1, 1e-4, by=100)),
            Claim("Gradient descent and Adam are still more than 0.1 away after 300 steps.", first_order_far),
        ),
        run_captions=("Newton", "L-BFGS", "gradient descent", "Adam"),
        sources="001 (Newton, L-BFGS), 002 (second-order optimization, BFGS, L-BFGS)",
    )


LESSONS: tuple[Lesson, ...] = (
    _steepest_descent(),
    _learning_rate(),
    _ravines(),
    _momentum(),
    _nesterov(),
    _adagrad(),
    _rmsprop(),
    _adam(),
    _saddles(),
    _plateaus(),
    _cliffs(),
    _multimodal(),
    _schedules(),
    _second_order(),
)

_BY_SLUG = {lesson.slug: lesson for lesson in LESSONS}
assert len(_BY_SLUG) == len(LESSONS), "two lessons share a slug"


def slugs() -> list[str]:
    return [lesson.slug for lesson in LESSONS]


def get(slug: str) -> Lesson:
    if slug not in _BY_SLUG:
        raise ValueError(f"Unknown lesson {slug!r}; lessons: {', '.join(slugs())}")
    return _BY_SLUG[slug]


def from_query(query: dict) -> tuple[Lesson, list[str]]:
    """The lesson a link names (``?lesson=<slug>``, or its number 1-14), and a warning if it was ignored."""
    value = query.get("lesson")
    value = value[-1] if isinstance(value, list) and value else value
    if value is None:
        return LESSONS[0], []
    text = str(value)[:60]
    if text in _BY_SLUG:
        return _BY_SLUG[text], []
    if text.isdigit() and 1 <= int(text) <= len(LESSONS):
        return LESSONS[int(text) - 1], []
    return LESSONS[0], [f"Unknown lesson '{text[:40]}': showing the first lesson. Lessons are numbered 1 to {len(LESSONS)}."]


def check_claims(lesson: Lesson, results, surface) -> list[tuple[Claim, bool]]:
    """Each claim with whether it holds for these results; a failing check counts as not holding."""
    verdicts = []
    for claim in lesson.claims:
        try:
            verdicts.append((claim, bool(claim.holds(results, surface))))
        except Exception:  # noqa: BLE001 - a claim that cannot be checked is shown as not verified, never as a traceback
            verdicts.append((claim, False))
    return verdicts


# ----- the extra figures under a lesson's race ----------------------------------------------------
RACE_DECORATIONS = ("lookahead", "gradient-arrow")  # extras drawn on the race itself, not as charts of their own


def run_labels(lesson: Lesson, scene_state: CompareState) -> list[str]:
    """Compare's run labels, each led by the run's role in the lesson ("too low: Gradient descent · lr 0.005")."""
    from .shell import run_labels as compare_labels

    captions = list(lesson.run_captions) + [""] * len(scene_state.runs)
    return [f"{caption}: {label}" if caption else label for caption, label in zip(captions, compare_labels(scene_state.runs))]


def extra_chart_count(lesson: Lesson) -> int:
    return sum(extra not in RACE_DECORATIONS for extra in lesson.extras)

_STARTS_MEMO: dict[tuple, tuple] = {}


def grid_runs(scene_state: CompareState, run_index: int = 0, tolerance: float = 0.05) -> tuple[list, list[int]]:
    """Paths of one scene run repeated from the start grid, and the index of the minimum each ends in (-1: none).

    Memoized per scene: 63 short runs cost well under a second, but the page and the claim
    both ask for them on every rerun.
    """
    from . import state as page_state

    key = (tuple(sorted(page_state.to_query(scene_state).items())), run_index, tolerance)
    if key not in _STARTS_MEMO:
        surface = scene_state.surface()
        minima = list(surface.minima)
        results = runs_from_starts(scene_state, run_index, start_grid(surface))
        endings = []
        for result in results:
            end = ends_near_minimum(result, surface, tolerance)
            endings.append(minima.index(end) if end is not None else -1)
        _STARTS_MEMO[key] = ([r.path for r in results], endings)
    return _STARTS_MEMO[key]


def decorate_race(lesson: Lesson, figure, results, tracks, surface, presentation: bool = False):
    """Add what a lesson draws on top of the race (Nesterov's look-ahead points)."""
    from viz import lessons as lesson_figures

    if "gradient-arrow" in lesson.extras:
        lesson_figures.add_annotations(figure, [lesson_figures.gradient_arrow(surface, results[0].path[0], presentation)])
    if "lookahead" in lesson.extras:
        for result, track in zip(results, tracks):
            if result.optimizer == "nesterov":
                balls = nesterov_ball_positions(result, surface)
                lesson_figures.add_traces(figure, lesson_figures.lookahead_traces(balls, result.path, track.colour,
                                                                                   presentation=presentation))
    return figure


def extra_figures(lesson: Lesson, scene_state: CompareState, results, tracks, grid, presentation: bool = False) -> list:
    """The figures a lesson shows under its race, in order."""
    from viz import lessons as lesson_figures

    surface = scene_state.surface()
    figures = []
    for extra in lesson.extras:
        if extra == "directions":
            figures.append(lesson_figures.directions_figure(surface, scene_state.start, presentation=presentation))
        elif extra == "loss-grid":
            reference = min((m.value for m in surface.minima), default=None)
            figures.append(lesson_figures.loss_grid_figure(tracks, lesson.run_captions, reference, presentation))
        elif extra == "taylor":
            values, _ = hessian_eigen(surface, (global_minimum(surface).x, global_minimum(surface).y))
            runs = [(track.label, track.colour, float(result.lr[0])) for result, track in zip(results, tracks) if len(result.lr)]
            runs += [(f"η = {lr:g} (not raced)", "#D55E00", lr) for lr in lesson.probe_lrs]
            taylor = taylor_step(surface, scene_state.start, runs[0][2])
            figures.append(lesson_figures.taylor_figure(surface, scene_state.start, runs, taylor,
                                                        float(values[-1] / values[0]), presentation))
        elif extra == "effective-lr":
            rows = [(track.label, track.colour, reconstructed_effective_lr(result, surface))
                    for result, track in zip(results, tracks)]
            figures.append(lesson_figures.effective_lr_figure([row for row in rows if row[2] is not None], presentation))
        elif extra == "step-lengths":
            figures.append(lesson_figures.step_lengths_figure(tracks, 100, presentation))
        elif extra == "settled-loss":
            reference = min((m.value for m in surface.minima), default=None)
            figures.append(lesson_figures.settled_loss_figure(tracks, lesson.run_captions, reference, 50, presentation))
        elif extra == "starts":
            paths, endings = grid_runs(scene_state, 0)
            figures.append(lesson_figures.starts_figure(surface, grid, paths, endings, presentation))
        elif extra not in RACE_DECORATIONS:
            raise ValueError(f"Unknown lesson extra {extra!r}")
    return figures
