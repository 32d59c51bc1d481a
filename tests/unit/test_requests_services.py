"""Request use cases on the in-memory fakes: rectification, withdrawal, refusals, claims."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from derbes.errors import ConflictError, InputError, LegalRestrictionError
from derbes.platform.clock import FixedClock
from derbes.requests import service as svc
from derbes.requests.adapters.letters import render_letter
from derbes.requests.model import RequestState, SubjectRequest
from derbes.testing.context import context as ctx_of
from derbes.vault.service import subjects as vault_service
from tests.consent_support import ACTOR, ADULT_IIN, World, marketing, processing
from tests.context_support import make_context

OPERATOR = "express-avans"


@pytest.fixture
def world() -> World:
    return World(FixedClock(datetime(2026, 3, 20, 10, tzinfo=UTC)))


def _file(world: World, type_: str, **kw: object) -> SubjectRequest:
    return svc.file_request(world.ctx(), svc.NewRequest(
        operator_id=OPERATOR, type=type_, **kw))  # type: ignore[arg-type]


def _verify_and_answer(world: World, request_id: str, **kw: object) -> svc.AccessAnswer:
    svc.verify_by_staff(world.ctx(),
                        request_id, "passport N0999", reason="passport seen by the clerk")
    return svc.answer_request(world.ctx(),
                              request_id, svc.Answering(**kw))  # type: ignore[arg-type]


def test_rectification_replaces_the_value_and_cites_the_request(world: World) -> None:
    sid = world.subject()
    filed = _file(world, "rectification", identifiers={"iin": ADULT_IIN},
                  payload={"values": {"identity.full_name": "Гүлнар Жаңа Тестова"},
                           "document_ref": "marriage certificate 123"})
    answered = _verify_and_answer(world, filed.id)
    assert answered.request.state is RequestState.ANSWERED
    assert answered.answer["changed"] == ["identity.full_name"]
    view = vault_service.read_subject(ctx_of(world.uow(), world.keys, world.clock, ACTOR), sid, "subject_access_request")
    name = next(v for v in view.values if v.category == "identity.full_name")
    assert name.value == "Гүлнар Жаңа Тестова"
    assert name.provenance.method == f"rectification request {filed.id}"


def test_rectification_needs_values_and_a_document(world: World) -> None:
    with pytest.raises(InputError) as caught:
        _file(world, "rectification", identifiers={"iin": ADULT_IIN},
              payload={"values": {"identity.full_name": "X"}})
    assert caught.value.field == "payload.document_ref"


def test_withdrawal_delegates_to_the_ledger_and_answers_per_purpose(world: World) -> None:
    sid = world.subject()
    world.give(sid, processing("statistics"), marketing("marketing"))
    filed = _file(world, "consent_withdrawal", identifiers={"iin": ADULT_IIN},
                  payload={"scope": "marketing"})
    answered = _verify_and_answer(world, filed.id)
    outcomes = answered.answer["outcomes"]
    assert [(o["purpose"], o["status"]) for o in outcomes] == [("marketing", "stopped")]
    with world.uow() as uow:
        ledger = uow.consent_ledger.for_subject(sid)
    assert ledger[-1].payload["request_id"] == filed.id
    html = svc.letter(world.ctx(), filed.id, render_letter, "html", "kk").decode()
    assert "тоқтатылды" in html


def test_representative_document_is_sealed_and_required(world: World) -> None:
    with pytest.raises(InputError) as caught:
        _file(world, "access", identifiers={"iin": ADULT_IIN}, requester="representative")
    assert caught.value.field == "representative_document"
    filed = _file(world, "access", identifiers={"iin": ADULT_IIN}, requester="representative",
                  representative_document="power of attorney 77-1234")
    assert filed.representative_sealed is not None
    assert b"77-1234" not in filed.representative_sealed
    assert "77-1234" not in str(svc.show(world.ctx(), filed.id).as_dict())


def test_refuse_withdraw_and_closed_requests_conflict(world: World) -> None:
    first = _file(world, "access", identifiers={"iin": ADULT_IIN})
    with pytest.raises(InputError):
        svc.refuse(world.ctx(), first.id, [" "])
    refused = svc.refuse(world.ctx(), first.id,
                         ["identity could not be established"])
    assert refused.state is RequestState.REFUSED and refused.closed_at is not None
    with pytest.raises(ConflictError):
        svc.withdraw_request(world.ctx(), first.id)
    html = svc.letter(world.ctx(), first.id, render_letter, "html", "ru").decode()
    assert "identity could not be established" in html and "отказано" in html
    second = _file(world, "destruction", identifiers={"iin": ADULT_IIN})
    gone = svc.withdraw_request(world.ctx(),
                                second.id, reason="changed mind")
    assert gone.state is RequestState.WITHDRAWN
    with pytest.raises(ConflictError):
        svc.letter(world.ctx(), second.id, render_letter)


def test_claims_are_answered_with_the_operators_response(world: World) -> None:
    filed = _file(world, "pretrial_claim", identifiers={"phone": "+77011112233"},
                  payload={"text": "you sent my data to a collector"})
    with pytest.raises(LegalRestrictionError):
        svc.answer_request(world.ctx(),
                           filed.id, svc.Answering(response="No transfer was made."))
    answered = _verify_and_answer(world, filed.id, response="No transfer was made.")
    assert answered.answer["response"] == "No transfer was made."
    assert "response" not in (answered.request.answer or {})


def test_otp_binds_to_the_request_of_an_unknown_person(world: World) -> None:
    filed = _file(world, "access", identifiers={"phone": "+77011112233"})
    issued = svc.issue_otp(make_context(world.uow(), world.keys, clock=world.clock, actor="system"),
                           world.otp, world.couriers,
                           filed.id)
    with pytest.raises(InputError):
        svc.verify_by_otp(world.ctx(), world.otp,
                          filed.id, issued.reference, "x")
    done = svc.verify_by_otp(world.ctx(), world.otp,
                             filed.id, issued.reference, issued.code)
    assert done.state is RequestState.VERIFIED and done.verification_ref == issued.reference
    with pytest.raises(ConflictError):
        svc.issue_otp(make_context(world.uow(), world.keys, clock=world.clock, actor="system"),
                           world.otp, world.couriers,
                      filed.id)
    answered = svc.answer_request(world.ctx(),
                                  filed.id)
    assert answered.answer["held"] is False


def test_an_objection_to_automated_processing_is_answered_by_a_person_in_3_working_days(
        world: World) -> None:
    """Law 94-V Art. 19-1 p.3: considered within 3 working days (the regime table);
    the answer carries the person's explanation and the Digital Code Art. 43 rights."""
    world.subject()
    filed = _file(world, "automated_objection", identifiers={"iin": ADULT_IIN},
                  payload={"purpose": "solvency_assessment"})
    # Filed on Friday 20 March 2026: the weekend and 23-25 March (Nauryz) are days
    # off, so the three working days are 26, 27 and 30 March.
    assert filed.deadline_id == "automated_objection"
    assert filed.due_date.isoformat() == "2026-03-30"
    with pytest.raises(InputError):
        _verify_and_answer(world, filed.id)  # a person's explanation is required
    answered = svc.answer_request(
        world.ctx(), filed.id,
        svc.Answering(response="A credit officer reviewed the scoring and keeps it."),
    )
    assert answered.request.state is RequestState.ANSWERED
    assert answered.answer["purposes"] == ["solvency_assessment"]
    assert answered.answer["rights"] == ["to_be_told", "explanation", "human_review"]
    assert answered.answer["explanation"].startswith("A credit officer")
    assert "explanation" not in (answered.request.answer or {})  # sealed, not in clear
    html = svc.letter(world.ctx(), filed.id, render_letter, "html", "kk").decode()
    assert "Цифрлық кодекс, 43-бап" in html
    assert "19-1-бабының 3-тармағы" in html  # the deadline's citation in Kazakh
    assert "A credit officer reviewed" in html


def test_an_objection_names_a_purpose_of_the_register(world: World) -> None:
    with pytest.raises(InputError) as caught:
        _file(world, "automated_objection", identifiers={"iin": ADULT_IIN},
              payload={"purpose": 7})
    assert caught.value.field == "payload.purpose"


def test_a_pending_reason_names_the_store_or_says_none_could_be_opened() -> None:
    from derbes.errors import ConfigurationError, StoreUnavailableError
    from derbes.requests.service.access import store_failed as _store_failed

    unnamed = _store_failed(ConfigurationError("KREDIT_SEVEN_CORE_URL is not set"), None)
    assert "?" not in unnamed and "could not be opened" in unnamed
    named = StoreUnavailableError("kredit-seven-core", "the server does not answer")
    assert _store_failed(named, None).startswith("operator database 'kredit-seven-core'")
    assert "'core'" in _store_failed(ConfigurationError("broken"), "core")
