"""What every page shares: header, run labels, the formula panel, the click-to-start hook."""
from __future__ import annotations

import pathlib

import optimizers
import streamlit as st
from optimizers import SCHEDULES

from ui import chart_first, heavy, live_chart, warm_up
from viz import tables
from viz.anatomy import formula_lines

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
    ("pages/9_Live_class.py", "Live class", ":material/groups:"),
    ("pages/10_Network.py", "A real network", ":material/hub:"),
)
PAGES = tuple(page for page in _ALL_PAGES if (_ROOT / page[0]).exists())


def navigation(page: str = "Home") -> None:
    """The same sidebar links on every page, and presentation mode's stylesheet and keys when it is on."""
    chart_first.entering(page)
    for path, label, icon in PAGES:
        st.sidebar.page_link(path, label=label, icon=icon)
    st.sidebar.divider()
    _presentation_assets(presentation_on())
    warm_up.start()  # on every page, not only the landing page: a shared link opens a page directly


def page_header(title: str, subtitle: str) -> None:
    """Page config, menu, title with the presentation-mode switch beside it, and the subtitle."""
    configure_page(f"{title} · Loss landscapes, live")
    heavy.start_janitor()  # once per server: forgets closed sessions, gives freed memory back
    heavy.note_session()
    navigation(title)
    presentation = presentation_on()
    heading, reset, switch = st.columns([5, 1.1, 1.6], vertical_alignment="bottom")
    heading.title(title)
    reset.button("Reset", key="reset_to_defaults", on_click=reset_to_defaults, icon=":material/restart_alt:",
                 help="Reset to defaults: every setting of this page back to its default (presentation mode stays as it is).")
    st.session_state[_TOGGLE_KEY] = presentation  # the switch shows the session's mode, whoever set it
    switch.toggle("Presentation", key=_TOGGLE_KEY, on_change=_presentation_switched,
                  help="For a projector: hides the sidebar and enlarges text and lines; Page Down / Page Up, as a "
                       "presenter's clicker sends, go to the next / previous lesson. In every mode the keyboard drives "
                       "the animation (space: play / pause, ← →: one frame, Home / End: first / last frame, + / −: playback "
                       "speed; on a lesson "
                       "before its reveal, ← → pick an answer and space reveals). Kept in the link as pres=1.",
                       persist_state="session")
    if not presentation:  # on a projector the teacher says it, and the chart gets the height
        st.caption(subtitle)
    if presentation:
        st.query_params["pres"] = "1"
    elif "pres" in st.query_params:
        del st.query_params["pres"]


# ----- presentation mode ------------------------------------------------------------------------
# "pres" is also the session key ui/compare.py reads and seeds from the Compare link, so the
# switch here and Compare's figures agree; the switch itself has its own widget key.
PRESENTATION_KEY = "pres"
_TOGGLE_KEY = "presentation_switch"


def keep_in_link(query: dict) -> None:
    """Write a page's settings to the URL, keeping presentation mode in it when it is on."""
    st.query_params.from_dict({**query, **({"pres": "1"} if presentation_on() else {})})


def reset_to_defaults() -> None:
    """Forget the session's settings and the link's, as if the page were opened afresh; keep the mode."""
    keep = {PRESENTATION_KEY, _TOGGLE_KEY}
    for key in list(st.session_state.keys()):
        if key not in keep:
            del st.session_state[key]
    st.query_params.from_dict({"pres": "1"} if presentation_on() else {})


def presentation_on() -> bool:
    """Whether presentation mode is on: the link's ``pres=1`` on a session's first page, then the switch."""
    ss = st.session_state
    if PRESENTATION_KEY not in ss:
        value = st.query_params.get_all("pres")
        ss[PRESENTATION_KEY] = bool(value) and value[-1] in ("1", "true")
    return bool(ss[PRESENTATION_KEY])


def _presentation_switched() -> None:
    st.session_state[PRESENTATION_KEY] = bool(st.session_state[_TOGGLE_KEY])


_PRESENTATION_CSS = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stSidebarCollapseButton"] { display: none !important; }
[data-testid="stMainBlockContainer"] { max-width: 100% !important; padding: 1.2rem 2.5rem 4rem !important; }
.stApp [data-testid="stMarkdownContainer"] p, .stApp [data-testid="stMarkdownContainer"] li { font-size: 1.45rem !important; line-height: 1.5 !important; }
.stApp h1 { font-size: 2.5rem !important; padding-top: 0.5rem !important; }
.stApp h2 { font-size: 2.3rem !important; }
.stApp h3 { font-size: 1.9rem !important; }
.stApp [data-testid="stCaptionContainer"], .stApp [data-testid="stCaptionContainer"] p { font-size: 1.2rem !important; }
.stApp [data-testid="stWidgetLabel"] p, .stApp button p, .stApp a p { font-size: 1.2rem !important; }
.stApp [data-baseweb="select"] div, .stApp [data-testid="stSelectbox"] input { font-size: 1.25rem !important; }
.stApp .katex-display .katex { font-size: 1.5em !important; }
.stApp [data-testid="stSliderThumbValue"], .stApp [data-testid="stSliderTickBarMin"],
.stApp [data-testid="stSliderTickBarMax"] { font-size: 1.15rem !important; }
.stApp [data-testid="stMain"] input { font-size: 1.2rem !important; }
.stApp [data-testid="stMultiSelectTagsContainer"] [data-tag] span, .stApp [data-testid="stMultiSelect"] input { font-size: 1.1rem !important; }
.stApp [data-testid="stMain"] [data-testid="stSelectbox"] input { font-size: 1.4rem !important; }
.stApp [data-testid="stExpander"] summary p { font-size: 1.3rem !important; }
/* a table's cells are drawn on a canvas that no font size reaches: the table is enlarged whole, and made
   narrower by as much, so that it still fits its column (zoom on the table itself overflowed it) */
.stApp [data-testid="stElementContainer"]:has([data-testid="stDataFrame"]) { zoom: 1.3; width: calc(100% / 1.3) !important; }
/* a live chart's player (ui/live_chart.js sets the figure's size inline): projector size on every chart */
.stApp .live-player { font-size: 1.3rem !important; }
.stApp .live-player-step { min-width: 0 !important; }
.stApp .live-player-range { min-width: 3em !important; }
</style>"""

# Drives the first animated Plotly chart on the page by pressing its own controls: the play /
# pause buttons, and the frame slider (a press on its rail at the next step's tick). Installed
# once per browser tab. The keys work in every mode (a field being typed in keeps its keys), except
# Page Down / Page Up, which change lesson only in presentation mode (elsewhere they scroll, as a
# reader expects); window.__lossLandscapeKeys.presentation follows the page's mode.
# Only /* */ comments inside: measured, a // comment silenced the whole script (st.html joins lines).
_KEYBOARD_JS = """<script>
(() => {
  const state = window.__lossLandscapeKeys = window.__lossLandscapeKeys || {installed: false};
  state.on = true;
  state.presentation = __PRESENTATION__;
  if (state.installed) return;
  state.installed = true;
  const skip = 'input, textarea, select, button, [contenteditable="true"], [role="slider"], [role="combobox"], [role="listbox"], [role="option"], [role="switch"], [role="checkbox"]';
  /* a live chart's HTML player (ui/live_chart.js), or plotly's own buttons and slider */
  const chart = () => Array.from(document.querySelectorAll('.js-plotly-plot'))
      .find(gd => gd.__player || (gd._fullLayout && gd._fullLayout.sliders && gd._fullLayout.sliders.length && gd.querySelector('.updatemenu-button')));
  const press = (el) => el && el.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: window}));
  const button = (gd, word) => Array.from(gd.querySelectorAll('.updatemenu-button')).find(b => b.textContent.includes(word));
  /* playing = the play button was pressed (by key or mouse) and the frames have not run out;
     a slider step is an animation too, so animation events alone cannot tell */
  const hook = (gd) => {
    if (gd.__keysHooked || !gd.on) return;
    gd.__keysHooked = true;
    gd.on('plotly_buttonclicked', (e) => { gd.__playing = !!(e && e.button && String(e.button.label).includes('play')); });
    gd.on('plotly_animated', () => { gd.__playing = false; });
  };
  setInterval(() => { const gd = chart(); if (gd) hook(gd); }, 1000);
  const goTo = (gd, index) => {
    const slider = gd._fullLayout.sliders[0];
    const count = slider.steps.length;
    index = Math.max(0, Math.min(count - 1, index));
    const ticks = gd.querySelectorAll('.slider-tick-rect');
    const rail = gd.querySelector('.slider-rail-touch-rect');
    if (!rail || ticks.length !== count) return;
    const tick = ticks[index].getBoundingClientRect();
    const box = rail.getBoundingClientRect();
    const at = {bubbles: true, cancelable: true, view: window, clientX: tick.left + tick.width / 2, clientY: box.top + box.height / 2};
    rail.dispatchEvent(new MouseEvent('mousedown', at));
    gd.dispatchEvent(new MouseEvent('mouseup', at));
  };
  document.addEventListener('keydown', (event) => {
    if (!state.on || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target && event.target.closest && event.target.closest(skip)) return;
    if ((event.key === 'PageDown' || event.key === 'PageUp') && state.presentation) {  /* what a presenter's clicker sends */
      const word = event.key === 'PageDown' ? 'Next' : 'Previous';
      const target = Array.from(document.querySelectorAll('[data-testid="stMain"] button'))
          .find(b => b.innerText.trim().includes(word) && !b.disabled);
      if (!target) return;
      target.click();
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    const gd = chart();
    if (!gd) {
      /* a lesson before its reveal: space reveals, the arrows move through the prediction's options */
      const mainButtons = Array.from(document.querySelectorAll('[data-testid="stMain"] button'));
      const reveal = mainButtons.find(b => b.innerText.trim().startsWith('Reveal') && !b.disabled);
      const options = Array.from(document.querySelectorAll('[data-testid="stMain"] [data-testid="stRadio"] input[type="radio"]'));
      if ((event.key === ' ' || event.key === 'Enter') && reveal) {
        reveal.click();
      } else if ((event.key === 'ArrowRight' || event.key === 'ArrowLeft' || event.key === 'ArrowDown' || event.key === 'ArrowUp') && options.length) {
        const now = options.findIndex(o => o.checked);
        const forward = event.key === 'ArrowRight' || event.key === 'ArrowDown';
        const next = now < 0 ? 0 : (now + (forward ? 1 : options.length - 1)) % options.length;
        const label = options[next].closest('label');
        if (label) label.click(); else options[next].click();
      } else {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    const player = gd.__player;
    if (player) {
      const step = {ArrowRight: player.index + 1, ArrowLeft: player.index - 1, Home: 0, End: player.count - 1}[event.key];
      if (event.key === '+' || event.key === '=' || event.key === '-') {
        player.faster(event.key === '-' ? -1 : 1);
      } else if (event.key === ' ' || event.key === 'k') {
        if (player.playing) player.pause(); else player.play();
      } else if (step !== undefined) {
        player.goTo(step);
      } else {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    hook(gd);
    const slider = gd._fullLayout.sliders[0];
    if (event.key === ' ' || event.key === 'k') {
      const word = gd.__playing ? 'pause' : 'play';
      press(button(gd, word));
      gd.__playing = word === 'play';
    } else if (['ArrowRight', 'ArrowLeft', 'Home', 'End'].includes(event.key)) {
      if (gd.__playing) { press(button(gd, 'pause')); gd.__playing = false; }
      const last = slider.steps.length - 1;
      /* the slider does not follow a playing animation; the frame shown does (frames are named f + step index) */
      const shown = /^f(\\d+)$/.exec(gd._fullLayout._currentFrame || '');
      const now = shown ? Number(shown[1]) : slider.active;
      const target = {ArrowRight: now + 1, ArrowLeft: now - 1, Home: 0, End: last}[event.key];
      goTo(gd, target);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }, true);
})();
</script>"""


def _presentation_assets(presentation: bool) -> None:
    """The projector stylesheet (when on) and the keyboard script (always, switched by the mode)."""
    if presentation:
        st.html(_PRESENTATION_CSS)
    st.html(_KEYBOARD_JS.replace("__PRESENTATION__", "true" if presentation else "false"), unsafe_allow_javascript=True)


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
    """A click callback for a ``live_chart`` map: the click moves the shared start point there."""

    def take_click():
        point = live_chart.clicked_point(chart_key, surface.bounds)
        if point is not None:
            st.session_state[f"x0.{surface.name}"], st.session_state[f"y0.{surface.name}"] = point

    return take_click


def formula_panel(runs) -> None:
    """Each selected optimizer's update rule, with torch's convention where the notes differ, and the
    torch call of each run with the run's own settings (a student who copies it gets the same numbers)."""
    st.subheader("The update rules")
    unique = list(dict.fromkeys(run.optimizer for run in runs))
    columns = st.columns(min(len(unique), 2) or 1)  # three were too narrow for Adam's and L-BFGS's lines
    for i, name in enumerate(unique):
        spec = optimizers.get(name)
        # one text and one caption an optimizer: each element costs the browser a redraw on every rerun
        display_math = "\n\n".join(f"$$\n{line}\n$$" for line in formula_lines(spec.formula))
        calls = list(dict.fromkeys(spec.torch_call(spec.resolve(run.hyper)) for run in runs if run.optimizer == name))
        if spec.torch.startswith("torch"):
            torch = "Same numbers as " + " and ".join(f"`{call}`" for call in calls) + "."
        else:
            torch = spec.torch
        with columns[i % len(columns)]:
            st.markdown(f"**{spec.title}**\n\n{display_math}")
            st.caption(f"{spec.convention}  \n{torch}")


# Losses and distances span 1e-30 to 1e6 in one column: as plain decimals they were cut to
# "0000000000006"; three significant digits in scientific notation read in any row.
_SUMMARY_COLUMNS = {
    "final loss": st.column_config.NumberColumn(format="%.3e"),
    "distance to nearest minimum": st.column_config.NumberColumn(format="%.3e"),
    "first step near a minimum": st.column_config.TextColumn(
        help="The first step within 0.5 % of the plot's diagonal of a known minimum."),
    "diverged at step": st.column_config.TextColumn(help="—: the run did not diverge."),
    "why": st.column_config.TextColumn(
        width="large", help="Where η times the curvature first passed the rule's stability limit (the chart under the curves)."),
    "kernel time (µs)": st.column_config.NumberColumn(
        format="%.1f", help="The optimizer's kernel for the whole run, best of three warm calls (compiling excluded)."),
}


def summary_table(tracks, surface, seconds) -> None:
    """The race's summary: one row a run, numbers formatted for their range."""
    st.dataframe(tables.summary_rows(tracks, surface, seconds), hide_index=True, width="stretch",
                 column_config=_SUMMARY_COLUMNS)
