"""Anatomy of a step: one optimizer, one iteration at a time, every ingredient of the update drawn."""
import optimizers
import streamlit as st

from ui import anatomy, shell
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

state = anatomy.sidebar()
with st.spinner("Compiling this optimizer's kernel: the first time on a new server takes a few seconds…"):
    replayed = anatomy.replay(state)
last = replayed.steps
if last < 1:
    st.error("The run cannot take a single step from this start (the loss or its gradient is not finite there).")
    st.stop()
if replayed.diverged_at is not None:
    st.info(f"The run diverged at step {replayed.diverged_at}: only its first {last} steps can be inspected.")

st.session_state["an.t"] = min(max(int(st.session_state.get("an.t", 1)), 1), last)
back, slider, forward = st.columns([1, 8, 1], vertical_alignment="bottom")
back.button("◀ step", key="an.back", on_click=anatomy.move_step, args=(-1, last), disabled=st.session_state["an.t"] <= 1,
            width="stretch")
forward.button("step ▶", key="an.forward", on_click=anatomy.move_step, args=(1, last),
               disabled=st.session_state["an.t"] >= last, width="stretch")
if last > 1:
    t = slider.slider("step", min_value=1, max_value=last, key="an.t")
else:
    t = 1
    slider.caption("step 1 of 1")
state.t = int(t)
st.session_state.setdefault("an.frame", "step")
framing = st.segmented_control("Framing", list(figures.FRAMINGS), key="an.frame", format_func=figures.FRAMINGS.get) \
    or "step"
state.framing = framing
shell.keep_in_link(anatomy.to_query(state))

spec = optimizers.get(state.optimizer)
step = replayed.step(state.t)
picture, numbers = st.columns([3, 2])
with picture:
    st.plotly_chart(figures.anatomy_figure(replayed, state.t, framing), key="anatomy_map",
                    config={"displaylogo": False, "scrollZoom": True})
    st.caption("Gradients are drawn as −η g: the step plain gradient descent would take with this learning rate, "
               "so every arrow compares with the step taken. x and y share one scale.")
with numbers:
    st.markdown(f"**{spec.title}**, step {state.t} of {last}")
    for line in figures.formula_lines(spec.formula):
        st.latex(line)
    st.caption(spec.convention)
vectors, scalars = figures.table_rows(step)
number = st.column_config.NumberColumn(format="%.10g")
vector_table, scalar_table = st.columns([3, 2])
vector_table.dataframe(vectors, hide_index=True, width="stretch", key="anatomy_vectors", height="content",
                       column_config={"quantity": st.column_config.TextColumn("vector", width="large"), "x": number, "y": number})
scalar_table.dataframe(scalars, hide_index=True, width="stretch", key="anatomy_scalars", height="content",
                       column_config={"quantity": st.column_config.TextColumn("number", width="large"), "value": number})
st.caption(f"These numbers are the kernel's own: the page replays `optimizers.run` with every intermediate recorded, "
           f"and its path equals the kernel's to the last bit. Same numbers as `{spec.torch}`."
           if spec.torch.startswith("torch") else spec.torch)
