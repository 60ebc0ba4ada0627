"""Numbers as a person reads them: significant digits, and powers of ten for the tiny and the huge.

A table of an optimizer's state holds 1e-9 and 3.5e7 side by side; printed with a fixed number of
decimals the one reads "0" and the other is cut at the column's edge ("35483871"), and printed with
``%.10g`` a learning rate of 0.03 reads "0.02999999999" (the float's own noise).
"""
from __future__ import annotations

import math

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
# Plain decimals from 0.0001 up to 99 999: the digits a student compares at a glance; beyond, m × 10ⁿ.
SMALLEST_PLAIN, LARGEST_PLAIN = 1e-4, 1e5


def readable(value, digits: int = 6) -> str:
    """``value`` to ``digits`` significant digits, trailing zeros dropped: ``0.03``, ``-155``,
    ``3.54839 × 10⁷``, ``1.5 × 10⁻⁹``; ``0``, ``∞``, ``-∞``, and ``—`` for not a number."""
    if value is None:
        return "—"
    value = float(value)
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0.0:
        return "0"
    rounded = float(f"{value:.{digits}g}")  # rounding may carry into the next power of ten: 99999.99 -> 1e5
    if SMALLEST_PLAIN <= abs(rounded) < LARGEST_PLAIN:
        decimals = max(0, digits - 1 - math.floor(math.log10(abs(rounded))))  # as many as the digits need
        text = f"{rounded:.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, exponent = f"{rounded:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


__all__ = ["LARGEST_PLAIN", "SMALLEST_PLAIN", "readable"]
