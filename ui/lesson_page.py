"""The Lessons page's parts: choosing a lesson, the prediction before the race, and the reveal.

A lesson opens on its question with the race hidden (the map and the start, no trails, no
claims). The class predicts, by picking an option or by clicking on the map where a run will
end; *Reveal* plays the race over the prediction, says whether it held and ticks the claims.
A teacher can reveal without a prediction. The phase of each lesson is kept per session and in
the link (``reveal=1``), so a reloaded or shared link shows the same phase.
"""
from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st
from viz import figures
from viz import lessons as lesson_figures
from viz.surface_image import evaluate

from . import heavy, chart_first, charts, compute, lessons, live_chart, shell
from . import data_page as data_page_state
from . import state as page_state
from .lessons import extras

_REVEALED = "lesson.revealed.{}"
_CHOICE = "lesson.choice.{}"
_GUESS = "lesson.guess.{}"
_REVEALS = "lesson.reveals.{}"  # how many times this session revealed the lesson: a fresh token plays the race again
DATA_MAP_RESOLUTION = 160  # a finite-sum loss at 480² points costs 0.4-1.2 s (the data page keeps 160 too)


# ----- computed once per lesson, shared by every session (a scene never changes) ---------------------
@st.cache_resource(max_entries=64, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def lesson_results(slug: str) -> list:
    return lessons.run_scene(lessons.get(slug).scene)


@st.cache_resource(max_entries=64, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def lesson_grid(slug: str):
    lesson = lessons.get(slug)
    surface = lesson.scene.surface()
    if lesson.on_data:
        return evaluate(surface, DATA_MAP_RESOLUTION)
    return compute.map_grid(surface.name, compute.cache_key(lesson.scene.landscape_params))


@st.cache_resource(max_entries=128, ttl=heavy.RESULT_SECONDS, show_spinner=False)
def lesson_extra_figures(slug: str, presentation: bool) -> list:
    """The figures under a lesson's race: they depend on the lesson and the mode only (replays and
    curvature along 1000-step paths took 60-140 ms a rerun)."""
    lesson = lessons.get(slug)
    scene = lesson.fresh_scene()
    scene.presentation = presentation
    results = lesson_results(slug)
    tracks = figures.tracks_from_results(results, run_labels(lesson, scene))
    view = extras.View(lesson, scene, scene.surface(), results, tracks, lesson_grid(slug), presentation)
    return extras.figures_under_race(view)


# ----- which lesson ---------------------------------------------------------------------------------
def choose_lesson():
    """The lesson the link or the selector names, with ← Previous / Next → beside the selector."""
    ss = st.session_state
    if "lesson" not in ss:  # first view of the page: the link decides
        first, warnings = lessons.from_query(st.query_params.to_dict())
        ss["lesson"] = first.slug
        ss["lesson_warnings"] = warnings
        if st.query_params.get("reveal") == "1":
            ss[_REVEALED.format(first.slug)] = True
    for warning in ss.get("lesson_warnings", []):
        st.warning(warning, icon="⚠️")

    slugs = lessons.slugs()
    back, picker, forward = st.columns([1, 6, 1], vertical_alignment="bottom")
    back.button("← Previous", on_click=move, args=(-1,), width="stretch", disabled=ss["lesson"] == slugs[0])
    picker.selectbox("Lesson", slugs, key="lesson", format_func=numbered_title, label_visibility="collapsed",
                     on_change=_forget_warnings, persist_state="session")
    forward.button("Next →", on_click=move, args=(1,), width="stretch", disabled=ss["lesson"] == slugs[-1])
    return lessons.get(ss["lesson"])


def numbered_title(slug: str) -> str:
    return f"{lessons.slugs().index(slug) + 1}. {lessons.get(slug).title}"


def _forget_warnings() -> None:
    st.session_state["lesson_warnings"] = []


def move(offset: int) -> None:
    slugs = lessons.slugs()
    st.session_state["lesson"] = slugs[max(0, min(len(slugs) - 1, slugs.index(st.session_state["lesson"]) + offset))]
    _forget_warnings()


def is_revealed(lesson) -> bool:
    return bool(st.session_state.get(_REVEALED.format(lesson.slug), False))


def _reveal(slug: str) -> None:
    st.session_state[_REVEALED.format(slug)] = True
    key = _REVEALS.format(slug)
    st.session_state[key] = st.session_state.get(key, 0) + 1


def _hide(slug: str) -> None:
    st.session_state[_REVEALED.format(slug)] = False


def guess_of(lesson):
    """The session's prediction: an option's index, an (x, y) point, or None."""
    if isinstance(lesson.prediction, lessons.Choice):
        return st.session_state.get(_CHOICE.format(lesson.slug))
    return st.session_state.get(_GUESS.format(lesson.slug))


def keep_in_link(lesson) -> None:
    shell.keep_in_link({"lesson": lesson.slug, **({"reveal": "1"} if is_revealed(lesson) else {})})


# ----- the page ---------------------------------------------------------------------------------------
def show(lesson, presentation: bool) -> None:
    scene = lesson.fresh_scene()
    scene.presentation = presentation
    surface = scene.surface()
    with st.spinner("Compiling the optimizer kernels for this lesson: the first time on a new server takes a few seconds…"):
        results = lesson_results(lesson.slug)
        grid = lesson_grid(lesson.slug)
    keep_in_link(lesson)

    if not presentation:  # on a projector the lesson picker above shows the title, and the map gets the height
        st.header(numbered_title(lesson.slug))
        _objectives(lesson)  # on a projector it heads the column beside the map, which then starts higher
    if is_revealed(lesson):
        _reveal_view(lesson, scene, surface, results, grid, presentation)
    else:
        _predict_view(lesson, scene, surface, grid, presentation)


def _objectives(lesson) -> None:
    st.markdown("**After this lesson you can** " + " ".join(f"{objective}" for objective in lesson.objectives))


def _map_height(presentation: bool) -> int:
    return 700 if presentation else 560


def run_lines(lesson, scene, short: bool = False) -> list[str]:
    """What is about to run, without the roles that would give the answer away."""
    if lesson.on_data:
        lines = []
        for i, r in enumerate(scene.runs, start=1):
            how = f"full batch (all {scene.n} examples)" if r.batch_size is None else f"minibatches of {r.batch_size}, {r.sampling} sampling"
            lines.append(f"run {i}: {optimizers_title(r.optimizer)} · lr {r.lr:g} · {how}"
                         f"{_settings_beyond_lr(r.optimizer, {'lr': r.lr, **r.hyper}, short)}")
        return lines
    return [f"run {i}: {shell.run_labels([run])[0]}{_settings_beyond_lr(run.optimizer, run.hyper, short)}"
            for i, run in enumerate(scene.runs, start=1)]


def _settings_beyond_lr(optimizer: str, hyper: dict, short: bool = False) -> str:
    """' · weight decay λ 0.04' for every setting the lesson gives a run besides lr (lr is in the label);
    ``short``: ' · λ 0.04', for a legend."""
    import optimizers

    spec = optimizers.get(optimizer)
    resolved = spec.resolve(hyper)
    parts = []
    for h in spec.hypers[1:]:
        if h.name in hyper:
            value = resolved[h.name]
            shown = ", ".join(f"{v:g}" for v in value) if isinstance(value, tuple) else f"{value:g}"
            parts.append(f" · {short_name(h) if short else h.label or h.name} {shown}")
    return "".join(parts)


def short_name(hyper) -> str:
    """A setting's symbol when its label ends in one ("momentum μ" → "μ"), else its label: legends stay one line."""
    label = hyper.label or hyper.name
    last = label.split()[-1]
    return last if len(last) <= 2 else label


def optimizers_title(name: str) -> str:
    import optimizers

    return optimizers.get(name).title.split(" (")[0]


def _predict_view(lesson, scene, surface, grid, presentation: bool) -> None:
    prediction = lesson.prediction
    map_column, ask_column = st.columns([3, 2], gap="large")
    with ask_column:
        if presentation:
            _objectives(lesson)
        st.info(f"**Predict first.** {prediction.prompt}", icon=":material/help:")
        what = "the minibatch runs" if lesson.on_data else "the race"
        st.markdown(f"On *{surface.title}*, {what} about to start:\n\n" + "\n".join(f"- {line}" for line in run_lines(lesson, scene)))
        if isinstance(prediction, lessons.Choice):
            st.radio("Your prediction", range(len(prediction.options)), format_func=lambda i: prediction.options[i],
                     key=_CHOICE.format(lesson.slug), index=None, persist_state="session")
        else:
            guess = guess_of(lesson)
            st.markdown(f"Click on the map where run {prediction.run + 1} will end."
                        + (f" Your guess: ({guess[0]:.2f}, {guess[1]:.2f})." if guess else ""))
        answered = guess_of(lesson) is not None
        st.button("Reveal the race ▶" if answered else "Reveal without a prediction ▶", type="primary", width="stretch",
                  on_click=_reveal, args=(lesson.slug,), key="lesson_reveal")
        st.caption("The race, the explanation and the checked claims appear after the reveal. "
                   + ("Keys: ← → pick an answer, space reveals." if presentation else ""))
    with map_column:
        guess = guess_of(lesson) if isinstance(prediction, lessons.EndPoint) else None
        figure = lesson_figures.prediction_map(surface, grid, scene.start, guess, height=_map_height(presentation),
                                               presentation=presentation, legend_width=520)
        on_click = _take_guess(lesson, surface) if isinstance(prediction, lessons.EndPoint) else None
        live_chart.live_chart(figure, key="lesson_race", height=_map_height(presentation),
                              config={"scrollZoom": False}, on_click=on_click, fit_screen=presentation,
                              filename=f"lesson-{lesson.slug}-question")
        chart_first.head_start()  # the browser draws the map alone before the rest of the page arrives


def _take_guess(lesson, surface):
    def take_click():
        point = live_chart.clicked_point("lesson_race", surface.bounds)
        if point is not None:
            st.session_state[_GUESS.format(lesson.slug)] = point

    return take_click


def run_labels(lesson, scene) -> list[str]:
    """Each run's label, led by its role in the lesson ("too low: Gradient descent · lr 0.005")."""
    base = [line.split(": ", 1)[1] for line in run_lines(lesson, scene, short=True)]
    captions = list(lesson.run_captions) + [""] * len(base)
    return [f"{caption}: {label}" if caption else label for caption, label in zip(captions, base)]


def _verdict(lesson, results, surface) -> None:
    show_verdict(lesson, guess_of(lesson), results, surface)


def show_verdict(lesson, guess, results, surface, *, none: str = "No prediction was made.",
                 held: str = "Your prediction held.") -> None:
    """Whether ``guess`` held on the lesson's runs, and what happened, in one coloured box."""
    verdict = lessons.judge(lesson.prediction, guess, results, surface)
    if guess is None:
        st.info(f"**{none}** {verdict.says}", icon=":material/visibility:")
    elif verdict.right:
        st.success(f"**{held}** {verdict.says}", icon=":material/check_circle:")
    else:
        st.error(f"**Not this time.** {verdict.says}", icon=":material/cancel:")


def _compare_link(lesson, scene) -> tuple[str, str]:
    if lesson.on_data:
        first = next((r for r in scene.runs if r.batch_size is not None), scene.runs[0])
        state = data_page_state.DataState(problem=scene.problem, n=scene.n, seed=scene.data_seed,
                                          batch=first.batch_size or scene.n, sampling=first.sampling,
                                          optimizer=first.optimizer, hyper={"lr": first.lr, **first.hyper},
                                          schedule=dict(first.schedule), steps=scene.steps)
        query = {**data_page_state.to_query(state), **({"pres": "1"} if scene.presentation else {})}
        return "Open this data set on the Minibatch SGD page ↗", "Data_landscape?" + urlencode(query)
    return "Open this scene in Compare ↗", "Compare?" + urlencode(page_state.to_query(scene))


def _reveal_view(lesson, scene, surface, results, grid, presentation: bool) -> None:
    tracks = figures.tracks_from_results(results, run_labels(lesson, scene))
    view = extras.View(lesson, scene, surface, results, tracks, grid, presentation)
    if not presentation:
        _verdict(lesson, results, surface)
    race_column, text_column = st.columns([3, 2], gap="large")
    with race_column:
        race = figures.trajectory_figure(surface, grid, tracks, scene.start, presentation=presentation,
                                         height=_map_height(presentation), legend_width=520)
        extras.decorate_race(view, race)
        guess = guess_of(lesson)
        if isinstance(lesson.prediction, lessons.EndPoint) and guess is not None:
            lesson_figures.add_traces(race, [lesson_figures.guess_trace(guess, presentation)])
        token = f"{lesson.slug}-{st.session_state.get(_REVEALS.format(lesson.slug), 0)}"
        live_chart.live_chart(race, key="lesson_race", height=_map_height(presentation),
                              config={"scrollZoom": True}, autoplay=token, fit_screen=presentation,
                              filename=f"lesson-{lesson.slug}-race")
        chart_first.head_start()
    with text_column:
        if presentation:  # beside the race, which then starts higher on the screen
            _verdict(lesson, results, surface)
            _objectives(lesson)
        st.markdown(lesson.text)
        st.markdown("**What this scene shows** (checked on the runs above)")
        for claim, holds in lessons.check_claims(lesson, results, surface):
            st.markdown(f":green[:material/check_circle:] {claim.says}" if holds else
                        f":orange[:material/error: not seen here:] {claim.says}")
        if lesson.states_only:
            st.markdown(f":grey[:material/menu_book: The notes say, and this scene does not show:] {lesson.states_only}")
        if lesson.discuss:
            st.info(f"**Ask the class:** {lesson.discuss}", icon=":material/record_voice_over:")
        label, link = _compare_link(lesson, scene)
        st.link_button(label, link,
                       help="Opens a new tab with every setting of this scene in the link.")
        st.button("Hide the race and predict again", on_click=_hide, args=(lesson.slug,), key="lesson_hide")
        st.caption(f"{surface.title}. Lecture notes: " + "; ".join(source.text for source in lesson.sources) + ".")

    st.subheader("The formulas")
    for formula in lesson.formulas:
        st.latex(formula)
    charts.plotly_chart(figures.curves_figure(tracks, view.reference_loss, presentation), key="lesson_curves",
                        filename=f"lesson-{lesson.slug}-curves")
    for i, figure in enumerate(lesson_extra_figures(lesson.slug, presentation)):
        charts.plotly_chart(figure, key=f"lesson_extra_{i}", filename=f"lesson-{lesson.slug}-figure-{i + 1}")
    _recap(lesson)


def _recap(lesson) -> None:
    st.success(f"**Recap.** {lesson.recap}", icon=":material/lightbulb:")
    slugs = lessons.slugs()
    index = slugs.index(lesson.slug)
    if index + 1 < len(slugs):
        st.button(f"Next lesson: {numbered_title(slugs[index + 1])} →", on_click=move, args=(1,), key="lesson_next_bottom")
