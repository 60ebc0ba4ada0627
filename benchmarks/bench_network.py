"""Network benchmark: a 2-16-16-1 MLP's random slice, training and curve fit, Numba beside NumPy, with targets.

    python benchmarks/bench_network.py [--repeats 5]

What the Network page computes (issue #19), on two moons of 625 points (500 for training, 125 for
testing, ``classification.make("moons", n=625, test_share=0.2)``):

  a. a 61 x 61 random slice (``network_views.random_slice``: 3,721 points, training and test loss at
     each) around a trained θ, tanh and ReLU;                                           target < 1 s
  b. 2,000 full-batch training steps of Adam, lr 0.01 (``optimizers.network.train``: every step
     also records θ and the training and test losses);                                  target < 0.5 s
  c. the Bézier curve fit between two seeds' solutions (``optimizers.network.fit_curve`` with its
     defaults: 1,500 Adam iterations, cosine schedule);                                 target < 5 s
  d. the page's first view on a new server: its three default runs (its own defaults: 500 steps on
     moons of 500 points) by the kernels' interpreted twins (``train(..., interpreted=True)``), beside
     the same runs by the kernels;                                                      target < 2 s

each beside the same computation in NumPy (``tests/network_numpy.py``: whole-batch matrix products,
the slice's 3,721 points broadcast in chunks of 128; written from the published math, and checked
against the kernels by tests/test_network.py). The NumPy figure is what the page would cost without
Numba; the ratio says what the kernels buy.

Each figure is the median of ``--repeats`` calls after a first call, which compiles the kernel (or
loads it from the disk cache) and is reported on its own. The machine is shared (2 cores): the
figures are for people to read, and the script never fails because a target is missed.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import landscapes  # noqa: E402,F401  (configures numba before it is imported)
import numba  # noqa: E402
import numpy as np  # noqa: E402
from landscapes import classification, mlp, network_views  # noqa: E402
from optimizers import network as training  # noqa: E402

import network_numpy  # noqa: E402  (the tests' NumPy twin, found through the path added above)

TARGET_SLICE_S = 1.0
TARGET_TRAIN_S = 0.5
TARGET_CURVE_S = 5.0
TARGET_INTERPRETED_S = 2.0
RESOLUTION = 61
STEPS = 2000
LR = 0.01
HIDDEN = (16, 16)


def timed(call):
    began = time.perf_counter()
    result = call()
    return time.perf_counter() - began, result


def measured(call, repeats):
    """(median seconds of ``repeats`` calls, the last call's result)."""
    times, result = [], None
    for _ in range(repeats):
        seconds, result = timed(call)
        times.append(seconds)
    return statistics.median(times), result


def numpy_slice(network, data, theta, seed=0):
    """``random_slice`` in NumPy: the same directions, the 61 x 61 grid's losses by broadcast matrix products."""
    directions = network_views.random_directions(network, theta, seed)
    axis = np.linspace(-1.0, 1.0, RESOLUTION)
    a, b = np.meshgrid(axis, axis)
    values = network_numpy.losses_on_span(network.hidden, network.activation, network.batch_norm, theta, directions,
                                          np.column_stack([a.ravel(), b.ravel()]), data.x_train, data.y_train,
                                          data.x_test, data.y_test)
    return values[:, network_views.TRAIN_LOSS].reshape(a.shape)


def numpy_training(network, data, seed=0):
    return network_numpy.train_adam(network.hidden, network.activation, network.batch_norm, network.init(seed),
                                    data.x_train, data.y_train, data.x_test, data.y_test, STEPS, lr=LR)


def verdict(seconds, target):
    return "met" if seconds < target else "NOT met"


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per figure after the first (median; CI: 3)")
    args = parser.parse_args(argv)
    repeats = max(1, args.repeats)
    began = time.perf_counter()
    data = classification.make("moons", n=625, test_share=0.2)
    networks = {activation: mlp.Network(HIDDEN, activation) for activation in mlp.ACTIVATIONS}
    tanh = networks["tanh"]
    print(f"network benchmark at {commit()}, {time.strftime('%Y-%m-%d %H:%M:%S')}; python {sys.version.split()[0]}, "
          f"numpy {np.__version__}, numba {numba.__version__}; {os.cpu_count()} CPUs, numba threads "
          f"{numba.get_num_threads()}, load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    print(f"data: moons, {data.n_train} training + {data.n_test} test points; {tanh.describe()}; "
          f"median of {repeats} calls after the first", flush=True)

    first, rows, notes = {}, [], []

    # ---- b first: its solutions are the slice's centre and the curve's ends ----
    def train_tanh():
        return training.train("adam", tanh, data, STEPS, seed=0, lr=LR)

    first["training (adam, 2,000 steps)"], _ = timed(train_tanh)
    numba_train, run = measured(train_tanh, repeats)
    numpy_train, twin = measured(lambda: numpy_training(tanh, data), repeats)
    notes.append(f"[b] final training loss: Numba {run.train_loss[-1]:.6f}, NumPy {twin.train_loss[-1]:.6f}; "
                 f"the kernel's share of the Numba call {run.elapsed:.3f} s")
    rows.append(("[b] 2,000 full-batch Adam steps, tanh", TARGET_TRAIN_S, numba_train, numpy_train))
    other = training.train("adam", tanh, data, STEPS, seed=1, lr=LR)

    # ---- a ----
    for activation, network in networks.items():
        theta = run.final if activation == "tanh" else training.train("adam", network, data, STEPS, seed=0, lr=LR).final

        def numba_slice():
            return network_views.random_slice(network, data, theta, seed=0, resolution=RESOLUTION)

        first[f"random slice ({activation})"], _ = timed(numba_slice)
        numba_s, view = measured(numba_slice, repeats)
        numpy_s, losses = measured(lambda: numpy_slice(network, data, theta), repeats)
        notes.append(f"[a] {activation}: largest |Numba − NumPy| training loss over the slice "
                     f"{np.abs(losses - view.train_loss).max():.1e}")
        rows.append((f"[a] {RESOLUTION}x{RESOLUTION} random slice, {activation}", TARGET_SLICE_S, numba_s, numpy_s))

    # ---- c ----
    def numba_curve():
        return training.fit_curve(tanh, data, run.final, other.final)

    first["curve fit"], _ = timed(numba_curve)
    numba_s, bend = measured(numba_curve, repeats)
    iterations = len(bend.iteration_loss)
    numpy_s, (numpy_bend, _) = measured(lambda: network_numpy.fit_curve(
        tanh.hidden, tanh.activation, tanh.batch_norm, run.final, other.final, data.x_train, data.y_train, iterations),
        repeats)
    notes.append(f"[c] {iterations} iterations (fit_curve's default); largest |Numba − NumPy| in the bend "
                 f"{np.abs(numpy_bend - bend.bend).max():.1e}; the kernel's share of the Numba call {bend.elapsed:.3f} s")
    rows.append((f"[c] Bézier curve fit, {iterations} iterations, tanh", TARGET_CURVE_S, numba_s, numpy_s))

    # ---- d ----
    from ui import network_page

    state = network_page.NetworkState()

    def page_runs(interpreted):
        return {name: training.train(name, state.network(), state.data(), state.steps, seed=state.seed,
                                     lr=state.lr(name), interpreted=interpreted) for name in state.runs}

    kernels_runs = page_runs(False)
    kernels_s, _ = measured(lambda: page_runs(False), repeats)
    twins_s, twins_runs = measured(lambda: page_runs(True), repeats)
    drift = max(float(np.max(np.abs(twins_runs[n].train_loss / kernels_runs[n].train_loss - 1.0))) for n in state.runs)

    print("\nfirst call (compiles, or loads from the disk cache), seconds: "
          + ", ".join(f"{what} {seconds:.2f}" for what, seconds in first.items()))
    header = f"{'what':<42} {'target':>8} {'Numba':>9} {'NumPy':>9} {'Numba/NumPy':>12}  met?"
    print(header)
    print("-" * len(header))
    for what, target, numba_s, numpy_s in rows:
        print(f"{what:<42} {'< ' + format(target, 'g') + ' s':>8} {numba_s:>8.3f}s {numpy_s:>8.3f}s "
              f"{numba_s / numpy_s:>12.3f}  {verdict(numba_s, target)}")
    for note in notes:
        print(note)
    print(f"[d] the Network page's {len(state.runs)} default runs ({', '.join(state.runs)}), {state.steps} steps: interpreted "
          f"twins {twins_s:.3f} s (target < {TARGET_INTERPRETED_S:g} s: {verdict(twins_s, TARGET_INTERPRETED_S)}), "
          f"kernels {kernels_s:.3f} s; largest relative difference of their training losses {drift:.1e}")
    print(f"benchmark wall time {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
