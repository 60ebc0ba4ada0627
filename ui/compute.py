"""Cached engine calls: a rerun with unchanged settings costs a dictionary lookup."""
from __future__ import annotations

import json
import time

import optimizers
import streamlit as st

from viz.surface_image import evaluate

from . import custom


def _key(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


# cache_resource, not cache_data: a Result holds its Landscape (jitted functions do not
# pickle), and cached results are only ever read, so sharing them between sessions is safe.
@st.cache_resource(max_entries=512, show_spinner=False)
def run_cached(landscape: str, params_json: str, start: tuple, steps: int, optimizer: str, kwargs_json: str):
    """One trajectory, with the wall time of the whole call (compile excluded after the first)."""
    surface = custom.landscape(landscape, json.loads(params_json))
    kwargs = json.loads(kwargs_json)
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    began = time.perf_counter()
    result = optimizers.run(optimizer, surface, start=start, steps=steps, **kwargs)
    return result, time.perf_counter() - began


def run_all(state) -> list[tuple]:
    """(result, seconds) for every run of a CompareState; the first call compiles kernels."""
    params_json = _key(state.landscape_params)
    return [run_cached(state.landscape, params_json, tuple(state.start), state.steps, run.optimizer, _key(run.run_kwargs()))
            for run in state.runs]


@st.cache_resource(max_entries=64, show_spinner=False)
def surface_grid(landscape: str, params_json: str, resolution: int):
    return evaluate(custom.landscape(landscape, json.loads(params_json)), resolution)
