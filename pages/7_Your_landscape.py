"""Your own landscape: type a loss in x and y, see it, and race optimizers on it."""
from ui.plotly_js import preload_plotly

preload_plotly()  # first: a new browser fetches and compiles plotly.js while the imports below run

import streamlit as st

from ui import chart_first, charts, compute, custom, shell, your_landscape
from ui.live_chart import live_chart
from viz import figures

shell.page_header("Your own landscape",
                  "Type a loss in x and y: its exact gradient and Hessian are derived for you, and the optimizers race on it.")

ss = st.session_state
if "yours_seeded" not in ss:
    ss["yours_warnings"] = your_landscape.seed_widgets(st.query_params.to_dict())
    ss["yours_seeded"] = True
for warning in ss.get("yours_warnings", []):
    st.warning(warning, icon="⚠️")

presentation = shell.presentation_on()
if presentation:  # no sidebar on a projector: the demo's controls in a strip beside the map, the rest under it
    map_area, strip = st.columns([4, 1], gap="medium")
    chart_slot, details = map_area.container(), map_area.container()
    with strip:
        text, bounds, surface = your_landscape.formula_controls(st, details)
        names, steps, lrs = your_landscape.race_controls(surface, strip=True, steps_place=details)
    with details:
        st.latex(surface.formula)
        st.caption(f"{your_landscape.minima_summary(surface)} Click on the map to start the race there.")
    surface_area = st.container()
else:
    text, bounds, surface = your_landscape.formula_controls(st)
    st.latex(surface.formula)
    st.caption(f"{your_landscape.minima_summary(surface)} Click on the map to start the race there.")
    names, steps, lrs = your_landscape.race_controls(surface)
    chart_slot, surface_area = st.columns(2)
start = (float(ss.get(f"x0.{surface.name}", surface.start[0])), float(ss.get(f"y0.{surface.name}", surface.start[1])))
shell.keep_in_link(your_landscape.to_query(text, bounds, names, steps, lrs))

with st.spinner("Compiling the kernels for your formula: a few seconds the first time…"):
    runs, outcomes = your_landscape.race(text, bounds, start, steps, names, lrs)
tracks = figures.tracks_from_results([result for result, _ in outcomes], shell.run_labels(runs))
params_json = compute.cache_key(custom.params(text, bounds))

height = 780 if presentation else 560
with chart_slot:
    # legend_width: about the map's width in pixels (four fifths of a projector's page, or half a page)
    live_chart(figures.trajectory_figure(surface, compute.map_grid(surface.name, params_json), tracks, start, height=height,
                                         presentation=presentation, legend_width=1000 if presentation else 430),
               key="yours_map", height=height, config={"scrollZoom": True},
               on_click=shell.start_from_click(surface, "yours_map"), fit_screen=presentation)
    chart_first.head_start()  # the browser draws the map alone before the rest of the page arrives
with surface_area:
    charts.plotly_chart(figures.surface3d_figure(surface, compute.surface_grid(surface.name, params_json, 70), tracks,
                                                 presentation), key="yours_surface", filename="your-landscape-3d")

reference = min((m.value for m in surface.minima), default=None)
charts.plotly_chart(figures.curves_figure(tracks, reference, presentation), key="yours_curves", filename="your-landscape-curves")
shell.summary_table(tracks, surface, [seconds for _, seconds in outcomes])
st.link_button("Open in Compare: every optimizer and setting",
               your_landscape.compare_link(text, bounds, names, steps, start, lrs), icon=":material/sports_score:")
