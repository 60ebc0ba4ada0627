"""Two background threads that compile kernel specializations, most wanted first.

A new server has compiled nothing: each (surface, optimizer) specialization takes 0.5-6 s,
a batch kernel up to 12 s, the Network page's training pass about 11 s. A request is a key naming
the specialization, a call that compiles it (or loads it from numba's disk cache, which takes
milliseconds) and a priority. Keys already done, or being compiled, return at once.

Two lanes, each a thread with a compile worker process of its own (``compile_worker``):

- the **page lane** takes only what a page is waiting for (NOW), so a page never waits behind
  the warm-up list (it waits at most for another page's compile under way);
- the **background lane** takes the rest (SOON, then the warm-up list: LATER), and its worker
  runs at a low CPU priority: on a 2-core machine it compiles on the core that the
  server, the browser and the page lane leave idle. With one lane, the Network page's training
  pass (then a first view with no stand-in) started ~27 s into a fresh server, behind every page
  the teacher opened before it.
"""
from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Hashable

NOW = 0  # a page is waiting for it
SOON = 1  # the likely next views of a page already open
LATER = 2  # the warm-up list of a new server

PAGE_LANE = "kernel-compiler"
BACKGROUND_LANE = "kernel-compiler-background"
_LANES = (PAGE_LANE, BACKGROUND_LANE)


def _lane_of(priority: int) -> str:
    return PAGE_LANE if priority == NOW else BACKGROUND_LANE


class KernelQueue:
    """Compile calls in priority order (then first come), in a thread per lane started on demand."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wanted = threading.Condition(self._lock)
        self._heaps: dict[str, list] = {lane: [] for lane in _LANES}
        self._order = itertools.count()
        self._priority: dict[Hashable, int] = {}  # queued keys and their best priority so far
        self._running: set[Hashable] = set()
        self._done: dict[Hashable, threading.Event] = {}
        self._failed: set[Hashable] = set()
        self._threads: dict[str, threading.Thread] = {}
        self._idle_callbacks: list[Callable[[], object]] = []

    def request(self, key: Hashable, compile_call: Callable[[], object], priority: int = NOW) -> threading.Event:
        """Queue ``compile_call`` under ``key`` unless it is done, being compiled, or queued (then raise its priority)."""
        with self._lock:
            done = self._done.setdefault(key, threading.Event())
            if done.is_set() or key in self._running or self._priority.get(key, priority + 1) <= priority:
                return done
            self._priority[key] = priority
            # a key asked for again with a higher priority leaves a stale entry behind, skipped when it comes up
            heapq.heappush(self._heaps[_lane_of(priority)], (priority, next(self._order), key, compile_call))
            for lane in _LANES:
                if lane not in self._threads:
                    self._threads[lane] = threading.Thread(target=self._work, args=(lane,), name=lane, daemon=True)
                    self._threads[lane].start()
            self._wanted.notify_all()
            return done

    def wait(self, key: Hashable, compile_call: Callable[[], object], seconds: float, priority: int = NOW) -> bool:
        """Request ``key`` and wait up to ``seconds`` for it; True when it compiled (False also on failure)."""
        return self.request(key, compile_call, priority).wait(seconds) and not self.failed(key)

    def ready(self, key: Hashable) -> bool:
        with self._lock:
            done = self._done.get(key)
            return done is not None and done.is_set() and key not in self._failed

    def failed(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._failed

    def mark_ready(self, key: Hashable) -> None:
        """Record a specialization compiled elsewhere (a caller that could not wait compiled it itself)."""
        with self._lock:
            self._done.setdefault(key, threading.Event()).set()
            self._failed.discard(key)

    def pending(self) -> int:
        """Calls queued or being compiled."""
        with self._lock:
            return len(self._priority) + len(self._running)

    def on_idle(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` each time the queue runs dry and no lane is compiling (the compile workers'
        memory can then go back)."""
        self._idle_callbacks.append(callback)

    def _next(self, lane: str):
        """The lane's most wanted call, taken off the queue; waits for one."""
        heap = self._heaps[lane]
        with self._lock:
            while True:
                while heap and self._priority.get(heap[0][2]) != heap[0][0]:
                    heapq.heappop(heap)  # stale: compiled since, or asked for again with a higher priority
                if heap:
                    _, _, key, compile_call = heapq.heappop(heap)
                    del self._priority[key]
                    self._running.add(key)
                    return key, compile_call
                self._wanted.wait()

    def _work(self, lane: str) -> None:
        while True:
            key, compile_call = self._next(lane)
            try:
                compile_call()
            except Exception:  # noqa: BLE001 - a caller waiting on it compiles itself and sees the error there
                with self._lock:
                    self._failed.add(key)
            with self._lock:
                self._running.discard(key)
                self._done[key].set()
                idle = not self._priority and not self._running
            if idle:
                for callback in list(self._idle_callbacks):
                    try:
                        callback()
                    except Exception:  # noqa: BLE001 - an idle hook must never stop the compiler
                        pass


QUEUE = KernelQueue()


def in_compiler_thread() -> bool:
    """Whether the caller is a queue's compiler thread (whose calls are small and may compile elsewhere)."""
    return threading.current_thread().name in _LANES


def in_background_lane() -> bool:
    return threading.current_thread().name == BACKGROUND_LANE
