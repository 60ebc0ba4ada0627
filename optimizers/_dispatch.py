"""Compile-time lookup of surfaces and update rules by registry position.

A kernel calls ``surface_grad(lid, ...)`` with ``lid`` a literal integer; numba resolves the
overload once per specialization to that surface's own jitted function, so each
(surface, optimizer) pair gets a flat loop with no run-time switch, and the kernel's
signature holds only plain types, which lets ``cache=True`` load it from disk. (Measured:
passing jitted functions as kernel arguments defeats the disk cache, and looping over a
tuple of functions turns them into slow function pointers.)
"""
from numba.extending import overload

from landscapes import spec_for_index

from ._registry import OPTIMIZERS
from ._surfaces import literal_index


def rule_init(oid, hp):
    raise NotImplementedError("only callable from a kernel")


def rule_step(oid, lid, t, x, y, f, gx, gy, lr, hp, state, p, oracle):
    raise NotImplementedError("only callable from a kernel")


@overload(rule_init)
def _rule_init(oid, hp):
    index = literal_index(oid, "optimizer")
    if index is None:
        return None
    init = OPTIMIZERS[index].init

    def impl(oid, hp):
        return init(hp)

    return impl


# forceinline: LLVM's own inliner left Adam's step as a call, and a call in the batch loop
# keeps it from vectorizing (Adam's 128 x 128 sweep: 0.54 -> 0.12 s with this and _kernels' layout).
@overload(rule_step, jit_options={"forceinline": True})
def _rule_step(oid, lid, t, x, y, f, gx, gy, lr, hp, state, p, oracle):
    o_index, s_index = literal_index(oid, "optimizer"), literal_index(lid, "surface")
    if o_index is None or s_index is None:
        return None
    rule = OPTIMIZERS[o_index]
    step = rule.step
    hessian = spec_for_index(s_index).hessian if rule.uses_hessian else None

    if rule.needs_oracle:
        def impl(oid, lid, t, x, y, f, gx, gy, lr, hp, state, p, oracle):
            return step(t, x, y, f, gx, gy, lr, hp, state, lid, p, oracle)
    elif rule.uses_hessian:
        def impl(oid, lid, t, x, y, f, gx, gy, lr, hp, state, p, oracle):
            return step(t, x, y, f, gx, gy, hessian(x, y, *p), lr, hp, state)
    else:
        def impl(oid, lid, t, x, y, f, gx, gy, lr, hp, state, p, oracle):
            return step(t, x, y, f, gx, gy, (0.0, 0.0, 0.0), lr, hp, state)
    return impl
