"""The Live class page: a room where every student predicts on their own screen while the projector
shows the class's answers arrive, then the race over them.

A teacher starts a room on a lesson (the Lessons page's *Start a live class*); the room walks
through the lessons in order, one question each (the lesson's own prediction). The teacher's
link carries a secret that alone moves, locks, reveals and closes the room
(``classroom.store``); it is taken out of the address bar at once, since the teacher's screen
is projected, and kept in the session. Students open ``/Live_class?room=CODE`` (or scan the QR
code); their screen follows the teacher's within ``FOLLOW_SECONDS``. Right and wrong are judged
on the lesson's own runs (``lessons.judge``), never written down.
"""
from __future__ import annotations

import csv
import io
import math
import os
import threading
from functools import cache, lru_cache
from urllib.parse import parse_qs, urlencode, urlsplit

import segno
import streamlit as st
from classroom.store import NotAllowed, Question, RoomError, Store, new_member, normal_code
from viz import figures
from viz import lessons as lesson_figures

from . import charts, compute, heavy, lesson_page, lessons, live_chart, shell
from . import state as page_state
from .scheduler import OverLimit, RateLimit

FOLLOW_SECONDS = 1.5  # how often a screen asks the store whether the room moved (the goal: within 2 s)
PAGE = "pages/9_Live_class.py"
_ROOM, _SECRET, _MEMBER, _REVISION, _JOINED, _MESSAGE = (f"live.{k}" for k in ("room", "secret", "member", "revision",
                                                                                "joined", "message"))
# Guessing room codes: each unknown code counts for the session and for the whole server.
LOOKUPS = RateLimit(int(os.environ.get("LANDSCAPE_ROOM_LOOKUPS_PER_SESSION", "20")), 600, "unknown room codes")
SERVER_LOOKUPS = RateLimit(int(os.environ.get("LANDSCAPE_ROOM_LOOKUPS_PER_MINUTE", "300")), 60, "unknown room codes")
_SERVER = "the whole server"

_store: Store | None = None
_store_lock = threading.Lock()


def store() -> Store:
    """The server's one store (opened on first use; the database outlives the server)."""
    global _store
    with _store_lock:
        if _store is None:
            _store = Store()
        return _store


@cache
def lesson_questions() -> tuple[Question, ...]:
    """Every lesson's prediction as a room question, in teaching order."""
    questions = []
    for lesson in lessons.LESSONS:
        prediction = lesson.prediction
        if isinstance(prediction, lessons.Choice):
            questions.append(Question("choice", prediction.prompt, options=tuple(prediction.options), ref=lesson.slug))
        else:
            questions.append(Question("point", prediction.prompt, bounds=tuple(map(tuple, lesson.scene.surface().bounds)),
                                      ref=lesson.slug))
    return tuple(questions)


def start_room(first_slug: str) -> tuple[str, str]:
    """A new room over every lesson, showing ``first_slug``'s question: (code, teacher secret)."""
    code, secret = store().open_room("Lessons", lesson_questions())
    position = lessons.slugs().index(first_slug)
    if position:
        store().go_to(code, secret, position)
    return code, secret


COMPARE_REF = "compare:"  # a Compare scene's question: this, the scene's link query, "#end" or "#lowest"
END_TOLERANCE = 0.05  # a predicted end point is right within this share of the map's diagonal


def compare_questions(state) -> tuple[Question, ...]:
    """A Compare scene's questions: where run 1 ends, then (with two runs or more) which run ends lowest."""
    ref = COMPARE_REF + urlencode(page_state.to_query(state))
    questions = [_compare_question(ref + "#end")]
    if len(state.runs) > 1:
        questions.append(_compare_question(ref + "#lowest"))
    return tuple(questions)


def _compare_question(ref: str) -> Question:
    lesson = compare_lesson(ref)
    if isinstance(lesson.prediction, lessons.Choice):
        return Question("choice", lesson.prediction.prompt, options=lesson.prediction.options, ref=ref)
    return Question("point", lesson.prediction.prompt, bounds=tuple(map(tuple, lesson.scene.surface().bounds)), ref=ref)


def _final_loss(result) -> float:
    loss = float(result.loss[-1])
    return loss if math.isfinite(loss) else math.inf  # a run that diverged ends highest


@lru_cache(maxsize=64)
def compare_lesson(ref: str):
    """A Compare scene (its link, in ``ref``) as a lesson with one prediction and nothing else."""
    query, which = ref[len(COMPARE_REF):].rsplit("#", 1)
    state, _ = page_state.from_query({key: values[-1] for key, values in parse_qs(query).items()})
    surface = state.surface()
    labels = tuple(shell.run_labels(state.runs))
    if which == "lowest":
        prediction = lessons.Choice("Which run ends with the lowest loss?", labels,
                                    lambda results, _surface: min(range(len(results)), key=lambda i: _final_loss(results[i])))
    else:
        (x0, x1), (y0, y1) = surface.bounds
        tolerance = float(f"{END_TOLERANCE * math.hypot(x1 - x0, y1 - y0):.2g}")
        prediction = lessons.EndPoint(f"Where will run 1 ({labels[0]}) be after {state.steps} steps? Tap the map.", 0,
                                      tolerance)
    return lessons.Lesson(slug=ref, title=f"Compare · {surface.title}", objectives=(), scene=state, prediction=prediction,
                          text="", formulas=(), claims=(), recap="", sources=())


def start_compare_button(state) -> None:
    """*Start a live class on this race* on the Compare page: the class predicts this scene's race."""
    if st.button("Start a live class on this race", icon=":material/groups:", key="live_start_compare",
                 help="Every student predicts where run 1 ends and which run ends lowest, on their own phone or laptop; "
                      "the projector shows the class's answers, then the race."):
        code, secret = store().open_room(f"Compare · {state.surface().title}", compare_questions(state))
        st.session_state[_ROOM], st.session_state[_SECRET] = code, secret
        st.switch_page(PAGE, query_params={"room": code})


def start_button(lesson) -> None:
    """*Start a live class* on the Lessons page: opens a room at this lesson and goes to it."""
    if st.button("Start a live class", icon=":material/groups:", key="live_start",
                 help="Every student answers this lesson's question on their own phone or laptop; the projector shows "
                      "the class's answers as they arrive, then the race over them."):
        code, secret = start_room(lesson.slug)
        st.session_state[_ROOM], st.session_state[_SECRET] = code, secret
        st.switch_page(PAGE, query_params={"room": code})


# ----- links --------------------------------------------------------------------------------------
def public_base() -> str:
    """The address students type: ``LANDSCAPE_PUBLIC_URL`` if set, else the address this browser used,
    with a loopback host replaced by the machine's network address (what Streamlit prints as Network URL)."""
    configured = os.environ.get("LANDSCAPE_PUBLIC_URL", "").strip().rstrip("/")
    if configured:
        return configured
    parts = urlsplit(st.context.url or "http://localhost:8501/")
    host, port = parts.hostname or "localhost", parts.port
    if host in ("localhost", "127.0.0.1", "::1"):
        from streamlit import net_util

        host = net_util.get_internal_ip() or host
    return f"{parts.scheme or 'http'}://{host}{f':{port}' if port else ''}"


def student_link(code: str) -> str:
    return f"{public_base()}/Live_class?{urlencode({'room': code})}"


def teacher_link(code: str, secret: str) -> str:
    return f"{public_base()}/Live_class?{urlencode({'room': code, 'teacher': secret})}"


@lru_cache(maxsize=16)
def qr_png(link: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=12, border=2)
    return buffer.getvalue()


# ----- the page -------------------------------------------------------------------------------------
def show(presentation: bool) -> None:
    """The page: a teacher's room, a student's room, or (no room in the link) how to join or start one."""
    ss = st.session_state
    link_room, link_secret = st.query_params.get("room"), st.query_params.get("teacher")
    if link_secret is not None:  # the projected address bar must not show it
        ss[_SECRET] = str(link_secret)[:100]
        del st.query_params["teacher"]
    if link_room is not None and link_room != ss.get(_ROOM):
        ss[_ROOM] = str(link_room)[:20]
        if link_secret is None:
            ss.pop(_SECRET, None)
    code = ss.get(_ROOM)
    message = ss.pop(_MESSAGE, None)
    if message:
        st.warning(message, icon="⚠️")
    if not code:
        _landing()
        return
    room = _find(code)
    if room is None:
        _landing()
        return
    st.query_params["room"] = room.code
    if ss.get(_SECRET) and store().is_teacher(room.code, ss[_SECRET]):
        _teacher_view(room, ss[_SECRET], presentation)
    else:
        if ss.get(_SECRET):
            st.warning("That teacher's link does not belong to this room: you are seeing it as a student.", icon="⚠️")
            ss.pop(_SECRET)
        _student_view(room, presentation)


def _find(code):
    """The room, or None after saying why (an unknown code counts against the guessing limit)."""
    owner = heavy.owner()
    try:
        LOOKUPS.check(owner)
        SERVER_LOOKUPS.check(_SERVER)
    except OverLimit as error:
        st.error(f"Too many unknown room codes: {error}", icon="⛔")
        st.session_state.pop(_ROOM, None)
        return None
    try:
        return store().room(code)
    except RoomError as error:
        LOOKUPS.record(owner)
        SERVER_LOOKUPS.record(_SERVER)
        st.error(str(error), icon="⛔")
        st.session_state.pop(_ROOM, None)
        if "room" in st.query_params:
            del st.query_params["room"]
        return None


def _landing() -> None:
    st.markdown("#### Join a class\nType the code on the projector, or scan its QR code.")
    with st.form("live_join", border=False):
        typed = st.text_input("Room code", max_chars=12, placeholder="K7QX3M")
        if st.form_submit_button("Join", type="primary"):
            try:
                st.session_state[_ROOM] = normal_code(typed)
            except RoomError as error:
                st.session_state[_MESSAGE] = str(error)
            st.rerun()
    st.markdown("#### Teach one\nOpen a lesson and press *Start a live class* beside it: the room walks through the "
                "lessons from there, and every student answers each lesson's question on their own screen.")
    st.page_link("pages/2_Lessons.py", label="Go to the lessons", icon=":material/school:")


def _follow(room) -> None:
    """Rerun the whole page when the teacher changes the room (checked every FOLLOW_SECONDS)."""
    st.session_state[_REVISION] = room.revision

    @st.fragment(run_every=FOLLOW_SECONDS)
    def watch():
        try:
            now = store().room(room.code)
        except RoomError:
            st.rerun()
            return
        if now.revision != st.session_state.get(_REVISION):
            st.rerun()

    watch()


# ----- shared by both views -----------------------------------------------------------------------------
def lesson_for(ref: str):
    """The lesson a question shows: a catalogue lesson by its slug, or a Compare scene made into one."""
    return compare_lesson(ref) if ref.startswith(COMPARE_REF) else lessons.get(ref)


def _lesson_of(room):
    return lesson_for(room.question.ref)


def results_and_grid(lesson):
    """The scene's runs and its map's grid, computed once per scene for every session."""
    if lesson.slug.startswith(COMPARE_REF):
        state = lesson.scene
        runs = [result for result, _ in compute.run_all(state)]
        return runs, compute.map_grid(state.landscape, compute.cache_key(state.landscape_params))
    return lesson_page.lesson_results(lesson.slug), lesson_page.lesson_grid(lesson.slug)


def _scene(lesson, presentation: bool):
    scene = lesson.fresh_scene()
    scene.presentation = presentation
    results, grid = results_and_grid(lesson)
    return scene, scene.surface(), results, grid


def _heading(room, lesson) -> None:
    st.subheader(f"Question {room.position + 1} of {len(room.questions)} · {lesson.title}")


def _answer_text(question: Question, answer) -> str:
    if answer is None:
        return ""
    if question.kind == "choice":
        return f"{chr(65 + answer)}. {question.options[answer]}"
    return f"({answer[0]:.2f}, {answer[1]:.2f})"


def right_count(lesson, tally, results, surface) -> int:
    """How many of the class's answers the lesson's runs prove right."""
    if isinstance(lesson.prediction, lessons.Choice):
        right = int(lesson.prediction.answer(results, surface))
        return tally.option_counts[right] if right < len(tally.option_counts) else 0
    return sum(lessons.judge(lesson.prediction, point, results, surface).right for point in tally.points)


# ----- the teacher's projector --------------------------------------------------------------------------
def _teacher_view(room, secret: str, presentation: bool) -> None:
    lesson = _lesson_of(room)
    link = student_link(room.code)
    join, qr = st.columns([5, 1], vertical_alignment="center")
    with join:
        st.markdown(f"## Join at **{link.split('?')[0]}** with code **{room.code}**")
        st.caption(f"or open {link} · everyone's screen follows yours · answers stay anonymous")
        _heading(room, lesson)
        _teacher_controls(room, secret)
    qr.image(qr_png(link), width=200 if presentation else 150, caption="Scan to join")
    scene, surface, results, grid = _scene(lesson, presentation)
    height = 600 if presentation else 500

    @st.fragment(run_every=None if room.phase in ("revealed", "closed") else 1.0)
    def live_answers():
        tally = store().tally(room.code, room.position)
        right = right_count(lesson, tally, results, surface) if room.phase == "revealed" else None
        picture, numbers = st.columns([3, 2], gap="large")
        with numbers:
            st.markdown(f"### **{tally.joined}** joined · **{tally.answered}** answered"
                        + (f" · **{right}** right" if right is not None else ""))
            st.caption({"asking": "Answers are open.", "locked": "Answers are locked.",
                        "revealed": "Revealed.", "closed": "The class has ended."}[room.phase])
            st.info(f"**{lesson.prediction.prompt}**", icon=":material/help:")
            if isinstance(lesson.prediction, lessons.Choice):
                answer = int(lesson.prediction.answer(results, surface)) if room.phase == "revealed" else None
                charts.plotly_chart(lesson_figures.answer_bars_figure(lesson.prediction.options, tally.option_counts,
                                                                      answer, presentation), key="live_bars",
                                    filename=f"live-{lesson.slug}-answers")
            else:
                st.markdown("\n".join(f"- {line}" for line in lesson_page.run_lines(lesson, scene)))
            if room.phase == "revealed":
                st.success(lessons.judge(lesson.prediction, None, results, surface).says, icon=":material/visibility:")
        with picture:
            if room.phase == "revealed":
                tracks = figures.tracks_from_results(results, lesson_page.run_labels(lesson, scene))
                figure = figures.trajectory_figure(surface, grid, tracks, scene.start, presentation=presentation,
                                                   height=height, legend_width=520)
                if tally.points:
                    lesson_figures.add_traces(figure, [lesson_figures.class_points_trace(tally.points, presentation)])
                live_chart.live_chart(figure, key="live_map", height=height, fit_screen=presentation,
                                      autoplay=f"{room.code}-{room.position}-{room.revision}",
                                      filename=f"live-{lesson.slug}-race")
            else:
                figure = lesson_figures.prediction_map(surface, grid, scene.start, height=height,
                                                       presentation=presentation, legend_width=520)
                if tally.points:
                    figure["data"].append(lesson_figures.class_points_trace(tally.points, presentation))
                live_chart.live_chart(figure, key="live_map", height=height, fit_screen=presentation,
                                      filename=f"live-{lesson.slug}-predictions")

    live_answers()
    st.download_button("Download the room's answers (CSV)", answers_csv(room, secret), file_name=f"live-class-{room.code}.csv",
                       mime="text/csv", icon=":material/download:")
    with st.expander("Your teacher's link (keep it private: it controls the room)"):
        st.code(teacher_link(room.code, secret), language=None)
    _follow(room)


def _act(action, *args) -> None:
    try:
        action(*args)
    except RoomError as error:  # NotAllowed included: a secret that stopped matching
        st.session_state[_MESSAGE] = str(error)


def _teacher_controls(room, secret: str) -> None:
    s, code, last = store(), room.code, len(room.questions) - 1
    closed = room.phase == "closed"
    back, lock, reveal, forward, close = st.columns(5)
    back.button("← Previous question", on_click=_act, args=(s.go_to, code, secret, room.position - 1), width="stretch",
                disabled=closed or room.position == 0, key="live_back")
    if room.phase == "locked":
        lock.button("Unlock answers", on_click=_act, args=(s.unlock, code, secret), width="stretch", key="live_unlock")
    else:
        lock.button("Lock answers", on_click=_act, args=(s.lock, code, secret), width="stretch",
                    disabled=room.phase != "asking", key="live_lock")
    reveal.button("Reveal the race ▶", on_click=_act, args=(s.reveal, code, secret), type="primary", width="stretch",
                  disabled=room.phase not in ("asking", "locked"), key="live_reveal")
    forward.button("Next question →", on_click=_act, args=(s.go_to, code, secret, room.position + 1), width="stretch",
                   disabled=closed or room.position == last, key="live_next")
    close.button("End the class", on_click=_act, args=(s.close, code, secret), width="stretch", disabled=closed,
                 key="live_close")


def answers_csv(room, secret: str) -> str:
    """Every answer of the room, one row each, with whether the lesson's runs prove it right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["question", "lesson", "student", "nickname", "answer", "right", "answered_at_unix"])
    try:
        rows = store().export(room.code, secret)
    except NotAllowed:
        return ""
    for row in rows:
        question = room.questions[row["position"]]
        lesson = lesson_for(question.ref)
        answer = row["option"] if question.kind == "choice" else (row["x"], row["y"])
        results, _ = results_and_grid(lesson)
        right = lessons.judge(lesson.prediction, answer, results, lesson.scene.surface()).right
        # a leading = + - @ would make a spreadsheet run the nickname as a formula
        nickname = row["nickname"] or ""
        if nickname[:1] in ("=", "+", "-", "@"):
            nickname = "'" + nickname
        writer.writerow([row["position"] + 1, lesson.title, row["number"], nickname, _answer_text(question, answer),
                         "yes" if right else "no", f"{row['answered']:.0f}"])
    return out.getvalue()


# ----- a student's phone or laptop ----------------------------------------------------------------------
def _member() -> str:
    """This browser session's ticket (kept in the link, so a reload keeps its answers)."""
    ss = st.session_state
    if _MEMBER not in ss:
        from_link = st.query_params.get("me")
        ss[_MEMBER] = from_link if isinstance(from_link, str) and 16 <= len(from_link) <= 64 and from_link.isascii() \
            and from_link.replace("-", "").replace("_", "").isalnum() else new_member()
    st.query_params["me"] = ss[_MEMBER]
    return ss[_MEMBER]


def _student_view(room, presentation: bool) -> None:
    me = _member()
    ss = st.session_state
    if ss.get(_JOINED) != room.code:
        try:
            store().join(room.code, me)
        except RoomError as error:
            st.error(str(error), icon="⛔")
            return
        ss[_JOINED] = room.code
    lesson = _lesson_of(room)
    question = room.question
    scene, surface, results, grid = _scene(lesson, presentation)
    st.caption(f"Room {room.code} · your answers are anonymous to the class")
    _heading(room, lesson)
    mine = store().my_answer(room.code, me, room.position)
    height = 460

    if room.phase == "revealed":
        lesson_page.show_verdict(lesson, mine, results, surface, none="You did not answer this one.", held="You were right.")
        race = figures.trajectory_figure(surface, grid, figures.tracks_from_results(results, lesson_page.run_labels(lesson, scene)),
                                         scene.start, presentation=presentation, height=height, legend_width=360)
        if question.kind == "point" and mine is not None:
            lesson_figures.add_traces(race, [lesson_figures.guess_trace(mine, presentation)])
        live_chart.live_chart(race, key="live_map", height=height, autoplay=f"{room.code}-{room.position}-{room.revision}",
                              filename=f"live-{lesson.slug}-race")
    elif room.phase == "closed":
        st.success("The class has ended. Thank you!", icon=":material/waving_hand:")
    else:
        st.info(f"**{question.prompt}**", icon=":material/help:")
        st.markdown("\n".join(f"- {line}" for line in lesson_page.run_lines(lesson, scene)))
        accepting = room.phase == "asking"
        if not accepting:
            st.warning("Answers are locked: wait for the reveal.", icon=":material/lock:")
        if question.kind == "choice":
            st.radio("Your answer", range(len(question.options)), format_func=lambda i: _answer_text(question, i),
                     index=mine, key=f"live.choice.{room.code}.{room.position}", disabled=not accepting,
                     on_change=_send_choice, args=(room, me))
        else:
            st.markdown("Tap the map where you think the run will end."
                        + (f" Your answer: **{_answer_text(question, mine)}** (tap again to move it)." if mine else ""))
            figure = lesson_figures.prediction_map(surface, grid, scene.start, mine, height=height, legend_width=360)
            live_chart.live_chart(figure, key="live_map", height=height, config={"scrollZoom": False},
                                  on_click=_send_point(room, me, surface) if accepting else None,
                                  filename=f"live-{lesson.slug}-question")
        if mine is not None and accepting:
            st.caption("Your answer is in. You may change it until the teacher locks the answers.")
    st.text_input("Nickname (optional, shown only to the teacher)", max_chars=24, key="live.nickname",
                  on_change=_send_nickname, args=(room, me))
    _follow(room)


def _send_choice(room, me) -> None:
    choice = st.session_state.get(f"live.choice.{room.code}.{room.position}")
    if choice is not None:
        _act(store().answer, room.code, me, room.position, None, int(choice))


def _send_point(room, me, surface):
    def send():
        point = live_chart.clicked_point("live_map", surface.bounds)
        if point is not None:
            _act(store().answer, room.code, me, room.position, point, None)

    return send


def _send_nickname(room, me) -> None:
    _act(store().join, room.code, me, st.session_state.get("live.nickname"))
