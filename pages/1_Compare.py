"""Compare: several optimizers race on one landscape, animated, with every setting in the link."""
from ui.plotly_js import preload_plotly

preload_plotly()  # first: a new browser fetches and compiles plotly.js while the imports below run

import plotly.io as pio
import streamlit as st

from ui import chart_first, compare, compute, shell
from ui.live_chart import live_chart
from ui import state as page_state
from viz import figures, tables

shell.page_header("Compare optimizers", "Pick a landscape, choose up to six runs, and press ▶ to watch them race.")

if "compare_seeded" not in st.session_state:
    initial, warnings = page_state.from_query(st.query_params.to_dict())
    compare.seed_widgets(initial)
    st.session_state["compare_seeded"] = True
    st.session_state["compare_warnings"] = warnings
else:
    initial = page_state.default_state()
for warning in st.session_state.get("compare_warnings", []):
    st.warning(warning, icon="⚠️")

# The chart before the sidebar: the controls' values are read now and the controls drawn at the
# end of the page, because the ~40 of them sent first held the chart back (ui/chart_first.py).
sidebar = chart_first.DrawnLater()
state = compare.sidebar(initial, sidebar)
surface = state.surface()

with st.spinner("Compiling the optimizer kernels for this landscape: the first time on a new server takes a few seconds…"):
    outcomes = compute.run_all(state)
results = [result for result, _ in outcomes]
labels = shell.run_labels(state.runs)
stabilities = compute.stability_of(state, results)
reasons = [stability.reason(result.diverged_at) if stability is not None else "" for stability, result in zip(stabilities, results)]
tracks = figures.tracks_from_results(results, labels, compute.companions_of(state), reasons)
grid = compute.map_grid(surface.name, compute.cache_key(state.landscape_params))

presentation = state.presentation
view = st.segmented_control("View", list(page_state.VIEWS), key="view", format_func=shell.VIEW_TITLES.get,
                            selection_mode="single", persist_state="session",
                            label_visibility="collapsed" if presentation else "visible") or "overlay"
chart_area = controls_area = st.container()
if presentation:  # the sidebar is hidden: the demo's controls go in a column beside the map, which keeps the height
    chart_area, controls_area = st.columns([4, 1], gap="medium")
# beside the map on a projector: a row above it took height from a 1280 x 720 map
eigen = controls_area.toggle("Hessian's eigen-directions", key="eig", persist_state="session",
                             help="A cross along the Hessian's eigenvectors where each run is, frame by frame; the longer "
                                  "arm is the steeper direction, the one whose curvature the stability limit is about.")
if presentation:
    with controls_area:
        compare.presentation_controls(state, surface)
with chart_area:
    if view == "surface":
        figure = figures.surface3d_figure(surface, compute.surface_grid(surface.name, compute.cache_key(state.landscape_params),
                                                                        70), tracks, presentation)
        live_chart(figure, key="surface3d", height=900 if presentation else 600, fit_screen=presentation)
    else:
        # live_chart reads a click from the pointer's position, so the map needs no grid of click targets.
        height = 900 if presentation else 700  # fit_screen keeps it within the window
        figure = figures.trajectory_figure(surface, grid, tracks, state.start, panels=view == "panels",
                                           presentation=presentation, height=height, eigen_directions=eigen)
        live_chart(figure, key=f"map_{view}", height=height, config={"scrollZoom": True},
                   on_click=shell.start_from_click(surface, f"map_{view}"), fit_screen=presentation)
        chart_first.head_start()  # the browser draws the map alone before the rest of the page arrives
        st.caption("Click the map to start every run from that point; drag to pan, scroll to zoom "
                   "(the zoom stays as you move sliders). " + figures.companions_caption(tracks))

reference = min((m.value for m in surface.minima), default=None)
live_chart(figures.curves_figure(tracks, reference, presentation), key="curves", height=360, after_paint=True)
if any(stability is not None for stability in stabilities):
    live_chart(figures.stability_figure(tracks, stabilities, presentation), key="stability", height=340, after_paint=True)
    st.caption("Above its dashed line a run's step grows the error along the steepest direction instead of shrinking it: "
               "on a quadratic it then zig-zags ever wider and diverges; on a curved surface it may be thrown to where "
               "the curvature is lower and settle there. Gaps: no upward curvature at that step.")

st.subheader("Summary")
shell.summary_table(tracks, surface, [seconds for _, seconds in outcomes])

shell.formula_panel(state.runs)

left, right = st.columns(2)
left.download_button("Download trajectories (CSV)", data=lambda: tables.trajectories_csv(tracks),
                     file_name=f"{surface.name}-trajectories.csv", mime="text/csv", on_click="ignore")
right.download_button("Download the animation (offline HTML)",
                      data=lambda: pio.to_html(figures.trajectory_figure(surface, grid, tracks, state.start, standalone=True),
                                               include_plotlyjs=True, full_html=True, auto_play=False),
                      file_name=f"{surface.name}-race.html", mime="text/html", on_click="ignore")

compare.video_export(surface, grid, tracks, state)
# imported here, after the chart: the live class brings its database layer (~0.35 s of a fresh server's first view)
from ui import live_class  # noqa: E402

live_class.start_compare_button(state)

st.query_params.from_dict(page_state.to_query(state))
sidebar.draw_into(st.sidebar)
