"""One server-wide scheduler for heavy work (sweeps, basin maps): a class shares one server.

Before it, every request ran its batches in its own Streamlit thread at once: ten students'
sweeps and basin maps took turns on two cores with the teacher's slider, which then took up to
5 s instead of 0.2. Here heavy work is split into chunks of about a tenth of a second, and a
fixed set of lanes (one per core) runs them one at a time:

- Interactive jobs (no more than one chunk of work: a learning-rate strip, a small map) go
  before batch jobs; jobs of the same kind take turns chunk by chunk, so a small job never waits
  for the whole of a large one.
- Each session (an *owner*) has one job at a time: its newer request replaces its older one,
  whose remaining chunks are dropped (the chunk under way finishes; nothing runs for nobody).
  The same request again (a rerun that did not change it) waits for the same job.
- Two sessions asking for the same work share one job, and a finished job's result is kept in a
  cache bounded in entries and in time.
- A session's seconds of lane time in the last minute are counted; a session over its budget is
  told how long to wait (``OverBudget``), and other sessions are not affected.
- The lanes run at a lower CPU priority (nice) than the server's other threads, which draw the
  pages: a student's slider wins the CPU over a sweep's chunk.

Pure Python and threads, no Streamlit: ``ui.heavy`` is the pages' side (who is asking, what
they see while they wait).
"""
from __future__ import annotations

import collections
import contextlib
import math
import os
import statistics
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import cachetools

INTERACTIVE = 0
BATCH = 1
LANE_NICENESS = 10  # CFS weight 110 against the page threads' 1024: a page's work takes ~90 % of a contested core
BUDGET_WINDOW = 60.0  # seconds over which a session's lane time is counted
DEFAULT_PACE = 2e-8  # seconds per weighted run-step on one core before any chunk has run (Adam: ~1e-8)


@dataclass(frozen=True)
class Chunk:
    """One piece of a job: a call taking about ``CHUNK_SECONDS``, and its work in run-steps (for estimates)."""

    call: Callable[[], object]
    work: float


class Cancelled(Exception):
    """The job was replaced by its owner's newer request, or its owner left."""


class OverBudget(Exception):
    """A session used its share of heavy work for the last minute; ``wait`` says for how long to pause."""

    def __init__(self, used: float, budget: float, wait: float):
        self.used, self.budget, self.wait = used, budget, wait
        super().__init__(
            f"This session has used {used:.0f} s of heavy computing in the last minute, its share of this server "
            f"({budget:.0f} s per minute; the class shares it). Try again in about {max(1, math.ceil(wait))} s, "
            "or ask for less: a smaller grid or fewer steps.")


@dataclass
class Status:
    """What a waiting person is told: work ahead of theirs, their own progress, and seconds left."""

    state: str  # "queued", "running", "done", "cancelled", "failed"
    jobs_ahead: int
    done: int  # chunks done
    total: int
    seconds_left: float

    def message(self) -> str:
        if self.state == "queued":
            ahead = f"{self.jobs_ahead} other request{'s' if self.jobs_ahead != 1 else ''}" if self.jobs_ahead else "other work"
            return f"Queued behind {ahead} on this shared server: about {_seconds(self.seconds_left)} left."
        if self.state == "running":
            share = f"{self.done / self.total:.0%} done" if self.total else "running"
            return f"Computing ({share}): about {_seconds(self.seconds_left)} left."
        return self.state


def _seconds(seconds: float) -> str:
    return "1 s" if seconds < 1.5 else f"{seconds:.0f} s"


@dataclass(eq=False)
class Job:
    """Chunks run in order; ``combine`` turns their results (in chunk order) into the job's result."""

    key: Hashable
    chunks: Sequence[Chunk]
    combine: Callable[[list], object]
    priority: int
    owners: set = field(default_factory=set)
    submitted: float = field(default_factory=time.monotonic)
    started_chunks: int = 0
    finished_chunks: int = 0
    seconds_run: float = 0.0  # lane seconds of its finished chunks, and their work: its own pace
    work_run: float = 0.0
    results: list = field(default_factory=list)
    value: object = None
    error: BaseException | None = None
    cancelled: bool = False
    finished: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        self.results = [None] * len(self.chunks)

    @property
    def remaining_work(self) -> float:
        return sum(chunk.work for chunk in self.chunks[self.started_chunks:])

    def wait(self, timeout: float | None = None) -> bool:
        return self.finished.wait(timeout)

    def result(self):
        """The combined result; raises ``Cancelled``, or the error a chunk raised."""
        self.finished.wait()
        if self.cancelled:
            raise Cancelled("replaced by a newer request")
        if self.error is not None:
            raise self.error
        return self.value


class Scheduler:
    """Lanes that run jobs' chunks, interactive first, taking turns; one job per owner; budgets per owner."""

    def __init__(self, lanes: int | None = None, budget_seconds: float = 20.0, result_entries: int = 64,
                 result_seconds: float = 900.0, niceness: int = LANE_NICENESS, numba_threads: int | None = None):
        self.lanes = lanes or max(1, os.cpu_count() or 1)
        self.budget_seconds = budget_seconds
        self.niceness = niceness
        cores = max(1, os.cpu_count() or 1)
        self.numba_threads = numba_threads or max(1, cores // self.lanes)  # lanes x threads = the cores
        self._lock = threading.Lock()
        self._work_ready = threading.Condition(self._lock)
        self._queues: dict[int, collections.deque] = {INTERACTIVE: collections.deque(), BATCH: collections.deque()}
        self._by_owner: dict[Hashable, Job] = {}
        self._by_key: dict[Hashable, Job] = {}
        self._results = cachetools.TTLCache(maxsize=result_entries, ttl=result_seconds)
        self._usage: dict[Hashable, collections.deque] = {}  # owner -> (finished at, lane seconds)
        self._recent_paces: collections.deque = collections.deque(maxlen=32)  # seconds per work of recent chunks
        self._threads: list[threading.Thread] = []

    # ----- asking -----------------------------------------------------------------------------------
    def submit(self, owner: Hashable, key: Hashable, chunks: Sequence[Chunk] | Callable[[], Sequence[Chunk]],
               combine: Callable[[list], object] = list, priority: int | None = None) -> Job:
        """The job computing ``key`` for ``owner``: a cached result, a job already running it, or a new one.

        ``chunks``: the work, or a call that makes it (only made when a new job is needed). The
        owner's previous job, if it was for another key, is dropped (cancelled unless another
        owner still waits for it). Raises ``OverBudget`` when the owner has used its minute's share.
        """
        with self._lock:
            cached = self._results.get(key, _MISSING)
            if cached is not _MISSING:
                self._release(owner, keep=None)
                return _finished_job(key, cached)
            current = self._by_owner.get(owner)
            if current is not None and current.key == key and not current.finished.is_set():
                return current
            self._check_budget(owner)
            self._release(owner, keep=key)
            job = self._by_key.get(key)
            if job is None or job.finished.is_set():
                if callable(chunks):
                    chunks = chunks()
                if priority is None:
                    priority = INTERACTIVE if len(chunks) <= 1 else BATCH
                job = Job(key=key, chunks=list(chunks), combine=combine, priority=priority)
                self._by_key[key] = job
                if not job.chunks:
                    self._finish(job)
                else:
                    self._queues[priority].append(job)
                    self._start_lanes()
                    self._work_ready.notify_all()
            job.owners.add(owner)
            self._by_owner[owner] = job
            return job

    def run(self, owner: Hashable, key: Hashable, chunks: Sequence[Chunk], combine: Callable[[list], object] = list,
            priority: int | None = None):
        """``submit`` and wait for the result (for callers with nothing to show meanwhile)."""
        return self.submit(owner, key, chunks, combine, priority).result()

    def cached(self, key: Hashable):
        """A finished result for ``key``, or None."""
        with self._lock:
            return self._results.get(key)

    def status(self, job: Job) -> Status:
        """Where ``job`` stands: the jobs it waits behind and an estimate of the seconds left."""
        with self._lock:
            if job.finished.is_set():
                state = "cancelled" if job.cancelled else "failed" if job.error is not None else "done"
                return Status(state, 0, job.finished_chunks, len(job.chunks), 0.0)
            usual = statistics.median(self._recent_paces) if self._recent_paces else DEFAULT_PACE
            mine = job.remaining_work
            seconds, jobs_ahead = mine * self._pace(job, usual), 0
            for priority, queue in self._queues.items():
                for other in queue:
                    if other is job or other.cancelled or other.finished.is_set():
                        continue
                    if priority < job.priority:
                        seconds += other.remaining_work * self._pace(other, usual)
                        jobs_ahead += 1
                    elif priority == job.priority:
                        # turns are taken chunk by chunk: another job delays this one by at most as much as its own
                        seconds += min(other.remaining_work, mine) * self._pace(other, usual)
                        jobs_ahead += other.submitted <= job.submitted
            seconds /= max(1, min(self.lanes, 1 + jobs_ahead))
            state = "running" if job.started_chunks else "queued"
            return Status(state, jobs_ahead if state == "queued" else 0, job.finished_chunks, len(job.chunks), seconds)

    def usage(self, owner: Hashable) -> float:
        """Lane seconds ``owner``'s jobs used in the last minute."""
        with self._lock:
            return self._used(owner, time.monotonic())

    # ----- owners leaving ---------------------------------------------------------------------------
    def forget(self, owner: Hashable) -> None:
        """An owner left (its session closed): drop its job unless others wait for it, and its counters."""
        with self._lock:
            self._release(owner, keep=None)
            self._usage.pop(owner, None)

    def forget_all_but(self, alive: Callable[[Hashable], bool]) -> int:
        """``forget`` every owner for whom ``alive`` is false; returns how many were forgotten."""
        with self._lock:
            owners = set(self._by_owner) | set(self._usage)
        gone = [owner for owner in owners if not alive(owner)]
        for owner in gone:
            self.forget(owner)
        with self._lock:
            self._results.expire()
        return len(gone)

    def owners(self) -> int:
        with self._lock:
            return len(set(self._by_owner) | set(self._usage))

    def clear_results(self) -> None:
        with self._lock:
            self._results.clear()

    # ----- inside -----------------------------------------------------------------------------------
    def _used(self, owner: Hashable, now: float) -> float:
        usage = self._usage.get(owner)
        if usage is None:
            return 0.0
        while usage and usage[0][0] < now - BUDGET_WINDOW:
            usage.popleft()
        if not usage:
            del self._usage[owner]
            return 0.0
        return sum(seconds for _, seconds in usage)

    def _check_budget(self, owner: Hashable) -> None:
        now = time.monotonic()
        used = self._used(owner, now)
        if used > 0 and used >= self.budget_seconds:
            usage = self._usage[owner]
            # the oldest seconds leave the window first: wait until enough of them have
            freed, wait = 0.0, 0.0
            for finished_at, seconds in usage:
                freed += seconds
                wait = finished_at + BUDGET_WINDOW - now
                if used - freed < self.budget_seconds:
                    break
            raise OverBudget(used, self.budget_seconds, wait)

    def _release(self, owner: Hashable, keep: Hashable | None) -> None:
        job = self._by_owner.get(owner)
        if job is None or job.key == keep:
            return
        del self._by_owner[owner]
        job.owners.discard(owner)
        if not job.owners and not job.finished.is_set():
            job.cancelled = True
            self._finish(job)

    def _finish(self, job: Job) -> None:
        if self._by_key.get(job.key) is job:
            del self._by_key[job.key]
        for owner in list(job.owners):
            if self._by_owner.get(owner) is job:
                del self._by_owner[owner]
        if not job.cancelled and job.error is None:
            self._results[job.key] = job.value
        job.finished.set()

    def _start_lanes(self) -> None:
        while len(self._threads) < self.lanes:
            thread = threading.Thread(target=self._lane, name=f"heavy-lane-{len(self._threads)}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _next_chunk(self) -> tuple[Job, int] | None:
        for priority in (INTERACTIVE, BATCH):
            queue = self._queues[priority]
            while queue:
                job = queue[0]
                if job.cancelled or job.finished.is_set() or job.started_chunks >= len(job.chunks):
                    queue.popleft()  # nothing left to start; lanes still running its chunks finish it
                    continue
                index = job.started_chunks
                job.started_chunks += 1
                queue.rotate(-1)  # the next turn is another job's
                return job, index
        return None

    def _lane(self) -> None:
        _lower_priority(self.niceness)
        with _numba_threads(self.numba_threads):
            while True:
                with self._lock:
                    picked = self._next_chunk()
                    while picked is None:
                        self._work_ready.wait()
                        picked = self._next_chunk()
                job, index = picked
                began = time.monotonic()
                try:
                    value, error = job.chunks[index].call(), None
                except Exception as failure:  # noqa: BLE001 - handed to the job's waiters, who show it
                    value, error = None, failure
                seconds = time.monotonic() - began
                with self._lock:
                    self._account(job, index, seconds)
                    if job.finished.is_set():
                        continue  # cancelled while this chunk ran: its result is for nobody
                    job.results[index] = value
                    job.finished_chunks += 1
                    if error is not None:
                        job.error = error
                        job.cancelled = False
                        self._drop(job)
                        self._finish(job)
                    elif job.finished_chunks == len(job.chunks):
                        try:
                            job.value = job.combine(job.results)
                        except Exception as failure:  # noqa: BLE001
                            job.error = failure
                        job.results = []
                        self._finish(job)

    def _drop(self, job: Job) -> None:
        with contextlib.suppress(ValueError):
            self._queues[job.priority].remove(job)

    @staticmethod
    def _pace(job: Job, usual: float) -> float:
        """Seconds per unit of work: the job's own once it has run, else the recent chunks' median
        (a median, since a chunk that compiled its kernel first takes seconds)."""
        return job.seconds_run / job.work_run if job.work_run > 0 else usual

    def _account(self, job: Job, index: int, seconds: float) -> None:
        work = job.chunks[index].work
        if work > 0 and seconds > 0:
            self._recent_paces.append(seconds / work)
            job.seconds_run += seconds
            job.work_run += work
        now = time.monotonic()
        owners = job.owners or set()
        for owner in owners:  # a shared job costs each of its owners its share
            self._usage.setdefault(owner, collections.deque()).append((now, seconds / len(owners)))


_MISSING = object()


def _finished_job(key: Hashable, value) -> Job:
    job = Job(key=key, chunks=[], combine=list, priority=INTERACTIVE)
    job.value = value
    job.finished.set()
    return job


def _lower_priority(niceness: int) -> None:
    """Lower this thread's CPU priority (Linux: nice is per thread, and threads it starts inherit it)."""
    if niceness and hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)


@contextlib.contextmanager
def _numba_threads(count: int):
    """numba's thread count for this thread's parallel kernels (a per-thread setting in numba)."""
    try:
        import numba
    except ImportError:  # pragma: no cover - the engine always has numba
        yield
        return
    count = max(1, min(count, numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(count)
    yield


def chunk_rows(rows: int, work_per_row: float, chunk_work: float) -> list[slice]:
    """Row slices of about ``chunk_work`` each (at least one row each) covering ``rows`` rows."""
    per_chunk = max(1, int(chunk_work // max(work_per_row, 1.0)))
    return [slice(start, min(rows, start + per_chunk)) for start in range(0, rows, per_chunk)]


class OverLimit(Exception):
    """A session asked for more of a counted thing (new formulas) than its share; ``wait`` in seconds."""

    def __init__(self, message: str, wait: float):
        self.wait = wait
        super().__init__(message)


class RateLimit:
    """At most ``limit`` events per owner in any ``window`` seconds (a sliding window)."""

    def __init__(self, limit: int, window: float, what: str):
        self.limit, self.window, self.what = limit, window, what
        self._lock = threading.Lock()
        self._events: dict[Hashable, collections.deque] = {}

    def check(self, owner: Hashable) -> None:
        """Raise ``OverLimit`` when ``owner`` has had ``limit`` events in the last ``window`` seconds."""
        now = time.monotonic()
        with self._lock:
            events = self._recent(owner, now)
            if len(events) >= self.limit:
                wait = events[0] + self.window - now
                raise OverLimit(
                    f"this session has used {self.limit} {self.what} in the last {self.window / 60:.0f} minutes, its "
                    f"share of this server (the class shares it); the ones used before still work. "
                    f"Try again in about {max(1, math.ceil(wait))} s.", wait)

    def record(self, owner: Hashable) -> None:
        with self._lock:
            self._recent(owner, time.monotonic()).append(time.monotonic())

    def used(self, owner: Hashable) -> int:
        with self._lock:
            return len(self._recent(owner, time.monotonic()))

    def forget_all_but(self, alive: Callable[[Hashable], bool]) -> int:
        with self._lock:
            gone = [owner for owner in self._events if not alive(owner)]
            for owner in gone:
                del self._events[owner]
            return len(gone)

    def owners(self) -> int:
        with self._lock:
            return len(self._events)

    def _recent(self, owner: Hashable, now: float) -> collections.deque:
        events = self._events.setdefault(owner, collections.deque())
        while events and events[0] < now - self.window:
            events.popleft()
        return events
