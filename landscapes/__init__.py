"""Analytic 2-D loss surfaces with exact gradients and Hessians.

>>> import landscapes
>>> s = landscapes.get("rosenbrock")
>>> s.f(1.0, 1.0), s.grad(1.0, 1.0)
(0.0, (0.0, 0.0))
"""
from . import _numba_env  # noqa: F401  (must run before numba is imported)
from ._base import CATEGORIES, CUSTOM_CATEGORY, Landscape, Minimum, Param, SurfaceSpec
from . import formula
from .formula import FormulaError, from_formula
from . import (ackley, beale, booth, bowl, chain, cliff, double_well, flat_sharp, himmelblau, monkey_saddle, plateau,
               quadratic, rastrigin, rosenbrock, rotated_quadratic, saddle, six_hump_camel)

# The registry: one line per surface, in the order the app lists them. A surface's position
# here is the integer id the kernels specialize on.
SURFACES: tuple[SurfaceSpec, ...] = (
    # ravine
    quadratic.SPEC,
    rotated_quadratic.SPEC,
    rosenbrock.SPEC,
    # saddle
    saddle.SPEC,
    monkey_saddle.SPEC,
    double_well.SPEC,
    chain.SPEC,
    # cliff
    cliff.SPEC,
    # plateau
    plateau.SPEC,
    # multimodal
    himmelblau.SPEC,
    rastrigin.SPEC,
    ackley.SPEC,
    six_hump_camel.SPEC,
    flat_sharp.SPEC,
    # convex
    bowl.SPEC,
    booth.SPEC,
    beale.SPEC,
)

_BY_NAME = {spec.name: i for i, spec in enumerate(SURFACES)}
assert len(_BY_NAME) == len(SURFACES), "two surfaces share a name"


def names() -> list[str]:
    """Names of every surface in the catalogue, in display order."""
    return [spec.name for spec in SURFACES]


def get(name: str, **params) -> Landscape:
    """The surface called ``name``, with its default parameters overridden by ``params``."""
    if isinstance(name, Landscape):
        return name.with_params(**params) if params else name
    if name not in _BY_NAME:
        raise ValueError(f"Unknown landscape {name!r}; valid names: {', '.join(names())}")
    index = _BY_NAME[name]
    spec = SURFACES[index]
    landscape = Landscape(spec=spec, index=index, param_values={p.name: p.default for p in spec.params})
    return landscape.with_params(**params) if params else landscape


def spec_for_index(index: int) -> SurfaceSpec:
    """The surface behind a kernel id: a registry position, or a formula built by ``from_formula``.

    The kernels resolve every id through this one function at compile time, so a formula
    landscape runs in every driver (``run``, ``run_many``, Newton's Hessian, L-BFGS's line search).
    """
    if 0 <= index < len(SURFACES):
        return SURFACES[index]
    return formula.registered_spec(index)


def by_category() -> dict[str, list[str]]:
    """Surface names grouped under the category headings, in catalogue order."""
    groups: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    for spec in SURFACES:
        groups[spec.category].append(spec.name)
    return groups


__all__ = ["CATEGORIES", "CUSTOM_CATEGORY", "FormulaError", "Landscape", "Minimum", "Param", "SurfaceSpec", "SURFACES",
           "names", "get", "by_category", "from_formula", "spec_for_index"]
