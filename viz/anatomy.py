"""The anatomy figure: one step of one optimizer as arrows over a zoomed contour.

Every arrow is a displacement in the plane (gradients are drawn as −η g, the step plain
gradient descent would take with this η), so arrows are comparable with the step actually
taken. The axes keep x and y to the same scale, so directions are true. Three framings:
``fit`` shows every arrow whole, ``step`` zooms onto the step taken (longer arrows are cut
at the frame and say so), ``directions`` draws every arrow with one length from the point.
"""
from __future__ import annotations

import math

import plotly.graph_objects as go

from .figures import FONT, PrebuiltFigure
from .palette import colour
from .surface_image import evaluate, png_data_uri

FRAMINGS = {"fit": "fit every arrow", "step": "zoom on the step taken", "directions": "directions only"}
# Okabe-Ito hues for the ingredient arrows; the step taken wears the optimizer's own colour.
_INGREDIENT_COLOURS = ("#555555", "#000000", "#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#D55E00", "#0072B2", "#F0E442")
_STEP_NAME = "Δθ (step taken)"


def _clip_to_box(origin, vector, box):
    """The part of origin -> origin + vector inside box (x0, x1, y0, y1): (start, end, tip_inside, cut) or None."""
    x0, x1, y0, y1 = box
    t0, t1 = 0.0, 1.0
    for p, q in ((-vector[0], origin[0] - x0), (vector[0], x1 - origin[0]), (-vector[1], origin[1] - y0), (vector[1], y1 - origin[1])):
        if p == 0.0:
            if q < 0.0:
                return None
            continue
        r = q / p
        if p < 0.0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return None
    start = (origin[0] + t0 * vector[0], origin[1] + t0 * vector[1])
    end = (origin[0] + t1 * vector[0], origin[1] + t1 * vector[1])
    return start, end, t1 >= 1.0, t1 < 1.0 or t0 > 0.0


def _square_box(xs, ys, pad: float, minimum: float):
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys), minimum) / 2 * (1 + pad)
    return (cx - half, cx + half, cy - half, cy + half)


def frame_for(anatomy_step, landscape, framing: str):
    """The (x0, x1, y0, y1) window a framing shows."""
    point = anatomy_step.point
    (bx0, bx1), (by0, by1) = landscape.bounds
    extent = math.hypot(bx1 - bx0, by1 - by0)
    tiny = max(1e-9 * extent, 1e-12 * max(abs(point[0]), abs(point[1]), 1.0))
    if framing == "directions":
        return _square_box([point[0]], [point[1]], 0.0, 0.3 * extent)
    if framing == "step":
        step = anatomy_step.step_taken
        xs, ys = [point[0], point[0] + step[0]], [point[1], point[1] + step[1]]
        return _square_box(xs, ys, 1.2, max(math.hypot(*step), tiny))
    xs, ys = [point[0]], [point[1]]
    for arrow in anatomy_step.arrows:
        xs += [arrow.origin[0], arrow.origin[0] + arrow.vector[0]]
        ys += [arrow.origin[1], arrow.origin[1] + arrow.vector[1]]
    return _square_box(xs, ys, 0.25, tiny)


# About one grid point per screen pixel of the ~330 px plot: at 90 the band edges were stairs.
# The picture is redrawn on every step (the frame follows the step): ~7 ms here, 1 ms at 90.
_PICTURE_RESOLUTION = 320


def anatomy_figure(anatomy, t: int, framing: str = "step", height: int = 560, presentation: bool = False) -> go.Figure:
    """Step ``t`` of a replayed run (``optimizers.anatomy``) as arrows over the local contour; larger text,
    lines and markers for a projector with ``presentation``."""
    if framing not in FRAMINGS:
        raise ValueError(f"Invalid framing {framing!r}; expected one of {list(FRAMINGS)}")
    landscape = anatomy.landscape
    step = anatomy.step(t)
    box = frame_for(step, landscape, framing)
    x0, x1, y0, y1 = box
    grid = evaluate(landscape, _PICTURE_RESOLUTION, bounds=((x0, x1), (y0, y1)))
    data, annotations = [], []

    # the trajectory through the frame, for context: where the run came from and goes next
    path = anatomy.path
    data.append(dict(type="scatter", x=path[:, 0].tolist(), y=path[:, 1].tolist(), mode="lines+markers", name="trajectory",
                     line=dict(color="rgba(255,255,255,0.85)", width=1.5), marker=dict(size=4, color="white"),
                     hovertemplate="step %{customdata}: (%{x:.6g}, %{y:.6g})<extra></extra>",
                     customdata=list(range(len(path)))))
    length = 0.12 * (x1 - x0)
    palette = [c for c in _INGREDIENT_COLOURS if c.upper() != colour(anatomy.optimizer).upper()]
    ingredient = 0
    for arrow in step.arrows:
        norm = math.hypot(*arrow.vector)
        if not norm > 0.0 or not math.isfinite(norm):
            continue
        is_step = arrow.name == _STEP_NAME
        if is_step:
            arrow_colour, width = colour(anatomy.optimizer), 7 if presentation else 5
        else:
            arrow_colour, width = palette[ingredient % len(palette)], 3.5 if presentation else 2.5
            ingredient += 1
        origin, vector = arrow.origin, arrow.vector
        if framing == "directions":
            origin, vector = step.point, (vector[0] / norm * length, vector[1] / norm * length)
        clipped = _clip_to_box(origin, vector, box)
        name = arrow.name
        if clipped is None:
            name += " (outside this view)"
            data.append(dict(type="scatter", x=[None], y=[None], mode="lines", name=name, line=dict(color=arrow_colour, width=width),
                             visible="legendonly"))
            continue
        start, end, tip_inside, cut = clipped
        if cut:
            name += " (runs off the view)"
        length_text = f"length {norm:.4g}"
        data.append(dict(type="scatter", x=[start[0], end[0]], y=[start[1], end[1]], mode="lines", name=name,
                         line=dict(color=arrow_colour, width=width, dash="dot" if cut else "solid"),
                         hovertemplate=f"{arrow.name}<br>({arrow.vector[0]:.6g}, {arrow.vector[1]:.6g}), {length_text}<extra></extra>"))
        if tip_inside:
            annotations.append(dict(x=end[0], y=end[1], ax=start[0], ay=start[1], xref="x", yref="y", axref="x", ayref="y",
                                    text="", showarrow=True, arrowhead=2, arrowsize=1.2 if is_step else 1.0,
                                    arrowwidth=width, arrowcolor=arrow_colour, standoff=0))
    marker_size = 16 if presentation else 12
    data.append(dict(type="scatter", x=[step.point[0]], y=[step.point[1]], mode="markers", name=f"θ before step {t}",
                     marker=dict(size=marker_size, color="white", line=dict(color="black", width=2)),
                     hovertemplate="θ = (%{x:.10g}, %{y:.10g})<extra></extra>"))
    data.append(dict(type="scatter", x=[step.new_point[0]], y=[step.new_point[1]], mode="markers", name=f"θ after step {t}",
                     marker=dict(size=marker_size, color=colour(anatomy.optimizer), line=dict(color="white", width=2)),
                     hovertemplate="θ = (%{x:.10g}, %{y:.10g})<extra></extra>"))
    layout = dict(
        height=height, font=dict(FONT, size=18 if presentation else 13), margin=dict(l=10, r=10, t=10, b=10),
        plot_bgcolor="#f4f4f4",
        # a square frame, both axes shrinking their domain to it: the image fills the axes exactly
        xaxis=dict(range=[x0, x1], showgrid=False, zeroline=False, exponentformat="e", constrain="domain"),
        yaxis=dict(range=[y0, y1], showgrid=False, zeroline=False, exponentformat="e", scaleanchor="x", scaleratio=1,
                   constrain="domain"),
        images=[dict(source=png_data_uri(grid), xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                     sizing="stretch", layer="below")],
        annotations=annotations,
        legend=dict(orientation="h", x=0, y=-0.06, yanchor="top", font=dict(size=15 if presentation else 12)),
        dragmode="pan", uirevision=f"{anatomy.optimizer}-{t}-{framing}",
    )
    return PrebuiltFigure({"data": data, "layout": layout})


def formula_lines(formula: str) -> list[str]:
    """A registry formula cut into lines narrow enough for a side column (at its line breaks and ``,\\quad``)."""
    return [part.strip() for line in formula.split("\n") for part in line.split(r",\quad") if part.strip()]


def table_rows(step) -> tuple[list[dict], list[dict]]:
    """The numbers of one step, in two tables: vectors (quantity, x, y) and scalars (quantity, value)."""
    vectors, scalars = [], []
    for name, value in step.rows:
        if isinstance(value, tuple):
            vectors.append({"quantity": name, "x": float(value[0]), "y": float(value[1])})
        else:
            scalars.append({"quantity": name, "value": float(value)})
    return vectors, scalars


__all__ = ["FRAMINGS", "anatomy_figure", "formula_lines", "frame_for", "table_rows"]
