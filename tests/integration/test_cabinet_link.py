"""Signing in to the cabinet with a one-time link by e-mail, on SQLite and PostgreSQL:
the link signs in once, not after its term, not on another operator's cabinet, not with
its code altered; an unknown address gets the very same answer (and nothing is sent);
the address and the link's token are nowhere in the audit, the deliveries or the logs."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from derbes.platform.clock import FixedClock
from derbes.platform.tables import audit_log, deliveries, subject_sessions
from derbes.testing.delivery import RecordingMailer
from tests.api_world import World, make_world
from tests.cabinet_support import (
    OPERATOR,
    Borrower,
    ask_link,
    borrower,
    browser,
    follow,
    link_in,
    recording_both,
)


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path, db_url)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def mail(world: World) -> RecordingMailer:
    return recording_both(world)[1]


def _mailed(world: World, mail: RecordingMailer, who: Borrower, lang: str = "ru") -> str:
    answer = ask_link(browser(world), who.email.upper(), lang)  # any case finds it
    assert answer.status_code == 303 and answer.headers["location"] == \
        f"/my/{OPERATOR}/link-sent", answer.text
    path = link_in(mail, who.email)
    assert path is not None
    return path


def _signed_in(world: World, answer: object) -> bool:
    status = getattr(answer, "status_code", None)
    location = getattr(answer, "headers", {}).get("location", "")
    return status == 303 and location == f"/my/{OPERATOR}/data"


def _dump(world: World) -> str:
    with world.container.engine.connect() as connection:
        rows = [*connection.execute(select(audit_log)).all(),
                *connection.execute(select(deliveries)).all(),
                *connection.execute(select(subject_sessions)).all()]
    return "\n".join(repr(tuple(r)) for r in rows)


def test_a_link_signs_in_once_and_leaves_no_trace(
        world: World, mail: RecordingMailer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    who = borrower(world, 601, loan=False)
    path = _mailed(world, mail, who, "kk")
    sent = mail.sent[-1]
    assert sent.language == "kk" and "Жеке кабинетке кіру" in sent.subject
    assert "бір рет қана ашылады" in sent.body
    client = browser(world)
    assert client.get(f"/my/{OPERATOR}/data", follow_redirects=False).status_code == 303
    first = follow(client, path)
    assert _signed_in(world, first), first.text
    assert client.get(f"/my/{OPERATOR}/data").status_code == 200
    again = follow(browser(world), path)
    assert again.status_code == 422 and "set-cookie" not in again.headers
    token = path.rsplit("/", 1)[1]
    stored = _dump(world)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("derbes"))
    for secret in (token, token.split(".")[0], who.email, who.email.lower()):
        assert secret not in stored and secret not in logged
    assert hashlib.sha256(token.split(".")[0].encode()).hexdigest() in stored  # hashed only


def test_a_link_past_its_term_signs_nobody_in(world: World, mail: RecordingMailer) -> None:
    path = _mailed(world, mail, borrower(world, 602, loan=False))
    clock = world.container.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=world.container.rules.consent.otp_reference_valid_minutes,
                            seconds=1))
    assert follow(browser(world), path).status_code == 422


def test_another_operators_cabinet_does_not_take_the_link(
        world: World, mail: RecordingMailer) -> None:
    path = _mailed(world, mail, borrower(world, 603, loan=False))
    elsewhere = follow(browser(world), path, operator="kassa24")
    assert elsewhere.status_code == 422 and "set-cookie" not in elsewhere.headers
    assert _signed_in(world, follow(browser(world), path))  # still the subject's own


def test_an_altered_code_counts_as_an_attempt_and_spends_the_link(
        world: World, mail: RecordingMailer) -> None:
    path = _mailed(world, mail, borrower(world, 604, loan=False))
    token, code = path.rsplit(".", 1)
    wrong = f"{int(code) ^ 1:06d}"
    for _ in range(world.container.rules.identity_limits.otp.attempts_per_code):
        assert follow(browser(world), f"{token}.{wrong}").status_code == 422
    assert follow(browser(world), path).status_code == 422  # its tries are used up


def test_an_unknown_address_gets_the_same_answer_and_the_same_limits(
        world: World, mail: RecordingMailer) -> None:
    who = borrower(world, 605, loan=False)
    answers = {}
    for address in (who.email, "nobody.605@example.kz"):
        client = browser(world)
        got = [ask_link(client, address) for _ in range(
            world.container.rules.identity_limits.otp.codes_per_window + 1)]
        answers[address] = [(a.status_code, a.headers.get("location")) for a in got]
        assert not any("__Host-derbes-my=" in a.headers.get("set-cookie", "") for a in got)
    assert answers[who.email] == answers["nobody.605@example.kz"]
    assert answers[who.email][-1][0] == 429  # a fourth link within the hour is refused
    assert [m.to.lower() for m in mail.sent] == [who.email.lower()] * 3


def test_a_bad_address_is_a_clear_error(world: World, mail: RecordingMailer) -> None:
    answer = ask_link(browser(world), "not-an-address", "en")
    assert answer.status_code == 422 and "Enter your e-mail address (with the @ sign)" in answer.text
    assert mail.sent == []
