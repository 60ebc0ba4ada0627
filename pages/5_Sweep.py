"""Sweep: for which settings does it work? One run per cell, a click draws that run."""
from ui.plotly_js import preload_plotly

preload_plotly()  # first: a new browser fetches and compiles plotly.js while the imports below run

import numpy as np
import optimizers
import streamlit as st

from ui import chart_first, compute, shell, strip, sweep
from ui.live_chart import live_chart
from ui import exploration as ex
from viz import explore, figures

shell.page_header("Hyperparameter sweep", "For which settings does it work? Every cell of the map is one run from the same "
                  "start; hover to read it, click to draw it.")

if "sweep_seeded" not in st.session_state:
    initial, warnings = sweep.from_query(st.query_params.to_dict())
    sweep.seed_widgets(initial)
    st.session_state["sweep_seeded"] = True
    st.session_state["sweep_warnings"] = warnings
for warning in st.session_state.get("sweep_warnings", []):
    st.warning(warning, icon="⚠️")

presentation = shell.presentation_on()
controls = strip.sidebar(sweep.MIRRORED, presentation)  # on a projector, the demo's controls come on the page too
state, problems = sweep.sidebar(controls)
for problem in problems:
    st.warning(problem, icon="⚠️")
shell.keep_in_link(sweep.to_query(state))
state, cut_note = sweep.capped(state)
if cut_note:
    st.warning(cut_note, icon="✂️")

surface = state.surface()
x_axis, y_axis = state.axis(state.x), state.axis(state.y)
runs = state.resolution ** 2
title = optimizers.get(state.optimizer).title
try:
    with st.spinner(f"Running {runs:,} runs of {title} × {state.steps} steps (the first time compiles the batch kernel)…"):
        outcome = sweep.compute(state)
except ValueError as error:
    st.warning(f"These settings cannot run: {error}", icon="⚠️")
    st.stop()

metric_label = ex.METRICS[state.metric] if state.metric != "diverged" else "diverged"
log_colour = state.metric in ("loss", "distance")
values, status = ex.metric_values(outcome, state.metric, surface)
best = ex.best_index(values, outcome, state.metric)
picked = st.session_state.get("sw.selected")
selected = tuple(picked[1:]) if picked and picked[0] == state.resolution else None
shown = selected or best

st.caption(f"{runs:,} runs of {state.steps} steps: {int((status == 1).sum()):,} diverged, "
           f"{int((outcome.reached_at >= 0).sum()):,} reached loss − f* ≤ {state.tolerance:g}. "
           "The colour scale runs from the best value (yellow) to the worst; red cells diverged.")
controls.draw()
left, right = st.columns([1.1, 1])
with left:
    figure = explore.sweep_heatmap(x_axis, y_axis, values, status, outcome, state.metric, metric_label,
                                   log_colour=log_colour, best=best, selected=selected, presentation=presentation)
    live_chart(figure, key="sweep_map", height=560, config={"scrollZoom": True},
               on_click=sweep.take_click("sweep_map", state), fit_screen=presentation,
               filename=f"sweep-{state.optimizer}-{state.landscape}-{state.metric}")
    chart_first.head_start()  # the browser draws the map alone before the rest of the page arrives
with right:
    if shown is None:
        st.info("No run converged or stayed finite here: widen the ranges or add steps.")
    else:
        j, i = (int(v) for v in shown)
        settings = sweep.cell_settings(state, j, i)
        run = sweep.run_spec(state.optimizer, settings)
        result, _ = compute.run_cached(state.landscape, compute.cache_key(state.landscape_params), tuple(state.start),
                                       state.steps, state.optimizer, compute.cache_key(run.run_kwargs()))
        label = f"{x_axis.label} {x_axis.values()[i]:.3g}, {y_axis.label} {y_axis.values()[j]:.3g}"
        st.markdown(f"**{'Selected' if selected else 'Best'} run:** {title}, {label}")
        tracks = figures.tracks_from_results([result], [label])
        grid = compute.map_grid(surface.name, compute.cache_key(state.landscape_params))
        live_chart(figures.trajectory_figure(surface, grid, tracks, state.start, height=520, legend_width=420,
                                             presentation=presentation),
                   key="sweep_run", height=520, after_paint=True, fit_screen=presentation,
                   filename=f"sweep-{state.optimizer}-{state.landscape}-run")
        ending = (f"diverged at step {result.diverged_at}" if result.diverged_at is not None
                  else f"ends at ({result.final[0]:.4g}, {result.final[1]:.4g}) with loss {result.loss[-1]:.4g}")
        st.caption(f"This run {ending}. The cell says final loss {outcome.final_loss[j, i]:.4g}: the same run.")
        st.link_button("Open this run in Compare", sweep.compare_link(state.landscape, state.landscape_params,
                                                                        state.start, state.steps, [run]))

st.subheader("How wide is each optimizer's good learning-rate range?")
st.caption("Each optimizer's learning rate swept alone (its other settings at their defaults), same start and steps: "
           "a fair comparison tunes each one. × marks rates that diverged, ○ rates that never reached the tolerance.")
lrs = tuple(float(v) for v in np.geomspace(1e-5, 10.0, 61))
target = ex.target_loss_for(surface, state.tolerance)
curves, best_rows, links = [], [], []
with st.spinner("Sweeping the learning rate of each optimizer…"):
    swept = sweep.lr_curves(state, lrs, target)
    for name, curve in zip(state.compared, swept):
        curve_values, curve_status = ex.metric_values(curve, state.metric, surface)
        spec = optimizers.get(name)
        curves.append(dict(optimizer=name, title=spec.title, lrs=np.array(lrs), values=curve_values, status=curve_status))
        index = ex.best_index(curve_values, curve, state.metric)
        reached = np.flatnonzero((curve.reached_at >= 0) & ~curve.diverged)
        works, decades = sweep.working_range(lrs, reached)
        if index is not None:
            best_lr = lrs[index[0]]
            links.append(sweep.compare_link(state.landscape, state.landscape_params, state.start, state.steps,
                                            [sweep.run_spec(name, {"lr": best_lr})]))
        else:
            best_lr = float("nan")
            links.append(None)
        best_rows.append({"optimizer": spec.title, "best lr": best_lr,
                          metric_label: float(curve_values[index]) if index is not None else None,
                          "reaches the tolerance for lr": works, "width of that range (decades)": decades})
if curves:
    live_chart(explore.lr_curves_figure(curves, metric_label, log_colour, presentation=presentation), key="lr_curves",
               height=480, after_paint=True, filename=f"learning-rate-ranges-{state.landscape}")
    st.dataframe(best_rows, hide_index=True, width="stretch")

st.subheader("Best settings found on this landscape")
rows = []
if best is not None:
    j, i = (int(v) for v in best)
    settings = sweep.cell_settings(state, j, i)
    rows.append({"optimizer": f"{title} (the 2-D sweep)",
                 "settings": ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                                       for k, v in settings.items() if k in (x_axis.key.split("[")[0], y_axis.key.split("[")[0])),
                 metric_label: float(values[j, i]),
                 "open": sweep.compare_link(state.landscape, state.landscape_params, state.start, state.steps,
                                            [sweep.run_spec(state.optimizer, settings)])})
for row, link in zip(best_rows, links):
    if link is not None:
        rows.append({"optimizer": row["optimizer"], "settings": f"lr {row['best lr']:.3g}", metric_label: row[metric_label],
                     "open": link})
if rows:
    st.dataframe(rows, hide_index=True, width="stretch",
                 column_config={"open": st.column_config.LinkColumn("Compare", display_text="Open in Compare")})
    all_runs = [sweep.run_spec(state.optimizer, sweep.cell_settings(state, *(int(v) for v in best)))] if best is not None else []
    all_runs += [sweep.run_spec(curve["optimizer"], {"lr": row["best lr"]})
                 for curve, row, link in zip(curves, best_rows, links) if link is not None]
    if all_runs:
        st.link_button("Race all the best settings in Compare", sweep.compare_link(
            state.landscape, state.landscape_params, state.start, state.steps, all_runs[:6]))

st.subheader("Grid search or random search, with the same budget?")
st.caption("Both strategies try the same number of runs over the ranges of the map above. A grid tries only "
           f"{state.search_side} values of each setting; random search tries a new value of each in every run, which "
           "pays off when one setting matters much more than the other (Bergstra & Bengio, 2012). On the right, each "
           "grid budget is a fresh k×k grid, so a larger grid can miss what a smaller one hit; random search only adds "
           "runs, so its best never gets worse. Blank map cells diverged.")
with st.spinner("Running both searches…"):
    race = sweep.search(state, state.metric, target)
background = np.where(status == ex.FINE, values if state.metric != "diverged" else 0.0, np.nan)
search_label = metric_label if state.metric != "diverged" else ex.METRICS["loss"]
live_chart(explore.search_figure(race, x_axis, y_axis, background, search_label, log_colour or state.metric == "diverged",
                                 presentation=presentation),
           key="search", height=470, after_paint=True, filename=f"grid-or-random-search-{state.optimizer}-{state.landscape}")
