"""Lessons: one idea at a time, each a ready-made Compare scene with text, formulas and a question."""
from urllib.parse import urlencode

import streamlit as st

from ui import compute, lessons, shell
from ui import state as page_state
from viz import figures

shell.page_header("Lessons", "A lecture on optimization in fourteen live scenes. Press ▶ on the map to replay a race; "
                             "open any scene in Compare to change it.")
presentation = shell.presentation_on()

ss = st.session_state
if "lesson" not in ss:  # first view of the page: the link decides
    first, warnings = lessons.from_query(st.query_params.to_dict())
    ss["lesson"] = first.slug
    ss["lesson_warnings"] = warnings
for warning in ss.get("lesson_warnings", []):
    st.warning(warning, icon="⚠️")

slugs = lessons.slugs()
numbered = {slug: f"{i + 1}. {lessons.get(slug).title}" for i, slug in enumerate(slugs)}


def _forget_warnings() -> None:
    ss["lesson_warnings"] = []


def _move(offset: int) -> None:
    ss["lesson"] = slugs[(slugs.index(ss["lesson"]) + offset) % len(slugs)]
    _forget_warnings()


back, picker, forward = st.columns([1, 6, 1], vertical_alignment="bottom")
back.button("← Previous", on_click=_move, args=(-1,), width="stretch", disabled=ss["lesson"] == slugs[0])
picker.selectbox("Lesson", slugs, key="lesson", format_func=numbered.get, label_visibility="collapsed",
                 on_change=_forget_warnings)
forward.button("Next →", on_click=_move, args=(1,), width="stretch", disabled=ss["lesson"] == slugs[-1])

lesson = lessons.get(ss["lesson"])
st.query_params.from_dict({"lesson": lesson.slug, **({"pres": "1"} if presentation else {})})
scene = lesson.fresh_scene()
scene.presentation = presentation
surface = scene.surface()

with st.spinner("Compiling the optimizer kernels for this lesson: the first time on a new server takes a few seconds…"):
    outcomes = compute.run_all(scene)
results = [result for result, _ in outcomes]
tracks = figures.tracks_from_results(results, lessons.run_labels(lesson, scene))
grid = compute.map_grid(surface.name, compute._key(scene.landscape_params))

st.header(numbered[lesson.slug])
race_column, text_column = st.columns([3, 2], gap="large")
with race_column:
    race = figures.trajectory_figure(surface, grid, tracks, scene.start, presentation=presentation,
                                     height=700 if presentation else 560, legend_width=520)
    lessons.decorate_race(lesson, race, results, tracks, surface, presentation)
    st.plotly_chart(race, key="lesson_race", config={"displaylogo": False, "scrollZoom": True})
with text_column:
    st.markdown(lesson.text)
    st.info(f"**Ask the class:** {lesson.question}", icon=":material/record_voice_over:")
    st.markdown("**What this scene shows** (checked on the runs above)")
    for claim, holds in lessons.check_claims(lesson, results, surface):
        st.markdown(f":green[:material/check_circle:] {claim.says}" if holds else
                    f":orange[:material/error: not seen here:] {claim.says}")
    st.link_button("Open this scene in Compare ↗", "Compare?" + urlencode(page_state.to_query(scene)),
                   help="Opens a new tab with every setting of this scene in the link.")
    st.caption(f"{surface.title}. Lecture notes: {lesson.sources}.")

st.subheader("The formulas")
for formula in lesson.formulas:
    st.latex(formula)

reference = min((m.value for m in surface.minima), default=None)
st.plotly_chart(figures.curves_figure(tracks, reference, presentation), key="lesson_curves", config={"displaylogo": False})
for i, figure in enumerate(lessons.extra_figures(lesson, scene, results, tracks, grid, presentation)):
    st.plotly_chart(figure, key=f"lesson_extra_{i}", config={"displaylogo": False})
