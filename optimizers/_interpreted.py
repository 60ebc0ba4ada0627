"""The driver kernel run by the interpreter: a page's first view while numba compiles the real one.

A kernel specialization takes 0.5-6 s to compile on a new server; its interpreted twin
(``landscapes.interpreted``) runs a page's few hundred steps in milliseconds. This module gives
the twins stand-ins for the names that only exist inside numba: ``literally``, the compile-time
lookups of ``_dispatch`` and ``_surfaces`` (here looked up at run time), the ``llvm.sqrt``
intrinsic, numba's ``tuple_setitem`` (the network's rule states).
"""
from __future__ import annotations

import numpy as np
from landscapes import spec_for_index
from numba.cpython.unsafe.tuple import tuple_setitem
from landscapes.interpreted import array_stand_in, stand_in, twin

from . import _base, _dispatch, _kernels, _surfaces
from ._registry import OPTIMIZERS


def _surface_value(lid, x, y, p):
    return twin(_surfaces.value_function(int(lid)))(x, y, *p)


def _surface_grad(lid, x, y, p):
    return twin(_surfaces.grad_function(int(lid)))(x, y, *p)


def _gradient_norm(lid, gx, gy, p):
    return p[3] if int(lid) == _surfaces.PAIRED else np.sqrt(gx * gx + gy * gy)  # correctly rounded, as llvm.sqrt


def _rule_init(oid, hp):
    return twin(OPTIMIZERS[int(oid)].init)(hp)


def _rule_step(oid, lid, t, x, y, f, gx, gy, lr, hp, state, p, oracle):
    rule = OPTIMIZERS[int(oid)]
    step = twin(rule.step)
    if rule.needs_oracle:
        return step(t, x, y, f, gx, gy, lr, hp, state, lid, p, oracle)
    hessian = twin(spec_for_index(int(lid)).hessian)(x, y, *p) if rule.uses_hessian else (0.0, 0.0, 0.0)
    return step(t, x, y, f, gx, gy, hessian, lr, hp, state)


stand_in(_surfaces.surface_value, _surface_value)
stand_in(_surfaces.surface_grad, _surface_grad)
stand_in(_surfaces.gradient_norm, _gradient_norm)
stand_in(_dispatch.rule_init, _rule_init)
stand_in(_dispatch.rule_step, _rule_step)
stand_in(_kernels.literally, lambda value: value)
stand_in(_base.llvm_sqrt_intrinsic, np.sqrt)  # correctly rounded, as llvm.sqrt
stand_in(tuple_setitem, lambda values, index, value: values[:index] + (value,) + values[index + 1:])
array_stand_in(_base.flush, lambda value: np.where(np.abs(value) > _base.TINY, value, 0.0))


def trace(lid, oid, p, hp, x, y, lr, lr_factor, oracle, escape, path, loss, grad_norm, lr_used):
    """``_kernels.trace`` run by the interpreter on float64 scalars: same arguments, same result."""
    f64 = np.float64
    noise, seed, clip_value, clip_norm = oracle
    with np.errstate(all="ignore"):
        return twin(_kernels.trace)(lid, oid, tuple(f64(v) for v in p), tuple(f64(v) for v in hp), f64(x), f64(y), f64(lr),
                                    lr_factor, (f64(noise), seed, f64(clip_value), f64(clip_norm)), escape,
                                    path, loss, grad_norm, lr_used)
