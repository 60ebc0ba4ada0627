"""The live class's rooms and answers, kept in a real database through SQLAlchemy Core.

By default a SQLite file (``var/rooms.sqlite3`` beside the app; nothing to set up). Several app
servers behind a load balancer share one database instead: any SQLAlchemy URL in
``LANDSCAPE_ROOMS_URL``, e.g. ``postgresql+psycopg://landscape:secret@dbhost/landscape``.
A restart loses nothing: every change is committed before the call returns.

A room is a sequence of questions the app wrote (never a student): each either a point on a map
within bounds, or one of a few options. The store alone decides what may change:

- only the holder of the room's teacher secret moves, locks, reveals and closes it (the secret is
  kept as a SHA-256 digest and compared in constant time);
- a member (one browser session, a random token) has one answer per question, which it may change
  until the teacher locks or reveals it;
- an answer is checked against its question (a finite point within the map's bounds, or an option's
  index), a nickname is bounded and printable, a room holds at most ``max_students`` members and
  expires after ``ROOM_HOURS``;
- what students read (``tally``) has no member in it: nobody sees who answered what.

Codes and secrets come from ``secrets`` (the operating system's cryptographic source).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import pathlib
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_URL = f"sqlite:///{ROOT / 'var' / 'rooms.sqlite3'}"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read off a projector
CODE_LENGTH = 6  # 32**6, about a billion codes: guessing one takes hundreds of years at the rate allowed
MAX_STUDENTS = int(os.environ.get("LANDSCAPE_ROOM_MAX_STUDENTS", "500"))
ROOM_HOURS = float(os.environ.get("LANDSCAPE_ROOM_HOURS", "12"))
MAX_NICKNAME = 24
MAX_QUESTIONS = 100
MAX_OPTIONS = 12
PHASES = ("asking", "locked", "revealed", "closed")

metadata = sa.MetaData()
rooms = sa.Table(
    "rooms", metadata,
    sa.Column("code", sa.String(CODE_LENGTH), primary_key=True),
    sa.Column("secret_digest", sa.String(64), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("questions", sa.Text, nullable=False),  # JSON list, see Question
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("phase", sa.String(10), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),  # bumped by every change a follower must see
    sa.Column("max_students", sa.Integer, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("expires", sa.Float, nullable=False, index=True),
)
members = sa.Table(
    "members", metadata,
    sa.Column("room", sa.String(CODE_LENGTH), sa.ForeignKey("rooms.code", ondelete="CASCADE"), primary_key=True),
    sa.Column("member", sa.String(64), primary_key=True),
    sa.Column("number", sa.Integer, nullable=False),  # 1, 2, ... in joining order: "student 7" in the CSV
    sa.Column("nickname", sa.String(MAX_NICKNAME), nullable=True),
    sa.Column("joined", sa.Float, nullable=False),
)
answers = sa.Table(
    "answers", metadata,
    sa.Column("room", sa.String(CODE_LENGTH), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("member", sa.String(64), primary_key=True),
    sa.Column("x", sa.Float, nullable=True),
    sa.Column("y", sa.Float, nullable=True),
    sa.Column("option", sa.Integer, nullable=True),
    sa.Column("answered", sa.Float, nullable=False),
    sa.ForeignKeyConstraint(["room", "member"], ["members.room", "members.member"], ondelete="CASCADE"),
)


class RoomError(ValueError):
    """A request the room refuses; the message is for the person who made it."""


class NotAllowed(RoomError):
    """A teacher's action without the room's teacher secret."""


@dataclass(frozen=True)
class Question:
    """One question of a room: ``kind`` "point" (a click within ``bounds``) or "choice" (``options``)."""

    kind: str
    prompt: str
    bounds: tuple = ()  # ((x_min, x_max), (y_min, y_max)) for a point
    options: tuple = ()  # the options' texts for a choice
    ref: str = ""  # what the app shows for it (a lesson's slug, a Compare link): opaque here

    def __post_init__(self):
        if self.kind == "point":
            (x0, x1), (y0, y1) = self.bounds
            if not all(math.isfinite(v) for v in (x0, x1, y0, y1)) or not (x0 < x1 and y0 < y1):
                raise ValueError(f"a point question needs finite, increasing bounds, not {self.bounds!r}")
        elif self.kind == "choice":
            if not 2 <= len(self.options) <= MAX_OPTIONS:
                raise ValueError(f"a choice needs 2 to {MAX_OPTIONS} options, not {len(self.options)}")
        else:
            raise ValueError(f"a question is a 'point' or a 'choice', not {self.kind!r}")

    def as_json(self) -> dict:
        return {"kind": self.kind, "prompt": self.prompt, "bounds": [list(b) for b in self.bounds],
                "options": list(self.options), "ref": self.ref}

    @classmethod
    def from_json(cls, data: dict) -> "Question":
        return cls(kind=data["kind"], prompt=data["prompt"], bounds=tuple(tuple(b) for b in data["bounds"]),
                   options=tuple(data["options"]), ref=data.get("ref", ""))

    def checked(self, point=None, option=None) -> tuple:
        """(x, y, option) to store, or a RoomError saying what is wrong with the answer."""
        if self.kind == "point":
            if point is None or option is not None:
                raise RoomError("This question asks for a point on the map.")
            try:
                x, y = (float(v) for v in point)
            except (TypeError, ValueError):
                raise RoomError("A point is two numbers, x and y.") from None
            (x0, x1), (y0, y1) = self.bounds
            if not (math.isfinite(x) and math.isfinite(y) and x0 <= x <= x1 and y0 <= y <= y1):
                raise RoomError(f"That point is off the map: x must be within [{x0:g}, {x1:g}] and y within "
                                f"[{y0:g}, {y1:g}].")
            return x, y, None
        if option is None or point is not None:
            raise RoomError("This question asks you to pick one of the options.")
        if isinstance(option, bool) or not isinstance(option, int) or not 0 <= option < len(self.options):
            raise RoomError(f"Pick one of the {len(self.options)} options.")
        return None, None, option


@dataclass(frozen=True)
class Room:
    """What anyone in a room may know of it (no secret, no members)."""

    code: str
    title: str
    questions: tuple
    position: int
    phase: str
    revision: int
    max_students: int
    created: float
    expires: float

    @property
    def question(self) -> Question:
        return self.questions[self.position]

    @property
    def accepting(self) -> bool:
        return self.phase == "asking"


@dataclass(frozen=True)
class Tally:
    """A question's answers as the projector shows them: counts and positions, never who."""

    joined: int
    answered: int
    points: tuple  # (x, y) of every point answer, in no particular order
    option_counts: tuple  # answers per option, for a choice


def clean_nickname(text) -> str | None:
    """A nickname as stored: stripped, printable, at most MAX_NICKNAME characters; None if empty."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise RoomError("A nickname is text.")
    text = " ".join(text.split())
    if any(unicodedata.category(c).startswith("C") for c in text):
        raise RoomError("A nickname may not contain control characters.")
    if len(text) > MAX_NICKNAME:
        raise RoomError(f"A nickname has at most {MAX_NICKNAME} characters.")
    return text or None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def normal_code(text) -> str:
    """A typed room code as stored (upper case, no spaces or dashes); a RoomError if it cannot be one."""
    code = "".join(str(text or "").split()).replace("-", "").upper()[:20]
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        raise RoomError(f"A room code is {CODE_LENGTH} letters and digits, like {'K7QX3M'}.")
    return code


class Store:
    """Rooms, members and answers in one database; safe to share between threads and servers."""

    def __init__(self, url: str | None = None):
        url = url or os.environ.get("LANDSCAPE_ROOMS_URL") or DEFAULT_URL
        options = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            database = sa.engine.make_url(url).database
            if database and database != ":memory:":
                pathlib.Path(database).parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"timeout": 30, "check_same_thread": False}
        self.engine = sa.create_engine(url, **options)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        metadata.create_all(self.engine)
        self._lock = threading.Lock()

    # ----- the teacher -------------------------------------------------------------------------------
    def open_room(self, title: str, questions, max_students: int = MAX_STUDENTS, now: float | None = None) -> tuple[str, str]:
        """A new room at its first question: (code, teacher secret). Only the secret's digest is kept."""
        questions = list(questions)
        if not 1 <= len(questions) <= MAX_QUESTIONS:
            raise ValueError(f"a room has 1 to {MAX_QUESTIONS} questions")
        now = time.time() if now is None else now
        self.expire(now)
        secret = secrets.token_urlsafe(24)
        payload = json.dumps([q.as_json() for q in questions])
        for _ in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                with self.engine.begin() as db:
                    db.execute(rooms.insert().values(
                        code=code, secret_digest=_digest(secret), title=str(title)[:200], questions=payload,
                        position=0, phase="asking", revision=0, max_students=int(max_students), created=now,
                        expires=now + ROOM_HOURS * 3600))
                return code, secret
            except IntegrityError:
                continue  # that code is taken: draw another
        raise RoomError("Could not find a free room code; try again.")

    def is_teacher(self, code: str, secret) -> bool:
        try:
            self._check_secret(code, secret)
        except NotAllowed:
            return False
        return True

    def go_to(self, code: str, secret, position: int) -> Room:
        """Show question ``position`` (0-based) to everyone and accept answers to it."""
        return self._teacher_change(code, secret, lambda room: _moved(room, position))

    def lock(self, code: str, secret) -> Room:
        return self._teacher_change(code, secret, lambda room: _phase_from(room, ("asking",), "locked"))

    def unlock(self, code: str, secret) -> Room:
        return self._teacher_change(code, secret, lambda room: _phase_from(room, ("locked",), "asking"))

    def reveal(self, code: str, secret) -> Room:
        return self._teacher_change(code, secret, lambda room: _phase_from(room, ("asking", "locked"), "revealed"))

    def close(self, code: str, secret) -> Room:
        """End the class: nothing changes any more; the answers stay for download until the room expires."""
        return self._teacher_change(code, secret, lambda room: _phase_from(room, PHASES[:3], "closed"))

    def export(self, code: str, secret) -> list[dict]:
        """Every answer of the room, for the teacher's CSV: question, student number, nickname, answer, time."""
        self._check_secret(code, secret)
        query = (sa.select(answers.c.position, members.c.number, members.c.nickname, answers.c.x, answers.c.y,
                           answers.c.option, answers.c.answered)
                 .join(members, sa.and_(members.c.room == answers.c.room, members.c.member == answers.c.member))
                 .where(answers.c.room == code).order_by(answers.c.position, members.c.number))
        with self.engine.connect() as db:
            return [dict(row._mapping) for row in db.execute(query)]

    # ----- everyone ------------------------------------------------------------------------------------
    def room(self, code: str, now: float | None = None) -> Room:
        """The room with this code; a RoomError if there is none or it has expired."""
        row = self._row(code, now)
        return _room(row)

    def join(self, code: str, member: str, nickname=None, now: float | None = None) -> Room:
        """Let a browser session (``member``, a random token the app keeps for it) into the room; again is fine."""
        nickname = clean_nickname(nickname)
        member = _member_token(member)
        now = time.time() if now is None else now
        with self._lock, self.engine.begin() as db:
            row = self._row(code, now, db, for_update=True)
            if row.phase == "closed":
                raise RoomError("This class has ended; the room is closed.")
            known = db.execute(sa.select(members.c.number).where(members.c.room == row.code, members.c.member == member)).first()
            if known is None:
                count = db.execute(sa.select(sa.func.count()).select_from(members).where(members.c.room == row.code)).scalar_one()
                if count >= row.max_students:
                    raise RoomError(f"This room is full ({row.max_students} students).")
                db.execute(members.insert().values(room=row.code, member=member, number=count + 1, nickname=nickname, joined=now))
            elif nickname is not None:
                db.execute(members.update().where(members.c.room == row.code, members.c.member == member)
                           .values(nickname=nickname))
        return _room(row)

    def answer(self, code: str, member: str, position: int, point=None, option=None, now: float | None = None) -> None:
        """Record (or replace) a member's answer to the question on show; refused once it is locked."""
        member = _member_token(member)
        now = time.time() if now is None else now
        with self._lock, self.engine.begin() as db:
            row = self._row(code, now, db)
            room = _room(row)
            if position != room.position:
                raise RoomError("The teacher has moved on to another question; your screen will follow.")
            if room.phase != "asking":
                raise RoomError({"locked": "Answers are locked for this question.",
                                 "revealed": "This question has been revealed; answers are closed.",
                                 "closed": "This class has ended."}[room.phase])
            joined = db.execute(sa.select(members.c.number).where(members.c.room == room.code, members.c.member == member)).first()
            if joined is None:
                raise RoomError("Join the room before answering.")
            x, y, chosen = room.question.checked(point, option)
            values = dict(x=x, y=y, option=chosen, answered=now)
            replaced = db.execute(answers.update().where(answers.c.room == room.code, answers.c.position == position,
                                                         answers.c.member == member).values(**values)).rowcount
            if not replaced:
                db.execute(answers.insert().values(room=room.code, position=position, member=member, **values))

    def tally(self, code: str, position: int | None = None) -> Tally:
        """The answers to question ``position`` (default: the one on show), without who gave them."""
        with self.engine.connect() as db:
            room = _room(self._row(code, None, db))
            position = room.position if position is None else int(position)
            question = room.questions[position]
            joined = db.execute(sa.select(sa.func.count()).select_from(members).where(members.c.room == room.code)).scalar_one()
            rows = db.execute(sa.select(answers.c.x, answers.c.y, answers.c.option)
                              .where(answers.c.room == room.code, answers.c.position == position)).all()
        counts = [0] * len(question.options)
        for row in rows:
            if row.option is not None and 0 <= row.option < len(counts):
                counts[row.option] += 1
        points = tuple((row.x, row.y) for row in rows if row.x is not None)
        return Tally(joined=joined, answered=len(rows), points=points, option_counts=tuple(counts))

    def my_answer(self, code: str, member: str, position: int):
        """This member's answer to question ``position``: an (x, y) point, an option's index, or None."""
        member = _member_token(member)
        with self.engine.connect() as db:
            row = db.execute(sa.select(answers.c.x, answers.c.y, answers.c.option).where(
                answers.c.room == normal_code(code), answers.c.position == int(position), answers.c.member == member)).first()
        if row is None:
            return None
        return row.option if row.option is not None else (row.x, row.y)

    def expire(self, now: float | None = None) -> int:
        """Delete the rooms whose time is up, with their members and answers; how many were deleted."""
        now = time.time() if now is None else now
        with self.engine.begin() as db:
            gone = [r.code for r in db.execute(sa.select(rooms.c.code).where(rooms.c.expires < now))]
            if gone:
                db.execute(answers.delete().where(answers.c.room.in_(gone)))
                db.execute(members.delete().where(members.c.room.in_(gone)))
                db.execute(rooms.delete().where(rooms.c.code.in_(gone)))
        return len(gone)

    # ----- inside --------------------------------------------------------------------------------------
    def _row(self, code, now=None, db=None, for_update=False):
        code = normal_code(code)
        query = sa.select(rooms).where(rooms.c.code == code)
        if for_update:
            query = query.with_for_update()  # PostgreSQL: joins to one room count their members one at a time
        if db is None:
            with self.engine.connect() as connection:
                row = connection.execute(query).first()
        else:
            row = db.execute(query).first()
        now = time.time() if now is None else now
        if row is None or row.expires < now:
            raise RoomError(f"There is no room {code}: check the code on the projector (rooms end after "
                            f"{ROOM_HOURS:g} hours).")
        return row

    def _check_secret(self, code, secret, db=None, for_update=False):
        row = self._row(code, None, db, for_update)
        if not isinstance(secret, str) or not hmac.compare_digest(row.secret_digest, _digest(secret)):
            raise NotAllowed("Only the teacher's link can change this room.")
        return row

    def _teacher_change(self, code, secret, change) -> Room:
        with self._lock, self.engine.begin() as db:
            row = self._check_secret(code, secret, db, for_update=True)
            position, phase = change(_room(row))
            db.execute(rooms.update().where(rooms.c.code == row.code)
                       .values(position=position, phase=phase, revision=rooms.c.revision + 1))
            return _room(self._row(row.code, None, db))


def _room(row) -> Room:
    questions = tuple(Question.from_json(q) for q in json.loads(row.questions))
    return Room(code=row.code, title=row.title, questions=questions, position=row.position, phase=row.phase,
                revision=row.revision, max_students=row.max_students, created=row.created, expires=row.expires)


def _moved(room: Room, position) -> tuple[int, str]:
    if room.phase == "closed":
        raise RoomError("This class has ended; the room is closed.")
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < len(room.questions):
        raise RoomError(f"There are questions 1 to {len(room.questions)} in this room.")
    return position, "asking"


def _phase_from(room: Room, allowed: tuple, phase: str) -> tuple[int, str]:
    if room.phase not in allowed:
        raise RoomError(f"The question is {room.phase}; it cannot be {phase} now.")
    return room.position, phase


def _member_token(member) -> str:
    if not isinstance(member, str) or not 16 <= len(member) <= 64 or not member.isascii() or not member.isprintable():
        raise RoomError("This browser session has no valid room ticket; open the room's link again.")
    return member


def _sqlite_pragmas(connection, _record) -> None:
    # WAL lets the projector read while students write; foreign keys make members' answers go with them
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def new_member() -> str:
    """A fresh member token for a browser session."""
    return secrets.token_urlsafe(18)
