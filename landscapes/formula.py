r"""A landscape from a formula a student types, parsed safely and compiled like any other.

>>> import landscapes, optimizers
>>> s = landscapes.from_formula("(1-x)^2 + 100*(y-x^2)^2", bounds=((-2, 2), (-1, 3)))
>>> optimizers.run("adam", s, steps=100, lr=0.02).path.shape
(101, 2)

The text goes through four gates before any number is computed from it:

1. the raw text: at most ``MAX_LENGTH`` plain-ASCII characters, parentheses nested at most
   ``MAX_PARENTHESES`` deep (checked before ``ast.parse``, whose recursion could otherwise
   exhaust the C stack);
2. ``ast.parse(mode="eval")`` after ``^`` becomes ``**`` (positions are mapped back);
3. a whitelist walk of the tree: numbers, ``x``, ``y``, ``pi``, ``e``, ``+ - * / **``, unary
   signs, and calls of the named functions in ``FUNCTIONS``; bounded depth and node count;
4. building the sympy expression from that tree node by node (never ``sympify`` or
   ``parse_expr``, which call ``eval``), with constant parts folded in floating point first so
   ``9**9**9`` is refused as an exponent of 387420489 instead of handed to exact arithmetic.

Derivatives come from sympy. The jitted value, gradient and Hessian are generated as Python
source by ``_Printer``, a whitelist printer over the sympy tree: every token it emits is one
of ``x``, ``y``, a common-subexpression temporary it named itself, a float literal written by
``repr(float)``, an integer exponent, an operator, a parenthesis, or ``np.<name>`` from its
own fixed table; anything else in the tree raises. That source, not the user's text, is
compiled with ``exec`` in a namespace whose only name is ``np`` and whose builtins are empty.
(sympy's ``lambdify`` would also exec generated code; the printer is used instead so the
argument that nothing typed reaches ``exec`` is local and short.)

Kernel ids. The kernels specialize on an integer surface id and cache each specialization on
disk, so the id must name the machine code, not a slot: a formula's id is ``FORMULA_ID_BASE``
plus 48 bits of the SHA-256 of its generated source. Two processes that compile the same
formula get the same id and may share the cached kernel; different formulas never collide
(up to 2**-48). The generated functions carry the same hash in their names, so two cached
kernels loaded into one process never define the same symbol.
"""
from __future__ import annotations

import ast
import difflib
import hashlib
import math
import os
import re
import threading
import unicodedata
from collections import OrderedDict

import numpy as np

from ._base import JIT_OPTIONS, Landscape, Minimum, SurfaceSpec, rank_minima

MAX_LENGTH = 300
MAX_PARENTHESES = 20  # nesting depth of ( ), checked on the raw text before parsing
MAX_DEPTH = 100  # depth of the parsed tree: a sum of n terms is n deep; unary minus chains count too
MAX_NODES = 200
MAX_EXPONENT = 100  # |constant exponent|
MAX_POWER_TOWER = 2  # powers with a variable exponent nested inside each other (2**x**2 is 2)
MAX_NUMBER = 1e12  # largest literal or folded constant a formula may contain
MAX_FUNCTION_NESTING = 8  # sin(exp(sin(...))): each level multiplies the size of the Hessian
MAX_ESTIMATED_SIZE = 4000  # _derivative_sizes' estimate of the Hessian, checked before sympy runs
MAX_DERIVED_OPERATIONS = 3000  # sympy's count of value + gradient + Hessian: bounds compile time
MAX_BOUND = 1e6
DEFAULT_BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))
FORMULA_ID_BASE = 2**40  # far above any registry position
# Distinct formulas one process will compile. Machine code cannot be unloaded from numba, and a
# cold compile of one (formula, optimizer) kernel grew the server by about 7 MiB (measured; a
# kernel loaded from the disk cache, about 0.6 MiB), so the count of new formulas is what bounds
# a long-running server's memory. Formulas already built keep working after the limit.
MAX_FORMULAS_PER_PROCESS = int(os.environ.get("LANDSCAPE_MAX_FORMULAS", "64"))
CHECK_RESOLUTION = 101  # grid on which a formula must be finite
MINIMA_RESOLUTION = 161
MAX_MINIMA = 8

VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}
# name: (fewest, most arguments); the sympy side is _SympyTools.table, the code side _Printer.unary
FUNCTIONS = {
    "sin": (1, 1), "cos": (1, 1), "tan": (1, 1),
    "asin": (1, 1), "acos": (1, 1), "atan": (1, 1),
    "arcsin": (1, 1), "arccos": (1, 1), "arctan": (1, 1),
    "sinh": (1, 1), "cosh": (1, 1), "tanh": (1, 1),
    "exp": (1, 1), "log": (1, 1), "ln": (1, 1), "sqrt": (1, 1), "abs": (1, 1),
    "sigmoid": (1, 1), "softplus": (1, 1), "relu": (1, 1),
    "min": (2, 8), "max": (2, 8),
}
ALLOWED_NAMES = VARIABLES + tuple(CONSTANTS) + tuple(FUNCTIONS)

# Characters that look like ASCII ones; NFKC folds full-width forms and superscripts, not these.
_LOOKALIKES = {
    "х": "x", "у": "y", "е": "e", "о": "o", "р": "p", "с": "c", "а": "a", "і": "i", "ѕ": "s", "һ": "h",
    "ο": "o", "ν": "v", "τ": "t", "α": "a", "ρ": "p", "χ": "x", "γ": "y",
    "−": "-", "–": "-", "—": "-", "×": "*", "·": "*", "∗": "*", "÷": "/", "π": "pi", "²": "^2", "³": "^3",
}

_NODE_WORDS = {
    ast.Lambda: "a lambda", ast.ListComp: "a list comprehension", ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension", ast.GeneratorExp: "a generator expression", ast.Subscript: "indexing with [ ]",
    ast.Compare: "a comparison", ast.BoolOp: "'and'/'or'", ast.IfExp: "'if ... else'", ast.List: "a list",
    ast.Tuple: "a tuple (a comma)", ast.Dict: "a dict", ast.Set: "a set", ast.JoinedStr: "an f-string",
    ast.NamedExpr: "':='", ast.Starred: "'*' unpacking", ast.Await: "'await'", ast.Yield: "'yield'",
    ast.YieldFrom: "'yield from'", ast.Slice: "a slice",
}
_OPERATOR_WORDS = {
    ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
    ast.LShift: "<<", ast.RShift: ">>", ast.Not: "not", ast.Invert: "~",
}


class FormulaError(ValueError):
    """A refused formula: ``position`` is the 1-based column in the text the student typed."""

    def __init__(self, position: int, detail: str):
        self.position = int(position)
        self.detail = detail
        super().__init__(f"position {self.position}: {detail}")


# ----- gate 1: the raw text ---------------------------------------------------------------------
def _check_text(text) -> None:
    if not isinstance(text, str):
        raise FormulaError(1, f"a formula must be text, not {type(text).__name__}")
    if not text.strip():
        raise FormulaError(1, "the formula is empty; type an expression in x and y, e.g. x**2 + 10*y**2")
    if len(text) > MAX_LENGTH:
        raise FormulaError(MAX_LENGTH + 1, f"the formula is {len(text)} characters long; at most {MAX_LENGTH} are allowed")
    for i, char in enumerate(text):
        if ord(char) > 127:
            raise FormulaError(i + 1, _non_ascii(char))
        if char in "\\\n\r\x0b\x0c\x00" or (ord(char) < 32 and char != "\t"):
            raise FormulaError(i + 1, f"the character {char!r} cannot appear in a formula; write it on one line")
    depth = 0
    for i, char in enumerate(text):
        depth += char == "("
        depth -= char == ")"
        if depth > MAX_PARENTHESES:
            raise FormulaError(i + 1, f"parentheses are nested more than {MAX_PARENTHESES} deep")


def _non_ascii(char: str) -> str:
    name = unicodedata.name(char, f"U+{ord(char):04X}")
    folded = _LOOKALIKES.get(char) or unicodedata.normalize("NFKC", char)
    hint = f"; did you mean '{folded}'?" if folded.isascii() and folded.strip() else ""
    return f"'{char}' ({name}) is not a plain ASCII character; type formulas with ASCII letters and symbols{hint}"


# ----- gate 2: parsing ----------------------------------------------------------------------------
def _python_text(text: str) -> tuple[str, list[int]]:
    """``text`` with ``^`` written as ``**``, and for each of its characters the original index."""
    out, origin = [], []
    for i, char in enumerate(text):
        if char == "^":
            out.append("**")
            origin += [i, i]
        else:
            out.append(char)
            origin.append(i)
    origin.append(len(text))  # one past the end: errors "at the end of the formula"
    return "".join(out), origin


def _parse(text: str) -> tuple[ast.Expression, list[int]]:
    python, origin = _python_text(text)
    lead = len(python) - len(python.lstrip())  # eval mode refuses leading spaces as an indent
    try:
        tree = ast.parse(python[lead:], mode="eval")
    except SyntaxError as error:
        offset = (error.offset or 0) - 1 + lead
        at_end = error.offset in (None, 0) or offset >= len(python)
        position = len(text) + 1 if at_end else origin[max(offset, 0)] + 1
        raise FormulaError(position, _syntax_message(error, text, at_end)) from None
    except (ValueError, RecursionError, MemoryError):
        raise FormulaError(1, "the formula could not be read") from None
    return tree, origin[lead:]


def _syntax_message(error: SyntaxError, text: str, at_end: bool) -> str:
    message = str(error.msg)
    if "never closed" in message:
        return "syntax error: a '(' is never closed"
    if "unmatched" in message:
        return "syntax error: this ')' has no matching '('"
    if re.search(r"(\d|\))\s*[A-Za-z_(]", text):
        return "syntax error: write every multiplication with *, e.g. 2*x or (x+1)*(y-1)"
    if at_end:
        return "syntax error: the formula ends too early (an operator with nothing after it?)"
    return "syntax error: this is not a valid expression here"


# ----- gate 3: the whitelist walk -----------------------------------------------------------------
def _column(node, origin: list[int]) -> int:
    offset = getattr(node, "col_offset", 0) or 0
    return origin[min(offset, len(origin) - 1)] + 1


def _operator_column(node: ast.BinOp, python: str, origin: list[int]) -> int:
    """Column of a binary operator: the first non-blank after the left operand."""
    i = getattr(node.left, "end_col_offset", node.col_offset) or 0
    while i < len(python) and python[i] in " \t)":
        i += 1
    return origin[min(i, len(origin) - 1)] + 1


def _suggest(name: str) -> str:
    lowered = name.lower()
    if lowered in ALLOWED_NAMES:
        return f" - did you mean '{lowered}'?"
    close = difflib.get_close_matches(lowered, ALLOWED_NAMES, n=1, cutoff=0.6)
    return f" - did you mean '{close[0]}'?" if close else ""


def _validate(tree: ast.Expression, python: str, origin: list[int]) -> None:
    """Refuse every node outside the whitelist, before anything is evaluated."""
    count = 0
    stack = [(tree.body, 1, 0)]
    while stack:
        node, depth, calls = stack.pop()
        count += 1
        where = _column(node, origin)
        if count > MAX_NODES:
            raise FormulaError(where, f"the formula is too long: more than {MAX_NODES} parts")
        if depth > MAX_DEPTH:
            raise FormulaError(where, f"the formula is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float, complex)):
                raise FormulaError(where, f"only numbers can appear here, not {type(value).__name__} {value!r:.20}")
            if isinstance(value, complex):
                raise FormulaError(where, "imaginary numbers are not allowed: the loss must be real")
            if not math.isfinite(value) or abs(value) > MAX_NUMBER:
                raise FormulaError(where, f"the number {_short(value)} is too large; numbers are limited to {MAX_NUMBER:g}")
        elif isinstance(node, ast.Name):
            if node.id in FUNCTIONS:
                raise FormulaError(where, f"'{node.id}' is a function: write {node.id}(...)")
            if node.id not in VARIABLES and node.id not in CONSTANTS:
                raise FormulaError(where, f"unknown name '{node.id[:40]}'{_suggest(node.id)}; "
                                          f"use x, y, pi, e and the functions {', '.join(sorted(set(FUNCTIONS) - {'arcsin', 'arccos', 'arctan', 'ln'}))}")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.UAdd, ast.USub)):
                raise FormulaError(where, f"the operator '{_OPERATOR_WORDS.get(type(node.op), '?')}' is not allowed")
            stack.append((node.operand, depth + 1, calls))
        elif isinstance(node, ast.BinOp):
            if not isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
                raise FormulaError(_operator_column(node, python, origin),
                                   f"the operator '{_OPERATOR_WORDS.get(type(node.op), '?')}' is not allowed; use + - * / and ^ or **")
            stack += [(node.right, depth + 1, calls), (node.left, depth + 1, calls)]
        elif isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Attribute):
                raise FormulaError(_attribute_column(function, origin), f"attribute access ('.{function.attr[:40]}') is not allowed; "
                                                                       "call functions by their plain name, e.g. sin(x)")
            if not isinstance(function, ast.Name):
                raise FormulaError(where, "only a named function like sin(...) can be called")
            name = function.id
            if name not in FUNCTIONS:
                if name in VARIABLES or name in CONSTANTS:
                    raise FormulaError(where, f"'{name}' is not a function; write multiplication with *, e.g. {name}*(...)")
                raise FormulaError(where, f"unknown function '{name[:40]}'{_suggest(name)}")
            if node.keywords:
                raise FormulaError(_column(node.keywords[0].value, origin), f"{name}() takes no keyword arguments")
            if calls + 1 > MAX_FUNCTION_NESTING:
                raise FormulaError(where, f"functions are nested more than {MAX_FUNCTION_NESTING} deep")
            low, high = FUNCTIONS[name]
            if not low <= len(node.args) <= high:
                wanted = f"{low}" if low == high else f"{low} to {high}"
                raise FormulaError(where, f"{name}() takes {wanted} argument{'s' if high > 1 else ''}, not {len(node.args)}")
            stack += [(arg, depth + 1, calls + 1) for arg in reversed(node.args)]
        elif isinstance(node, ast.Attribute):
            raise FormulaError(_attribute_column(node, origin), f"attribute access ('.{node.attr[:40]}') is not allowed")
        else:
            word = _NODE_WORDS.get(type(node), f"this kind of expression ({type(node).__name__})")
            raise FormulaError(where, f"{word} is not allowed in a formula")


def _attribute_column(node: ast.Attribute, origin: list[int]) -> int:
    end = getattr(node.value, "end_col_offset", None)
    return origin[min(end, len(origin) - 1)] + 1 if end is not None else _column(node, origin)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:20] + "..."


def _derivative_sizes(node) -> tuple[float, float, float]:
    """Rough sizes of a node's value, first and second derivative expressions, from the tree alone.

    sympy spends minutes on a Hessian that the product and chain rules blow up (a product of 24
    sines: 68 s before its size could even be counted), so the size is estimated first and such a
    formula refused in microseconds. The recurrences follow the rules: (ab)'' = a''b + 2a'b' + ab''.
    """
    if isinstance(node, (ast.Constant, ast.Name)):
        return 1.0, 1.0, 1.0
    if isinstance(node, ast.UnaryOp):
        a0, a1, a2 = _derivative_sizes(node.operand)
        return a0 + 1, a1 + 1, a2 + 1
    if isinstance(node, ast.BinOp):
        (a0, a1, a2), (b0, b1, b2) = _derivative_sizes(node.left), _derivative_sizes(node.right)
        if isinstance(node.op, (ast.Add, ast.Sub)):
            return a0 + b0 + 1, a1 + b1 + 1, a2 + b2 + 1
        if isinstance(node.op, ast.Mult):
            return a0 + b0 + 1, a1 + b0 + a0 + b1 + 3, a2 + b0 + 2 * (a1 + b1) + a0 + b2 + 5
        # a / b and a ** b: products with extra factors of a and b
        return a0 + b0 + 1, 2 * (a0 + b0) + a1 + b1 + 5, 2 * (a2 + b2) + 4 * (a1 + b1) + 4 * (a0 + b0) + 10
    sizes = [_derivative_sizes(arg) for arg in node.args]
    s0 = sum(s[0] for s in sizes) + 1
    s1 = sum(s[1] for s in sizes) + s0 + 2
    s2 = sum(s[2] for s in sizes) + 2 * sum(s[1] for s in sizes) + 2 * s0 + 4
    return s0, s1, s2


# ----- gate 4: the sympy expression, with constants folded in floating point -----------------------
_FLOAT_FUNCTIONS = {
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin, "acos": math.acos, "atan": math.atan,
    "arcsin": math.asin, "arccos": math.acos, "arctan": math.atan, "sinh": math.sinh, "cosh": math.cosh,
    "tanh": math.tanh, "exp": math.exp, "log": math.log, "ln": math.log, "sqrt": math.sqrt, "abs": abs,
    "sigmoid": lambda z: 0.5 * (1.0 + math.tanh(0.5 * z)), "softplus": lambda z: max(z, 0.0) + math.log1p(math.exp(-abs(z))),
    "relu": lambda z: max(z, 0.0), "min": min, "max": max,
}


class _Builder:
    """Turns a validated tree into a sympy expression; remembers each node's expression."""

    def __init__(self, sp, tools, python: str, origin: list[int]):
        self.sp, self.tools, self.python, self.origin = sp, tools, python, origin
        self.x, self.y = tools.x, tools.y

    def build(self, node):
        """(sympy expression, float value if the node is constant else None, power-tower height)."""
        sp = self.sp
        where = _column(node, self.origin)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, int) or float(value).is_integer():
                return sp.Integer(int(value)), float(value), 0
            return sp.Float(value), float(value), 0
        if isinstance(node, ast.Name):
            if node.id == "x":
                return self.x, None, 0
            if node.id == "y":
                return self.y, None, 0
            return (sp.pi if node.id == "pi" else sp.E), CONSTANTS[node.id], 0
        if isinstance(node, ast.UnaryOp):
            expr, const, tower = self.build(node.operand)
            if isinstance(node.op, ast.USub):
                return -expr, (None if const is None else -const), tower
            return expr, const, tower
        if isinstance(node, ast.BinOp):
            left, lc, lt = self.build(node.left)
            right, rc, rt = self.build(node.right)
            at = _operator_column(node, self.python, self.origin)
            tower = max(lt, rt)
            if isinstance(node.op, ast.Pow):
                if rc is not None and abs(rc) > MAX_EXPONENT:
                    raise FormulaError(at, f"the exponent {rc:.6g} is too large; exponents are limited to ±{MAX_EXPONENT}")
                if rc is None:
                    tower = max(lt, rt + 1)
                    if tower > MAX_POWER_TOWER:
                        raise FormulaError(at, "a power tower like x^y^x^y is not allowed: its values explode")
                const = self._fold(at, lambda: math.pow(lc, rc)) if lc is not None and rc is not None else None
                return left ** right, const, tower
            if isinstance(node.op, ast.Div) and rc == 0.0:
                raise FormulaError(at, "division by zero")
            if isinstance(node.op, ast.Add):
                expr, fold = left + right, (lambda: lc + rc)
            elif isinstance(node.op, ast.Sub):
                expr, fold = left - right, (lambda: lc - rc)
            elif isinstance(node.op, ast.Mult):
                expr, fold = left * right, (lambda: lc * rc)
            else:
                expr, fold = left / right, (lambda: lc / rc)
            const = self._fold(at, fold) if lc is not None and rc is not None else None
            return expr, const, tower
        # a Call of a whitelisted name, as _validate guarantees
        name = node.func.id
        built = [self.build(arg) for arg in node.args]
        args = [b[0] for b in built]
        tower = max(b[2] for b in built)
        const = None
        if all(b[1] is not None for b in built):
            const = self._fold(where, lambda: _FLOAT_FUNCTIONS[name](*(b[1] for b in built)), name)
        return self.tools.function(name, args), const, tower

    def _fold(self, where: int, compute, name: str = "") -> float:
        try:
            value = float(compute())
        except OverflowError:
            raise FormulaError(where, f"this part evaluates to a number too large (limit {MAX_NUMBER:g})") from None
        except ZeroDivisionError:
            raise FormulaError(where, "division by zero") from None
        except (ValueError, TypeError):
            what = f"{name}() of this number" if name else "this part"
            raise FormulaError(where, f"{what} is not a real number") from None
        if not math.isfinite(value) or abs(value) > MAX_NUMBER ** 2:
            raise FormulaError(where, f"this part evaluates to a number too large (limit {MAX_NUMBER:g})")
        return value


class _SympyTools:
    """sympy, imported on first use (it costs about a second), and the app's custom functions."""

    def __init__(self):
        import sympy as sp

        self.sp = sp
        self.x, self.y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)

        class sigmoid(sp.Function):  # noqa: N801  (named as the student types it)
            """σ(z) = 1 / (1 + e^(-z)), kept whole so its derivative stays σ(1 - σ)."""

            @classmethod
            def eval(cls, z):
                if z.is_number:  # a constant: written out, so Min/Max can compare it
                    return 1 / (1 + sp.exp(-z))

            def fdiff(self, argindex=1):
                s = sigmoid(self.args[0])
                return s * (1 - s)

            def _eval_is_extended_real(self):
                return self.args[0].is_extended_real

            def _eval_is_positive(self):
                return self.args[0].is_extended_real

            def _latex(self, printer, exp=None):
                body = r"\sigma\left(%s\right)" % printer._print(self.args[0])
                return body if exp is None else r"%s^{%s}" % (body, exp)

        class softplus(sp.Function):  # noqa: N801
            """log(1 + e^z), evaluated without overflow; its derivative is σ(z)."""

            @classmethod
            def eval(cls, z):
                if z.is_number:
                    return sp.log(1 + sp.exp(z))

            def fdiff(self, argindex=1):
                return sigmoid(self.args[0])

            def _eval_is_extended_real(self):
                return self.args[0].is_extended_real

            def _eval_is_positive(self):
                return self.args[0].is_extended_real

            def _latex(self, printer, exp=None):
                body = r"\operatorname{softplus}\left(%s\right)" % printer._print(self.args[0])
                return body if exp is None else r"%s^{%s}" % (body, exp)

        self.sigmoid, self.softplus = sigmoid, softplus
        self.table = {
            "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "asin": sp.asin, "acos": sp.acos, "atan": sp.atan,
            "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "sinh": sp.sinh, "cosh": sp.cosh,
            "tanh": sp.tanh, "exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt, "abs": sp.Abs,
            "sigmoid": sigmoid, "softplus": softplus, "min": sp.Min, "max": sp.Max,
        }

    def function(self, name: str, args):
        if name == "relu":
            return self.sp.Max(args[0], 0)
        return self.table[name](*args)


_TOOLS: _SympyTools | None = None
_TOOLS_LOCK = threading.Lock()


def _tools() -> _SympyTools:
    global _TOOLS
    with _TOOLS_LOCK:
        if _TOOLS is None:
            _TOOLS = _SympyTools()
        return _TOOLS


# ----- code generation: a whitelist printer over the sympy tree ------------------------------------
class _Printer:
    """NumPy/numba source for a sympy expression; raises on anything outside its table.

    Every emitted token is x, y, a temporary named by ``cse`` (checked against the set it
    produced), ``repr(float)`` of a number, an integer exponent, an operator, a parenthesis
    or ``np.<fixed name>``: nothing of the user's text survives as text.
    """

    def __init__(self, sp, tools: _SympyTools, temporaries: set):
        self.sp, self.tools, self.temporaries = sp, tools, temporaries
        self.unary = {
            sp.sin: "np.sin", sp.cos: "np.cos", sp.tan: "np.tan", sp.asin: "np.arcsin", sp.acos: "np.arccos",
            sp.atan: "np.arctan", sp.sinh: "np.sinh", sp.cosh: "np.cosh", sp.tanh: "np.tanh", sp.exp: "np.exp",
            sp.log: "np.log", sp.Abs: "np.abs", sp.sign: "np.sign",
        }

    def __call__(self, e) -> str:
        sp = self.sp
        if e.is_Symbol:
            if e == self.tools.x:
                return "x"
            if e == self.tools.y:
                return "y"
            if e in self.temporaries:
                return e.name
            raise FormulaError(1, f"internal: unexpected symbol {e.name!r:.30}")
        if e.is_Number or e.is_NumberSymbol:
            value = float(e)
            if not math.isfinite(value):
                raise FormulaError(1, "the formula is not finite (it divides by zero or overflows)")
            return f"({value!r})"
        if e.is_Add:
            return "(" + " + ".join(self(a) for a in e.args) + ")"
        if e.is_Mul:
            return "(" + " * ".join(self(a) for a in e.args) + ")"
        if e.is_Pow:
            base, exponent = e.args
            if exponent.is_Integer:
                return f"({self(base)} ** {int(exponent)})"
            if exponent == sp.Rational(1, 2):
                return f"np.sqrt({self(base)})"
            if exponent == sp.Rational(-1, 2):
                return f"(1.0 / np.sqrt({self(base)}))"
            return f"np.power({self(base)}, {self(exponent)})"
        func = e.func
        if func in self.unary and len(e.args) == 1:
            return f"{self.unary[func]}({self(e.args[0])})"
        if func in (sp.Min, sp.Max):
            name = "np.minimum" if func is sp.Min else "np.maximum"
            code = self(e.args[-1])
            for arg in reversed(e.args[:-1]):
                code = f"{name}({self(arg)}, {code})"
            return code
        if func is sp.Heaviside:  # d/dz max(z, 0); the value 1/2 at the kink is sympy's H(0)
            return f"(0.5 + 0.5 * np.sign({self(e.args[0])}))"
        if func is sp.DiracDelta:  # the second derivative of a kink: zero everywhere it exists
            return "(0.0)"
        if func is self.tools.sigmoid:
            return f"(1.0 / (1.0 + np.exp(-{self(e.args[0])})))"
        if func is self.tools.softplus:
            z = self(e.args[0])
            return f"(np.maximum({z}, 0.0) + np.log1p(np.exp(-np.abs({z}))))"
        raise FormulaError(1, f"the derivative of this formula needs {func.__name__:.30}, which cannot be compiled")


def _function_source(printer: _Printer, sp, name: str, expressions, symbols) -> str:
    replacements, reduced = sp.cse(expressions, symbols=symbols, optimizations=None)
    printer.temporaries.update(symbol for symbol, _ in replacements)
    lines = [f"def {name}(x, y):"]
    lines += [f"    {symbol.name} = {printer(value)}" for symbol, value in replacements]
    lines.append("    return " + ", ".join(printer(e) for e in reduced))
    return "\n".join(lines)


# ----- the compiled formula, cached per canonical text ---------------------------------------------
class _Compiled:
    """One formula's sympy expressions, jitted functions and kernel id (bounds are separate)."""

    def __init__(self, text: str):
        _check_text(text)
        tree, origin = _parse(text)
        python, _ = _python_text(text)
        lead = len(python) - len(python.lstrip())
        python = python[lead:]
        _validate(tree, python, origin)
        if _derivative_sizes(tree.body)[2] > MAX_ESTIMATED_SIZE:
            raise FormulaError(1, "the formula's second derivatives would be too large to compile; "
                                  "try fewer factors multiplied together")
        tools = _tools()
        sp = tools.sp
        builder = _Builder(sp, tools, python, origin)
        expr, const, _ = builder.build(tree.body)
        if expr.has(sp.zoo, sp.oo, -sp.oo, sp.nan, sp.I):
            raise FormulaError(1, "the formula is not a finite real number (it divides by zero or is complex)")
        x, y = tools.x, tools.y
        gx, gy = sp.diff(expr, x), sp.diff(expr, y)
        if const is not None or not expr.free_symbols or (gx == 0 and gy == 0):
            raise FormulaError(1, "the formula is constant: it must depend on x or y, or there is nothing to optimize")
        hessian = [sp.diff(gx, x), sp.diff(gx, y), sp.diff(gy, y)]
        size = sum(sp.count_ops(e) for e in [expr, gx, gy, *hessian])
        if size > MAX_DERIVED_OPERATIONS:
            raise FormulaError(1, f"the formula's derivatives are too large to compile ({size} operations)")

        self.text, self.tree, self.origin, self.python = text, tree, origin, python
        self.expr, self.gradient, self.hessian_exprs = expr, (gx, gy), hessian
        self.latex = sp.latex(expr)
        self.canonical = sp.srepr(expr)

        temporaries = sp.numbered_symbols("_t", real=True)
        printer = _Printer(sp, tools, set())
        bodies = [
            _function_source(printer, sp, "value", [expr], temporaries),
            _function_source(printer, sp, "grad", [gx, gy], temporaries),
            _function_source(printer, sp, "hessian", hessian, temporaries),
        ]
        generic = "\n\n".join(bodies)
        digest = hashlib.sha256(generic.encode()).hexdigest()
        self.index = FORMULA_ID_BASE + int(digest[:12], 16)
        tag = digest[:12]
        self.tag = tag
        self.source = generic.replace("def value(", f"def value_{tag}(").replace("def grad(", f"def grad_{tag}(") \
            .replace("def hessian(", f"def hessian_{tag}(")
        self.value, self.grad, self.hessian = _plain_functions(self.source, tag)
        self._jitted = None

    def jitted(self) -> tuple:
        """Jitted value, grad and hessian (created on first use: their machine code is never freed)."""
        with _LOCK:
            if self._jitted is None:
                self._jitted = _compile_source(self.source, self.tag)
            return self._jitted


def _plain_functions(source: str, tag: str) -> tuple:
    """value, grad and hessian as plain NumPy functions: a server whose kernels run elsewhere uses only these.

    Each carries ``py_func`` (itself), as a jitted function does, so ``Landscape`` and the
    interpreter treat both alike."""
    namespace = {"np": np, "__builtins__": {}}
    exec(compile(source, f"<formula {tag}>", "exec"), namespace)  # noqa: S102 - generated, whitelisted source only
    functions = tuple(namespace[f"{function}_{tag}"] for function in ("value", "grad", "hessian"))
    for function in functions:
        function.py_func = function
    return functions


def _compile_source(source: str, tag: str):
    """Jitted value, grad, hessian from printer-generated source (see the module docstring).

    The functions live in a module registered in ``sys.modules``: a cached kernel that inlines
    them pickles their module's name and imports it when loaded in another process, where
    ``from_formula`` has registered the same module (same source, same name) beforehand.
    numba would record an unregistered namespace as '<dynamic>', which no process can import.
    """
    import sys
    import types

    from numba import njit

    name = f"landscapes._formula_{tag}"
    module = sys.modules.get(name)
    if module is None:
        module = types.ModuleType(name, "Generated from a formula by landscapes.formula._Printer")
        module.__dict__.update(np=np, __builtins__={})
        exec(compile(source, f"<formula {tag}>", "exec"), module.__dict__)  # noqa: S102 - generated, whitelisted source only
        sys.modules[name] = module
    # No disk cache for these three: exec'd code has no file; the kernels that inline them do cache.
    options = {k: v for k, v in JIT_OPTIONS.items() if k != "cache"}
    return tuple(njit(**options)(getattr(module, f"{function}_{tag}")) for function in ("value", "grad", "hessian"))


_COMPILED: OrderedDict = OrderedDict()  # text -> _Compiled, least recently used first
_REGISTRY: OrderedDict = OrderedDict()  # kernel id -> SurfaceSpec
_PLAIN_REGISTRY: OrderedDict = OrderedDict()  # kernel id -> SurfaceSpec of a plain formula, least recently run first
_LOCK = threading.RLock()
_COMPILED_CACHE_SIZE = 64
_EVER_BUILT: set = set()  # kernel ids of every formula built in this process
_NOT_COUNTED: set = set()  # texts an app offers itself (its default, its examples): always buildable


def never_count(*texts: str) -> None:
    """Exempt formulas the app itself offers from the per-process limit, so its fallbacks always work."""
    with _LOCK:
        _NOT_COUNTED.update(texts)


def forget_derived() -> None:
    """Drop every plain formula derived here and sympy's caches (a server left idle after class).

    Jitted formulas stay registered: a compiled kernel may still look one up by its id."""
    import sys

    with _LOCK:
        _COMPILED.clear()
        _PLAIN_REGISTRY.clear()
    if "sympy" in sys.modules:
        from sympy.core.cache import clear_cache

        clear_cache()


def is_known(text: str) -> bool:
    """Whether ``text`` was derived recently in this process (building it again costs no sympy work)."""
    with _LOCK:
        return text in _COMPILED or text in _NOT_COUNTED


def _compiled(text: str, jitted: bool = True) -> _Compiled:
    """The formula's expressions and functions; with ``jitted``, counted against the process's limit
    (a jitted formula's machine code stays in the process until it ends)."""
    with _LOCK:
        compiled = _COMPILED.get(text)
        if compiled is not None:
            _COMPILED.move_to_end(text)
    if compiled is None:
        compiled = _Compiled(text)
    if jitted:
        with _LOCK:
            if text not in _NOT_COUNTED and compiled.index not in _EVER_BUILT and len(_EVER_BUILT) >= MAX_FORMULAS_PER_PROCESS:
                raise FormulaError(1, f"this server has already built {MAX_FORMULAS_PER_PROCESS} different formulas since it "
                                      "started, its limit; use a formula shown before or ask for a restart")
            if text not in _NOT_COUNTED:
                _EVER_BUILT.add(compiled.index)
    with _LOCK:
        _COMPILED[text] = compiled
        while len(_COMPILED) > _COMPILED_CACHE_SIZE:
            _COMPILED.popitem(last=False)
    return compiled


def registered_spec(index: int) -> SurfaceSpec:
    """The spec of a formula landscape built in this process, by its kernel id."""
    with _LOCK:
        spec = _REGISTRY.get(index)
        if spec is not None:
            _REGISTRY.move_to_end(index)
        else:
            spec = _PLAIN_REGISTRY.get(index)
    if spec is None:
        raise KeyError(f"no formula landscape with id {index} was built in this process; use landscapes.from_formula")
    return spec


def remember_plain(index: int, spec: SurfaceSpec) -> None:
    """Make a plain (``jitted=False``) formula findable by its kernel id, for the interpreter about to run it.

    Bounded, unlike the jitted registry: nothing compiled refers to a plain spec, and a landscape
    dropped from here is put back by the next run on it."""
    with _LOCK:
        _PLAIN_REGISTRY[index] = spec
        _PLAIN_REGISTRY.move_to_end(index)
        while len(_PLAIN_REGISTRY) > _COMPILED_CACHE_SIZE:
            _PLAIN_REGISTRY.popitem(last=False)


def _register(index: int, spec: SurfaceSpec) -> None:
    # Never evicted: a Landscape still held anywhere may compile a kernel for another optimizer
    # later, which looks its id up here. MAX_FORMULAS_PER_PROCESS bounds the size instead.
    with _LOCK:
        _REGISTRY[index] = spec
        _REGISTRY.move_to_end(index)


# ----- numeric checks over the bounds ---------------------------------------------------------------
def check_bounds(bounds) -> tuple:
    """``bounds`` as ((x_min, x_max), (y_min, y_max)) floats, or DEFAULT_BOUNDS for None; ValueError saying what is allowed."""
    if bounds is None:
        return DEFAULT_BOUNDS
    try:
        (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"Invalid bounds: {bounds!r:.80}; expected ((x_min, x_max), (y_min, y_max))") from None
    for low, high, axis in ((x0, x1, "x"), (y0, y1, "y")):
        if not (math.isfinite(low) and math.isfinite(high) and -MAX_BOUND <= low < high <= MAX_BOUND):
            raise ValueError(f"Invalid bounds for {axis}: ({low:g}, {high:g}); expected finite numbers with min < max "
                             f"within [{-MAX_BOUND:g}, {MAX_BOUND:g}]")
        if high - low < 1e-6 * max(1.0, abs(low), abs(high)):
            raise ValueError(f"Invalid bounds for {axis}: ({low:g}, {high:g}) is too narrow")
    return ((x0, x1), (y0, y1))


def _grid(bounds, resolution: int):
    (x0, x1), (y0, y1) = bounds
    return np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))


def _evaluate_node(node, x, y):
    """The value of a validated tree node at (x, y), in NumPy float arithmetic (for error positions)."""
    if isinstance(node, ast.Constant):
        return np.float64(node.value)
    if isinstance(node, ast.Name):
        return {"x": x, "y": y}.get(node.id, np.float64(CONSTANTS.get(node.id, np.nan)))
    if isinstance(node, ast.UnaryOp):
        value = _evaluate_node(node.operand, x, y)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        a, b = _evaluate_node(node.left, x, y), _evaluate_node(node.right, x, y)
        return {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide,
                ast.Pow: np.power}[type(node.op)](a, b)
    args = [_evaluate_node(arg, x, y) for arg in node.args]
    name = node.func.id
    numpy_functions = {
        "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
        "arcsin": np.arcsin, "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
        "tanh": np.tanh, "exp": np.exp, "log": np.log, "ln": np.log, "sqrt": np.sqrt, "abs": np.abs,
        "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
        "softplus": lambda z: np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))),
        "relu": lambda z: np.maximum(z, 0.0),
    }
    if name in ("min", "max"):
        fold = np.minimum if name == "min" else np.maximum
        result = args[0]
        for arg in args[1:]:
            result = fold(result, arg)
        return result
    return numpy_functions[name](*args)


def _first_non_finite_part(compiled: _Compiled, x: float, y: float) -> int:
    """Column of the innermost part of the formula that is not finite at (x, y)."""
    x, y = np.float64(x), np.float64(y)
    node = compiled.tree.body
    with np.errstate(all="ignore"):
        while True:
            if isinstance(node, ast.UnaryOp):
                children = [node.operand]
            elif isinstance(node, ast.BinOp):
                children = [node.left, node.right]
            elif isinstance(node, ast.Call):
                children = list(node.args)
            else:
                children = []
            bad = [c for c in children if not np.all(np.isfinite(_evaluate_node(c, x, y)))]
            if not bad:
                if isinstance(node, ast.BinOp):
                    return _operator_column(node, compiled.python, compiled.origin)
                return _column(node, compiled.origin)
            node = bad[0]


def _check_finite(compiled: _Compiled, bounds) -> None:
    X, Y = _grid(bounds, CHECK_RESOLUTION)
    with np.errstate(all="ignore"):
        z = np.asarray(compiled.value(X, Y), dtype=float) + np.zeros_like(X)
        gx, gy = (np.asarray(g, dtype=float) + np.zeros_like(X) for g in compiled.grad(X, Y))
    bad = ~np.isfinite(z)
    if bad.any():
        centre = (X.mean(), Y.mean())
        rows, cols = np.nonzero(bad)
        k = int(np.argmin(np.hypot(X[rows, cols] - centre[0], Y[rows, cols] - centre[1])))
        bx, by = float(X[rows[k], cols[k]]), float(Y[rows[k], cols[k]])
        position = _first_non_finite_part(compiled, bx, by)
        raise FormulaError(position, f"the surface is not finite over the bounds: this part is undefined or overflows at "
                                     f"x = {bx:.4g}, y = {by:.4g}; change the formula or the bounds")
    bad_gradient = ~(np.isfinite(gx) & np.isfinite(gy))
    if bad_gradient.mean() > 0.01:  # isolated kinks (the tip of a cone) are fine; a region is not
        rows, cols = np.nonzero(bad_gradient)
        raise FormulaError(1, f"the gradient is not finite over part of the bounds (e.g. at x = {X[rows[0], cols[0]]:.4g}, "
                              f"y = {Y[rows[0], cols[0]]:.4g}); change the formula or the bounds")


# ----- minima, start, colours -------------------------------------------------------------------------
def _newton(compiled: _Compiled, x: float, y: float):
    """Newton's method on the gradient; (x, y) if it converged, else None."""
    x, y = np.float64(x), np.float64(y)
    with np.errstate(all="ignore"):
        for _ in range(60):
            gx, gy = compiled.grad(x, y)
            hxx, hxy, hyy = compiled.hessian(x, y)
            det = hxx * hyy - hxy * hxy
            if not np.isfinite(det) or det == 0.0:
                return None
            dx, dy = (hyy * gx - hxy * gy) / det, (hxx * gy - hxy * gx) / det
            if not (np.isfinite(dx) and np.isfinite(dy)):
                return None
            x, y = x - dx, y - dy
            if abs(dx) + abs(dy) <= 1e-15 * (1.0 + abs(x) + abs(y)):
                return float(x), float(y)
    return None


def _pattern_search(compiled: _Compiled, x: float, y: float, step: float):
    """A derivative-free polish for kinks and flat bottoms, where Newton has no Hessian to use."""
    f = compiled.value
    with np.errstate(all="ignore"):
        best = float(f(np.float64(x), np.float64(y)))
        for _ in range(200):
            moved = False
            for dx, dy in ((step, 0), (-step, 0), (0, step), (0, -step)):
                value = float(f(np.float64(x + dx), np.float64(y + dy)))
                if value < best:
                    x, y, best, moved = x + dx, y + dy, value, True
                    break
            if not moved:
                step /= 2
                if step < 1e-12:
                    break
    return float(x), float(y)


def _find_minima(compiled: _Compiled, bounds) -> tuple:
    (x0, x1), (y0, y1) = bounds
    X, Y = _grid(bounds, MINIMA_RESOLUTION)
    with np.errstate(all="ignore"):
        z = np.asarray(compiled.value(X, Y), dtype=float) + np.zeros_like(X)
    padded = np.pad(z, 1, constant_values=np.inf)
    neighbours = [padded[1 + di:1 + di + z.shape[0], 1 + dj:1 + dj + z.shape[1]]
                  for di in (-1, 0, 1) for dj in (-1, 0, 1) if di or dj]
    local = np.isfinite(z) & np.all([z <= n for n in neighbours], axis=0)
    rows, cols = np.nonzero(local)
    order = np.argsort(z[rows, cols], kind="stable")
    cell = max(x1 - x0, y1 - y0) / (MINIMA_RESOLUTION - 1)
    found: list[Minimum] = []
    tried = []
    for k in order[:200]:
        gx0, gy0 = float(X[rows[k], cols[k]]), float(Y[rows[k], cols[k]])
        if any(math.hypot(gx0 - a, gy0 - b) < 3 * cell for a, b in tried):
            continue  # one candidate per basin floor: a flat bottom has many grid minima
        tried.append((gx0, gy0))
        if len(tried) > 3 * MAX_MINIMA:
            break
        point = _newton(compiled, gx0, gy0)
        if point is not None:
            with np.errstate(all="ignore"):
                h = compiled.hessian(np.float64(point[0]), np.float64(point[1]))
                eigen = np.linalg.eigvalsh(np.array([[h[0], h[1]], [h[1], h[2]]], dtype=float))
            if not np.all(np.isfinite(eigen)) or eigen[0] < -1e-9 * max(1.0, abs(eigen[1])):
                point = None  # Newton found a saddle or a maximum
        if point is None:  # a kink or a flat bottom: no Hessian to trust
            point = _pattern_search(compiled, gx0, gy0, cell)
        px, py = point
        margin = cell
        if not (x0 - margin <= px <= x1 + margin and y0 - margin <= py <= y1 + margin):
            continue
        with np.errstate(all="ignore"):
            value = float(compiled.value(np.float64(px), np.float64(py)))
        if not math.isfinite(value):
            continue
        if any(math.hypot(px - m.x, py - m.y) < 1e-6 * max(x1 - x0, y1 - y0) for m in found):
            continue
        found.append(Minimum(px, py, value))
        if len(found) == MAX_MINIMA:
            break
    return rank_minima(found) if found else ()


def _round(value: float) -> float:
    return float(f"{value:.3g}")


def _starts(compiled: _Compiled, bounds, minima) -> tuple:
    """A few start points away from every minimum, where value and gradient are finite."""
    (x0, x1), (y0, y1) = bounds
    diagonal = math.hypot(x1 - x0, y1 - y0)
    fractions = ((0.2, 0.8), (0.8, 0.8), (0.2, 0.2), (0.8, 0.2), (0.5, 0.9), (0.1, 0.5), (0.9, 0.5), (0.5, 0.1))
    good, fallback = [], []
    for fx, fy in fractions:
        x, y = _round(x0 + fx * (x1 - x0)), _round(y0 + fy * (y1 - y0))
        with np.errstate(all="ignore"):
            values = [compiled.value(np.float64(x), np.float64(y)), *compiled.grad(np.float64(x), np.float64(y))]
        if not all(np.isfinite(values)):
            continue
        far = all(math.hypot(x - m.x, y - m.y) >= 0.25 * diagonal for m in minima)
        (good if far else fallback).append((x, y))
    starts = tuple(good + fallback)[:4]
    if not starts:
        raise FormulaError(1, "the formula has no point inside the bounds where its value and gradient are finite")
    return starts


def _log_colours(compiled: _Compiled, bounds) -> bool:
    """Colour on a log scale when most of the plot sits far below the highest walls (like Rosenbrock)."""
    X, Y = _grid(bounds, 81)
    with np.errstate(all="ignore"):
        z = np.asarray(compiled.value(X, Y), dtype=float) + np.zeros_like(X)
    low, high, median = float(z.min()), float(z.max()), float(np.median(z))
    return (high - low) > 10.0 * max(median - low, 1e-12)


# ----- the public entry point ------------------------------------------------------------------------
def from_formula(text: str, bounds=None, jitted: bool = True) -> Landscape:
    """A landscape for the formula ``text`` in x and y over ``bounds`` ((x_min, x_max), (y_min, y_max)).

    ``jitted=False``: a landscape of plain NumPy functions, for a process that leaves every kernel
    of a formula to another process (the app's formula worker, ``optimizers.formula_worker``),
    so no machine code of it stays here; ``optimizers.run`` then only interprets it.

    Raises ``ValueError`` (a ``FormulaError``, whose message starts with the 1-based position in
    the text) for a formula it refuses: a syntax error, an unknown name, anything outside the
    whitelist, a constant, or a surface that is not finite over the bounds.
    """
    bounds = check_bounds(bounds)
    try:
        compiled = _compiled(text, jitted)
        _check_finite(compiled, bounds)
        minima = _find_minima(compiled, bounds)
        starts = _starts(compiled, bounds, minima)
    except FormulaError:
        raise
    except (RecursionError, MemoryError):
        raise FormulaError(1, "the formula is too complex to differentiate") from None
    except Exception as error:  # noqa: BLE001 - a formula that passed the whitelist but trips sympy must
        # still come back as a refusal in plain words, never as a traceback in the page
        raise FormulaError(1, f"this formula could not be differentiated and compiled ({type(error).__name__})") from None
    functions = compiled.jitted() if jitted else (compiled.value, compiled.grad, compiled.hessian)
    shown = " ".join(text.split())
    digest = hashlib.sha256(f"{compiled.canonical}|{bounds!r}".encode()).hexdigest()[:10]
    spec = SurfaceSpec(
        name=f"custom-{digest}",
        title=f"Your formula: {shown if len(shown) <= 60 else shown[:57] + '...'}",
        category="custom",
        description=(f"f(x, y) = {shown}, typed in the app. Gradient and Hessian are exact (derived by sympy); "
                     f"the minima were found by a grid search refined with Newton's method."),
        formula=f"f(x, y) = {compiled.latex}",
        value=functions[0],
        grad=functions[1],
        hessian=functions[2],
        bounds=bounds,
        starts=starts,
        minima=minima,
        log_colors=_log_colours(compiled, bounds),
        jitted=jitted,
    )
    if jitted:
        _register(compiled.index, spec)
    else:
        remember_plain(compiled.index, spec)
    return Landscape(spec=spec, index=compiled.index, param_values={})
