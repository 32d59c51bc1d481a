"""Publishing a widening register version marks only the consents it touches.

On the in-memory fake, SQLite and PostgreSQL: ``register/service/policy_change.publish_with_diff``
stores the version, sets ``needs_reconsent_since`` and appends ``reconsent_required``
ledger entries in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from derbes.consent.model.consent import Consent, ConsentChannel, GivenBy, Scope, ScopeKind
from derbes.consent.model.ledger import ledger_key, verify_ledger
from derbes.errors import ConfigurationError, NotFoundError
from derbes.platform.clock import FixedClock
from derbes.platform.db import make_engine
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.register.adapters.versions import policy_hash
from derbes.register.adapters.yaml import load_register, parse_register
from derbes.register.model.diff import ReconsentScope
from derbes.register.model.loaded import LoadedRegister
from derbes.register.service.policy_change import preview_in, publish_with_diff
from derbes.testing.uow import FakeUnitOfWork
from derbes.uow import UnitOfWork
from derbes.vault.ports import SubjectRecord
from tests.integration.conftest import BACKENDS, _fresh_database

FIXTURES = Path(__file__).parents[1] / "fixtures" / "registers"
AUDIT_KEY = b"k" * 32
OPERATOR = "example-pay"

Factory = Callable[[], UnitOfWork]


@pytest.fixture(params=[pytest.param("fake", id="fake"), *BACKENDS])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Factory, Factory]]:
    """(a unit of work with the ledger key, one without it) over one store."""
    if request.param == "fake":
        fake = FakeUnitOfWork(audit_key=AUDIT_KEY)
        yield (lambda: fake), (lambda: fake)
        return
    for url in _fresh_database(request, tmp_path, migrated=True):
        engine = make_engine(url)
        try:
            yield (lambda: SqlUnitOfWork(engine, audit_key=AUDIT_KEY)), (
                lambda: SqlUnitOfWork(engine))
        finally:
            engine.dispose()


def v1() -> LoadedRegister:
    return load_register(FIXTURES / "minimal.yaml")


def v2() -> LoadedRegister:
    return load_register(FIXTURES / "minimal-v2.yaml")


def _consent(cid: str, subject: str, scope: Scope, clock: FixedClock,
             withdrawn: bool = False, notice: str = "a" * 64) -> Consent:
    return Consent(
        id=cid, act_id=f"act-{cid}", subject_id=subject, operator_id=OPERATOR, scope=scope,
        policy_version="1.0", policy_hash=notice, channel=ConsentChannel.WEB_CHECKBOX,
        evidence_refs={}, given_by=GivenBy.SUBJECT, given_at=clock.now(),
        withdrawn_at=clock.now() if withdrawn else None, request_hash="b" * 64,
    )


SCOPES: dict[str, tuple[str, Scope, bool]] = {
    # id: (subject, scope, withdrawn)
    "pay-s1": ("s1", Scope(ScopeKind.PROCESSING, purposes=("payment_service",)), False),
    "mkt-s1": ("s1", Scope(ScopeKind.MARKETING, purposes=("newsletters",)), False),
    "mkt-s2": ("s2", Scope(ScopeKind.MARKETING, purposes=("newsletters",)), False),
    "pub-s2": ("s2", Scope(ScopeKind.PUBLICATION), False),
    "xb-all-s3": ("s3", Scope(ScopeKind.CROSS_BORDER_TRANSFER, recipients=("*",)), False),
    "tp-s3": ("s3", Scope(ScopeKind.THIRD_PARTY_TRANSFER, recipients=("card_processor",)),
              False),
    "pay-s4": ("s4", Scope(ScopeKind.PROCESSING, purposes=("payment_service",)), True),
}


def _seed(uow: UnitOfWork, clock: FixedClock) -> None:
    with uow:
        uow.vault.add_many(
            [SubjectRecord(id=s, operator_id=OPERATOR, created_at=clock.now())
             for s in ("s1", "s2", "s3", "s4")], [])
        uow.consents.add([_consent(cid, subject, scope, clock, withdrawn)
                          for cid, (subject, scope, withdrawn) in SCOPES.items()])
        uow.commit()


def test_widening_version_marks_only_touched_consents(store: tuple[Factory, Factory]) -> None:
    make, _ = store
    clock = FixedClock()
    first = publish_with_diff(make(), v1(), clock)
    assert first.diff is None and first.previous is None and first.published.new
    _seed(make(), clock)

    clock.advance(timedelta(days=30))
    change = publish_with_diff(make(), v2(), clock)
    assert change.diff is not None and change.diff.reconsent_required
    assert change.published.new and change.previous is not None
    # The processing consent for payment_service (a category was added) and the
    # cross-border consent to every recipient (a new recipient abroad): nothing else.
    assert sorted(m.consent_id for m in change.marks) == ["pay-s1", "xb-all-s3"]
    assert change.marked == 2

    with make() as uow:
        rows = {c.id: c for c in uow.consents.for_operator(OPERATOR)}
        entries = list(uow.consent_ledger.entries())
        fetch = uow.consent_ledger.entry
        head = uow.consent_ledger.head()
        in_force = uow.registers.latest(OPERATOR)
    assert in_force is not None and in_force.policy_version == "2.0"
    marked = {cid for cid, c in rows.items() if c.needs_reconsent_since is not None}
    assert marked == {"pay-s1", "xb-all-s3"}
    assert rows["pay-s1"].needs_reconsent_since == clock.now()
    assert rows["pay-s4"].needs_reconsent_since is None  # withdrawn: nothing to ask again

    assert [(e.event, e.consent_id, e.subject_id) for e in entries] == [
        ("reconsent_required", "pay-s1", "s1"),
        ("reconsent_required", "xb-all-s3", "s3"),
    ]
    pay = entries[0].payload
    assert pay["policy_version"] == {"old": "1.0", "new": "2.0"}
    assert pay["scopes"] == [{"kind": "processing", "purpose": "payment_service",
                              "recipient": None, "cookie_category": None}]
    assert pay["changes"] == [{"kind": "category_added_to_purpose", "effect": "widens",
                               "path": "purposes[0].categories[4]",
                               "in": "new"}]
    assert pay["already_marked"] is False
    xb = entries[1].payload
    assert xb["scopes"] == [{"kind": "cross_border_transfer", "purpose": "newsletters",
                             "recipient": "mailing_platform", "cookie_category": None}]
    assert {c["kind"] for c in xb["changes"]} == {"recipient_added_to_purpose",
                                                  "recipient_added"}
    result = verify_ledger(ledger_key(AUDIT_KEY), entries, fetch=fetch, recorded_head=head)
    assert result.ok

    # Publishing the same text again changes nothing.
    clock.advance(timedelta(days=1))
    again = publish_with_diff(make(), v2(), clock)
    assert again.diff is None and not again.published.new and again.marks == ()
    with make() as uow:
        assert len(list(uow.consent_ledger.entries())) == 2


def test_a_second_widening_keeps_the_first_mark(store: tuple[Factory, Factory]) -> None:
    make, _ = store
    clock = FixedClock()
    publish_with_diff(make(), v1(), clock)
    _seed(make(), clock)
    clock.advance(timedelta(days=30))
    publish_with_diff(make(), v2(), clock)
    first_mark = clock.now()

    clock.advance(timedelta(days=30))
    v3_text = v2().source.replace('version: "2.0"', 'version: "3.0"').replace(
        "categories: [identity.full_name, contact.phone, financial.transactions, "
        "financial.card_token, device.ip_address]",
        "categories: [identity.full_name, contact.phone, financial.transactions, "
        "financial.card_token, device.ip_address, address.residence]")
    assert "address.residence" in v3_text
    change = publish_with_diff(make(), parse_register(v3_text, "v3.yaml"), clock)
    assert [(m.consent_id, m.newly_marked, m.since) for m in change.marks] == [
        ("pay-s1", False, first_mark)]
    assert change.marked == 0
    assert change.marks[0].scopes == (
        ReconsentScope(ScopeKind.PROCESSING, purpose="payment_service"),)
    with make() as uow:
        row = uow.consents.get("pay-s1")
        entries = list(uow.consent_ledger.entries())
    assert row is not None and row.needs_reconsent_since == first_mark
    assert entries[-1].payload["already_marked"] is True


def test_narrowing_version_marks_nothing(store: tuple[Factory, Factory]) -> None:
    make, _ = store
    clock = FixedClock()
    publish_with_diff(make(), v2(), clock)
    _seed(make(), clock)
    clock.advance(timedelta(days=1))
    change = publish_with_diff(make(), v1(), clock)  # back to v1: a revert narrows
    assert change.published.new and change.diff is not None
    assert change.diff.narrows and not change.diff.reconsent_required
    assert change.marks == ()
    with make() as uow:
        assert all(c.needs_reconsent_since is None
                   for c in uow.consents.for_operator(OPERATOR))
        assert list(uow.consent_ledger.entries()) == []
        latest = uow.registers.latest(OPERATOR)
    assert latest is not None and latest.policy_version == "1.0"


def test_nothing_is_stored_half_way(store: tuple[Factory, Factory]) -> None:
    make, keyless = store
    # The fake unit of work always has a ledger key: there, nothing can fail.
    if isinstance(make(), FakeUnitOfWork):
        return
    clock = FixedClock()
    publish_with_diff(make(), v1(), clock)
    _seed(make(), clock)
    clock.advance(timedelta(days=1))
    with pytest.raises(ConfigurationError):
        publish_with_diff(keyless(), v2(), clock)  # the ledger cannot be written
    with make() as uow:
        latest = uow.registers.latest(OPERATOR)
        assert all(c.needs_reconsent_since is None
                   for c in uow.consents.for_operator(OPERATOR))
    assert latest is not None and latest.policy_version == "1.0"


def test_consents_given_on_the_new_notice_are_not_marked(store: tuple[Factory, Factory]) -> None:
    make, _ = store
    clock = FixedClock()
    publish_with_diff(make(), v2(), clock)
    _seed(make(), clock)
    on_v2 = _consent("pay-v2", "s2", Scope(ScopeKind.PROCESSING, purposes=("payment_service",)),
                     clock, notice=policy_hash(v2()))
    with make() as uow:
        uow.consents.add([on_v2])
        uow.commit()
    clock.advance(timedelta(days=1))
    publish_with_diff(make(), v1(), clock)  # reverted ...
    clock.advance(timedelta(days=1))
    change = publish_with_diff(make(), v2(), clock)  # ... and published again
    assert sorted(m.consent_id for m in change.marks) == ["pay-s1", "xb-all-s3"]


def test_the_preview_counts_what_publishing_marks_and_writes_nothing(
        store: tuple[Factory, Factory]) -> None:
    make, _ = store
    clock = FixedClock()
    publish_with_diff(make(), v1(), clock)
    _seed(make(), clock)
    clock.advance(timedelta(days=30))
    with make() as uow:
        seen = preview_in(uow, v2(), clock)
    assert seen.previous.policy_version == "1.0" and seen.change.diff.reconsent_required
    assert sorted(m.consent_id for m in seen.marks) == ["pay-s1", "xb-all-s3"]
    assert seen.newly_marked == 2
    with make() as uow:  # nothing written: no mark, no ledger entry, v1 still in force
        assert all(c.needs_reconsent_since is None for c in uow.consents.for_operator(OPERATOR))
        assert list(uow.consent_ledger.entries()) == []
        latest = uow.registers.latest(OPERATOR)
        assert latest is not None and latest.policy_version == "1.0"
    change = publish_with_diff(make(), v2(), clock)
    assert sorted(m.consent_id for m in change.marks) == sorted(m.consent_id for m in seen.marks)
    # Once published, the same version asks nothing new: its consents already wait.
    with make() as uow:
        again = preview_in(uow, v2(), clock)
    assert again.newly_marked == 0 and again.change.diff.empty


def test_a_preview_needs_a_version_in_force(store: tuple[Factory, Factory]) -> None:
    make, _ = store
    with make() as uow, pytest.raises(NotFoundError):
        preview_in(uow, v1(), FixedClock())
