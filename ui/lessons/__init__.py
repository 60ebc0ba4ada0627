"""The lessons: a lecture on optimization as data, one entry per idea, in teaching order.

Each lesson is a scene (a Compare race on a surface, or minibatch runs on data), a prediction the
class makes before the runs are shown, a few sentences for students, the formulas, and the
*claims* the scene demonstrates: a sentence plus a predicate over the scene's runs. The page shows
each claim with a tick computed from the live runs, and tests/test_lessons.py asserts every one
(on twenty other seeds too where the scene has noise), so a lesson cannot say what its picture
does not show.

Adding a lesson: a function in one of the topic modules, and its line in ``LESSONS`` below.
"""
from __future__ import annotations

from . import adaptive, deep, first_order, on_data, schedules, second_order, stability, terrain, tuning
from .records import (COURSES, Choice, Claim, DataRun, DataScene, EndPoint, Lesson, Source, Verdict, check_claims,
                      is_noisy, judge, reseeded, run_scene)

LESSONS: tuple[Lesson, ...] = (
    first_order.steepest_descent(),
    first_order.learning_rate(),
    stability.stability_limit(),
    stability.stability_is_local(),
    first_order.ravines(),
    first_order.momentum(),
    first_order.nesterov(),
    first_order.momentum_annealing(),
    adaptive.adagrad(),
    adaptive.rmsprop(),
    adaptive.adam(),
    terrain.saddles(),
    terrain.plateaus(),
    terrain.cliffs(),
    terrain.local_minima(),
    terrain.sharp_minima(),
    deep.chain(),
    on_data.gd_against_sgd(),
    on_data.sampling(),
    on_data.diagnose_learning_rate(),
    schedules.learning_rate_decay(),
    schedules.robbins_monro(),
    on_data.early_stopping(),
    tuning.grid_vs_random(),
    second_order.second_order(),
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
    """The lesson a link names (``?lesson=<slug>``, or its number), and a warning if it was ignored."""
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


__all__ = ["COURSES", "Choice", "Claim", "DataRun", "DataScene", "EndPoint", "LESSONS", "Lesson", "Source", "Verdict",
           "check_claims", "from_query", "get", "is_noisy", "judge", "reseeded", "run_scene", "slugs"]
