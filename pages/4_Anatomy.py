"""Anatomy of a step: one optimizer, one iteration at a time, every ingredient of the update drawn."""
from ui.plotly_js import preload_plotly

preload_plotly()  # first: a new browser fetches and compiles plotly.js while the imports below run

import optimizers
import streamlit as st

from ui import anatomy, chart_first, charts, shell, strip
from viz import anatomy as figures

shell.page_header("Anatomy of a step", "Step through one optimizer's run one iteration at a time: the raw and the "
                  "clipped gradient, the momentum, the per-coordinate scaling and the step actually taken, as arrows "
                  "and as numbers.")

if "anatomy_seeded" not in st.session_state:
    initial, warnings = anatomy.from_query(st.query_params.to_dict())
    anatomy.seed_widgets(initial)
    st.session_state["anatomy_seeded"] = True
    st.session_state["anatomy_warnings"] = warnings
for warning in st.session_state.get("anatomy_warnings", []):
    st.warning(warning, icon="⚠️")

presentation = shell.presentation_on()
controls = strip.sidebar(anatomy.MIRRORED, presentation)  # on a projector, the demo's controls come on the page too
state = anatomy.sidebar(controls)
with st.spinner("Compiling this optimizer's kernel: the first time on a new server takes a few seconds…"):
    replayed = anatomy.replay(state)
last = replayed.steps
if last < 1:
    st.error("The run cannot take a single step from this start (the loss or its gradient is not finite there).")
    st.stop()
if replayed.diverged_at is not None:
    st.info(f"The run diverged at step {replayed.diverged_at}: only its first {last} steps can be inspected.")

if presentation:  # the stepper and the demo's controls beside the map, which then keeps the screen's height
    picture, numbers = st.columns([3, 2], gap="medium")
    stepper = numbers.container()
else:
    stepper = st.container()
    picture, numbers = st.columns([3, 2])

st.session_state["an.t"] = min(max(int(st.session_state.get("an.t", 1)), 1), last)
back, slider, forward = stepper.columns([2, 5, 2] if presentation else [1, 8, 1], vertical_alignment="bottom")
back.button("◀ step", key="an.back", on_click=anatomy.move_step, args=(-1, last), disabled=st.session_state["an.t"] <= 1,
            width="stretch")
forward.button("step ▶", key="an.forward", on_click=anatomy.move_step, args=(1, last),
               disabled=st.session_state["an.t"] >= last, width="stretch")
if last > 1:
    t = slider.slider("step", min_value=1, max_value=last, key="an.t", persist_state="session")
else:
    t = 1
    slider.caption("step 1 of 1")
state.t = int(t)
st.session_state.setdefault("an.frame", "step")
framing = stepper.segmented_control("Framing", list(figures.FRAMINGS), key="an.frame", format_func=figures.FRAMINGS.get,
                                    persist_state="session") \
    or "step"
state.framing = framing
shell.keep_in_link(anatomy.to_query(state))

spec = optimizers.get(state.optimizer)
step = replayed.step(state.t)
with picture:
    charts.plotly_chart(figures.anatomy_figure(replayed, state.t, framing, height=760 if presentation else 560,
                                               presentation=presentation),
                        key="anatomy_map", config={"scrollZoom": True}, fit_screen=presentation,
                        filename=f"anatomy-{state.optimizer}-{state.landscape}-step-{state.t}")
    chart_first.head_start()  # the browser draws the map alone before the rest of the page arrives
    st.caption("Gradients are drawn as −η g: the step plain gradient descent would take with this learning rate, "
               "so every arrow compares with the step taken. x and y share one scale.")
with numbers:
    controls.draw(columns=2)
    st.markdown(f"**{spec.title}**, step {state.t} of {last}")
    for line in figures.formula_lines(spec.formula):
        st.latex(line)
    st.caption(spec.convention)
vectors, scalars = figures.table_rows(step)
# numbers as anatomy.number_table writes them (at most "-3.54839 × 10⁻¹⁰", 10 characters wide); the labels
# take what is left, so at 1366 px neither table cuts a value off
number = st.column_config.NumberColumn(width=120, alignment="right")
vector_table, scalar_table = st.columns([3, 2])
vector_table.dataframe(anatomy.number_table(vectors, ("x", "y")), hide_index=True, width="stretch", key="anatomy_vectors",
                       height="content", column_config={"quantity": st.column_config.TextColumn("vector"), "x": number,
                                                        "y": number})
scalar_table.dataframe(anatomy.number_table(scalars, ("value",)), hide_index=True, width="stretch", key="anatomy_scalars",
                       height="content", column_config={"quantity": st.column_config.TextColumn("number"), "value": number})
torch_call = spec.torch_call(spec.resolve(state.hyper))  # this run's own arguments, for a student to copy
st.caption(f"These numbers are the kernel's own: the page replays `optimizers.run` with every intermediate recorded, "
           f"and its path equals the kernel's to the last bit. Same numbers as `{torch_call}`."
           if spec.torch.startswith("torch") else spec.torch)
