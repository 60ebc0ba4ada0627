"""Figures of the Network page: the decision boundary over training, the loss curves, and the four views of
the network's loss landscape (``landscapes.network_views``). Plotly only, headless.

Loss values span many decades near a solution, so the maps are drawn in log10 of the loss.
"""
from __future__ import annotations

import functools
import json

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .figures import FONT, PrebuiltFigure, enlarge_text, player, typed_array, typed_grid
from .palette import colour as optimizer_colour

FLOOR = 1e-12  # losses below this are drawn at it (a log scale cannot show 0)
# P(class 1) from one soft colour to another through white: the boundary (0.5) is where the colour fades
_PROBABILITY_SCALE = [[0.0, "#7FA7D9"], [0.5, "#FFFFFF"], [1.0, "#EFAA70"]]
_CLASS_COLOURS = ("#0B3C7A", "#8A3A0A")
_LOSS_SCALE = "Viridis"


def _layout(figure: go.Figure, height: int, presentation: bool, **extra) -> go.Figure:
    figure.update_layout(height=height, font=dict(FONT, size=13), plot_bgcolor="#fafafa", paper_bgcolor="white", **extra)
    if not figure.layout.margin.b:
        figure.update_layout(margin=dict(l=10, r=10, t=48, b=10))
    return go.Figure(enlarge_text(figure.to_dict())) if presentation else figure


def probability_grid(extent: float = 2.2, resolution: int = 81) -> tuple[np.ndarray, np.ndarray]:
    """The input-plane axis and its (resolution², 2) points, where the boundary is drawn."""
    axis = np.linspace(-extent, extent, resolution)
    a, b = np.meshgrid(axis, axis)
    return axis, np.column_stack([a.ravel(), b.ravel()])


def _probability_map(axis: np.ndarray, z: np.ndarray, showscale: bool, column: int) -> dict:
    """P(class 1) in colour and its ½ line in black: one contour trace (colouring as a heatmap), so that each
    frame sends the map once, in float32 (90 frames of three runs: 1.9 MB of JSON; a heatmap and a contour
    trace of float64 each sent it four times over, 7.7 MB, and the page took 3.3 s to draw it)."""
    return dict(type="contour", x=typed_array(axis, "f8"), y=typed_array(axis, "f8"), z=typed_grid(z), zmin=0.0, zmax=1.0,
                colorscale=_PROBABILITY_SCALE, showscale=showscale,
                contours=dict(start=0.5, end=0.5, size=1.0, coloring="heatmap", showlines=True),
                line=dict(color="black", width=2.5), name="boundary (P = ½)", showlegend=False,
                colorbar=dict(title=dict(text="P(class 1)", side="right"), thickness=14, len=0.8),
                hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>P(class 1) = %{z:.3f}<extra></extra>",
                **_panel_axes(column))


def _panel_axes(column: int) -> dict:
    suffix = "" if column == 1 else str(column)
    return dict(xaxis="x" + suffix, yaxis="y" + suffix)


@functools.lru_cache(maxsize=8)
def _panels_layout(count: int, extent: float) -> str:
    """The layout of ``count`` square panels side by side over [-extent, extent]², validated once (JSON): through
    plotly's validators with the points' traces, the figure took a third of the page's warm script."""
    figure = make_subplots(rows=1, cols=count, subplot_titles=["·"] * count, horizontal_spacing=0.04)
    for column in range(1, count + 1):
        suffix = "" if column == 1 else str(column)
        # no axis titles: the player sits under the panels where x₁'s would go (the caption names the inputs)
        figure.update_xaxes(range=[-extent, extent], constrain="domain", row=1, col=column)
        figure.update_yaxes(range=[-extent, extent], scaleanchor="x" + suffix, constrain="domain",
                            showticklabels=column == 1, row=1, col=column)
    return json.dumps(figure.to_dict()["layout"])


def _points(data, column: int) -> list[dict]:
    """The data on one panel: training points filled, test points open, a trace per class and part."""
    traces = []
    for label, colour in enumerate(_CLASS_COLOURS):
        for part, x, y, symbol in (("train", data.x_train, data.y_train, "circle"),
                                   ("test", data.x_test, data.y_test, "circle-open")):
            chosen = x[y == label]
            traces.append(dict(
                type="scatter", x=typed_array(chosen[:, 0], "f8"), y=typed_array(chosen[:, 1], "f8"), mode="markers",
                name=f"class {label}, {part}", showlegend=False,
                marker=dict(symbol=symbol, size=6 if part == "train" else 8, color=colour,
                            line=dict(width=1.0 if part == "train" else 2.0, color="white" if part == "train" else colour)),
                hovertemplate=f"class {label} ({part})<extra></extra>", **_panel_axes(column)))
    return traces


def boundary_figure(data, axis: np.ndarray, panels: list[tuple[str, list[tuple[int, np.ndarray]]]],
                    presentation: bool = False, height: int = 520) -> go.Figure:
    """P(class 1) over the input plane, one panel per run side by side (``panels``: (title, frames), each frame a
    (step, probabilities, words): every run has the same frame steps), animated together, with the data: training
    points filled, test points open. Each panel's title carries the frame's words (its losses then), so the
    numbers play with the boundary.

    Built as the dict plotly.js receives (``PrebuiltFigure``) around a layout validated once: through plotly's
    validators the traces, frames and player took 0.3 s of the page's 0.65 s warm script."""
    count = len(panels)

    def titles(index):
        return [f"{title}<br><span style='font-size:0.85em'>{frames[index][2]}</span>" for title, frames in panels]

    side = len(axis)
    layout = json.loads(_panels_layout(count, float(axis[-1])))
    for annotation, text in zip(layout["annotations"], titles(-1)):
        annotation["text"] = text
    steps = [frame[0] for frame in panels[0][1]]
    slider_steps = [dict(method="animate", label=str(step),
                         args=[[str(step)], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                                 transition=dict(duration=0))]) for step in steps]
    layout.update(title=dict(text="Decision boundary of each run, over training", x=0.01, y=0.98, yanchor="top"),
                  # on a projector every text is larger (enlarge_text): more room above for the titles
                  # and below for the player, which live_chart draws under the panels
                  margin=dict(l=10, r=10, t=150 if presentation else 110, b=110 if presentation else 70),
                  height=height, font=dict(FONT, size=13), plot_bgcolor="#fafafa", paper_bgcolor="white",
                  **player(steps, slider_steps, presentation, redraw=True, below=0.1, frame_ms=150))
    maps = [_probability_map(axis, frames[-1][1].reshape(side, -1), column == count, column)
            for column, (_, frames) in enumerate(panels, start=1)]
    finished = {"data": maps + [trace for column in range(1, count + 1) for trace in _points(data, column)],
                "layout": layout}
    if presentation:
        finished = enlarge_text(finished)
    # each frame's titles in the finished layout's fonts: with the builder's, a projector's titles shrank on play
    annotations = finished["layout"]["annotations"]
    finished["frames"] = [
        dict(name=str(step), traces=list(range(count)),
             data=[dict(type="contour", z=typed_grid(frames[index][1].reshape(side, -1))) for _, frames in panels],
             layout=dict(annotations=[dict(annotation, text=text) for annotation, text in zip(annotations, titles(index))]))
        for index, step in enumerate(steps)]
    return PrebuiltFigure(finished)


def loss_curves_figure(runs: list[tuple[str, str, object]], presentation: bool = False, height: int = 420) -> go.Figure:
    """Training loss (solid) and test loss (dashed) of each run by step, and test accuracy."""
    figure = make_subplots(rows=1, cols=2, horizontal_spacing=0.1, column_widths=[0.6, 0.4],
                           subplot_titles=("loss (train solid, test dashed)", "test accuracy"))
    for label, colour, training in runs:
        steps = np.arange(len(training.train_loss), dtype=float)
        figure.add_trace(go.Scatter(x=typed_array(steps, "f8"), y=typed_array(np.maximum(training.train_loss, FLOOR), "f8"),
                                    mode="lines", line=dict(color=colour, width=2.4), name=label, legendgroup=label,
                                    hovertemplate="step %{x}<br>train loss %{y:.4g}<extra>" + label + "</extra>"), 1, 1)
        figure.add_trace(go.Scatter(x=typed_array(steps, "f8"), y=typed_array(np.maximum(training.test_loss, FLOOR), "f8"),
                                    mode="lines", line=dict(color=colour, width=1.8, dash="dash"), name=label + " (test)",
                                    legendgroup=label, showlegend=False,
                                    hovertemplate="step %{x}<br>test loss %{y:.4g}<extra>" + label + "</extra>"), 1, 1)
        figure.add_trace(go.Scatter(x=typed_array(steps, "f8"), y=typed_array(training.test_accuracy, "f8"), mode="lines",
                                    line=dict(color=colour, width=2.0), legendgroup=label, showlegend=False,
                                    hovertemplate="step %{x}<br>test accuracy %{y:.1%}<extra>" + label + "</extra>"), 1, 2)
    figure.update_yaxes(**log_axis(*[r.train_loss for _, _, r in runs], *[r.test_loss for _, _, r in runs]), row=1, col=1)
    figure.update_yaxes(range=[0.0, 1.02], tickformat=".0%", row=1, col=2)
    figure.update_xaxes(title_text="step")
    return _layout(figure, height, presentation, legend=dict(orientation="h", y=-0.25))


def log_axis(*arrays) -> dict:
    """A readable log axis for these values: decades only (10⁻³, 10⁻²) when they span more than three,
    else 0.02, 0.05, 0.1 … (plotly's default put a small digit at every minor tick)."""
    values = np.concatenate([np.ravel(np.maximum(a, FLOOR)) for a in arrays])
    span = float(np.log10(values.max() / values.min())) if values.size else 1.0
    if span > 3.0:
        return dict(type="log", dtick=1, exponentformat="power")
    return dict(type="log", dtick="D2", tickformat=".2~g")


def _log_loss(grid: np.ndarray) -> np.ndarray:
    return np.log10(np.maximum(grid, FLOOR))


def plane_figure(view, title: str, axis_titles: tuple[str, str], path=None, path_colour: str = "#D55E00",
                 presentation: bool = False, height: int = 560) -> go.Figure:
    """log10 of the training loss over a plane (``PlaneView``), the centre marked, and a projected path if given."""
    figure = go.Figure()
    figure.add_trace(go.Contour(
        x=typed_array(view.alphas, "f8"), y=typed_array(view.betas, "f8"), z=_log_loss(view.train_loss),
        colorscale=_LOSS_SCALE, ncontours=24, contours=dict(coloring="heatmap", showlines=True),
        line=dict(width=0.6, color="rgba(255,255,255,0.55)"),
        colorbar=dict(title=dict(text="log₁₀ train loss", side="right"), thickness=14),
        hovertemplate="%{x:.3g}, %{y:.3g}<br>log₁₀ loss %{z:.3f}<extra></extra>", name="loss"))
    if path is not None:
        figure.add_trace(go.Scatter(x=typed_array(path[:, 0], "f8"), y=typed_array(path[:, 1], "f8"), mode="lines",
                                    line=dict(color=path_colour, width=3), name="path, projected",
                                    hovertemplate="step %{pointNumber}<extra>projected path</extra>"))
        figure.add_trace(go.Scatter(x=[float(path[0, 0])], y=[float(path[0, 1])], mode="markers", name="start θ₀",
                                    marker=dict(symbol="circle", size=12, color="white", line=dict(color="black", width=2))))
    figure.add_trace(go.Scatter(x=[0.0], y=[0.0], mode="markers", name="trained θ*",
                                marker=dict(symbol="star", size=17, color="white", line=dict(color="black", width=1.5))))
    figure.update_layout(title=dict(text=title, x=0.01), xaxis=dict(title=axis_titles[0]),
                         yaxis=dict(title=axis_titles[1]), legend=dict(orientation="h", y=-0.14))
    return _layout(figure, height, presentation)


def surface_figure(view, title: str, axis_titles: tuple[str, str], path=None, path_loss=None,
                   path_colour: str = "#D55E00", presentation: bool = False, height: int = 620) -> go.Figure:
    """The same plane as ``plane_figure`` as a 3-D surface of log10 of the training loss, the way the papers draw
    networks' landscapes; a path (projected coordinates and its loss there) lies on it."""
    figure = go.Figure()
    z = _log_loss(view.train_loss)
    figure.add_trace(go.Surface(x=typed_array(view.alphas, "f8"), y=typed_array(view.betas, "f8"), z=z,
                                colorscale=_LOSS_SCALE, colorbar=dict(title=dict(text="log₁₀ train loss", side="right"),
                                                                      thickness=14, len=0.7),
                                hovertemplate="%{x:.3g}, %{y:.3g}<br>log₁₀ loss %{z:.3f}<extra></extra>",
                                contours=dict(z=dict(show=True, usecolormap=True, project=dict(z=True), width=1))))
    if path is not None:
        figure.add_trace(go.Scatter3d(x=typed_array(path[:, 0], "f8"), y=typed_array(path[:, 1], "f8"),
                                      z=typed_array(_log_loss(path_loss), "f8"), mode="lines",
                                      line=dict(color=path_colour, width=6), name="path, projected"))
    centre = z[len(view.betas) // 2, len(view.alphas) // 2] if path is None else float(_log_loss(path_loss)[-1])
    figure.add_trace(go.Scatter3d(x=[0.0], y=[0.0], z=[centre], mode="markers", name="trained θ*",
                                  marker=dict(symbol="diamond", size=6, color="white", line=dict(color="black", width=2))))
    font = dict(size=18 if presentation else 12)
    axis = dict(nticks=5, tickfont=dict(size=14 if presentation else 11), title=dict(font=font))
    figure.update_layout(
        title=dict(text=title, x=0.01), showlegend=False,
        scene=dict(xaxis=dict(axis, title=dict(axis["title"], text=axis_titles[0])),
                   yaxis=dict(axis, title=dict(axis["title"], text=axis_titles[1])),
                   zaxis=dict(axis, title=dict(axis["title"], text="log₁₀ loss")),
                   aspectmode="manual", aspectratio=dict(x=1.0, y=1.0, z=0.6),
                   camera=dict(eye=dict(x=1.3, y=-1.3, z=0.9)), domain=dict(x=[0.04, 0.96], y=[0.06, 1.0])))
    return _layout(figure, height, presentation)


def projection_figure(path_plane, colour: str, presentation: bool = False, height: int = 360) -> go.Figure:
    """The loss the path really had, beside the loss the contours show under its projection, by step."""
    steps = np.asarray(path_plane.steps, dtype=float)
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=typed_array(steps, "f8"), y=typed_array(np.maximum(path_plane.true_loss, FLOOR), "f8"),
                                mode="lines", line=dict(color=colour, width=2.6), name="true loss along the path"))
    figure.add_trace(go.Scatter(x=typed_array(steps, "f8"),
                                y=typed_array(np.maximum(path_plane.projected_loss, FLOOR), "f8"), mode="lines",
                                line=dict(color="#555555", width=2.2, dash="dash"),
                                name="loss under the projected path (what the contours show)"))
    figure.update_yaxes(**log_axis(path_plane.true_loss, path_plane.projected_loss), title_text="training loss")
    figure.update_xaxes(title_text="step")
    return _layout(figure, height, presentation, legend=dict(orientation="h", y=-0.3))


def line_figure(lines: list[tuple[str, str, object]], x_title: str, marks: dict[float, str], title: str,
                presentation: bool = False, height: int = 420, log: bool = True) -> go.Figure:
    """Train (solid) and test (dashed) loss along lines or curves (``LineView``), with labelled marks on the axis."""
    figure = go.Figure()
    for label, colour, view in lines:
        figure.add_trace(go.Scatter(x=typed_array(view.t, "f8"), y=typed_array(np.maximum(view.train_loss, FLOOR), "f8"),
                                    mode="lines", line=dict(color=colour, width=2.6), name=label, legendgroup=label,
                                    hovertemplate=x_title + " %{x:.3f}<br>train loss %{y:.4g}<extra>" + label + "</extra>"))
        figure.add_trace(go.Scatter(x=typed_array(view.t, "f8"), y=typed_array(np.maximum(view.test_loss, FLOOR), "f8"),
                                    mode="lines", line=dict(color=colour, width=1.8, dash="dash"), name=f"{label}: test",
                                    legendgroup=label, showlegend=False,
                                    hovertemplate=x_title + " %{x:.3f}<br>test loss %{y:.4g}<extra>" + label + "</extra>"))
    for where, text in marks.items():
        figure.add_vline(x=where, line=dict(color="#888888", width=1, dash="dot"), annotation_text=text,
                         annotation_position="top")
    axis = log_axis(*[v.train_loss for _, _, v in lines], *[v.test_loss for _, _, v in lines]) if log else {}
    figure.update_yaxes(title_text="loss (train solid, test dashed)", **axis)
    figure.update_xaxes(title_text=x_title)
    figure.update_layout(title=dict(text=title, x=0.01), legend=dict(orientation="h", y=-0.25))
    return _layout(figure, height, presentation)


def run_colour(optimizer: str) -> str:
    """An optimizer's own colour, as on every other page."""
    return optimizer_colour(optimizer)


__all__ = ["boundary_figure", "line_figure", "log_axis", "loss_curves_figure", "plane_figure", "probability_grid",
           "projection_figure", "run_colour", "surface_figure"]
