"""What a new server compiles in the background, in the order the pages are likely to need it.

Started by the first page anyone opens (a shared link may skip the landing page). Every call
goes to ``optimizers.kernel_queue``'s one thread, behind any kernel a page is waiting for:

1. the trajectory kernels of every page's first view (Compare, the first lesson, Sweep's and
   Basins' default optimizers: until their batch kernels are ready those pages run their batches
   one by one through these), the minibatch runs of the data page's defaults, and the Network
   page's default runs and maps;
2. the default runs of every other landscape;
3. the batch kernels of Sweep and Basins (5-12 s each);
4. every other (landscape, optimizer) pair, and the network training of every other optimizer.

The Network page's first view compiles longest (about 20 s) and its stand-in is the slowest (its
interpreted trainings take seconds, not milliseconds), so its kernels are also queued ahead of the
list, just behind what a page is waiting for: a teacher who tours the pages finds them ready.
"""
from __future__ import annotations

import functools

import landscapes
import optimizers
from optimizers.kernel_queue import LATER, QUEUE, SOON

from . import defaults
from .compute import background_compiling


def _trajectory(landscape: str, optimizer: str):
    return functools.partial(optimizers.run, optimizer, landscape, steps=1)


def first_view_pairs() -> list[tuple[str, str]]:
    """(landscape, optimizer) pairs behind each page's first view, most likely first."""
    from . import basins, lessons, sweep  # not on a page's first view: their imports take a while

    sweep_state, first_lesson = sweep.default_state(), lessons.LESSONS[0].scene
    pairs = [("rosenbrock", name) for name in defaults.default_runs("rosenbrock")]
    pairs += [(first_lesson.landscape, run.optimizer) for run in getattr(first_lesson, "runs", ())]
    pairs += [(sweep_state.landscape, name) for name in [sweep_state.optimizer, *sweep_state.compared]]
    pairs += [(basins.DEFAULT_LANDSCAPE, name) for name in basins.DEFAULT_OPTIMIZERS]
    return list(dict.fromkeys(pairs))


def _calls():
    from . import basins, data_page, network_page, sweep

    seen = set()
    for landscape, optimizer in first_view_pairs():
        seen.add((landscape, optimizer))
        yield _trajectory(landscape, optimizer)
    yield lambda: data_page.runs(data_page.default_state())
    yield from network_page.warm_up_calls(first=True)
    yield from _formula_worker_calls()
    for landscape, optimizer in [(land, name) for land in landscapes.names() for name in defaults.default_runs(land)]:
        if (landscape, optimizer) not in seen:
            seen.add((landscape, optimizer))
            yield _trajectory(landscape, optimizer)
    yield from sweep.warm_up_calls()
    yield from basins.warm_up_calls()
    for land in landscapes.names():
        for name in optimizers.names():
            if (land, name) not in seen:
                yield _trajectory(land, name)
    yield from network_page.warm_up_calls(first=False)


def _formula_worker_calls():
    """Your own landscape's first view: the formula worker started, and its default runs compiled in it."""
    from optimizers import formula_worker

    from . import custom, your_landscape

    if custom.JITTED:
        return
    bounds = tuple(tuple(axis) for axis in custom.DEFAULT_BOUNDS)
    surface, _ = custom.build(custom.DEFAULT_FORMULA, bounds)
    for name in your_landscape.DEFAULT_RUNS:
        yield functools.partial(formula_worker.WORKER.call, "run", custom.DEFAULT_FORMULA, bounds, name, surface.start, 1, {})


def start() -> None:
    """Queue the whole list, once per server process (off with ``LANDSCAPE_NO_WARMUP``).

    The list itself is made in the compiler thread: it imports page modules and reads their
    defaults, which the page that starts it should not wait for.
    """
    if background_compiling():
        QUEUE.request(("warm-up list",), _queue_every_call, LATER)


def _queue_every_call() -> None:
    from . import network_page

    # Every page draws at once while its kernels compile (the interpreter, runs one at a time); the Network page's
    # interpreted trainings take seconds, and its kernels about 20 s, so they come before the batch kernels that
    # Sweep and Basins ask for (SOON too, but later): on a fresh server those had held its kernels up for a minute.
    for key, call in network_page.first_view_requests():
        QUEUE.request(key, call, SOON)
    for number, call in enumerate(_calls()):
        QUEUE.request(("warm-up", number), call, LATER)
