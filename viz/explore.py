"""Figures of many runs at once: sweep heatmaps, basin maps, grid versus random search, lr curves.

Large grids travel as plotly.js typed arrays (256 x 256 float32 is 256 KiB, a basin map of
512 x 512 labels is 256 KiB as uint8), and traces are plain dicts, as in ``viz.figures``.
Heatmaps cannot be clicked through Streamlit (streamlit#8760), so every map carries a
near-invisible grid of markers on top: a click on one selects the run of that cell, and its
hover text says what that run did.
"""
from __future__ import annotations

import base64
import math
import textwrap

import numpy as np
import plotly.graph_objects as go  # noqa: F401  (the type these builders return)

from .figures import CLICK_MARKER_PX, FONT, PROJECTOR_TEXT, PrebuiltFigure, enlarge_text, subplot_layout, typed_array
from .palette import colour

DIVERGED_COLOUR = "#C0392B"  # red: outside Viridis, and read as "danger" on a projector
NOT_REACHED_COLOUR = "#D0D0D0"
NOT_CONVERGED_COLOUR = "#E6E6E6"
BASIN_DIVERGED_COLOUR = "#333333"
# Paul Tol's bright scheme: one colour per minimum, distinct from the optimizers' Okabe-Ito colours.
MINIMUM_COLOURS = ("#4477AA", "#EE6677", "#228833", "#CCBB44", "#66CCEE", "#AA3377", "#BBBBBB")
PANEL_GROUP = "basin-panel-"  # legendgroup of a panel's hover layer, which names each panel's start points
# Markers per axis of the click layer. Each is an SVG point the browser redraws on every change:
# at 48 (2,304 a map, three maps on Basins) they were most of the heatmap's redraw time.
CLICK_SIDE = 32


def grid_array(values, dtype: str = "f4") -> dict:
    """A 2-D array in plotly.js's typed form (dtype, base64 data, shape)."""
    numpy_type = {"f4": np.float32, "f8": np.float64, "u1": np.uint8}[dtype]
    array = np.ascontiguousarray(values, dtype=numpy_type)
    return {"dtype": dtype, "bdata": base64.b64encode(array.tobytes()).decode("ascii"),
            "shape": ",".join(str(n) for n in array.shape)}


def click_indices(count: int, side: int = CLICK_SIDE) -> np.ndarray:
    """Which cells along an axis of ``count`` cells carry a click marker (both ends included)."""
    return np.unique(np.round(np.linspace(0, count - 1, min(count, side))).astype(int))


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def _swatch(name: str, fill: str, xref: str = "x", yref: str = "y") -> dict:
    """A legend entry for a colour that a heatmap uses (heatmaps have no legend items of their own)."""
    return dict(type="scatter", x=[None], y=[None], mode="markers", name=name, xaxis=xref, yaxis=yref,
                marker=dict(symbol="square", size=14, color=fill, line=dict(color="#555", width=1)), hoverinfo="skip")


# ----- sweep heatmap ---------------------------------------------------------------------------------
def sweep_heatmap(x_axis, y_axis, values: np.ndarray, status: np.ndarray, outcome, metric: str, metric_label: str,
                  *, log_colour: bool, best=None, selected=None, height: int = 560, presentation: bool = False) -> go.Figure:
    """The metric over the grid of two settings; diverged and never-converged cells in their own colours
    (text at projector size with ``presentation``).

    ``values``/``status`` come from ``ui.exploration.metric_values`` (rows follow ``y_axis``).
    Brighter is better: the colour scale runs from the best value (yellow) to the worst.
    """
    xs, ys = x_axis.values(), y_axis.values()
    finite = np.isfinite(values)
    shown = np.where(finite, values, np.nan)
    if log_colour:
        shown = np.log10(np.maximum(shown, 1e-16))
    colour_title = ("log₁₀ " if log_colour else "") + metric_label
    data = []
    if metric != "diverged":
        data.append(dict(
            type="heatmap", x=typed_array(xs, "f8"), y=typed_array(ys, "f8"), z=grid_array(shown),
            colorscale="Viridis", reversescale=True, hoverongaps=False, name=metric_label,
            colorbar=dict(title=dict(text=colour_title, side="right"), thickness=14),
            hovertemplate=(f"{x_axis.label} %{{x:.3g}}<br>{y_axis.label} %{{y:.3g}}<br>{metric_label}: "
                           + ("10^%{z:.2f}" if log_colour else "%{z:.4g}") + "<extra></extra>")))
    else:  # a yes/no map: every run that did not diverge in one calm colour
        calm = np.where(status != 1, 0.0, np.nan)
        data.append(dict(type="heatmap", x=typed_array(xs, "f8"), y=typed_array(ys, "f8"), z=grid_array(calm),
                         colorscale=[[0, "#9FD8A8"], [1, "#9FD8A8"]], showscale=False, hoverongaps=False,
                         hovertemplate=f"{x_axis.label} %{{x:.3g}}<br>{y_axis.label} %{{y:.3g}}<br>did not diverge<extra></extra>"))
    diverged = np.where(status == 1, outcome.diverged_at, np.nan)
    data.append(dict(type="heatmap", x=typed_array(xs, "f8"), y=typed_array(ys, "f8"), z=grid_array(diverged),
                     colorscale=[[0, DIVERGED_COLOUR], [1, DIVERGED_COLOUR]], showscale=False, hoverongaps=False,
                     name="diverged",
                     hovertemplate=f"{x_axis.label} %{{x:.3g}}<br>{y_axis.label} %{{y:.3g}}<br>diverged at step %{{z}}<extra></extra>"))
    if (status == 2).any():
        never = np.where(status == 2, 0.0, np.nan)
        data.append(dict(type="heatmap", x=typed_array(xs, "f8"), y=typed_array(ys, "f8"), z=grid_array(never),
                         colorscale=[[0, NOT_REACHED_COLOUR], [1, NOT_REACHED_COLOUR]], showscale=False, hoverongaps=False,
                         hovertemplate=(f"{x_axis.label} %{{x:.3g}}<br>{y_axis.label} %{{y:.3g}}<br>"
                                        f"never reached the tolerance in {outcome.steps} steps<extra></extra>")))
    data.append(_sweep_click_layer(x_axis, y_axis, values, status, outcome, metric_label))
    for index, name, symbol in ((best, "best", "star"), (selected, "selected run", "circle-open")):
        if index is not None:
            j, i = index
            data.append(dict(type="scatter", x=[float(xs[i])], y=[float(ys[j])], mode="markers", name=name,
                             marker=dict(symbol=symbol, size=18, color="white" if symbol == "star" else "black",
                                         line=dict(color="black" if symbol == "star" else "white", width=2)),
                             hovertemplate=f"{name}: {x_axis.label} %{{x:.3g}}, {y_axis.label} %{{y:.3g}}<extra></extra>"))
    data.append(_swatch("diverged", DIVERGED_COLOUR))
    if (status == 2).any():
        data.append(_swatch("never reached the tolerance", NOT_REACHED_COLOUR))
    layout = dict(
        height=height, font=FONT, margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="white", hovermode="closest",
        # log axes read as numbers ("0.001", "0.01"): plotly.js's default wrote "10μ" and crowded "5 0.001 2"
        xaxis=dict(title=dict(text=x_axis.label), type="log" if x_axis.log else "linear", showgrid=False,
                   range=_range(xs, x_axis.log), tickformat=".2~g" if x_axis.log else "", dtick=1 if x_axis.log else None),
        yaxis=dict(title=dict(text=y_axis.label), type="log" if y_axis.log else "linear", showgrid=False,
                   range=_range(ys, y_axis.log), tickformat=".2~g" if y_axis.log else "", dtick=1 if y_axis.log else None),
        # the legend above the map: below it, a map fitted to a short screen ran it into the x axis's title
        legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0), dragmode="pan",
    )
    figure = {"data": data, "layout": layout}
    return PrebuiltFigure(enlarge_text(figure) if presentation else figure)


def _range(values: np.ndarray, log: bool) -> list[float]:
    """Axis range that shows the outer cells whole."""
    if len(values) < 2:
        v = float(values[0])
        return [math.log10(v) - 0.5, math.log10(v) + 0.5] if log else [v - 0.5, v + 0.5]
    scaled = np.log10(values) if log else values
    half = (scaled[1] - scaled[0]) / 2, (scaled[-1] - scaled[-2]) / 2
    return [float(scaled[0] - half[0]), float(scaled[-1] + half[1])]


def _sweep_click_layer(x_axis, y_axis, values, status, outcome, metric_label: str) -> dict:
    xs, ys = x_axis.values(), y_axis.values()
    cols, rows = click_indices(len(xs)), click_indices(len(ys))
    px, py, texts = [], [], []
    for j in rows:
        for i in cols:
            px.append(float(xs[i]))
            py.append(float(ys[j]))
            if status[j, i] == 1:
                what = f"diverged at step {int(outcome.diverged_at[j, i])}"
            elif status[j, i] == 2:
                what = f"never reached the tolerance in {outcome.steps} steps"
            else:
                what = f"{metric_label}: {values[j, i]:.4g}"
            texts.append(f"{x_axis.label} {_fmt(xs[i])}, {y_axis.label} {_fmt(ys[j])}<br>{what}"
                         f"<br>ends at ({_fmt(outcome.final_x[j, i])}, {_fmt(outcome.final_y[j, i])}) · click to draw it")
    size = CLICK_MARKER_PX
    return dict(type="scatter", x=typed_array(px, "f8"), y=typed_array(py, "f8"), mode="markers", name="runs",
                showlegend=False, text=texts, hovertemplate="%{text}<extra></extra>",
                marker=dict(size=size, symbol="square", color="rgba(255,255,255,0.01)"))


# ----- basin maps ------------------------------------------------------------------------------------
def basin_colours(count: int) -> list[str]:
    return [MINIMUM_COLOURS[k % len(MINIMUM_COLOURS)] for k in range(count)]


def basin_figure(surface, xs: np.ndarray, ys: np.ndarray, panels: list[dict], *, selected=None,
                 height: int = 560, presentation: bool = False) -> go.Figure:
    """One basin map per optimizer, side by side, minima marked and numbered (text at projector size
    with ``presentation``).

    ``panels``: dicts with ``title``, ``labels`` (rows follow ``ys``; minimum index, -1
    diverged, -2 not converged), ``outcome`` (final points and steps) and ``optimizer``.
    """
    minima = surface.minima
    colours = basin_colours(len(minima))
    count = max(len(panels), 1)
    # on a projector the larger titles of three maps ran into each other at 1280 px: there they are wrapped
    # to the width of a map, the lr on a line of its own
    titles = tuple("<br>".join(line for part in p["title"].split(" · ") for line in textwrap.wrap(part, 72 // count))
                   if presentation else p["title"] for p in panels)
    title_lines = max((title.count("<br>") + 1 for title in titles), default=1)
    layout = subplot_layout(rows=1, cols=count, subplot_titles=titles or ("",),
                            horizontal_spacing=0.03, shared_yaxes=True)
    # codes shown: 0 not converged, 1 diverged, 2 + k minimum k; a stepped colour scale
    palette = [NOT_CONVERGED_COLOUR, BASIN_DIVERGED_COLOUR] + colours
    n = len(palette)
    colorscale = []
    for k, fill in enumerate(palette):
        colorscale += [[k / n, fill], [(k + 1) / n, fill]]
    data = []
    for p, panel in enumerate(panels):
        xref, yref = ("x", "y") if p == 0 else (f"x{p + 1}", f"y{p + 1}")
        codes = np.asarray(panel["labels"]) + 2
        data.append(dict(type="heatmap", x=typed_array(xs, "f8"), y=typed_array(ys, "f8"), z=grid_array(codes, "u1"),
                         colorscale=colorscale, zmin=-0.5, zmax=n - 0.5, showscale=False, hoverinfo="skip",
                         xaxis=xref, yaxis=yref))
        data.append(_basin_click_layer(surface, xs, ys, panel, xref, yref, f"{PANEL_GROUP}{p}"))
        data.append(dict(type="scatter", x=[m.x for m in minima], y=[m.y for m in minima], mode="markers+text",
                         text=[str(k + 1) for k in range(len(minima))], textposition="top center",
                         textfont=dict(color="black", size=14), xaxis=xref, yaxis=yref, showlegend=False,
                         marker=dict(symbol="star", size=15, color="white", line=dict(color="black", width=1.5)),
                         hovertemplate="minimum %{text} at (%{x:.4g}, %{y:.4g})<extra></extra>"))
        if selected is not None and selected.get("panel") == p:
            data.append(dict(type="scatter", x=[selected["x"]], y=[selected["y"]], mode="markers", xaxis=xref, yaxis=yref,
                             name="selected start", marker=dict(symbol="circle-open", size=16, color="black",
                                                                line=dict(width=3))))
    for k in range(len(minima)):
        data.append(_swatch(f"{k + 1}: {surface.minimum_name(k)}", colours[k]))
    data.append(_swatch("diverged", BASIN_DIVERGED_COLOUR))
    data.append(_swatch("not converged", NOT_CONVERGED_COLOUR))
    (x0, x1), (y0, y1) = surface.bounds
    for p in range(count):
        suffix = "" if p == 0 else str(p + 1)
        layout.setdefault(f"xaxis{suffix}", {}).update(range=[x0, x1], showgrid=False, zeroline=False, constrain="domain")
        # both axes give way to the aspect lock by shrinking their domain: with only x doing so plotly.js
        # widened y's range instead (-6..6 around a -5..5 map)
        layout.setdefault(f"yaxis{suffix}", {}).update(range=[y0, y1], showgrid=False, zeroline=False, constrain="domain")
        # every x to the one y all panels share: a y axis that both matches the first and anchors its own x
        # lost its aspect lock in plotly.js (the second and third maps were drawn wide at 1920 px)
        layout[f"xaxis{suffix}"]["scaleanchor"] = "y"
    # fixed margins: pushed ones made plotly.js draw the three maps twice (444 against 636 ms)
    scale = PROJECTOR_TEXT if presentation else 1.0
    if presentation:
        # beside the maps: a chart fitted to a 1280 x 720 screen kept only the legend's rows below them
        legend = dict(orientation="v", yanchor="top", y=1, xanchor="left", x=1.01)
        margin = dict(l=round(45 * scale), r=round(250 * scale), t=round((24 + 20 * title_lines) * scale), b=round(40 * scale))
    else:
        legend_height = 19 * sum(1 for trace in data if trace.get("showlegend", True))  # the legend stacks its entries
        height += legend_height
        legend = dict(orientation="h", yanchor="top", y=-0.12, x=0)
        margin = dict(l=45, r=10, t=60, b=50 + legend_height)
    layout.update(height=height, font=FONT, margin=dict(margin, autoexpand=False), plot_bgcolor="white",
                  hovermode="closest", legend=legend, dragmode="pan")
    figure = {"data": data, "layout": layout}
    return PrebuiltFigure(enlarge_text(figure, scale) if presentation else figure)


def _basin_click_layer(surface, xs, ys, panel: dict, xref: str, yref: str, group: str) -> dict:
    outcome, labels = panel["outcome"], np.asarray(panel["labels"])
    minima = surface.minima
    cols, rows = click_indices(len(xs)), click_indices(len(ys))
    px, py, texts = [], [], []
    for j in rows:
        for i in cols:
            px.append(float(xs[i]))
            py.append(float(ys[j]))
            label = int(labels[j, i])
            end = f"({_fmt(outcome.final_x[j, i])}, {_fmt(outcome.final_y[j, i])})"
            if label == -1:
                what = f"diverged at step {int(outcome.diverged_at[j, i])}"
            elif label == -2:
                what = f"not converged: after {outcome.steps} steps it is at {end}"
            else:
                m = minima[label]
                what = (f"ends on {surface.minimum_name(label)} (colour {label + 1}): at {end}" if surface.valley is not None
                        else f"ends in minimum {label + 1} at ({_fmt(m.x)}, {_fmt(m.y)}): at {end}")
            texts.append(f"start ({_fmt(xs[i])}, {_fmt(ys[j])})<br>{what}<br>click to draw this run")
    size = CLICK_MARKER_PX
    return dict(type="scatter", x=typed_array(px, "f8"), y=typed_array(py, "f8"), mode="markers", showlegend=False,
                name=panel["optimizer"], legendgroup=group, text=texts, hovertemplate="%{text}<extra></extra>",
                xaxis=xref, yaxis=yref,
                marker=dict(size=size, symbol="square", color="rgba(255,255,255,0.01)"))


# ----- grid versus random search --------------------------------------------------------------------
def search_figure(race, x_axis, y_axis, background: np.ndarray, metric_label: str, log_colour: bool,
                  height: int = 470, presentation: bool = False) -> go.Figure:
    """Where grid and random search looked (over the sweep's map), and the best each found as the budget grows."""
    layout = subplot_layout(rows=1, cols=3, horizontal_spacing=0.07, column_widths=(0.32, 0.32, 0.36),
                            subplot_titles=(f"grid search: {len(race.grid_x)} runs",
                                            f"random search: {len(race.random_x)} runs",
                                            "best found with n runs (each grid is a new k × k)"))
    xs, ys = x_axis.values(), y_axis.values()
    shown = np.log10(np.maximum(background, 1e-16)) if log_colour else background
    data = []
    for panel, (px, py, score, name, fill) in enumerate(
            ((race.grid_x, race.grid_y, race.grid_value, "grid", "#0072B2"),
             (race.random_x, race.random_y, race.random_value, "random", "#E69F00"))):
        xref, yref = ("x", "y") if panel == 0 else ("x2", "y2")
        data.append(dict(type="heatmap", x=typed_array(xs, "f8"), y=typed_array(ys, "f8"), z=grid_array(shown),
                         colorscale="Viridis", reversescale=True, showscale=False, hoverinfo="skip", opacity=0.75,
                         xaxis=xref, yaxis=yref))
        data.append(dict(type="scatter", x=typed_array(px, "f8"), y=typed_array(py, "f8"), mode="markers", name=f"{name} search",
                         xaxis=xref, yaxis=yref, showlegend=False, customdata=typed_array(np.where(np.isfinite(score), score, -1), "f8"),
                         marker=dict(size=9, color=fill, line=dict(color="white", width=1.5)),
                         hovertemplate=f"{x_axis.label} %{{x:.3g}}, {y_axis.label} %{{y:.3g}}<br>{metric_label}: %{{customdata:.4g}}"
                                       "<extra></extra>"))
        if np.isfinite(score).any():
            b = int(np.argmin(score))
            data.append(dict(type="scatter", x=[float(px[b])], y=[float(py[b])], mode="markers", xaxis=xref, yaxis=yref,
                             showlegend=False, marker=dict(symbol="star", size=18, color="white", line=dict(color="black", width=2)),
                             hovertemplate=f"best of {name} search: {metric_label} {score[b]:.4g}<extra></extra>"))
        suffix = "" if panel == 0 else "2"
        layout[f"xaxis{suffix}"].update(type="log" if x_axis.log else "linear", range=_range(xs, x_axis.log),
                                        tickformat=".2~g" if x_axis.log else "",
                                        title=dict(text=x_axis.label), showgrid=False)
        layout[f"yaxis{suffix}"].update(type="log" if y_axis.log else "linear", range=_range(ys, y_axis.log),
                                        tickformat=".2~g" if y_axis.log else "",
                                        title=dict(text=y_axis.label if panel == 0 else ""), showgrid=False)
    finite = lambda v: [float(a) if math.isfinite(a) else None for a in v]  # noqa: E731
    data.append(dict(type="scatter", x=race.grid_budgets.tolist(), y=finite(race.grid_best), mode="lines+markers",
                     name="grid search", line=dict(color="#0072B2", width=3, shape="hv"), xaxis="x3", yaxis="y3",
                     hovertemplate="grid of %{x} runs: best %{y:.4g}<extra></extra>"))
    data.append(dict(type="scatter", x=list(range(1, len(race.random_best) + 1)), y=finite(race.random_best), mode="lines",
                     name="random search", line=dict(color="#E69F00", width=3, shape="hv"), xaxis="x3", yaxis="y3",
                     hovertemplate="%{x} random runs: best %{y:.4g}<extra></extra>"))
    layout["xaxis3"].update(title=dict(text="runs (budget)"), type="log")
    layout["yaxis3"].update(title=dict(text=metric_label), type="log" if log_colour else "linear")
    layout.update(height=height, font=FONT, margin=dict(l=10, r=10, t=50, b=10), plot_bgcolor="white",
                  legend=dict(orientation="h", yanchor="bottom", y=1.08, x=0.66), hovermode="closest")
    figure = {"data": data, "layout": layout}
    return PrebuiltFigure(enlarge_text(figure) if presentation else figure)


# ----- learning-rate curves ------------------------------------------------------------------------
def lr_curves_figure(curves: list[dict], metric_label: str, log_y: bool, height: int = 480,
                     presentation: bool = False) -> go.Figure:
    """The metric against the learning rate, one line per optimizer; below, where each diverged.

    ``curves``: dicts with ``optimizer``, ``title``, ``lrs``, ``values`` (NaN where the run
    diverged or never reached the tolerance) and ``status`` (0 fine, 1 diverged, 2 not reached).
    """
    layout = subplot_layout(rows=2, cols=1, shared_xaxes=True, row_heights=(0.78, 0.22), vertical_spacing=0.04)
    data = []
    for curve in curves:
        fill = colour(curve["optimizer"])
        values = [float(v) if math.isfinite(v) else None for v in curve["values"]]
        data.append(dict(type="scatter", x=typed_array(curve["lrs"], "f8"), y=values, mode="lines+markers",
                         name=curve["title"], line=dict(color=fill, width=3), marker=dict(size=5, color=fill),
                         legendgroup=curve["optimizer"], connectgaps=False,
                         hovertemplate=f"{curve['title']}<br>lr %{{x:.3g}}: {metric_label} %{{y:.4g}}<extra></extra>"))
        status = np.asarray(curve["status"])
        for code, symbol, what in ((1, "x", "diverged"), (2, "circle-open", "never reached the tolerance")):
            lrs = np.asarray(curve["lrs"])[status == code]
            if len(lrs):
                data.append(dict(type="scatter", x=typed_array(lrs, "f8"), y=[curve["title"]] * len(lrs), mode="markers",
                                 xaxis="x2", yaxis="y2", showlegend=False, legendgroup=curve["optimizer"],
                                 marker=dict(symbol=symbol, size=8, color=fill, line=dict(color=fill, width=2)),
                                 hovertemplate=f"{curve['title']}: lr %{{x:.3g}} {what}<extra></extra>"))
    layout["xaxis"].update(type="log", tickformat=".2~g", dtick=1)
    layout["xaxis2"].update(type="log", title=dict(text="learning rate"), tickformat=".2~g", dtick=1)
    layout["yaxis"].update(title=dict(text=metric_label), type="log" if log_y else "linear")
    layout["yaxis2"].update(title=dict(text="× diverged<br>○ not reached", font=dict(size=11)), type="category",
                            showgrid=False)
    layout.update(height=height, font=FONT, margin=dict(l=10, r=10, t=30, b=10), plot_bgcolor="#fafafa",
                  legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), hovermode="closest")
    figure = {"data": data, "layout": layout}
    return PrebuiltFigure(enlarge_text(figure) if presentation else figure)
