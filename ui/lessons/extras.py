"""The figures a lesson adds to its race, by name: a registry, so a new figure is one function and
one line, and a lesson lists the names it wants in ``Lesson.extras``.

``EXTRAS`` build a chart of their own under the race; ``DECORATIONS`` draw on the race itself.
Each takes a ``View`` (what the page computed) and returns a figure (EXTRAS) or changes the race
figure in place (DECORATIONS). Figures are built in ``viz.lessons``; the numbers come from
``ui.lessons.measures``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from viz import lessons as lesson_figures

from . import measures
from .records import is_noisy


@dataclass
class View:
    lesson: object
    scene: object
    surface: object
    results: list
    tracks: list
    grid: object
    presentation: bool = False

    @property
    def reference_loss(self):
        """The lowest loss the curves subtract: a surface's global minimum, a data set's L* (0 when none)."""
        if self.lesson.on_data:
            return self.surface.min_loss
        return min((m.value for m in self.surface.minima), default=None)

    @property
    def captions(self) -> list[str]:
        return list(self.lesson.run_captions) + [""] * len(self.tracks)


def _directions(view: View):
    return lesson_figures.directions_figure(view.surface, view.scene.start, presentation=view.presentation)


SMOOTHING = 20  # steps in the running mean drawn over a noisy run's loss


def _loss_one_axis(view: View):
    noisy = is_noisy(view.scene)
    smoothed = [measures.running_mean(r.loss, SMOOTHING) if noisy else None for r in view.results]
    title = (f"The loss of every run, on one axis (bold: mean of the last {SMOOTHING} steps)" if noisy
             else "The loss of every run, on one axis")
    return lesson_figures.loss_one_axis_figure(view.tracks, view.captions, view.reference_loss, view.presentation,
                                               smoothed=smoothed, title=title)


def _taylor(view: View):
    values, _ = measures.hessian_eigen(view.surface, measures.minimum_point(view.surface))
    runs = [(track.label, track.colour, float(result.lr[0])) for result, track in zip(view.results, view.tracks)
            if len(result.lr)]
    runs += [(f"η = {lr:g} (not raced)", "#D55E00", lr) for lr in view.lesson.probe_lrs]
    taylor = measures.taylor_step(view.surface, view.scene.start, runs[0][2])
    return lesson_figures.taylor_figure(view.surface, view.scene.start, runs, taylor, float(values[-1] / values[0]),
                                        view.presentation)


def _effective_lr(view: View):
    rows = []
    for i, track in enumerate(view.tracks):
        values = measures.effective_lr(measures.replay_run(view.scene, i))
        if values is not None:
            rows.append((track.label, track.colour, values))
    limit = 2.0 / measures.largest_curvature(view.surface, measures.minimum_point(view.surface))
    return lesson_figures.effective_lr_figure(rows, view.presentation, stability_limit=limit)


def _step_lengths(view: View):
    return lesson_figures.step_lengths_figure(view.tracks, 100, view.presentation)


def _settled_loss(view: View):
    return lesson_figures.settled_loss_figure(view.tracks, view.captions, view.reference_loss, 50, view.presentation)


def _starts(view: View):
    paths, endings = starts_of(view.lesson.slug, view.lesson.scene)
    return lesson_figures.starts_figure(view.surface, view.grid, paths, endings, view.presentation)


GRID_STEPS = 2000  # long enough for every start of the local-minima lesson to arrive somewhere
_STARTS_MEMO: dict[str, tuple] = {}


def starts_of(slug: str, scene_state) -> tuple[list, list[int]]:
    """A lesson's first run repeated from a grid of starts; memoized per lesson (its scene never changes)."""
    if slug not in _STARTS_MEMO:
        surface = scene_state.surface()
        _STARTS_MEMO[slug] = measures.endings_from_starts(scene_state, 0, measures.start_grid(surface), GRID_STEPS)
    return _STARTS_MEMO[slug]


def _iterations_and_epochs(view: View):
    return lesson_figures.iterations_and_epochs_figure(view.tracks, [r.epoch for r in view.results], view.captions,
                                                       view.reference_loss, view.presentation)


def _epoch_ends(view: View):
    unseen = [measures.unseen_share(r) for r in view.results]
    return lesson_figures.epoch_ends_figure(view.tracks, [r.epoch for r in view.results], unseen, view.captions,
                                            view.reference_loss, view.presentation)


def _held_out(view: View):
    return lesson_figures.held_out_figure(view.tracks[0], measures.held_out_loss(view.scene, view.results[0]),
                                          view.presentation)


def _curvature_along_path(view: View):
    ratios = [measures.stability_ratio_along(r, view.surface) for r in view.results]
    return lesson_figures.stability_figure(view.tracks, ratios, view.captions, view.presentation)


def _search(view: View):
    from viz import explore

    from . import tuning

    return explore.search_figure(tuning.search(0), tuning.LR_AXIS, tuning.DECAY_AXIS, tuning.steps_map(),
                                 "steps to a loss of 10⁻⁶", log_colour=True)


def _depths(view: View):
    from viz import figures

    from . import deep

    tracks = figures.tracks_from_results(list(deep.depth_runs()), list(deep.depth_captions()))
    return lesson_figures.loss_one_axis_figure(
        tracks, deep.depth_captions(), 0.0, view.presentation,
        title=f"The same step (η = {deep.DEPTH_LR:g}) from small weights {deep.DEPTH_START} on chains of three depths")


EXTRAS: dict[str, Callable[[View], object]] = {
    "directions": _directions,
    "loss-one-axis": _loss_one_axis,
    "taylor": _taylor,
    "effective-lr": _effective_lr,
    "step-lengths": _step_lengths,
    "settled-loss": _settled_loss,
    "starts": _starts,
    "iterations-and-epochs": _iterations_and_epochs,
    "epoch-ends": _epoch_ends,
    "held-out": _held_out,
    "curvature-along-path": _curvature_along_path,
    "search": _search,
    "depths": _depths,
}


def _gradient_arrow(view: View, figure) -> None:
    lesson_figures.add_annotations(figure, [lesson_figures.gradient_arrow(view.surface, view.scene.start,
                                                                          view.presentation)])


def _lookahead(view: View, figure) -> None:
    for i, (result, track) in enumerate(zip(view.results, view.tracks)):
        if result.optimizer == "nesterov":
            balls = measures.heavy_ball_positions(measures.replay_run(view.scene, i))
            lesson_figures.add_traces(figure, lesson_figures.lookahead_traces(balls, result.path, track.colour,
                                                                               presentation=view.presentation))


DECORATIONS: dict[str, Callable[[View, object], None]] = {
    "gradient-arrow": _gradient_arrow,
    "lookahead": _lookahead,
}


def chart_count(lesson) -> int:
    return sum(name in EXTRAS for name in lesson.extras)


def figures_under_race(view: View) -> list:
    return [EXTRAS[name](view) for name in view.lesson.extras if name in EXTRAS]


def decorate_race(view: View, figure):
    for name in view.lesson.extras:
        if name in DECORATIONS:
            DECORATIONS[name](view, figure)
    return figure
