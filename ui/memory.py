"""Memory a long class gives back: freed objects collected, and freed heap returned to the system.

glibc's defaults suit short programs, not a server whose threads (one per session) build and
drop large arrays all class long: each thread may get its own heap (up to 8 per core), and after
the first large array is freed, arrays up to 32 MiB come from those heaps instead of being
mapped and unmapped, so freed figures stay as holes in them. ``tune_allocator`` keeps two heaps
and maps every block of 128 KiB or more on its own, so freeing it gives it back at once.

Streamlit's full collection after every rerun is off (``.streamlit/config.toml``: it held the
interpreter for ~400 ms per slider move); the janitor (``ui.heavy``) calls ``give_back`` every
half minute instead. glibc keeps freed small blocks in its heap for reuse, so a server that once
held a large figure would look as large for the rest of the class; ``malloc_trim`` returns them.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc

_LIBC_NAME = ctypes.util.find_library("c")
try:
    _LIBC = ctypes.CDLL(_LIBC_NAME) if _LIBC_NAME else None
except OSError:  # pragma: no cover - a system without a loadable C library
    _LIBC = None


_M_MMAP_THRESHOLD = -3  # mallopt parameters, from glibc's malloc.h
_M_ARENA_MAX = -8
MMAP_THRESHOLD = 128 * 1024
ARENAS = 2


def tune_allocator() -> bool:
    """Set glibc's heap count and a fixed mmap threshold (see the module docstring); False elsewhere."""
    mallopt = getattr(_LIBC, "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_ARENA_MAX, ARENAS)) and bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def give_back(full: bool = False) -> None:
    """Collect garbage, then return free heap pages to the system (glibc; elsewhere only the collection).

    Young garbage only unless ``full``: over this server's heap (numba, sympy, plotly) a full
    collection holds the interpreter for 100-400 ms, which a student's slider would wait for. A
    closed page's objects are in reference cycles (its functions and its namespace), which only
    a full collection frees: the janitor asks for one when no session is open."""
    gc.collect() if full else gc.collect(1)
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)
