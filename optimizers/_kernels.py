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

from ._base import flush, sqrt
from ._dispatch import rule_init, rule_step
from ._oracle import add_noise, clip, perturb
from ._surfaces import surface_grad, surface_value
from . import compile_worker
from .kernel_queue import QUEUE, in_compiler_thread

# Once the queue has run dry (a new server's warm-up list done), the compile workers, which have
# loaded every kernel they compiled (1-2 GiB), end; a later request starts them again.
QUEUE.on_idle(compile_worker.stop_all)

# Runs advanced together by one thread in a batch: long enough for SIMD and to hide the
# latency of each run's dependent chain, short enough that their state stays in L1/L2.
BATCH_CHUNK = 128


@njit(inline="always", **JIT_OPTIONS)
def healthy(x, y, f, gx, gy, escape):
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
        if not healthy(x, y, f, gx, gy, escape):
            return t
        path[t, 0] = x
        path[t, 1] = y
        loss[t] = f
        grad_norm[t] = sqrt(gx * gx + gy * gy)
        if t == steps:
            break
        lr_t = lr * lr_factor[t]
        lr_used[t] = lr_t
        gx, gy = perturb(gx, gy, t, 0, oracle)
        x, y, state = rule_step(oid, lid, t + 1, x, y, f, gx, gy, lr_t, hp, state, p, oracle)
        x = flush(x)
        y = flush(y)
    return -1


# Rows of a chunk's work table (rows x BATCH_CHUNK): one column per run, then its packed
# hyperparameters, then its update-rule state. One table rather than an array per quantity:
# LLVM must prove that the arrays a loop writes do not overlap before it vectorizes the loop,
# and with a dozen separate arrays it gave up ("too many memory checks"); rows of one table a
# constant BATCH_CHUNK apart it can reason about. Step counts are stored as floats (exact).
_X, _Y, _LAST_X, _LAST_Y, _LAST_F, _STOP, _REACH, _LR, _HP = range(9)


@njit(parallel=True, **JIT_OPTIONS)
def trace_many(lid, oid, hp_len, noisy, clipped, p, hp_table, starts, lrs, seeds, lr_factor, oracle, escape, target_loss,
               final_point, final_loss, final_grad_norm, stopped_at, reached_at):
    """Batch of runs for update rules whose state is a tuple; the runs of a chunk advance in step.

    Column i of ``hp_table`` (hp_len x n) holds run i's packed hyperparameters. The loop over
    the runs of a chunk is branch-free (selects and ``&``, never ``and``: a short-circuit made
    LLVM scatter a row) and always BATCH_CHUNK wide, so LLVM vectorizes it; lanes past the last
    run repeat it and are dropped. Results are bit-identical to ``trace`` (same operations, in
    order). ``stopped_at[i]`` is -1 or the index where run i diverged (as ``trace`` returns);
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
        state_row = _HP + hp_len
        work = np.empty((state_row + size, BATCH_CHUNK))
        for i in range(BATCH_CHUNK):
            run = lo + min(i, m - 1)
            work[_X, i] = work[_LAST_X, i] = starts[run, 0]
            work[_Y, i] = work[_LAST_Y, i] = starts[run, 1]
            work[_LAST_F, i] = np.nan  # stays NaN only for a run invalid at its start
            work[_STOP, i] = -1.0
            work[_REACH, i] = -1.0
            work[_LR, i] = lrs[run]
            hp = hp_template
            for k in range(hp_len):
                work[_HP + k, i] = hp_table[k, run]
                hp = tuple_setitem(hp, k, hp_table[k, run])
            state = rule_init(oid, hp)
            for k in range(size):
                work[state_row + k, i] = state[k]
        for t in range(steps + 1):
            if t % 16 == 0 and (work[_STOP] >= 0.0).all():
                break  # every run of the chunk has diverged: later steps would record nothing
            factor = lr_factor[t] if t < steps else 0.0
            now = float(t)
            for i in range(BATCH_CHUNK):
                x = work[_X, i]
                y = work[_Y, i]
                f = surface_value(lid, x, y, p)
                gx, gy = surface_grad(lid, x, y, p)
                stop = work[_STOP, i]
                running = stop < 0.0
                ok = running & healthy(x, y, f, gx, gy, escape)
                work[_STOP, i] = now if (running & (not ok)) else stop
                reach = work[_REACH, i]
                work[_REACH, i] = now if (ok & (reach < 0.0) & (f <= target_loss)) else reach
                work[_LAST_F, i] = f if ok else work[_LAST_F, i]
                work[_LAST_X, i] = x if ok else work[_LAST_X, i]
                work[_LAST_Y, i] = y if ok else work[_LAST_Y, i]
                hp = hp_template
                for k in range(hp_len):
                    hp = tuple_setitem(hp, k, work[_HP + k, i])
                state = state_template
                for k in range(size):
                    state = tuple_setitem(state, k, work[state_row + k, i])
                if noisy:
                    gx, gy = add_noise(gx, gy, t, 0, noise, seeds[lo + min(i, m - 1)])
                if clipped:  # a disabled clip multiplies by exactly 1: skipping its sqrt and division changes no bit
                    gx, gy = clip(gx, gy, clip_value, clip_norm)
                nx, ny, state = rule_step(oid, lid, t + 1, x, y, f, gx, gy, work[_LR, i] * factor, hp, state, p, oracle)
                advance = ok & (t < steps)
                work[_X, i] = flush(nx) if advance else x
                work[_Y, i] = flush(ny) if advance else y
                for k in range(size):
                    work[state_row + k, i] = state[k] if advance else work[state_row + k, i]
        for i in range(m):
            gx, gy = surface_grad(lid, work[_LAST_X, i], work[_LAST_Y, i], p)
            final_point[lo + i, 0] = work[_LAST_X, i]
            final_point[lo + i, 1] = work[_LAST_Y, i]
            final_loss[lo + i] = work[_LAST_F, i]
            final_grad_norm[lo + i] = sqrt(gx * gx + gy * gy)
            stopped_at[lo + i] = int(work[_STOP, i])
            reached_at[lo + i] = int(work[_REACH, i])


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
    if in_compiler_thread():  # the background queue's calls are small: a child compiles, this process loads
        compile_worker.for_this_thread().compile(kernel.py_func.__name__, args)
    result = kernel(*args)
    wanted = tuple(types.literal(a) for a in args[:literal_count])
    for signature, compiled in kernel.overloads.items():
        if tuple(signature[:literal_count]) == wanted:
            _ENTRY_POINTS[key] = compiled.entry_point
            break
    return result


def call_compiled(kernel, *args):
    """``kernel(*args)`` for a kernel without literal arguments (numba's dispatcher picks the specialization
    by the arguments' types in microseconds); from the compile queue's thread a child compiles it first, as
    in ``call_specialized``, and this process loads it."""
    if not kernel.overloads and in_compiler_thread():
        compile_worker.for_this_thread().compile(kernel.py_func.__name__, args)
    return kernel(*args)


def is_compiled(kernel, literals: tuple) -> bool:
    """Whether ``call_specialized(kernel, ...)`` with these literal arguments runs without compiling."""
    return (kernel.py_func.__name__,) + tuple(literals) in _ENTRY_POINTS


def trace_many_one_by_one(lid, oid, hp_len, p, hp_table, starts, lrs, seeds, lr_factor, oracle, escape, target_loss,
                          final_point, final_loss, final_grad_norm, stopped_at, reached_at):
    """``trace_many_serial`` as a Python loop over the compiled ``trace``: a batch before its kernel compiles.

    A batch kernel takes 5-12 s to compile; ``trace`` for the same pair about one. Each run is
    the same ``trace`` call the batch kernels match bit for bit, so the results are identical;
    only the loop is slower (a few microseconds a run on top of the run itself).
    """
    steps = lr_factor.shape[0]
    noise, _, clip_value, clip_norm = oracle
    path, loss, grad_norm, lr_used = np.empty((steps + 1, 2)), np.empty(steps + 1), np.empty(steps + 1), np.empty(steps)
    for i in range(starts.shape[0]):
        stop = call_specialized(trace, 2, lid, oid, p, tuple(float(v) for v in hp_table[:, i]), float(starts[i, 0]),
                                float(starts[i, 1]), float(lrs[i]), lr_factor, (noise, int(seeds[i]), clip_value, clip_norm),
                                escape, path, loss, grad_norm, lr_used)
        last = steps if stop < 0 else stop - 1
        if last < 0:  # invalid at its start: report the start, with no loss
            path[0], loss[0], grad_norm[0], last = starts[i], np.nan, np.nan, 0
        below = np.flatnonzero(loss[:last + 1] <= target_loss)
        final_point[i] = path[last]
        final_loss[i] = loss[last]
        final_grad_norm[i] = grad_norm[last]
        stopped_at[i] = stop
        reached_at[i] = below[0] if below.size else -1


# What the compile worker process may be asked to compile (with minibatch's kernel, which imports this module).
COMPILED_IN_BACKGROUND = (trace, trace_many, trace_many_serial)
