"""What an optimizer is allowed to see of the surface: a gradient, made noisy and clipped.

The noise is counter-based (splitmix64 hashed from seed, step and evaluation index, then
Box-Muller), so a run is reproducible from its seed alone, whatever thread or batch computes
it, and a plain-Python reference can draw the very same numbers.
"""
import math

import numpy as np
from landscapes._base import JIT_OPTIONS
from numba import njit

from ._base import sqrt

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TWO = np.uint64(2)
_ONE = np.uint64(1)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(inline="always", **JIT_OPTIONS)
def splitmix64(z):
    z = z + _GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(**JIT_OPTIONS)
def normal_pair(seed, t, j):
    """Two independent standard normals for (seed, step t, evaluation j within the step)."""
    key = splitmix64(np.uint64(seed) * _GOLDEN + np.uint64(t))
    u = splitmix64(key + np.uint64(j) * _TWO)
    v = splitmix64(key + np.uint64(j) * _TWO + _ONE)
    u1 = float((u >> _S11) + _ONE) * _TO_UNIT  # (0, 1]: log(u1) is finite
    u2 = float(v >> _S11) * _TO_UNIT
    radius = math.sqrt(-2.0 * math.log(u1))
    angle = 2.0 * math.pi * u2
    return radius * math.cos(angle), radius * math.sin(angle)


@njit(**JIT_OPTIONS)
def add_noise(gx, gy, t, j, noise, seed):
    """The gradient plus Gaussian noise of standard deviation ``noise`` in each coordinate."""
    zx, zy = normal_pair(seed, t, j)
    return gx + noise * zx, gy + noise * zy


@njit(**JIT_OPTIONS)
def clip(gx, gy, clip_value, clip_norm):
    """Clip by value, then by norm; an infinite threshold disables that clip.

    Norm clipping copies torch.nn.utils.clip_grad_norm_: coef = max_norm / (norm + 1e-6),
    applied only when below one. Branch-free (selects only), so batch kernels vectorize.
    """
    gx = min(max(gx, -clip_value), clip_value)
    gy = min(max(gy, -clip_value), clip_value)
    coef = clip_norm / (sqrt(gx * gx + gy * gy) + 1e-6)
    scale = coef if coef < 1.0 else 1.0
    return gx * scale, gy * scale


@njit(**JIT_OPTIONS)
def perturb(gx, gy, t, j, oracle):
    """The gradient the optimizer sees: plus Gaussian noise, then clipped by value, then by norm.

    ``oracle = (noise, seed, clip_value, clip_norm)``; an infinite clip threshold disables it.
    Single trajectories skip a disabled clip: its square root and division would otherwise
    sit on every step's dependent chain (measured: Adam went from about 50 to 100 ns/step).
    Skipping changes no bit: a disabled clip multiplies by exactly 1.
    """
    noise, seed, clip_value, clip_norm = oracle
    if noise > 0.0:
        gx, gy = add_noise(gx, gy, t, j, noise, seed)
    if clip_value < math.inf or clip_norm < math.inf:
        gx, gy = clip(gx, gy, clip_value, clip_norm)
    return gx, gy
