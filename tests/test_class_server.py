"""A class on one server: typed formulas' kernels in a recyclable worker, per-session shares, the pages' side.

The scheduler's own order, cancellation and budgets are in test_scheduler.py.
"""
from __future__ import annotations

import sys
import time

import landscapes
import numpy as np
import optimizers
import pytest
from app_kit import run_page
from optimizers.formula_worker import FormulaWorker, WorkerFailed

from ui import compute, custom, heavy
from ui.scheduler import RateLimit

BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))


def test_the_server_keeps_a_formula_as_plain_functions_and_the_worker_runs_it_bit_for_bit_as_the_server_would():
    text = "x^2 + 7*y^2 + 0.3*x*y"
    surface, error = custom.build(text, BOUNDS)
    assert error is None and not surface.spec.jitted
    params_json = compute.cache_key(custom.params(text, BOUNDS))
    result, seconds = compute.formula_run(custom.CUSTOM, params_json, (1.5, -2.0), 300, "adam",
                                          compute.cache_key({"lr": 0.05}), patience=None)
    assert seconds is not None and not result.interpreted and result.landscape is surface
    in_process = optimizers.run("adam", landscapes.from_formula(text, BOUNDS), start=(1.5, -2.0), steps=300, lr=0.05)
    np.testing.assert_array_equal(result.path, in_process.path)
    np.testing.assert_array_equal(result.loss, in_process.loss)
    tag_modules = [name for name in sys.modules if name.startswith("landscapes._formula_")]
    assert all(not name.endswith(landscapes.from_formula(text, BOUNDS, jitted=False).name) for name in tag_modules)


def test_the_server_interprets_a_formula_run_that_the_worker_has_not_sent_back_in_time():
    text = "abs(x - 0.5) + 3*(y + 0.25)^2 + 0.01*x^4"
    params_json = compute.cache_key(custom.params(text, BOUNDS))
    result, seconds = compute.formula_run(custom.CUSTOM, params_json, (2.0, 2.0), 50, "sgd",
                                          compute.cache_key({"lr": 0.01}), patience=0.0)
    if seconds is None:  # the usual case: a new formula's kernel compiles for seconds in the worker
        assert result.interpreted
    exact, _ = compute.formula_run(custom.CUSTOM, params_json, (2.0, 2.0), 50, "sgd", compute.cache_key({"lr": 0.01}),
                                   patience=None)
    np.testing.assert_allclose(result.path, exact.path, rtol=1e-12, atol=1e-12)


def test_a_formula_run_whose_worker_answered_before_it_was_watched_does_not_lock_the_page(monkeypatch):
    """A future already done when its callback is added runs the callback in the page's thread at once: added under
    the formula lock, the callback waited for that lock forever (found by the first-view benchmark: Your own
    landscape never drew in a new tab, and every later formula run on that server hung behind it)."""
    import concurrent.futures
    import threading

    answered = concurrent.futures.Future()
    answered.set_exception(WorkerFailed("the worker died at once"))
    monkeypatch.setattr(compute.FORMULA_LANE, "submit", lambda *args, **kwargs: answered)
    text = "x^2 + 5*y^2 + 0.125*x"
    params_json = compute.cache_key(custom.params(text, BOUNDS))
    outcome = []
    page = threading.Thread(target=lambda: outcome.append(compute.formula_run(
        custom.CUSTOM, params_json, (1.0, 1.0), 20, "sgd", compute.cache_key({"lr": 0.05}), patience=None)), daemon=True)
    page.start()
    page.join(60)
    assert outcome, "the page's thread is stuck on the formula lock"
    result, seconds = outcome[0]
    assert result.interpreted and seconds is None  # a failed worker leaves the interpreted run on the page
    assert compute._FORMULA_LOCK.acquire(timeout=1)
    compute._FORMULA_LOCK.release()


def test_the_formula_worker_is_recycled_after_its_formulas_and_answers_the_same_afterwards():
    worker = FormulaWorker(max_formulas=2, max_megabytes=1e9)
    try:
        texts = ["x^2 + y^2", "x^2 + 2*y^2", "x^2 + 3*y^2"]
        first = worker.call("run", texts[0], BOUNDS, "sgd", (1.0, 1.0), 20, {"lr": 0.1})
        pid = worker.pid()
        worker.call("run", texts[1], BOUNDS, "sgd", (1.0, 1.0), 20, {"lr": 0.1})
        assert worker.pid() == pid and worker.megabytes() > 0
        worker.call("run", texts[2], BOUNDS, "sgd", (1.0, 1.0), 20, {"lr": 0.1})  # a third formula: a new child
        assert worker.pid() != pid and worker.recycled == 1 and worker.formulas() == 1
        again = worker.call("run", texts[0], BOUNDS, "sgd", (1.0, 1.0), 20, {"lr": 0.1})
        np.testing.assert_array_equal(first[0].path, again[0].path)
    finally:
        worker.stop()


def test_the_formula_worker_is_recycled_when_its_memory_passes_its_limit():
    worker = FormulaWorker(max_formulas=100, max_megabytes=1.0)  # any real child is larger
    try:
        worker.call("run", "x^2 + y^2", BOUNDS, "sgd", (1.0, 1.0), 5, {"lr": 0.1})
        pid = worker.pid()
        worker.call("run", "x^2 + 5*y^2", BOUNDS, "sgd", (1.0, 1.0), 5, {"lr": 0.1})
        assert worker.pid() != pid and worker.recycled == 1
    finally:
        worker.stop()


def test_the_formula_worker_refuses_bad_settings_in_words_and_survives_its_own_death():
    worker = FormulaWorker()
    try:
        with pytest.raises(ValueError, match="Invalid lr"):
            worker.call("run", "x^2 + y^2", BOUNDS, "sgd", (1.0, 1.0), 5, {"lr": -1.0})
        with pytest.raises(ValueError, match="position"):
            worker.call("run", "x^^2", BOUNDS, "sgd", (1.0, 1.0), 5, {"lr": 0.1})
        with pytest.raises(WorkerFailed):
            worker.call("no such function", "x^2 + y^2")
        worker._process.kill()  # noqa: SLF001 - a crash, as the OS would cause it
        worker._process.wait()  # noqa: SLF001
        path = worker.call("run", "x^2 + y^2", BOUNDS, "sgd", (1.0, 1.0), 5, {"lr": 0.1})[0].path
        assert path.shape == (6, 2)
    finally:
        worker.stop()


def test_a_plain_formula_landscape_refuses_batches_and_replays_here_instead_of_compiling_them():
    surface, _ = custom.build("x^2 + 4*y^2", BOUNDS)
    with pytest.raises(ValueError, match="another process"):
        optimizers.run_many("sgd", surface, steps=5)
    with pytest.raises(ValueError, match="another process"):
        optimizers.run("sgd", surface, steps=5)  # no patience: it would have to compile here
    assert optimizers.run("sgd", surface, steps=5, patience=0.0).interpreted


# ----- per-session shares, on the pages -------------------------------------------------------------------
@pytest.fixture
def small_formula_share(monkeypatch):
    share = RateLimit(2, 600.0, "new formulas")
    monkeypatch.setattr(heavy, "NEW_FORMULAS", share)
    return share


def test_a_session_over_its_share_of_new_formulas_is_told_so_where_it_types_and_another_session_is_not(
        small_formula_share, monkeypatch):
    for n in range(2):
        small_formula_share.record(heavy.NO_SESSION)
        small_formula_share.record("test session id")  # AppTest's session
    at = run_page("pages/7_Your_landscape.py", {"formula": "x^2 + 11*y^2 + 0.5*x"})
    assert not at.exception
    shown = " ".join(w.value for w in at.warning) + " ".join(e.value for e in at.error)
    assert "used 2 new formulas in the last 10 minutes" in shown and "Try again in about" in shown
    assert "Showing the default formula instead" in shown  # the page still works, on the default

    monkeypatch.setattr(heavy, "owner", lambda: "a classmate")
    at = run_page("pages/7_Your_landscape.py", {"formula": "x^2 + 11*y^2 + 0.5*x"})
    assert not at.exception and not at.error
    assert not any("new formulas" in w.value for w in at.warning)


def test_a_session_over_its_share_of_heavy_work_gets_the_message_on_the_sweep_page_and_another_session_does_not(
        monkeypatch):
    from ui.scheduler import Chunk, Scheduler

    link = {"land": "booth", "opt": "sgd", "res": "9", "steps": "17"}
    monkeypatch.setattr(heavy, "SCHEDULER", Scheduler())
    run_page("pages/5_Sweep.py", link)  # the page's kernels compiled: compiling counts as lane time too
    scheduler = Scheduler(budget_seconds=1.0)
    scheduler.run("test session id", "earlier work", [Chunk(lambda: time.sleep(1.1), 1.0)])  # AppTest's session, spent
    monkeypatch.setattr(heavy, "SCHEDULER", scheduler)
    at = run_page("pages/5_Sweep.py", dict(link, steps="18"))
    assert not at.exception
    assert any("heavy computing in the last minute" in w.value for w in at.warning)

    monkeypatch.setattr(heavy, "owner", lambda: "a classmate")  # the same server, another session
    at = run_page("pages/5_Sweep.py", dict(link, steps="19"))
    assert not at.exception and not any("heavy computing" in w.value for w in at.warning)


def test_the_janitor_forgets_closed_sessions_everywhere_and_empties_the_caches_once_the_class_has_gone(monkeypatch):
    from ui.scheduler import Chunk, Scheduler

    scheduler, share = Scheduler(lanes=1, niceness=0), RateLimit(5, 600.0, "new formulas")
    monkeypatch.setattr(heavy, "SCHEDULER", scheduler)
    monkeypatch.setattr(heavy, "NEW_FORMULAS", share)
    open_tabs = {"left early", "stays"}
    monkeypatch.setattr(heavy, "session_alive", lambda session: session in open_tabs)
    for session in ("left early", "stays"):
        monkeypatch.setattr(heavy, "owner", lambda session=session: session)
        heavy.note_session()
        scheduler.run(session, f"work of {session}", [Chunk(lambda: 1, 1.0)])
        share.record(session)
    open_tabs.discard("left early")
    heavy.janitor_round()
    assert scheduler.owners() == 1 and share.owners() == 1 and heavy.open_sessions() == 1
    assert scheduler.cached("work of stays") == [1]  # someone is still here: results stay for their time

    import landscapes
    from ui import compute  # noqa: F401 - registers the map pictures' cache with the janitor
    from viz.surface_image import evaluate, png_data_uri

    png_data_uri(evaluate(landscapes.get("himmelblau"), 40))
    assert png_data_uri.cache_info().currsize >= 1

    open_tabs.clear()
    monkeypatch.setattr(heavy, "RESULT_SECONDS", 0.0)
    heavy.janitor_round()
    assert scheduler.owners() == 0 and share.owners() == 0 and heavy.open_sessions() == 0
    assert scheduler.cached("work of stays") is None  # the class has gone: every cache emptied
    assert png_data_uri.cache_info().currsize == 0  # with the map pictures, whose keys hold whole grids


def test_the_janitor_frees_the_downloads_of_sessions_closed_longer_than_streamlit_keeps_them(monkeypatch):
    from streamlit import config

    released, orphans = [], []

    class Files:
        def clear_session_refs(self, session):
            released.append(session)

        def remove_orphaned_files(self):
            orphans.append(True)

    monkeypatch.setattr(heavy, "media_files", lambda: Files())
    monkeypatch.setattr(heavy, "_closed_at", {})
    monkeypatch.setattr(heavy, "_last_seen", {})
    keep = float(config.get_option("server.disconnectedSessionTTL"))
    open_tabs = {"gone", "back again", "stays"}
    monkeypatch.setattr(heavy, "session_alive", lambda session: session in open_tabs)
    for session in sorted(open_tabs):
        monkeypatch.setattr(heavy, "owner", lambda session=session: session)
        heavy.note_session()
    open_tabs -= {"gone", "back again"}
    heavy.janitor_round()
    assert heavy.release_closed_sessions(time.monotonic()) == 0 and released == []  # within Streamlit's grace time
    open_tabs.add("back again")  # a phone that reconnected
    heavy.janitor_round()
    assert heavy.release_closed_sessions(time.monotonic() + keep + 1) == 1
    assert released == ["gone"] and orphans == [True]
    assert heavy.release_closed_sessions(time.monotonic() + 2 * keep + 2) == 0  # once

    from ui import memory

    collections = []
    monkeypatch.setattr(memory, "give_back", lambda full=False: collections.append(full))
    heavy.janitor_round()
    assert collections == [False]  # someone is still here: no full collection to hold their page up
    open_tabs.clear()
    monkeypatch.setattr(heavy, "RESULT_SECONDS", 0.0)
    heavy.janitor_round()
    heavy.janitor_round()
    assert collections == [False, True, False]  # the class has gone: one full collection frees its pages
