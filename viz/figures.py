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


# Text on a projector: 13 px becomes 18 px, the size the maps' own presentation layouts use.
PROJECTOR_TEXT = 1.35
_DEFAULT_FONT_PX = 12  # plotly.js's size for text whose figure sets none


def enlarge_text(figure: dict, scale: float = PROJECTOR_TEXT) -> dict:
    """``figure`` (a dict) with every text size of its layout and traces times ``scale`` (frames carry
    none): subplot titles, tick labels, legends, colour bars, buttons. For figures that have no
    presentation sizes of their own. Nothing the figure shares is changed (builders share ``FONT``):
    every dict on the way to a font is copied."""

    def walk(node):
        if isinstance(node, dict):
            changed = {}
            for key, value in node.items():
                if key.endswith("font") and isinstance(value, dict) and isinstance(value.get("size"), (int, float)):
                    value = dict(value, size=round(value["size"] * scale))
                grown = walk(value)
                if grown is not node[key]:
                    changed[key] = grown
            return {**node, **changed} if changed else node
        if isinstance(node, list) and node and isinstance(node[0], dict):
            grown = [walk(item) for item in node]
            return grown if any(a is not b for a, b in zip(grown, node)) else node
        return node

    layout = dict(figure.get("layout", {}))
    font = layout.get("font") or {}
    if not isinstance(font.get("size"), (int, float)):
        layout["font"] = dict(font, size=_DEFAULT_FONT_PX)  # scaled with the rest
    base = layout["font"]["size"]
    # Streamlit's chart theme gives tick labels, axis titles and legends sizes of its own (12-14 px) where a
    # figure sets none, so those are set here at the figure's size, as plotly.js would draw them, and scaled
    for key in [key for key in layout if key.startswith(("xaxis", "yaxis"))]:
        axis = dict(layout[key])
        axis["tickfont"] = dict(axis.get("tickfont") or {}, size=(axis.get("tickfont") or {}).get("size", base))
        title = axis.get("title")
        if isinstance(title, dict) and title.get("text"):
            axis["title"] = dict(title, font=dict(title.get("font") or {}, size=(title.get("font") or {}).get("size", base)))
        layout[key] = axis
    legend = dict(layout.get("legend") or {})
    layout["legend"] = dict(legend, font=dict(legend.get("font") or {}, size=(legend.get("font") or {}).get("size", base)))
    return {**figure, "layout": walk(layout), "data": walk(list(figure.get("data", [])))}


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
    # (name, (n+1, 2) array) of the other points the rule looked at (Schedule-Free's y and z, SAM's
    # ascent point): drawn on the maps as fainter trails of the run's colour
    companions: tuple = ()
    width: float = 1.0  # a share of the map's line width
    opacity: float = 1.0
    diverged_because: str = ""  # why the run stopped (optimizers.stability), shown where it stopped

    @property
    def steps(self) -> int:
        return len(self.path) - 1

    def companion_tracks(self) -> list["Track"]:
        """The companions as tracks of their own, thinner and fainter than the run, dotted; the last is the faintest."""
        count = len(self.companions)
        return [Track(f"{self.label}: {name}", self.optimizer, self.colour, ("dot", "dash")[k % 2], np.asarray(trail)[:len(self.path)],
                      self.loss, self.grad_norm, self.lr, self.diverged_at, width=0.6, opacity=0.75 if k < count - 1 else 0.4)
                for k, (name, trail) in enumerate(self.companions)]


def companions_caption(tracks: list[Track]) -> str:
    """What the thin lines beside the runs are ("" if no run has companions)."""
    styles = {"dot": "dotted", "dash": "dashed"}
    parts = []
    for track in tracks:
        drawn = track.companion_tracks()
        if drawn:
            parts.append(f"{track.label}: " + ", ".join(f"{companion.label.split(': ', 1)[1]} {styles[companion.dash]}"
                                                         for companion in drawn))
    return ("Thin lines in a run's colour are the other points its rule looks at (" + "; ".join(parts) + ").") if parts else ""


def tracks_from_results(results, labels=None, companions=None, reasons=None) -> list[Track]:
    """Tracks with the app's colours: every run its own colour (a repeated optimizer also changes dash).

    ``companions``: for each result, {name: trail} of the other points its rule looked at; ``reasons``:
    for each result, why it diverged ("" if it did not)."""
    styles = run_styles([result.optimizer for result in results])
    tracks = []
    for i, result in enumerate(results):
        colour, dash = styles[i]
        label = labels[i] if labels else result.optimizer
        extra = tuple((companions[i] or {}).items()) if companions else ()
        tracks.append(Track(label, result.optimizer, colour, dash, np.asarray(result.path), np.asarray(result.loss),
                            np.asarray(result.grad_norm), np.asarray(result.lr), result.diverged_at, companions=extra,
                            diverged_because=reasons[i] if reasons else ""))
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
                      legend_width: int = 1000, standalone: bool = False, eigen_directions: bool = False) -> go.Figure:
    """Animated trajectories over the landscape: one map (overlay) or one panel per run.

    ``legend_width``: about how many pixels wide the chart will be, to reserve room for the
    legend's rows (a chart in a column is narrower than one across the page).

    Frames between two key frames carry only the trail's newest part; a slider step names its
    key frame and its own. ``standalone``: every frame carries the whole trail, and a step names
    one frame, for plotly.js's own slider (an exported HTML file): that slider follows the
    playing animation only when each step names a single frame.

    ``eigen_directions``: at each run's current point, a cross along the Hessian's eigenvectors (the
    steeper direction the longer arm), following the run frame by frame.
    """
    runs = list(tracks)
    count = max(len(tracks), 1)
    panel_of = [i if panels else 0 for i in range(len(tracks))]
    # each run's companions right after it, on its panel
    panel_of = [panel for track, panel in zip(tracks, panel_of) for _ in range(1 + len(track.companions))]
    tracks = [drawn for track in tracks for drawn in (track, *track.companion_tracks())]
    total_steps = max((t.steps for t in tracks), default=0)
    frame_steps = _frame_steps(total_steps, max_frames)
    (x0, x1), (y0, y1) = landscape.bounds
    line_width = 4 if presentation else 2.5
    layout = json.loads(_map_layout(count if panels else 0, presentation, height, landscape.bounds, landscape.name))
    font_size = layout["font"]["size"]
    legend_height = legend_rows(["known minima", "start"] + [t.label for t in runs], font_size,
                                legend_width * (1.3 if presentation else 1.0)) * round(1.9 * font_size)
    layout["margin"]["t"] = legend_height + (40 if panels else 12)
    if panels:
        for annotation, track in zip(layout.get("annotations", []), [t for t in tracks if t.width == 1.0]):
            annotation["text"] = track.label
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
        line = dict(color=track.colour, width=line_width * track.width, dash=track.dash)
        common = dict(xaxis=xref, yaxis=yref, legendgroup=track.label, opacity=track.opacity,
                      hovertemplate=f"{track.label}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>")
        # the figure first shows the finished race; pressing play replays it from step 0
        shown.append(dict(type="scatter", x=typed_array(track.path[:, 0]), y=typed_array(track.path[:, 1]),
                           # a companion is named on hover and in the page's caption (companions_caption), not in
                           # the legend: on a 1280 x 720 projector their rows squeezed the map to a strip
                           mode="lines", line=line, name=track.label, showlegend=track.width == 1.0, **common))
        shown.append(dict(type="scatter", x=[], y=[], mode="lines", line=line, showlegend=False, **common))
        end = track.path[-1]
        head = dict(common)
        if track.diverged_because:
            head["hovertemplate"] = f"{track.label}: diverged<br>{track.diverged_because}<extra></extra>"
        shown.append(dict(type="scatter", x=[float(end[0])], y=[float(end[1])], mode="markers", showlegend=False,
                           marker=_head_marker(track, track.steps, presentation), **head))
        base = len(shown) - 3
        animated.extend([base, base + 1, base + 2])

    def coordinates(track: Track, first: int, last: int, trail: bool) -> dict:
        if not trail:  # a head: one point, as plain numbers
            return {"type": "scatter", "x": [float(track.path[last, 0])], "y": [float(track.path[last, 1])]}
        return {"type": "scatter", "x": typed_array(track.path[first:last + 1, 0]),
                "y": typed_array(track.path[first:last + 1, 1])}

    frames, slider_steps = _race_frames(tracks, frame_steps, animated, coordinates, segment, standalone, presentation)
    if eigen_directions:
        diagonal = math.hypot(x1 - x0, y1 - y0)
        for i, track in enumerate(runs):
            crosses = _eigen_crosses(landscape, track.path, 0.07 * diagonal)
            xref, yref = _axis_names(i if panels else 0)
            index = len(shown)
            shown.append(dict(crosses(track.steps), type="scatter", mode="lines", xaxis=xref, yaxis=yref, showlegend=False,
                              line=dict(color=track.colour, width=line_width * 0.8), legendgroup=track.label))
            for j, frame in enumerate(frames):
                frame["data"].append(dict(crosses(min(int(frame_steps[j]), track.steps)), type="scatter"))
                frame["traces"].append(index)
    figure = {"data": shown, "layout": layout}
    figure["layout"].update(player(frame_steps, slider_steps, presentation))
    figure["frames"] = frames
    return PrebuiltFigure(figure)


def _eigen_crosses(landscape, path: np.ndarray, arm: float):
    """A function of a step: the cross (x, y, hover) along the Hessian's eigenvectors at path[step]."""
    points = np.asarray(path, dtype=float)
    hessians = np.broadcast_to(np.asarray(landscape.hessian(np.ascontiguousarray(points[:, 0]),
                                                            np.ascontiguousarray(points[:, 1])), dtype=float), (len(points), 2, 2))
    values, vectors = np.linalg.eigh(hessians)

    def cross(step: int) -> dict:
        px, py = points[step]
        magnitude = np.abs(values[step])
        steepest = max(float(magnitude.max()), 1e-300)
        xs, ys = [], []
        for k in (1, 0):  # the larger eigenvalue first (eigh sorts them ascending)
            length = arm * max(math.sqrt(magnitude[k] / steepest), 0.25)
            vx, vy = vectors[step][:, k] * length
            xs += [float(px - vx), float(px + vx), None]
            ys += [float(py - vy), float(py + vy), None]
        text = f"eigen-directions of H: λ₁ = {values[step][1]:.4g}, λ₂ = {values[step][0]:.4g}"
        return {"x": xs, "y": ys, "hovertemplate": text + "<extra></extra>"}

    return cross


def _race_frames(tracks: list[Track], frame_steps, animated: list[int], coordinates, segment: int, standalone: bool,
                 presentation: bool, redraw: bool = False) -> tuple[list[dict], list[dict]]:
    """The frames of a race and the frame slider's steps (see ``trajectory_figure``).

    ``animated``: the (done, growing, head) trace indices of each track; ``coordinates(track, first,
    last, trail)``: the trace dict of its path from step ``first`` to ``last`` (x and y on a map; and z, in
    3-D), or of its head at step ``last`` when ``trail`` is false.
    ``redraw``: plotly.js redraws the whole plot every frame (3-D scenes need it).
    """
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
                data.append(coordinates(track, 0, min(key_step, track.steps), trail=True))
                traces.append(animated[3 * i])
            data.append(coordinates(track, min(key_step, track.steps), k, trail=True))
            head = coordinates(track, k, k, trail=False)
            if track.diverged_at is not None and int(step) >= track.steps:
                head["marker"] = _head_marker(track, int(step), presentation, three_d=head["type"] == "scatter3d")
            data.append(head)
            traces.extend([animated[3 * i + 1], animated[3 * i + 2]])
        frames.append({"name": f"f{j}", "data": data, "traces": traces})
        names = [f"f{j}"] if is_key or standalone else [f"f{key_of}", f"f{j}"]
        slider_steps.append(dict(method="animate", label=str(int(step)),
                                 args=[names, dict(mode="immediate", frame=dict(duration=0, redraw=redraw),
                                                   transition=dict(duration=0))]))
    return frames, slider_steps


def player(frame_steps, slider_steps: list[dict], presentation: bool, redraw: bool = False, below: float = 0.06,
           frame_ms: int = FRAME_MS) -> dict:
    """Play and pause buttons and the frame slider, ``below`` (a share of the plot's height) under the plot:
    the layout's ``updatemenus`` and ``sliders`` (ui/live_chart.py draws them as HTML)."""
    play = dict(label="▶ play", method="animate",
                args=[None, dict(frame=dict(duration=frame_ms, redraw=redraw), fromcurrent=True,
                                 transition=dict(duration=0), mode="immediate")])
    pause = dict(label="❚❚ pause", method="animate",
                 args=[[None], dict(frame=dict(duration=0, redraw=redraw), transition=dict(duration=0), mode="immediate")])
    return {
        "updatemenus": [dict(type="buttons", direction="left", showactive=False, x=0, y=-below, xanchor="left",
                             yanchor="top", pad=dict(t=8, r=8), buttons=[play, pause],
                             font=dict(size=20 if presentation else 13))],
        "sliders": [dict(active=len(frame_steps) - 1, steps=slider_steps, x=0.22, len=0.78, y=-below, yanchor="top",
                         currentvalue=dict(prefix="step ", visible=True, xanchor="right",
                                           font=dict(size=20 if presentation else 13, color="#333")),
                         pad=dict(t=30), transition=dict(duration=0), ticklen=0, tickcolor="rgba(0,0,0,0)",
                         font=dict(color="rgba(0,0,0,0)"))],  # one tick label per frame would be an unreadable smear
    }


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


def _head_marker(track: Track, step: int, presentation: bool, three_d: bool = False) -> dict:
    stopped = track.diverged_at is not None and step >= track.steps
    if three_d:  # a 3-D marker's size is about half a 2-D one's for the same look
        return dict(symbol="x" if stopped else "circle", size=(10 if presentation else 8) if stopped else (8 if presentation else 6),
                    color=track.colour, line=dict(color="white", width=1))
    size = (18 if presentation else 13) if stopped else (14 if presentation else 11)
    if track.width < 1.0:  # a companion's head: a small ring, so the run's own head stands out
        return dict(symbol="circle-open", size=round(size * 0.75), color=track.colour, line=dict(color=track.colour, width=2))
    return dict(symbol="x" if stopped else "circle", size=size, color=track.colour, line=dict(color="white", width=2))


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
    # the panel titles are annotations with a size of their own (16): on a projector they stayed small
    fig.update_annotations(font_size=22 if presentation else 16)
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
                hovertemplate=f"{track.label} diverged at step {track.diverged_at}"
                              + (f"<br>{track.diverged_because}" if track.diverged_because else "") + "<extra></extra>"))
    return PrebuiltFigure({"data": data, "layout": json.loads(_curves_layout(reference_loss is not None, presentation))})


def stability_figure(tracks: list[Track], stabilities: list, presentation: bool = False) -> go.Figure:
    """η times the curvature each step met (λmax of H, or of P⁻¹H for an adaptive rule), one solid line a run,
    and its rule's stability limit (2 for gradient descent, 2(1 + μ) for momentum, ...) dashed in the same colour.

    Above its dashed line a run's step amplifies the error along the steepest direction. ``stabilities``:
    an ``optimizers.stability.Stability`` per track. Steps without positive curvature leave a gap (log axis).
    """
    data = []
    for track, stability in zip(tracks, stabilities):
        if stability is None or not len(stability.lr):
            continue
        steps = np.arange(1, len(stability.lr) + 1, dtype=float)
        ratio = stability.ratio()
        shown = np.where(ratio > 0, ratio, np.nan)
        width = 3.5 if presentation else 2
        name = "η·" + stability.sharpness_name
        data.append(dict(type="scatter", mode="lines", x=typed_array(steps, "f8"), y=typed_array(shown, "f8"),
                         # solid whatever the run's dash on the map: here dashed means a limit
                         line=dict(color=track.colour, width=width), name=track.label,
                         legendgroup=track.label,
                         hovertemplate=f"{track.label}<br>step %{{x}}: {name} = %{{y:.3g}}<extra></extra>"))
        if stability.constant is not None:
            data.append(dict(type="scatter", mode="lines", x=typed_array(steps, "f8"),
                             y=typed_array(stability.constant, "f8"), showlegend=False, legendgroup=track.label,
                             line=dict(color=track.colour, dash="9px,5px", width=width * 0.6), opacity=0.8,
                             hovertemplate=f"{track.label}: stability limit {stability.constant_name} = %{{y:.3g}}<extra></extra>"))
    font = 18 if presentation else 13
    layout = dict(
        height=340, font=dict(FONT, size=font), plot_bgcolor="#fafafa", hovermode="closest",
        title=dict(text="Curvature against the stability limit: solid η·λmax (λmax of P⁻¹H for adaptive rules), "
                        "dashed each rule's limit", font=dict(size=font), x=0, xanchor="left"),
        xaxis=dict(title=dict(text="step"), tickfont=dict(size=font - 1)),
        yaxis=dict(type="log", title=dict(text="η × curvature"), tickformat=".2~g", tickfont=dict(size=font - 1)),
        legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, x=0, font=dict(size=font)),
        margin=dict(l=75 if presentation else 60, r=10, t=50, b=105 if presentation else 90, autoexpand=False),
    )
    return PrebuiltFigure({"data": data, "layout": layout})


# A log-height surface is drawn on a mesh twice as fine as the grid it is given, each vertex at the lowest
# loss within one mesh step of it (5 x 5 samples). On a log height a narrow valley's floor lies between the
# mesh points of most cells, so a 70 x 70 mesh dipped only where a point happened to fall near it: saw-teeth
# along Rosenbrock's floor. Taking the lowest value around each vertex draws the floor as a groove wherever
# it runs; the finer mesh makes the groove's edges steps of half the size.
_REFINE = 2
_FLOOR_SAMPLES = 5
# The log height's floor, as a share of the surface's span: at 1e-6 the last decades under the valley's
# floor (a few points near the minimum) made spikes four decades deep; at 1e-4 the floor is still drawn
# three to four decades below the rim.
_LOG_FLOOR = 1e-4


def lowest_around(landscape, xs: np.ndarray, ys: np.ndarray, samples: int = _FLOOR_SAMPLES) -> np.ndarray:
    """The lowest finite loss within one mesh step of each point of the mesh ``xs`` × ``ys`` (rows follow
    ``ys``; inf where none is finite)."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    step_x = (xs[-1] - xs[0]) / max(len(xs) - 1, 1)
    step_y = (ys[-1] - ys[0]) / max(len(ys) - 1, 1)
    X, Y = np.meshgrid(xs, ys)
    lowest = np.full(X.shape, np.inf)
    for a in np.linspace(-1.0, 1.0, samples):
        for b in np.linspace(-1.0, 1.0, samples):
            with np.errstate(all="ignore"):
                z = np.asarray(landscape.f(np.clip(X + a * step_x, xs[0], xs[-1]), np.clip(Y + b * step_y, ys[0], ys[-1])),
                               dtype=float)
            lowest = np.where(np.isfinite(z) & (z < lowest), z, lowest)
    return lowest


def surface_heights(landscape, grid: SurfaceGrid, tracks=()):
    """The 3-D view's mesh and heights, and the function that lifts any loss to the same scale:
    ``(xs, ys, heights, height_of)``.

    Where the grid is coloured on a log scale (``grid.log_scale``: the surface spans decades), the mesh is
    ``_REFINE`` times finer and its heights are log10 of the loss above one floor under the mesh and every
    run, each vertex at the lowest loss around it (``lowest_around``); otherwise the grid's own losses.
    """
    if not grid.log_scale:
        return grid.xs, grid.ys, np.asarray(grid.z, dtype=float), lambda values: np.asarray(values, dtype=float)
    xs = np.linspace(grid.xs[0], grid.xs[-1], _REFINE * (len(grid.xs) - 1) + 1)
    ys = np.linspace(grid.ys[0], grid.ys[-1], _REFINE * (len(grid.ys) - 1) + 1)
    lowest = lowest_around(landscape, xs, ys)
    lowest = np.where(np.isfinite(lowest), lowest, grid.z_high)  # nowhere finite around: the grid's top
    # one floor under the mesh and every run, so log10 never sees a value at or below zero
    floor = min([float(lowest.min())] + [float(t.loss.min()) for t in tracks if len(t.loss)])
    offset = _LOG_FLOOR * max(grid.z_high - floor, 1e-12)

    def height_of(values):
        return np.log10(np.asarray(values, dtype=float) - floor + offset)

    return xs, ys, height_of(lowest), height_of


def scene_layout(landscape, height_title: str, presentation: bool) -> dict:
    """A 3-D scene whose labels stay clear of each other and of the figure's edges."""
    (x0, x1), (y0, y1) = landscape.bounds
    ticks = dict(size=14 if presentation else 11)
    # five ticks a side: with plotly's default count the x and y labels ran into each other at the near corner
    axis = dict(nticks=5, tickfont=ticks, title=dict(font=dict(size=18 if presentation else 13)))
    across = float(min(max((y1 - y0) / (x1 - x0) if x1 > x0 else 1.0, 0.4), 2.5))
    # and fewer on the shorter side, drawn shorter by the aspect ratio: five crowded a 20 x 8 map's y axis
    short = dict(nticks=max(3, round(5 * min(across, 1 / across))))
    return dict(
        xaxis=dict(axis, title=dict(axis["title"], text="x"), **(short if across > 1 else {})),
        yaxis=dict(axis, title=dict(axis["title"], text="y"), **(short if across < 1 else {})),
        zaxis=dict(axis, nticks=6, exponentformat="power", title=dict(axis["title"], text=height_title)),
        aspectmode="manual", aspectratio=dict(x=1.0, y=across, z=0.7),
        camera=dict(eye=dict(x=1.15, y=-1.15, z=0.8)),
        # the scene inset from the figure's sides and foot: plotly clips what a 3-D label draws past them (the
        # height's "100" read ".00" at the left edge, the near corner's ticks were cut at the foot)
        domain=dict(x=[0.04, 0.96], y=[0.12, 1.0]))


def surface3d_figure(landscape, grid: SurfaceGrid, tracks: list[Track], presentation: bool = False, *,
                     max_frames: int = 60, segment: int = 10, height: int | None = None) -> go.Figure:
    """The surface in 3-D with each run lying on it, animated like the map: play, pause and a frame slider
    (``trajectory_figure``'s frames, with z; plotly.js redraws a 3-D scene every frame, hence fewer frames).
    ``height``: 600 px, or 780 with ``presentation`` (the map's, for a chart fitted to the screen)."""
    height = height or (780 if presentation else 600)
    xs, ys, heights, height_of = surface_heights(landscape, grid, tracks)
    lift = 0.0 if grid.log_scale else 0.01 * (grid.z_high - grid.z_low)  # a hair above the surface, to stay visible
    shown = [dict(type="surface", x=typed_array(xs), y=typed_array(ys), z=typed_grid(heights),
                  colorscale="Viridis", showscale=False, opacity=0.92, name="surface",
                  contours=dict(z=dict(show=True, usecolormap=True, project_z=True)),
                  hovertemplate="(%{x:.3g}, %{y:.3g})<extra></extra>")]
    line_width = 7 if presentation else 5
    animated = []
    for track in tracks:
        line = dict(color=track.colour, width=line_width)
        common = dict(type="scatter3d", legendgroup=track.label,
                      hovertemplate=f"{track.label}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>")
        z = height_of(track.loss) + lift
        shown.append(dict(common, x=typed_array(track.path[:, 0]), y=typed_array(track.path[:, 1]), z=typed_array(z),
                          mode="lines", line=line, name=track.label, showlegend=True))
        shown.append(dict(common, x=[], y=[], z=[], mode="lines", line=line, showlegend=False))
        end = track.path[-1]
        shown.append(dict(common, x=[float(end[0])], y=[float(end[1])], z=[float(z[-1])], mode="markers", showlegend=False,
                          marker=_head_marker(track, track.steps, presentation, three_d=True)))
        animated.extend(range(len(shown) - 3, len(shown)))

    def coordinates(track: Track, first: int, last: int, trail: bool) -> dict:
        z = height_of(track.loss[first:last + 1]) + lift
        if not trail:
            return {"type": "scatter3d", "x": [float(track.path[last, 0])], "y": [float(track.path[last, 1])],
                    "z": [float(z[-1])]}
        return {"type": "scatter3d", "x": typed_array(track.path[first:last + 1, 0]),
                "y": typed_array(track.path[first:last + 1, 1]), "z": typed_array(z)}

    frame_steps = _frame_steps(max((t.steps for t in tracks), default=0), max_frames)
    frames, slider_steps = _race_frames(tracks, frame_steps, animated, coordinates, segment, False, presentation, redraw=True)
    font_size = 18 if presentation else 13
    legend_height = legend_rows([t.label for t in tracks], font_size, 1000) * round(1.9 * font_size) if tracks else 0
    layout = dict(
        height=height, font=dict(FONT, size=font_size), uirevision=f"{landscape.name}-3d",
        # room above for the legend, below for the player (ui/live_chart.js draws it 2 % of the height under the scene)
        margin=dict(l=0, r=0, t=legend_height + 10, b=90 if presentation else 70),
        scene=scene_layout(landscape, "log₁₀(f − f_min)" if grid.log_scale else "f", presentation),
        legend=dict(orientation="h", yref="container", y=1, yanchor="top", x=0, font=dict(size=font_size)),
        **player(frame_steps, slider_steps, presentation, redraw=True, below=0.02))
    return PrebuiltFigure({"data": shown, "layout": layout, "frames": frames})


def typed_grid(values) -> dict:
    """A 2-D float32 array in plotly.js's typed form (a surface's z)."""
    array = np.ascontiguousarray(values, dtype=np.float32)
    return {"dtype": "f4", "bdata": base64.b64encode(array.tobytes()).decode("ascii"),
            "shape": ",".join(str(n) for n in array.shape)}
