"""A child process that runs typed formulas' kernels, recycled so their machine code is given back.

Numba never frees compiled code: in the server, every new formula kept 9-16 MiB for good, and
one server reached 2.4 GiB after a class. The server only parses a formula and derives it
(sympy; plain NumPy functions, ``landscapes.from_formula(..., jitted=False)``) to draw its map;
its trajectories are run here, where the kernels are compiled (or loaded from numba's disk
cache). After ``max_formulas`` different formulas, or once the child's memory passes
``max_megabytes``, the next call starts a fresh child and the old one's memory goes back to the
system; a recycled child finds the kernels it compiled before in the disk cache.

Protocol: ``compile_worker``'s (length-prefixed pickles). A request is ``(function name,
arguments)``; the reply is ``("ok", value)``, ``("refused", message)`` for a formula or setting
the engine refuses (a ``ValueError``, raised again in the server), or ``("error", text)``.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import pathlib
import pickle
import subprocess
import sys
import threading

from .compile_worker import receive_message, send_message

_PROJECT = pathlib.Path(__file__).resolve().parent.parent
_CHILD = "from optimizers.formula_worker import serve; serve()"
TIMING_REPEATS = 3  # as ui.compute's: the summary shows the fastest of a few warm calls


class WorkerFailed(RuntimeError):
    """The child died or answered with an unexpected error; the next call starts a new one."""


class FormulaWorker:
    """The server's end: one child, started on first use, recycled by formulas served or by memory."""

    def __init__(self, max_formulas: int = 24, max_megabytes: float = 1024.0):
        self.max_formulas = max_formulas
        self.max_megabytes = max_megabytes
        self.recycled = 0  # children retired so far
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._formulas: set = set()  # formula texts this child has built

    def call(self, function: str, text: str, *args):
        """``function(text, *args)`` in the child; ``ValueError`` for what the engine refuses."""
        with self._lock:
            if self._process is not None and self._process.poll() is None and text not in self._formulas \
                    and (len(self._formulas) >= self.max_formulas or self.megabytes() > self.max_megabytes):
                self._retire()
            try:
                self._start()
                send_message(self._process.stdin, pickle.dumps((function, (text, *args))))
                status, value = pickle.loads(receive_message(self._process.stdout))
            except (OSError, EOFError, ValueError, pickle.PickleError) as error:
                self._retire()
                raise WorkerFailed(f"the formula worker stopped ({type(error).__name__})") from None
            self._formulas.add(text)
        if status == "ok":
            return value
        if status == "refused":
            raise ValueError(value)
        raise WorkerFailed(value)

    def start(self) -> None:
        """Start the child ahead of its first call (its imports take a second or two)."""
        with self._lock:
            self._start()

    def megabytes(self) -> float:
        """The child's resident memory in MiB (0 when it is not running)."""
        process = self._process
        if process is None or process.poll() is not None:
            return 0.0
        return resident_megabytes(process.pid)

    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def formulas(self) -> int:
        return len(self._formulas)

    def stop(self) -> None:
        with self._lock:
            self._retire()

    def _start(self) -> None:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen([sys.executable, "-c", _CHILD], cwd=_PROJECT,
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
            self._formulas = set()

    def _retire(self) -> None:
        if self._process is not None:
            if self._process.poll() is None:
                self.recycled += 1
            self._process.kill()
            self._process.wait()
            self._process = None
        self._formulas = set()


# The child runs at a lower CPU priority than the server's page threads: one student's new
# formula compiles for seconds, and the teacher's slider must not wait for it.
CHILD_NICENESS = 10


def resident_megabytes(pid: int) -> float:
    """A process's resident set size in MiB, from /proc (0 where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


WORKER = FormulaWorker(max_formulas=int(os.environ.get("LANDSCAPE_FORMULAS_PER_WORKER", "24")),
                       max_megabytes=float(os.environ.get("LANDSCAPE_FORMULA_WORKER_MEGABYTES", "1024")))


# ----- the child ---------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=32)
def _surface(text: str, bounds: tuple):
    import landscapes

    return landscapes.from_formula(text, bounds=bounds)


def run(text: str, bounds: tuple, optimizer: str, start: tuple, steps: int, kwargs: dict):
    """``optimizers.run`` on the formula, and the fastest of a few warm calls' seconds; the Result
    comes back without its landscape (jitted functions do not pickle), which the server puts back."""
    import optimizers

    surface = _surface(text, bounds)
    result = optimizers.run(optimizer, surface, start=start, steps=steps, **kwargs)
    seconds = min(optimizers.run(optimizer, surface, start=start, steps=steps, **kwargs).elapsed
                  for _ in range(TIMING_REPEATS))
    return dataclasses.replace(result, landscape=None), seconds


def companion_trails(text: str, bounds: tuple, optimizer: str, start: tuple, steps: int, kwargs: dict) -> dict:
    """``anatomy.companion_trails`` of the run: the other points its rule looked at."""
    from optimizers import anatomy

    return anatomy.companion_trails(anatomy.replay(optimizer, _surface(text, bounds), start=start, steps=steps, **kwargs))


FUNCTIONS = {"run": run, "companion_trails": companion_trails}


def serve(requests=None, replies=None) -> None:
    """The child's loop: run each request, answer, until the server closes the pipe."""
    requests, replies = requests or sys.stdin.buffer, replies or sys.stdout.buffer
    if hasattr(os, "nice"):
        os.nice(CHILD_NICENESS)
    while True:
        try:
            name, args = pickle.loads(receive_message(requests))
        except EOFError:
            return
        try:
            reply = ("ok", FUNCTIONS[name](*args))
        except ValueError as refusal:  # a FormulaError or an invalid setting: the server shows it
            reply = ("refused", str(refusal))
        except Exception as error:  # noqa: BLE001 - reported to the server, never a dead child
            reply = ("error", f"{type(error).__name__}: {error}"[:2000])
        send_message(replies, pickle.dumps(reply))

