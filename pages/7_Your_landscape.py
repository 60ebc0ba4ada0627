"""Your own landscape: type a loss in x and y, see it, and race optimizers on it."""
import optimizers
import streamlit as st

from ui import compute, custom, shell
from ui.controls import number_slider, value_grid
from ui.live_chart import live_chart
from ui.state import default_run
from viz import figures

shell.page_header("Your own landscape",
                  "Type a loss in x and y: its exact gradient and Hessian are derived for you, and the optimizers race on it.")

ss = st.session_state
if "yours_seeded" not in ss:
    seed, warnings = custom.page_from_query(st.query_params.to_dict())
    ss["yours.formula"] = seed["formula"]
    for axis, name in enumerate("xy"):
        for end, label in enumerate(("min", "max")):
            ss[f"yours.bounds.{name}{label}"] = float(seed["bounds"][axis][end])
    ss["yours.runs"], ss["yours.steps"] = seed["runs"], seed["steps"]
    for name, lr in seed["lrs"].items():
        ss[f"yours.lr.{name}"] = lr
    ss["yours_seeded"], ss["yours_warnings"] = True, warnings
for warning in ss.get("yours_warnings", []):
    st.warning(warning, icon="⚠️")


def use_example():
    text, bounds = custom.EXAMPLES[ss["yours.example"]]
    ss["yours.formula"] = text
    for axis, name in enumerate("xy"):
        for end, label in enumerate(("min", "max")):
            ss[f"yours.bounds.{name}{label}"] = float(bounds[axis][end])


st.pills("Examples", list(custom.EXAMPLES), key="yours.example", on_change=use_example)
text, bounds, surface, error = custom.formula_input(st, "yours.formula", "yours.bounds", custom.DEFAULT_FORMULA,
                                                    custom.DEFAULT_BOUNDS)
if error is None:
    ss["yours.last_good"] = (text, bounds)
else:
    text, bounds = ss.get("yours.last_good", (custom.DEFAULT_FORMULA, custom.DEFAULT_BOUNDS))
    st.caption(f"Showing the last formula that worked: `{text}`")
    surface, _ = custom.build(text, bounds)

st.latex(surface.formula)
st.caption(f"{custom.minima_summary(surface)} Click on the map to start the race there.")

left, right = st.columns([3, 1])
names = left.multiselect("Optimizers", optimizers.names(), key="yours.runs", max_selections=custom.MAX_PAGE_RUNS,
                         format_func=lambda n: optimizers.get(n).title) or list(custom.PAGE_RUNS[:1])
steps = right.slider("Steps", 10, custom.MAX_PAGE_STEPS, key="yours.steps", step=10)
start = (float(ss.get(f"x0.{surface.name}", surface.start[0])), float(ss.get(f"y0.{surface.name}", surface.start[1])))
lrs = {}
for column, name in zip(st.columns(len(names)), names):  # each optimizer's own learning rate, suggested for this surface
    spec = optimizers.get(name)
    lrs[name] = number_slider(f"{spec.title.split(' (')[0]}: learning rate", value_grid(spec.hypers[0]),
                              default_run(surface, name).hyper["lr"], f"yours.lr.{name}", spec.hypers[0].help, column)
shell.keep_in_link(custom.page_to_query(text, bounds, names, steps, lrs))

with st.spinner("Compiling the kernels for your formula: a few seconds the first time…"):
    runs, outcomes = custom.race(text, bounds, start, steps, names, lrs)
tracks = figures.tracks_from_results([result for result, _ in outcomes], shell.run_labels(runs))
params_json = compute.cache_key(custom.params(text, bounds))

map_column, surface_column = st.columns(2)
with map_column:
    live_chart(figures.trajectory_figure(surface, compute.map_grid(surface.name, params_json), tracks, start,
                                         height=560, legend_width=430),
               key="yours_map", height=560, config={"scrollZoom": True},
               on_click=shell.start_from_click(surface, "yours_map"))
with surface_column:
    st.plotly_chart(figures.surface3d_figure(surface, compute.surface_grid(surface.name, params_json, 70), tracks),
                    key="yours_surface", config={"displaylogo": False})

reference = min((m.value for m in surface.minima), default=None)
st.plotly_chart(figures.curves_figure(tracks, reference), key="yours_curves", config={"displaylogo": False})
shell.summary_table(tracks, surface, [seconds for _, seconds in outcomes])
st.link_button("Open in Compare: every optimizer and setting", custom.compare_link(text, bounds, names, steps, start, lrs),
               icon=":material/sports_score:")
