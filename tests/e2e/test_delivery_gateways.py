"""The Mobizon.kz adapter against a local stand-in of its documented API, and SMTP
with STARTTLS and login against a local mail server; then the CLI's list and retry."""

from __future__ import annotations

import email
import email.policy
import logging
import socket
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest

from derbes.context import Context
from derbes.delivery import service
from derbes.delivery.adapters.mobizon import MobizonGateway
from derbes.delivery.adapters.rules import load_delivery_rules
from derbes.delivery.adapters.smtp import SmtpMailer, SmtpRelay
from derbes.delivery.model import Message, State, Template
from derbes.delivery.ports import Couriers, Mail
from derbes.errors import DeliveryError
from derbes.platform.clock import FixedClock
from derbes.testing.context import make_context
from derbes.testing.delivery import RecordingSms
from derbes.testing.uow import FakeUnitOfWork
from derbes.testing.vault import InMemoryKeyStore
from tests import smtp_server as smtp
from tests.fake_mobizon import running

PHONE = "+77011234567"


def test_an_sms_reaches_the_gateway_in_its_documented_format() -> None:
    with running() as fake:
        gateway = MobizonGateway(fake.api_key, base_url=fake.url, sender="EXPRESS",
                                 validity_minutes=10)
        reference = gateway.send_sms(PHONE, "Растау коды: 123456.")
    (sms,) = fake.received
    assert (sms.recipient, sms.text, sms.sender, sms.validity) == \
        ("77011234567", "Растау коды: 123456.", "EXPRESS", "10")
    assert fake.queries[0]["output"] == ["json"] and fake.queries[0]["api"] == ["v1"]
    assert reference == "1"


@pytest.mark.parametrize(("answer", "reason", "retryable"), [
    ((200, {"code": 8, "data": [], "message": "bad key"}), "auth", False),
    ((401, None), "auth", False),
    ((200, {"code": 13, "data": [], "message": "no money"}), "balance", False),
    ((200, {"code": 1, "data": {"recipient": "wrong"}, "message": "validation"}),
     "invalid_recipient", False),
    ((200, {"code": 1, "data": {"text": "empty"}, "message": "validation"}), "rejected", False),
    ((200, {"code": 77, "data": [], "message": "?"}), "rejected", False),
    ((502, None), "unavailable", True),
    ((503, {"code": 999}), "unavailable", True),
    ((200, None), "unavailable", True),  # not JSON: a proxy's error page
])
def test_gateway_answers_are_mapped_to_retry_or_not(answer: tuple[int, object], reason: str,
                                                     retryable: bool) -> None:
    with running() as fake:
        fake.answers.append(answer)  # type: ignore[arg-type]
        gateway = MobizonGateway(fake.api_key, base_url=fake.url)
        with pytest.raises(DeliveryError) as failed:
            gateway.send_sms(PHONE, "Код 123456")
    assert (failed.value.reason, failed.value.retryable) == (reason, retryable)
    message = failed.value.message
    assert "123456" not in message and "7011234567" not in message
    assert fake.api_key not in message and fake.api_key not in repr(gateway)


def test_a_gateway_that_does_not_answer_in_time_is_a_retryable_timeout() -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)  # accepts the connection, never answers
    try:
        gateway = MobizonGateway("k" * 40, timeout=0.2,
                                 base_url=f"http://127.0.0.1:{listener.getsockname()[1]}")
        with pytest.raises(DeliveryError) as failed:
            gateway.send_sms(PHONE, "x")
    finally:
        listener.close()
    assert failed.value.reason == "timeout" and failed.value.retryable


def test_nobody_listening_is_retryable() -> None:
    import socket

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(DeliveryError) as failed:
        MobizonGateway("k" * 40, base_url=f"http://127.0.0.1:{port}").send_sms(PHONE, "x")
    assert failed.value.reason == "unavailable" and failed.value.retryable


# ---------------------------------------------------------------- e-mail over SMTP

SENDER = "noreply@express-avans.kz"
MAILBOX = "aliya.sarsenbayeva@example.kz"
KK_SUBJECT = "Сіздің өтінішіңіз: жауап берілді"
KK_BODY = ("Сәлеметсіз бе!\n\nӨтінішіңізге жауап дайын. Толығырақ ақпарат жеке кабинетте: "
           "ә ғ қ ң ө ұ ү һ і.\n")


def _mailer(server: smtp.LocalSmtp, **changes: object) -> SmtpMailer:
    relay = SmtpRelay("127.0.0.1", server.port, SENDER, username=smtp.USERNAME,
                      password=smtp.PASSWORD, ca_file=str(server.cert), timeout=5)
    return SmtpMailer(replace(relay, **changes))  # type: ignore[arg-type]


def test_an_email_in_kazakh_goes_out_over_starttls_after_login(tmp_path: Path) -> None:
    with smtp.running(tmp_path) as server:
        reference = _mailer(server).send_mail(Mail(MAILBOX, KK_SUBJECT, KK_BODY, "kk"))
    (got,) = server.received
    assert got.tls and got.user == smtp.USERNAME
    assert (got.sender, got.recipients) == (SENDER, [MAILBOX])
    message = email.message_from_bytes(got.data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert (message["From"], message["To"], message["Subject"]) == (SENDER, MAILBOX, KK_SUBJECT)
    assert message["Content-Language"] == "kk" and message["Date"]
    assert message["Message-ID"] == reference and reference.endswith("@express-avans.kz>")
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content() == KK_BODY
    # In clear only the greeting and the upgrade: the login and the message came after.
    said = b"".join(server.clear).upper()
    assert said.startswith(b"EHLO") and said.rstrip().endswith(b"STARTTLS")
    assert b"AUTH" not in said and b"MAIL" not in said
    assert any(line.startswith(b"AUTH PLAIN") for line in server.secured)


@pytest.mark.parametrize(("verb", "reply", "reason", "retryable"), [
    ("RCPT", "550 5.1.1 no such mailbox", "invalid_recipient", False),
    ("RCPT", "553 5.1.3 bad address syntax", "invalid_recipient", False),
    ("AUTH", "535 5.7.8 credentials invalid", "auth", False),
    ("MAIL", "451 4.3.0 try again later", "unavailable", True),
    ("DATA", "452 4.3.1 mailbox full for now", "unavailable", True),
    ("EHLO", "421 4.3.2 shutting down", "unavailable", True),
    ("DATA", "552 5.3.4 message too big", "rejected", False),
    ("DATA", None, "timeout", True),  # the relay stops answering
])
def test_relay_answers_are_mapped_to_retry_or_not(tmp_path: Path, verb: str, reply: str | None,
                                                  reason: str, retryable: bool) -> None:
    with smtp.running(tmp_path) as server:
        server.answers[verb] = [reply]
        with pytest.raises(DeliveryError) as failed:
            _mailer(server, timeout=1).send_mail(Mail(MAILBOX, KK_SUBJECT, KK_BODY, "kk"))
    assert (failed.value.reason, failed.value.retryable) == (reason, retryable)
    assert server.received == []
    shown = failed.value.message + repr(failed.value) + repr(_mailer(server))
    for secret in (MAILBOX, smtp.PASSWORD, "Сәлеметсіз"):
        assert secret not in shown


def test_no_password_is_sent_to_a_relay_without_starttls(tmp_path: Path) -> None:
    with smtp.running(tmp_path, offer_starttls=False) as server, \
            pytest.raises(DeliveryError) as failed:
        _mailer(server).send_mail(Mail(MAILBOX, KK_SUBJECT, KK_BODY, "kk"))
    assert (failed.value.reason, failed.value.retryable) == ("rejected", False)
    assert "STARTTLS" in failed.value.message
    assert not any(line.upper().startswith((b"AUTH", b"MAIL")) for line in server.clear)
    assert server.received == []


def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(tmp_path: Path) -> None:
    with smtp.running(tmp_path) as server, pytest.raises(DeliveryError) as failed:
        _mailer(server, ca_file=None).send_mail(Mail(MAILBOX, KK_SUBJECT, KK_BODY, "kk"))
    assert (failed.value.reason, failed.value.retryable) == ("rejected", False)
    assert "certificate" in failed.value.message
    assert server.secured == [] and server.received == []


def test_nobody_listening_on_the_relay_port_is_retryable(tmp_path: Path) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    mailer = SmtpMailer(SmtpRelay("127.0.0.1", port, SENDER, timeout=2))
    with pytest.raises(DeliveryError) as failed:
        mailer.send_mail(Mail(MAILBOX, KK_SUBJECT, KK_BODY, "kk"))
    assert (failed.value.reason, failed.value.retryable) == ("unavailable", True)


def test_a_relay_that_is_down_is_retried_on_the_schedule_of_delivery_yaml(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Through the delivery service: 451 twice, retried after 30 s then 60 s
    (data/delivery.yaml: first_delay_seconds 30, factor 2), then sent once; no address,
    subject or body in the log."""
    caplog.set_level(logging.DEBUG)
    keys, clock, uow = InMemoryKeyStore(), FixedClock(), FakeUnitOfWork()
    retry = load_delivery_rules().retry
    message = Message(Template.REQUEST_STATUS, "kk", MAILBOX,
                      {"operator": "Express Аванс", "request": "R-2026-0001",
                       "state": "жауап берілді", "due_date": "2026 жылғы 8 қаңтар"},
                      operator_id="express-avans")
    with smtp.running(tmp_path) as server:
        server.answers["MAIL"] = ["451 4.3.0 try again later", "451 4.3.0 try again later"]
        couriers = Couriers(RecordingSms(), _mailer(server))

        def ctx() -> Context:
            return make_context(uow, keys, clock=clock, actor="cli:staff")

        first = service.send(ctx(), couriers, message)
        assert (first.state, first.attempts) == (State.FAILED, 1)
        assert first.next_attempt_at == clock.now() + retry.first_delay
        assert first.recipient_masked != MAILBOX and MAILBOX not in first.recipient_masked
        assert service.retry_due(ctx(), couriers) == []  # not due yet
        clock.advance(retry.first_delay)
        (second,) = service.retry_due(ctx(), couriers)
        assert second.next_attempt_at == clock.now() + retry.first_delay * retry.factor
        clock.advance(retry.first_delay * retry.factor)
        (third,) = service.retry_due(ctx(), couriers)
    assert third.state is State.SENT and third.attempts == 3
    assert third.provider_ref and third.provider_ref.endswith("@express-avans.kz>")
    (got,) = server.received
    sent = email.message_from_bytes(got.data, policy=email.policy.default)
    assert isinstance(sent, EmailMessage)
    assert sent["Subject"] == "Сіздің R-2026-0001 өтінішіңіз: жауап берілді"
    assert "Express Аванс ұйымына берген R-2026-0001" in sent.get_content()
    for secret in (MAILBOX, "R-2026-0001", "Сәлеметсіз", smtp.PASSWORD):
        assert secret not in caplog.text
