"""Compile-time lookup of a surface's jitted functions by its id (registry position or formula id).

See ``_dispatch`` for why kernels resolve functions this way.
"""
from landscapes import spec_for_index
from landscapes.data import batch_terms
from numba import njit, types
from numba.extending import overload

from landscapes._base import JIT_OPTIONS

from ._base import sqrt

# The id of "the minibatch of this step" (optimizers.minibatch): p is then (kind, features, targets, indices,
# lo, hi), so a rule that takes its gradient elsewhere (SAM's ascent point, Schedule-Free's y) takes it on
# the same minibatch.
MINIBATCH = -1
# The id of "a network's parameters, two at a time" (optimizers.network): p is then (points, gradients, k, norm).
# A rule that takes a second gradient elsewhere (Schedule-Free's y, SAM's ascent point) asks for it at its
# pair k's coordinates: they are written to ``points`` and the gradient read from ``gradients``, which the
# network filled at the whole vector of points (a first pass of the rule finds them); ``norm`` is the whole
# gradient's norm, which a rule that normalises its gradient (SAM) reads through ``gradient_norm``.
PAIRED = -2


@njit(**JIT_OPTIONS)
def _batch_value(x, y, kind, features, targets, indices, lo, hi):
    return batch_terms(x, y, kind, features, targets, indices, lo, hi)[0]


@njit(**JIT_OPTIONS)
def _batch_grad(x, y, kind, features, targets, indices, lo, hi):
    _, gx, gy = batch_terms(x, y, kind, features, targets, indices, lo, hi)
    return gx, gy


@njit(**JIT_OPTIONS)
def _paired_grad(x, y, points, gradients, k, norm):
    points[2 * k] = x
    if 2 * k + 1 < points.shape[0]:
        points[2 * k + 1] = y
        return gradients[2 * k], gradients[2 * k + 1]
    return gradients[2 * k], 0.0  # the lone last parameter's dummy partner: never moved


def literal_index(value, what=""):
    """The value of a literal integer type, or None (numba then retries with the literal)."""
    if not isinstance(value, types.IntegerLiteral):
        return None
    return value.literal_value


def surface_value(lid, x, y, p):
    raise NotImplementedError("only callable from a kernel")


def surface_grad(lid, x, y, p):
    raise NotImplementedError("only callable from a kernel")


def value_function(index: int):
    """The jitted loss of surface ``index``: a landscape's, or a minibatch's (``MINIBATCH``)."""
    return _batch_value if index == MINIBATCH else spec_for_index(index).value


def grad_function(index: int):
    """The jitted gradient of surface ``index``: a landscape's, a minibatch's, or a network pair's (``PAIRED``)."""
    return _batch_grad if index == MINIBATCH else _paired_grad if index == PAIRED else spec_for_index(index).grad


@overload(surface_value)
def _surface_value(lid, x, y, p):
    index = literal_index(lid, "surface")
    if index is None:
        return None
    value = value_function(index)

    def impl(lid, x, y, p):
        return value(x, y, *p)

    return impl


@overload(surface_grad)
def _surface_grad(lid, x, y, p):
    index = literal_index(lid, "surface")
    if index is None:
        return None
    grad = grad_function(index)

    def impl(lid, x, y, p):
        return grad(x, y, *p)

    return impl


def gradient_norm(lid, gx, gy, p):
    raise NotImplementedError("only callable from a kernel")


@overload(gradient_norm)
def _gradient_norm(lid, gx, gy, p):
    """‖g‖: of the two coordinates on a surface, of every parameter on a network (``PAIRED``)."""
    index = literal_index(lid, "surface")
    if index is None:
        return None
    if index == PAIRED:
        def paired(lid, gx, gy, p):
            return p[3]
        return paired

    def impl(lid, gx, gy, p):
        return sqrt(gx * gx + gy * gy)
    return impl
