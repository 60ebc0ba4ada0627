"""One background thread that compiles kernel specializations, most wanted first.

A new server has compiled nothing: each (surface, optimizer) specialization takes 0.5-6 s,
a batch kernel up to 12 s. Compiling them one at a time in one thread, in priority order,
means a page that needs a kernel now can jump ahead of the warm-up list (it waits at most for
the compile already under way, never for the whole list), and two pages never compile at once
(numba holds one lock for all compiles, so they would only take turns while both pages wait).

A request is a key naming the specialization and a call that compiles it (or loads it from
numba's disk cache, which takes milliseconds). Keys already done return at once.
"""
from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Hashable

NOW = 0  # a page is waiting for it
SOON = 1  # the likely next views of a page already open
LATER = 2  # the warm-up list of a new server


class KernelQueue:
    """Compile calls in priority order (then first come), in one daemon thread started on demand."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wanted = threading.Condition(self._lock)
        self._heap: list = []
        self._order = itertools.count()
        self._priority: dict[Hashable, int] = {}  # queued keys and their best priority so far
        self._done: dict[Hashable, threading.Event] = {}
        self._failed: set[Hashable] = set()
        self._worker: threading.Thread | None = None
        self._idle_callbacks: list[Callable[[], object]] = []

    def request(self, key: Hashable, compile_call: Callable[[], object], priority: int = NOW) -> threading.Event:
        """Queue ``compile_call`` under ``key`` unless it is queued (then raise its priority) or done."""
        with self._lock:
            done = self._done.setdefault(key, threading.Event())
            if done.is_set() or self._priority.get(key, priority + 1) <= priority:
                return done
            self._priority[key] = priority
            heapq.heappush(self._heap, (priority, next(self._order), key, compile_call))
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name=_COMPILER_THREAD_NAME, daemon=True)
                self._worker.start()
            self._wanted.notify()
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
        with self._lock:
            return len(self._priority)

    def on_idle(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` each time the queue runs dry (the compile worker's memory can then go back)."""
        self._idle_callbacks.append(callback)

    def _work(self) -> None:
        while True:
            with self._lock:
                idle = not self._heap
            if idle:
                for callback in list(self._idle_callbacks):
                    try:
                        callback()
                    except Exception:  # noqa: BLE001 - an idle hook must never stop the compiler
                        pass
            with self._lock:
                while not self._heap:
                    self._wanted.wait()
                priority, _, key, compile_call = heapq.heappop(self._heap)
                if self._priority.get(key) != priority:
                    continue  # a stale entry: the key was requested again with a higher priority
                del self._priority[key]
            try:
                compile_call()
            except Exception:  # noqa: BLE001 - a caller waiting on it compiles itself and sees the error there
                with self._lock:
                    self._failed.add(key)
            self._done[key].set()


QUEUE = KernelQueue()
_COMPILER_THREAD_NAME = "kernel-compiler"


def in_compiler_thread() -> bool:
    """Whether the caller is a queue's compiler thread (whose calls are small and may compile elsewhere)."""
    return threading.current_thread().name == _COMPILER_THREAD_NAME
