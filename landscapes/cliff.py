"""A sheer cliff between a high plateau and a valley: the exploding-gradient picture."""
import numpy as np

from ._base import Minimum, Param, SurfaceSpec, surface_jit

# Shape constants. The face is a ramp of width _FACE whose two edges are rounded over _EDGE.
# The face must be wider than a step on the plateau (lr times a slope below _SLOPE), or a run
# could step over it; the edges must be much sharper than such a step, or a run would be
# accelerated smoothly over the edge (a tail sigmoid does this) instead of landing on the face.
_FACE = 0.25
_EDGE = 5e-4
_SLOPE = 0.75  # the floor's slope far from the minimum (pseudo-Huber scale δ)
_X_MIN = -1.5  # the minimum, at the foot of the cliff


@surface_jit
def value(x, y, height):
    dx = x - _X_MIN
    floor = _SLOPE * (np.sqrt(_SLOPE * _SLOPE + dx * dx + y * y) - _SLOPE)
    # softplus(z) = log(1 + e^z), written so that e^z cannot overflow
    z0 = x / _EDGE
    z1 = (x - _FACE) / _EDGE
    sp0 = np.maximum(z0, 0.0) + np.log1p(np.exp(-np.abs(z0)))
    sp1 = np.maximum(z1, 0.0) + np.log1p(np.exp(-np.abs(z1)))
    return floor + height / _FACE * _EDGE * (sp0 - sp1)


@surface_jit
def grad(x, y, height):
    dx = x - _X_MIN
    k = _SLOPE / np.sqrt(_SLOPE * _SLOPE + dx * dx + y * y)
    # the logistic sigmoid as 0.5 + 0.5 tanh(z/2): no overflow for large |z|
    steep = height / _FACE * 0.5 * (np.tanh(0.5 * x / _EDGE) - np.tanh(0.5 * (x - _FACE) / _EDGE))
    return k * dx + steep, k * y


@surface_jit
def hessian(x, y, height):
    dx = x - _X_MIN
    r2 = _SLOPE * _SLOPE + dx * dx + y * y
    k = _SLOPE / np.sqrt(r2)
    k3 = k / r2
    t0 = np.tanh(0.5 * x / _EDGE)
    t1 = np.tanh(0.5 * (x - _FACE) / _EDGE)
    edges = height / (_FACE * _EDGE) * 0.25 * ((1.0 - t0 * t0) - (1.0 - t1 * t1))
    return k - k3 * dx * dx + edges, -k3 * dx * y, k - k3 * y * y


SPEC = SurfaceSpec(
    name="cliff",
    title="Cliff (exploding gradients)",
    category="cliff",
    description=(
        "A high plateau (right) drops by a sheer face into a valley (left) whose minimum lies at the "
        "foot of the cliff; everywhere else the slope is gentle (below 0.75). The first step that lands "
        "on the face sees a gradient of height/0.25 = 400 and is catapulted far away, undoing all "
        "the progress made so far: with lr = 0.1 from the default start, plain SGD is thrown about 40 "
        "units and the run stops as diverged, while the same run with clip_norm = 1 takes bounded "
        "steps down the face and ends in the minimum. Adam survives too, because its step is "
        "normalized; momentum and Newton's method do not."
    ),
    formula=(
        r"f(x, y) = \delta\left(\sqrt{\delta^2 + (x + 1.5)^2 + y^2} - \delta\right)"
        r" + \frac{h}{w}\,\varepsilon\left[\operatorname{sp}\!\left(\frac{x}{\varepsilon}\right)"
        r" - \operatorname{sp}\!\left(\frac{x - w}{\varepsilon}\right)\right],\quad"
        r" \operatorname{sp}(z) = \log(1 + e^z),\; \delta = 0.75,\; w = 0.25,\; \varepsilon = 5\cdot10^{-4}"
    ),
    value=value,
    grad=grad,
    hessian=hessian,
    bounds=((-3.0, 3.0), (-2.0, 2.0)),
    starts=((2.5, 1.5), (2.5, -1.0), (-2.8, 1.5)),
    # The face's tails at the minimum are below e^-3000: the floor's minimum is exact in float64.
    minima=(Minimum(_X_MIN, 0.0, 0.0),),
    params=(Param("height", 100.0, 1.0, 200.0, "cliff height h", "Height of the face; its slope is h / 0.25.", log=True),),
    log_colors=True,
    escape_factor=5.0,  # a run thrown 5 half-widths (15 units) from the centre has left the picture
)
