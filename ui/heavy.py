"""The pages' side of the server-wide scheduler: who is asking, and what they see while they wait.

A page hands its heavy work (a sweep, basin maps) to ``compute``: the work runs in the
scheduler's lanes (``ui.scheduler``), and the page shows where it stands in the queue and
about how long it will take, until the result is there. Each browser session is one owner:
its newer request replaces its older one, and its share of the server is counted apart from
everyone else's. A janitor thread forgets the sessions that have closed.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Hashable, Sequence

import streamlit as st

from .scheduler import Cancelled, Chunk, OverBudget, RateLimit, Scheduler

# Lane seconds a session may use per minute: the largest sweep takes 1-6 s, so a student can
# still run several a minute; ten students asking at once share the lanes turn by turn.
HEAVY_SECONDS_PER_MINUTE = float(os.environ.get("LANDSCAPE_HEAVY_SECONDS_PER_MINUTE", "20"))
NEW_FORMULAS_PER_SESSION = int(os.environ.get("LANDSCAPE_NEW_FORMULAS_PER_SESSION", "12"))
NEW_FORMULA_WINDOW = 600.0  # seconds
RESULT_SECONDS = float(os.environ.get("LANDSCAPE_CACHE_SECONDS", "900"))  # how long a finished result is kept
STATUS_INTERVAL = 0.25  # seconds between updates of a waiting page's queue message

SCHEDULER = Scheduler(budget_seconds=HEAVY_SECONDS_PER_MINUTE, result_seconds=RESULT_SECONDS)
NEW_FORMULAS = RateLimit(NEW_FORMULAS_PER_SESSION, NEW_FORMULA_WINDOW, "new formulas")
NO_SESSION = "no-session"  # a caller outside any browser session (a script, a test without a page)


def owner() -> Hashable:
    """The browser session asking (Streamlit's session id)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx(suppress_warning=True)
    return context.session_id if context is not None else NO_SESSION


def compute(key: Hashable, work: Sequence[Chunk] | Callable[[], Sequence[Chunk]], combine: Callable[[list], object],
            what: str, on_wait: Callable[[], object] | None = None):
    """The result of ``work`` (its chunks, or a call that makes them), computed in the scheduler's lanes.

    ``key`` names the work (a finished result is shared by every session asking for the same).
    While it waits, the page shows the queue and the seconds left; a session over its share of
    heavy work gets a message and the page stops there. ``on_wait`` is called first in both cases
    (a page that draws its controls after its chart draws them then: ``ui.chart_first``).
    """
    try:
        job = SCHEDULER.submit(owner(), key, work, combine)
    except OverBudget as budget:
        if on_wait is not None:
            on_wait()
        st.warning(str(budget), icon=":material/hourglass_top:")
        st.stop()
    if not job.wait(STATUS_INTERVAL):
        if on_wait is not None:
            on_wait()
        status = st.empty()
        while not job.wait(STATUS_INTERVAL):
            # each update is also where Streamlit stops this run when the student changes a setting:
            # the job stays with the session until its next request replaces it
            status.info(f"{what}: {SCHEDULER.status(job).message()}", icon=":material/hourglass_top:")
        status.empty()
    try:
        return job.result()
    except Cancelled:
        st.stop()


# ----- closed sessions ------------------------------------------------------------------------------------
JANITOR_INTERVAL = float(os.environ.get("LANDSCAPE_JANITOR_SECONDS", "30"))
_janitor_started = threading.Event()
_cleaners: list[Callable[[Callable[[Hashable], bool]], object]] = []


def on_janitor_round(cleaner: Callable[[Callable[[Hashable], bool]], object]) -> None:
    """Call ``cleaner(alive)`` on every round of the janitor (``alive(owner)``: is that session still open)."""
    _cleaners.append(cleaner)


def session_alive(session: Hashable) -> bool:
    """Whether a session is still open on this server (True outside a running server: nothing to forget)."""
    from streamlit import runtime

    if session == NO_SESSION or not runtime.exists():
        return True
    return runtime.get_instance().is_active_session(session)


_last_seen: dict = {}  # session -> when it last ran a page (monotonic seconds)
_last_seen_lock = threading.Lock()
_last_activity = [time.monotonic()]


def note_session() -> None:
    """Record that the asking session ran a page (every page header calls it)."""
    now = time.monotonic()
    with _last_seen_lock:
        _last_seen[owner()] = now
        _last_activity[0] = now


def open_sessions() -> int:
    with _last_seen_lock:
        return len(_last_seen)


_cleared_after = [None]  # the last activity after which the caches were emptied
_closed_at: dict = {}  # session -> when the janitor first found it closed (monotonic seconds)


def media_files():
    """Streamlit's media file manager (it keeps download buttons' deferred data), or None outside a server."""
    from streamlit import runtime

    return runtime.get_instance().media_file_mgr if runtime.exists() else None


def release_closed_sessions(now: float) -> int:
    """Free the download buttons' deferred data of sessions closed longer than Streamlit keeps them.

    Streamlit frees a session's deferred downloads (callables that hold the page's figures and
    grids: Compare's CSV and HTML buttons) when it shuts the session down. A disconnected
    session whose time runs out is dropped from Streamlit's session store without being shut
    down, so its downloads stayed: about 3.5 MiB per Compare tab, never returned (measured by
    bench_class's class hour). How many sessions were released."""
    from streamlit import config

    keep = float(config.get_option("server.disconnectedSessionTTL") or 0)
    with _last_seen_lock:
        expired = [s for s, closed in _closed_at.items() if now - closed > keep]
        for session in expired:
            del _closed_at[session]
    files = media_files()
    if files is not None and expired:
        for session in expired:
            files.clear_session_refs(session)
        files.remove_orphaned_files()
    return len(expired)


def janitor_round() -> None:
    """Forget the sessions that closed, in every counter and queue, and give freed memory back.

    Streamlit's caches drop an expired entry only when the cache is next used; once every
    session has closed and no page has run for ``RESULT_SECONDS``, every cache is emptied, so a
    server left running after class shrinks back to its warm size."""
    for cleaner in [SCHEDULER.forget_all_but, NEW_FORMULAS.forget_all_but, *_cleaners]:
        cleaner(session_alive)
    now = time.monotonic()
    with _last_seen_lock:
        for session in [s for s in _last_seen if not session_alive(s)]:
            del _last_seen[session]
            _closed_at[session] = now
        for session in [s for s in _closed_at if session_alive(s)]:  # came back within Streamlit's grace time
            del _closed_at[session]
            _last_seen[session] = now
        nobody = not _last_seen
        idle = nobody and time.monotonic() - _last_activity[0] > RESULT_SECONDS and _cleared_after[0] != _last_activity[0]
        if idle:
            _cleared_after[0] = _last_activity[0]  # once per quiet spell
    released = release_closed_sessions(now)
    if idle:
        clear_caches()
    from . import memory

    # Nobody is waiting for a page, so a full collection (what frees a closed page's cycles) costs no one
    memory.give_back(full=nobody and (released > 0 or idle))


def clear_caches() -> None:
    """Empty every cache of results: Streamlit's, the scheduler's and those registered with ``on_clear``."""
    st.cache_data.clear()
    st.cache_resource.clear()
    SCHEDULER.clear_results()
    for clear in list(_clearers):
        clear()


_clearers: list[Callable[[], object]] = []


def on_clear(clear: Callable[[], object]) -> None:
    """Call ``clear()`` when the janitor empties the caches (a module's own bounded cache)."""
    _clearers.append(clear)


def start_janitor() -> None:
    """Start the janitor thread once per server (and tune the allocator, ``memory.tune_allocator``)."""
    if _janitor_started.is_set():
        return
    _janitor_started.set()
    from . import memory

    memory.tune_allocator()

    def loop():
        while True:
            time.sleep(JANITOR_INTERVAL)
            try:
                janitor_round()
            except Exception:  # noqa: BLE001 - a janitor that dies would let memory grow for the rest of the class
                pass

    threading.Thread(target=loop, name="session-janitor", daemon=True).start()
