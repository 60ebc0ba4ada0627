"""Lessons on tuning: grid against random search with the same budget."""
from __future__ import annotations

import functools
import math

import numpy as np

from .. import exploration, heavy
from .records import Choice, Claim, Lesson, Source, scene
from .records import run as race_run

LR_AXIS = exploration.Axis("lr", "learning rate", 0.003, 0.3, True, 64)
DECAY_AXIS = exploration.Axis("weight_decay", "weight decay", 0.0, 0.05, False, 16)
SIDE = 4  # a 4 × 4 grid against 16 random settings
TARGET = 1e-6  # the race: steps until the loss is below this
SEARCH_SCENE = scene("quadratic", (-9.0, 3.0), 500,
                     [race_run("sgd", 0.0533484, weight_decay=0.04375),
                      race_run("sgd", 0.0863206, weight_decay=0.0323595)], condition=20.0)


@functools.lru_cache(maxsize=64)
def search(draw: int, lr_shift: float = 0.0) -> exploration.SearchRace:
    """Grid and random search on the scene's problem; ``draw`` seeds the random settings, ``lr_shift`` slides the
    learning-rate range by that fraction of a grid spacing (on its log scale)."""
    surface = SEARCH_SCENE.surface()
    factor = math.exp(lr_shift / SIDE * math.log(LR_AXIS.high / LR_AXIS.low))
    x_axis = exploration.Axis("lr", LR_AXIS.label, LR_AXIS.low * factor, LR_AXIS.high * factor, True, LR_AXIS.count)
    return exploration.search_race("sgd", surface, SEARCH_SCENE.start, SEARCH_SCENE.steps, {}, x_axis, DECAY_AXIS, "steps",
                                   exploration.target_loss_for(surface, TARGET), SIDE, seed=draw)


heavy.on_clear(search.cache_clear)


@functools.lru_cache(maxsize=1)
def steps_map() -> np.ndarray:
    """Steps to the target over the whole lr × weight-decay plane (NaN: never, or diverged): the map the searches sample."""
    surface = SEARCH_SCENE.surface()
    outcome = exploration.run_settings("sgd", surface, SEARCH_SCENE.start, SEARCH_SCENE.steps, {},
                                       {"lr": LR_AXIS.values()[None, :], "weight_decay": DECAY_AXIS.values()[:, None]},
                                       exploration.target_loss_for(surface, TARGET))
    values, status = exploration.metric_values(outcome, "steps", surface)
    return np.where(status == exploration.FINE, values, np.nan)


def random_wins(draws) -> int:
    return sum(search(d).random_best[-1] < search(d).grid_best[-1] for d in draws)


def grid_vs_random() -> Lesson:
    def bests_are_the_runs(rs, s):
        race = search(0)
        g, r = int(np.argmin(race.grid_value)), int(np.argmin(race.random_value))
        return (math.isclose(rs[0].lr[0], race.grid_x[g], rel_tol=1e-6)
                and math.isclose(rs[0].hyperparams["weight_decay"], race.grid_y[g], rel_tol=1e-6)
                and math.isclose(rs[1].lr[0], race.random_x[r], rel_tol=1e-6)
                and math.isclose(rs[1].hyperparams["weight_decay"], race.random_y[r], rel_tol=1e-6))

    def distinct(rs, s):
        race = search(0)
        return len(np.unique(race.grid_x)) == SIDE and len(np.unique(race.random_x)) == SIDE * SIDE

    def lr_matters_more(rs, s):
        steps = steps_map()
        never = np.isnan(steps)
        best_column = int(np.argmin(np.where(never, np.inf, steps).min(axis=0)))
        column, row = steps[:, best_column], steps[0][~never[0]]
        along_decay = column.max() / column.min()  # every weight decay arrives at the best learning rate
        along_lr = row.max() / row.min()
        return along_decay < 1.1 and along_lr > 3

    def this_draw(rs, s):
        race = search(0)
        return race.random_best[-1] < 0.75 * race.grid_best[-1]

    def better(rs, s):
        race = search(0)
        grid, random = race.grid_best[-1], race.random_best[-1]
        return 2 if grid == random else (1 if random < grid else 0)

    return Lesson(
        slug="grid-vs-random",
        title="Grid or random search, with the same budget",
        objectives=("Count how many distinct values of each setting a k × k grid and k² random trials try,",
                    "and explain why random search usually, not always, wins when one setting matters more."),
        scene=SEARCH_SCENE,
        prediction=Choice(
            "Two settings to tune, the learning rate and the weight decay, and 16 runs of 500 steps: a 4 × 4 grid, or 16 "
            "random settings. Which search finds the setting that reaches the minimum in fewer steps?",
            ("The 4 × 4 grid", "16 random settings", "A tie"), better),
        text=(
            "Tuning two settings with 16 runs: a 4 × 4 grid tries only 4 learning rates, each with 4 weight decays; "
            "random search tries 16 different learning rates (and 16 weight decays). On this problem the learning rate "
            "matters far more: the best one needs about 90 steps, others need 5 times as many or never arrive, while "
            "weight decay changes the count by less than 5%. So three quarters of the grid's runs learn almost nothing "
            "new, and random search is more likely to land near the best learning rate. Run 1 is the grid's best, run 2 "
            "random search's best: 153 against 94 steps. Random search is not a sure win: it beat the grid in 17 of 20 "
            "draws here, and when the range is slid so that a grid line falls near the best learning rate the grid "
            "wins more often, about one draw in three over such shifts. The chart under the race shows where each "
            "search looked on the map of steps needed."
        ),
        formulas=(r"\text{grid } k \times k\text{: } k \text{ distinct values of each setting};\qquad "
                  r"\text{random, } k^2 \text{ trials: } k^2 \text{ distinct values of each}",
                  r"\Pr[\text{some trial within } \delta \text{ of the best lr, on a log range of width 1}] = 1 - (1 - 2\delta)^{k^2}"),
        discuss="When would a grid be the better plan?",
        claims=(
            Claim("Run 1 is the best of the 4 × 4 grid, run 2 the best of 16 random settings (this draw), over learning "
                  "rates 0.003 to 0.3 (log) and weight decays 0 to 0.05.", bests_are_the_runs),
            Claim("The grid tries only 4 different learning rates; random search tries 16.", distinct),
            Claim("Here the learning rate matters far more than weight decay: at the best learning rate weight decay "
                  "changes the steps needed by less than 10%; at a fixed weight decay the learning rate changes them more "
                  "than threefold.", lr_matters_more),
            Claim("In this draw random search's best needs fewer than 3/4 of the grid's best steps.", this_draw),
            Claim("Over 20 draws of the 16 random settings, random search's best beats the grid's in at least 15.",
                  lambda rs, s: random_wins(range(20)) >= 15),
        ),
        recap="With the same budget random search tries many more values of the setting that matters; it usually finds "
              "a better one, not always.",
        run_captions=("best of the 4 × 4 grid", "best of 16 random settings"),
        extras=("search", "loss-one-axis"),
        sources=(Source("002", "Cross-validation"), Source("002", "Random Layout")),
    )
