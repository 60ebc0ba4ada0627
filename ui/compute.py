"""Cached engine calls: a rerun with unchanged settings costs a dictionary lookup."""
from __future__ import annotations

import concurrent.futures
import functools
import json
import os
import threading
import time
from dataclasses import replace

import cachetools
import optimizers
import streamlit as st
from optimizers import formula_worker

from viz.surface_image import MAP_RESOLUTION, evaluate, png_data_uri

from . import custom, heavy


def cache_key(value) -> str:
    """A JSON text of ``value`` with sorted keys: the hashable argument Streamlit's caches key on."""
    return json.dumps(value, sort_keys=True, default=str)


_TIMING_REPEATS = 3  # warm calls timed per run; the summary shows the fastest
# How long a page waits for its kernels on a new server before the interpreter draws it. Loading
# a compiled kernel from numba's disk cache takes 10-50 ms; compiling one takes 0.5-6 s.
FIRST_VIEW_PATIENCE = 0.3


def background_compiling() -> bool:
    """Whether kernels compile in the background (off with ``LANDSCAPE_NO_WARMUP``, as in the tests)."""
    return not os.environ.get("LANDSCAPE_NO_WARMUP")


def first_view_patience() -> float | None:
    """The ``patience`` of engine calls: how long a page waits for a kernel still compiling (None: until done)."""
    return FIRST_VIEW_PATIENCE if background_compiling() else None


def run_cached(landscape: str, params_json: str, start: tuple, steps: int, optimizer: str, kwargs_json: str,
               patience: float = FIRST_VIEW_PATIENCE):
    """One trajectory and its kernel's seconds (best of a few warm calls), cached across sessions.

    On a new server whose kernel for this pair has not compiled within ``patience`` seconds,
    the interpreter computes the run from the same source (the same path to within a few units
    in the last place, tested), the seconds are None, nothing is cached, and the page reruns
    itself once the kernel is ready, drawing the kernel's own numbers.
    """
    if custom.is_custom(landscape) and not custom.JITTED:
        return formula_run(landscape, params_json, start, steps, optimizer, kwargs_json,
                           patience=patience if background_compiling() else None)
    if background_compiling():
        surface = custom.landscape(landscape, json.loads(params_json))
        if not optimizers.kernel_ready(optimizer, surface):
            result = optimizers.run(optimizer, surface, start=start, steps=steps, patience=max(patience, 0.0),
                                    **settings_from_key(kwargs_json))
            if result.interpreted:
                rerun_when_compiled([result])
                return result, None
    return exact_run_cached(landscape, params_json, start, steps, optimizer, kwargs_json)


def settings_from_key(kwargs_json: str) -> dict:
    # JSON has no tuples: a pair (betas, etas) comes back as a list
    return {key: tuple(value) if isinstance(value, list) else value for key, value in json.loads(kwargs_json).items()}


def rerun_when_compiled(results) -> None:
    """Rerun the page once every kernel behind these interpreted ``results`` has compiled."""
    pending = [(r.optimizer, r.landscape) for r in results if r.interpreted]
    if pending:
        rerun_when(lambda: all(optimizers.kernel_ready(optimizer, surface) for optimizer, surface in pending))


def rerun_when(ready) -> None:
    """Rerun the page once ``ready()`` is true (a kernel it waits for has compiled).

    A fragment polls twice a second (Streamlit's own timer, so the page stays responsive) and
    asks for a whole-page rerun, which then finds the compiled kernels and caches their runs.
    """

    @st.fragment(run_every=0.5)
    def watch_kernels():
        if ready():
            st.rerun()

    watch_kernels()


# ----- typed formulas: their kernels run in the formula worker (optimizers.formula_worker) -----------------------
FORMULA_LANE = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="formula-lane")
_FORMULA_LOCK = threading.Lock()
_FORMULA_RESULTS = cachetools.TTLCache(maxsize=256, ttl=heavy.RESULT_SECONDS)  # call key -> (Result without landscape, seconds)
_FORMULA_PENDING: dict = {}  # call key -> Future


def formula_run(landscape: str, params_json: str, start: tuple, steps: int, optimizer: str, kwargs_json: str,
                patience: float | None = FIRST_VIEW_PATIENCE):
    """``run_cached`` for a typed formula: its run by the formula worker, a child process that keeps the
    formula's machine code out of the server (and is recycled). The server's own landscape is plain NumPy.

    Waits ``patience`` seconds (None: until done); a run not back by then is interpreted here from the
    same source meanwhile (seconds None, nothing cached), and the page reruns when the worker's is back.
    A worker that failed leaves the interpreted run on the page.
    """
    surface = custom.landscape(landscape, json.loads(params_json))
    values = json.loads(params_json)
    key = (values["formula"], params_json, tuple(start), steps, optimizer, kwargs_json)
    submitted = False
    with _FORMULA_LOCK:
        done = _FORMULA_RESULTS.get(key)
        future = None if done is not None else _FORMULA_PENDING.get(key)
        if done is None and future is None:
            future = FORMULA_LANE.submit(formula_worker.WORKER.call, "run", values["formula"],
                                         tuple(tuple(axis) for axis in values["bounds"]), optimizer, tuple(start), steps,
                                         settings_from_key(kwargs_json))
            _FORMULA_PENDING[key] = future
            submitted = True
    if submitted:  # outside the lock: a future already done runs the callback here at once, and it takes the lock
        future.add_done_callback(functools.partial(_formula_finished, key))
    if done is None:
        try:
            done = future.result(timeout=patience)
        except concurrent.futures.TimeoutError:
            rerun_when(future.done)
            return _interpreted(surface, start, steps, optimizer, kwargs_json), None
        except formula_worker.WorkerFailed:
            return _interpreted(surface, start, steps, optimizer, kwargs_json), None
    result, seconds = done
    return replace(result, landscape=surface), seconds


def _clear_formula_results() -> None:
    with _FORMULA_LOCK:
        _FORMULA_RESULTS.clear()


heavy.on_clear(_clear_formula_results)
# Its keys are the grids themselves: after class it would keep up to 64 of them (~100 MiB) until next used.
heavy.on_clear(png_data_uri.cache_clear)


def _formula_finished(key, future) -> None:
    with _FORMULA_LOCK:
        _FORMULA_PENDING.pop(key, None)
        if not future.cancelled() and future.exception() is None:
            _FORMULA_RESULTS[key] = future.result()


def _interpreted(surface, start, steps: int, optimizer: str, kwargs_json: str):
    return optimizers.run(optimizer, surface, start=start, steps=steps, patience=0.0, **settings_from_key(kwargs_json))


def exact_run(landscape: str, params_json: str, start: tuple, steps: int, optimizer: str, kwargs_json: str):
    """(result, seconds) by the compiled kernel, waiting for it: the formula worker's for a typed formula."""
    if custom.is_custom(landscape) and not custom.JITTED:
        return formula_run(landscape, params_json, start, steps, optimizer, kwargs_json, patience=None)
    return exact_run_cached(landscape, params_json, start, steps, optimizer, kwargs_json)


# cache_resource, not cache_data: a Result holds its Landscape (jitted functions do not
# pickle), and cached results are only ever read, so sharing them between sessions is safe.
@st.cache_resource(max_entries=512, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def exact_run_cached(landscape: str, params_json: str, start: tuple, steps: int, optimizer: str, kwargs_json: str):
    """One trajectory by its compiled kernel, and the seconds it takes: the best of a few warm calls.

    The first call of a kernel on a server compiles it or loads it from the disk cache: 30-300 ms
    against the run's 10-700 µs, which made gradient descent look the slowest optimizer in the
    summary. The repeats add at most a few ms (L-BFGS, the costliest, takes ~0.7 ms for 2,000 steps).
    """
    surface = custom.landscape(landscape, json.loads(params_json))
    kwargs = settings_from_key(kwargs_json)
    result = optimizers.run(optimizer, surface, start=start, steps=steps, **kwargs)
    seconds = min(optimizers.run(optimizer, surface, start=start, steps=steps, **kwargs).elapsed
                  for _ in range(_TIMING_REPEATS))
    return result, seconds


@st.cache_resource(max_entries=128, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def companions_cached(landscape: str, params_json: str, start: tuple, steps: int, optimizer: str, kwargs_json: str) -> dict:
    """The other points a run's rule looked at, as trails beside its path (Schedule-Free's y and z, SAM's
    ascent point); {} for a rule that only looks where it stands, or a run longer than a replay may be."""
    from optimizers import anatomy  # a rule with companions is rarely on a page's first view

    if not anatomy.has_companions(optimizer) or steps > anatomy.MAX_REPLAY_STEPS:
        return {}
    if custom.is_custom(landscape) and not custom.JITTED:
        values = json.loads(params_json)
        try:
            return formula_worker.WORKER.call("companion_trails", values["formula"],
                                              tuple(tuple(axis) for axis in values["bounds"]), optimizer, tuple(start),
                                              steps, settings_from_key(kwargs_json))
        except formula_worker.WorkerFailed:
            return {}
    surface = custom.landscape(landscape, json.loads(params_json))
    replayed = anatomy.replay(optimizer, surface, start=start, steps=steps, **settings_from_key(kwargs_json))
    return anatomy.companion_trails(replayed)


def companions_of(state) -> list[dict]:
    """``companions_cached`` for every run of a CompareState."""
    params_json = cache_key(state.landscape_params)
    return [companions_cached(state.landscape, params_json, tuple(state.start), state.steps, run.optimizer,
                              cache_key(run.run_kwargs())) for run in state.runs]


@st.cache_resource(max_entries=256, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def stability_cached(landscape: str, params_json: str, start: tuple, steps: int, optimizer: str, kwargs_json: str):
    """The curvature along a run against its rule's stability limit (``optimizers.stability``)."""
    from optimizers import stability

    result, _ = exact_run(landscape, params_json, start, steps, optimizer, kwargs_json)
    return stability.along(result, **settings_from_key(kwargs_json))


def stability_of(state, results) -> list:
    """``stability_cached`` for every run of a CompareState; None for a run the interpreter drew while its
    kernel compiled (the page redraws itself once the kernel is ready)."""
    params_json = cache_key(state.landscape_params)
    return [None if result.interpreted else
            stability_cached(state.landscape, params_json, tuple(state.start), state.steps, run.optimizer,
                             cache_key(run.run_kwargs())) for run, result in zip(state.runs, results)]


def run_all(state) -> list[tuple]:
    """(result, seconds) for every run of a CompareState; the runs share one first-view patience."""
    params_json = cache_key(state.landscape_params)
    deadline = time.monotonic() + FIRST_VIEW_PATIENCE
    return [run_cached(state.landscape, params_json, tuple(state.start), state.steps, run.optimizer, cache_key(run.run_kwargs()),
                       patience=deadline - time.monotonic())
            for run in state.runs]


@st.cache_resource(max_entries=64, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def surface_grid(landscape: str, params_json: str, resolution: int):
    return evaluate(custom.landscape(landscape, json.loads(params_json)), resolution)


def map_grid(landscape: str, params_json: str):
    """The grid behind a contour map's picture (every page draws its maps at one resolution)."""
    return surface_grid(landscape, params_json, MAP_RESOLUTION)
