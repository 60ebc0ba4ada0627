"""Child processes that compile kernel specializations for the server's compile queue, one a lane.

Numba compiles under one process-wide lock, and much of a compile is Python code holding the
interpreter: compiled in the server, the warm-up list made every page that needed a kernel of
its own wait for the compile under way (up to 12 s for a batch kernel) and slowed every
session's reruns meanwhile. Compiled here, a specialization lands in numba's disk cache, and the
server only loads it (milliseconds). The server's compile queue (``kernel_queue``) sends its
calls here; a page that compiles for itself does so in the server as before, no longer behind
the queue.

Protocol: the server writes a pickled ``(kernel name, arguments)`` (a call with no steps, a
few small arrays) and reads back ``b"ok"`` or the error's text; each message is preceded by its
length in 4 bytes. The child ends when the server closes its end of the pipe, or as soon as the
server is gone (``end_with_the_server``): a compile under way is not finished for nobody.
"""
from __future__ import annotations

import os
import pathlib
import pickle
import struct
import subprocess
import sys
import threading
import time

from .kernel_queue import in_background_lane

_PROJECT = pathlib.Path(__file__).resolve().parent.parent
_CHILD = "from optimizers.compile_worker import serve; serve(niceness={niceness})"
# The background lane's worker gives way to the page lane, the server and the browser: with nothing
# else to do a niced process still gets a whole core. Measured on a fresh server touring every page
# (2 cores, browser on the same machine; first chart of each page, two tours each): niceness 0 gave
# Basins 5.6-12.7 s and Data 7.0-7.3 s (the stand-ins starved); 19 starved the Network page's
# training pass (31 s to compile, 12 s alone); 10 kept every page but Network under 5 s
# (Compare 4.6-4.7 s). Raising niceness needs no privilege; lowering it does, hence a process a lane.
BACKGROUND_NICENESS = 10


def send_message(stream, payload: bytes) -> None:
    stream.write(struct.pack("<I", len(payload)) + payload)
    stream.flush()


def receive_message(stream) -> bytes:
    header = stream.read(4)
    if len(header) < 4:
        raise EOFError("the other end closed the pipe")
    (length,) = struct.unpack("<I", header)
    payload = stream.read(length)
    if len(payload) < length:
        raise EOFError("the other end closed the pipe")
    return payload


class CompileWorker:
    """The server's end: one child, started on first use and again if it dies; one call at a time."""

    def __init__(self, niceness: int = 0) -> None:
        self._lock = threading.RLock()  # ``stop`` from another thread waits for a compile under way
        self._process: subprocess.Popen | None = None
        self._niceness = niceness

    def compile(self, kernel_name: str, args: tuple) -> bool:
        """Whether the child compiled ``kernel_name(*args)`` into the disk cache (False: compile here)."""
        if os.environ.get("LANDSCAPE_COMPILE_IN_PROCESS"):
            return False
        with self._lock:
            try:
                if self._process is None or self._process.poll() is not None:
                    self._process = subprocess.Popen([sys.executable, "-c", _CHILD.format(niceness=self._niceness)], cwd=_PROJECT,
                                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                send_message(self._process.stdin, pickle.dumps((kernel_name, args)))
                return receive_message(self._process.stdout) == b"ok"
            except (OSError, EOFError, ValueError, pickle.PicklingError):
                self.stop()
                return False

    def stop(self) -> None:
        with self._lock:
            if self._process is not None:
                self._process.kill()
                self._process.wait()
                self._process = None


WORKER = CompileWorker()  # the compile queue's page lane
BACKGROUND_WORKER = CompileWorker(niceness=BACKGROUND_NICENESS)  # its background lane


def for_this_thread() -> CompileWorker:
    """The worker of the compile queue's lane that calls (``kernel_queue``)."""
    return BACKGROUND_WORKER if in_background_lane() else WORKER


def stop_all() -> None:
    WORKER.stop()
    BACKGROUND_WORKER.stop()


def end_with_the_server(poll_seconds: float = 0.25) -> threading.Thread:
    """End this process as soon as its parent has gone, even in the middle of a compile.

    A closed pipe is seen only between two compiles: a server stopped (Ctrl-C) or restarted during its
    warm-up left its two children compiling for up to ~12 s more, on the cores a restarted server and
    its first view needed (measured: three orphaned workers, two cores, while a new server's first Compare
    view was timed). Numba's compile is mostly Python code, which lets this thread run between its steps.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(0)

    watcher = threading.Thread(target=watch, name="end-with-the-server", daemon=True)
    watcher.start()
    return watcher


def serve(requests=None, replies=None, niceness: int = 0) -> None:
    """The child's loop: compile each requested call, answer, until the server closes the pipe or ends."""
    end_with_the_server()
    if niceness:
        os.nice(niceness)
    from optimizers import _kernels, minibatch, network  # configures numba exactly as the server did: the same cache directory

    requests, replies = requests or sys.stdin.buffer, replies or sys.stdout.buffer
    kernels = {kernel.py_func.__name__: kernel
               for kernel in (*_kernels.COMPILED_IN_BACKGROUND, minibatch.minibatch_trace, *network.COMPILED_IN_BACKGROUND)}
    while True:
        try:
            kernel_name, args = pickle.loads(receive_message(requests))
        except EOFError:
            return
        try:
            kernels[kernel_name](*args)
            send_message(replies, b"ok")
        except Exception as error:  # noqa: BLE001 - reported to the server, which then compiles itself
            send_message(replies, repr(error).encode()[:2000] or b"error")
