"""What every page shares: header, run labels, the formula panel, the click-to-start hook."""
from __future__ import annotations

import pathlib

import optimizers
import streamlit as st
from optimizers._schedules import SCHEDULES

VIEW_TITLES = {"overlay": "Overlay", "panels": "Side by side", "surface": "3-D surface"}


def configure_page(title: str) -> None:
    """The page config every page shares: wide layout, one icon, one title scheme."""
    st.set_page_config(page_title=title, page_icon="⛰️", layout="wide")


_ROOT = pathlib.Path(__file__).resolve().parent.parent

# Every page, in menu order: one line a page. A line whose file does not exist yet is skipped,
# so the menu never links to a missing page.
_ALL_PAGES = (
    ("app.py", "Home", ":material/home:"),
    ("pages/1_Compare.py", "Compare optimizers", ":material/sports_score:"),
    ("pages/2_Lessons.py", "Lessons", ":material/school:"),
    ("pages/3_Gallery.py", "Landscape gallery", ":material/landscape:"),
    ("pages/4_Anatomy.py", "Anatomy of a step", ":material/biotech:"),
    ("pages/5_Sweep.py", "Hyperparameter sweep", ":material/grid_on:"),
    ("pages/6_Basins.py", "Basins of attraction", ":material/water_drop:"),
    ("pages/7_Your_landscape.py", "Your own landscape", ":material/function:"),
    ("pages/8_Data_landscape.py", "Minibatch SGD on data", ":material/scatter_plot:"),
)
PAGES = tuple(page for page in _ALL_PAGES if (_ROOT / page[0]).exists())


def navigation() -> None:
    """The same sidebar links on every page."""
    for path, label, icon in PAGES:
        st.sidebar.page_link(path, label=label, icon=icon)
    st.sidebar.divider()


def page_header(title: str, subtitle: str) -> None:
    configure_page(f"{title} · Loss landscapes, live")
    navigation()
    st.title(title)
    st.caption(subtitle)


def _warm_up_order():
    """(landscape, optimizer) pairs, most likely first: the landing view, then every
    landscape's default runs, then everything else."""
    import landscapes

    from ui import defaults

    first = defaults.default_runs("rosenbrock")
    pairs = [("rosenbrock", name) for name in first]
    pairs += [(land, name) for land in landscapes.names() for name in defaults.default_runs(land)]
    pairs += [(land, name) for land in landscapes.names() for name in optimizers.names()]
    return list(dict.fromkeys(pairs))


@st.cache_resource(show_spinner=False)
def _warm_up() -> bool:
    import os
    import threading

    if os.environ.get("LANDSCAPE_NO_WARMUP"):
        return False

    def compile_everything():
        # Loads from the disk cache in ~10 ms a pair once compiled; compiles (~2 s a pair)
        # only on a fresh machine. One background thread, so visitors are not starved.
        for landscape, optimizer in _warm_up_order():
            try:
                optimizers.run(optimizer, landscape, steps=1)
            except Exception:  # noqa: BLE001 - a warm-up failure must never take the server down
                continue

    threading.Thread(target=compile_everything, name="kernel-warm-up", daemon=True).start()
    return True


def warm_up_kernels() -> None:
    """Start compiling every trajectory kernel in the background, once per server process."""
    _warm_up()


def run_labels(runs) -> list[str]:
    """'Adam · lr 0.01', with the run number added when two runs would read the same."""
    labels = []
    for run in runs:
        label = f"{optimizers.get(run.optimizer).title.split(' (')[0]} · lr {run.hyper['lr']:g}"
        if run.schedule.get("name", "constant") != "constant":
            label += f" · {SCHEDULES[run.schedule['name']]['title'].split(' ')[0]}"
        if run.clip_norm is not None:
            label += f" · clip {run.clip_norm:g}"
        if run.noise:
            label += f" · σ {run.noise:g}"
        labels.append(label)
    for i, label in enumerate(labels):
        if labels.count(label) > 1:
            labels[i] = f"{label} (run {i + 1})"
    return labels


def start_from_click(surface, chart_key: str):
    """A selection callback: a click on the map moves the shared start point there."""
    (xa, xb), (ya, yb) = surface.bounds

    def take_click():
        event = st.session_state.get(chart_key)
        points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
            getattr(getattr(event, "selection", None), "points", [])
        if not points:
            return
        x, y = points[0].get("x"), points[0].get("y")
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and xa <= x <= xb and ya <= y <= yb:
            st.session_state[f"x0.{surface.name}"] = float(x)
            st.session_state[f"y0.{surface.name}"] = float(y)

    return take_click


def formula_panel(names) -> None:
    """Each selected optimizer's update rule, with torch's convention where the notes differ."""
    st.subheader("The update rules")
    unique = list(dict.fromkeys(names))
    columns = st.columns(min(len(unique), 3) or 1)
    for i, name in enumerate(unique):
        spec = optimizers.get(name)
        with columns[i % len(columns)]:
            st.markdown(f"**{spec.title}**")
            for line in spec.formula.split("\n"):
                st.latex(line)
            st.caption(spec.convention)
            st.caption(f"Same numbers as `{spec.torch}`." if spec.torch.startswith("torch") else spec.torch)
