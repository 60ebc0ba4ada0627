"""The race figure built headless (no Streamlit): its picture of the landscape, and its weight.

The map's landscape is a banded PNG under the trajectories (plotly.js #4491 drops contour
traces while an animation plays). These tests decode that PNG and check it against the
landscape's own values, and keep the animated figure at the Compare defaults under 1 MB.
"""
import base64
import io

import landscapes
import numpy as np
import optimizers
import plotly.io as pio
import pytest
from PIL import Image

from ui import state as page_state
from viz import figures
from viz.surface_image import LEVELS, MAP_RESOLUTION, evaluate, png_data_uri

MAP_LANDSCAPES = ["rosenbrock", "himmelblau", "rastrigin", "cliff", "saddle"]


def _decode(uri: str) -> Image.Image:
    prefix = "data:image/png;base64,"
    assert uri.startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(uri[len(prefix):])))


def _race(landscape: str, steps: int | None = None, optimizer_names=None):
    state = page_state.default_state(landscape)
    runs = state.runs if optimizer_names is None else [page_state.default_run(state.surface(), n) for n in optimizer_names]
    surface = state.surface()
    results = [optimizers.run(run.optimizer, surface, start=state.start, steps=steps or state.steps, **run.run_kwargs())
               for run in runs]
    grid = evaluate(surface, MAP_RESOLUTION)
    return surface, grid, figures.tracks_from_results(results), state.start


@pytest.mark.parametrize("name", MAP_LANDSCAPES)
def test_the_map_picture_shows_the_loss_bands_the_landscape_has(name):
    surface = landscapes.get(name)
    grid = evaluate(surface, MAP_RESOLUTION)
    picture = _decode(png_data_uri(grid)).convert("RGB")
    assert picture.size == (MAP_RESOLUTION, MAP_RESOLUTION)
    pixels = np.asarray(picture).astype(int)[::-1]  # back to y upwards, as the grid is
    # the loss itself, not the shading the picture was made from: lower loss, darker band
    z = surface.f(*np.meshgrid(grid.xs, grid.ys))
    lowest, highest = np.unravel_index(np.argmin(z), z.shape), np.unravel_index(np.argmax(z), z.shape)
    brightness = pixels.sum(axis=2)
    assert brightness[lowest] < brightness[highest], "the lowest loss is not drawn darker than the highest"
    # every pixel is one of the bands' colours, or a band edge (the same colours, darker)
    colours = {tuple(c) for c in pixels.reshape(-1, 3)}
    assert 2 <= len(colours) <= 2 * LEVELS


def test_the_band_edges_read_as_thin_lines_at_map_resolution():
    grid = evaluate(landscapes.get("quadratic"), MAP_RESOLUTION)
    index = np.asarray(_decode(png_data_uri(grid)))  # the palette index: bands, then darkened edges
    edges = index >= LEVELS
    assert 0.005 < edges.mean() < 0.15, f"{edges.mean():.3f} of the picture is band edge"
    # a horizontal line through the middle crosses each edge in one or two pixels, not a wide smear
    row = edges[MAP_RESOLUTION // 2]
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], row.astype(int), [0]]))))[::2]
    assert runs.size >= 4 and runs.max() <= 2, runs


def test_the_map_picture_stays_small_enough_to_send_on_every_rerun():
    sizes = {name: len(png_data_uri(evaluate(landscapes.get(name), MAP_RESOLUTION))) for name in landscapes.names()}
    assert max(sizes.values()) < 150_000, sizes


def test_the_animated_race_at_the_compare_defaults_weighs_under_a_megabyte():
    surface, grid, tracks, start = _race("rosenbrock")
    figure = figures.trajectory_figure(surface, grid, tracks, start)
    text = pio.to_json(figure)
    assert len(text) < 1_000_000, f"{len(text) / 1e6:.2f} MB"
    spec = figure.to_dict()
    assert len(spec["frames"]) > 10
    # frames move the trajectories only: no picture, contour or heatmap travels with them
    for frame in spec["frames"]:
        assert "layout" not in frame or "images" not in frame["layout"]
        assert all(trace.get("type", "scatter") == "scatter" for trace in frame["data"])


def test_six_runs_of_500_steps_side_by_side_stay_under_a_megabyte():
    names = ["adam", "momentum", "sgd", "rmsprop", "nesterov", "adagrad"]
    surface, grid, tracks, start = _race("rosenbrock", steps=500, optimizer_names=names)
    figure = figures.trajectory_figure(surface, grid, tracks, start, panels=True)
    assert len(pio.to_json(figure)) < 1_000_000
    assert len(figure.to_dict()["layout"]["images"]) == len(names), "one landscape picture under each panel"


def _decoded(spec) -> np.ndarray:
    if isinstance(spec, dict):
        return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.float32 if spec["dtype"] == "f4" else np.float64)
    return np.asarray(spec, dtype=float)


@pytest.mark.parametrize("standalone", [False, True], ids=["live", "standalone"])
def test_each_frame_shows_the_trail_up_to_its_step_played_the_way_its_slider_plays_it(standalone):
    surface, grid, tracks, start = _race("himmelblau", steps=237)
    spec = figures.trajectory_figure(surface, grid, tracks, start, standalone=standalone).to_dict()
    frames = {frame["name"]: frame for frame in spec["frames"]}
    for slider_step in spec["layout"]["sliders"][0]["steps"]:
        names = slider_step["args"][0]
        if standalone:
            assert len(names) == 1, "plotly's slider follows the animation only when a step names one frame"
        shown = {}  # trace index -> its x values after the step's frames are applied in order
        for name in names:
            for index, trace in zip(frames[name]["traces"], frames[name]["data"]):
                shown[index] = _decoded(trace["x"])
        k = int(slider_step["label"])
        for i, track in enumerate(tracks):
            done, growing, head = (shown[index] for index in (3 * i + 2, 3 * i + 3, 3 * i + 4))
            trail = np.concatenate([done, growing[1:]])  # the growing part starts where the rest ends
            end = min(k, track.steps)
            assert np.array_equal(trail, track.path[:end + 1, 0].astype(np.float32)), (slider_step["label"], i)
            assert head[0] == track.path[end, 0]


def test_the_offline_export_with_every_frame_whole_stays_a_reasonable_download():
    names = ["adam", "momentum", "sgd", "rmsprop", "nesterov", "adagrad"]
    surface, grid, tracks, start = _race("rosenbrock", steps=2000, optimizer_names=names)
    text = pio.to_json(figures.trajectory_figure(surface, grid, tracks, start, standalone=True))
    assert len(text) < 12_000_000, f"{len(text) / 1e6:.1f} MB at the largest race the page allows"


def test_the_summary_reports_a_run_ending_on_the_chains_valley_as_at_a_minimum():
    from viz import tables

    surface = landscapes.get("chain")
    result = optimizers.run("sgd", surface, start=(2.5, 0.2), steps=300, lr=0.05)
    row = tables.summary_rows(figures.tracks_from_results([result], ["gd"]), surface, [None])[0]
    assert row["distance to nearest minimum"] < 1e-6
    assert row["first step near a minimum"] != "never"
