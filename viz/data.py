"""Figures of minibatch SGD on a data set: the data, the minibatch surface, GD vs SGD, the noise ball.

Built headless (plotly only). The full-batch map reuses ``figures.trajectory_figure`` (a data
set quacks like a landscape there); the pictures under the maps are the same banded PNGs.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from landscapes.data import SQUARED
from plotly.subplots import make_subplots

from .figures import FONT, Track, typed_array
from .palette import run_style
from .surface_image import evaluate, png_data_uri

FLOOR = 1e-16  # loss gaps below this are drawn at it: a log axis cannot show zero
_MINIMUM_MARKER = dict(symbol="star", size=16, color="white", line=dict(color="black", width=1.5))
# Greys for the classes: every hue of the palette belongs to an optimizer, and the current
# boundary is drawn in the optimizer's own colour.
_CLASS_MARKERS = ((0, "circle-open", "#4D4D4D"), (1, "diamond", "#A6A6A6"))


def run_colours(optimizer: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """(colour, dash) of the full-batch run and of the minibatch run of one optimizer."""
    return run_style(optimizer, 0), run_style(optimizer, 1)


def tracks(gd, sgd, gd_label: str, sgd_label: str) -> list[Track]:
    """The GD and SGD runs as ``figures.Track``s: the optimizer's colour, SGD shaded and dashed."""
    styles = run_colours(gd.optimizer)
    return [Track(label, result.optimizer, colour, dash, result.path, result.loss, result.grad_norm, result.lr,
                  result.diverged_at)
            for (label, result), (colour, dash) in zip(((gd_label, gd), (sgd_label, sgd)), styles)]


def _image(grid, xref: str = "x", yref: str = "y") -> dict:
    (x0, x1), (y0, y1) = (grid.xs[0], grid.xs[-1]), (grid.ys[0], grid.ys[-1])
    return dict(source=png_data_uri(grid), xref=xref, yref=yref, x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                sizing="stretch", layer="below")


def _axes(fig, data, bounds, row=None, col=None, title=True):
    (x0, x1), (y0, y1) = bounds
    names = data.problem.parameter_names
    where = dict(row=row, col=col) if row else {}
    fig.update_xaxes(range=[x0, x1], showgrid=False, zeroline=False, title_text=names[0] if title else None, **where)
    fig.update_yaxes(range=[y0, y1], showgrid=False, zeroline=False, title_text=names[1] if title else None, **where)


def minibatch_figure(data, batch, result, t: int, presentation: bool = False, resolution: int = 110) -> go.Figure:
    """The loss of minibatch t alone, drawn over the full-batch box: its bottom is not the
    full-batch minimum, and it moves from one batch to the next."""
    batch_data = data.subset(batch)
    grid = evaluate(batch_data, resolution, data.bounds)
    colour, _ = run_colours(result.optimizer)[1]
    fig = go.Figure()
    fig.add_layout_image(_image(grid))
    fig.add_trace(go.Scatter(x=typed_array(result.path[:, 0]), y=typed_array(result.path[:, 1]), mode="lines",
                             line=dict(color="rgba(255,255,255,0.55)", width=1.5), name="SGD path", hoverinfo="skip"))
    minimum = data.minima[0]
    fig.add_trace(go.Scatter(x=[minimum.x], y=[minimum.y], mode="markers", marker=_MINIMUM_MARKER,
                             name="full-batch minimum", hovertemplate="full-batch minimum (%{x:.4g}, %{y:.4g})<extra></extra>"))
    batch_minimum = data.batch_minimizer(batch)
    if batch_minimum is not None:
        (x0, x1), (y0, y1) = data.bounds
        inside = x0 <= batch_minimum[0] <= x1 and y0 <= batch_minimum[1] <= y1
        name = "this batch's minimum" + ("" if inside else f" (off the map, at {batch_minimum[0]:.3g}, {batch_minimum[1]:.3g})")
        fig.add_trace(go.Scatter(x=[batch_minimum[0]], y=[batch_minimum[1]], mode="markers", name=name,
                                 marker=dict(symbol="diamond", size=14, color=colour, line=dict(color="white", width=2)),
                                 hovertemplate="minibatch minimum (%{x:.4g}, %{y:.4g})<extra></extra>"))
    here = result.path[min(t, result.steps)]
    after = result.path[min(t + 1, result.steps)]
    fig.add_annotation(x=float(after[0]), y=float(after[1]), ax=float(here[0]), ay=float(here[1]), xref="x", yref="y",
                       axref="x", ayref="y", showarrow=True, arrowhead=3, arrowsize=1.3, arrowwidth=2.5,
                       arrowcolor="white")
    fig.add_trace(go.Scatter(x=[float(here[0])], y=[float(here[1])], mode="markers", name=f"θ at iteration {t}",
                             marker=dict(size=13, color=colour, line=dict(color="white", width=2)),
                             hovertemplate="θ (%{x:.4g}, %{y:.4g})<extra></extra>"))
    _axes(fig, data, data.bounds)
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    fig.update_layout(height=520, font=dict(FONT, size=18 if presentation else 13), margin=dict(l=10, r=10, t=40, b=10),
                      plot_bgcolor="white", uirevision=f"batch-{data.name}",
                      legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0, bgcolor="rgba(255,255,255,0.85)"))
    return fig


def _line_through_box(w1: float, w2: float, offset: float, xs, ys):
    """Points of {w1·a + w2·b = offset} inside the box xs × ys (for a decision boundary), or None."""
    if abs(w2) >= abs(w1) and w2 != 0.0:
        a = np.array(xs, dtype=float)
        return a, (offset - w1 * a) / w2
    if w1 != 0.0:
        b = np.array(ys, dtype=float)
        return (offset - w2 * b) / w1, b
    return None


def data_figure(data, theta, batch=None, colour: str = "#0072B2", presentation: bool = False) -> go.Figure:
    """The examples; the model at θ (a line, or a decision boundary) next to the best fit; batch ringed."""
    fig = go.Figure()
    best = data.minimizer
    in_batch = np.zeros(data.n, dtype=bool)
    if batch is not None:
        in_batch[np.asarray(batch, dtype=int)] = True
    names = data.problem.feature_names
    if data.kind == SQUARED:
        x, y = data.inputs, data.targets
        fig.add_trace(go.Scatter(x=x, y=y, mode="markers", name="examples",
                                 marker=dict(size=7, color="rgba(90,90,90,0.45)"),
                                 hovertemplate=f"{names[0]} %{{x:.3g}}, {names[1]} %{{y:.3g}}<extra></extra>"))
        span = np.array([x.min(), x.max()])
        fig.add_trace(go.Scatter(x=span, y=best[0] * span + best[1], mode="lines", name="least squares (full batch)",
                                 line=dict(color="black", width=2, dash="dash")))
        fig.add_trace(go.Scatter(x=span, y=theta[0] * span + theta[1], mode="lines", name="current fit",
                                 line=dict(color=colour, width=4)))
        x_range = [float(x.min() - 0.05 * np.ptp(x)), float(x.max() + 0.05 * np.ptp(x))]
        y_range = [float(y.min() - 0.1 * np.ptp(y)), float(y.max() + 0.1 * np.ptp(y))]
        if in_batch.any():
            fig.add_trace(go.Scatter(x=x[in_batch], y=y[in_batch], mode="markers", name="this minibatch",
                                     marker=dict(size=12, color=colour, line=dict(color="white", width=1.5))))
    else:
        points, labels = data.inputs, data.targets
        for label, symbol, grey in _CLASS_MARKERS:
            chosen = labels == label
            fig.add_trace(go.Scatter(x=points[chosen, 0], y=points[chosen, 1], mode="markers", name=f"class {label}",
                                     marker=dict(size=8, symbol=symbol, color=grey, line=dict(width=1.5, color=grey))))
        pad = 0.08 * max(np.ptp(points[:, 0]), np.ptp(points[:, 1]))
        x_range = [float(points[:, 0].min() - pad), float(points[:, 0].max() + pad)]
        y_range = [float(points[:, 1].min() - pad), float(points[:, 1].max() + pad)]
        for (w1, w2), name, line in ((best, "best boundary (full batch)", dict(color="black", width=2, dash="dash")),
                                     (theta, "current boundary", dict(color=colour, width=4))):
            segment = _line_through_box(float(w1), float(w2), 0.0, x_range, y_range)
            if segment is not None:
                fig.add_trace(go.Scatter(x=segment[0], y=segment[1], mode="lines", name=name, line=line))
        if in_batch.any():
            fig.add_trace(go.Scatter(x=points[in_batch, 0], y=points[in_batch, 1], mode="markers", name="this minibatch",
                                     marker=dict(size=15, color="rgba(0,0,0,0)", line=dict(color=colour, width=3))))
    fig.update_xaxes(range=x_range, title_text=names[0], zeroline=False)
    fig.update_yaxes(range=y_range, title_text=names[1], zeroline=False)
    fig.update_layout(height=520, font=dict(FONT, size=18 if presentation else 13), margin=dict(l=10, r=10, t=40, b=10),
                      plot_bgcolor="#fafafa", uirevision=f"data-{data.name}",
                      legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0))
    return fig


def curves_figure(gd, sgd, gd_label: str, sgd_label: str, min_loss: float, presentation: bool = False) -> go.Figure:
    """Full-batch loss gap of GD and SGD against iteration and against epoch, side by side.

    An epoch is one pass over the data: one GD iteration, N/B SGD iterations. By iteration GD
    wins; by epoch (the same number of gradient evaluations) SGD usually wins.
    """
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.08,
                        subplot_titles=("by iteration", "by epoch (passes over the data)"))
    for (label, result), (colour, _) in zip(((gd_label, gd), (sgd_label, sgd)), run_colours(gd.optimizer)):
        gap = np.maximum(result.loss - min_loss, FLOOR)
        # solid lines: a dash pattern breaks up a curve that jitters every step into noise
        line = dict(color=colour, width=(3.5 if presentation else 2.2) if result.sampling == "full" else 1.6)
        iterations = np.arange(len(gap), dtype=float)
        fig.add_trace(go.Scatter(x=typed_array(iterations, "f8"), y=typed_array(gap, "f8"), mode="lines", line=line,
                                 name=label, legendgroup=label,
                                 hovertemplate="iteration %{x}<br>L − L* = %{y:.3g}<extra>" + label + "</extra>"), 1, 1)
        fig.add_trace(go.Scatter(x=typed_array(result.epoch, "f8"), y=typed_array(gap, "f8"), mode="lines", line=line,
                                 name=label, legendgroup=label, showlegend=False,
                                 hovertemplate="epoch %{x:.3g}<br>L − L* = %{y:.3g}<extra>" + label + "</extra>"), 1, 2)
    # The epoch axis ends where SGD stops, or GD's many epochs would squeeze SGD into the corner.
    last_epoch = float(sgd.epoch[-1]) if len(sgd.epoch) else 1.0
    fig.update_xaxes(title_text="iteration", row=1, col=1)
    fig.update_xaxes(title_text="epoch", range=[0, max(last_epoch, 1.0)], row=1, col=2)
    fig.update_yaxes(type="log", exponentformat="power", title_text="full-batch loss − minimum")
    fig.update_layout(height=380, font=dict(FONT, size=18 if presentation else 13), margin=dict(l=10, r=10, t=40, b=10),
                      plot_bgcolor="#fafafa", legend=dict(orientation="h", y=-0.22))
    if presentation:  # the panel titles have a size of their own (16)
        fig.update_annotations(font_size=22)
    return fig


def noise_ball_box(data, results, last: int) -> tuple:
    """A square box around the full-batch minimum holding the last ``last`` iterates of every run."""
    minimum = data.minima[0]
    reach = 1e-6
    for result in results:
        tail = result.path[-last:]
        reach = max(reach, float(np.max(np.abs(tail - [minimum.x, minimum.y]))))
    half = 1.15 * reach
    return ((minimum.x - half, minimum.x + half), (minimum.y - half, minimum.y + half))


def rms_distance(data, result, last: int) -> float:
    """Root-mean-square distance of the last ``last`` iterates from the full-batch minimum."""
    minimum = data.minima[0]
    tail = result.path[-last:]
    return float(np.sqrt(np.mean((tail[:, 0] - minimum.x) ** 2 + (tail[:, 1] - minimum.y) ** 2)))


def noise_ball_figure(data, runs, last: int, presentation: bool = False) -> go.Figure:
    """The last iterates of SGD around the minimum: one panel per run (constant lr, decayed lr), same box.

    ``runs``: (title, result) pairs. With a constant learning rate SGD does not converge: it
    keeps bouncing in a ball whose size grows with the learning rate and the gradient noise.
    """
    results = [result for _, result in runs]
    bounds = noise_ball_box(data, results, last)
    grid = evaluate(data, 90, bounds)
    fig = make_subplots(rows=1, cols=len(runs), horizontal_spacing=0.06,
                        subplot_titles=[f"{title}: RMS distance {rms_distance(data, result, last):.3g}"
                                        for title, result in runs])
    minimum = data.minima[0]
    for panel, (title, result) in enumerate(runs, start=1):
        xref, yref = ("x", "y") if panel == 1 else (f"x{panel}", f"y{panel}")
        fig.add_layout_image(_image(grid, xref, yref))
        colour, _ = run_style(result.optimizer, panel)
        tail = result.path[-last:]
        fig.add_trace(go.Scatter(x=typed_array(tail[:, 0]), y=typed_array(tail[:, 1]), mode="lines+markers",
                                 line=dict(color="rgba(255,255,255,0.35)", width=1),
                                 marker=dict(size=6, color=colour, line=dict(color="white", width=0.8)),
                                 name=f"{title}: last {len(tail)} iterates",
                                 hovertemplate="(%{x:.4g}, %{y:.4g})<extra></extra>"), 1, panel)
        fig.add_trace(go.Scatter(x=[minimum.x], y=[minimum.y], mode="markers", marker=_MINIMUM_MARKER,
                                 name="full-batch minimum", showlegend=panel == 1,
                                 hovertemplate="minimum (%{x:.4g}, %{y:.4g})<extra></extra>"), 1, panel)
        _axes(fig, data, bounds, 1, panel, title=True)
        # equal units on both axes of every panel, and one zoom for all: the balls compare by eye
        fig.update_yaxes(scaleanchor=xref, scaleratio=1, matches=None if panel == 1 else "y", row=1, col=panel)
        fig.update_xaxes(matches=None if panel == 1 else "x", row=1, col=panel)
    fig.update_layout(height=460, font=dict(FONT, size=18 if presentation else 13), margin=dict(l=10, r=10, t=50, b=10),
                      plot_bgcolor="white", legend=dict(orientation="h", y=-0.15))
    if presentation:  # the panel titles have a size of their own (16)
        fig.update_annotations(font_size=22)
    return fig
