"""The driver loop shared by every optimizer: record, check for divergence, perturb, step.

One kernel serves every (surface, optimizer) pair: ``literally`` makes numba compile and
disk-cache a specialization per pair of registry positions (about 0.5 s once, about 10 ms to
load afterwards), in which the surface and the update rule are inlined.
"""
import math

import numpy as np
from numba import literally, njit, prange, types
from numba.np.unsafe.ndarray import to_fixed_tuple

from ._base import flush
from ._dispatch import rule_init, rule_step
from ._surfaces import surface_grad, surface_value
from ._oracle import perturb


@njit(cache=True, nogil=True, inline="always")
def _escaped(x, y, f, gx, gy, escape):
    """True when the run must stop: anything non-finite, or the point far outside the plot."""
    if not (math.isfinite(f) and math.isfinite(gx) and math.isfinite(gy)):
        return True
    return not (escape[0] <= x <= escape[1] and escape[2] <= y <= escape[3])


@njit(cache=True, nogil=True)
def trace(lid, oid, p, hp, x, y, lr, lr_factor, oracle, escape, path, loss, grad_norm, lr_used):
    """Fill path/loss/grad_norm (steps+1 rows) and lr_used (steps); return the stop index.

    Returns -1 when all steps completed, or k when the k-th point was non-finite or escaped:
    rows 0..k-1 hold the valid trajectory, and nothing non-finite is ever stored.
    """
    literally(lid)
    literally(oid)
    state = rule_init(oid, hp)
    steps = lr_factor.shape[0]
    for t in range(steps + 1):
        f = surface_value(lid, x, y, p)
        gx, gy = surface_grad(lid, x, y, p)
        if _escaped(x, y, f, gx, gy, escape):
            return t
        path[t, 0] = x
        path[t, 1] = y
        loss[t] = f
        grad_norm[t] = math.sqrt(gx * gx + gy * gy)
        if t == steps:
            break
        lr_t = lr * lr_factor[t]
        lr_used[t] = lr_t
        gx, gy = perturb(gx, gy, t, 0, oracle)
        x, y, state = rule_step(oid, lid, t + 1, x, y, f, gx, gy, lr_t, hp, state, p, oracle)
        x = flush(x)
        y = flush(y)
    return -1


@njit(cache=True, nogil=True, parallel=True)
def trace_many(lid, oid, hp_len, p, hp_table, starts, lrs, seeds, lr_factor, oracle_base, escape, target_loss,
               final_point, final_loss, final_grad_norm, stopped_at, reached_at):
    """Run every row of ``starts``/``hp_table``/``lrs``/``seeds`` in parallel, keeping summaries.

    ``stopped_at[i]`` is -1 or the index where run i diverged (as ``trace`` returns);
    ``reached_at[i]`` is the first step whose loss is at or below ``target_loss``, or -1.
    """
    literally(lid)
    literally(oid)
    literally(hp_len)
    steps = lr_factor.shape[0]
    noise, _, clip_value, clip_norm = oracle_base
    for i in prange(starts.shape[0]):
        hp = to_fixed_tuple(hp_table[i], hp_len)
        oracle = (noise, seeds[i], clip_value, clip_norm)
        state = rule_init(oid, hp)
        x = starts[i, 0]
        y = starts[i, 1]
        lr = lrs[i]
        reached = -1
        stopped = -1
        f = 0.0
        gnorm = 0.0
        last_x = x
        last_y = y
        for t in range(steps + 1):
            f_t = surface_value(lid, x, y, p)
            gx, gy = surface_grad(lid, x, y, p)
            if _escaped(x, y, f_t, gx, gy, escape):
                stopped = t
                break
            f = f_t
            last_x = x
            last_y = y
            gnorm = math.sqrt(gx * gx + gy * gy)
            if reached < 0 and f <= target_loss:
                reached = t
            if t == steps:
                break
            gx, gy = perturb(gx, gy, t, 0, oracle)
            x, y, state = rule_step(oid, lid, t + 1, x, y, f, gx, gy, lr * lr_factor[t], hp, state, p, oracle)
            x = flush(x)
            y = flush(y)
        final_point[i, 0] = last_x
        final_point[i, 1] = last_y
        final_loss[i] = f
        final_grad_norm[i] = gnorm
        stopped_at[i] = stopped
        reached_at[i] = reached


_ENTRY_POINTS: dict = {}


def call_specialized(kernel, literal_count: int, *args):
    """Call ``kernel``, skipping numba's literal re-dispatch after the first call.

    Dispatching a ``literally`` kernel from Python costs about 55 ms per call (numba types it
    without literals, catches the request for literals, types it again). After the first call
    the specialization for these literal values is looked up once and its compiled entry point
    called directly, which costs microseconds.
    """
    key = (kernel.py_func.__name__,) + args[:literal_count]
    entry = _ENTRY_POINTS.get(key)
    if entry is not None:
        return entry(*args)
    result = kernel(*args)
    wanted = tuple(types.literal(a) for a in args[:literal_count])
    for signature, compiled in kernel.overloads.items():
        if tuple(signature[:literal_count]) == wanted:
            _ENTRY_POINTS[key] = compiled.entry_point
            break
    return result
