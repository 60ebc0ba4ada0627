"""How real are these pictures? A small network trained live, and four honest views of its own loss landscape."""
from ui.plotly_js import preload_plotly

preload_plotly()  # first: a new browser fetches and compiles plotly.js while the imports below run

import functools

import optimizers
import streamlit as st
from landscapes import network_views as views

from ui import chart_first, charts, network_page, shell, strip
from viz import network as network_viz

shell.page_header("A real network's landscape",
                  "Train a small network live, then look at its loss landscape four ways, each with what it cannot show.")

if "net_seeded" not in st.session_state:
    initial, warnings = network_page.from_query(st.query_params.to_dict())
    network_page.seed_widgets(initial)
    st.session_state["net_seeded"] = True
    st.session_state["net_warnings"] = warnings
for warning in st.session_state.get("net_warnings", []):
    st.warning(warning, icon="⚠️")

presentation = shell.presentation_on()
# The boundaries before the sidebar: its ~20 controls, sent first, held the chart back (warm, by the sidebar's link:
# median 0.96 -> 0.67 s); they are drawn right after it, or before the page shows that it waits (ui/chart_first.py).
sidebar = chart_first.DrawnLater()
controls = strip.sidebar(network_page.MIRRORED, presentation, container=sidebar)
state = network_page.sidebar(controls)
controls.draw(columns=4)
network, data = state.network(), state.data()
draw_the_sidebar = functools.partial(sidebar.draw_into, st.sidebar)
runs = network_page.trainings(state, on_wait=draw_the_sidebar)
titles = {name: optimizers.get(name).title for name in state.runs}
colours = {name: network_viz.run_colour(name) for name in state.runs}

st.caption(f"{network.describe()} on **{state.data_set}** ({data.n_train} training points, {data.n_test} test points, "
           f"noise {state.noise:g}); {'full batch' if not state.batch else f'minibatches of {state.batch}'}, "
           f"{state.steps} steps. Every optimizer applies the very update rule it uses on the surfaces, to each of the "
           f"{network.n_params} parameters.")
if any(run.interpreted for run in runs.values()):
    st.caption(network_page.INTERPRETED_NOTE)
for name, run in runs.items():
    if run.diverged_at is not None:
        st.error(f"{titles[name]} diverged at step {run.diverged_at}: lower its learning rate.")

axis, panels = network_page.boundary_frames(state, runs, on_wait=draw_the_sidebar)
charts.plotly_chart(network_viz.boundary_figure(data, axis, [(titles[n], frames)
                                                             for n, frames in zip(runs, panels)],
                                                presentation, height=(620 if presentation else 440)),
                    key="net_boundary", filename=f"network-{state.data_set}-boundaries")
chart_first.head_start()  # the browser draws the boundaries alone before the rest of the page arrives
draw_the_sidebar()
st.caption("Each panel is the input plane (x₁ across, x₂ up). The colour is the network's probability of class 1 "
           "(orange) against class 0 (blue); the black line is where it is ½. Filled dots: training points; open circles: test points. ▶ plays the training of every run "
           "at once.")
curves, numbers = st.columns([3, 2])
with curves:
    charts.plotly_chart(network_viz.loss_curves_figure([(titles[n], colours[n], r) for n, r in runs.items()],
                                                       presentation, height=460 if presentation else 380),
                        key="net_curves", filename=f"network-{state.data_set}-losses")
with numbers:
    st.dataframe(
        [{"optimizer": titles[n], "η": f"{state.lr(n):g}", "train loss": f"{r.train_loss[-1]:.4g}",
          "test loss": f"{r.test_loss[-1]:.4g}", "test accuracy": f"{r.test_accuracy[-1]:.1%}",
          "stopped": "diverged at step " + str(r.diverged_at) if r.diverged_at is not None else "—"}
         for n, r in runs.items()],
        hide_index=True, width="stretch")
    st.caption("Same network, same initial weights, same data; each optimizer at its own learning rate.")
    if network.batch_norm:
        st.caption("With batch normalization the training loss uses the training set's own statistics at each step; "
                   "the test loss and the boundary use the running averages, as a trained model would at test time.")

st.session_state.setdefault("net.shown", state.shown or state.runs[0])
if st.session_state["net.shown"] not in state.runs:
    st.session_state["net.shown"] = state.runs[0]
shown = st.segmented_control("The landscape of", state.runs, key="net.shown", format_func=titles.get,
                             persist_state="session") or state.runs[0]
state.shown = shown
run = runs[shown]
network_page.lesson(state, run, titles[shown])

st.subheader("Its loss landscape, four ways")
st.session_state.setdefault("net.view", "slice")
choice, depth = st.columns([4, 1], vertical_alignment="bottom")
view = choice.segmented_control("View", list(network_page.VIEWS), key="net.view", format_func=network_page.VIEWS.get,
                                persist_state="session") or "slice"
st.session_state.setdefault("net.3d", False)
in_3d = depth.toggle("3-D", key="net.3d", persist_state="session", disabled=view not in ("slice", "plane"),
                     help="The slice and the path's plane as a surface, the way the papers draw networks' landscapes.")
state.in_3d = bool(in_3d)
state.view = view
result = network_page.landscape_view(state, run, view)
colour = colours[shown]
if view == "slice":
    graph, words = st.columns([3, 2])
    with graph:
        axes = ("α (filter-normalized direction δ)", "β (filter-normalized direction η)")
        if in_3d:
            figure = network_viz.surface_figure(result, f"Random slice through θ* ({titles[shown]})", ("α", "β"),
                                                presentation=presentation, height=700 if presentation else 600)
        else:
            figure = network_viz.plane_figure(result, f"Random slice through θ* ({titles[shown]})", axes,
                                              presentation=presentation, height=640 if presentation else 560)
        charts.plotly_chart(figure, key="net_slice", filename=f"network-{state.data_set}-{shown}-random-slice")
    with words:
        centre = result.train_loss[len(result.betas) // 2, len(result.alphas) // 2]
        st.markdown(
            f"**What it is.** The training loss at θ* + αδ + βη, where θ* are the trained weights (the star, loss "
            f"{centre:.3g}) and δ, η are two random Gaussian directions, *filter-normalized*: each unit's incoming "
            "weights in δ are rescaled to the size of the same unit's weights in θ* (Li et al. 2018), so α = 1 is a "
            "step as large as the weights themselves. Biases and batch-norm parameters are left where they are.\n\n"
            f"**What it is not.** Two of {network.n_params} directions, drawn at random: the optimizer never walked in "
            "this plane, so no path is drawn on it. A different seed draws a different slice, and a bowl here says "
            "nothing about the other directions.")
elif view == "plane":
    graph, words = st.columns([3, 2])
    with graph:
        share = float(result.explained.sum())
        if in_3d:
            figure = network_viz.surface_figure(result.view, f"The path's own plane ({titles[shown]})",
                                                ("1st direction", "2nd direction"), path=result.coordinates,
                                                path_loss=result.projected_loss, path_colour=colour,
                                                presentation=presentation, height=700 if presentation else 600)
        else:
            figure = network_viz.plane_figure(result.view, f"The path's own plane ({titles[shown]})",
                                              (f"1st principal direction ({result.explained[0]:.1%} of the path's variance)",
                                               f"2nd ({result.explained[1]:.1%})"),
                                              path=result.coordinates, path_colour=colour, presentation=presentation,
                                              height=640 if presentation else 560)
        charts.plotly_chart(figure, key="net_plane", filename=f"network-{state.data_set}-{shown}-pca-plane")
    with words:
        worst, factor = views.projection_gap(result)
        st.markdown(
            f"**What it is.** The plane through the trained weights spanned by the two directions along which the "
            f"path varied most (principal components of θ_t − θ_T, Li et al. 2018, section 7); the line is the path "
            f"projected onto it. The plane holds **{share:.1%}** of the path's variance.\n\n"
            "**What it is not.** The path itself: the contours under a projected point show the loss of the "
            "*projected* weights, not of the weights the optimizer visited. Below, the two side by side: at step "
            f"{result.steps[worst]} the path's true loss was {result.true_loss[worst]:.3g} and the map shows "
            f"{result.projected_loss[worst]:.3g} under it (a factor {factor:.3g}).")
    charts.plotly_chart(network_viz.projection_figure(result, colour, presentation, height=400 if presentation else 340),
                        key="net_projection", filename=f"network-{state.data_set}-{shown}-projection-gap")
elif view == "line":
    graph, words = st.columns([3, 2])
    with graph:
        lines = [(titles[n], colours[n], result if n == shown else network_page.landscape_view(state, runs[n], "line"))
                 for n in state.runs]
        charts.plotly_chart(network_viz.line_figure(lines, "α", {0.0: "θ₀ (initial)", 1.0: "θ* (trained)"},
                                                    "From θ₀ to θ* in a straight line, every run",
                                                    presentation, height=560 if presentation else 460),
                            key="net_line", filename=f"network-{state.data_set}-{shown}-interpolation")
    with words:
        rises = views.rises(result)
        st.markdown(
            "**What it is.** The loss at (1 − α)θ₀ + αθ* (Goodfellow, Vinyals & Saxe 2015), beyond both ends too, for "
            f"every run from the same θ₀ to its own θ*. For {titles[shown]}, "
            + ("between the two ends it only falls: along this line the problem looks easy."
               if rises == 0 else f"between the two ends it rises {rises} time(s): a bump the straight line meets.")
            + "\n\n**What it is not.** The optimizer's path, which curved through many other directions. A smooth "
            "monotone line says nothing about the obstacles the path met or avoided.")
else:
    graph, words = st.columns([3, 2])
    other_seed = result.other.seed
    with graph:
        charts.plotly_chart(network_viz.line_figure(
            [("straight line", "#555555", result.line), ("trained curve", colour, result.curve)], "t",
            {0.0: f"w₁ (seed {state.seed})", 1.0: f"w₂ (seed {other_seed})"},
            f"Two solutions: a line and a trained curve ({titles[shown]})", presentation,
            height=560 if presentation else 460),
            key="net_modes", filename=f"network-{state.data_set}-{shown}-mode-connectivity")
    with words:
        st.markdown(
            f"**What it is.** The same network trained twice, from seeds {state.seed} and {other_seed}, ends at two "
            f"solutions w₁ and w₂ (training losses {run.train_loss[-1]:.3g} and {result.other.train_loss[-1]:.3g}). "
            f"On the straight line between them the loss rises by up to **{result.line_barrier:.3g}** above the "
            "line joining the end losses (the barrier). A quadratic Bézier curve (1−t)²w₁ + 2t(1−t)θ + t²w₂ whose bend "
            f"θ was trained to keep the loss low ({len(result.bend.iteration_loss)} Adam steps, Garipov et al. 2018) "
            f"rises by **{result.curve_barrier:.3g}**. "
            + network_page.connectivity_sentence(result) + "\n\n"
            "**What it is not.** A map of the valley: both are one-dimensional paths through the "
            f"{network.n_params}-dimensional space, and the curve is only as low as its training made it.")

shell.keep_in_link(network_page.to_query(state))
