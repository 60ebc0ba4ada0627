"""Numbers that go beside the charts: the race's summary and the CSV export."""
from __future__ import annotations

import io
import math

import numpy as np


def convergence_tolerance(landscape) -> float:
    """'At a minimum' means within 0.5% of the plot's diagonal of it."""
    (x0, x1), (y0, y1) = landscape.bounds
    return 0.005 * math.hypot(x1 - x0, y1 - y0)


def first_step_within(path: np.ndarray, landscape, tolerance: float):
    """First step at which the run is within ``tolerance`` of any known minimum (or valley of minima), else None."""
    if not landscape.minima or len(path) == 0:
        return None
    _, distances = landscape.nearest_minima(path[:, 0], path[:, 1])  # to a valley, where minima form one
    hits = np.flatnonzero(distances <= tolerance)
    return int(hits[0]) if hits.size else None


def summary_rows(tracks, landscape, seconds) -> list[dict]:
    """One row a run; ``seconds``: each run's kernel time (``ui.compute.run_cached`` times warm calls)."""
    tolerance = convergence_tolerance(landscape)
    rows = []
    for track, kernel_seconds in zip(tracks, seconds):
        end = track.path[-1]
        nearest, distance = landscape.nearest_minimum(float(end[0]), float(end[1]))
        reached = first_step_within(track.path, landscape, tolerance)
        rows.append({
            "run": track.label,
            "final loss": float(track.loss[-1]),
            "distance to nearest minimum": distance if nearest is not None else float("nan"),
            # words, not None, where a run never got there: the table is read by students
            "first step near a minimum": "never" if reached is None else str(reached),
            "diverged at step": "—" if track.diverged_at is None else str(track.diverged_at),
            "why": track.diverged_because or ("—" if track.diverged_at is None else "left the plot"),
            # None: the interpreter drew this first view while the kernel compiled; no kernel time yet
            "kernel time (µs)": float("nan") if kernel_seconds is None else round(1e6 * kernel_seconds, 1),
        })
    return rows


def trajectories_csv(tracks) -> str:
    """Every point of every run, one row per step: run, optimizer, step, x, y, loss, grad_norm, lr."""
    buffer = io.StringIO()
    buffer.write("run,optimizer,step,x,y,loss,grad_norm,lr\n")
    for track in tracks:
        lr = np.append(track.lr, np.nan)  # no step leaves the last point
        for k in range(len(track.path)):
            lr_text = "" if not np.isfinite(lr[k]) else repr(float(lr[k]))
            label = track.label.replace('"', "'")
            # repr of a Python float: the shortest text that reads back to the same double (NumPy 2's
            # repr of its own floats writes "np.float64(...)", which no spreadsheet reads)
            x, y, loss, grad_norm = (float(v) for v in (track.path[k, 0], track.path[k, 1], track.loss[k], track.grad_norm[k]))
            buffer.write(f'"{label}",{track.optimizer},{k},{x!r},{y!r},{loss!r},{grad_norm!r},{lr_text}\n')
    return buffer.getvalue()
