"""One colour (and one dash) per optimizer, the same on every chart and page.

Each optimizer declares its own colour on its spec (Okabe & Ito's colour-blind-safe palette for
the first, then Paul Tol's schemes); the palette below is what a figure hands out when two runs
of one optimizer are shown together. The dash pattern is a second cue for readers who cannot
tell two colours apart.
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

OPTIMIZER_COLOURS = {name: optimizers.get(name).colour for name in optimizers.names()}
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
    """(colour, dash) of the repeat-th run of optimizer ``name`` when no other runs are known
    (see ``run_styles`` for the runs of one figure)."""
    return run_styles([name] * (repeat + 1))[repeat]


def run_styles(names) -> list[tuple[str, str]]:
    """(colour, dash) of each run of one figure, given the runs' optimizers in order.

    A run has its optimizer's colour, unless an earlier run of the figure already has it (four
    learning rates of gradient descent, say): then it takes the first palette colour that no run
    of the figure has as its own, so runs shown together never share a colour (a projector washes
    out shades of one hue). A repeat also changes dash, a second cue for readers who cannot tell
    two colours apart.
    """
    names = list(names)
    reserved = {colour(name) for name in names}
    spare = [c for c in _COLOURS if c not in reserved]
    used: set[str] = set()
    repeats: dict[str, int] = {}
    styles = []
    for name in names:
        repeat = repeats.get(name, 0)
        repeats[name] = repeat + 1
        own = colour(name)
        if own not in used:
            chosen = own
        elif spare:
            chosen = spare.pop(0)
        else:  # more runs than colours: fall back to a shade of the optimizer's own
            chosen = _mix(own, ((0, 0, 0), (255, 255, 255))[repeat % 2], 0.35)
        used.add(chosen)
        styles.append((chosen, REPEAT_DASHES[repeat % len(REPEAT_DASHES)]))
    return styles
