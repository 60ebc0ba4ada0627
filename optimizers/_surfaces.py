"""Compile-time lookup of a surface's jitted functions by its id (registry position or formula id).

See ``_dispatch`` for why kernels resolve functions this way.
"""
from landscapes import spec_for_index
from landscapes.data import batch_terms
from numba import njit, types
from numba.extending import overload

from landscapes._base import JIT_OPTIONS

# The id of "the minibatch of this step" (optimizers.minibatch): p is then (kind, features, targets, indices,
# lo, hi), so a rule that takes its gradient elsewhere (SAM's ascent point, Schedule-Free's y) takes it on
# the same minibatch.
MINIBATCH = -1


@njit(**JIT_OPTIONS)
def _batch_value(x, y, kind, features, targets, indices, lo, hi):
    return batch_terms(x, y, kind, features, targets, indices, lo, hi)[0]


@njit(**JIT_OPTIONS)
def _batch_grad(x, y, kind, features, targets, indices, lo, hi):
    _, gx, gy = batch_terms(x, y, kind, features, targets, indices, lo, hi)
    return gx, gy


def literal_index(value, what=""):
    """The value of a literal integer type, or None (numba then retries with the literal)."""
    if not isinstance(value, types.IntegerLiteral):
        return None
    return value.literal_value


def surface_value(lid, x, y, p):
    raise NotImplementedError("only callable from a kernel")


def surface_grad(lid, x, y, p):
    raise NotImplementedError("only callable from a kernel")


@overload(surface_value)
def _surface_value(lid, x, y, p):
    index = literal_index(lid, "surface")
    if index is None:
        return None
    value = _batch_value if index == MINIBATCH else spec_for_index(index).value

    def impl(lid, x, y, p):
        return value(x, y, *p)

    return impl


@overload(surface_grad)
def _surface_grad(lid, x, y, p):
    index = literal_index(lid, "surface")
    if index is None:
        return None
    grad = _batch_grad if index == MINIBATCH else spec_for_index(index).grad

    def impl(lid, x, y, p):
        return grad(x, y, *p)

    return impl


