"""One delivery scenario, run on the fake unit of work (unit) and on SQLite and
PostgreSQL (integration): the same contract on every store."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from derbes.delivery import service
from derbes.delivery.model import Failure, Message, State, Template
from derbes.delivery.ports import Couriers
from derbes.errors import DeliveryError
from derbes.platform.clock import FixedClock
from derbes.testing.context import make_context
from derbes.testing.delivery import RecordingMailer, RecordingSms
from derbes.testing.vault import InMemoryKeyStore
from derbes.uow import UnitOfWork

PHONE = "+77011234567"
CODE = "482913"


def down() -> DeliveryError:
    return DeliveryError("gateway: HTTP 503", reason="unavailable", retryable=True)


def run_scenario(uow_factory: type[UnitOfWork] | object, caplog: pytest.LogCaptureFixture,
                 read_row: object = None) -> None:
    keys, clock = InMemoryKeyStore(), FixedClock()
    sms, mail = RecordingSms(), RecordingMailer()
    couriers = Couriers(sms, mail)

    def ctx() -> object:
        return make_context(uow_factory(), keys, clock=clock, actor="cli:staff")  # type: ignore[operator]

    message = Message(Template.OTP_CODE, "kk", PHONE, {"code": CODE, "minutes": "10"},
                      expires_at=clock.now() + timedelta(minutes=10), operator_id="op")
    caplog.set_level(logging.DEBUG)
    # The gateway is down twice: failed, retried after 30 s, then 60 s, then sent.
    sms.fail_with = [down(), down()]
    first = service.send(ctx(), couriers, message)  # type: ignore[arg-type]
    assert (first.state, first.attempts, first.last_failure) == \
        (State.FAILED, 1, Failure.UNAVAILABLE)
    assert first.next_attempt_at == clock.now() + timedelta(seconds=30)
    assert first.recipient_masked == "+7" + "•" * 8 + "67"
    assert service.retry_due(ctx(), couriers) == []  # not due yet: nothing is sent
    clock.advance(timedelta(seconds=30))
    (second,) = service.retry_due(ctx(), couriers)
    assert second.state is State.FAILED and second.attempts == 2
    assert second.next_attempt_at == clock.now() + timedelta(seconds=60)
    listed = service.listing(ctx())  # type: ignore[arg-type]
    assert [d.id for d in listed] == [first.id]
    clock.advance(timedelta(seconds=60))
    (third,) = service.retry_due(ctx(), couriers)
    assert third.state is State.SENT and third.attempts == 3 and third.provider_ref
    (sent,) = sms.sent
    assert sent.phone == PHONE and CODE in sent.text and "ешкімге" in sent.text
    # Sent: the recipient and the code exist nowhere any more.
    assert third.sealed == b"" and keys.keys_for([third.key_id]) == {}
    assert service.listing(ctx()) == []  # type: ignore[arg-type]
    # A number the gateway refuses: given up at once, staff see it, a retry by hand fails
    # again and is audited.
    sms.fail_with = [DeliveryError("gateway: code 1", reason="invalid_recipient",
                                   retryable=False)] * 2
    refused = service.send(ctx(), couriers, message)  # type: ignore[arg-type]
    assert refused.state is State.GAVE_UP and refused.next_attempt_at is None
    assert [d.id for d in service.listing(ctx())] == [refused.id]  # type: ignore[arg-type]
    again = service.retry(ctx(), couriers, refused.id)  # type: ignore[arg-type]
    assert again.state is State.GAVE_UP and again.attempts == 2
    # Past its term a code is not sent late.
    clock.advance(timedelta(minutes=11))
    late = service.retry(ctx(), couriers, refused.id)  # type: ignore[arg-type]
    assert late.last_failure is Failure.EXPIRED and late.sealed == b""
    assert len(sms.sent) == 1
    # Nowhere a log line quotes the phone or the code.
    logged = caplog.text
    assert PHONE not in logged and CODE not in logged and PHONE[1:] not in logged
    if callable(read_row):
        row_text = read_row()
        assert PHONE not in row_text and PHONE[1:] not in row_text and CODE not in row_text
