"""The cabinet in tests: an Express Аванс borrower (phone, consents, an open loan) in an
API world whose SMS go to a recording gateway, and a browser that signs in with the
code read off that gateway."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from derbes.delivery.ports import Couriers
from derbes.platform.clock import FixedClock
from derbes.testing.delivery import RecordingMailer, RecordingSms
from tests.api_world import World
from tests.load_support import adult_iin

OPERATOR = "express-avans"
_CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
_CONSENT = re.compile(r'/consents/([0-9a-f-]{36})/withdraw')
PROCESSING = ["credit_bureau_inquiry", "pension_centre_inquiry", "customer_database",
              "statistics"]


@dataclass(frozen=True)
class Borrower:
    subject_id: str
    phone: str
    iin: str
    email: str


def recording(world: World) -> RecordingSms:
    """Route the world's SMS to a recording gateway (the subject's phone)."""
    return recording_both(world)[0]


def recording_both(world: World) -> tuple[RecordingSms, RecordingMailer]:
    """Route the world's SMS and e-mail to recording gateways (the subject's phone and
    mailbox)."""
    sms, mail = RecordingSms(), RecordingMailer()
    world.container.__dict__["couriers"] = Couriers(sms, mail)
    return sms, mail


def borrower(world: World, n: int, *, loan: bool = True) -> Borrower:
    """A subject with a phone, consents (processing, transfers, marketing), a loan."""
    api = world.client()
    phone, iin, email = f"+7701{n:07d}", adult_iin(n), f"Borrower.{n}@Example.kz"
    made = api.post("/v1/subjects", json={"operator": OPERATOR, "values": [
        {"category": "identity.iin", "value": iin},
        {"category": "identity.full_name", "value": f"Сәрсенбаева Әлия №{n}"},
        {"category": "contact.phone", "value": phone},
        {"category": "contact.email", "value": email}]})
    assert made.status_code == 201, made.text
    subject_id = made.json()["subject_id"]
    given = api.post("/v1/consents", json={
        "subject_id": subject_id, "channel": "web_checkbox",
        "scopes": [{"kind": "processing", "purposes": PROCESSING},
                   {"kind": "third_party_transfer",
                    "recipients": ["credit_bureaus", "pension_centre"]},
                   {"kind": "marketing", "purposes": ["marketing"]}],
        "evidence": {"ip": "203.0.113.9", "user_agent": "cabinet-test"},
        "idempotency_key": f"cabinet-{n}"})
    assert given.status_code in (200, 201), given.text
    if loan:
        clock = world.container.clock
        assert isinstance(clock, FixedClock)
        opened = api.post("/v1/events", json={
            "event_id": f"cabinet-loan-{n}", "subject_id": subject_id,
            "type": "contract_opened", "contract_id": f"LOAN-{n}",
            "occurred_at": (clock.now() - timedelta(hours=1)).isoformat()})
        assert opened.status_code == 201, opened.text
    return Borrower(subject_id, phone, iin, email)


def browser(world: World) -> TestClient:
    """A browser without a key, over https (the cabinet's cookie is Secure)."""
    return TestClient(world.app, base_url="https://testserver", raise_server_exceptions=False)


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def consent_ids(html: str) -> list[str]:
    return _CONSENT.findall(html)


def consent_id_of(html: str, heading: str) -> str:
    """The id of the consent whose card is headed ``heading`` (the page's words)."""
    for card in html.split("<section")[1:]:
        found = consent_ids(card)
        if f">{heading}</h2>" in card and found:
            return found[0]
    raise AssertionError(f"no consent in force headed {heading!r}")


def ask_code(client: TestClient, phone: str, lang: str = "ru") -> Any:
    answer = client.post(f"/my/{OPERATOR}/sign-in?lang={lang}", data={"phone": phone},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/my/{OPERATOR}/code"
    return answer


def type_code(client: TestClient, code: str) -> Any:
    page = client.get(f"/my/{OPERATOR}/code")
    return client.post(f"/my/{OPERATOR}/code", data={"code": code,
                                                      "csrf_token": csrf_of(page.text)},
                       follow_redirects=False)


def signed_in(world: World, sms: RecordingSms, who: Borrower, lang: str = "ru") -> TestClient:
    client = browser(world)
    ask_code(client, who.phone, lang)
    code = sms.last_code(who.phone)
    assert code is not None
    answer = type_code(client, code)
    assert answer.status_code == 303 and answer.headers["location"].endswith("/data"), \
        answer.text
    return client


_LINK = re.compile(r"https?://[^\s/]+(/my/[a-z0-9-]+/link/[A-Za-z0-9_.-]+)")


def ask_link(client: TestClient, email: str, lang: str = "ru",
             operator: str = OPERATOR) -> Any:
    """Ask for a sign-in link: the same answer whoever the address is."""
    return client.post(f"/my/{operator}/sign-in/email?lang={lang}", data={"email": email},
                       follow_redirects=False)


def link_in(mail: RecordingMailer, address: str) -> str | None:
    """The path of the last sign-in link mailed to ``address``."""
    for sent in reversed(mail.sent):
        found = _LINK.search(sent.body)
        if sent.to.lower() == address.lower() and found:
            return found.group(1)
    return None


def follow(client: TestClient, path: str, operator: str = OPERATOR) -> Any:
    """Open the link and press its button (what a browser without JavaScript does)."""
    token = path.rsplit("/", 1)[1]
    page = client.get(path.replace(f"/my/{OPERATOR}/", f"/my/{operator}/"))
    assert page.status_code == 200 and f'value="{token}"' in page.text
    return client.post(f"/my/{operator}/link", data={"token": token}, follow_redirects=False)
