"""Hyperparameter metadata and the OptimizerSpec record every optimizer file declares.

A hyperparameter is declared once (torch's keyword, default, allowed range, label, help) and
drives both validation here and the sliders in the app.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from landscapes._base import JIT_OPTIONS

# LLVM inlines an update rule into each kernel specialization that uses it.
rule_jit = njit(**JIT_OPTIONS)

TINY = 1e-300  # below this a decayed state value is flushed to zero: subnormals cost 3-20x per step


@intrinsic
def llvm_sqrt_intrinsic(typingctx, value):
    if not isinstance(value, types.Float):
        return None

    def codegen(context, builder, signature, args):
        return builder.call(builder.module.declare_intrinsic("llvm.sqrt", [args[0].type]), args)

    return value(value), codegen


@njit(inline="always", **JIT_OPTIONS)
def sqrt(value):
    """The correctly rounded square root, NaN below zero, as math.sqrt, but vectorizable.

    numba lowers math.sqrt to a call of libm's sqrt, which may set errno; LLVM cannot
    vectorize that call, so a batch loop with one stayed scalar (Adam's sweep: 43 ns a step).
    The llvm.sqrt intrinsic gives the same IEEE result without errno.
    """
    return llvm_sqrt_intrinsic(value)


@njit(inline="always", **JIT_OPTIONS)
def sign(value):
    """torch.sign: 1, −1, or 0 for a zero (a sign-based rule's coordinate then does not move)."""
    return 1.0 if value > 0.0 else (-1.0 if value < 0.0 else 0.0)


@njit(inline="always", **JIT_OPTIONS)
def flush(value):
    """Zero out values so small that they would sink into slow subnormal arithmetic."""
    return value if abs(value) > TINY else 0.0


@dataclass(frozen=True)
class Hyper:
    """One hyperparameter, named as in ``torch.optim``."""

    name: str
    default: object
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False  # True: the low end itself is not allowed
    high_open: bool = False
    kind: str = "float"  # "float", "int", "bool", "pair" (two floats, like betas) or "choice"
    label: str = ""
    help: str = ""
    log: bool = False  # a log-scale slider suits it
    choices: tuple = ()  # for kind "choice": allowed values (the first is packed as 0.0, ...)
    slider: tuple | None = None  # (low, high) the app offers, when narrower than the valid range
    in_torch: bool = True  # torch.optim's class takes it as a keyword (named ``torch_name`` if that is set)
    torch_name: str = ""
    torch_literals: tuple = ()  # (value, text) pairs where torch spells a value differently
    parts: tuple = ("first", "second")  # for kind "pair": what each of the two numbers is called

    def describe_range(self) -> str:
        lo = "(" if self.low_open else "["
        hi = ")" if self.high_open else "]"
        return f"{lo}{self.low:g}, {self.high:g}{hi}"

    def _check_number(self, value, what: str) -> float:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"Invalid {what}: {value!r}; expected a number in {self.describe_range()}")
        number = float(value)
        too_low = number <= self.low if self.low_open else number < self.low
        too_high = number >= self.high if self.high_open else number > self.high
        if math.isnan(number) or too_low or too_high:
            raise ValueError(f"Invalid {what}: {value!r}; allowed range is {self.describe_range()}")
        return number

    def allows(self, value) -> bool:
        """Whether ``validate`` accepts ``value``."""
        try:
            self.validate(value)
        except ValueError:
            return False
        return True

    def validate(self, value):
        """Return the value in canonical form, or raise ValueError saying what is allowed."""
        if self.kind == "bool":
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            raise ValueError(f"Invalid {self.name}: {value!r}; expected True or False")
        if self.kind == "choice":
            if value not in self.choices:
                raise ValueError(f"Invalid {self.name}: {value!r}; expected one of {list(self.choices)}")
            return value
        if self.kind == "pair":
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise ValueError(f"Invalid {self.name}: {value!r}; expected a pair of numbers, each in {self.describe_range()}")
            return tuple(self._check_number(v, f"{self.name}[{i}]") for i, v in enumerate(value))
        number = self._check_number(value, self.name)
        if self.kind == "int":
            if number != int(number):
                raise ValueError(f"Invalid {self.name}: {value!r}; expected a whole number in {self.describe_range()}")
            return int(number)
        return number

    def pack(self, value) -> tuple:
        """The float(s) this value contributes to the tuple a kernel receives."""
        if self.kind == "pair":
            return (float(value[0]), float(value[1]))
        if self.kind == "bool":
            return (1.0 if value else 0.0,)
        if self.kind == "choice":
            return (float(self.choices.index(value)),)
        return (float(value),)


def _torch_literal(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_torch_literal(v) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


def learning_rate(default: float, note: str = "") -> Hyper:
    """The ``lr`` hyperparameter every optimizer shares (its default is torch's for that class)."""
    return Hyper(
        "lr", default, 0.0, 1e6, low_open=True, label="learning rate",
        help="Step size η." + (" " + note if note else ""), log=True, slider=(1e-5, 10.0),
    )


def betas(default: tuple = (0.9, 0.999), help: str = "Decay rates of the running means of g (momentum) and of g² (scale).",
          label: str = "betas (β₁, β₂)") -> Hyper:
    """torch's ``betas``: two decay rates in [0, 1)."""
    return Hyper("betas", default, 0.0, 1.0, high_open=True, kind="pair", label=label, help=help, parts=("β₁", "β₂"))


def eps(default: float, help: str = "Added to the denominator, outside the square root.") -> Hyper:
    """torch's ``eps``: a small positive number that keeps a division finite."""
    return Hyper("eps", default, 0.0, 1.0, low_open=True, label="ε", help=help, log=True)


def weight_decay(default: float = 0.0, help: str = "L2 penalty added to the gradient: g + λθ.") -> Hyper:
    """torch's ``weight_decay`` λ."""
    return Hyper("weight_decay", default, 0.0, 1e3, label="weight decay λ", help=help)


def setting_key(key: str) -> tuple[str, int | None]:
    """("betas", 1) for the sweep's and the URL's "betas[1]"; (key, None) for a plain name.

    Raises ValueError for a malformed element key ("betas[2]", "betas[x]")."""
    match = re.fullmatch(r"(\w+)\[([01])\]", key)
    if match:
        return match.group(1), int(match.group(2))
    if "[" in key or "]" in key:
        raise ValueError(f"Invalid setting {key!r}; a pair's element is written name[0] or name[1]")
    return key, None


def with_setting(values: dict, key: str, value, defaults: dict | None = None) -> dict:
    """``values`` with setting ``key`` ("momentum", or a pair's element "betas[1]") set to ``value``.

    A pair missing from ``values`` starts from ``defaults``."""
    name, index = setting_key(key)
    updated = dict(values)
    if index is None:
        updated[name] = value
    else:
        pair = list(updated[name] if name in updated else (defaults or {})[name])
        pair[index] = value
        updated[name] = tuple(pair)
    return updated


# How a sensible first learning rate is found (ui/defaults.py holds the numbers): by the surface's
# curvature (steps of η·g, stable below 2/L), by its extent (rules whose step moves each coordinate
# about η), by its extent for AdaGrad-like rules whose step shrinks as squares accumulate, by its extent
# and the gradient at the start for a rule whose first steps are plain gradient steps of length η·|g|
# before they become per-coordinate ones (RAdam's warm-up), or 1 (a step that already has the right
# length, as Newton's).
STEP_SCALES = ("curvature", "per_coordinate", "accumulating", "rectified", "unit")


@dataclass(frozen=True)
class OptimizerSpec:
    """What one optimizer file declares. ``step`` is the jitted update rule.

    ``step(t, x, y, f, gx, gy, h, lr, hp, state) -> (x, y, state)`` where ``t`` counts from 1,
    ``h = (hxx, hxy, hyy)`` is the Hessian (only computed when ``uses_hessian``), ``hp`` is the
    packed tuple of hyperparameters (in ``hypers`` order after ``lr``, then ``constants``), and
    ``state`` the tuple ``init(hp)`` returned. Optimizers that search along a line
    (``needs_oracle``) receive ``(lid, p, oracle)`` after ``state``, and no ``h``, so they can
    evaluate the surface where they like.
    """

    name: str
    title: str
    torch: str  # the equivalent torch.optim call, so a student can check the numbers
    formula: str  # LaTeX of the update rule
    convention: str  # where lecture notes differ, which form is used and why
    hypers: tuple  # Hyper records; the first is always lr
    init: Callable
    step: Callable
    constants: tuple = ()  # (name, value) pairs packed after the hypers: fixed switches of this variant
    check: Callable | None = None  # cross-parameter validation, raising ValueError
    uses_hessian: bool = False
    needs_oracle: bool = False
    # the data page may run it on minibatches: it asks nothing of the loss but gradients (where it likes; a
    # rule that needs the Hessian, or L-BFGS's line search on one fixed function, may not)
    on_minibatches: bool = True
    summary: str = ""
    defaults_note: str = field(default="")
    colour: str = ""  # "#RRGGBB", its own on every chart (tests check no two optimizers share one)
    step_scale: str = "per_coordinate"  # one of STEP_SCALES
    sweep_axis: str = ""  # the setting a sweep sets against lr first ("momentum", "betas[1]"); "": the first
    # the Network page's first learning rate: trains the default network well in 500 steps, full batch or minibatches
    # of 32, on every data set (swept over a grid, then below the best until the default run's loss rises by no more
    # than a few percent in a step: full-batch GD on a network sits at the edge of stability and spikes above; notes
    # of issue 19); 0: none measured, the page picks one by step_scale
    network_lr: float = 0.0

    def __post_init__(self):
        if self.step_scale not in STEP_SCALES:
            raise ValueError(f"{self.name}: step_scale {self.step_scale!r} is not one of {STEP_SCALES}")
        if self.sweep_axis and setting_key(self.sweep_axis)[0] not in {h.name for h in self.hypers}:
            raise ValueError(f"{self.name}: sweep_axis {self.sweep_axis!r} names none of its hyperparameters")

    @property
    def defaults(self) -> dict:
        return {h.name: h.default for h in self.hypers}

    def torch_call(self, values: dict) -> str:
        """The call that computes a run with these settings (``values`` resolved), for a student to copy:
        the class and fixed arguments of ``torch`` (torch.optim's, or the authors' package for a rule torch
        lacks), the run's lr, every other setting that differs from its default, and a note for each
        changed setting the class does not take."""
        call = re.search(r"([\w.]+)\(params, ([^()]*(?:\([^)]*\)[^()]*)*)\)", self.torch)
        if call is None:
            return self.torch
        head, rest = call.group(1), call.group(2)
        positional = [part.strip() for part in re.split(r",(?![^(]*\))", rest) if part.strip() and "=" not in part]
        arguments = dict(re.findall(r"(\w+)=(\([^)]*\)|[^,)]+)", rest))
        arguments["lr"] = _torch_literal(values["lr"])
        notes = []
        for h in self.hypers[1:]:
            if values[h.name] == h.default:
                continue
            if h.in_torch:
                spelled = dict(h.torch_literals)
                value = values[h.name]
                arguments[h.torch_name or h.name] = spelled[value] if value in spelled else _torch_literal(value)
            else:
                notes.append(f"not a keyword of the class: {h.name}={_torch_literal(values[h.name])} ({h.label or h.name})")
        text = f"{head}(" + ", ".join(["params", *positional, *(f"{k}={v}" for k, v in arguments.items())]) + ")"
        return self.torch[:call.start()] + text + self.torch[call.end():] + "".join(f"; {note}" for note in notes)

    def hyper(self, name: str) -> Hyper:
        for h in self.hypers:
            if h.name == name:
                return h
        raise KeyError(name)

    def resolve(self, overrides: dict) -> dict:
        """Defaults updated by ``overrides``, every value validated; unknown names raise."""
        known = {h.name: h for h in self.hypers}
        unknown = [k for k in overrides if k not in known]
        if unknown:
            raise ValueError(
                f"Unknown hyperparameter {unknown[0]!r} for optimizer {self.name!r}; "
                f"its hyperparameters: {', '.join(known)}"
            )
        values = {h.name: h.validate(overrides.get(h.name, h.default)) for h in self.hypers}
        if self.check is not None:
            self.check(values)
        return values

    def pack(self, values: dict) -> tuple:
        """Hyperparameters after lr, then the constants, as one flat tuple of floats."""
        packed: list[float] = []
        for h in self.hypers[1:]:
            packed.extend(h.pack(values[h.name]))
        packed.extend(float(v) for _, v in self.constants)
        return tuple(packed)
