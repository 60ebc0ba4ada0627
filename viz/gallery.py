"""Figures of the landscape gallery: a small 3-D view, and the contour beside a curvature map.

Built as plain dicts (plotly validates every property of a figure built through its object
API; for sixteen cards that cost more than computing the surfaces). The contour is the banded
PNG of ``viz.surface_image``, the curvature map a heatmap of the Hessian's smallest eigenvalue
or of its condition number, so ravines (large κ) and saddle regions (λ_min < 0) show up.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .figures import FONT, PROJECTOR_TEXT, PrebuiltFigure, enlarge_text, scene_layout, surface_heights, typed_array
from .surface_image import SurfaceGrid, png_data_uri

MAP_KINDS = {
    "condition": "condition number κ = max|λ| / min|λ| (log₁₀)",
    "smallest": "smallest eigenvalue λ_min (signed log scale)",
}
CONDITION_CAP = 4.0  # log10 κ: 1e4 and above (singular lines included) share the darkest colour


def signed_log(values: np.ndarray) -> np.ndarray:
    """sign(v) · log10(1 + |v|): keeps the sign (saddle or bowl) while spanning decades of curvature."""
    return np.sign(values) * np.log10(1.0 + np.abs(values))


def curvature_values(curvature, kind: str) -> tuple[np.ndarray, dict]:
    """What the map colours, and the colour settings that go with it."""
    if kind == "smallest":
        shown = signed_log(curvature.smallest)
        finite = np.isfinite(shown)
        reach = float(np.abs(shown[finite]).max()) if finite.any() else 1.0
        reach = reach if reach > 0 else 1.0
        ticks = [v for v in (-1e4, -1e3, -100, -10, -1, 0, 1, 10, 100, 1e3, 1e4) if abs(signed_log(np.array(v))) <= reach * 1.01]
        colours = dict(colorscale="RdBu", reversescale=True, zmid=0.0,  # red: curving down (saddle, cap)
                        zmin=-reach, zmax=reach,
                       colorbar=dict(title=dict(text="λ_min", side="right"), thickness=12, len=0.9,
                                     tickvals=[float(signed_log(np.array(v))) for v in ticks], ticktext=[f"{v:g}" for v in ticks]))
        return np.where(finite, shown, 0.0), colours
    shown = np.minimum(curvature.log10_condition, CONDITION_CAP)
    # one scale on every card, so cards compare: pale where round, dark red in ravines
    ticks = list(range(0, int(CONDITION_CAP) + 1))
    colours = dict(colorscale="YlOrRd", zmin=0.0, zmax=CONDITION_CAP,
                   colorbar=dict(title=dict(text="κ", side="right"), thickness=12, len=0.9, tickvals=ticks,
                                 ticktext=[f"{10 ** v:g}" for v in ticks[:-1]] + [f"≥{10 ** ticks[-1]:g}"]))
    return shown, colours


def grid_array(values) -> dict:
    """A 2-D float32 array in plotly.js's binary form: a quarter of the bytes of a JSON list of lists."""
    array = np.ascontiguousarray(values, dtype=np.float32)
    return dict(typed_array(array.ravel()), shape=f"{array.shape[0]},{array.shape[1]}")


def _markers(landscape, point, xaxis: str, yaxis: str, legend: bool) -> list[dict]:
    minima = landscape.minima
    return [
        dict(type="scatter", x=[m.x for m in minima], y=[m.y for m in minima], mode="markers", name="known minima",
             marker=dict(symbol=["star" if m.kind == "global" else "star-open" for m in minima], size=11, color="white",
                         line=dict(color="black", width=1.2)),
             hovertemplate="minimum (%{x:.4g}, %{y:.4g})<extra></extra>", xaxis=xaxis, yaxis=yaxis, showlegend=legend,
             legendgroup="minima"),
        dict(type="scatter", x=[float(point[0])], y=[float(point[1])], mode="markers", name="chosen point",
             marker=dict(symbol="x-thin", size=14, color="#00E5FF", line=dict(color="#00E5FF", width=3)),
             hovertemplate="chosen point (%{x:.4g}, %{y:.4g})<extra></extra>", xaxis=xaxis, yaxis=yaxis,
             showlegend=legend, legendgroup="point"),
    ]


def map_figure(landscape, grid: SurfaceGrid, curvature, point, kind: str = "condition", height: int = 330,
               presentation: bool = False) -> go.Figure:
    """Two panels: the contour (banded image) with the minima, and the curvature map; the chosen point on both
    (text at projector size with ``presentation``)."""
    if kind not in MAP_KINDS:
        raise ValueError(f"Invalid map kind {kind!r}; expected one of {list(MAP_KINDS)}")
    (x0, x1), (y0, y1) = landscape.bounds
    values, colours = curvature_values(curvature, kind)
    hover = "(%{x:.3g}, %{y:.3g})<br>" + ("log₁₀ κ = %{z:.2f}" if kind == "condition" else "signed log λ_min = %{z:.2f}")
    data = [dict(type="scatter", x=[x0, x1], y=[y0, y1], mode="markers", marker=dict(opacity=0), showlegend=False,
                 hoverinfo="skip", xaxis="x", yaxis="y")]  # gives the image panel its ranges
    data += _markers(landscape, point, "x", "y", True)
    data.append(dict(type="heatmap", x=typed_array(curvature.xs, "f8"), y=typed_array(curvature.ys, "f8"),
                     z=grid_array(values), xaxis="x2", yaxis="y2",
                     hovertemplate=hover + "<extra></extra>", **colours))
    data += _markers(landscape, point, "x2", "y2", False)
    axis = dict(showgrid=False, zeroline=False)
    layout = dict(
        # the legend in a bottom margin of its own: laid over the plot's foot it hid the x tick labels
        height=height, font=dict(FONT, size=12),
        margin=dict(l=10, r=10, t=round(30 * PROJECTOR_TEXT) if presentation else 30,
                    b=round(48 * PROJECTOR_TEXT) if presentation else 48), plot_bgcolor="white",
        showlegend=True, legend=dict(orientation="h", x=0, y=0, yref="container", yanchor="bottom", font=dict(size=11)),
        xaxis=dict(axis, domain=[0.0, 0.45], range=[x0, x1]), yaxis=dict(axis, range=[y0, y1]),
        xaxis2=dict(axis, domain=[0.53, 0.93], range=[x0, x1]), yaxis2=dict(axis, range=[y0, y1], anchor="x2"),
        images=[dict(source=png_data_uri(grid), xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                     sizing="stretch", layer="below")],
        annotations=[dict(text="contour and minima", x=0.0, y=1.0, xref="paper", yref="paper", showarrow=False,
                          xanchor="left", yanchor="bottom", font=dict(size=12)),
                     dict(text=MAP_KINDS[kind].split(" (")[0], x=0.53, y=1.0, xref="paper", yref="paper", showarrow=False,
                          xanchor="left", yanchor="bottom", font=dict(size=12))],
        dragmode=False,
    )
    figure = {"data": data, "layout": layout}
    return PrebuiltFigure(enlarge_text(figure) if presentation else figure)


def surface3d_figure(landscape, grid: SurfaceGrid, point=None, height: int = 330, presentation: bool = False) -> go.Figure:
    """A small 3-D view, its heights and scene as on the Compare page (log height where the surface spans
    decades, a valley's floor drawn in every cell it crosses)."""
    xs, ys, heights, height_of = surface_heights(landscape, grid)
    data = [dict(type="surface", x=typed_array(xs), y=typed_array(ys),
                 z=grid_array(heights), colorscale="Viridis",
                 showscale=False, hovertemplate="(%{x:.3g}, %{y:.3g})<extra></extra>",
                 contours=dict(z=dict(show=True, usecolormap=True, project_z=True)))]
    if point is not None:
        value = landscape.f(float(point[0]), float(point[1]))
        if np.isfinite(value):
            data.append(dict(type="scatter3d", x=[float(point[0])], y=[float(point[1])], z=[float(height_of(value))],
                             mode="markers", marker=dict(size=5, color="#00E5FF"), name="chosen point", showlegend=False))
    layout = dict(height=height, font=dict(FONT, size=14 if presentation else 11), margin=dict(l=0, r=0, t=0, b=0),
                  showlegend=False,
                  scene=scene_layout(landscape, "log₁₀(f − f_min)" if grid.log_scale else "f", presentation))
    return PrebuiltFigure({"data": data, "layout": layout})


def minima_rows(landscape) -> list[dict]:
    """The known minima as table rows."""
    return [{"x": m.x, "y": m.y, "f": m.value, "kind": m.kind} for m in landscape.minima]


__all__ = ["MAP_KINDS", "curvature_values", "map_figure", "minima_rows", "signed_log", "surface3d_figure"]
