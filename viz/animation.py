"""The race as a video for slides and handouts: an animated GIF or an MP4.

Each frame is drawn with Pillow over the same banded landscape picture the live map shows
(``viz.surface_image``): the trails so far in the runs' colours, each head as a dot, the start,
the known minima, a legend and a step counter. Drawn at twice the size and shrunk, so lines are
smooth. GIF frames are written by Pillow (the library imageio's own GIF plugin uses) with one
palette for the whole race, so each frame stores only where the trails grew; MP4 (H.264) by
imageio through imageio-ffmpeg, whose wheel ships the ffmpeg binary.
"""
from __future__ import annotations

import io
import math
import os
import tempfile
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .surface_image import SurfaceGrid, band_colours, banded_image

WIDTHS = (640, 960, 1280)  # what the export offers: a handout, a slide, a full-HD slide
MAX_FRAMES = 300  # 15 s at 20 frames per second: an upper bound on the work and the file
FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf")
_SUPERSAMPLE = 2


@dataclass(frozen=True)
class Video:
    data: bytes
    frames: int
    width: int
    height: int
    fps: int
    kind: str  # "gif" or "mp4"

    @property
    def kilobytes(self) -> float:
        return len(self.data) / 1024


def _font(size: int):
    for path in FONT_FILES:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))


def frame_steps(total_steps: int, count: int) -> np.ndarray:
    """The step each frame shows: ``count`` frames from the start to the last step, evenly spread."""
    count = max(2, min(int(count), MAX_FRAMES, total_steps + 1))
    return np.unique(np.round(np.linspace(0, total_steps, count)).astype(int))


class _Canvas:
    """The fixed parts of every frame (picture, legend, minima, start) and where data coordinates land."""

    def __init__(self, grid: SurfaceGrid, tracks, start, minima, title: str, width: int):
        s = _SUPERSAMPLE
        self.scale = s
        (x0, x1), (y0, y1) = (grid.xs[0], grid.xs[-1]), (grid.ys[0], grid.ys[-1])
        self.bounds = (x0, x1, y0, y1)
        margin = 16 * s
        map_width = width * s - 2 * margin
        aspect = (y1 - y0) / (x1 - x0)
        map_height = int(map_width * min(max(aspect, 0.4), 1.0))
        text = width / 640  # text grows with the video, so it reads the same on a slide of any size
        self.font = _font(round(16 * text) * s)
        self.small = _font(round(14 * text) * s)
        line_height = round(22 * text) * s
        legend_height = line_height * (len(tracks) + 1) + 8 * s
        header = round(30 * text) * s
        self.box = (margin, header, margin + map_width, header + map_height)
        height = header + map_height + legend_height
        height += (-height) % (16 * s)  # H.264 wants sides in multiples of 16 (of the final size)
        self.size = (width * s, height)
        base = Image.new("RGB", self.size, "white")
        picture = banded_image(grid).convert("RGB").resize((map_width, map_height), Image.Resampling.LANCZOS)
        base.paste(picture, (self.box[0], self.box[1]))
        draw = ImageDraw.Draw(base)
        draw.text((margin, 6 * s), title, fill=(40, 40, 40), font=self.font)
        for m in minima:
            self._star(draw, self.point(m.x, m.y), 8 * s)
        cx, cy = self.point(*start)
        radius = 7 * s
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill="white", outline=(34, 34, 34), width=2 * s)
        top = self.box[3] + 10 * s
        for i, track in enumerate(tracks):
            y = top + i * line_height
            middle = y + line_height // 2
            draw.line((margin, middle, margin + round(28 * text) * s, middle), fill=_rgb(track.colour), width=5 * s)
            draw.text((margin + round(36 * text) * s, middle), track.label, fill=(40, 40, 40), font=self.small, anchor="lm")
        self.counter_at = (margin, top + len(tracks) * line_height)
        self.base = base

    def point(self, x: float, y: float) -> tuple[float, float]:
        x0, x1, y0, y1 = self.bounds
        left, top, right, bottom = self.box
        return left + (x - x0) / (x1 - x0) * (right - left), bottom - (y - y0) / (y1 - y0) * (bottom - top)

    @staticmethod
    def _star(draw, centre, radius):
        cx, cy = centre
        points = []
        for k in range(10):
            r = radius if k % 2 == 0 else radius * 0.45
            angle = -math.pi / 2 + k * math.pi / 5
            points.append((cx + r * math.cos(angle), cy + r * math.sin(angle)))
        draw.polygon(points, fill="white", outline=(0, 0, 0))

    def _points(self, track, first: int, last: int) -> list:
        s = self.scale
        left, top, right, bottom = self.box
        # a diverged run leaves the map: clamp far points so the line still points the way it went
        return [(min(max(px, left - 50 * s), right + 50 * s), min(max(py, top - 50 * s), bottom + 50 * s))
                for px, py in (self.point(float(x), float(y)) for x, y in track.path[first:last + 1])]

    def frames(self, tracks, steps) -> list:
        """One frame a step of ``steps`` (increasing): trails grow on a layer kept between frames, so each
        frame draws only its new segments, the heads and the counter."""
        s = self.scale
        left, top, right, bottom = self.box
        total = max((len(t.path) - 1 for t in tracks), default=0)
        trails = self.base.copy()
        draw_trails = ImageDraw.Draw(trails)
        drawn = [0] * len(tracks)
        out = []
        for step in steps:
            for i, track in enumerate(tracks):
                upto = min(int(step), len(track.path) - 1)
                if upto > drawn[i]:
                    draw_trails.line(self._points(track, drawn[i], upto), fill=_rgb(track.colour), width=3 * s, joint="curve")
                    drawn[i] = upto
            image = trails.copy()
            # the trails stay inside the map: repaint the margins over anything drawn past its edges
            width, height = image.size
            for area in ((0, 0, width, top), (0, bottom, width, height), (0, top, left, bottom), (right, top, width, bottom)):
                image.paste(self.base.crop(area), area[:2])
            draw = ImageDraw.Draw(image)
            for i, track in enumerate(tracks):
                hx, hy = self._points(track, drawn[i], drawn[i])[0]
                if left <= hx <= right and top <= hy <= bottom:
                    r = 6 * s
                    draw.ellipse((hx - r, hy - r, hx + r, hy + r), fill=_rgb(track.colour), outline="white", width=2 * s)
            draw.text(self.counter_at, f"step {int(step)} of {total}", fill=(40, 40, 40), font=self.small)
            out.append(np.asarray(image.reduce(s)))  # a box filter over the 2 x 2 supersamples: smooth lines, fast
        return out


def render_frames(grid: SurfaceGrid, tracks, start, minima, title: str, *, width: int = 960, frames: int = 120) -> list:
    """The race as RGB frames (arrays of height × width × 3), one per shown step."""
    if width not in WIDTHS:
        raise ValueError(f"Invalid width: {width!r}; allowed: {', '.join(map(str, WIDTHS))}")
    canvas = _Canvas(grid, tracks, start, minima, title, width)
    total = max((len(t.path) - 1 for t in tracks), default=0)
    return canvas.frames(tracks, frame_steps(total, frames))


def gif_palette(run_colours) -> np.ndarray:
    """At most 256 RGB rows: greys, the picture's bands, each run's colour and its mixes with white and the bands."""
    greys = np.linspace(0, 255, 16).astype(np.uint8)[:, None].repeat(3, axis=1)
    bands = band_colours()
    runs = np.array([_rgb(c) for c in run_colours], dtype=float).reshape(-1, 3)
    mixes = [runs * w + 255 * (1 - w) for w in (0.35, 0.7)]
    mixes += [runs * 0.5 + bands[i] * 0.5 for i in range(0, len(bands) // 2, 4)]  # anti-aliased edges over the map
    rows = np.concatenate([greys, bands, runs] + mixes).clip(0, 255).astype(np.uint8)
    return np.unique(rows, axis=0)[:256]


def encode(frames: list, fps: int, kind: str, run_colours=()) -> Video:
    """Encode frames as an animated GIF (looping) or an H.264 MP4 at ``fps`` frames per second;
    ``run_colours``: the trails' colours, which a GIF's palette must hold exactly."""
    import imageio.v2 as imageio  # imported here: only an export needs it

    if kind not in ("gif", "mp4"):
        raise ValueError(f"Invalid video kind: {kind!r}; allowed: gif, mp4")
    if not 1 <= fps <= 60:
        raise ValueError(f"Invalid frame rate: {fps!r}; allowed range is [1, 60]")
    height, width = frames[0].shape[:2]
    if kind == "gif":
        # One palette for all frames, so each frame differs from the one before only where the trails
        # grew and the GIF stores just that: the picture's bands, the runs' colours (a median cut over
        # the frames dropped a thin trail's colour entirely), their blends with the bands, greys for text.
        palette = Image.new("P", (1, 1))
        palette.putpalette(gif_palette(run_colours).ravel().tolist())
        images = [Image.fromarray(frame).quantize(palette=palette, dither=Image.Dither.NONE) for frame in frames]
        buffer = io.BytesIO()
        images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0)
        return Video(buffer.getvalue(), len(frames), width, height, fps, kind)
    handle, path = tempfile.mkstemp(suffix=".mp4")
    os.close(handle)
    try:
        writer = imageio.get_writer(path, format="FFMPEG", fps=fps, codec="libx264", quality=7, pixelformat="yuv420p",
                                    macro_block_size=16, ffmpeg_log_level="error")
        for frame in frames:
            writer.append_data(frame)
        writer.close()
        with open(path, "rb") as handle_in:
            data = handle_in.read()
    finally:
        os.remove(path)
    return Video(data, len(frames), width, height, fps, kind)


def race_video(grid: SurfaceGrid, tracks, start, minima, title: str, *, kind: str, width: int = 960, fps: int = 20,
               seconds: float = 6.0) -> Video:
    """The whole export: ``seconds`` of race at ``fps`` (at most MAX_FRAMES frames), as a GIF or an MP4."""
    if not 1.0 <= seconds <= 15.0:
        raise ValueError(f"Invalid length: {seconds!r} s; allowed range is [1, 15]")
    count = min(MAX_FRAMES, int(round(fps * seconds)))
    return encode(render_frames(grid, tracks, start, minima, title, width=width, frames=count), fps, kind,
                  [t.colour for t in tracks])
