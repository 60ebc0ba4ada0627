"""Numba process settings that must be fixed before numba is first imported.

Why a content-addressed cache directory: numba keys a cached kernel on its own source file
only, so a kernel that inlines a landscape or optimizer from another file would keep serving
stale machine code after that file changes. Hashing every kernel source into the directory
name makes any edit start from an empty cache.

Why the OpenMP threading layer: two threads (two Streamlit sessions) entering a
``parallel=True`` kernel at once abort the process under numba's fallback ``workqueue``
layer; GNU OpenMP from the system libgomp is thread-safe and needs no extra package.

Why 512-bit vectors where the CPU has AVX-512: LLVM's tuning for these Xeons prefers 256-bit
vectors, and the batch kernels are bound by the number of vector instructions, so 8 lanes
instead of 4 made the 256 x 256 momentum basin map 0.12 -> 0.08 s on this machine
(benchmarks/bench_explore.py). Other CPUs keep numba's default.

Why a lock around each cache save: the compile queue's two worker processes compile at once, often
two specializations of one kernel, and numba saves a specialization by reading the kernel's index,
adding its entry and writing the index back, with no lock between processes. Two workers saving
together lost an entry (4 of 80 specializations saved by two processes at once, a /tmp probe): the
server then found no cached kernel and compiled it itself, holding numba's compile lock, and a page
that needed another kernel meanwhile drew nothing for two minutes (the first-view benchmark's Basins
page). Both could also pick the same data file for different specializations, so that one kernel's
entry led to another's code.
"""
import fcntl
import functools
import hashlib
import os
import pathlib
import sys

_PROJECT = pathlib.Path(__file__).resolve().parent.parent
_KERNEL_PACKAGES = ("landscapes", "optimizers")


def _source_digest() -> str:
    digest = hashlib.sha256()
    for package in _KERNEL_PACKAGES:
        for path in sorted((_PROJECT / package).glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def configure() -> str:
    """Point numba at a cache directory keyed by the kernel sources; return that directory."""
    base = os.environ.get("LANDSCAPE_NUMBA_CACHE_BASE") or str(_PROJECT / ".numba_cache")
    cache_dir = os.path.join(base, _source_digest())
    os.environ["NUMBA_CACHE_DIR"] = cache_dir
    os.environ.setdefault("NUMBA_THREADING_LAYER", "omp")
    if "NUMBA_CPU_FEATURES" not in os.environ:
        from llvmlite import binding

        features = binding.get_host_cpu_features()
        if features.get("avx512f"):
            os.environ["NUMBA_CPU_FEATURES"] = features.flatten() + ",-prefer-256-bit"
    if "numba" in sys.modules:
        # Someone imported numba first: make it re-read the environment. Safe while no
        # kernel of ours has been decorated yet, which holds because this runs first.
        from numba.core import config

        config.reload_config()
    return cache_dir


def save_under_a_lock(save):
    """numba's ``IndexDataCacheFile.save`` holding an exclusive lock on a file beside the kernel's index, so
    that processes sharing the cache add their entries one at a time."""

    @functools.wraps(save)
    def locked(cache_file, key, data):
        with open(f"{cache_file._index_path}.lock", "a") as lock:  # noqa: SLF001 - numba's, tested
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            return save(cache_file, key, data)

    locked.across_processes = True
    return locked


def lock_cache_saves() -> None:
    from numba.core import caching

    if not getattr(caching.IndexDataCacheFile.save, "across_processes", False):
        caching.IndexDataCacheFile.save = save_under_a_lock(caching.IndexDataCacheFile.save)


CACHE_DIR = configure()
lock_cache_saves()
