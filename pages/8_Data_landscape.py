"""Minibatch SGD on data: where the noise of SGD comes from, on a loss of two parameters drawn exactly."""
from ui.plotly_js import preload_plotly

preload_plotly()  # first: a new browser fetches and compiles plotly.js while the imports below run

import optimizers
import streamlit as st

from ui import chart_first, charts, data_page, heavy, shell, strip
from viz import data as data_viz
from viz import figures
from viz.surface_image import evaluate

shell.page_header("Minibatch SGD on data",
                  "A real finite-sum loss: full-batch gradient descent against minibatch SGD, by iteration and by epoch.")

if "data_seeded" not in st.session_state:
    initial, warnings = data_page.from_query(st.query_params.to_dict())
    data_page.seed_widgets(initial)
    st.session_state["data_seeded"] = True
    st.session_state["data_warnings"] = warnings
for warning in st.session_state.get("data_warnings", []):
    st.warning(warning, icon="⚠️")

presentation = shell.presentation_on()
controls = strip.sidebar(data_page.MIRRORED, presentation)  # on a projector, the demo's controls come on the page too
state = data_page.sidebar(controls)
data = state.data()
with st.spinner("Compiling the minibatch kernel for this optimizer: the first time takes a few seconds…"):
    results = data_page.runs(state)
gd, sgd = results["gd"], results["sgd"]
gd_label = f"GD (all {data.n} examples)"
sgd_label = f"SGD (batch {state.batch}, {state.sampling})"
st.caption(data.problem.description)


@st.cache_resource(max_entries=32, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def full_batch_grid(problem: str, n: int, seed: int):
    return evaluate(data_page.data_set(problem, n, seed), 160)


left, right = st.columns([3, 2])
with left:
    st.subheader("The full-batch loss, with both runs")
    tracks = data_viz.tracks(gd, sgd, gd_label, sgd_label)
    charts.plotly_chart(figures.trajectory_figure(data, full_batch_grid(state.problem, state.n, state.seed), tracks,
                                                  data.start, height=820 if presentation else 600, legend_width=520,
                                                  presentation=presentation),
                        key="data_map", config={"scrollZoom": True}, fit_screen=presentation,
                        filename=f"minibatch-{state.problem}-{state.optimizer}-batch-{state.batch}")
    chart_first.head_start()  # the browser draws the map alone before the rest of the page arrives
with right:
    controls.draw(columns=2)  # presentation mode: beside the map, which then keeps the screen's height
    st.subheader("What one iteration costs")
    per_epoch = -(-data.n // state.batch)
    st.markdown(
        f"- **GD** computes all **{data.n}** per-example gradients every iteration: one iteration is one epoch, "
        f"so {gd.steps} iterations are **{gd.epoch[-1]:g} epochs**.\n"
        f"- **SGD** computes **{state.batch}** per iteration: one epoch is about {per_epoch} iterations, "
        f"so {sgd.steps} iterations are **{sgd.epoch[-1]:.3g} epochs**.\n"
        f"- Final full-batch loss: GD **{gd.loss[-1]:.6g}**, SGD **{sgd.loss[-1]:.6g}**; "
        f"minimum **{data.min_loss:.6g}**.")
    for label, result in ((gd_label, gd), (sgd_label, sgd)):
        if result.diverged_at is not None:
            st.error(f"{label} diverged at iteration {result.diverged_at}: lower the learning rate.")
    st.caption(f"Same optimizer ({optimizers.get(state.optimizer).title}), same learning rate and schedule; only the gradient differs. "
               "The minibatch gradient is an unbiased estimate of the full one, and its noise is what makes the "
               "SGD path wander.")

st.subheader("GD against SGD, by iteration and by epoch")
charts.plotly_chart(data_viz.curves_figure(gd, sgd, gd_label, sgd_label, data.min_loss, presentation), key="data_curves",
                    filename=f"minibatch-{state.problem}-gd-against-sgd")
st.caption("Left: per iteration GD wins, each of its steps uses every example. Right: per epoch, that is per "
           "example processed, SGD gets further for the same work (CSCI 8980: one epoch of SGD costs about one "
           "iteration of GD).")

st.subheader("The minibatch of one iteration: its own loss surface")
last = max(sgd.steps - 1, 0)
if st.session_state.get("data.it", 0) > last:
    st.session_state["data.it"] = last
iteration = st.slider("Iteration t", 0, max(last, 1), key="data.it", disabled=sgd.steps < 2,
                      help="Step through SGD: each iteration sees a different minibatch, so a different surface.",
                      persist_state="session")
iteration = min(int(iteration), last)
state.iteration = iteration
if sgd.steps >= 1:
    batch = sgd.batch(iteration)
    colour = data_viz.run_colours(state.optimizer)[1][0]
    surface_col, data_col = st.columns(2)
    with surface_col:
        charts.plotly_chart(data_viz.minibatch_figure(data, batch, sgd, iteration, presentation), key="data_batch",
                            filename=f"minibatch-{state.problem}-iteration-{iteration}")
    with data_col:
        charts.plotly_chart(data_viz.data_figure(data, sgd.path[iteration], batch, colour, presentation),
                            key="data_scatter", filename=f"minibatch-{state.problem}-data-iteration-{iteration}")
    batch_minimum = data.batch_minimizer(batch)
    (x0, x1), (y0, y1) = data.bounds
    if batch_minimum is None:
        lowest = ("this batch alone has no lowest point (too few examples, or classes a line separates: its loss "
                  "keeps falling towards infinity).")
    elif x0 <= batch_minimum[0] <= x1 and y0 <= batch_minimum[1] <= y1:
        lowest = "the diamond is where this batch alone would be happiest."
    else:
        lowest = (f"this batch alone would be happiest far off the map, at ({batch_minimum[0]:.3g}, "
                  f"{batch_minimum[1]:.3g}): a few examples say little about the whole data set.")
    st.caption(f"Minibatch {iteration}: {len(batch)} example(s), loss {sgd.batch_loss[iteration]:.4g} at θ_t "
               f"(full-batch loss there {sgd.loss[iteration]:.4g}). The arrow is the step this batch's gradient "
               f"produced; {lowest}")
else:
    st.info("The SGD run stopped before its first step: lower the learning rate.")

st.subheader("The noise ball: a constant learning rate never settles")
tail = min(200, max(10, state.steps // 3))
constant, decayed = results["constant"], results["decayed"]
decay_title = data_page.decay_title(state)
charts.plotly_chart(data_viz.noise_ball_figure(data, [("constant lr", constant), (f"{decay_title} decay", decayed)], tail,
                                               presentation), key="data_ball", filename=f"minibatch-{state.problem}-noise-ball")
st.caption(f"The last {tail} SGD iterates around the full-batch minimum (star), same batches. With a constant rate "
           "SGD keeps bouncing in a ball whose size grows with the rate and the gradient noise; decaying the rate "
           "shrinks it (Goodfellow 8.3.1: SGD needs a decreasing rate to converge).")

shell.keep_in_link(data_page.to_query(state))
