"""The Mobizon.kz adapter against a local stand-in of its documented API, and SMTP
with STARTTLS and login against a local mail server; then the CLI's list and retry."""

from __future__ import annotations

import pytest

from derbes.delivery.adapters.mobizon import MobizonGateway
from derbes.errors import DeliveryError
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
