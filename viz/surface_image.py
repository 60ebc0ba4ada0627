"""The landscape drawn once as a picture, to sit under animated trajectories.

Plotly drops contour and heatmap traces while an animation plays (plotly.js #4491), and
re-sending them in every frame made 150 MB figures in a trial. A PNG in ``layout.images``
stays put, costs tens of kilobytes, and lets frames carry only the trajectories.
"""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import cachetools.func

import numpy as np
from PIL import Image
from plotly.colors import get_colorscale, sample_colorscale

COLOURSCALE = "Viridis"
LEVELS = 24  # colour bands: quantizing the shading draws the level sets as band edges
# Grid points per axis of a map's picture: about one per screen pixel of a 440-500 px map, so
# the band edges are drawn as lines, not as 3 px stairs (160 was visibly stepped on a projector).
MAP_RESOLUTION = 480


@dataclass(frozen=True, eq=False)  # hashed by identity, so its picture can be memoized
class SurfaceGrid:
    xs: np.ndarray
    ys: np.ndarray
    z: np.ndarray  # (len(ys), len(xs)) loss values, non-finite replaced by the maximum
    shade: np.ndarray  # same shape, in [0, 1]: what the colours encode
    log_scale: bool
    z_low: float
    z_high: float


def evaluate(landscape, resolution: int = 160, bounds=None) -> SurfaceGrid:
    """Loss over a grid covering ``bounds`` (default: the landscape's), ready to colour."""
    (x0, x1), (y0, y1) = bounds or landscape.bounds
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    z = landscape.f(*np.meshgrid(xs, ys))
    finite = np.isfinite(z)
    if not finite.any():
        z = np.zeros_like(z)
        finite = np.ones_like(z, dtype=bool)
    z = np.where(finite, z, z[finite].max())
    low, high = float(z.min()), float(z.max())
    # Log colours where the surface spans decades: otherwise a steep wall whitens everything.
    log_scale = bool(landscape.log_colors) or (high - low) > 1e3 * max(np.percentile(z, 50) - low, 1e-12)
    if log_scale:
        shade = np.log10(z - low + 1e-3 * max(high - low, 1e-12) / 1e3)
    else:
        shade = z.copy()
    s_low, s_high = shade.min(), shade.max()
    shade = (shade - s_low) / (s_high - s_low) if s_high > s_low else np.zeros_like(shade)
    return SurfaceGrid(xs, ys, z, shade, log_scale, low, high)


def _palette(levels: int) -> np.ndarray:
    colours = sample_colorscale(get_colorscale(COLOURSCALE), np.linspace(0, 1, levels), colortype="rgb")
    return np.array([[int(float(c)) for c in colour[4:-1].split(",")] for colour in colours], dtype=np.uint8)


def band_colours(levels: int = LEVELS) -> np.ndarray:
    """The picture's colours as RGB rows: the bands, then the same darkened for their edges."""
    palette = _palette(levels)
    return np.concatenate([palette, (palette * 0.8).astype(np.uint8)])


def banded_image(grid: SurfaceGrid, levels: int = LEVELS) -> Image.Image:
    """The banded picture of the shading (row 0 at the top), as an indexed Pillow image."""
    band = np.minimum((grid.shade * levels).astype(int), levels - 1)
    # darken each band edge slightly: reads as contour lines without a contour trace
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    # An indexed PNG (the bands, then the same colours darkened for the edges): at 480 x 480 it
    # weighs about what the RGB one did at 160 x 160 and encodes in a few ms instead of tens.
    palette = band_colours(levels)
    index = (band + levels * edge).astype(np.uint8)[::-1]  # image rows run downwards, y runs upwards
    image = Image.fromarray(index)  # mode L; putpalette makes it P
    image.putpalette(palette.ravel().tolist())
    return image


@cachetools.func.ttl_cache(maxsize=64, ttl=900)  # bounded in time too: a long class must not keep every map
def png_data_uri(grid: SurfaceGrid, levels: int = LEVELS) -> str:
    """A banded PNG of the shading (row 0 at the top), as a data URI for ``layout.images``."""
    buffer = io.BytesIO()
    banded_image(grid, levels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
