"""The consent ledger, consents and lifecycle events on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from derbes.consent.adapters.store import SqlConsentLedgerRepository
from derbes.consent.model.consent import Evidence, Representative
from derbes.consent.model.ledger import ledger_key
from derbes.consent.model.withdrawal import OutcomeStatus
from derbes.consent.service import consent as svc
from derbes.errors import ConflictError, InputError, LegalRestrictionError
from derbes.platform.clock import FixedClock
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.tables import consent_ledger, consents, contracts, lifecycle_events
from derbes.testing.context import make_context
from tests.consent_support import (
    DOCUMENT,
    IP,
    REP_DOCUMENT,
    USER_AGENT,
    World,
    iin_born,
    marketing,
    processing,
    transfer,
)

AUDIT_KEY = b"integration audit key, 32 bytes!"
KEY = ledger_key(AUDIT_KEY)


@pytest.fixture
def world(engine: Engine, clock: FixedClock) -> World:
    return World(clock, uow=lambda: SqlUnitOfWork(engine, audit_key=AUDIT_KEY))


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return len(connection.execute(select(table)).all())


def _verify(world: World) -> list[tuple[int, str]]:
    return [(b.seq, b.kind.value) for b in svc.verify(world.uow(), KEY).breaks]


def _give_three(world: World) -> str:
    subject = world.subject()
    world.give(subject, processing("statistics"), transfer("credit_bureaus"), marketing())
    world.withdraw(subject, "marketing")
    return subject


def test_consent_and_ledger_entry_commit_together(world: World, engine: Engine) -> None:
    subject = world.subject()
    result = world.give(subject, processing("statistics"), marketing())
    assert _count(engine, consents) == 2 and _count(engine, consent_ledger) == 2
    with engine.connect() as connection:
        head = connection.execute(text("SELECT seq, hash FROM consent_ledger_head")).one()
        rows = connection.execute(select(consent_ledger).order_by(consent_ledger.c.seq)).all()
    assert (head.seq, head.hash) == (2, rows[-1].hash)
    assert {r.consent_id for r in rows} == {c.id for c in result.consents}
    assert svc.verify(world.uow(), KEY).ok


def test_a_failing_ledger_append_leaves_no_consent(
    world: World, engine: Engine, monkeypatch: pytest.MonkeyPatch,
) -> None:
    subject = world.subject()

    def broken(self: object, records: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(SqlConsentLedgerRepository, "append", broken)
    with pytest.raises(RuntimeError):
        world.give(subject, processing("statistics"))
    assert _count(engine, consents) == 0 and _count(engine, consent_ledger) == 0


@pytest.mark.parametrize(("kind", "expect"), [
    ("minor", LegalRestrictionError), ("bad_purpose", InputError), ("no_doc", InputError),
])
def test_refused_consents_write_nothing(world: World, engine: Engine, kind: str,
                                        expect: type[Exception]) -> None:
    subject = world.subject(iin_born(date(2012, 2, 2)) if kind == "minor" else
                            iin_born(date(1980, 2, 2)))
    scope = processing("statistics", "loan_contract") if kind == "bad_purpose" \
        else processing("statistics")
    channel = "signed_paper" if kind == "no_doc" else "web_checkbox"
    with pytest.raises(expect):
        world.give(subject, scope, channel=channel)
    assert _count(engine, consents) == 0 and _count(engine, consent_ledger) == 0


def test_idempotency_on_the_database(world: World, engine: Engine) -> None:
    subject = world.subject()
    first = world.give(subject, processing("statistics"), marketing(), idempotency_key="k-1")
    again = world.give(subject, processing("statistics"), marketing(), idempotency_key="k-1")
    assert again.replayed and {c.id for c in again.consents} == {c.id for c in first.consents}
    with pytest.raises(ConflictError):
        world.give(subject, processing("statistics"), idempotency_key="k-1")
    assert _count(engine, consents) == 2 and _count(engine, consent_ledger) == 2


def test_verify_detects_an_edited_row(world: World, engine: Engine) -> None:
    _give_three(world)
    with engine.begin() as connection:
        connection.execute(text(
            "UPDATE consent_ledger SET payload = :p WHERE seq = 2"), {"p": '{"scope":"x"}'})
    assert _verify(world) == [(2, "edited")]


def test_verify_detects_a_deleted_row(world: World, engine: Engine) -> None:
    _give_three(world)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM consent_ledger WHERE seq = 2"))
    assert _verify(world) == [(2, "deleted")]


def test_verify_detects_a_deleted_tail(world: World, engine: Engine) -> None:
    _give_three(world)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM consent_ledger WHERE seq = 4"))
    assert [kind for _, kind in _verify(world)] == ["truncated"]


def test_verify_detects_an_inserted_row(world: World, engine: Engine) -> None:
    _give_three(world)
    with engine.begin() as connection:
        last = connection.execute(
            select(consent_ledger).order_by(consent_ledger.c.seq.desc()).limit(1)).one()
        connection.execute(consent_ledger.insert().values(
            seq=last.seq + 1, at=last.at, event="given", consent_id=last.consent_id,
            subject_id=last.subject_id, payload='{"scope":"processing"}',
            prev_hash=last.hash, hash="f" * 64))
    assert _verify(world) == [(5, "inserted")]


def test_the_evidence_is_sealed_nothing_in_clear(world: World, engine: Engine,
                                                 db_url: str) -> None:
    subject = world.subject()
    world.give(subject, processing("statistics"), channel="signed_paper",
               evidence=Evidence(ip=IP, user_agent=USER_AGENT, document_number=DOCUMENT))
    minor = world.subject(iin_born(date(2011, 3, 3)), phone="+77015556677")
    world.give(minor, processing("statistics"), given_by="representative",
               representative=Representative("Representative Name", "ID card", REP_DOCUMENT))
    secrets_ = [IP, USER_AGENT, DOCUMENT, REP_DOCUMENT, "Representative Name"]
    with engine.connect() as connection:
        for table in (consents, consent_ledger):
            for row in connection.execute(select(table)).all():
                dumped = repr(tuple(row)) + "".join(
                    bytes(v).decode("latin-1") for v in row if isinstance(v, bytes | memoryview))
                for secret in secrets_:
                    assert secret not in dumped, f"{secret!r} in {table.name}"
    if db_url.startswith("sqlite"):
        engine.dispose()
        path = Path(db_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for secret in secrets_:
            assert secret.encode() not in raw
    # ... and the export opens it again.
    from derbes.consent.service import evidence

    data = evidence.export_evidence(make_context(world.uow(), world.keys, world.clock, "test"),
                                    KEY, subject)
    assert data["consents"][0]["evidence"]["document_number"] == DOCUMENT


def test_lifecycle_events_on_the_database(world: World, engine: Engine) -> None:
    subject = world.subject()
    opened = world.event(subject, "e-1", "contract_opened", "L-9")
    assert world.event(subject, "e-1", "contract_opened", "L-9",
                       at=opened.event.occurred_at).recorded is False
    # Out of order: a second contract closed before its opening arrives.
    world.clock.advance(timedelta(days=2))
    world.event(subject, "e-3", "contract_closed", "L-10")
    late = world.event(subject, "e-2", "contract_opened", "L-10",
                       at=world.clock.now() - timedelta(days=1))
    assert late.contract is not None and not late.contract.is_open
    world.event(subject, "e-4", "contract_closed", "L-9")
    with pytest.raises(ConflictError):
        world.event(subject, "e-5", "contract_closed", "L-9")
    with pytest.raises(ConflictError):
        world.event(subject, "e-1", "contract_closed", "L-9")
    assert _count(engine, lifecycle_events) == 4 and _count(engine, contracts) == 2


def test_withdrawal_answers_from_the_database(world: World) -> None:
    subject = world.subject()
    world.give(subject, processing("statistics"), transfer("credit_bureaus"))
    world.event(subject, "e-1", "contract_opened", "L-1")
    result = world.withdraw(subject, "processing")
    by = {o.purpose: o for o in result.outcomes}
    assert by["loan_contract"].status is OutcomeStatus.CONTINUES
    assert by["statistics"].status is OutcomeStatus.STOPPED
    shown = svc.consents_of(make_context(world.uow(), None, world.clock, "test:dpo"), subject)
    transfer_consent = next(c for c in shown.consents
                            if c.scope.kind.value == "third_party_transfer")
    assert transfer_consent.is_active_on(shown.at)  # the other scope is untouched
