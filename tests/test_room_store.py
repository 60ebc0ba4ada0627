"""The live class's store (classroom.store) on SQLite and, where one is given, a real PostgreSQL server.

``LANDSCAPE_TEST_POSTGRES_URL`` names a PostgreSQL database to run the same tests on (``.ci/run``
starts one and sets it); without it the PostgreSQL cases are skipped, except in CI, where a
missing server is a failure.
"""
from __future__ import annotations

import math
import os
import threading

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from classroom import store as rooms_store
from classroom.store import NotAllowed, Question, RoomError, Store, new_member

POSTGRES_URL = os.environ.get("LANDSCAPE_TEST_POSTGRES_URL")
BOUNDS = ((-2.0, 2.0), (-1.0, 3.0))
QUESTIONS = (
    Question("point", "Where will run 1 end?", bounds=BOUNDS, ref="ravines"),
    Question("choice", "Which run ends lowest?", options=("SGD", "Momentum", "Adam"), ref="momentum"),
)


def _postgres_store():
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must run the store's tests on PostgreSQL: LANDSCAPE_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL server given (LANDSCAPE_TEST_POSTGRES_URL)")
    store = Store(POSTGRES_URL)
    with store.engine.begin() as db:  # each test starts from empty tables
        for table in ("answers", "members", "rooms"):
            db.execute(sa.text(f"DELETE FROM {table}"))
    return store


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        return Store(f"sqlite:///{tmp_path / 'rooms.sqlite3'}")
    return _postgres_store()


@pytest.fixture
def room(store):
    code, secret = store.open_room("Ravines", QUESTIONS)
    return store, code, secret


def test_a_new_room_has_a_code_from_the_alphabet_and_starts_at_its_first_question(room):
    store, code, _ = room
    assert len(code) == rooms_store.CODE_LENGTH and set(code) <= set(rooms_store.CODE_ALPHABET)
    shown = store.room(code.lower())
    assert (shown.position, shown.phase, shown.question.prompt) == (0, "asking", "Where will run 1 end?")
    assert shown.questions == QUESTIONS


def test_codes_and_secrets_differ_from_room_to_room(store):
    opened = [store.open_room("r", QUESTIONS) for _ in range(30)]
    assert len({code for code, _ in opened}) == 30 and len({secret for _, secret in opened}) == 30


def test_only_the_teacher_secret_moves_locks_reveals_and_closes_the_room(room):
    store, code, secret = room
    for forged in ("", "x" * 32, secret[:-1], secret + "a", None, 12345):
        assert not store.is_teacher(code, forged)
        for action in (lambda s: store.go_to(code, s, 1), lambda s: store.lock(code, s),
                       lambda s: store.reveal(code, s), lambda s: store.close(code, s), lambda s: store.export(code, s)):
            with pytest.raises(NotAllowed, match="Only the teacher"):
                action(forged)
    assert store.room(code).phase == "asking" and store.room(code).revision == 0
    assert store.is_teacher(code, secret)
    assert store.lock(code, secret).phase == "locked"
    assert store.unlock(code, secret).phase == "asking"
    assert store.reveal(code, secret).phase == "revealed"
    moved = store.go_to(code, secret, 1)
    assert (moved.position, moved.phase, moved.revision) == (1, "asking", 4)
    assert store.close(code, secret).phase == "closed"
    with pytest.raises(RoomError, match="ended"):
        store.go_to(code, secret, 0)


def test_a_student_answers_once_per_question_and_may_change_it_until_the_lock(room):
    store, code, secret = room
    me = new_member()
    store.join(code, me)
    store.answer(code, me, 0, point=(0.5, 1.0))
    store.answer(code, me, 0, point=(-1.0, 2.0))
    assert store.my_answer(code, me, 0) == (-1.0, 2.0)
    tally = store.tally(code)
    assert (tally.joined, tally.answered, tally.points) == (1, 1, ((-1.0, 2.0),))
    store.lock(code, secret)
    with pytest.raises(RoomError, match="locked"):
        store.answer(code, me, 0, point=(0.0, 0.0))
    store.reveal(code, secret)
    with pytest.raises(RoomError, match="revealed"):
        store.answer(code, me, 0, point=(0.0, 0.0))
    assert store.my_answer(code, me, 0) == (-1.0, 2.0)


def test_an_answer_to_a_question_not_on_show_is_refused(room):
    store, code, secret = room
    me = new_member()
    store.join(code, me)
    with pytest.raises(RoomError, match="moved on"):
        store.answer(code, me, 1, option=0)
    store.go_to(code, secret, 1)
    with pytest.raises(RoomError, match="moved on"):
        store.answer(code, me, 0, point=(0.0, 0.0))
    store.answer(code, me, 1, option=2)
    assert store.tally(code).option_counts == (0, 0, 1)


@pytest.mark.parametrize("point", [(2.5, 0.0), (0.0, -1.5), (math.nan, 0.0), (math.inf, 0.0), ("a", 1), (1,), None])
def test_a_point_off_the_map_or_not_a_point_is_refused(room, point):
    store, code, _ = room
    me = new_member()
    store.join(code, me)
    with pytest.raises(RoomError):
        store.answer(code, me, 0, point=point)
    assert store.tally(code).answered == 0


@pytest.mark.parametrize("option", [-1, 3, 1.0, True, "1", None])
def test_an_option_that_is_not_one_of_the_options_is_refused(room, option):
    store, code, secret = room
    store.go_to(code, secret, 1)
    me = new_member()
    store.join(code, me)
    with pytest.raises(RoomError):
        store.answer(code, me, 1, option=option)
    with pytest.raises(RoomError, match="pick one"):
        store.answer(code, me, 1, point=(0.0, 0.0))


def test_students_must_join_with_a_real_ticket_and_a_room_caps_its_students(store):
    code, _ = store.open_room("small", QUESTIONS, max_students=3)
    for forged in ("", "short", "x" * 65, "tab\there-is-a-ticket", None, 7):
        with pytest.raises(RoomError, match="ticket"):
            store.join(code, forged)
    students = [new_member() for _ in range(3)]
    for me in students:
        store.join(code, me)
    store.join(code, students[0])  # joining again is fine
    with pytest.raises(RoomError, match="full"):
        store.join(code, new_member())
    with pytest.raises(RoomError, match="Join the room"):
        store.answer(code, new_member(), 0, point=(0.0, 0.0))


@pytest.mark.parametrize("nickname, stored", [("  Ada   Lovelace ", "Ada Lovelace"), ("", None), (None, None),
                                              ("<script>alert(1)</script>"[:24], "<script>alert(1)</script"[:24])])
def test_nicknames_are_trimmed_and_kept_as_text(room, nickname, stored):
    store, code, secret = room
    me = new_member()
    store.join(code, me, nickname)
    store.answer(code, me, 0, point=(0.0, 0.0))
    assert store.export(code, secret)[0]["nickname"] == stored


@pytest.mark.parametrize("nickname", ["x" * 25, "bell\x07", "zero\u200bwidth", 42])
def test_a_nickname_too_long_or_with_control_characters_is_refused(room, nickname):
    store, code, _ = room
    with pytest.raises(RoomError, match="nickname"):
        store.join(code, new_member(), nickname)


def test_the_tally_shows_counts_and_positions_but_never_who(room):
    store, code, secret = room
    students = [new_member() for _ in range(5)]
    for i, me in enumerate(students):
        store.join(code, me, f"s{i}")
        if i < 4:
            store.answer(code, me, 0, point=(i * 0.25, 0.0))
    tally = store.tally(code)
    assert (tally.joined, tally.answered) == (5, 4)
    assert sorted(tally.points) == [(0.0, 0.0), (0.25, 0.0), (0.5, 0.0), (0.75, 0.0)]
    assert not any(me in repr(tally) or "s0" in repr(tally) for me in students)
    rows = store.export(code, secret)
    assert [(r["position"], r["number"], r["nickname"], r["x"]) for r in rows] == \
        [(0, i + 1, f"s{i}", i * 0.25) for i in range(4)]


def test_unknown_malformed_and_expired_codes_are_refused_in_words(store):
    for code in ("", "ABC", "ABCDEFG", "ABCD0O", "'; DROP TABLE rooms; --", None):
        with pytest.raises(RoomError, match="room code"):
            store.room(code)
    with pytest.raises(RoomError, match="no room"):
        store.room("ZZZZZZ")
    code, _ = store.open_room("old", QUESTIONS, now=1000.0)
    assert store.room(code, now=1000.0 + 3600).title == "old"
    with pytest.raises(RoomError, match="no room"):
        store.room(code, now=1000.0 + rooms_store.ROOM_HOURS * 3600 + 1)
    assert store.expire() >= 1
    with pytest.raises(RoomError, match="no room"):
        store.room(code, now=1000.0)


def test_a_new_store_on_the_same_database_sees_every_room_and_answer(room):
    store, code, secret = room
    me = new_member()
    store.join(code, me)
    store.answer(code, me, 0, point=(1.0, 1.0))
    store.lock(code, secret)
    store.engine.dispose()
    again = Store(str(store.engine.url.render_as_string(hide_password=False)))
    assert again.room(code).phase == "locked"
    assert again.tally(code).points == ((1.0, 1.0),)
    assert again.is_teacher(code, secret)


def test_many_students_answering_at_once_are_all_stored(room):
    store, code, secret = room
    students = [new_member() for _ in range(40)]
    errors = []

    def student(i, me):
        try:
            store.join(code, me)
            store.answer(code, me, 0, point=(-2.0 + 0.1 * i, 0.0))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=student, args=(i, me)) for i, me in enumerate(students)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    tally = store.tally(code)
    assert (tally.joined, tally.answered) == (40, 40)
    assert sorted(r["number"] for r in store.export(code, secret)) == list(range(1, 41))


@settings(max_examples=60, deadline=None)
@given(x=st.floats(allow_nan=True, allow_infinity=True), y=st.floats(allow_nan=True, allow_infinity=True))
def test_any_point_is_accepted_exactly_when_it_lies_on_the_map(x, y):
    question = QUESTIONS[0]
    on_map = math.isfinite(x) and math.isfinite(y) and -2 <= x <= 2 and -1 <= y <= 3
    if on_map:
        assert question.checked(point=(x, y)) == (x, y, None)
    else:
        with pytest.raises(RoomError):
            question.checked(point=(x, y))
