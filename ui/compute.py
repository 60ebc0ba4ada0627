"""Cached engine calls: a rerun with unchanged settings costs a dictionary lookup."""
from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterable

import optimizers
import streamlit as st

from viz.surface_image import MAP_RESOLUTION, evaluate

from . import custom


def cache_key(value) -> str:
    """A JSON text of ``value`` with sorted keys: the hashable argument Streamlit's caches key on."""
    return json.dumps(value, sort_keys=True, default=str)


_TIMING_REPEATS = 3  # warm calls timed per run; the summary shows the fastest


# cache_resource, not cache_data: a Result holds its Landscape (jitted functions do not
# pickle), and cached results are only ever read, so sharing them between sessions is safe.
@st.cache_resource(max_entries=512, show_spinner=False)
def run_cached(landscape: str, params_json: str, start: tuple, steps: int, optimizer: str, kwargs_json: str):
    """One trajectory, and the seconds its kernel takes: the best of a few warm calls.

    The first call of a kernel on a server compiles it or loads it from the disk cache: 30-300 ms
    against the run's 10-700 µs, which made gradient descent look the slowest optimizer in the
    summary. The repeats add at most a few ms (L-BFGS, the costliest, takes ~0.7 ms for 2,000 steps).
    """
    surface = custom.landscape(landscape, json.loads(params_json))
    kwargs = json.loads(kwargs_json)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    result = optimizers.run(optimizer, surface, start=start, steps=steps, **kwargs)
    seconds = min(optimizers.run(optimizer, surface, start=start, steps=steps, **kwargs).elapsed
                  for _ in range(_TIMING_REPEATS))
    return result, seconds


def run_all(state) -> list[tuple]:
    """(result, seconds) for every run of a CompareState; the first call compiles kernels."""
    params_json = cache_key(state.landscape_params)
    return [run_cached(state.landscape, params_json, tuple(state.start), state.steps, run.optimizer, cache_key(run.run_kwargs()))
            for run in state.runs]


@st.cache_resource(max_entries=64, show_spinner=False)
def surface_grid(landscape: str, params_json: str, resolution: int):
    return evaluate(custom.landscape(landscape, json.loads(params_json)), resolution)


def map_grid(landscape: str, params_json: str):
    """The grid behind a contour map's picture (every page draws its maps at one resolution)."""
    return surface_grid(landscape, params_json, MAP_RESOLUTION)


@contextlib.contextmanager
def one_core():
    """Run the parallel kernels called inside on one thread, leaving the other core to the browser.

    For panels below the fold, computed after the chart the student is waiting for has been
    sent: on two cores, a parallel batch here competed with the browser drawing that chart.
    """
    import numba  # here, not at the top: landscapes must configure numba before its first import

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


_WARMED: set[str] = set()
_WARM_UP_LOCK = threading.Lock()


def warm_up_in_background(name: str, calls: Callable[[], Iterable[Callable[[], object]]]) -> None:
    """Make every call of ``calls()`` once per server process, in one background thread.

    Each call is a kernel's first run: it loads from the disk cache in milliseconds, or compiles
    (seconds) on a new machine, so the first visitor of a page does not wait for it. A failing
    call is skipped: a warm-up must never take the server down. ``LANDSCAPE_NO_WARMUP`` turns
    it off (the tests set it: the thread would only compete with them for the cores).
    """
    if os.environ.get("LANDSCAPE_NO_WARMUP"):
        return
    with _WARM_UP_LOCK:
        if name in _WARMED:
            return
        _WARMED.add(name)

    def work():
        for call in calls():
            try:
                call()
            except Exception:  # noqa: BLE001 - see the docstring
                continue

    threading.Thread(target=work, name=f"{name}-warm-up", daemon=True).start()
