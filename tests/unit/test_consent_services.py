"""Consent use cases on the fake unit of work, the in-memory key store and the fake ports."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from derbes.consent.adapters.egov import FakeEgovService
from derbes.consent.adapters.evidence import render_certificate
from derbes.consent.model.consent import (
    ConsentStatus,
    Evidence,
    LedgerEvent,
    Representative,
    ScopeKind,
)
from derbes.consent.model.egov import EgovDecision
from derbes.consent.model.ledger import ledger_key
from derbes.consent.model.withdrawal import OutcomeStatus
from derbes.consent.service import consent as svc
from derbes.consent.service import egov as egov_consent
from derbes.consent.service import evidence
from derbes.errors import (
    AuthError,
    ConflictError,
    InputError,
    LegalRestrictionError,
    NotFoundError,
)
from derbes.platform.clock import FixedClock
from derbes.testing.context import context as ctx_of
from derbes.testing.context import make_context
from derbes.testing.uow import FakeUnitOfWork
from tests.consent_support import (
    IP,
    REP_DOCUMENT,
    USER_AGENT,
    World,
    iin_born,
    marketing,
    processing,
    transfer,
)

KEY = ledger_key(b"derbes fake audit key, tests only")


@pytest.fixture
def world(clock: FixedClock) -> World:
    return World(clock)


def _fake(world: World) -> FakeUnitOfWork:
    uow = world.uow()
    assert isinstance(uow, FakeUnitOfWork)
    return uow


def _otp(world: World, subject_id: str) -> Evidence:
    issued = world.otp.issue(subject_id, world.clock.now())
    return Evidence(ip=IP, user_agent=USER_AGENT, otp_reference=issued.reference,
                    otp_code=issued.code)


# ------------------------------------------------------------------ give


def test_give_records_one_consent_per_scope_with_ledger_entries(world: World) -> None:
    subject = world.subject()
    result = world.give(subject, processing("statistics"), transfer("credit_bureaus"),
                        marketing(), channel="sms_otp", evidence=_otp(world, subject))
    assert not result.replayed
    assert [c.scope.kind for c in result.consents] == [
        ScopeKind.PROCESSING, ScopeKind.THIRD_PARTY_TRANSFER, ScopeKind.MARKETING]
    fake = _fake(world)
    entries = fake.fake_consent_ledger.rows
    assert [e.event for e in entries] == ["given"] * 3
    assert {e.consent_id for e in entries} == {c.id for c in result.consents}
    first = result.consents[0]
    assert len(first.policy_hash) == 64 and first.policy_version == "not-stated"
    assert first.evidence_refs.keys() == {"otp_reference"}
    # PD evidence is sealed; the ledger holds only its digest.
    assert first.evidence_sealed is not None and IP.encode() not in first.evidence_sealed
    assert IP not in json.dumps([dict(e.payload) for e in entries])
    assert entries[0].payload["evidence_sha256"]


def test_same_idempotency_key_returns_the_same_act(world: World) -> None:
    subject = world.subject()
    first = world.give(subject, processing("statistics"), idempotency_key="req-1")
    again = world.give(subject, processing("statistics"), idempotency_key="req-1",
                       evidence=Evidence(ip="198.51.100.1"))  # a retry from another network
    assert again.replayed and again.act_id == first.act_id
    assert [c.id for c in again.consents] == [c.id for c in first.consents]
    assert len(_fake(world).fake_consents.rows) == 1
    assert len(_fake(world).fake_consent_ledger.rows) == 1


def test_different_payload_under_the_same_key_conflicts(world: World) -> None:
    subject = world.subject()
    world.give(subject, processing("statistics"), idempotency_key="req-1")
    with pytest.raises(ConflictError) as caught:
        world.give(subject, processing("customer_database"), idempotency_key="req-1")
    assert caught.value.field == "idempotency_key"
    assert len(_fake(world).fake_consents.rows) == 1


@pytest.mark.parametrize(("scope", "field"), [
    (processing("nope"), "scopes[0].purposes"),
    (transfer("nope"), "scopes[0].recipients"),
    (processing("loan_contract"), "scopes[0].purposes"),
])
def test_bad_scopes_store_nothing(world: World, scope: object, field: str) -> None:
    subject = world.subject()
    with pytest.raises(InputError) as caught:
        world.give(subject, scope)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert not _fake(world).fake_consents.rows and not _fake(world).fake_consent_ledger.rows


def test_expired_otp_reference_is_an_input_error(world: World) -> None:
    subject = world.subject()
    evidence_ = _otp(world, subject)
    world.clock.advance(timedelta(minutes=11))
    with pytest.raises(InputError) as caught:
        world.give(subject, processing("statistics"), channel="sms_otp", evidence=evidence_)
    assert caught.value.field == "evidence.otp_reference"
    assert "expired" in caught.value.message
    assert not _fake(world).fake_consents.rows


def test_wrong_or_reused_otp_is_refused(world: World) -> None:
    subject = world.subject()
    good = _otp(world, subject)
    with pytest.raises(InputError) as caught:
        world.give(subject, processing("statistics"), channel="sms_otp",
                   evidence=Evidence(otp_reference=good.otp_reference, otp_code="000000"
                                     if good.otp_code != "000000" else "111111"))
    assert caught.value.field == "evidence.otp_code"
    world.give(subject, processing("statistics"), channel="sms_otp", evidence=good)
    with pytest.raises(InputError) as caught:
        world.give(subject, processing("customer_database"), channel="sms_otp", evidence=good)
    assert "already used" in caught.value.message
    other = world.subject(iin_born(date(1985, 5, 5)), phone="+77012223344")
    with pytest.raises(InputError):
        world.give(other, processing("statistics"), channel="sms_otp",
                   evidence=_otp(world, subject))


def test_a_minor_alone_is_refused_and_nothing_is_stored(world: World) -> None:
    minor = world.subject(iin_born(date(2010, 4, 1)))
    audit_before = len(_fake(world).fake_audit.rows)
    with pytest.raises(LegalRestrictionError) as caught:
        world.give(minor, processing("statistics"))
    assert "Art. 8" in caught.value.citation
    assert not _fake(world).fake_consents.rows and not _fake(world).fake_consent_ledger.rows
    assert len(_fake(world).fake_audit.rows) == audit_before


def test_a_minor_through_a_representative_is_recorded_and_the_age_check_audited(
    world: World,
) -> None:
    minor = world.subject(iin_born(date(2010, 4, 1)))
    result = world.give(minor, processing("statistics"), given_by="representative",
                        representative=Representative("Ана Тестова", "ID card", REP_DOCUMENT,
                                                      "mother"))
    consent = result.consents[0]
    assert consent.given_by.value == "representative"
    assert consent.representative_sealed is not None
    assert REP_DOCUMENT.encode() not in consent.representative_sealed
    checks = [e for e in _fake(world).fake_audit.rows if e.purpose == "consent.age_check"]
    assert len(checks) == 1 and checks[0].categories == ("identity.iin",)


def test_unknown_subject_is_not_found(world: World) -> None:
    with pytest.raises(NotFoundError):
        world.give("no-such-subject", processing("statistics"))
    with pytest.raises(NotFoundError):
        world.withdraw("no-such-subject", "processing")


def test_egov_channel_is_only_for_the_callback(world: World) -> None:
    subject = world.subject()
    with pytest.raises(InputError) as caught:
        world.give(subject, processing("statistics"), channel="egov",
                   evidence=Evidence(egov_request_id="x"))
    assert caught.value.field == "channel"


# ------------------------------------------------------------------ withdraw


def test_withdrawing_marketing_stops_it_and_leaves_processing(world: World) -> None:
    subject = world.subject()
    world.give(subject, processing("statistics"), marketing())
    world.event(subject, "ev-1", "contract_opened", "L-1")
    result = world.withdraw(subject, "marketing")
    assert result.event is LedgerEvent.WITHDRAWN
    assert [(o.purpose, o.status) for o in result.outcomes] == [
        ("marketing", OutcomeStatus.STOPPED)]
    shown = svc.consents_of(make_context(world.uow(), None, world.clock, "test:dpo"), subject)
    status = {c.scope.kind: c.status_on(shown.at) for c in shown.consents}
    assert status == {ScopeKind.PROCESSING: ConsentStatus.ACTIVE,
                      ScopeKind.MARKETING: ConsentStatus.WITHDRAWN}


def test_withdrawing_a_scope_never_given_is_not_found(world: World) -> None:
    subject = world.subject()
    world.give(subject, processing("statistics"))
    with pytest.raises(NotFoundError) as caught:
        world.withdraw(subject, "marketing")
    assert caught.value.field == "scope"
    with pytest.raises(InputError):
        world.withdraw(subject, "everything")


def test_processing_withdrawal_then_close_then_withdraw_again(world: World) -> None:
    subject = world.subject()
    world.give(subject, processing("statistics", "customer_database"))
    world.event(subject, "ev-1", "contract_opened", "L-1")
    first = world.withdraw(subject, "processing")
    assert first.event is LedgerEvent.WITHDRAWAL_REFUSED_IN_PART
    by = {o.purpose: o for o in first.outcomes}
    assert by["loan_contract"].status is OutcomeStatus.CONTINUES
    assert by["statistics"].status is OutcomeStatus.STOPPED
    world.clock.advance(timedelta(days=40))
    world.event(subject, "ev-2", "contract_closed", "L-1")
    second = world.withdraw(subject, "processing")
    by = {o.purpose: o for o in second.outcomes}
    assert by["loan_contract"].status is OutcomeStatus.STOPPED
    assert by["aml_cft"].status is OutcomeStatus.CONTINUES
    assert by["aml_cft"].until == date(2031, 2, 14)
    events = [e.event for e in _fake(world).fake_consent_ledger.rows]
    assert events == ["given", "withdrawal_refused_in_part", "withdrawal_refused_in_part"]
    assert _fake(world).fake_consent_ledger.rows[-1].payload["already_withdrawn"] is True


# ------------------------------------------------------------------ lifecycle


def test_events_are_idempotent_by_id(world: World) -> None:
    subject = world.subject()
    first = world.event(subject, "ev-1", "contract_opened", "L-1")
    again = world.event(subject, "ev-1", "contract_opened", "L-1", at=first.event.occurred_at)
    assert first.recorded and not again.recorded
    assert again.contract is not None and again.contract.is_open
    with pytest.raises(ConflictError):
        world.event(subject, "ev-1", "contract_closed", "L-1")


def test_closing_a_contract_twice_conflicts(world: World) -> None:
    subject = world.subject()
    world.event(subject, "ev-1", "contract_opened", "L-1")
    world.event(subject, "ev-2", "contract_closed", "L-1")
    with pytest.raises(ConflictError):
        world.event(subject, "ev-3", "contract_closed", "L-1")
    assert "ev-3" not in _fake(world).fake_lifecycle.events


# ------------------------------------------------------------------ expiry, reconsent


def test_expiry_marks_and_chains(world: World) -> None:
    subject = world.subject()
    world.give(subject, processing("statistics"),
               valid_until=world.clock.now() + timedelta(days=30))
    assert svc.expire_consents(make_context(world.uow(), None, world.clock, "sweeper")) == 0
    world.clock.advance(timedelta(days=31))
    assert svc.expire_consents(make_context(world.uow(), None, world.clock, "sweeper")) == 1
    assert svc.expire_consents(make_context(world.uow(), None, world.clock, "sweeper")) == 0
    assert _fake(world).fake_consent_ledger.rows[-1].event == "expired"


def test_reconsent_marks_once(world: World) -> None:
    subject = world.subject()
    consent = world.give(subject, processing("statistics")).consents[0]
    uow = world.uow()
    with uow:
        assert svc.mark_reconsent_required(uow, [consent.id], world.clock.now(),
                                           {"register_from": "a"}, "policy") == 1
        assert svc.mark_reconsent_required(uow, [consent.id], world.clock.now(), {},
                                           "policy") == 0
        uow.commit()
    stored = _fake(world).fake_consents.rows[consent.id]
    assert stored.needs_reconsent_since == world.clock.now()
    assert _fake(world).fake_consent_ledger.rows[-1].event == "reconsent_required"


# ------------------------------------------------------------------ ledger


def test_ledger_verify_finds_edits_and_deletions(world: World) -> None:
    subject = world.subject()
    world.give(subject, processing("statistics"), marketing(), transfer("credit_bureaus"))
    assert svc.verify(world.uow(), KEY).ok
    ledger = _fake(world).fake_consent_ledger  # re-read .rows: a rollback replaces the list
    original = ledger.rows[1]
    ledger.rows[1] = type(original)(**{**original.__dict__, "payload": {"scope": "forged"}})
    broken = svc.verify(world.uow(), KEY)
    assert not broken.ok and broken.breaks[0].seq == 2
    assert broken.breaks[0].kind.value == "edited"
    ledger.rows[1] = original
    assert svc.verify(world.uow(), KEY).ok
    del ledger.rows[0]
    assert [b.kind.value for b in svc.verify(world.uow(), KEY).breaks] == ["deleted"]


# ------------------------------------------------------------------ evidence


def test_evidence_export_opens_the_sealed_evidence_and_is_audited(world: World) -> None:
    subject = world.subject()
    world.give(subject, processing("statistics"), channel="sms_otp",
               evidence=_otp(world, subject))
    data = evidence.export_evidence(make_context(world.uow(), world.keys, world.clock, "test:dpo"),
                                    KEY, subject)
    consent = data["consents"][0]
    assert consent["evidence"]["ip"] == IP and consent["evidence"]["user_agent"] == USER_AGENT
    assert consent["purposes"][0]["labels"]["kk"]
    assert data["subject"]["full_name"]
    assert all(e["authentic"] for e in data["ledger"]["entries"])
    audit = [e for e in _fake(world).fake_audit.rows if e.purpose == "consent.evidence_export"]
    assert len(audit) == 1
    html = render_certificate(data, "kk", "html").decode()
    assert "келісімдер туралы анықтама" in html


# ------------------------------------------------------------------ eGov


def test_egov_flow_records_on_approval_only(world: World) -> None:
    subject = world.subject()
    egov = FakeEgovService()
    pending = egov_consent.request_consent(
        make_context(world.uow(), world.keys, world.clock, "test"),
        egov, subject, [processing("statistics")])
    assert pending.status == "pending" and pending.request_id in egov.sent
    assert not _fake(world).fake_consents.rows  # silence is no consent
    body, signature = egov.callback(pending.request_id, EgovDecision.APPROVED,
                                    world.clock.now())
    with pytest.raises(AuthError):
        egov_consent.handle_callback(make_context(world.uow(), world.keys, world.clock, "egov"),
                                     egov, body, "forged")
    done = egov_consent.handle_callback(make_context(world.uow(), world.keys, world.clock, "egov"),
                                        egov, body, signature)
    assert done.status == "approved" and done.consents is not None
    consent = done.consents.consents[0]
    assert consent.channel.value == "egov"
    assert consent.evidence_refs == {"egov_request_id": pending.request_id}
    again = egov_consent.handle_callback(make_context(world.uow(), world.keys, world.clock, "egov"),
                                         egov, body, signature)
    assert again.consents is not None and again.consents.act_id == done.consents.act_id
    refused, refused_sig = egov.callback(pending.request_id, EgovDecision.REFUSED,
                                         world.clock.now())
    with pytest.raises(ConflictError):
        egov_consent.handle_callback(make_context(world.uow(), world.keys, world.clock, "egov"),
                                     egov, refused, refused_sig)


def test_egov_refusal_records_nothing(world: World) -> None:
    subject = world.subject()
    egov = FakeEgovService()
    pending = egov_consent.request_consent(
        make_context(world.uow(), world.keys, world.clock, "test"), egov, subject, [marketing()])
    body, signature = egov.callback(pending.request_id, EgovDecision.REFUSED,
                                    datetime(2026, 1, 5, 9, 5, tzinfo=UTC))
    done = egov_consent.handle_callback(make_context(world.uow(), world.keys, world.clock, "egov"),
                                        egov, body, signature)
    assert done.status == "refused" and done.consents is None
    assert not _fake(world).fake_consents.rows


def test_consent_evidence_is_kept_readable_through_a_partial_destruction(world: World) -> None:
    from derbes.vault.service import subjects as vault_service

    subject = world.subject()
    world.give(subject, processing("statistics"), channel="sms_otp",
               evidence=_otp(world, subject))
    old_key = world.keys.keys_for([subject])[subject]

    vault_service.destroy_categories(ctx_of(world.uow(), world.keys, world.clock, "test:dpo"), subject, ["contact.phone"], "withdrawn")

    assert world.keys.keys_for([subject])[subject] != old_key
    data = evidence.export_evidence(make_context(world.uow(), world.keys, world.clock, "test:dpo"),
                                    KEY, subject)
    consent = data["consents"][0]
    assert consent["evidence"]["ip"] == IP and consent["evidence"]["user_agent"] == USER_AGENT
    # The ledger commits to the new ciphertext, and still verifies.
    resealed = [e for e in _fake(world).fake_consent_ledger.rows
                if e.event == "evidence_resealed"]
    stored = _fake(world).fake_consents.rows[consent["id"]].evidence_sealed
    assert stored is not None and len(resealed) == 1
    assert resealed[0].payload["evidence_sha256"] == hashlib.sha256(stored).hexdigest()
    assert svc.verify(world.uow(), KEY).ok


def test_evidence_given_while_a_crash_left_a_key_swap_half_done_survives_it(
    world: World,
) -> None:
    from dataclasses import replace

    from derbes.platform import crypto

    subject = world.subject()
    uow = _fake(world)
    # A partial destruction killed after its data transaction: the values are
    # under the next key, the key store still holds both.
    old, new = world.keys.prepare_swaps([subject], "half-done")[subject]
    with uow:
        uow.key_swaps.commit("half-done", 1, world.clock.now())
        for stored in uow.vault.values(subject):
            aad = crypto.value_aad(subject, stored.category, stored.seq)
            plain = crypto.open_sealed(old, stored.sealed, aad)
            uow.vault.put_values([replace(stored, sealed=crypto.seal(new, plain, aad))])
        uow.commit()

    world.give(subject, processing("statistics"), channel="sms_otp",
               evidence=_otp(world, subject))

    assert world.keys.pending_swaps() == []  # finished before the evidence was sealed
    data = evidence.export_evidence(make_context(world.uow(), world.keys, world.clock, "test:dpo"),
                                    KEY, subject)
    assert data["consents"][0]["evidence"]["ip"] == IP
