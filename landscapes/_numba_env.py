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
"""
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


CACHE_DIR = configure()
