"""Plotly figures of runs on a landscape: animated trajectories, curves, 3-D view.

Animated figures carry the landscape once (a PNG in ``layout.images``) and frames that touch
only the trajectory traces. Each run is drawn by three traces: the finished part of its
trail, the part grown since the last key frame, and its head. A frame re-sends only the
growing part and the head, so the figure grows linearly with the number of steps, not with
its square; every ``segment`` frames a key frame re-sends the finished trail, and the frame
slider jumps through that key frame, so scrubbing backwards and forwards draws the right trail.
"""
from __future__ import annotations

import base64
import functools
import json
import math
import re
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .palette import run_styles
from .surface_image import SurfaceGrid, png_data_uri

FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=15)
# 30 frames a second. plotly.js shows the next frame at the first screen refresh at which
# *more* than the frame's duration has passed: 33 ms made every other frame miss the refresh
# at 33.3 ms and wait for the next (21-22 frames/s measured at 6 runs x 500 steps); with 28 ms
# every second refresh of a 60 Hz screen and every fourth of a 120 Hz one qualifies.
FRAME_MS = 28
# Click targets are small on purpose: plotly.js scores every point under the pointer's marker as
# equally close, so overlapping markers made a click pick a neighbour. A click between markers
# still selects the nearest one (plotly's hover distance reaches 20 px).
CLICK_MARKER_PX = 8

# The look Streamlit's chart theme gives st.plotly_chart, for charts plotly.js draws without
# it (ui.live_chart): dark-grey text, light grid, white paper, the app's colours first.
_INK, _GRID = "#31333F", "#E6EAF1"
# automargin, as Streamlit's theme: figures with small margins (Sweep's) let the tick labels and
# titles make room; the Compare charts fix theirs (margin.autoexpand off), which overrides it.
_AXIS = dict(gridcolor=_GRID, linecolor=_GRID, zerolinecolor=_GRID, ticks="", automargin=True)
LIVE_TEMPLATE = {"layout": {
    "font": dict(family=FONT["family"], color=_INK), "paper_bgcolor": "white", "plot_bgcolor": "white",
    "colorway": ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9"],
    "xaxis": _AXIS, "yaxis": _AXIS, "hoverlabel": dict(bgcolor="white", font=dict(color=_INK)),
    "title": dict(font=dict(color=_INK)), "legend": dict(font=dict(color=_INK)),
    "scene": {axis: dict(_AXIS, backgroundcolor="white", showbackground=True) for axis in ("xaxis", "yaxis", "zaxis")},
}}


@dataclass(frozen=True)
class Track:
    """What a figure needs of one run."""

    label: str
    optimizer: str
    colour: str
    dash: str
    path: np.ndarray  # (n+1, 2), finite
    loss: np.ndarray
    grad_norm: np.ndarray
    lr: np.ndarray
    diverged_at: int | None

    @property
    def steps(self) -> int:
        return len(self.path) - 1


def tracks_from_results(results, labels=None) -> list[Track]:
    """Tracks with the app's colours: every run its own colour (a repeated optimizer also changes dash)."""
    styles = run_styles([result.optimizer for result in results])
    tracks = []
    for i, result in enumerate(results):
        colour, dash = styles[i]
        label = labels[i] if labels else result.optimizer
        tracks.append(Track(label, result.optimizer, colour, dash, np.asarray(result.path), np.asarray(result.loss),
                            np.asarray(result.grad_norm), np.asarray(result.lr), result.diverged_at))
    return tracks


def _frame_steps(total_steps: int, max_frames: int) -> np.ndarray:
    count = max(2, min(max_frames, total_steps + 1))
    return np.unique(np.round(np.linspace(0, total_steps, count)).astype(int))


def _compact(values: np.ndarray) -> np.ndarray:
    # float32 is far finer than a pixel and halves the bytes plotly sends
    return np.asarray(values, dtype=np.float32)


def typed_array(values, dtype: str = "f4") -> dict:
    """An array in plotly.js's binary form (what plotly.py itself emits since 6.0); float32 by default."""
    array = np.ascontiguousarray(values, dtype=np.float32 if dtype == "f4" else np.float64)
    return {"dtype": dtype, "bdata": base64.b64encode(array.tobytes()).decode("ascii")}


class PrebuiltFigure(go.Figure):
    """A figure held as the finished dict plotly.js receives.

    Plotly builds and validates an object for every frame trace and slider step: 1.5 s for
    200 frames of six runs, on every rerun. Frames and slider steps are generated correct by
    construction, so they are attached as JSON-ready dicts to the dict of a small, validated
    Figure (the landscape, minima and trail traces). Streamlit, ``to_html`` and ``to_json``
    all read a figure through ``to_dict``.
    """

    def __init__(self, figure_dict: dict):
        super().__init__()
        self._figure_dict = figure_dict

    def to_dict(self):
        return self._figure_dict

    def to_plotly_json(self):
        return self._figure_dict


def _landscape_image(grid: SurfaceGrid, xref: str, yref: str) -> dict:
    (x0, x1), (y0, y1) = (grid.xs[0], grid.xs[-1]), (grid.ys[0], grid.ys[-1])
    return dict(source=png_data_uri(grid), xref=xref, yref=yref, x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                sizing="stretch", layer="below", opacity=1.0)


def _axis_names(panel: int) -> tuple[str, str]:
    return ("x", "y") if panel == 0 else (f"x{panel + 1}", f"y{panel + 1}")


def trajectory_figure(landscape, grid: SurfaceGrid, tracks: list[Track], start, *, panels: bool = False,
                      max_frames: int = 100, segment: int = 10, height: int = 620, presentation: bool = False,
                      legend_width: int = 1000, standalone: bool = False) -> go.Figure:
    """Animated trajectories over the landscape: one map (overlay) or one panel per run.

    ``legend_width``: about how many pixels wide the chart will be, to reserve room for the
    legend's rows (a chart in a column is narrower than one across the page).

    Frames between two key frames carry only the trail's newest part; a slider step names its
    key frame and its own. ``standalone``: every frame carries the whole trail, and a step names
    one frame, for plotly.js's own slider (an exported HTML file): that slider follows the
    playing animation only when each step names a single frame.
    """
    total_steps = max((t.steps for t in tracks), default=0)
    frame_steps = _frame_steps(total_steps, max_frames)
    (x0, x1), (y0, y1) = landscape.bounds
    line_width = 4 if presentation else 2.5
    count = max(len(tracks), 1)
    layout = json.loads(_map_layout(count if panels else 0, presentation, height, landscape.bounds, landscape.name))
    font_size = layout["font"]["size"]
    legend_height = legend_rows(["known minima", "start"] + [t.label for t in tracks], font_size,
                                legend_width * (1.3 if presentation else 1.0)) * round(1.9 * font_size)
    layout["margin"]["t"] = legend_height + (40 if panels else 12)
    if panels:
        for annotation, track in zip(layout.get("annotations", []), tracks):
            annotation["text"] = track.label
    panel_of = [i if panels else 0 for i in range(len(tracks))]
    # Traces are plain dicts: plotly's per-trace validation cost more than everything else here.
    shown: list[dict] = []
    for panel in sorted(set(panel_of) or {0}):
        xref, yref = _axis_names(panel)
        layout.setdefault("images", []).append(_landscape_image(grid, xref, yref))
        minima = landscape.minima
        shown.append(dict(
            type="scatter", x=[m.x for m in minima], y=[m.y for m in minima], mode="markers", name="known minima",
            marker=dict(symbol=["star" if m.kind == "global" else "star-open" for m in minima], size=14 if presentation else 11,
                        color="white", line=dict(color="black", width=1.2)),
            hovertemplate="minimum (%{x:.4g}, %{y:.4g})<extra></extra>", showlegend=panel == 0, legendgroup="minima",
            xaxis=xref, yaxis=yref))
        shown.append(dict(
            type="scatter", x=[float(start[0])], y=[float(start[1])], mode="markers", name="start",
            showlegend=panel == 0, legendgroup="start",
            # white with a dark rim: a white ring alone vanished from the legend (white on white)
            marker=dict(symbol="circle", size=15, color="white", line=dict(color="#222222", width=2.5)),
            hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>", xaxis=xref, yaxis=yref))

    animated = []  # trace indices the frames update: (done, growing, head) per track
    for i, track in enumerate(tracks):
        xref, yref = _axis_names(panel_of[i])
        line = dict(color=track.colour, width=line_width, dash=track.dash)
        common = dict(xaxis=xref, yaxis=yref, legendgroup=track.label,
                      hovertemplate=f"{track.label}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>")
        # the figure first shows the finished race; pressing play replays it from step 0
        shown.append(dict(type="scatter", x=typed_array(track.path[:, 0]), y=typed_array(track.path[:, 1]),
                           mode="lines", line=line, name=track.label, showlegend=True, **common))
        shown.append(dict(type="scatter", x=[], y=[], mode="lines", line=line, showlegend=False, **common))
        end = track.path[-1]
        shown.append(dict(type="scatter", x=[float(end[0])], y=[float(end[1])], mode="markers", showlegend=False,
                           marker=_head_marker(track, track.steps, presentation), **common))
        base = len(shown) - 3
        animated.extend([base, base + 1, base + 2])

    frames, slider_steps = [], []
    key_of = 0
    for j, step in enumerate(frame_steps):
        is_key = j % segment == 0
        if is_key:
            key_of = j
        key_step = int(frame_steps[key_of])
        data, traces = [], []
        for i, track in enumerate(tracks):
            k = min(int(step), track.steps)
            if is_key or standalone:
                done = min(key_step, track.steps)
                data.append({"type": "scatter", "x": typed_array(track.path[:done + 1, 0]),
                             "y": typed_array(track.path[:done + 1, 1])})
                traces.append(animated[3 * i])
            grow = track.path[min(key_step, track.steps):k + 1]
            data.append({"type": "scatter", "x": typed_array(grow[:, 0]), "y": typed_array(grow[:, 1])})
            head = {"type": "scatter", "x": [float(track.path[k, 0])], "y": [float(track.path[k, 1])]}
            if track.diverged_at is not None and int(step) >= track.steps:
                head["marker"] = _head_marker(track, int(step), presentation)
            data.extend([head])
            traces.extend([animated[3 * i + 1], animated[3 * i + 2]])
        frames.append({"name": f"f{j}", "data": data, "traces": traces})
        names = [f"f{j}"] if is_key or standalone else [f"f{key_of}", f"f{j}"]
        slider_steps.append(dict(method="animate", label=str(int(step)),
                                 args=[names, dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                                   transition=dict(duration=0))]))

    play = dict(label="▶ play", method="animate",
                args=[None, dict(frame=dict(duration=FRAME_MS, redraw=False), fromcurrent=True,
                                 transition=dict(duration=0), mode="immediate")])
    pause = dict(label="❚❚ pause", method="animate",
                 args=[[None], dict(frame=dict(duration=0, redraw=False), transition=dict(duration=0), mode="immediate")])
    figure = {"data": shown, "layout": layout}
    figure["layout"]["updatemenus"] = [dict(
        type="buttons", direction="left", showactive=False, x=0, y=-0.06, xanchor="left", yanchor="top",
        pad=dict(t=8, r=8), buttons=[play, pause], font=dict(size=16 if presentation else 13))]
    figure["layout"]["sliders"] = [dict(
        active=len(frame_steps) - 1, steps=slider_steps, x=0.22, len=0.78, y=-0.06, yanchor="top",
        currentvalue=dict(prefix="step ", visible=True, xanchor="right",
                          font=dict(size=16 if presentation else 13, color="#333")),
        pad=dict(t=30), transition=dict(duration=0), ticklen=0, tickcolor="rgba(0,0,0,0)",
        font=dict(color="rgba(0,0,0,0)"))]  # one tick label per frame would be an unreadable smear
    figure["frames"] = frames
    return PrebuiltFigure(figure)


@functools.lru_cache(maxsize=64)
def _map_layout(panel_count: int, presentation: bool, height: int, bounds: tuple, uirevision: str) -> str:
    """The map's layout (one map, or ``panel_count`` panels sharing axes), validated once.

    Going through plotly's validators on every rerun cost more than the rest of the figure.
    """
    (x0, x1), (y0, y1) = bounds
    if panel_count:
        cols = min(panel_count, 3)
        rows = math.ceil(panel_count / cols)
        fig = make_subplots(rows=rows, cols=cols, subplot_titles=[" "] * panel_count, horizontal_spacing=0.04,
                            vertical_spacing=0.08, shared_xaxes="all", shared_yaxes="all")
        height = max(height, 330 * rows)
    else:
        fig = go.Figure()
    fig.update_layout(
        height=height, font=dict(FONT, size=20 if presentation else FONT["size"]),
        # Fixed margins: letting the legend, slider and tick labels push them (autoexpand) made
        # plotly.js draw the whole map twice, which doubled the redraw after every slider move
        # (measured: 217 ms against 53 ms for a fresh plot). trajectory_figure sets the top.
        margin=dict(l=70 if presentation else 55, r=10, t=40, b=140 if presentation else 115, autoexpand=False),
        plot_bgcolor="white", legend=dict(orientation="h", yref="container", yanchor="top", y=1, x=0,
                                          bgcolor="rgba(255,255,255,0.8)", font=dict(size=20 if presentation else 14)),
        uirevision=uirevision, dragmode="pan", hovermode="closest",
        # upright, at the right edge: lying across the top, the toolbar covered the legend's first row
        modebar=dict(orientation="v"),
    )
    # explicit tick and legend sizes: the app's theme would otherwise shrink them on a projector
    ticks = dict(size=18 if presentation else 13)
    fig.update_xaxes(range=[x0, x1], showgrid=False, zeroline=False, constrain="domain", tickfont=ticks)
    fig.update_yaxes(range=[y0, y1], showgrid=False, zeroline=False, constrain="domain", tickfont=ticks)
    layout = fig.to_dict()["layout"]
    # One unit is as long across as up: only then does a gradient step cross the contour
    # lines at right angles, which is the picture the lessons rest on.
    for name in [key for key in layout if key.startswith("xaxis")]:
        layout[name]["scaleanchor"] = "y" + name[len("xaxis"):]
        layout[name]["scaleratio"] = 1
    return json.dumps(layout)


def subplot_layout(**options) -> dict:
    """``make_subplots(**options)``'s layout as a fresh dict, built once per set of options.

    plotly validates every attribute it sets: one make_subplots call cost 100-150 ms, twice on
    every Sweep rerun (py-spy on the running server). List options must be passed as tuples.
    """
    return json.loads(_subplot_layout_json(tuple(sorted(options.items()))))


@functools.lru_cache(maxsize=64)
def _subplot_layout_json(options: tuple) -> str:
    kwargs = {name: list(value) if isinstance(value, tuple) else value for name, value in options}
    return json.dumps(make_subplots(**kwargs).to_dict()["layout"])


# A number in a legend entry ("lr 0.0015") counts as wide as "1.5e-05", the widest a slider
# value prints: a slider move then never re-flows the legend into another row, which would
# shift the map under it while a student watches.
_NUMBER = re.compile(r"\d[\d.e+-]*")
_WIDEST_NUMBER = "0" * len("1.5e-05")


def legend_rows(names: list[str], font_size: int, width: int) -> int:
    """How many rows a horizontal legend of ``names`` takes in ``width`` pixels (an estimate:
    with fixed margins the figure must reserve the legend's room itself)."""
    rows, used = 1, 0.0
    for name in names:
        entry = 50 + 0.58 * font_size * len(_NUMBER.sub(_WIDEST_NUMBER, name))
        if used and used + entry > width:
            rows, used = rows + 1, 0.0
        used += entry
    return rows


def _head_marker(track: Track, step: int, presentation: bool) -> dict:
    stopped = track.diverged_at is not None and step >= track.steps
    return dict(symbol="x" if stopped else "circle", size=(18 if presentation else 13) if stopped else (14 if presentation else 11),
                color=track.colour, line=dict(color="white", width=2))


@functools.lru_cache(maxsize=8)
def _curves_layout(log_loss: bool, presentation: bool) -> str:
    """The three-panel layout, built (and validated) once; traces are then added as dicts."""
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.07,
                        subplot_titles=("loss − f* (log)" if log_loss else "loss", "gradient norm (log)",
                                        "learning rate (log)"))
    if log_loss:
        fig.update_yaxes(type="log", row=1, col=1, exponentformat="power")
    fig.update_yaxes(type="log", row=1, col=2, exponentformat="power")
    # learning rates read as numbers ("0.3", "0.02"): over less than a decade plotly.js labelled them by
    # their leading digit alone ("3", "2")
    fig.update_yaxes(type="log", row=1, col=3, tickformat=".2~g")
    fig.update_xaxes(title_text="step")
    # fixed margins, as on the map: automatic ones made plotly.js draw the figure twice
    fig.update_layout(height=360, font=dict(FONT, size=18 if presentation else 13),
                      margin=dict(l=75 if presentation else 60, r=10, t=40, b=110 if presentation else 95, autoexpand=False),
                      legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0,
                                  font=dict(size=18 if presentation else 13)), plot_bgcolor="#fafafa")
    fig.update_xaxes(tickfont=dict(size=16 if presentation else 12))
    fig.update_yaxes(tickfont=dict(size=16 if presentation else 12))
    return json.dumps(fig.to_dict()["layout"])


def curves_figure(tracks: list[Track], reference_loss: float | None, presentation: bool = False) -> go.Figure:
    """Loss gap, gradient norm and learning rate against step, one column each.

    Built as plain dicts on a cached layout: through plotly's validators this took 70 ms
    a rerun. Values stay float64 here: a loss just before divergence can exceed float32.
    """
    floor = 1e-16
    data = []
    for track in tracks:
        steps = np.arange(len(track.loss), dtype=float)
        loss = track.loss - reference_loss if reference_loss is not None else track.loss
        if reference_loss is not None:
            loss = np.maximum(loss, floor)
        line = dict(color=track.colour, dash=track.dash, width=3.5 if presentation else 2)
        common = dict(type="scatter", mode="lines", line=line, legendgroup=track.label, name=track.label)
        data.append(dict(common, x=typed_array(steps, "f8"), y=typed_array(loss, "f8"), xaxis="x", yaxis="y"))
        data.append(dict(common, x=typed_array(steps, "f8"), y=typed_array(np.maximum(track.grad_norm, floor), "f8"),
                         xaxis="x2", yaxis="y2", showlegend=False))
        data.append(dict(common, x=typed_array(steps[:len(track.lr)], "f8"), y=typed_array(track.lr, "f8"),
                         xaxis="x3", yaxis="y3", showlegend=False))
        if track.diverged_at is not None and len(loss):
            data.append(dict(
                type="scatter", x=[float(steps[-1])], y=[float(loss[-1])], mode="markers+text", xaxis="x", yaxis="y",
                text=[f"diverged at step {track.diverged_at}"], textposition="middle right", showlegend=False,
                marker=dict(symbol="x", size=14, color=track.colour),
                hovertemplate=f"{track.label} diverged at step {track.diverged_at}<extra></extra>"))
    return PrebuiltFigure({"data": data, "layout": json.loads(_curves_layout(reference_loss is not None, presentation))})


def surface3d_figure(landscape, grid: SurfaceGrid, tracks: list[Track], presentation: bool = False) -> go.Figure:
    """The surface in 3-D, with each trajectory lying on it (z lifted a hair to stay visible)."""
    lift = 0.01 * (grid.z_high - grid.z_low)
    show_log = grid.log_scale
    # one floor under the grid and every run, so log10 never sees a value at or below zero
    floor = min([grid.z_low] + [float(t.loss.min()) for t in tracks if len(t.loss)])
    offset = 1e-6 * max(grid.z_high - floor, 1e-12)

    def height_of(values):
        return np.log10(values - floor + offset) if show_log else values

    fig = go.Figure(go.Surface(x=grid.xs, y=grid.ys, z=_compact(height_of(grid.z)), colorscale="Viridis", showscale=False,
                               opacity=0.92, contours=dict(z=dict(show=True, usecolormap=True, project_z=True)),
                               hovertemplate="(%{x:.3g}, %{y:.3g})<extra></extra>"))
    for track in tracks:
        tz = height_of(track.loss) + (0.0 if show_log else lift)
        fig.add_trace(go.Scatter3d(x=_compact(track.path[:, 0]), y=_compact(track.path[:, 1]), z=_compact(tz), mode="lines",
                                   line=dict(color=track.colour, width=7 if presentation else 5), name=track.label))
    fig.update_layout(height=600, font=dict(FONT, size=18 if presentation else 13), margin=dict(l=0, r=0, t=10, b=0),
                      scene=dict(xaxis_title="x", yaxis_title="y", zaxis_title="log₁₀(f − f_min)" if show_log else "f",
                                 camera=dict(eye=dict(x=1.5, y=-1.5, z=1.1))),
                      legend=dict(orientation="h"))
    return fig
