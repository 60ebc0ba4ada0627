"""A new server's first views: the compile queue, the interpreted twins, the batch run one by one."""
from __future__ import annotations

import pathlib
import random
import threading
import time

import landscapes
import numpy as np
import optimizers
import pytest
from landscapes.interpreted import KERNEL_NUMPY, at_point
from optimizers.kernel_queue import BACKGROUND_LANE, LATER, NOW, PAGE_LANE, SOON, KernelQueue

ROOT = pathlib.Path(__file__).resolve().parent.parent

SUMMARY_FIELDS = ("final_point", "final_loss", "final_grad_norm", "diverged_at", "reached_at")


def fresh_formula_surface():
    """A formula landscape no kernel has been compiled for: each formula gets a new kernel id."""
    c = 1.0 + random.randint(1, 10**6) / 10**7
    return landscapes.from_formula(f"(1 - x)^2 + {c!r} * 10 * (y - x^2)^2", bounds=((-2, 2), (-1, 3)))


def _twin_and_kernel(monkeypatch, optimizer, surface, **kwargs):
    kernel = optimizers.run(optimizer, surface, **kwargs)
    queue = KernelQueue()
    monkeypatch.setattr(queue, "request", lambda key, call, priority=NOW: threading.Event())
    with monkeypatch.context() as patched:
        patched.setattr(optimizers, "QUEUE", queue)
        patched.setattr(optimizers, "is_compiled", lambda kernel, literals: False)
        twin = optimizers.run(optimizer, surface, patience=0.0, **kwargs)
    assert twin.interpreted and not kernel.interpreted
    return kernel, twin


def assert_same_run(kernel, twin, rtol=1e-12):
    assert twin.diverged_at == kernel.diverged_at
    assert twin.path.shape == kernel.path.shape
    np.testing.assert_allclose(twin.path, kernel.path, rtol=rtol, atol=1e-13)
    np.testing.assert_allclose(twin.loss, kernel.loss, rtol=rtol, atol=1e-13)
    np.testing.assert_allclose(twin.grad_norm, kernel.grad_norm, rtol=rtol, atol=1e-13)
    np.testing.assert_array_equal(twin.lr, kernel.lr)


# ----- the interpreted twin of the driver kernel ------------------------------------------------
@pytest.mark.parametrize("optimizer", optimizers.names())
def test_every_optimizer_run_by_the_interpreter_follows_its_kernel(monkeypatch, optimizer):
    kernel, twin = _twin_and_kernel(monkeypatch, optimizer, "rosenbrock", steps=150)
    assert_same_run(kernel, twin)


@pytest.mark.parametrize("landscape", landscapes.names())
def test_every_landscape_run_by_the_interpreter_follows_its_kernel(monkeypatch, landscape):
    kernel, twin = _twin_and_kernel(monkeypatch, "adam", landscape, steps=150)
    assert_same_run(kernel, twin)


@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adam", "newton", "lbfgs"])
def test_noise_clipping_and_schedules_run_by_the_interpreter_follow_the_kernel(monkeypatch, optimizer):
    # short: noisy L-BFGS line searches amplify a last-bit difference (numba writes x ** 2 as x * x)
    kernel, twin = _twin_and_kernel(monkeypatch, optimizer, "himmelblau", steps=40, noise=0.7, seed=11, clip_norm=2.0,
                                    schedule={"name": "step", "step_size": 10, "gamma": 0.5})
    assert_same_run(kernel, twin, rtol=1e-9)


def test_a_diverging_run_stops_at_the_same_step_by_the_interpreter(monkeypatch):
    kernel, twin = _twin_and_kernel(monkeypatch, "sgd", "quadratic", steps=200, lr=0.5)
    assert kernel.diverged_at is not None
    assert_same_run(kernel, twin)


def test_the_kernel_numpy_takes_scalar_transcendentals_from_the_c_library_and_keeps_ieee_edges():
    import math

    assert KERNEL_NUMPY.exp(np.float64(0.3)) == math.exp(0.3)
    assert KERNEL_NUMPY.cos(np.float64(2.0)) == math.cos(2.0)
    assert KERNEL_NUMPY.exp(np.float64(1000.0)) == np.inf  # math.exp raises; a kernel gives inf
    assert KERNEL_NUMPY.log(np.float64(0.0)) == -np.inf
    assert np.isnan(KERNEL_NUMPY.log(np.float64(-1.0)))
    assert KERNEL_NUMPY.power(np.float64(0.0), np.float64(-1.0)) == np.inf
    np.testing.assert_array_equal(KERNEL_NUMPY.exp(np.array([0.0, 1.0])), np.exp([0.0, 1.0]))
    assert KERNEL_NUMPY.float64 is np.float64


@pytest.mark.parametrize("landscape", landscapes.names())
def test_a_surface_at_a_point_by_its_twin_matches_the_jitted_surface(landscape):
    surface = landscapes.get(landscape)
    for x, y in [surface.start, *((m.x + 0.1, m.y - 0.2) for m in surface.minima[:3])]:
        assert at_point(surface.spec.value, x, y, surface.param_tuple) == pytest.approx(surface.f(x, y), rel=1e-12, abs=1e-14)
        np.testing.assert_allclose(at_point(surface.spec.grad, x, y, surface.param_tuple), surface.grad(x, y),
                                   rtol=1e-12, atol=1e-12)


# ----- the patience of run and run_many -----------------------------------------------------------
def test_a_run_whose_kernel_is_not_compiled_in_time_is_interpreted_and_its_kernel_compiles_behind():
    surface = fresh_formula_surface()
    assert not optimizers.kernel_ready("momentum", surface)
    first = optimizers.run("momentum", surface, steps=120, patience=0.0)
    assert first.interpreted
    deadline = time.monotonic() + 120
    while not optimizers.kernel_ready("momentum", surface) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert optimizers.kernel_ready("momentum", surface), "the queue never compiled the kernel"
    exact = optimizers.run("momentum", surface, steps=120, patience=0.0)
    assert not exact.interpreted
    assert_same_run(exact, first)


def test_a_compiled_kernel_is_never_interpreted():
    optimizers.run("sgd", "booth", steps=3)
    assert optimizers.kernel_ready("sgd", "booth")
    assert not optimizers.run("sgd", "booth", steps=50, patience=0.0).interpreted


def test_a_batch_whose_kernel_is_not_compiled_in_time_runs_one_by_one_with_the_same_results():
    surface = fresh_formula_surface()
    xs, ys = np.meshgrid(np.linspace(-1.8, 1.8, 9), np.linspace(-0.8, 2.8, 7))
    starts = np.stack([xs, ys], axis=-1)
    lrs = np.linspace(1e-4, 2e-3, 9)
    for optimizer, extra in [("adam", {"lr": lrs}), ("momentum", {"lr": lrs, "noise": 0.3, "seed": np.arange(63).reshape(7, 9)}),
                             ("lbfgs", {"lr": 1.0})]:
        one_by_one = optimizers.run_many(optimizer, surface, starts, steps=60, patience=0.0, **extra)
        batch = optimizers.run_many(optimizer, surface, starts, steps=60, **extra)
        for name in SUMMARY_FIELDS:
            np.testing.assert_array_equal(getattr(one_by_one, name), getattr(batch, name), err_msg=f"{optimizer}: {name}")


# ----- the compile queue ------------------------------------------------------------------------
def test_the_queue_compiles_what_a_page_waits_for_before_the_warm_up_list():
    queue, order, gate = KernelQueue(), [], threading.Event()
    queue.request("busy", gate.wait, LATER)  # a warm-up compile under way when the page asks
    for name in ("warm-1", "warm-2", "warm-3"):
        queue.request(name, lambda name=name: order.append(name), LATER)
    page = queue.request("page", lambda: order.append("page"), NOW)
    assert page.wait(10), "the page waited behind the warm-up list's compile"
    gate.set()
    assert queue.request("warm-3", lambda: None, LATER).wait(10)
    assert order == ["page", "warm-1", "warm-2", "warm-3"]


def test_the_page_lane_takes_only_what_a_page_waits_for_and_a_key_under_way_is_compiled_once():
    queue, gate, lanes, calls = KernelQueue(), threading.Event(), {}, []

    def compile_call(name, wait=False):
        lanes[name] = threading.current_thread().name
        calls.append(name)
        if wait:
            gate.wait()

    queue.request("network step", lambda: compile_call("network step", wait=True), SOON)  # the warm-up's, 13 s
    deadline = time.monotonic() + 10
    while "network step" not in calls and time.monotonic() < deadline:
        time.sleep(0.01)
    queue.request("soon", lambda: compile_call("soon"), SOON)
    asked = queue.request("network step", lambda: compile_call("network step again"), NOW)  # the page opens
    assert queue.request("page", lambda: compile_call("page"), NOW).wait(10)
    time.sleep(0.2)
    assert "soon" not in calls, "the page lane took a warm-up call: a page could wait behind it"
    assert not asked.is_set() and queue.pending() == 2
    gate.set()
    assert asked.wait(10) and queue.request("soon", lambda: None, SOON).wait(10)
    assert calls == ["network step", "page", "soon"]  # the step under way was not compiled a second time
    assert lanes == {"network step": BACKGROUND_LANE, "page": PAGE_LANE, "soon": BACKGROUND_LANE}


def test_the_queue_is_idle_only_when_both_lanes_are_done():
    queue, gate, idle_while_busy, busy = KernelQueue(), threading.Event(), [], threading.Event()
    queue.on_idle(lambda: idle_while_busy.append(busy.is_set()))
    busy.set()
    queue.request("long warm-up", gate.wait, LATER)
    assert queue.wait("page", lambda: None, 10)
    time.sleep(0.2)
    assert idle_while_busy == [], "the compile workers would have been stopped under a compile"
    busy.clear()
    gate.set()
    deadline = time.monotonic() + 10
    while not idle_while_busy and time.monotonic() < deadline:
        time.sleep(0.01)
    assert idle_while_busy == [False] and queue.pending() == 0


def test_a_queued_call_asked_for_again_by_a_page_moves_up_and_runs_once():
    queue, order, gate = KernelQueue(), [], threading.Event()
    queue.request("busy", gate.wait, LATER)
    queue.request("a", lambda: order.append("a"), LATER)
    queue.request("b", lambda: order.append("b"), LATER)
    assert queue.request("b", lambda: order.append("b again"), NOW).wait(10)  # on the page lane, not behind "busy"
    gate.set()
    assert queue.request("a", lambda: None, LATER).wait(10)
    time.sleep(0.1)
    assert order == ["b again", "a"]  # the warm-up's entry of "b" was not run again
    assert queue.ready("a") and queue.ready("b") and queue.pending() == 0


def test_a_failing_compile_is_reported_and_the_queue_goes_on():
    queue = KernelQueue()
    assert not queue.wait("bad", lambda: 1 / 0, 10)
    assert queue.failed("bad") and not queue.ready("bad")
    assert queue.wait("good", lambda: None, 10)


def test_a_wait_gives_up_after_its_patience_while_the_compile_goes_on():
    queue, gate = KernelQueue(), threading.Event()
    began = time.monotonic()
    assert not queue.wait("slow", gate.wait, 0.2)
    assert 0.15 < time.monotonic() - began < 5
    gate.set()
    assert queue.request("slow", lambda: None).wait(10)


# ----- the app ------------------------------------------------------------------------------------
def test_compare_on_a_new_formula_draws_its_first_view_by_the_interpreter_then_reruns_with_the_kernels(monkeypatch):
    from streamlit.testing.v1 import AppTest
    from ui import warm_up

    monkeypatch.delenv("LANDSCAPE_NO_WARMUP", raising=False)
    monkeypatch.setattr(warm_up, "start", lambda: None)  # the list of every kernel would compile behind the other tests
    c = 1.0 + random.randint(1, 10**6) / 10**7
    formula, bounds = f"(x - 1)^2 + {c!r} * (y + 0.5)^2", ((-3.0, 3.0), (-3.0, 3.0))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page("pages/1_Compare.py")
    at.query_params.update({"land": "custom", "formula": formula, "bounds": "-3,3,-3,3", "runs": "sgd,adam"})
    at.run()
    assert not at.exception, at.exception
    first = at.dataframe[0].value
    assert first["kernel time (µs)"].isna().all(), "the first view cannot have kernel times: it was interpreted"
    surface = landscapes.from_formula(formula, bounds=bounds)
    deadline = time.monotonic() + 180
    while not all(optimizers.kernel_ready(name, surface) for name in ("sgd", "adam")) and time.monotonic() < deadline:
        time.sleep(0.05)
    at.run()  # what the page's watcher asks for once the kernels are ready
    assert not at.exception, at.exception
    again = at.dataframe[0].value
    assert again["kernel time (µs)"].notna().all()
    np.testing.assert_allclose(again["final loss"].astype(float), first["final loss"].astype(float), rtol=1e-12)


# ----- the compile worker process -------------------------------------------------------------------
def test_the_compile_worker_compiles_into_the_disk_cache_and_survives_bad_requests_and_its_own_death():
    from optimizers import _kernels
    from optimizers.compile_worker import CompileWorker

    worker = CompileWorker()
    try:
        surface = landscapes.get("six_hump_camel")
        spec = optimizers.get("rmsprop")
        values = spec.resolve({})
        call = (surface.index, optimizers.names().index("rmsprop"), surface.param_tuple, spec.pack(values), *surface.start,
                float(values["lr"]), np.ones(0), (0.0, 0, np.inf, np.inf), surface.escape_box,
                np.empty((1, 2)), np.empty(1), np.empty(1), np.empty(0))
        assert worker.compile("trace", call)
        assert not worker.compile("no_such_kernel", call)  # an error is an answer, not a crash
        assert not worker.compile("trace", call[:3])  # so is a wrong call
        worker._process.kill()
        worker._process.wait()
        assert worker.compile("trace", call)  # a dead child is started again
        # what the server then does: the kernel loads from the cache the child wrote
        assert _kernels.call_specialized(_kernels.trace, 2, *call) == -1
    finally:
        worker.stop()


SERVER_THAT_WARMS_UP = """
import sys, time
import optimizers
from optimizers.kernel_queue import LATER, QUEUE
from ui import warm_up

batch = next(call for call in warm_up._calls() if getattr(call, "func", None) is optimizers.run_many)
QUEUE.request(("a batch kernel",), batch, LATER)  # 5-12 s to compile, in the background lane's child
time.sleep(600)
"""


def _children_of(pid: int) -> list[int]:
    children = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return children


def _alive(pid: int) -> bool:
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not pathlib.Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_a_compile_worker_ends_with_its_server_even_in_the_middle_of_a_compile(tmp_path):
    """Ctrl-C (or a crash) during the warm-up: the children must not go on compiling on a restarted server's cores."""
    import os
    import signal
    import subprocess
    import sys

    env = {**os.environ, "LANDSCAPE_NUMBA_CACHE_BASE": str(tmp_path)}  # an empty cache: the batch kernel compiles for seconds
    env.pop("LANDSCAPE_NO_WARMUP", None)
    env.pop("LANDSCAPE_COMPILE_IN_PROCESS", None)
    server = subprocess.Popen([sys.executable, "-c", SERVER_THAT_WARMS_UP], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not (workers := _children_of(server.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert workers, "the compile worker never started"
        time.sleep(2.0)  # the child has imported numba and is compiling the batch kernel
        assert all(_alive(worker) for worker in workers), "the child ended before it was asked to"
        server.send_signal(signal.SIGKILL)
        server.wait()
        gone_by = time.monotonic() + 3.0
        while any(_alive(worker) for worker in workers) and time.monotonic() < gone_by:
            time.sleep(0.05)
        assert not any(_alive(worker) for worker in workers), "a compile worker outlived its server by 3 s"
    finally:
        server.kill()
        for worker in _children_of(server.pid):
            os.kill(worker, signal.SIGKILL)


def test_the_background_lane_s_compile_worker_runs_at_a_low_cpu_priority_and_the_page_lane_s_does_not():
    import os

    from optimizers import compile_worker

    assert compile_worker.WORKER is not compile_worker.BACKGROUND_WORKER
    own = os.getpriority(os.PRIO_PROCESS, 0)
    for worker, niceness in ((compile_worker.CompileWorker(), 0),
                             (compile_worker.CompileWorker(niceness=compile_worker.BACKGROUND_NICENESS), compile_worker.BACKGROUND_NICENESS)):
        try:
            assert not worker.compile("no_such_kernel", ())  # starts the child, which answers with the error
            assert os.getpriority(os.PRIO_PROCESS, worker._process.pid) == min(own + niceness, 19)
        finally:
            worker.stop()
    picked = {}
    for lane in (PAGE_LANE, BACKGROUND_LANE):
        thread = threading.Thread(target=lambda lane=lane: picked.update({lane: compile_worker.for_this_thread()}), name=lane)
        thread.start()
        thread.join()
    assert picked == {PAGE_LANE: compile_worker.WORKER, BACKGROUND_LANE: compile_worker.BACKGROUND_WORKER}


def test_the_warm_up_list_starts_with_compares_first_view_and_covers_every_pair():
    from ui import defaults, warm_up

    calls = list(warm_up._calls())
    first = [(call.keywords.get("steps"), call.args) for call in calls[:len(defaults.default_runs("rosenbrock"))]]
    assert [args for _, args in first] == [(name, "rosenbrock") for name in defaults.default_runs("rosenbrock")]
    trajectories = {call.args for call in calls if getattr(call, "func", None) is optimizers.run}
    assert trajectories == {(name, land) for land in landscapes.names() for name in optimizers.names()}
    batches = [call for call in calls if getattr(call, "func", None) is optimizers.run_many]
    assert batches, "Sweep's and Basins' batch kernels are missing"
    data_runs = [call for call in calls if not hasattr(call, "func")]
    assert len(data_runs) == 1
    data_runs[0]()  # the data page's default runs: they must run outside a page too
    from optimizers import network

    trained = [call.args[0] for call in calls if getattr(call, "func", None) is network.train]
    assert sorted(trained) == sorted(network.names())  # the network page's kernels, every optimizer's once
    from ui import network_page

    compiles = (network_page.compile_predictions, network_page.compile_maps, network_page.compile_curve)
    assert [getattr(call, "func", None) for call in calls if getattr(call, "func", None) in compiles] == list(compiles)
    for call in calls:
        if getattr(call, "func", None) in (network.train, *compiles):
            call()  # they run outside a page too


def test_the_network_page_s_first_view_is_queued_ahead_of_the_warm_up_list(monkeypatch):
    """The page whose kernels compile longest and whose stand-in is slowest: its first view's kernels are queued SOON,
    before the list, under the keys the page asks by (a page opened while one compiles waits for it instead of
    compiling it again)."""
    from ui import network_page, warm_up

    queued = []
    monkeypatch.setattr(warm_up.QUEUE, "request", lambda key, call, priority: queued.append((key, priority)))
    warm_up._queue_every_call()
    first_view = [key for key, _ in network_page.first_view_requests()]
    assert queued[:len(first_view)] == [(key, SOON) for key in first_view]
    assert [key[0] for key in first_view] == ["network training"] * len(network_page.DEFAULT_RUNS) + [
        "network predictions", "network maps", "network curve"]
    assert {(key[0], priority) for key, priority in queued[len(first_view):]} == {("warm-up", LATER)}
    asked = []
    monkeypatch.setattr(network_page.QUEUE, "request", lambda key, call, priority: asked.append(key) or threading.Event())
    monkeypatch.setattr(network_page.training, "kernels_ready", lambda *args, **kwargs: False)
    monkeypatch.setattr(network_page.mlp, "kernels_ready", lambda *args, **kwargs: False)
    monkeypatch.setattr(network_page, "COMPILE_PATIENCE", 0.0)
    monkeypatch.setattr(network_page.heavy, "compute", lambda *args: None)
    network_page.trainings(network_page.NetworkState())
    assert asked and set(asked) <= set(first_view), "the page asks by other keys than the warm-up's"


def test_a_batch_kernel_is_asked_for_after_every_page_that_has_no_stand_in(monkeypatch):
    """A batch runs one by one while its kernel compiles, so the kernel is queued SOON, behind the NOW of a page that
    must wait (the Network page: on a fresh server five batch kernels of Sweep and Basins, 62 s, came first)."""

    asked = []
    monkeypatch.setattr(optimizers, "is_compiled", lambda kernel, literals: False)
    monkeypatch.setattr(optimizers.QUEUE, "wait", lambda key, call, seconds, priority: asked.append((key[0], priority)))
    optimizers.run_many("sgd", "himmelblau", np.zeros((2, 2)), steps=3, lr=1e-4, patience=0.0)
    optimizers.run("sgd", "himmelblau", steps=3, patience=0.0)
    assert asked == [("trace_many", SOON), ("trace", NOW)]


# ----- Basins: a coarse first view while the batch kernels compile ------------------------------------
@pytest.mark.parametrize("optimizer", ["sgd", "lbfgs"])  # a batch kernel, and the one-trajectory-per-run kernel
def test_batch_kernel_ready_names_the_kernel_run_many_runs(optimizer):
    optimizers.run_many(optimizer, "himmelblau", np.zeros((2, 2)), steps=2, lr=1e-4)
    assert optimizers.batch_kernel_ready(optimizer, "himmelblau")
    assert not optimizers.batch_kernel_ready(optimizer, fresh_formula_surface())


def test_basins_on_a_new_server_draws_a_coarse_map_first_then_the_full_one(monkeypatch):
    from streamlit.testing.v1 import AppTest
    from ui import basins, warm_up

    monkeypatch.delenv("LANDSCAPE_NO_WARMUP", raising=False)
    monkeypatch.setattr(warm_up, "start", lambda: None)
    monkeypatch.setattr(optimizers, "batch_kernel_ready", lambda *args, **kwargs: False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page("pages/6_Basins.py")
    at.query_params.update({"opts": "sgd,adam", "res": "64", "steps": "60"})
    at.run()
    assert not at.exception, at.exception
    coarse = f"{basins.COARSE_RESOLUTION}×{basins.COARSE_RESOLUTION}"
    assert any(coarse in info.value and "64×64 maps follow" in info.value for info in at.info)
    assert any(m.value.startswith(f"{coarse} start points") for m in at.caption)
    assert at.query_params["res"] in ("64", ["64"])  # the link keeps what was asked for
    monkeypatch.undo()
    monkeypatch.delenv("LANDSCAPE_NO_WARMUP", raising=False)
    monkeypatch.setattr(warm_up, "start", lambda: None)
    optimizers.run_many("sgd", "himmelblau", np.zeros((2, 2)), steps=2, lr=1e-4)
    optimizers.run_many("adam", "himmelblau", np.zeros((2, 2)), steps=2, lr=1e-4)
    at.run()  # what the page's watcher asks for once the batch kernels are ready
    assert not at.exception, at.exception
    assert not any("first view" in info.value for info in at.info)
    assert any(m.value.startswith("64×64 start points") for m in at.caption)


# ----- Network: the kernels' interpreted twins while they compile -----------------------------------
def test_the_network_page_on_a_new_server_draws_the_interpreters_runs_then_the_kernels(monkeypatch):
    from app_kit import chart_spec
    from streamlit.testing.v1 import AppTest
    from ui import network_page, warm_up

    from landscapes import mlp
    from optimizers import network as training

    asked = []
    monkeypatch.delenv("LANDSCAPE_NO_WARMUP", raising=False)
    monkeypatch.setattr(warm_up, "start", lambda: None)
    monkeypatch.setattr(network_page.QUEUE, "request", lambda key, call, priority: asked.append(key) or threading.Event())
    monkeypatch.setattr(training, "kernels_ready", lambda *args, **kwargs: False)
    monkeypatch.setattr(mlp, "kernels_ready", lambda *args, **kwargs: False)
    query = {"steps": "120", "n": "200"}
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.switch_page("pages/10_Network.py")
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    assert network_page.INTERPRETED_NOTE in [c.value for c in at.caption]
    for key in ("net_boundary", "net_curves", "net_slice"):  # drawn without a compiled kernel
        assert chart_spec(at, key)["data"]
    assert {key[0] for key in asked} == {"network training", "network predictions", "network maps"}
    state, _ = network_page.from_query(query)
    shown = {name: float(text.replace(",", "")) for name, text in
             zip(state.runs, [row["train loss"] for row in at.dataframe[0].value.to_dict("records")])}
    monkeypatch.undo()
    monkeypatch.delenv("LANDSCAPE_NO_WARMUP", raising=False)
    monkeypatch.setattr(warm_up, "start", lambda: None)
    exact = {name: training.train(name, state.network(), state.data(), state.steps, lr=state.lr(name)) for name in state.runs}
    network_page.compile_predictions()
    network_page.compile_maps()
    at.run()  # what the page's watcher asks for once the kernels are ready
    assert not at.exception, at.exception
    assert network_page.INTERPRETED_NOTE not in [c.value for c in at.caption]
    for name, run in exact.items():
        assert shown[name] == pytest.approx(run.train_loss[-1], rel=1e-3)  # the table's four digits, from the twins


def test_the_first_view_benchmark_knows_every_pages_own_chart_keys():
    """bench_first_view counts a page's first chart by its element keys; a page missing from its table would fall
    back to "any new chart", which counted the previous page's charts (the suspect 0.2 s Network figure)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_first_view", ROOT / "benchmarks" / "bench_first_view.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    pages = {path.strip("/") for path in (bench.COMPARE.split("?")[0], *bench.OTHER_PAGES)}
    assert pages <= set(bench.PAGE_CHART_KEYS)
    for key in ("net_boundary", "map_overlay", "sweep_map", "basin_map", "yours_map", "data_curves", "anatomy_map",
                "lesson_race", "card-rosenbrock"):
        assert sum(any(f"st-key-{key}".startswith(prefix) for prefix in prefixes)
                   for prefixes in bench.PAGE_CHART_KEYS.values()) == 1, key
