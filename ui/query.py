"""Reading a page's settings from a link, defensively: the shared first steps of every page's
``from_query``.

Nothing from the URL is ever evaluated; a value is a number only if ``float`` reads it as a
finite one. A link with too many keys, or a key or value too long, is cut down before any
page looks at it, so a hostile link costs no more work than a normal one.
"""
from __future__ import annotations

import math


def number(text: str) -> float:
    """A finite float, or ValueError (NaN, inf and anything that is not a plain number)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


def whole(text: str, low: int, high: int) -> int:
    """A whole number in [low, high] (``3``, ``3.0`` and ``3e0`` all count), or ValueError."""
    value = number(text)
    if value != int(value) or not (low <= value <= high):
        raise ValueError(text)
    return int(value)


def clean(query: dict, *, max_keys: int, max_value_length: int, max_key_length: int = 60,
          long_values: dict | None = None) -> tuple[dict | None, list[str]]:
    """The link as ``{key: last value}`` of plain strings, and a warning for each part dropped.

    Returns ``None`` for the dict when the link has more than ``max_keys`` keys: the page
    then shows its defaults. ``long_values`` raises the length limit of named keys (a typed
    formula is longer than a number).
    """
    if len(query) > max_keys:
        return None, [f"The link has {len(query)} parameters (at most {max_keys}); showing the defaults."]
    long_values = long_values or {}
    cleaned, warnings = {}, []
    for key, value in query.items():
        value = value[-1] if isinstance(value, list) else value
        limit = long_values.get(key, max_value_length)
        if not isinstance(value, str) or len(value) > limit or len(str(key)) > max_key_length:
            warnings.append(f"Ignored an overlong value for '{str(key)[:40]}'.")
            continue
        cleaned[str(key)] = value
    return cleaned, warnings


def known(q: dict, key: str, allowed, default: str, warnings: list, *, kind: str, instead: str) -> str:
    """``q[key]`` when it names one of ``allowed``; otherwise ``default`` and a warning saying so."""
    value = q.get(key, default)
    if value in allowed:
        return value
    warnings.append(f"Unknown {kind} '{value[:40]}': {instead} instead.")
    return default


def known_names(text: str, allowed, limit: int, warnings: list, *, kind: str, too_many: str) -> list[str]:
    """The distinct names of a comma-separated list that are in ``allowed``, at most ``limit`` of
    them; one warning for the unknown ones and one (``too_many``) for those past the limit."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown:
        warnings.append(f"Unknown {kind} '{unknown[0][:40]}' left out.")
    names = list(dict.fromkeys(name for name in names if name in allowed))
    if len(names) > limit:
        warnings.append(too_many)
    return names[:limit]


def landscape_params(q: dict, surface, warnings: list) -> dict:
    """The surface's parameters a link sets as ``lp.<name>=<number>``, each validated by the
    surface's own declaration; a refused one adds a warning and keeps its default."""
    params = {}
    for param in surface.params:
        key = f"lp.{param.name}"
        if key in q:
            try:
                params[param.name] = param.validate(number(q[key]))
            except ValueError:
                warnings.append(f"Ignored {param.label} = '{q[key][:40]}': expected a number in [{param.low:g}, {param.high:g}].")
    return params


def as_text(value) -> str:
    """A setting as it is written in a link: shortest exact form, ``1``/``0`` for booleans,
    comma-separated for pairs, and ``repr`` for floats so reading it back gives the same bits."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (tuple, list)):
        return ",".join(as_text(v) for v in value)
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e15 else str(int(value))
    return str(value)


def hyper_value(hyper, text: str):
    """A hyperparameter's value as its declaration reads it (bool, pair, int, choice or number), not
    yet range-checked: ``hyper.validate`` does that. ValueError for anything else."""
    if hyper.kind == "bool":
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(text)
    if hyper.kind == "pair":
        parts = text.split(",")
        if len(parts) != 2:
            raise ValueError(text)
        return (number(parts[0]), number(parts[1]))
    if hyper.kind == "int":
        value = number(text)
        if value != int(value):
            raise ValueError(text)
        return int(value)
    if hyper.kind == "choice":
        return text
    return number(text)
