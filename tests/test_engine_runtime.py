"""The engine's runtime guarantees: cache keyed by source, thread safety, fast re-dispatch."""
import os
import pathlib
import subprocess
import sys
import threading

import numpy as np
import optimizers
import pytest
from landscapes import _numba_env

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_numba_cache_directory_is_keyed_by_a_hash_of_the_kernel_sources():
    assert os.environ["NUMBA_CACHE_DIR"] == _numba_env.CACHE_DIR
    assert pathlib.Path(_numba_env.CACHE_DIR).name == _numba_env._source_digest()


def test_editing_a_kernel_source_changes_the_cache_directory(tmp_path):
    # A copy of the two packages with one surface edited must not share the original cache.
    for package in ("landscapes", "optimizers"):
        (tmp_path / package).mkdir()
        for source in (ROOT / package).glob("*.py"):
            (tmp_path / package / source.name).write_text(source.read_text())
    script = "from landscapes import _numba_env; print(_numba_env._source_digest())"
    before = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    rosenbrock = tmp_path / "landscapes" / "rosenbrock.py"
    rosenbrock.write_text(rosenbrock.read_text().replace("b * (y - x * x) ** 2", "b * (y - x * x) ** 2 + 0.0"))
    after = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert before.stdout.strip() != after.stdout.strip()


_SPECIALIZATIONS = """
import sys
sys.path.insert(0, {root!r})
import landscapes  # the project's numba settings: its cache directory, its lock around saves
import numpy as np
from numba import literally, njit


@njit(cache=True)
def scaled_sum(k, x):
    literally(k)
    total = 0.0
    for i in range(x.shape[0]):
        total += x[i] * k
    return total


first, step, count = map(int, sys.argv[1:4])
for k in range(first, first + step * count, step):
    assert scaled_sum(k, np.ones(3)) == 3.0 * k
missed = [str(sig) for sig, n in scaled_sum.stats.cache_misses.items() if n and "Literal" in str(sig)]
print(len(missed))
"""


def test_processes_saving_kernels_at_once_lose_no_cache_entry_and_mix_up_none(tmp_path):
    """The compile queue's two workers share numba's cache: without the lock around a save, two processes saving 40
    specializations each of one kernel at once lost 1 to 4 of the 80 (a server then compiled them itself); three
    savers here, to make a lost entry likelier."""
    script = tmp_path / "specializations.py"
    script.write_text(_SPECIALIZATIONS.format(root=str(ROOT)))
    env = {**os.environ, "LANDSCAPE_NUMBA_CACHE_BASE": str(tmp_path / "cache")}
    savers = [subprocess.Popen([sys.executable, str(script), str(first), "3", "40"], env=env, stdout=subprocess.PIPE,
                               text=True) for first in (0, 1, 2)]
    assert [saver.wait(300) for saver in savers] == [0, 0, 0]
    loader = subprocess.run([sys.executable, str(script), "0", "1", "120"], env=env, capture_output=True, text=True,
                            timeout=300)
    assert loader.returncode == 0, loader.stderr  # every specialization computes its own k, none another's
    assert loader.stdout.strip() == "0", "specializations missing from the cache"


def test_the_threading_layer_is_safe_for_concurrent_callers():
    optimizers.run_many("momentum", "rosenbrock", np.zeros((4, 2)), steps=2, lr=1e-4)  # start the pool
    from numba import threading_layer

    assert threading_layer() in ("omp", "tbb")


def test_parallel_batches_from_many_threads_at_once_agree_with_a_lone_call():
    # A Streamlit server runs each browser session in a thread: concurrent batch calls must
    # neither crash the process (numba's workqueue layer aborts) nor mix up their results.
    starts = np.stack(np.meshgrid(np.linspace(-2, 2, 40), np.linspace(-1, 3, 40)), -1)
    expected = optimizers.run_many("adam", "rosenbrock", starts, steps=200, lr=0.02)
    results, errors = [], []

    def work():
        try:
            results.append(optimizers.run_many("adam", "rosenbrock", starts, steps=200, lr=0.02))
        except Exception as error:  # pragma: no cover - the assertion below reports it
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 6
    for result in results:
        np.testing.assert_array_equal(result.final_point, expected.final_point)


def test_single_runs_from_many_threads_at_once_agree_with_a_lone_call():
    expected = optimizers.run("nadam", "rosenbrock", steps=300, lr=0.01)
    results = []
    threads = [threading.Thread(target=lambda: results.append(optimizers.run("nadam", "rosenbrock", steps=300, lr=0.01)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    for result in results:
        np.testing.assert_array_equal(result.path, expected.path)


def test_repeated_calls_skip_the_literal_dispatch():
    optimizers.run("sgd", "quadratic", steps=5, lr=0.01)
    from optimizers._kernels import _ENTRY_POINTS

    assert any(key[0] == "trace" for key in _ENTRY_POINTS)
    result = optimizers.run("sgd", "quadratic", steps=5, lr=0.01)
    assert result.elapsed < 0.01  # the literal re-dispatch alone took about 55 ms


@pytest.mark.parametrize("optimizer", ["sgd", "lbfgs"])
def test_a_start_where_the_loss_is_finite_but_the_batch_diverges_reports_no_nan(optimizer):
    result = optimizers.run_many(optimizer, "quadratic", np.array([[1.0, 1.0], [9.0, 3.0]]), steps=50, lr=5.0)
    assert np.isfinite(result.final_point).all()
    assert np.isfinite(result.final_loss).all()


def test_the_vectorizable_square_root_equals_math_sqrt_bit_for_bit():
    import math

    from numba import njit
    from optimizers._base import sqrt

    root = njit(lambda v: sqrt(v))
    rng = np.random.default_rng(0)
    values = [0.0, -0.0, 1.0, 2.0, 1e-310, 5e-324, 1e308, math.inf, *rng.lognormal(0, 30, 200)]
    for value in values:
        assert root(value).hex() == math.sqrt(value).hex(), value
    assert math.isnan(root(-1.0)) and math.isnan(root(math.nan)) and math.isnan(root(-math.inf))


def test_the_batch_kernel_sends_512_bit_vectors_where_the_cpu_has_them():
    from llvmlite import binding

    wanted = binding.get_host_cpu_features().get("avx512f", False)
    assert os.environ.get("NUMBA_CPU_FEATURES", "").endswith(",-prefer-256-bit") == wanted
