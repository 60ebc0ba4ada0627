"""The driver loops shared by every optimizer: record, check for divergence, perturb, step.

One kernel serves every (surface, optimizer) pair: ``literally`` makes numba compile and
disk-cache a specialization per pair of registry positions (about a second once, about
10 ms to load afterwards), in which the surface and the update rule are inlined.
"""
import math

import numpy as np
from landscapes._base import JIT_OPTIONS
from numba import literally, njit, prange, types
from numba.cpython.unsafe.tuple import tuple_setitem
from numba.np.unsafe.ndarray import to_fixed_tuple

from ._base import flush
from ._dispatch import rule_init, rule_step
from ._oracle import add_noise, clip, perturb
from ._surfaces import surface_grad, surface_value

# Runs advanced together by one thread in a batch: long enough for SIMD and to hide the
# latency of each run's dependent chain, short enough that their state stays in L1/L2.
BATCH_CHUNK = 128


@njit(inline="always", **JIT_OPTIONS)
def _healthy(x, y, f, gx, gy, escape):
    """False once the run must stop: anything non-finite, or the point far outside the plot."""
    finite = math.isfinite(f) and math.isfinite(gx) and math.isfinite(gy)
    return finite and escape[0] <= x <= escape[1] and escape[2] <= y <= escape[3]


@njit(**JIT_OPTIONS)
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
        if not _healthy(x, y, f, gx, gy, escape):
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


@njit(parallel=True, **JIT_OPTIONS)
def trace_many(lid, oid, hp_len, noisy, clipped, p, hp_table, starts, lrs, seeds, lr_factor, oracle, escape, target_loss,
               final_point, final_loss, final_grad_norm, stopped_at, reached_at):
    """Batch of runs for update rules whose state is a tuple; the runs of a chunk advance in step.

    Column i of ``hp_table`` (hp_len x n) holds run i's packed hyperparameters, and each
    run's state is kept column-wise too, so the inner loop over runs is branch-free and
    LLVM vectorizes it. Results are bit-identical to ``trace`` (same operations, in order).
    ``stopped_at[i]`` is -1 or the index where run i diverged (as ``trace`` returns);
    ``reached_at[i]`` is the first step whose loss is at or below ``target_loss``, or -1.
    """
    literally(lid)
    literally(oid)
    literally(hp_len)
    literally(noisy)
    literally(clipped)
    steps = lr_factor.shape[0]
    n = starts.shape[0]
    noise, _, clip_value, clip_norm = oracle
    hp_template = to_fixed_tuple(np.zeros(hp_len), hp_len)
    for chunk in prange((n + BATCH_CHUNK - 1) // BATCH_CHUNK):
        lo = chunk * BATCH_CHUNK
        m = min(lo + BATCH_CHUNK, n) - lo
        state_template = rule_init(oid, hp_template)
        size = len(state_template)
        hps = hp_table[:, lo:lo + m].copy()
        states = np.empty((size, m))
        xs = starts[lo:lo + m, 0].copy()
        ys = starts[lo:lo + m, 1].copy()
        run_lrs = lrs[lo:lo + m].copy()
        last_x = xs.copy()
        last_y = ys.copy()
        last_f = np.full(m, np.nan)  # stays NaN only for a run invalid at its start
        stop = np.full(m, -1, np.int64)
        reach = np.full(m, -1, np.int64)
        for i in range(m):
            hp = hp_template
            for k in range(hp_len):
                hp = tuple_setitem(hp, k, hps[k, i])
            state = rule_init(oid, hp)
            for k in range(size):
                states[k, i] = state[k]
        for t in range(steps + 1):
            if t % 16 == 0 and (stop >= 0).all():
                break  # every run of the chunk has diverged: later steps would record nothing
            factor = lr_factor[t] if t < steps else 0.0
            for i in range(m):
                x = xs[i]
                y = ys[i]
                f = surface_value(lid, x, y, p)
                gx, gy = surface_grad(lid, x, y, p)
                running = stop[i] < 0
                ok = running and _healthy(x, y, f, gx, gy, escape)
                stop[i] = t if (running and not ok) else stop[i]
                reach[i] = t if (ok and reach[i] < 0 and f <= target_loss) else reach[i]
                last_f[i] = f if ok else last_f[i]
                last_x[i] = x if ok else last_x[i]
                last_y[i] = y if ok else last_y[i]
                hp = hp_template
                for k in range(hp_len):
                    hp = tuple_setitem(hp, k, hps[k, i])
                state = state_template
                for k in range(size):
                    state = tuple_setitem(state, k, states[k, i])
                if noisy:
                    gx, gy = add_noise(gx, gy, t, 0, noise, seeds[lo + i])
                if clipped:  # a disabled clip multiplies by exactly 1: skipping its sqrt and division changes no bit
                    gx, gy = clip(gx, gy, clip_value, clip_norm)
                nx, ny, state = rule_step(oid, lid, t + 1, x, y, f, gx, gy, run_lrs[i] * factor, hp, state, p, oracle)
                advance = ok and t < steps
                xs[i] = flush(nx) if advance else x
                ys[i] = flush(ny) if advance else y
                for k in range(size):
                    states[k, i] = state[k] if advance else states[k, i]
        for i in range(m):
            gx, gy = surface_grad(lid, last_x[i], last_y[i], p)
            final_point[lo + i, 0] = last_x[i]
            final_point[lo + i, 1] = last_y[i]
            final_loss[lo + i] = last_f[i]
            final_grad_norm[lo + i] = math.sqrt(gx * gx + gy * gy)
            stopped_at[lo + i] = stop[i]
            reached_at[lo + i] = reach[i]


@njit(parallel=True, **JIT_OPTIONS)
def trace_many_serial(lid, oid, hp_len, p, hp_table, starts, lrs, seeds, lr_factor, oracle, escape, target_loss,
                      final_point, final_loss, final_grad_norm, stopped_at, reached_at):
    """Batch of runs for update rules with array state (L-BFGS): one ``trace`` per run."""
    literally(lid)
    literally(oid)
    literally(hp_len)
    steps = lr_factor.shape[0]
    noise, _, clip_value, clip_norm = oracle
    hp_template = to_fixed_tuple(np.zeros(hp_len), hp_len)
    for i in prange(starts.shape[0]):
        hp = hp_template
        for k in range(hp_len):
            hp = tuple_setitem(hp, k, hp_table[k, i])
        path = np.empty((steps + 1, 2))
        loss = np.empty(steps + 1)
        grad_norm = np.empty(steps + 1)
        lr_used = np.empty(steps)
        stop = trace(lid, oid, p, hp, starts[i, 0], starts[i, 1], lrs[i], lr_factor,
                     (noise, seeds[i], clip_value, clip_norm), escape, path, loss, grad_norm, lr_used)
        last = steps if stop < 0 else stop - 1
        if last < 0:  # invalid at its start: report the start, with no loss
            path[0, 0], path[0, 1], loss[0], grad_norm[0], last = starts[i, 0], starts[i, 1], np.nan, np.nan, 0
        reached = -1
        for t in range(last + 1):
            if loss[t] <= target_loss:
                reached = t
                break
        final_point[i, 0] = path[last, 0]
        final_point[i, 1] = path[last, 1]
        final_loss[i] = loss[last]
        final_grad_norm[i] = grad_norm[last]
        stopped_at[i] = stop
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
