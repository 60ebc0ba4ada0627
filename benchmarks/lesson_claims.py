"""Every lesson's claims and prediction, re-measured: what a teacher can check before class.

For each lesson: the prediction's right answer on the scene shown, how many claims hold there,
and, for a scene with noise, on how many of ``--draws`` other draws of the noise each claim holds
and the answer stays the same (the project's rule: at least 19 of 20). Prints a table; exits 1 if
a claim fails on the scene itself or on more than one draw in twenty.

    python benchmarks/lesson_claims.py [--draws 20] [--lesson SLUG ...]
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from ui import lessons  # noqa: E402


def answer_key(lesson, results, surface):
    if isinstance(lesson.prediction, lessons.Choice):
        return lesson.prediction.answer(results, surface)
    return tuple(np.round(lesson.prediction.answer(results, surface), 2))


def same_answer(lesson, shown, other) -> bool:
    if isinstance(lesson.prediction, lessons.Choice):
        return shown == other
    return float(np.hypot(shown[0] - other[0], shown[1] - other[1])) <= lesson.prediction.tolerance


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20, help="other draws of the noise per noisy lesson")
    parser.add_argument("--lesson", nargs="*", default=None, help="only these slugs")
    args = parser.parse_args()
    chosen = [lesson for lesson in lessons.LESSONS if not args.lesson or lesson.slug in args.lesson]
    failures = 0
    print(f"{'#':>2}  {'lesson':28s} {'claims':>6}  {'noisy draws (worst claim)':>26}  {'same answer':>11}  {'s':>5}  answer")
    for number, lesson in enumerate(chosen, start=1):
        began = time.perf_counter()
        surface = lesson.scene.surface()
        results = lessons.run_scene(lesson.scene)
        verdicts = lessons.check_claims(lesson, results, surface)
        held = sum(ok for _, ok in verdicts)
        failures += held < len(verdicts)
        shown = answer_key(lesson, results, surface)
        worst, same = "-", "-"
        if lessons.is_noisy(lesson.scene):
            counts = np.zeros(len(lesson.claims), dtype=int)
            agree = 0
            for draw in range(1, args.draws + 1):
                drawn = lessons.run_scene(lessons.reseeded(lesson.scene, draw))
                counts += [ok for _, ok in lessons.check_claims(lesson, drawn, surface)]
                agree += same_answer(lesson, shown, answer_key(lesson, drawn, surface))
            worst = f"{counts.min()}/{args.draws}"
            same = f"{agree}/{args.draws}"
            failures += int(counts.min() < args.draws - args.draws // 20)
        text = lessons.judge(lesson.prediction, None, results, surface).says
        print(f"{number:>2}  {lesson.slug:28s} {held:>2}/{len(verdicts):<3}  {worst:>26}  {same:>11}  "
              f"{time.perf_counter() - began:5.1f}  {text}")
    print(f"\n{len(chosen)} lessons; {'every claim holds' if not failures else f'{failures} lesson(s) with failing claims'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
