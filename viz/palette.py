"""One colour (and one dash) per optimizer, the same on every chart and page.

Okabe & Ito's colour-blind-safe palette first, then Paul Tol's muted scheme for the rest;
the dash pattern is a second cue for readers who cannot tell two colours apart.
"""
import optimizers

_COLOURS = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#882255",  # wine
    "#117733",  # green
    "#332288",  # indigo
    "#999933",  # olive
    "#44AA99",  # teal
    "#AA4499",  # purple
)
_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")

OPTIMIZER_COLOURS = {name: _COLOURS[i % len(_COLOURS)] for i, name in enumerate(optimizers.names())}
OPTIMIZER_DASHES = {name: _DASHES[i % len(_DASHES)] for i, name in enumerate(optimizers.names())}
# Several runs of the same optimizer (two learning rates, say) get these, in order.
REPEAT_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def colour(name: str) -> str:
    return OPTIMIZER_COLOURS.get(name, "#444444")


def _mix(hex_colour: str, other: tuple, amount: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    r, g, b = (round(c + (o - c) * amount) for c, o in zip((r, g, b), other))
    return f"#{r:02X}{g:02X}{b:02X}"


def run_style(name: str, repeat: int) -> tuple[str, str]:
    """(colour, dash) of the repeat-th run of optimizer ``name`` in one figure.

    The first run of an optimizer has its own colour; further runs of the same optimizer
    (four learning rates of SGD, say) keep its hue, alternately darker and lighter, and
    change dash, so they still read as "the same method".
    """
    base = colour(name)
    if repeat == 0:
        return base, "solid"
    shade = ((0, 0, 0), (255, 255, 255))[repeat % 2]
    amount = 0.25 + 0.15 * ((repeat - 1) // 2)
    return _mix(base, shade, min(amount, 0.6)), REPEAT_DASHES[repeat % len(REPEAT_DASHES)]
