"""The server-wide scheduler and the per-session limits (ui.scheduler, ui.heavy, the formula worker).

Chunks here are small Python calls that record when they ran, and gates (threading.Event)
hold a chunk until the test lets it go, so every ordering checked is exact, never timed.
"""
from __future__ import annotations

import os
import threading
import time

import landscapes
import numpy as np
import pytest

from ui import exploration as ex
from ui.scheduler import BATCH, INTERACTIVE, Cancelled, Chunk, OverBudget, OverLimit, RateLimit, Scheduler

WAIT = 20.0  # seconds a test waits for a lane at most (never reached when things work)


class Recorder:
    """Chunks that append their name to one shared log; a gate holds a chunk until released."""

    def __init__(self):
        self.log = []
        self.lock = threading.Lock()

    def chunk(self, name, gate: threading.Event | None = None, started: threading.Event | None = None, work=1.0,
              seconds=0.0, value=None):
        def call():
            if started is not None:
                started.set()
            if gate is not None:
                assert gate.wait(WAIT)
            if seconds:
                time.sleep(seconds)
            with self.lock:
                self.log.append(name)
            return name if value is None else value
        return Chunk(call, work)


def blocked_lane(scheduler: Scheduler, recorder: Recorder):
    """Occupy the scheduler's one lane with a chunk that waits for the returned gate."""
    gate, started = threading.Event(), threading.Event()
    job = scheduler.submit("blocker", "blocker", [recorder.chunk("blocker", gate, started)], priority=BATCH)
    assert started.wait(WAIT)
    return gate, job


def test_interactive_work_runs_before_queued_batch_work_and_batch_jobs_take_turns_chunk_by_chunk():
    scheduler, recorder = Scheduler(lanes=1, niceness=0), Recorder()
    gate, _ = blocked_lane(scheduler, recorder)
    first = scheduler.submit("a", "sweep a", [recorder.chunk(f"a{i}") for i in range(3)])
    second = scheduler.submit("b", "sweep b", [recorder.chunk(f"b{i}") for i in range(3)])
    quick = scheduler.submit("c", "strip c", [recorder.chunk("c0")])  # one chunk: interactive
    assert (first.priority, second.priority, quick.priority) == (BATCH, BATCH, INTERACTIVE)
    gate.set()
    assert first.result() == ["a0", "a1", "a2"] and second.result() == ["b0", "b1", "b2"] and quick.result() == ["c0"]
    assert recorder.log == ["blocker", "c0", "a0", "b0", "a1", "b1", "a2", "b2"]


def test_a_sessions_newer_request_replaces_its_older_one_whose_remaining_chunks_never_run():
    scheduler, recorder = Scheduler(lanes=1, niceness=0), Recorder()
    gate, started = threading.Event(), threading.Event()
    old = scheduler.submit("student", "old sweep", [recorder.chunk("old0", gate, started)] +
                           [recorder.chunk(f"old{i}") for i in range(1, 50)])
    assert started.wait(WAIT)  # the first chunk is under way
    new = scheduler.submit("student", "new sweep", [recorder.chunk("new0"), recorder.chunk("new1")])
    assert old.wait(WAIT) and old.cancelled
    with pytest.raises(Cancelled):
        old.result()
    gate.set()
    assert new.result() == ["new0", "new1"]
    assert recorder.log == ["old0", "new0", "new1"]  # the chunk under way finished; the other 49 never ran
    assert scheduler.cached("old sweep") is None and scheduler.cached("new sweep") == ["new0", "new1"]


def test_the_same_request_again_waits_for_the_same_job_and_a_finished_one_is_served_from_the_cache():
    scheduler, recorder = Scheduler(lanes=1, niceness=0), Recorder()
    gate, _ = blocked_lane(scheduler, recorder)
    job = scheduler.submit("student", "sweep", [recorder.chunk("s0"), recorder.chunk("s1")])
    again = scheduler.submit("student", "sweep", lambda: pytest.fail("a job under way is not made again"))
    assert again is job
    gate.set()
    assert job.result() == ["s0", "s1"]
    cached = scheduler.submit("someone else", "sweep", lambda: pytest.fail("a cached result is not computed again"))
    assert cached.result() == ["s0", "s1"] and recorder.log.count("s0") == 1


def test_two_sessions_asking_for_the_same_work_share_one_job_and_one_leaving_does_not_cancel_it():
    scheduler, recorder = Scheduler(lanes=1, niceness=0), Recorder()
    gate, _ = blocked_lane(scheduler, recorder)
    mine = scheduler.submit("a", "shared", [recorder.chunk("x0"), recorder.chunk("x1")])
    theirs = scheduler.submit("b", "shared", [recorder.chunk("never")])
    assert theirs is mine
    scheduler.submit("a", "something else", [recorder.chunk("y0"), recorder.chunk("y1")])  # a moves on
    gate.set()
    assert theirs.result() == ["x0", "x1"]  # b still gets it
    assert "never" not in recorder.log


def test_a_session_over_its_share_of_heavy_work_is_told_how_long_to_wait_and_others_are_not_affected():
    scheduler, recorder = Scheduler(lanes=1, niceness=0, budget_seconds=0.2), Recorder()
    scheduler.run("greedy", "first", [recorder.chunk("g0", seconds=0.15), recorder.chunk("g1", seconds=0.15)])
    assert scheduler.usage("greedy") >= 0.2
    with pytest.raises(OverBudget) as refused:
        scheduler.submit("greedy", "second", [recorder.chunk("g2")])
    message = str(refused.value)
    assert "in the last minute" in message and "Try again in about" in message and "shares it" in message
    assert 0 < refused.value.wait <= 60
    assert scheduler.run("patient", "theirs", [recorder.chunk("p0")]) == ["p0"]  # another session runs at once
    assert scheduler.submit("greedy", "first", lambda: pytest.fail("cached")).result() == ["g0", "g1"]  # cached: free


def test_the_queue_message_says_how_many_requests_are_ahead_and_roughly_how_long():
    scheduler, recorder = Scheduler(lanes=1, niceness=0), Recorder()
    gate, _ = blocked_lane(scheduler, recorder)
    ahead = [scheduler.submit(f"s{i}", f"k{i}", [recorder.chunk(f"k{i}.{j}", work=1e6) for j in range(4)]) for i in range(3)]
    mine = scheduler.submit("me", "mine", [recorder.chunk(f"m{j}", work=1e6) for j in range(4)])
    status = scheduler.status(mine)
    # three queued and the one under way in the lane
    assert status.state == "queued" and status.jobs_ahead == 4 and status.seconds_left > 0
    assert status.message().startswith("Queued behind 4 other requests") and "left" in status.message()
    gate.set()
    for job in ahead + [mine]:
        job.result()
    assert scheduler.status(mine).state == "done"


def test_a_failing_chunk_reaches_its_waiter_and_the_lane_keeps_serving():
    scheduler, recorder = Scheduler(lanes=1, niceness=0), Recorder()

    def broken():
        raise ValueError("Invalid lr: -1")

    job = scheduler.submit("a", "broken", [Chunk(broken, 1.0), recorder.chunk("never")])
    with pytest.raises(ValueError, match="Invalid lr"):
        job.result()
    assert scheduler.run("b", "fine", [recorder.chunk("ok")]) == ["ok"]
    assert scheduler.cached("broken") is None


def test_closed_sessions_are_forgotten_and_their_work_dropped():
    scheduler, recorder = Scheduler(lanes=1, niceness=0), Recorder()
    gate, _ = blocked_lane(scheduler, recorder)
    gone = scheduler.submit("closed tab", "theirs", [recorder.chunk("t0"), recorder.chunk("t1")])
    kept = scheduler.submit("open tab", "mine", [recorder.chunk("m0")])
    forgotten = scheduler.forget_all_but(lambda owner: owner != "closed tab")
    assert forgotten >= 1 and gone.cancelled
    gate.set()
    assert kept.result() == ["m0"]
    assert "t0" not in recorder.log


def test_lanes_run_at_a_lower_cpu_priority_than_the_page_threads():
    if not hasattr(os, "getpriority"):
        pytest.skip("no per-thread priority on this system")
    scheduler = Scheduler(lanes=1, niceness=7)
    seen = scheduler.run("a", "nice", [Chunk(lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), 1.0)])
    assert seen[0] >= os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) + 7 or seen[0] == 19


def test_a_result_is_kept_for_a_bounded_time():
    scheduler = Scheduler(lanes=1, niceness=0, result_seconds=0.2)
    scheduler.run("a", "k", [Chunk(lambda: 1, 1.0)])
    assert scheduler.cached("k") == [1]
    time.sleep(0.3)
    assert scheduler.cached("k") is None


def test_a_sessions_limit_on_new_formulas_names_its_share_and_leaves_other_sessions_alone():
    limit = RateLimit(3, 600.0, "new formulas")
    for _ in range(3):
        limit.check("student")
        limit.record("student")
    with pytest.raises(OverLimit) as refused:
        limit.check("student")
    assert "used 3 new formulas in the last 10 minutes" in str(refused.value) and "Try again in about" in str(refused.value)
    limit.check("classmate")  # not affected
    assert limit.forget_all_but(lambda owner: owner != "student") == 1 and limit.used("student") == 0


def test_a_sliding_window_gives_a_session_its_share_back():
    limit = RateLimit(1, 0.2, "new formulas")
    limit.record("a")
    with pytest.raises(OverLimit):
        limit.check("a")
    time.sleep(0.25)
    limit.check("a")


# ----- chunked batches equal the batches run whole ---------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["momentum", "adam", "lbfgs"])
def test_a_sweep_run_in_chunks_equals_the_sweep_run_whole_bit_for_bit(optimizer):
    surface = landscapes.get("rosenbrock")
    lrs, second = np.geomspace(1e-4, 1e-2, 12), np.linspace(0.0, 5.0, 9)  # clip_norm: one batch per threshold
    varying = {"lr": lrs[None, :], ex.CLIP: second[:, None] + 0.1}
    whole = ex.run_settings(optimizer, surface, surface.start, 60, {}, varying, 1e-6)
    chunks = ex.outcome_chunks(optimizer, surface, surface.start, 60, {}, varying, 1e-6, chunk_work=1500)
    assert len(chunks) > 2
    parts = ex.joined([chunk.call() for chunk in chunks])
    for name in ("final_x", "final_y", "final_loss", "diverged_at", "reached_at"):
        np.testing.assert_array_equal(getattr(parts, name), getattr(whole, name))
    assert not parts.final_loss.flags.writeable  # shared between sessions: read only


def test_several_basin_maps_are_one_job_whose_result_is_one_outcome_per_map():
    surface = landscapes.get("himmelblau")
    _, _, starts = ex.start_grid(surface, 24)
    names = ["sgd", "adam"]
    chunks, combine = ex.several([ex.outcome_chunks(name, surface, starts, 80, {"lr": 0.01}, {}, 1e-6, chunk_work=5000)
                                  for name in names])
    maps = combine([chunk.call() for chunk in chunks])
    for name, outcome in zip(names, maps):
        whole = ex.run_settings(name, surface, starts, 80, {"lr": 0.01}, {}, 1e-6)
        np.testing.assert_array_equal(outcome.final_x, whole.final_x)
        assert outcome.final_x.shape == (24, 24)


def test_a_batch_through_the_scheduler_equals_it_run_directly():
    scheduler = Scheduler(lanes=2, niceness=0)
    surface = landscapes.get("himmelblau")
    _, _, starts = ex.start_grid(surface, 32)
    chunks = ex.outcome_chunks("momentum", surface, starts, 100, {"lr": 0.01}, {}, 1e-6, chunk_work=20000)
    scheduled = scheduler.run("a", "basin", chunks, ex.joined)
    whole = ex.run_settings("momentum", surface, starts, 100, {"lr": 0.01}, {}, 1e-6)
    np.testing.assert_array_equal(scheduled.final_loss, whole.final_loss)


def test_the_seconds_left_follow_the_jobs_own_pace_not_a_chunk_that_compiled_first():
    scheduler, recorder = Scheduler(lanes=1, niceness=0), Recorder()
    scheduler.run("a", "compiles", [recorder.chunk("slow", seconds=1.0, work=10.0)])  # one chunk that compiled first
    for i in range(5):
        scheduler.run("a", f"usual {i}", [recorder.chunk(f"u{i}", seconds=0.02, work=10.0)])
    gate, started = threading.Event(), threading.Event()
    job = scheduler.submit("b", "measured", [recorder.chunk("m0", seconds=0.05, work=10.0),
                                             recorder.chunk("m1", gate, started, seconds=0.05, work=10.0)]
                           + [recorder.chunk(f"m{i}", seconds=0.05, work=10.0) for i in range(2, 12)])
    assert started.wait(WAIT)
    left = scheduler.status(job).seconds_left  # ten chunks of 0.05 s to go (and the one held)
    gate.set()
    job.result()
    assert 0.3 <= left <= 0.8, left
