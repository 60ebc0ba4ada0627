r"""The classic two-dimensional classification sets a small network learns: circles, XOR, two moons,
two spirals and Gaussian blobs, generated from a seed and split into a training and a test part.

Each set has a clean shape with labels 0 and 1, then every input point gets Gaussian noise of
standard deviation ``noise`` (so the labels stay those of the clean shape and classes start to
overlap as the noise grows). Circles and moons follow scikit-learn's ``make_circles`` (factor ½)
and ``make_moons`` (shifted to the origin); the spirals are the two interleaved arms of Lang &
Witbrock (1988) over 1¾ turns; XOR puts each class in its two opposite quadrants (class 1 where x·y > 0); the blobs are two
round Gaussian clouds (standard deviation 0.3) at (−0.7, −0.7) and (0.7, 0.7). All fit in [−2, 2]².
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SETS = {
    "circles": "a ring around a disc (needs a curved boundary)",
    "xor": "the four quadrants, diagonal ones alike (no single line separates them)",
    "moons": "two interleaved half-moons",
    "spirals": "two interleaved spiral arms (the hardest)",
    "blobs": "two round clouds (a straight line almost separates them)",
}
MIN_POINTS, MAX_POINTS = 20, 2000
MAX_NOISE = 1.0
MAX_SEED = 2**31 - 1
EXTENT = 2.0  # every set lies in [-EXTENT, EXTENT]² but for rare noise draws


@dataclass(frozen=True)
class ClassificationData:
    """One generated set, already split. Inputs are (n, 2) float64, labels (n,) float64 in {0, 1}."""

    name: str
    noise: float
    seed: int
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_train(self) -> int:
        return len(self.y_train)

    @property
    def n_test(self) -> int:
        return len(self.y_test)


def _circles(n, rng):
    outer = n // 2
    angles = rng.uniform(0.0, 2.0 * math.pi, n)
    radius = np.where(np.arange(n) < outer, 1.0, 0.5)
    labels = (np.arange(n) >= outer).astype(float)
    return np.column_stack([radius * np.cos(angles), radius * np.sin(angles)]), labels


def _xor(n, rng):
    labels = (np.arange(n) >= n // 2).astype(float)
    # class 1 in the quadrants where x·y > 0, class 0 where x·y < 0, each point in a random one of its two;
    # a margin of 0.1 around the axes is the clean shape: noise then decides how much the quadrants touch
    magnitude = rng.uniform(0.1, 1.1, (n, 2))
    first_sign = rng.choice((-1.0, 1.0), n)
    second_sign = np.where(labels > 0, first_sign, -first_sign)
    return magnitude * np.column_stack([first_sign, second_sign]), labels


def _moons(n, rng):
    outer = n // 2
    angles = rng.uniform(0.0, math.pi, n)
    upper = np.arange(n) < outer
    x = np.where(upper, np.cos(angles), 1.0 - np.cos(angles))
    y = np.where(upper, np.sin(angles), 0.5 - np.sin(angles))
    return np.column_stack([x - 0.5, y - 0.25]), (~upper).astype(float)


def _spirals(n, rng):
    arm = (np.arange(n) >= n // 2).astype(float)
    t = rng.uniform(0.08, 1.0, n)
    angle = 3.5 * math.pi * t + math.pi * arm
    radius = 1.6 * t
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]), arm


def _blobs(n, rng):
    label = (np.arange(n) >= n // 2).astype(float)
    centre = np.where(label[:, None] > 0, 0.7, -0.7)
    return centre + 0.3 * rng.standard_normal((n, 2)), label


_SHAPES = {"circles": _circles, "xor": _xor, "moons": _moons, "spirals": _spirals, "blobs": _blobs}
assert set(_SHAPES) == set(SETS)


def _whole(value, name, low, high) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not low <= value <= high:
        raise ValueError(f"Invalid {name}: {value!r}; expected a whole number in [{low}, {high}]")
    return int(value)


def make(name: str, n: int = 400, noise: float = 0.1, seed: int = 0, test_share: float = 0.25) -> ClassificationData:
    """``n`` labelled points of set ``name`` (half of each class), noisy inputs, split at random into
    ``1 − test_share`` for training and ``test_share`` for testing. Raises ValueError saying what is allowed."""
    if name not in SETS:
        raise ValueError(f"Unknown data set {name!r}; valid: {', '.join(SETS)}")
    n = _whole(n, "number of points", MIN_POINTS, MAX_POINTS)
    seed = _whole(seed, "seed", 0, MAX_SEED)
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.integer, np.floating)) \
            or not 0.0 <= float(noise) <= MAX_NOISE:
        raise ValueError(f"Invalid noise: {noise!r}; expected a number in [0, {MAX_NOISE:g}]")
    if isinstance(test_share, bool) or not isinstance(test_share, (int, float)) or not 0.05 <= float(test_share) <= 0.5:
        raise ValueError(f"Invalid test share: {test_share!r}; expected a number in [0.05, 0.5]")
    rng = np.random.default_rng(seed)
    points, labels = _SHAPES[name](n, rng)
    points = points + float(noise) * rng.standard_normal(points.shape)
    order = rng.permutation(n)
    n_test = max(1, round(n * float(test_share)))
    test, train = order[:n_test], order[n_test:]
    as_array = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
    return ClassificationData(name, float(noise), seed, as_array(points[train]), as_array(labels[train]),
                              as_array(points[test]), as_array(labels[test]))


__all__ = ["ClassificationData", "EXTENT", "MAX_NOISE", "MAX_POINTS", "MIN_POINTS", "SETS", "make"]
