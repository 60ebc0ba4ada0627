"""Engine benchmark: ns per step, batch throughput and start-up, printed beside their targets.

    python benchmarks/bench_engine.py            # full: every optimizer on every landscape
    python benchmarks/bench_engine.py --quick    # CI: a subset, under ~3 minutes with a cold cache
    python benchmarks/bench_engine.py --json benchmarks/results/run.json
    python benchmarks/bench_engine.py --optimizers adam,sgd --landscapes rosenbrock --skip many,startup

A plain script, not a test: the machines are shared and noisy (2 cores), so each number is
the min of several repeats taken in this one run (the median is printed beside it), repeats
of the things a ratio compares are interleaved, and the verdicts use the min: background load
only ever adds time. It never exits non-zero because a target is missed.

Cost: a kernel compiles per (landscape, optimizer) pair on first use, about 1 s for a single
trajectory and 5-10 s for the parallel batch kernel, then loads from the on-disk cache. The
full mode over every pair therefore takes tens of minutes with a cold cache, a few with a warm one.

What it measures
  a. One trajectory with its history recorded (``optimizers.run``; ``Result.elapsed`` times only
     the kernel): ns per step for every optimizer on every landscape in ``landscapes.names()``,
     at a learning rate that does not diverge (lowered until the run covers every step), next to
     a plain-Python loop of the same update on Rosenbrock (the speed-up), and again over
     1,000,000 steps, most of them after convergence, where decayed state can sink into slow
     subnormal arithmetic.
  b. ``run_many`` over a 256 x 256 grid of start points x 500 steps (compiled first, then timed).
  c. Start-up in a fresh subprocess: time to the first trajectory with an empty Numba cache,
     and Numba's share (import numba + first call) with a warm on-disk cache.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import landscapes  # noqa: E402  (configures numba before it is imported)
import numba  # noqa: E402
import numpy as np  # noqa: E402
import optimizers  # noqa: E402

# ----- targets ----------------------------------------------------------------------------------
TARGET_NS_PER_STEP = 35.0
TARGET_SPEEDUP = 25.0
TARGET_MANY_HEADLINE_S = 0.05  # momentum on Himmelblau, 256 x 256 starts x 500 steps
TARGET_MANY_PAIR_S = 0.2  # any pair, 256 x 256 x 500
TARGET_COLD_START_S = 5.0
TARGET_WARM_NUMBA_S = 1.0

HEADLINE = ("adam", "rosenbrock")
MANY_HEADLINE = ("momentum", "himmelblau")
STEPS = 200_000
LONG_STEPS = 1_000_000
PY_STEPS = 20_000
MANY_GRID, MANY_STEPS = 256, 500
QUICK_MANY = ("sgd", "momentum", "adam", "newton", "lbfgs")  # --quick batch subset: one per family
# A 1M-step run this much slower per step than the 200k-step one flags a subnormal trap (they
# cost 3-20x per step); background load alone has produced 1.6x between two mins here.
TRAP_RATIO = 2.0
LR_LADDER = 6  # try lr, lr/10, ... lr/10**5 before giving up on a full-length run

TINY = 1e-300  # optimizers._base.TINY: the engine flushes |v| <= TINY to zero


# ----- small helpers ----------------------------------------------------------------------------
def med(values):
    return statistics.median(values) if values else math.nan


def fmt(value, spec=".1f", width=0):
    text = "-" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)
    return text.rjust(width)


def log(*parts):
    print(*parts, flush=True)


def grid_starts(surface, n):
    (x0, x1), (y0, y1) = surface.bounds
    xs, ys = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return np.stack([xs, ys], axis=-1)


def default_lr(optimizer):
    return float(optimizers.get(optimizer).defaults["lr"])


# ----- pure-Python references (Rosenbrock) ------------------------------------------------------
# Plain loops doing per step what the kernel does: evaluate f and the gradient, stop on a
# non-finite value or an escape, record point, loss, gradient norm and lr, update, flush.
# Each is written out in full with its hyperparameters in locals and the surface inline, the
# fastest plain Python we know, so the speed-up is not flattered by call or lookup overhead.
# Each mirrors the kernel's operations in order, so its path can be compared bit for bit.
def _buffers(steps):
    return [None] * (steps + 1), [0.0] * (steps + 1), [0.0] * (steps + 1), [0.0] * steps


def py_sgd(x, y, steps, lr, hp, a, b, box):
    x_lo, x_hi, y_lo, y_hi = box
    isfinite, sqrt = math.isfinite, math.sqrt
    path, loss, grad_norm, lr_used = _buffers(steps)
    for t in range(steps + 1):
        r = y - x * x
        f = (a - x) ** 2 + b * (y - x * x) ** 2
        gx = -2.0 * (a - x) - 4.0 * b * x * r
        gy = 2.0 * b * r
        if not (isfinite(f) and isfinite(gx) and isfinite(gy)) or not (x_lo <= x <= x_hi and y_lo <= y <= y_hi):
            return path[:t]
        path[t] = (x, y)
        loss[t] = f
        grad_norm[t] = sqrt(gx * gx + gy * gy)
        if t == steps:
            break
        lr_used[t] = lr
        x = x - lr * gx
        y = y - lr * gy
        x = x if abs(x) > TINY else 0.0
        y = y if abs(y) > TINY else 0.0
    return path


def py_momentum(x, y, steps, lr, hp, a, b, box):
    """Heavy ball as torch.optim.SGD(momentum=μ), and Nesterov's form with ``hp["nesterov"]``."""
    x_lo, x_hi, y_lo, y_hi = box
    isfinite, sqrt = math.isfinite, math.sqrt
    mu, damp, nesterov = hp["momentum"], hp["dampening"], hp["nesterov"]
    bx = by = 0.0
    path, loss, grad_norm, lr_used = _buffers(steps)
    for t in range(steps + 1):
        r = y - x * x
        f = (a - x) ** 2 + b * (y - x * x) ** 2
        gx = -2.0 * (a - x) - 4.0 * b * x * r
        gy = 2.0 * b * r
        if not (isfinite(f) and isfinite(gx) and isfinite(gy)) or not (x_lo <= x <= x_hi and y_lo <= y <= y_hi):
            return path[:t]
        path[t] = (x, y)
        loss[t] = f
        grad_norm[t] = sqrt(gx * gx + gy * gy)
        if t == steps:
            break
        lr_used[t] = lr
        if t == 0:
            bx, by = gx, gy
        else:
            bx = bx * mu + (1.0 - damp) * gx
            by = by * mu + (1.0 - damp) * gy
            bx = bx if abs(bx) > TINY else 0.0
            by = by if abs(by) > TINY else 0.0
        if nesterov:
            gx = gx + mu * bx
            gy = gy + mu * by
        else:
            gx, gy = bx, by
        x = x - lr * gx
        y = y - lr * gy
        x = x if abs(x) > TINY else 0.0
        y = y if abs(y) > TINY else 0.0
    return path


def py_adagrad(x, y, steps, lr, hp, a, b, box):
    x_lo, x_hi, y_lo, y_hi = box
    isfinite, sqrt = math.isfinite, math.sqrt
    lr_decay, eps = hp["lr_decay"], hp["eps"]
    sx = sy = hp["initial_accumulator_value"]
    path, loss, grad_norm, lr_used = _buffers(steps)
    for t in range(steps + 1):
        r = y - x * x
        f = (a - x) ** 2 + b * (y - x * x) ** 2
        gx = -2.0 * (a - x) - 4.0 * b * x * r
        gy = 2.0 * b * r
        if not (isfinite(f) and isfinite(gx) and isfinite(gy)) or not (x_lo <= x <= x_hi and y_lo <= y <= y_hi):
            return path[:t]
        path[t] = (x, y)
        loss[t] = f
        grad_norm[t] = sqrt(gx * gx + gy * gy)
        if t == steps:
            break
        lr_used[t] = lr
        clr = lr / (1.0 + t * lr_decay)
        sx = sx + gx * gx
        sy = sy + gy * gy
        x = x + (-clr * gx) / (sqrt(sx) + eps)
        y = y + (-clr * gy) / (sqrt(sy) + eps)
        x = x if abs(x) > TINY else 0.0
        y = y if abs(y) > TINY else 0.0
    return path


def py_rmsprop(x, y, steps, lr, hp, a, b, box):
    """Plain RMSProp: no centring, momentum or weight decay (the defaults)."""
    x_lo, x_hi, y_lo, y_hi = box
    isfinite, sqrt = math.isfinite, math.sqrt
    alpha, eps = hp["alpha"], hp["eps"]
    vx = vy = 0.0
    path, loss, grad_norm, lr_used = _buffers(steps)
    for t in range(steps + 1):
        r = y - x * x
        f = (a - x) ** 2 + b * (y - x * x) ** 2
        gx = -2.0 * (a - x) - 4.0 * b * x * r
        gy = 2.0 * b * r
        if not (isfinite(f) and isfinite(gx) and isfinite(gy)) or not (x_lo <= x <= x_hi and y_lo <= y <= y_hi):
            return path[:t]
        path[t] = (x, y)
        loss[t] = f
        grad_norm[t] = sqrt(gx * gx + gy * gy)
        if t == steps:
            break
        lr_used[t] = lr
        vx = vx * alpha + (1.0 - alpha) * gx * gx
        vy = vy * alpha + (1.0 - alpha) * gy * gy
        vx = vx if abs(vx) > TINY else 0.0
        vy = vy if abs(vy) > TINY else 0.0
        x = x + (-lr * gx) / (sqrt(vx) + eps)
        y = y + (-lr * gy) / (sqrt(vy) + eps)
        x = x if abs(x) > TINY else 0.0
        y = y if abs(y) > TINY else 0.0
    return path


def py_adam(x, y, steps, lr, hp, a, b, box):
    """Adam and its variants (no bias correction, AdamW's decoupled decay, AMSGrad)."""
    x_lo, x_hi, y_lo, y_hi = box
    isfinite, sqrt = math.isfinite, math.sqrt
    beta1, beta2 = hp["betas"]
    eps, weight_decay, amsgrad = hp["eps"], hp["weight_decay"], hp["amsgrad"]
    decoupled, bias_correction = hp["decoupled_weight_decay"], hp["bias_correction"]
    w = 1.0 - beta1
    lerp_from_start = w < 0.5  # torch.lerp's choice of formula, by the weight
    mx = my = vx = vy = vmax_x = vmax_y = 0.0
    beta1_t = beta2_t = 1.0
    path, loss, grad_norm, lr_used = _buffers(steps)
    for t in range(steps + 1):
        r = y - x * x
        f = (a - x) ** 2 + b * (y - x * x) ** 2
        gx = -2.0 * (a - x) - 4.0 * b * x * r
        gy = 2.0 * b * r
        if not (isfinite(f) and isfinite(gx) and isfinite(gy)) or not (x_lo <= x <= x_hi and y_lo <= y <= y_hi):
            return path[:t]
        path[t] = (x, y)
        loss[t] = f
        grad_norm[t] = sqrt(gx * gx + gy * gy)
        if t == steps:
            break
        lr_used[t] = lr
        if weight_decay != 0.0:
            if decoupled:
                x = x * (1.0 - lr * weight_decay)
                y = y * (1.0 - lr * weight_decay)
            else:
                gx = gx + weight_decay * x
                gy = gy + weight_decay * y
        if lerp_from_start:
            mx = mx + w * (gx - mx)
            my = my + w * (gy - my)
        else:
            mx = gx - (gx - mx) * (1.0 - w)
            my = gy - (gy - my) * (1.0 - w)
        mx = mx if abs(mx) > TINY else 0.0
        my = my if abs(my) > TINY else 0.0
        vx = vx * beta2 + (1.0 - beta2) * gx * gx
        vy = vy * beta2 + (1.0 - beta2) * gy * gy
        vx = vx if abs(vx) > TINY else 0.0
        vy = vy if abs(vy) > TINY else 0.0
        beta1_t = beta1_t * beta1  # running products of beta**t, as the kernel keeps them
        beta2_t = beta2_t * beta2
        beta1_t = beta1_t if abs(beta1_t) > TINY else 0.0
        beta2_t = beta2_t if abs(beta2_t) > TINY else 0.0
        if bias_correction:
            step_size = lr / (1.0 - beta1_t)
            bc2 = sqrt(1.0 - beta2_t)
        else:
            step_size, bc2 = lr, 1.0
        if amsgrad:
            vmax_x = max(vmax_x, vx)
            vmax_y = max(vmax_y, vy)
            denom_x = sqrt(vmax_x) / bc2 + eps
            denom_y = sqrt(vmax_y) / bc2 + eps
        else:
            denom_x = sqrt(vx) / bc2 + eps
            denom_y = sqrt(vy) / bc2 + eps
        x = x + (-step_size * mx) / denom_x
        y = y + (-step_size * my) / denom_y
        x = x if abs(x) > TINY else 0.0
        y = y if abs(y) > TINY else 0.0
    return path


def py_nadam(x, y, steps, lr, hp, a, b, box):
    x_lo, x_hi, y_lo, y_hi = box
    isfinite, sqrt = math.isfinite, math.sqrt
    beta1, beta2 = hp["betas"]
    eps, weight_decay, decoupled = hp["eps"], hp["weight_decay"], hp["decoupled_weight_decay"]
    w = 1.0 - beta1
    lerp_from_start = w < 0.5
    mx = my = vx = vy = 0.0
    mu_product = beta2_t = decay_t = 1.0
    decay_factor = 0.96 ** hp["momentum_decay"]
    path, loss, grad_norm, lr_used = _buffers(steps)
    for t in range(steps + 1):
        r = y - x * x
        f = (a - x) ** 2 + b * (y - x * x) ** 2
        gx = -2.0 * (a - x) - 4.0 * b * x * r
        gy = 2.0 * b * r
        if not (isfinite(f) and isfinite(gx) and isfinite(gy)) or not (x_lo <= x <= x_hi and y_lo <= y <= y_hi):
            return path[:t]
        path[t] = (x, y)
        loss[t] = f
        grad_norm[t] = sqrt(gx * gx + gy * gy)
        if t == steps:
            break
        lr_used[t] = lr
        beta2_t = beta2_t * beta2
        beta2_t = beta2_t if abs(beta2_t) > TINY else 0.0
        bias_correction2 = 1.0 - beta2_t
        if weight_decay != 0.0:
            if decoupled:
                x = x * (1.0 - lr * weight_decay)
                y = y * (1.0 - lr * weight_decay)
            else:
                gx = gx + weight_decay * x
                gy = gy + weight_decay * y
        decay_t = decay_t * decay_factor
        decay_t = decay_t if abs(decay_t) > TINY else 0.0
        mu = beta1 * (1.0 - 0.5 * decay_t)
        mu_next = beta1 * (1.0 - 0.5 * decay_t * decay_factor)
        mu_product = mu_product * mu
        mu_product = mu_product if abs(mu_product) > TINY else 0.0
        if lerp_from_start:
            mx = mx + w * (gx - mx)
            my = my + w * (gy - my)
        else:
            mx = gx - (gx - mx) * (1.0 - w)
            my = gy - (gy - my) * (1.0 - w)
        mx = mx if abs(mx) > TINY else 0.0
        my = my if abs(my) > TINY else 0.0
        vx = vx * beta2 + (1.0 - beta2) * gx * gx
        vy = vy * beta2 + (1.0 - beta2) * gy * gy
        vx = vx if abs(vx) > TINY else 0.0
        vy = vy if abs(vy) > TINY else 0.0
        denom_x = sqrt(vx / bias_correction2) + eps
        denom_y = sqrt(vy / bias_correction2) + eps
        mu_product_next = mu_product * mu_next
        grad_scale = -lr * (1.0 - mu) / (1.0 - mu_product)
        momentum_scale = (-lr * mu_next) / (1.0 - mu_product_next)
        x = x + grad_scale * gx / denom_x
        y = y + grad_scale * gy / denom_y
        x = x + momentum_scale * mx / denom_x
        y = y + momentum_scale * my / denom_y
        x = x if abs(x) > TINY else 0.0
        y = y if abs(y) > TINY else 0.0
    return path


def py_newton(x, y, steps, lr, hp, a, b, box):
    """Damped Newton with the eigenvalue floor, on the exact Hessian."""
    x_lo, x_hi, y_lo, y_hi = box
    isfinite, sqrt = math.isfinite, math.sqrt
    hypot, atan2, cos, sin = math.hypot, math.atan2, math.cos, math.sin
    damping, saddle_free = hp["damping"], hp["saddle_free"]
    path, loss, grad_norm, lr_used = _buffers(steps)
    for t in range(steps + 1):
        r = y - x * x
        f = (a - x) ** 2 + b * (y - x * x) ** 2
        gx = -2.0 * (a - x) - 4.0 * b * x * r
        gy = 2.0 * b * r
        if not (isfinite(f) and isfinite(gx) and isfinite(gy)) or not (x_lo <= x <= x_hi and y_lo <= y <= y_hi):
            return path[:t]
        path[t] = (x, y)
        loss[t] = f
        grad_norm[t] = sqrt(gx * gx + gy * gy)
        if t == steps:
            break
        lr_used[t] = lr
        hxx, hxy, hyy = 2.0 - 4.0 * b * (y - 3.0 * x * x), -4.0 * b * x, 2.0 * b
        mean, half_diff = 0.5 * (hxx + hyy), 0.5 * (hxx - hyy)
        radius = hypot(half_diff, hxy)
        angle = 0.5 * atan2(hxy, half_diff)
        lambda1, lambda2 = mean + radius, mean - radius
        floor1 = max(abs(lambda1), damping)
        floor2 = max(abs(lambda2), damping)
        if not (saddle_free or lambda1 >= 0.0):
            floor1 = -floor1
        if not (saddle_free or lambda2 >= 0.0):
            floor2 = -floor2
        c, s = cos(angle), sin(angle)
        along1 = (c * gx + s * gy) / floor1
        along2 = (-s * gx + c * gy) / floor2
        x = x - lr * (c * along1 - s * along2)
        y = y - lr * (s * along1 + c * along2)
        x = x if abs(x) > TINY else 0.0
        y = y if abs(y) > TINY else 0.0
    return path


# optimizer -> (reference, exact). exact=False would mark a reference of the same family (same
# cost structure) used for the ratio only, its path not compared. L-BFGS has none: its line
# search is too long to mirror here, and its cost is dominated by surface evaluations anyway.
# A rule missing here is timed against the test suite's reference (reference_loop), slower.
PY_REFERENCES = {
    "sgd": (py_sgd, True),
    "momentum": (py_momentum, True),
    "nesterov": (py_momentum, True),
    "adagrad": (py_adagrad, True),
    "rmsprop": (py_rmsprop, True),
    "adam": (py_adam, True),
    "adam_nobias": (py_adam, True),
    "adamw": (py_adam, True),
    "amsgrad": (py_adam, True),
    "nadam": (py_nadam, True),
    "newton": (py_newton, True),
}


def reference_loop(optimizer):
    """The pure-Python figure of a rule without an inlined loop above: the test suite's plain reference
    (tests/reference.py: one object per rule, written from the published algorithm, a method call per
    step). Slower than an inlined loop, so its speed-up flatters the kernel; the table names which it was."""
    sys.path.insert(0, str(REPO / "tests"))
    import reference  # noqa: E402  (the tests' module, found through the path just added)

    def loop(x, y, steps, lr, hp, a, b, box):
        settings = {k: v for k, v in hp.items() if k in reference.DEFAULTS[optimizer] and k != "lr"}
        run = reference.reference_run(optimizer, "rosenbrock", start=(x, y), steps=steps, lr=lr, **settings)
        return [tuple(point) for point in run.path]

    loop.__name__ = f"reference.{reference.ALGORITHMS[optimizer].__name__}"
    return loop


class PythonReference:
    """The plain-Python loop for one optimizer on Rosenbrock, at the engine run's lr and start."""

    def __init__(self, optimizer, lr, start):
        self.loop, self.exact = PY_REFERENCES[optimizer] if optimizer in PY_REFERENCES else (reference_loop(optimizer), True)
        self.optimizer, self.lr, self.start = optimizer, lr, start
        self.surface = landscapes.get("rosenbrock")
        self.a, self.b = self.surface.param_values["a"], self.surface.param_values["b"]
        spec = optimizers.get(optimizer)
        self.hp = dict(spec.resolve({"lr": lr}), **dict(spec.constants))  # constants: a variant's switches

    def path(self, steps):
        return self.loop(self.start[0], self.start[1], steps, self.lr, self.hp, self.a, self.b,
                         self.surface.escape_box)

    def sample(self):
        """ns per step of one timed run of PY_STEPS steps."""
        began = time.perf_counter()
        path = self.path(PY_STEPS)
        return (time.perf_counter() - began) / max(len(path) - 1, 1) * 1e9

    def max_path_diff(self, steps=1000):
        """Largest |difference| from the kernel's path over ``steps`` steps (inf if lengths differ)."""
        mine = np.array(self.path(steps))
        engine = optimizers.run(self.optimizer, self.surface, start=self.start, steps=steps, lr=self.lr).path
        return float(np.max(np.abs(mine - engine))) if mine.shape == engine.shape else math.inf


# ----- a. single trajectories -------------------------------------------------------------------
def find_full_run(optimizer, surface, steps, lr0):
    """The first (lr, start) on the ladder whose run covers every step, else the longest run.

    Returns (lr, start, result, complete, attempts); ``result`` is a valid timing sample,
    since the kernel was compiled before.
    """
    attempts, best = [], None
    for k in range(LR_LADDER):
        lr = lr0 * 10.0 ** -k
        for start in surface.starts:
            result = optimizers.run(optimizer, surface, start=start, steps=steps, lr=lr)
            if result.diverged_at is None:
                return lr, tuple(start), result, True, attempts
            taken = len(result.path) - 1
            attempts.append({"lr": lr, "start": list(start), "steps_taken": taken})
            if best is None or taken > len(best[2].path) - 1:
                best = (lr, tuple(start), result)
    return best[0], best[1], best[2], False, attempts


def ns_per_step(result):
    return result.elapsed / max(len(result.path) - 1, 1) * 1e9


def summary_of(samples):
    return {"ns_per_step_median": med(samples), "ns_per_step_min": min(samples), "repeats": len(samples)}


def bench_single(optimizer, name, repeats, long_repeats, py_repeats):
    """ns/step over STEPS and LONG_STEPS (and of the Python reference), repeats interleaved.

    Interleaving makes the ratios compare samples taken under the same background load.
    """
    surface = landscapes.get(name)
    record = {"optimizer": optimizer, "landscape": name}
    began = time.perf_counter()
    optimizers.run(optimizer, surface, steps=2, lr=default_lr(optimizer))  # compile, or load from cache
    record["first_call_s"] = time.perf_counter() - began

    lr, start, first, complete, attempts = find_full_run(optimizer, surface, STEPS, default_lr(optimizer))
    record.update(lr=lr, start=list(start), steps=STEPS, complete=complete, lr_attempts=attempts,
                  steps_taken=len(first.path) - 1, final=list(first.final))
    # After convergence: the same settings over 1,000,000 steps, most of them spent at the
    # minimum, where decayed state can sink into the subnormal range.
    long_lr, long_start, long_first, long_complete, _ = find_full_run(optimizer, surface, LONG_STEPS, lr)
    reference = PythonReference(optimizer, lr, start) if name == "rosenbrock" and optimizer != "lbfgs" else None

    short, long, py = [ns_per_step(first)], [ns_per_step(long_first)], []
    for _ in range(max(repeats, long_repeats, py_repeats if reference else 0)):
        if len(short) < repeats:
            short.append(ns_per_step(optimizers.run(optimizer, surface, start=start, steps=STEPS, lr=lr)))
        if reference is not None and len(py) < py_repeats:
            py.append(reference.sample())
        if len(long) < long_repeats:
            long.append(ns_per_step(optimizers.run(optimizer, surface, start=long_start, steps=LONG_STEPS, lr=long_lr)))
    record.update(summary_of(short))
    record["long"] = dict(summary_of(long), lr=long_lr, start=list(long_start), complete=long_complete,
                          steps=LONG_STEPS, steps_taken=len(long_first.path) - 1)
    record["long_vs_short"] = min(long) / min(short)
    if reference is not None:
        record["python"] = dict(summary_of(py), reference=reference.loop.__name__, exact=reference.exact,
                                steps=PY_STEPS, speedup=min(py) / min(short),
                                max_path_diff_1k=reference.max_path_diff() if reference.exact else None)
    return record


# ----- b. batches -------------------------------------------------------------------------------
def bench_many(optimizer, name, grid, steps, lr, repeats, budget_s):
    surface = landscapes.get(name)
    starts = grid_starts(surface, grid)
    began = time.perf_counter()
    optimizers.run_many(optimizer, surface, starts[:2, :2], steps=2, lr=lr)  # compile
    first_call = time.perf_counter() - began
    timings, spent, result = [], 0.0, None
    while len(timings) < repeats and (len(timings) < 1 or spent < budget_s):
        result = optimizers.run_many(optimizer, surface, starts, steps=steps, lr=lr)
        timings.append(result.elapsed)
        spent += result.elapsed
    scale = (MANY_GRID * MANY_GRID) / (grid * grid) * (MANY_STEPS / steps)
    return {"optimizer": optimizer, "landscape": name, "grid": grid, "steps": steps, "lr": lr,
            "first_call_s": first_call, "repeats": len(timings), "s_median": med(timings), "s_min": min(timings),
            "s_256_min": min(timings) * scale, "extrapolated": scale != 1.0,
            "ns_per_run_step": min(timings) / (grid * grid * steps) * 1e9,
            "diverged_fraction": float(result.diverged.mean())}


# ----- c. start-up ------------------------------------------------------------------------------
_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy
t1 = time.perf_counter()
import numba
t2 = time.perf_counter()
import optimizers, landscapes
t3 = time.perf_counter()
r = optimizers.run("adam", "rosenbrock", steps=500)
t4 = time.perf_counter()
done = time.time()
assert r.diverged_at is None and len(r.path) == 501
print(json.dumps({"done": done, "import_numpy_s": t1 - t0, "import_numba_s": t2 - t1,
                  "import_engine_s": t3 - t2, "first_call_s": t4 - t3,
                  "cache_dir": landscapes._numba_env.CACHE_DIR}))
"""


def startup_once(cache_base):
    env = dict(os.environ, LANDSCAPE_NUMBA_CACHE_BASE=cache_base, PYTHONPATH=str(REPO))
    launched = time.time()
    proc = subprocess.run([sys.executable, "-c", _CHILD], cwd=str(REPO), env=env, capture_output=True, text=True,
                          timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"start-up child failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    data["to_first_trajectory_s"] = data.pop("done") - launched
    data["numba_share_s"] = data["import_numba_s"] + data["first_call_s"]
    data["cache_files"] = sum(1 for p in pathlib.Path(data["cache_dir"]).rglob("*") if p.is_file())
    return data


def bench_startup(cold_repeats, warm_repeats):
    cold, warm = [], []
    for i in range(cold_repeats):
        with tempfile.TemporaryDirectory(prefix="bench-numba-cold-") as base:
            cold.append(startup_once(base))
            if i == cold_repeats - 1:  # reuse the last cold cache for the warm runs
                warm = [startup_once(base) for _ in range(warm_repeats)]
    def stats(runs, key):
        values = [run[key] for run in runs]
        return {"min": min(values), "median": med(values)} if values else None

    return {"cold": cold, "warm": warm,
            "cold_to_first_s": stats(cold, "to_first_trajectory_s"),
            "warm_to_first_s": stats(warm, "to_first_trajectory_s"),
            "warm_numba_share_s": stats(warm, "numba_share_s"),
            "warm_first_call_s": stats(warm, "first_call_s"),
            "warm_import_numba_s": stats(warm, "import_numba_s")}


# ----- driver -----------------------------------------------------------------------------------
def machine_info():
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=str(REPO), capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "landscapes", "optimizers"], cwd=str(REPO),
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "?", ""
    return {"python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__,
            "cpus": os.cpu_count(), "numba_threads": numba.get_num_threads(), "machine": platform.machine(),
            "processor": _cpu_model(), "commit": commit + ("+dirty" if dirty else ""),
            "numba_cache_dir": os.environ.get("NUMBA_CACHE_DIR", ""), "time": time.strftime("%Y-%m-%d %H:%M:%S"),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


def _cpu_model():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="CI mode: every optimizer on Rosenbrock plus Adam on every landscape; small batch grid")
    parser.add_argument("--json", metavar="PATH", help="also write every measurement to PATH as JSON")
    parser.add_argument("--optimizers", help="comma-separated subset of optimizers (default: all)")
    parser.add_argument("--landscapes", help="comma-separated subset of landscapes (default: all)")
    parser.add_argument("--skip", default="", help="comma-separated parts to skip: single,many,startup")
    return parser.parse_args(argv)


def choose_pairs(opt_names, land_names, quick):
    if not quick:
        return [(o, l) for l in land_names for o in opt_names]
    pairs = [(o, "rosenbrock") for o in opt_names if "rosenbrock" in land_names]
    pairs += [(HEADLINE[0], l) for l in land_names if l != "rosenbrock" and HEADLINE[0] in opt_names]
    return pairs


def main(argv=None) -> int:
    args = parse_args(argv)
    quick = args.quick
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    all_opts, all_lands = optimizers.names(), landscapes.names()
    opt_names = [o for o in all_opts if not args.optimizers or o in args.optimizers.split(",")]
    land_names = [l for l in all_lands if not args.landscapes or l in args.landscapes.split(",")]
    # 200k-step runs cost 3-300 ms, so repeats are cheap next to the compile of each pair.
    repeats, long_repeats, py_repeats = (7, 5, 5) if quick else (11, 7, 7)
    many_repeats, many_budget = (3, 3.0) if quick else (3, 4.0)

    info = machine_info()
    out = {"mode": "quick" if quick else "full", "machine": info, "optimizers": all_opts, "landscapes": all_lands,
           "targets": {"ns_per_step": TARGET_NS_PER_STEP, "speedup": TARGET_SPEEDUP,
                       "many_headline_s": TARGET_MANY_HEADLINE_S, "many_pair_s": TARGET_MANY_PAIR_S,
                       "cold_start_s": TARGET_COLD_START_S, "warm_numba_s": TARGET_WARM_NUMBA_S},
           "single": [], "many": [], "startup": None, "errors": []}
    started = time.perf_counter()
    log(f"engine benchmark ({out['mode']}) at {info['commit']}, {info['time']}")
    log(f"python {info['python']}, numpy {info['numpy']}, numba {info['numba']}; {info['cpus']} CPUs "
        f"({info['processor']}), numba threads {info['numba_threads']}, "
        f"load average {' '.join(f'{v:.2f}' for v in info['load_average'] or ())}")
    log(f"landscapes: {', '.join(all_lands)}")
    log(f"optimizers: {', '.join(all_opts)}")
    log("timings: min of repeats (median beside it), repeats interleaved so ratios compare like with like;\n"
        "ns/step = kernel seconds (Result.elapsed) / steps taken")

    # ---- a ----
    if "single" not in skip:
        pairs = choose_pairs(opt_names, land_names, quick)
        log(f"\n[a] one trajectory, history recorded: {STEPS:,} steps, and {LONG_STEPS:,} for '1M' (mostly after "
            f"convergence); pure Python: {PY_STEPS:,} steps on rosenbrock; {len(pairs)} pairs")
        header = (f"{'optimizer':<12} {'landscape':<17} {'lr':>6} {'steps':>8} {'ns/step':>8} {'(med)':>7} "
                  f"{'1M ns/st':>8} {'1M/200k':>7} {'py ns/st':>8} {'speedup':>8} {'path ok':>8} {'1st call':>8}")
        log(header)
        log("-" * len(header))
        for optimizer, name in pairs:
            try:
                boost = 3 if (optimizer, name) == HEADLINE else 1  # the headline gets more repeats
                record = bench_single(optimizer, name, repeats * boost, long_repeats * boost, py_repeats * boost)
            except Exception as error:  # a landscape being written right now must not stop the run
                out["errors"].append({"where": f"single {optimizer}/{name}", "error": repr(error)})
                log(f"{optimizer:<12} {name:<17} ERROR {error!r}")
                continue
            out["single"].append(record)
            py = record.get("python")
            steps_text = f"{record['steps_taken']:,}" + ("" if record["complete"] else "!")
            path_ok, py_ns, speedup = "-", None, "-"
            if py is not None:
                marked = "*" if py["reference"].startswith("reference.") else ""
                py_ns, speedup = py["ns_per_step_min"], f"{py['speedup']:.1f}x{marked}"
                if not py["exact"]:
                    path_ok = "~" + py["reference"][3:]
                else:
                    diff = py["max_path_diff_1k"]
                    path_ok = "exact" if diff == 0.0 else ("yes" if diff <= 1e-9 else f"{diff:.0e}")
            long = record["long"]
            log(f"{optimizer:<12} {name:<17} {record['lr']:>6.0e} {steps_text:>8} "
                f"{fmt(record['ns_per_step_min'], '.1f', 8)} {fmt(record['ns_per_step_median'], '.1f', 7)} "
                f"{fmt(long['ns_per_step_min'], '.1f', 7)}{'' if long['complete'] else '!'}"
                f"{'' if not long['complete'] else ' '}"
                f"{fmt(record['long_vs_short'], '.2f', 7)} {fmt(py_ns, '.0f', 8)} {speedup:>8} {path_ok:>8} "
                f"{record['first_call_s']:>7.2f}s")
        log("(!: diverged even at lr/1e5, timed over the steps taken. speedup: python min / kernel min, same lr "
            "and start;\n *: against the test suite's reference (tests/reference.py, an object per rule and a method call "
            "per step),\n about 10-20x slower than an inlined loop, so that speed-up flatters the kernel.\n path ok: max "
            "|Δ| from the kernel's path over 1,000 steps <= 1e-9; exact: bit for bit)")

    # ---- b ----
    if "many" not in skip:
        log(f"\n[b] run_many: a grid of start points over the plot bounds x {MANY_STEPS} steps, compiled first; "
            f"'256² est.' scales a smaller grid linearly")
        lr_by_pair = {(r["optimizer"], r["landscape"]): r["lr"] for r in out["single"]}
        jobs = []
        head_land = MANY_HEADLINE[1] if MANY_HEADLINE[1] in all_lands else "rosenbrock"
        if head_land != MANY_HEADLINE[1]:
            log(f"note: landscape {MANY_HEADLINE[1]!r} is not registered yet; the headline batch "
                f"({MANY_HEADLINE[0]}) runs on {head_land!r} as a stand-in")
        jobs.append((MANY_HEADLINE[0], head_land, MANY_GRID, True))
        if quick:
            # Each pair compiles a parallel kernel (3-15 s cold): one optimizer per family.
            jobs += [(o, "rosenbrock", 64, False) for o in opt_names if o in QUICK_MANY and "rosenbrock" in land_names]
        else:
            jobs += [(o, l, MANY_GRID, False) for l in land_names for o in opt_names]
        header = (f"{'optimizer':<12} {'landscape':<17} {'grid':>7} {'lr':>6} {'seconds':>8} {'(med)':>7} "
                  f"{'256² est.':>9} {'ns/run-step':>11} {'diverged':>8} {'1st call':>8}")
        log(header)
        log("-" * len(header))
        for optimizer, name, grid, headline in jobs:
            lr = lr_by_pair.get((optimizer, name), default_lr(optimizer))
            try:
                record = bench_many(optimizer, name, grid, MANY_STEPS, lr, many_repeats, many_budget)
            except Exception as error:
                out["errors"].append({"where": f"many {optimizer}/{name}", "error": repr(error)})
                log(f"{optimizer:<12} {name:<17} ERROR {error!r}")
                continue
            record["headline"] = headline
            out["many"].append(record)
            log(f"{optimizer:<12} {name:<17} {f'{grid}x{grid}':>7} {lr:>6.0e} {record['s_min']:>8.3f} "
                f"{record['s_median']:>7.3f} {record['s_256_min']:>9.3f} {record['ns_per_run_step']:>11.2f} "
                f"{record['diverged_fraction']:>8.1%} {record['first_call_s']:>7.2f}s")
        if out["many"]:
            log(f"(ns/run-step: wall seconds / (runs x steps) with {numba.get_num_threads()} threads, "
                f"threading layer {numba.threading_layer()})")

    # ---- c ----
    if "startup" not in skip:
        cold_repeats, warm_repeats = (1, 3) if quick else (3, 5)
        log(f"\n[c] start-up in a fresh subprocess: optimizers.run('adam', 'rosenbrock', steps=500); "
            f"{cold_repeats} cold (empty cache), {warm_repeats} warm")
        try:
            out["startup"] = bench_startup(cold_repeats, warm_repeats)
            for kind in ("cold", "warm"):
                for run in out["startup"][kind]:
                    log(f"{kind}: first trajectory after {run['to_first_trajectory_s']:.2f} s "
                        f"(import numpy {run['import_numpy_s']:.2f}, numba {run['import_numba_s']:.2f}, "
                        f"engine {run['import_engine_s']:.2f}, first call {run['first_call_s']:.2f}; "
                        f"{run['cache_files']} cache files)")
        except Exception as error:
            out["errors"].append({"where": "startup", "error": repr(error)})
            log(f"start-up ERROR {error!r}")

    out["summary"] = summarize(out)
    out["wall_s"] = time.perf_counter() - started
    print_summary(out)
    if args.json:
        path = pathlib.Path(args.json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(out, indent=1, default=float))
        log(f"wrote {path}")
    return 0


def summarize(out):
    rows = []

    def row(metric, target, measured, unit, ok, note=""):
        rows.append({"metric": metric, "target": target, "measured": measured, "unit": unit, "ok": ok, "note": note})

    single = {(r["optimizer"], r["landscape"]): r for r in out["single"]}
    head = single.get(HEADLINE)
    name = f"{HEADLINE[0]}/{HEADLINE[1]}"
    if head:
        ns = head["ns_per_step_min"]
        row(f"{name} ns/step ({STEPS // 1000}k steps, history)", f"<= {TARGET_NS_PER_STEP:g} ns", ns, "ns",
            ns <= TARGET_NS_PER_STEP, f"median {head['ns_per_step_median']:.1f}")
        if "python" in head:
            py = head["python"]
            row(f"{name} speed-up vs pure Python", f">= {TARGET_SPEEDUP:g}x", py["speedup"], "x",
                py["speedup"] >= TARGET_SPEEDUP, f"python {py['ns_per_step_min']:.0f} ns/step")
        long = head["long"]["ns_per_step_min"]
        row(f"{name} ns/step after convergence (1M)", f"<= {TARGET_NS_PER_STEP:g} ns", long, "ns",
            long <= TARGET_NS_PER_STEP, f"{head['long_vs_short']:.2f}x the {STEPS // 1000}k-step rate")
    if out["single"]:
        worst = max(out["single"], key=lambda r: r["ns_per_step_min"])
        within = sum(r["ns_per_step_min"] <= TARGET_NS_PER_STEP for r in out["single"])
        row("pairs within the ns/step target", f"all {len(out['single'])}", within, "pairs",
            within == len(out["single"]),
            f"slowest {worst['optimizer']}/{worst['landscape']} {worst['ns_per_step_min']:.0f} ns")
        trapped = sorted((r for r in out["single"] if r["long_vs_short"] > TRAP_RATIO), key=lambda r: -r["long_vs_short"])
        row(f"pairs slower after convergence (> {TRAP_RATIO:g}x)", "none", len(trapped), "pairs", not trapped,
            ", ".join(f"{r['optimizer']}/{r['landscape']} {r['long_vs_short']:.1f}x" for r in trapped[:3]))
        with_py = [r for r in out["single"] if "python" in r]
        if with_py:
            low = min(with_py, key=lambda r: r["python"]["speedup"])
            ok_count = sum(r["python"]["speedup"] >= TARGET_SPEEDUP for r in with_py)
            row("optimizers >= 25x vs pure Python (rosenbrock)", f"all {len(with_py)}", ok_count, "optimizers",
                ok_count == len(with_py), f"lowest {low['optimizer']} {low['python']['speedup']:.1f}x")
    heads = [r for r in out["many"] if r["headline"]]
    if heads:
        h = heads[0]
        stand_in = "" if h["landscape"] == MANY_HEADLINE[1] else f"; stand-in: {MANY_HEADLINE[1]} not registered"
        row(f"run_many {h['optimizer']}/{h['landscape']} 256x256x500", f"< {TARGET_MANY_HEADLINE_S:g} s",
            h["s_min"], "s", h["s_min"] < TARGET_MANY_HEADLINE_S, f"median {h['s_median']:.3f}{stand_in}")
    pairs = [r for r in out["many"] if not r["headline"]]
    if pairs:
        worst = max(pairs, key=lambda r: r["s_256_min"])
        within = sum(r["s_256_min"] < TARGET_MANY_PAIR_S for r in pairs)
        est = " (est.)" if any(r["extrapolated"] for r in pairs) else ""
        row(f"run_many slowest pair 256x256x500{est}", f"< {TARGET_MANY_PAIR_S:g} s", worst["s_256_min"], "s",
            worst["s_256_min"] < TARGET_MANY_PAIR_S,
            f"{worst['optimizer']}/{worst['landscape']}; {within} of {len(pairs)} pairs within")
    s = out["startup"]
    if s and s["cold_to_first_s"]:
        row("cold start: first trajectory, empty cache", f"< {TARGET_COLD_START_S:g} s",
            s["cold_to_first_s"]["min"], "s", s["cold_to_first_s"]["min"] < TARGET_COLD_START_S,
            f"median {s['cold_to_first_s']['median']:.2f}; {len(s['cold'])} runs")
    if s and s["warm_numba_share_s"]:
        share = s["warm_numba_share_s"]["min"]
        row("warm start: numba share (import + 1st call)", f"< {TARGET_WARM_NUMBA_S:g} s", share, "s",
            share < TARGET_WARM_NUMBA_S,
            f"import {s['warm_import_numba_s']['min']:.2f} + call {s['warm_first_call_s']['min']:.2f}; "
            f"whole start {s['warm_to_first_s']['min']:.2f} s")
    return rows


def print_summary(out):
    rows = out["summary"]
    log("\n" + "=" * 28 + f" summary ({out['mode']}): target / measured (min of repeats) / ok? " + "=" * 28)
    log(f"{'metric':<50} {'target':>9} {'measured':>10} {'ok?':>4}  note")
    for r in rows:
        m = r["measured"]
        if m is None:
            text = "n/a"
        elif r["unit"] == "ns":
            text = f"{m:.1f} ns"
        elif r["unit"] == "x":
            text = f"{m:.1f}x"
        elif r["unit"] == "s":
            text = f"{m:.3f} s" if m < 10 else f"{m:.1f} s"
        else:
            text = str(m)
        ok = "n/a" if r["ok"] is None else ("yes" if r["ok"] else "NO")
        log(f"{r['metric']:<50} {r['target']:>9} {text:>10} {ok:>4}  {r['note']}")
    judged = [r for r in rows if r["ok"] is not None]
    log(f"targets met: {sum(bool(r['ok']) for r in judged)} of {len(judged)}; benchmark wall time "
        f"{out.get('wall_s', 0):.0f} s; errors: {len(out['errors'])}")
    for error in out["errors"]:
        log(f"  error in {error['where']}: {error['error']}")


if __name__ == "__main__":
    sys.exit(main())
