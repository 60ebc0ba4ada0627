"""Compile-time lookup of a surface's jitted functions by its id (registry position or formula id).

See ``_dispatch`` for why kernels resolve functions this way.
"""
from numba import types
from numba.extending import overload

from landscapes import spec_for_index


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
    value = spec_for_index(index).value

    def impl(lid, x, y, p):
        return value(x, y, *p)

    return impl


@overload(surface_grad)
def _surface_grad(lid, x, y, p):
    index = literal_index(lid, "surface")
    if index is None:
        return None
    grad = spec_for_index(index).grad

    def impl(lid, x, y, p):
        return grad(x, y, *p)

    return impl


