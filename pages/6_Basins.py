"""Basins: from where does it work? Every start point coloured by the minimum its run ends in."""
from ui.plotly_js import preload_plotly

preload_plotly()  # first: a new browser fetches and compiles plotly.js while the imports below run

import functools

import optimizers
import streamlit as st

from ui import basins, chart_first, charts, compute, shell, strip
from ui import exploration as ex
from ui import state as compare_state
from ui.sweep import compare_link
from viz import explore, figures

shell.page_header("Basins of attraction", "From where does it work? Each start point is coloured by the minimum its run "
                  "ends in; hover to see where, click to draw the run.")

if "basins_seeded" not in st.session_state:
    initial, warnings = basins.from_query(st.query_params.to_dict())
    basins.seed_widgets(initial)
    st.session_state["basins_seeded"] = True
    st.session_state["basins_warnings"] = warnings
for warning in st.session_state.get("basins_warnings", []):
    st.warning(warning, icon="⚠️")

presentation = shell.presentation_on()
# The map before the sidebar, drawn right after it or before the page shows that it waits (ui/chart_first.py); on a
# projector, the demo's controls come on the page too (ui/strip.py)
sidebar = chart_first.DrawnLater()
controls = strip.sidebar(basins.MIRRORED, presentation, container=sidebar)
state = basins.sidebar(controls)
draw_the_sidebar = functools.partial(sidebar.draw_into, st.sidebar)
shell.keep_in_link(basins.to_query(state))
state, cut_note = basins.capped(state)
if cut_note:
    st.warning(cut_note, icon="✂️")
surface = state.surface()
if not surface.minima:
    draw_the_sidebar()
    st.warning(f"{surface.title} has no known minimum to colour by; pick another landscape.", icon="⚠️")
    st.stop()
state = basins.first_view(state)  # coarser on a new server whose batch kernels are still compiling

xs, ys, _ = ex.start_grid(surface, state.resolution)
radius = ex.capture_radius(surface)
params_json = compute.cache_key(state.landscape_params)
panels = []
with st.spinner(f"Running {state.resolution ** 2:,} start points × {state.steps} steps for each optimizer…"):
    for name, outcome in zip(state.optimizers, basins.outcomes(state, on_wait=draw_the_sidebar)):
        labels = ex.basin_labels(outcome, surface, radius)
        panels.append(dict(optimizer=name, title=f"{optimizers.get(name).title} · lr {state.lrs[name]:g}",
                           labels=labels, outcome=outcome))

selected = st.session_state.get("bs.selected")
if selected and selected.get("panel", 0) >= len(panels):
    selected = None
st.caption(f"{state.resolution}×{state.resolution} start points, {state.steps} steps each. A run counts as ending in a "
           f"minimum when it stops within {radius:.3g} of " + (f"{surface.valley.name} (coloured by branch)" if surface.valley
                                                                else "it") + "; the shares below count start points.")
controls.draw()
map_height = 640 if presentation else 460 if len(panels) > 2 else 560  # a projector's screen has the room
figure = explore.basin_figure(surface, xs, ys, panels, selected=selected, height=map_height, presentation=presentation)
charts.plotly_chart(figure, key="basin_map", on_click=basins.take_click("basin_map", xs, ys, len(panels)),
                    config={"scrollZoom": True}, filename=f"basins-{state.landscape}-{'-'.join(state.optimizers)}",
                    fit_screen=presentation)
chart_first.head_start()  # the browser draws the map alone before the rest of the page arrives
draw_the_sidebar()

rows = []
for panel in panels:
    labels = panel["labels"]
    row = {"optimizer": panel["title"]}
    for k, m in enumerate(surface.minima):
        column = f"{k + 1}: {surface.valley.pieces[k]}" if surface.valley is not None else f"{k + 1}: ({m.x:.3g}, {m.y:.3g})"
        row[column] = f"{(labels == k).mean():.0%}"
    row["diverged"] = f"{(labels == ex.DIVERGED_LABEL).mean():.0%}"
    row["not converged"] = f"{(labels == ex.NOT_CONVERGED_LABEL).mean():.0%}"
    rows.append(row)
st.dataframe(rows, hide_index=True, width="stretch")

if selected:
    name = state.optimizers[selected["panel"]]
    start = (selected["x"], selected["y"])
    run = compare_state.RunSpec(name, {"lr": float(state.lrs[name])})
    result, _ = compute.run_cached(state.landscape, params_json, start, state.steps, name, compute.cache_key(run.run_kwargs()))
    label = f"{optimizers.get(name).title} from ({start[0]:.3g}, {start[1]:.3g})"
    minimum, distance = surface.nearest_minimum(*result.final)
    where = (f"diverged at step {result.diverged_at}" if result.diverged_at is not None else
             f"ends at ({result.final[0]:.4g}, {result.final[1]:.4g})"
             + (f", on {surface.minimum_name(surface.minima.index(minimum))}" if surface.valley is not None and minimum is not None
                and distance <= radius else
                f", in minimum ({minimum.x:.3g}, {minimum.y:.3g})" if minimum is not None and distance <= radius else
                ", near no minimum"))
    st.markdown(f"**Selected run:** {label}: {where}.")
    tracks = figures.tracks_from_results([result], [label])
    grid = compute.map_grid(surface.name, params_json)
    charts.plotly_chart(figures.trajectory_figure(surface, grid, tracks, start, height=560, presentation=presentation),
                        key="basin_run", filename=f"basins-{state.landscape}-{name}-run")
    st.link_button("Open this run in Compare", compare_link(state.landscape, state.landscape_params, start, state.steps,
                                                            [run]))
else:
    st.info("Click a start point on a map to draw its run here.")
