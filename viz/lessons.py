"""Figure pieces only some lessons need, next to the Compare race (which viz.figures draws).

Built headless (Plotly, no Streamlit). Every function takes numbers already computed (paths,
step sizes, Taylor terms) and returns a figure, or trace dicts to add to the race figure.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from .figures import FONT, trajectory_figure, typed_array
from .surface_image import SurfaceGrid, png_data_uri

# Colours that stand out on every band of Viridis (the landscape's colours), for "which minimum"
_ENDING_COLOURS = ("#D55E00", "#000000", "#FFFFFF", "#CC79A7", "#0072B2", "#E69F00")
_NO_MINIMUM = "#999999"


def _layout(fig: go.Figure, height: int, presentation: bool, title: str) -> go.Figure:
    fig.update_layout(height=height, title=dict(text=title, x=0, xanchor="left", font=dict(size=22 if presentation else 16)),
                      font=dict(FONT, size=18 if presentation else 13), margin=dict(l=10, r=10, t=70, b=10),
                      plot_bgcolor="#fafafa", legend=dict(orientation="h", y=-0.22))
    return fig


def _width(presentation: bool) -> float:
    return 3.5 if presentation else 2.0


# ----- steepest descent: every direction of one short step ------------------------------------
def directions_figure(surface, point, radius: float | None = None, presentation: bool = False) -> go.Figure:
    """Loss change after one short step from ``point`` in each direction; −∇f's direction marked."""
    x, y = float(point[0]), float(point[1])
    if radius is None:
        (x0, x1), (y0, y1) = surface.bounds
        radius = 0.01 * math.hypot(x1 - x0, y1 - y0)
    degrees = np.linspace(0.0, 360.0, 721)
    angles = np.radians(degrees)
    change = surface.f(x + radius * np.cos(angles), y + radius * np.sin(angles)) - surface.f(x, y)
    gx, gy = surface.grad(x, y)
    downhill = math.degrees(math.atan2(-gy, -gx)) % 360.0
    uphill = (downhill + 180.0) % 360.0
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=degrees, y=change, mode="lines", name="loss change", line=dict(color="#0072B2", width=_width(presentation)),
                             hovertemplate="direction %{x:.1f}°: Δf = %{y:.4g}<extra></extra>"))
    for angle, label, colour in ((downhill, "−∇f (steepest descent)", "#009E73"), (uphill, "+∇f (steepest ascent)", "#D55E00")):
        fig.add_vline(x=angle, line=dict(color=colour, dash="dash", width=_width(presentation)))
        fig.add_annotation(x=angle, y=1.0, yref="paper", text=label, showarrow=False, yanchor="bottom",
                           font=dict(color=colour))
    fig.add_hline(y=0.0, line=dict(color="#666", width=1))
    fig.update_xaxes(title_text="direction of the step (degrees from the +x axis)", range=[0, 360], dtick=45)
    fig.update_yaxes(title_text=f"f(θ₀ + r·u) − f(θ₀), r = {radius:.3g}")
    return _layout(fig, 380, presentation, "Every direction for one short step from the start: −∇f lowers the loss most")


# ----- the race before the reveal, and the loss of every run on one axis ---------------------------
def prediction_map(surface, grid: SurfaceGrid, start, guess=None, *, height: int, presentation: bool = False,
                   legend_width: int = 1000) -> dict:
    """The race's map with no runs on it: the landscape, the known minima, the start, and the
    class's guess (a cross) if there is one. A figure dict, for ``ui.live_chart``."""
    figure = trajectory_figure(surface, grid, [], start, height=height, presentation=presentation,
                               legend_width=legend_width).to_dict()
    layout = dict(figure["layout"])
    for key in ("sliders", "updatemenus"):
        layout.pop(key, None)
    data = list(figure["data"])
    if guess is not None:
        data.append(guess_trace(guess, presentation))
    return {"data": data, "layout": layout, "frames": []}


def guess_trace(guess, presentation: bool = False, name: str = "your prediction") -> dict:
    return dict(type="scatter", x=[float(guess[0])], y=[float(guess[1])], mode="markers", name=name,
                marker=dict(symbol="x-thin", size=26 if presentation else 20, color="#D55E00",
                            line=dict(color="#D55E00", width=5 if presentation else 4)),
                hovertemplate=name + " (%{x:.3g}, %{y:.3g})<extra></extra>")


def loss_one_axis_figure(tracks, captions, reference_loss: float | None, presentation: bool = False,
                         smoothed=None, title: str = "The loss of every run, on one axis") -> go.Figure:
    """Every run's loss − f* against the step, on one log axis, in the runs' colours, each named by its
    role; a diverged run ends in a cross. ``smoothed[i]`` (a running mean of run i's loss, or None):
    drawn bold over the raw curve, which is then thin and pale (noisy runs' bands touch; their means do not)."""
    floor = 1e-16
    fig = go.Figure()
    smoothed = list(smoothed or []) + [None] * len(tracks)
    for track, caption, mean in zip(tracks, list(captions) + [""] * len(tracks), smoothed):
        loss = track.loss - reference_loss if reference_loss is not None else track.loss
        loss = np.maximum(loss, floor)
        xs = np.arange(len(loss), dtype=float)
        name = f"{caption} (η = {track.lr[0]:g})" if caption and len(track.lr) else track.label
        width = _width(presentation) + 0.5
        fig.add_trace(go.Scatter(x=typed_array(xs, "f8"), y=typed_array(loss, "f8"), mode="lines", name=name,
                                 legendgroup=name, opacity=0.35 if mean is not None else 1.0, showlegend=mean is None,
                                 line=dict(color=track.colour, dash=track.dash, width=1 if mean is not None else width)))
        if mean is not None:  # the legend shows the bold line: a pale one reads as a missing run on a projector
            mean = np.maximum(np.asarray(mean, dtype=float) - (reference_loss or 0.0), floor)
            fig.add_trace(go.Scatter(x=typed_array(xs, "f8"), y=typed_array(mean, "f8"), mode="lines",
                                     name=name, legendgroup=name,
                                     line=dict(color=track.colour, dash=track.dash, width=width + 1)))
        if track.diverged_at is not None:
            fig.add_trace(go.Scatter(x=[float(xs[-1])], y=[float(loss[-1])], mode="markers+text", showlegend=False,
                                     text=[f"diverged at step {track.diverged_at}"], textposition="middle right",
                                     marker=dict(symbol="x", size=16, color=track.colour)))
    fig.update_yaxes(type="log", exponentformat="power", title_text="loss − f*")
    fig.update_xaxes(title_text="step")
    return _layout(fig, 400, presentation, title)


# ----- ravines: the second-order Taylor view of one step ---------------------------------------
def taylor_figure(surface, point, runs, taylor, condition_number: float, presentation: bool = False) -> go.Figure:
    """Loss change of one gradient step of size ε from ``point``: exact and second-order Taylor.

    ``runs`` is a list of (label, colour, lr); ``taylor`` the dict of ui.lessons.measures.taylor_step
    (gg, ghg, threshold).
    """
    x, y = float(point[0]), float(point[1])
    gx, gy = surface.grad(x, y)
    largest = max([lr for _, _, lr in runs] + [taylor["threshold"] if math.isfinite(taylor["threshold"]) else 0.0])
    eps = np.linspace(0.0, 1.25 * largest, 400)
    exact = surface.f(x - eps * gx, y - eps * gy) - surface.f(x, y)
    model = -eps * taylor["gg"] + 0.5 * eps * eps * taylor["ghg"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=eps, y=model, mode="lines", name="Taylor: −ε gᵀg + ½ε² gᵀHg",
                             line=dict(color="#0072B2", width=_width(presentation) + 2)))
    fig.add_trace(go.Scatter(x=eps, y=exact, mode="lines", name="exact f(θ − εg) − f(θ)",
                             line=dict(color="#E69F00", width=_width(presentation), dash="dash")))
    fig.add_hline(y=0.0, line=dict(color="#666", width=1))
    if math.isfinite(taylor["threshold"]):
        fig.add_vline(x=taylor["threshold"], line=dict(color="#D55E00", dash="dot", width=_width(presentation)))
        fig.add_annotation(x=taylor["threshold"], y=1.0, yref="paper", yanchor="bottom", showarrow=False,
                           text=f"ε* = 2gᵀg / gᵀHg = {taylor['threshold']:.4g}", font=dict(color="#D55E00"))
    for label, colour, lr in runs:
        value = float(surface.f(x - lr * gx, y - lr * gy) - surface.f(x, y))
        fig.add_trace(go.Scatter(x=[lr], y=[value], mode="markers", name=f"{label}: Δf = {value:+.4g}",
                                 marker=dict(size=16 if presentation else 12, color=colour, line=dict(color="black", width=1))))
    fig.update_xaxes(title_text="step size ε")
    fig.update_yaxes(title_text="change of the loss after one step")
    title = (f"One step from the start: gᵀg = {taylor['gg']:.4g}, gᵀHg = {taylor['ghg']:.4g}, "
             f"condition number κ = {condition_number:.4g}")
    return _layout(fig, 400, presentation, title)


# ----- Nesterov: the look-ahead points ------------------------------------------------------------
def lookahead_traces(balls: np.ndarray, lookahead: np.ndarray, colour: str, count: int = 15,
                     presentation: bool = False) -> list[dict]:
    """Traces to lay over the race: the heavy ball θ_t (open circles), the look-ahead point
    where the gradient is evaluated (dots), and the momentum jump between them."""
    count = min(count, len(balls) - 1)
    ks = range(1, count + 1)
    sx, sy = [], []
    for k in ks:
        sx += [float(balls[k, 0]), float(lookahead[k, 0]), None]
        sy += [float(balls[k, 1]), float(lookahead[k, 1]), None]
    size = 13 if presentation else 9
    return [
        dict(type="scatter", x=sx, y=sy, mode="lines", name="momentum jump μv", showlegend=True,
             line=dict(color="white", width=2.5 if presentation else 1.5, dash="dot"), hoverinfo="skip"),
        dict(type="scatter", x=[float(balls[k, 0]) for k in ks], y=[float(balls[k, 1]) for k in ks], mode="markers",
             name="heavy ball θ", marker=dict(symbol="circle", size=size + 3, color="white", line=dict(color="#222222", width=2)),
             hovertemplate="ball at step %{text}<extra></extra>", text=[str(k) for k in ks]),
        dict(type="scatter", x=[float(lookahead[k, 0]) for k in ks], y=[float(lookahead[k, 1]) for k in ks], mode="markers",
             name="look-ahead θ + μv (gradient here)", marker=dict(size=size, color=colour, line=dict(color="white", width=1.5)),
             hovertemplate="look-ahead at step %{text}<extra></extra>", text=[str(k) for k in ks]),
    ]


def gradient_arrow(surface, point, presentation: bool = False) -> dict:
    """A layout annotation: an arrow along −∇f from ``point``, a tenth of the plot's width long."""
    x, y = float(point[0]), float(point[1])
    gx, gy = surface.grad(x, y)
    norm = math.hypot(gx, gy) or 1.0
    (x0, x1), _ = surface.bounds
    length = 0.1 * (x1 - x0)
    return dict(x=x - length * gx / norm, y=y - length * gy / norm, ax=x, ay=y, xref="x", yref="y", axref="x", ayref="y",
                showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=4 if presentation else 3, arrowcolor="white",
                text="−∇f", font=dict(color="white", size=20 if presentation else 15), xanchor="left", yanchor="top")


def add_annotations(figure, annotations: list[dict]):
    """Add layout annotations to a race figure (they stay put while the frames play)."""
    figure.to_dict()["layout"].setdefault("annotations", []).extend(annotations)
    return figure


def add_traces(figure, traces: list[dict]):
    """Append static traces to a race figure; the animation frames address earlier traces only."""
    figure.to_dict()["data"].extend(traces)
    return figure


# ----- AdaGrad / RMSProp: per-coordinate step sizes -----------------------------------------------
def effective_lr_figure(rows, presentation: bool = False, stability_limit: float | None = None) -> go.Figure:
    """η/(√s + ε) per coordinate over the steps; ``rows`` is a list of (label, colour, array (n, 2)).
    ``stability_limit`` (2/λ of the steepest direction at the minimum) is drawn as a line."""
    fig = go.Figure()
    if stability_limit is not None:
        fig.add_hline(y=stability_limit, line=dict(color="#D55E00", dash="dash", width=_width(presentation)),
                      annotation_text=f"2/λmax = {stability_limit:.3g}: a plain step this large diverges",
                      annotation_position="top left", annotation_font_color="#D55E00")
    for label, colour, effective in rows:
        steps = np.arange(1, len(effective) + 1, dtype=float)
        for column, coordinate, dash in ((0, "x", "solid"), (1, "y", "dot")):
            fig.add_trace(go.Scatter(x=typed_array(steps, "f8"), y=typed_array(effective[:, column], "f8"), mode="lines",
                                     name=f"{label}: step size in {coordinate}",
                                     line=dict(color=colour, dash=dash, width=_width(presentation))))
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text="η / (√s + ε) per coordinate", type="log", exponentformat="power")
    return _layout(fig, 360, presentation, "Per-coordinate step size: the number each gradient coordinate is multiplied by")


# ----- Adam: the length of each step ---------------------------------------------------------------
def step_lengths_figure(tracks, first: int = 100, presentation: bool = False) -> go.Figure:
    fig = go.Figure()
    for track in tracks:
        lengths = np.hypot(*np.diff(track.path[: first + 1], axis=0).T)
        steps = np.arange(1, len(lengths) + 1, dtype=float)
        fig.add_trace(go.Scatter(x=steps, y=lengths, mode="lines+markers", name=track.label,
                                 line=dict(color=track.colour, dash=track.dash, width=_width(presentation)),
                                 marker=dict(size=7 if presentation else 5)))
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(title_text="‖θ_t − θ_{t−1}‖", type="log", exponentformat="power")
    return _layout(fig, 360, presentation, f"Length of each of the first {first} steps")


# ----- schedules: how close each run settles ---------------------------------------------------------
def settled_loss_figure(tracks, captions, reference_loss: float | None, last: int = 50, presentation: bool = False) -> go.Figure:
    """Average loss gap over each run's last ``last`` steps, one bar per run, on a log scale."""
    names = [caption or track.label for track, caption in zip(tracks, list(captions) + [""] * len(tracks))]
    values = [float(np.mean(t.loss[-last:] - (reference_loss or 0.0))) for t in tracks]
    fig = go.Figure(go.Bar(x=names, y=values, marker=dict(color=[t.colour for t in tracks], line=dict(color="black", width=1)),
                           text=[f"{v:.3g}" for v in values], textposition="outside",
                           hovertemplate="%{x}: %{y:.4g}<extra></extra>"))
    fig.update_yaxes(type="log", exponentformat="power", title_text=f"mean of loss − f* over the last {last} steps")
    return _layout(fig, 360, presentation, f"Where each schedule settles: average loss over the last {last} steps")


# ----- local minima: where each start ends -----------------------------------------------------------
def starts_figure(surface, grid: SurfaceGrid, paths, endings, presentation: bool = False, points: int = 300) -> go.Figure:
    """Many runs of one optimizer from a grid of starts, each coloured by the minimum it ends in.

    ``endings[i]`` is the index of the minimum path i ends in (in ``surface.minima``), or -1.
    """
    (x0, x1), (y0, y1) = surface.bounds
    minima = list(surface.minima)
    fig = go.Figure()
    fig.add_layout_image(dict(source=png_data_uri(grid), xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                              sizing="stretch", layer="below"))
    groups = {}
    for path, ending in zip(paths, endings):
        groups.setdefault(ending, []).append(path)
    for ending in sorted(groups, key=lambda e: (e < 0, e)):
        # one trace per ending: paths thinned to at most `points` vertices (first and last kept),
        # joined by NaN gaps, sent as float32 arrays: 63 x 2000 points as lists took 3 s a rerun
        pieces, sx, sy = [], [], []
        for path in groups[ending]:
            keep = np.unique(np.r_[np.linspace(0, len(path) - 1, min(points, len(path))).astype(int), len(path) - 1])
            pieces += [path[keep], np.full((1, 2), np.nan)]
            sx.append(float(path[0, 0]))
            sy.append(float(path[0, 1]))
        joined = np.concatenate(pieces)
        xs, ys = typed_array(joined[:, 0]), typed_array(joined[:, 1])
        if ending >= 0:
            m = minima[ending]
            colour = _ENDING_COLOURS[ending % len(_ENDING_COLOURS)]
            name = f"{len(groups[ending])} starts end in the {m.kind} minimum at ({m.x:.2f}, {m.y:.2f})"
        else:
            colour, name = _NO_MINIMUM, f"{len(groups[ending])} starts end at no minimum"
        fig.add_trace(dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color=colour, width=2 if presentation else 1.2),
                           name=name, legendgroup=str(ending), hoverinfo="skip", connectgaps=False))
        fig.add_trace(go.Scatter(x=sx, y=sy, mode="markers", marker=dict(color=colour, size=9 if presentation else 6,
                                                                        line=dict(color="black", width=0.8)),
                                 legendgroup=str(ending), showlegend=False, hovertemplate="start (%{x:.2f}, %{y:.2f})<extra></extra>"))
    fig.add_trace(go.Scatter(x=[m.x for m in minima], y=[m.y for m in minima], mode="markers", name="known minima",
                             marker=dict(symbol=["star" if m.kind == "global" else "star-open" for m in minima],
                                         size=16 if presentation else 12, color="white", line=dict(color="black", width=1.2))))
    fig.update_xaxes(range=[x0, x1], showgrid=False, zeroline=False, constrain="domain")
    fig.update_yaxes(range=[y0, y1], showgrid=False, zeroline=False, scaleanchor="x")
    return _layout(fig, 520 if presentation else 460, presentation, "Where each start ends (same optimizer and η as the first run)")


# ----- minibatch lessons: iterations against epochs, epoch ends, a held-out loss ---------------------
def _gap(loss, reference_loss):
    return np.maximum(np.asarray(loss) - (reference_loss or 0.0), 1e-16)


def iterations_and_epochs_figure(tracks, epochs, captions, reference_loss, presentation: bool = False) -> go.Figure:
    """The same loss curves twice: against iterations (left) and against epochs, i.e. example
    gradients computed over N (right). ``epochs[i]`` is run i's epoch count at each iterate."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=("by iteration (one update each)",
                                                        "by epoch (N example gradients each)"), horizontal_spacing=0.09)
    for track, epoch, caption in zip(tracks, epochs, list(captions) + [""] * len(tracks)):
        gap = _gap(track.loss, reference_loss)
        name = caption or track.label
        line = dict(color=track.colour, dash=track.dash, width=_width(presentation) + 0.5)
        fig.add_trace(go.Scatter(x=typed_array(np.arange(len(gap), dtype=float), "f8"), y=typed_array(gap, "f8"), mode="lines",
                                 name=name, line=line, legendgroup=name), row=1, col=1)
        fig.add_trace(go.Scatter(x=typed_array(np.asarray(epoch, dtype=float)[:len(gap)], "f8"), y=typed_array(gap, "f8"),
                                 mode="lines", name=name, line=line, legendgroup=name, showlegend=False), row=1, col=2)
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_yaxes(title_text="loss − L*", row=1, col=1)
    fig.update_xaxes(title_text="iteration", type="log", row=1, col=1)
    fig.update_xaxes(title_text="epoch", range=[0, max((float(e[-1]) for e in epochs), default=1.0)], row=1, col=2)
    return _layout(fig, 420, presentation, "Count iterations, or count examples: the same runs, two x-axes")


def epoch_ends_figure(tracks, epochs, unseen, captions, reference_loss, presentation: bool = False) -> go.Figure:
    """Loss by epoch with a marker at every whole epoch (left), and the share of examples each run
    never drew in each epoch (right). ``unseen[i]`` is run i's share per epoch."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.1,
                        subplot_titles=("loss by epoch; dots at the end of each epoch", "examples never drawn in the epoch"))
    for track, epoch, share, caption in zip(tracks, epochs, unseen, list(captions) + [""] * len(tracks)):
        gap = _gap(track.loss, reference_loss)
        epoch = np.asarray(epoch, dtype=float)[:len(gap)]
        ends = np.flatnonzero(np.isclose(epoch, np.round(epoch)) & (epoch > 0))
        name = caption or track.label
        line = dict(color=track.colour, dash=track.dash, width=_width(presentation))
        fig.add_trace(go.Scatter(x=typed_array(epoch, "f8"), y=typed_array(gap, "f8"), mode="lines", name=name, line=line,
                                 opacity=0.55, legendgroup=name), row=1, col=1)
        fig.add_trace(go.Scatter(x=epoch[ends], y=gap[ends], mode="markers", name=f"{name}: epoch ends", legendgroup=name,
                                 marker=dict(color=track.colour, size=10 if presentation else 7, line=dict(color="black", width=1))),
                      row=1, col=1)
        fig.add_trace(go.Bar(x=np.arange(1, len(share) + 1), y=100 * np.asarray(share), name=f"{name}: never drawn",
                             marker=dict(color=track.colour), legendgroup=name, showlegend=False), row=1, col=2)
    fig.update_yaxes(type="log", exponentformat="power", title_text="loss − L*", row=1, col=1)
    fig.update_yaxes(title_text="% of the examples", range=[0, 60], row=1, col=2)
    fig.update_xaxes(title_text="epoch", row=1, col=1)
    fig.update_xaxes(title_text="epoch", row=1, col=2)
    fig.update_layout(barmode="group")
    return _layout(fig, 420, presentation, "At the end of each epoch: who has seen every example, and where the loss is")


def held_out_figure(track, held_loss, presentation: bool = False) -> go.Figure:
    """The training loss and the held-out loss along one run, the held-out minimum marked: where to stop."""
    steps = np.arange(len(track.loss), dtype=float)
    held_loss = np.asarray(held_loss, dtype=float)
    stop = int(np.argmin(held_loss))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=typed_array(steps, "f8"), y=typed_array(np.asarray(track.loss), "f8"), mode="lines",
                             name="training loss (the 10 examples it learns from)",
                             line=dict(color=track.colour, width=_width(presentation) + 0.5)))
    fig.add_trace(go.Scatter(x=typed_array(steps, "f8"), y=typed_array(held_loss, "f8"), mode="lines",
                             name="held-out loss (examples it never sees)",
                             line=dict(color="#D55E00", width=_width(presentation) + 0.5, dash="dash")))
    fig.add_trace(go.Scatter(x=[float(stop)], y=[float(held_loss[stop])], mode="markers+text", name="stop here",
                             text=[f"  lowest held-out loss: step {stop}"], textposition="top right",
                             marker=dict(symbol="diamond", size=16 if presentation else 12, color="#D55E00",
                                         line=dict(color="black", width=1))))
    fig.update_yaxes(type="log", exponentformat="power", title_text="mean logistic loss")
    fig.update_xaxes(title_text="iteration")
    return _layout(fig, 400, presentation, "Training loss against held-out loss: early stopping keeps the lowest held-out point")


# ----- the stability limit: η·λmax along each run ---------------------------------------------------
def stability_figure(tracks, ratios, captions, presentation: bool = False) -> go.Figure:
    """η_t·λmax(θ_t) along each run (``ratios[i]``, one value a step), with the line at 2 above which a plain
    gradient step at that place makes the error across the steepest direction grow."""
    fig = go.Figure()
    for track, ratio, caption in zip(tracks, ratios, list(captions) + [""] * len(tracks)):
        steps = np.arange(len(ratio), dtype=float)
        fig.add_trace(go.Scatter(x=typed_array(steps, "f8"), y=typed_array(np.asarray(ratio, dtype=float), "f8"), mode="lines",
                                 name=caption or track.label,
                                 line=dict(color=track.colour, dash=track.dash, width=_width(presentation) + 0.5)))
    fig.add_hline(y=2.0, line=dict(color="#D55E00", dash="dash", width=_width(presentation)),
                  annotation_text="2: above it a step makes the bounce across the steepest direction grow",
                  annotation_position="top left", annotation_font_color="#D55E00")
    fig.update_yaxes(type="log", exponentformat="power", title_text="η · λmax(θ) where the run is")
    fig.update_xaxes(title_text="step")
    return _layout(fig, 380, presentation, "The stability limit, measured where each run is: η·λmax against 2")


# ----- a live class: the class's answers on the projector ------------------------------------------
def class_points_trace(points, presentation: bool = False, name: str = "the class's predictions") -> dict:
    """Every student's predicted end point, as translucent dots (dense where many agree)."""
    xs = [float(p[0]) for p in points]
    ys = [float(p[1]) for p in points]
    return dict(type="scatter", x=xs, y=ys, mode="markers", name=f"{name} ({len(xs)})",
                marker=dict(symbol="circle", size=16 if presentation else 11, color="rgba(213, 94, 0, 0.45)",
                            line=dict(color="#FFFFFF", width=1.5)),
                hovertemplate="a prediction (%{x:.3g}, %{y:.3g})<extra></extra>")


def answer_bars_figure(options, counts, right: int | None = None, presentation: bool = False,
                       title: str = "The class's answers") -> go.Figure:
    """One bar per option with how many picked it; after the reveal, the right option in green."""
    colours = ["#0072B2" if right is None else ("#009E73" if i == right else "#BBBBBB") for i in range(len(options))]
    labels = [f"{chr(65 + i)}. {text}" for i, text in enumerate(options)]
    fig = go.Figure(go.Bar(x=list(counts), y=labels, orientation="h", marker_color=colours, text=list(counts),
                           textposition="outside", hovertemplate="%{y}: %{x}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(rangemode="tozero", dtick=max(1, math.ceil(max(counts or [1]) / 8)), title="students")
    return _layout(fig, 110 + 70 * len(options) if presentation else 90 + 48 * len(options), presentation, title)
