"""What a lesson is made of, as plain records: its scene, its prediction, its claims, its sources.

A lesson is data. The catalogue modules beside this one fill these records; the page
(``ui/lesson_page.py``) draws them; ``tests/test_lessons.py`` checks every claim on the runs,
and, where a scene has noise, on twenty other seeds too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable

import landscapes
import optimizers
from landscapes import data as datasets
from optimizers import minibatch

from ..state import CompareState, RunSpec

# The five lecture notes in ../shared/seeds, by the course each comes from (seeds/README.md).
COURSES = {
    "000": "Training NN (ASU STP598, after Goodfellow et al. ch. 8)",
    "001": "Deep Learning @ UvA, lecture 3",
    "002": "CS231n-style lecture 6",
    "003": "5IF Deep Learning",
    "004": "CSCI 8980 (U. Minnesota)",
}


@dataclass(frozen=True)
class Source:
    """One place in the lecture notes: the course (a key of ``COURSES``) and its section heading."""

    course: str
    section: str

    def __post_init__(self):
        if self.course not in COURSES:
            raise ValueError(f"Unknown course {self.course!r}; courses: {', '.join(COURSES)}")

    @property
    def text(self) -> str:
        return f"{COURSES[self.course]}, “{self.section}”"


@dataclass(frozen=True)
class Claim:
    """Something the scene shows, in words, and the check that it really does.

    ``holds(results, surface)`` receives the scene's runs in order and its landscape (or data set).
    """

    says: str
    holds: Callable[[list, object], bool]


@dataclass(frozen=True)
class Choice:
    """A prediction by picking one of a few options; ``answer(results, surface)`` is the index of the
    right one, computed from the runs (never written down), so it cannot drift from the picture."""

    prompt: str
    options: tuple[str, ...]
    answer: Callable[[list, object], int]


@dataclass(frozen=True)
class EndPoint:
    """A prediction by clicking on the map where run ``run`` will end; right within ``tolerance``."""

    prompt: str
    run: int
    tolerance: float

    def answer(self, results, surface) -> tuple[float, float]:
        x, y = results[self.run].path[-1]
        return float(x), float(y)


@dataclass(frozen=True)
class Verdict:
    right: bool
    says: str  # what happened, in one sentence, whatever the guess


def judge(prediction, guess, results, surface) -> Verdict:
    """Whether ``guess`` (an option's index, or an (x, y) point) is right for these runs."""
    if isinstance(prediction, Choice):
        right_index = int(prediction.answer(results, surface))
        truth = prediction.options[right_index]
        return Verdict(guess == right_index, f"The answer: {truth}.")
    x, y = prediction.answer(results, surface)
    end = f"Run {prediction.run + 1} ended at ({x:.2f}, {y:.2f})"
    if guess is None:
        return Verdict(False, end + ".")
    distance = math.hypot(guess[0] - x, guess[1] - y)
    return Verdict(distance <= prediction.tolerance,
                   f"{end}; the guess ({guess[0]:.2f}, {guess[1]:.2f}) was {distance:.2f} away "
                   f"(right within {prediction.tolerance:g}).")


# ----- scenes ------------------------------------------------------------------------------------
def scene(landscape: str, start, steps: int, runs, **params) -> CompareState:
    """A race on an analytic surface, as Compare holds it."""
    surface = landscapes.get(landscape, **params)
    return CompareState(landscape=landscape, landscape_params=dict(surface.param_values),
                        start=(float(start[0]), float(start[1])), steps=steps, runs=list(runs))


def run(optimizer: str, lr: float, *, schedule=None, clip_norm=None, noise=0.0, seed=0, **hyper) -> RunSpec:
    """A run as Compare holds it: only lr and the hyperparameters that differ from the defaults."""
    return RunSpec(optimizer, {"lr": lr, **hyper}, dict(schedule or {"name": "constant"}), clip_norm, None, noise, seed)


@dataclass(frozen=True)
class DataRun:
    """One run on a data set: ``batch_size`` None is full-batch gradient descent with the same rule."""

    optimizer: str
    lr: float
    batch_size: int | None = None
    sampling: str = "practical"
    seed: int = 0
    schedule: dict = field(default_factory=lambda: {"name": "constant"})
    hyper: dict = field(default_factory=dict)

    @property
    def noisy(self) -> bool:
        return self.batch_size is not None


@dataclass
class DataScene:
    """Minibatch runs on one of ``landscapes.data``'s problems (the Minibatch SGD page's engine).

    ``holdout`` examples of the generated set are kept out of training: the runs see the rest, and
    ``held_out()`` is the loss a validation set would report.
    """

    problem: str
    n: int
    data_seed: int
    steps: int
    runs: list
    holdout: int = 0
    presentation: bool = False

    def full_data(self):
        return datasets.get(self.problem, self.n + self.holdout, self.data_seed)

    def surface(self):
        """The training set: what the runs descend (it quacks like a landscape for the maps)."""
        whole = self.full_data()
        return whole if not self.holdout else whole.subset(range(self.n))

    def held_out(self):
        whole = self.full_data()
        return whole.subset(range(self.n, self.n + self.holdout)) if self.holdout else None

    @property
    def start(self) -> tuple:
        return tuple(self.full_data().start)


def run_scene(scene_state) -> list:
    """The scene's runs through the engine, in order."""
    if isinstance(scene_state, DataScene):
        data = scene_state.surface()
        results = []
        for r in scene_state.runs:
            hyper = dict(r.hyper, lr=r.lr)
            if r.batch_size is None:
                results.append(minibatch.full_batch(r.optimizer, data, scene_state.steps, schedule=r.schedule, **hyper))
            else:
                results.append(minibatch.run(r.optimizer, data, r.batch_size, scene_state.steps, sampling=r.sampling,
                                             seed=r.seed, schedule=r.schedule, **hyper))
        return results
    surface = scene_state.surface()
    return [optimizers.run(r.optimizer, surface, start=scene_state.start, steps=scene_state.steps, **r.run_kwargs())
            for r in scene_state.runs]


def is_noisy(scene_state) -> bool:
    """Whether some run of the scene draws random numbers (gradient noise or minibatches)."""
    if isinstance(scene_state, DataScene):
        return any(r.noisy for r in scene_state.runs)
    return any(r.noise for r in scene_state.runs)


def reseeded(scene_state, draw: int):
    """The scene with every random run's seed moved to another draw; runs that shared a seed still do.

    ``draw`` 0 is the scene itself. The tests check each claim of a noisy scene on many draws.
    """
    if isinstance(scene_state, DataScene):
        runs = [replace(r, seed=r.seed + 1000 * draw) if r.noisy else r for r in scene_state.runs]
        return replace(scene_state, runs=runs)
    runs = [replace(r, seed=r.seed + 1000 * draw) if r.noise else r for r in scene_state.runs]
    return replace(scene_state, runs=runs)


# ----- the lesson --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lesson:
    slug: str  # the lesson's name in the URL: ?lesson=<slug>
    title: str
    objectives: tuple[str, ...]  # what a student can do after it, one or two
    scene: object  # a CompareState (a race on a surface) or a DataScene (minibatch runs on data)
    prediction: Choice | EndPoint  # asked before the runs are shown
    text: str  # Markdown, for students, shown with the reveal
    formulas: tuple[str, ...]  # LaTeX, one display formula each
    claims: tuple[Claim, ...]
    recap: str  # one line, at the end
    sources: tuple[Source, ...]
    discuss: str = ""  # a question for the class after the reveal
    run_captions: tuple[str, ...] = ()  # a short role per run ("too low", ...), shown after the reveal
    extras: tuple[str, ...] = ()  # figures under the race: names in ui.lessons.extras.EXTRAS or DECORATIONS
    probe_lrs: tuple[float, ...] = ()  # step sizes the Taylor chart marks besides the runs' own
    states_only: str = ""  # what the notes claim that this scene does not show, said plainly

    def fresh_scene(self):
        """A copy of the scene that callers may change without touching the catalogue."""
        if isinstance(self.scene, DataScene):
            return replace(self.scene, runs=[replace(r, hyper=dict(r.hyper), schedule=dict(r.schedule))
                                             for r in self.scene.runs])
        return replace(self.scene, runs=[replace(r, hyper=dict(r.hyper), schedule=dict(r.schedule))
                                         for r in self.scene.runs],
                       landscape_params=dict(self.scene.landscape_params))

    @property
    def on_data(self) -> bool:
        return isinstance(self.scene, DataScene)


def check_claims(lesson: Lesson, results, surface) -> list[tuple[Claim, bool]]:
    """Each claim with whether it holds for these results; a failing check counts as not holding."""
    verdicts = []
    for claim in lesson.claims:
        try:
            verdicts.append((claim, bool(claim.holds(results, surface))))
        except Exception:  # noqa: BLE001 - a claim that cannot be checked is shown as not verified, never as a traceback
            verdicts.append((claim, False))
    return verdicts
