"""The Live class page as the server runs it (AppTest): a teacher's room, students answering, forged links."""
from __future__ import annotations

import csv
import io

import pytest
from app_kit import run_page

from ui import lessons, live_class, shell

PAGE = "pages/9_Live_class.py"


def _texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [e.value for e in at.error] + [w.value for w in at.warning]
                     + [i.value for i in at.info] + [s.value for s in at.success] + [c.value for c in at.caption])


@pytest.fixture
def choice_room():
    """A room on the momentum lesson (a choice question), its code and secret."""
    lesson = lessons.get("momentum")
    assert isinstance(lesson.prediction, lessons.Choice)
    return live_class.start_room("momentum")


def test_without_a_room_the_page_offers_to_join_or_to_start_one():
    at = run_page(PAGE)
    assert not at.exception
    assert "Join a class" in _texts(at) and "Start a live class" in _texts(at)
    assert [t.label for t in at.text_input][0] == "Room code"


def test_a_malformed_or_unknown_code_is_refused_in_words():
    at = run_page(PAGE)
    at.text_input[0].input("no!")
    next(b for b in at.button if b.label == "Join").click().run()
    assert not at.exception and "room code is 6 letters" in _texts(at)
    at = run_page(PAGE, {"room": "ZZZZZZ"})
    assert not at.exception and "There is no room ZZZZZZ" in _texts(at)
    at = run_page(PAGE, {"room": "<script>"})
    assert not at.exception and "room code is 6 letters" in _texts(at)


def test_guessing_codes_is_limited_per_session(monkeypatch):
    monkeypatch.setattr(live_class, "LOOKUPS", live_class.RateLimit(3, 600, "unknown room codes"))
    for guess in ("AAAAAA", "BBBBBB", "CCCCCC"):
        at = run_page(PAGE, {"room": guess})
        assert "There is no room" in _texts(at)
    at = run_page(PAGE, {"room": "DDDDDD"})
    assert not at.exception and "Too many unknown room codes" in _texts(at)
    assert "There is no room" not in _texts(at)


def test_the_teacher_sees_the_code_the_qr_code_and_the_controls_and_the_secret_leaves_the_address_bar(choice_room):
    code, secret = choice_room
    at = run_page(PAGE, {"room": code, "teacher": secret})
    assert not at.exception
    assert f"with code **{code}**" in _texts(at)
    assert "teacher" not in at.query_params and at.query_params["room"] == code
    assert {"Lock answers", "Reveal the race ▶", "Next question →", "End the class"} <= {b.label for b in at.button}
    assert "**0** joined · **0** answered" in _texts(at)
    assert at.get("image"), "the QR code is drawn"


def test_a_forged_teacher_link_gets_the_student_view(choice_room):
    code, _ = choice_room
    at = run_page(PAGE, {"room": code, "teacher": "forged-secret-forged-secret"})
    assert not at.exception
    assert "does not belong to this room" in _texts(at)
    assert "Reveal the race ▶" not in {b.label for b in at.button}
    assert [r.label for r in at.radio] == ["Your answer"]


def test_students_answer_the_teacher_sees_the_count_and_after_the_reveal_each_student_sees_a_verdict(choice_room):
    code, secret = choice_room
    lesson = lessons.get("momentum")
    results = lessons.run_scene(lesson.scene)
    right = int(lesson.prediction.answer(results, lesson.scene.surface()))
    wrong = (right + 1) % len(lesson.prediction.options)
    students = []
    for answer in (right, wrong, right):
        at = run_page(PAGE, {"room": code})
        at.radio[0].set_value(answer).run()
        assert not at.exception
        assert "Your answer is in" in _texts(at)
        students.append(at)
    tally = live_class.store().tally(code)
    assert (tally.joined, tally.answered, sum(tally.option_counts)) == (3, 3, 3)

    teacher = run_page(PAGE, {"room": code, "teacher": secret})
    assert "**3** joined · **3** answered" in _texts(teacher)
    next(b for b in teacher.button if b.label == "Reveal the race ▶").click().run()
    assert not teacher.exception
    assert "**2** right" in _texts(teacher)

    verdicts = []
    for at in students:
        at.run()
        assert not at.exception
        verdicts.append("You were right" in _texts(at))
    assert verdicts == [True, False, True]

    rows = list(csv.DictReader(io.StringIO(live_class.answers_csv(live_class.store().room(code), secret))))
    assert [row["right"] for row in rows] == ["yes", "no", "yes"]
    assert {row["lesson"] for row in rows} == {lesson.title}


def test_a_student_cannot_answer_after_the_lock(choice_room):
    code, secret = choice_room
    at = run_page(PAGE, {"room": code})
    live_class.store().lock(code, secret)
    at.radio[0].set_value(0).run()
    assert not at.exception
    assert "locked" in _texts(at).lower()
    assert live_class.store().tally(code).answered == 0


def test_the_students_screen_follows_the_teacher_to_the_next_question(choice_room):
    code, secret = choice_room
    at = run_page(PAGE, {"room": code})
    first = lessons.get("momentum").title
    assert first in " ".join(h.value for h in at.subheader)
    live_class.store().go_to(code, secret, lessons.slugs().index("momentum") + 1)
    at.run()
    following = lessons.LESSONS[lessons.slugs().index("momentum") + 1].title
    assert following in " ".join(h.value for h in at.subheader)


def test_a_nickname_that_is_too_long_is_refused_and_markup_is_kept_as_text(choice_room):
    code, secret = choice_room
    at = run_page(PAGE, {"room": code})
    at.text_input(key="live.nickname").input("<b>x</b>").run()
    at.radio[0].set_value(0).run()
    assert not at.exception
    rows = live_class.store().export(code, secret)
    assert rows[0]["nickname"] == "<b>x</b>"


def test_the_lessons_page_starts_a_live_class():
    at = run_page("pages/2_Lessons.py", {"lesson": "momentum"})
    assert not at.exception
    start = next(b for b in at.button if b.label == "Start a live class")
    start.click().run()
    assert not at.exception
    code = at.session_state["live.room"]
    assert live_class.store().room(code).question.ref == "momentum"
    assert live_class.store().is_teacher(code, at.session_state["live.secret"])


def test_a_compare_scene_becomes_a_live_class_whose_answers_are_judged_on_its_own_runs():
    at = run_page("pages/1_Compare.py", {"land": "himmelblau", "runs": "sgd,momentum,adam", "steps": "200"})
    assert not at.exception
    next(b for b in at.button if b.label == "Start a live class on this race").click().run()
    assert not at.exception
    code, secret = at.session_state["live.room"], at.session_state["live.secret"]
    room = live_class.store().room(code)
    assert [q.kind for q in room.questions] == ["point", "choice"]
    lesson = live_class.lesson_for(room.questions[1].ref)
    assert room.questions[1].options == tuple(shell.run_labels(lesson.scene.runs))
    assert [r.optimizer for r in lesson.scene.runs] == ["sgd", "momentum", "adam"] and lesson.scene.steps == 200
    results = live_class.lessons.run_scene(lesson.scene)
    finals = [float(r.loss[-1]) for r in results]
    lowest = finals.index(min(finals))

    student = run_page(PAGE, {"room": code})
    assert not student.exception and "Where will run 1" in _texts(student)
    live_class.store().go_to(code, secret, 1)
    student.run()
    student.radio[0].set_value(lowest).run()
    assert not student.exception and "Your answer is in" in _texts(student)
    live_class.store().reveal(code, secret)
    student.run()
    assert "You were right" in _texts(student)
    teacher = run_page(PAGE, {"room": code, "teacher": secret})
    assert not teacher.exception and "**1** right" in _texts(teacher)
