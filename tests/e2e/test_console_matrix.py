"""Every console route × every role, at the person's own operator and at one where they
hold nothing: allowed, or a 403 page with the refusal in the audit log; and the bad
input of a browser: an ended session, a forged CSRF token, a revoked person's cookie."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from derbes.platform.clock import FixedClock
from derbes.platform.i18n import gettext
from derbes.staff.model.roles import Permission
from tests.api_world import World, make_world
from tests.console_support import OPERATOR, audit_actions, console_sign_in, csrf_of, file_request
from tests.staff_support import add, denials

ELSEWHERE = "qiwi-kz"
ROLES = ["dpo", "request_handler", "security_officer", "auditor", "admin"]
SUBJECT = "0190a0b1-2c3d-7e4f-8a5b-6c7d8e9f0a1b"  # no such subject: allowed means 404 here
INCIDENT = "0" * 32  # no such incident: allowed means 404 here


def _routes(operator: str, request_id: str) -> list[tuple[str, str, dict[str, str], tuple[
        Permission, ...]]]:
    """(method, path, form, the permissions any one of which the route needs; none: any
    role at the operator)."""
    base = f"/console/{operator}"
    return [
        ("get", f"{base}/today", {}, ()),
        ("get", f"{base}/requests", {}, (Permission.REQUESTS_READ,)),
        ("get", f"{base}/requests/{request_id}", {}, (Permission.REQUESTS_READ,)),
        ("get", f"{base}/requests/{request_id}/letter?format=html", {},
         (Permission.REQUESTS_READ,)),
        ("post", f"{base}/requests/{request_id}/verify",
         {"document_ref": "ID 1", "reason": "seen"}, (Permission.REQUESTS_HANDLE,)),
        ("post", f"{base}/requests/{request_id}/answer", {}, (Permission.REQUESTS_HANDLE,)),
        ("post", f"{base}/requests/{request_id}/refuse", {"reasons": "Art. 24"},
         (Permission.REQUESTS_HANDLE,)),
        ("get", f"{base}/people", {}, (Permission.STAFF_VIEW,)),
        ("post", f"{base}/people/grant", {"person": "target@kassa24.kz", "role": "auditor"},
         (Permission.STAFF_MANAGE,)),
        ("post", f"{base}/people/revoke", {"person": "target@kassa24.kz", "role": "auditor"},
         (Permission.STAFF_MANAGE,)),
        ("post", f"{base}/keys", {"name": "k", "scopes": "read", "expires": "30d"},
         (Permission.KEYS_MANAGE,)),
        ("post", f"{base}/keys/00ff/revoke", {}, (Permission.KEYS_MANAGE,)),
        ("get", f"{base}/requests/{request_id}/dry-run", {}, (Permission.REQUESTS_HANDLE,)),
        ("get", f"{base}/subjects", {}, (Permission.SUBJECTS_READ,)),
        ("post", f"{base}/subjects/find", {"kind": "iin", "value": "900101300128"},
         (Permission.SUBJECTS_READ,)),
        ("get", f"{base}/subjects/{SUBJECT}", {}, (Permission.SUBJECTS_READ,)),
        ("post", f"{base}/subjects/{SUBJECT}/reveal",
         {"category": "identity.iin", "seq": "0", "reason": "request 1"},
         (Permission.SUBJECTS_REVEAL,)),
        ("get", f"{base}/subjects/{SUBJECT}/consents", {}, (Permission.SUBJECTS_READ,)),
        ("get", f"{base}/subjects/{SUBJECT}/consents/certificate?lang=kk", {},
         (Permission.SUBJECTS_READ,)),
        ("get", f"{base}/audit?action=staff.denied", {}, (Permission.AUDIT_READ,)),
        ("post", f"{base}/audit/verify", {}, (Permission.AUDIT_READ,)),
        ("get", f"{base}/registers", {}, (Permission.REGISTERS_MANAGE,)),
        ("get", f"{base}/registers/notice?lang=kk", {}, (Permission.REGISTERS_MANAGE,)),
        ("get", f"{base}/registers/change", {}, (Permission.REGISTERS_MANAGE,)),
        ("post", f"{base}/registers/diff", {"text": "operator: {id: kassa24}"},
         (Permission.REGISTERS_MANAGE,)),
        ("post", f"{base}/registers/publish", {"source": "", "in_force": "0" * 64,
                                              "new_sha256": "0" * 64, "confirm": "yes"},
         (Permission.REGISTERS_MANAGE,)),
        ("get", f"{base}/retention", {}, (Permission.ACTS_READ,)),
        ("get", f"{base}/retention/acts/{SUBJECT}", {}, (Permission.ACTS_READ,)),
        ("get", f"{base}/incidents", {}, (Permission.INCIDENTS_READ,)),
        ("post", f"{base}/incidents", {"detected_at": "2020-01-01T10:00", "source": "alert",
                                       "severity": "low", "summary": "matrix"},
         (Permission.INCIDENTS_MANAGE,)),
        ("get", f"{base}/incidents/{INCIDENT}", {}, (Permission.INCIDENTS_READ,)),
        ("post", f"{base}/incidents/{INCIDENT}/update", {"severity": "low", "summary": "m"},
         (Permission.INCIDENTS_MANAGE,)),
        ("post", f"{base}/incidents/{INCIDENT}/move", {"move": "contain"},
         (Permission.INCIDENTS_MANAGE,)),
        ("get", f"{base}/incidents/{INCIDENT}/notice?format=json&lang=kk", {},
         (Permission.INCIDENTS_READ,)),
        ("get", f"{base}/compliance", {},
         (Permission.COMPLIANCE_READ, Permission.COMPLIANCE_MANAGE)),
        ("post", f"{base}/compliance/responsible", {"name": "", "position": ""},
         (Permission.COMPLIANCE_MANAGE,)),
        ("get", f"{base}/compliance/pack?lang=kk", {}, (Permission.COMPLIANCE_READ,)),
    ]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = make_world(tmp_path_factory.mktemp("console-matrix"))
    add(built, "target@kassa24.kz", enrol=False)
    yield built
    built.close()



@pytest.mark.parametrize("where", [OPERATOR, ELSEWHERE])
@pytest.mark.parametrize("role", ROLES)
def test_matrix(world: World, role: str, where: str) -> None:
    staffer = add(world, f"{role}.{where}.console@derbes.test", (where, role))
    browser = console_sign_in(world, staffer, lang="en")
    held = world.container.rules.staff.roles.role(role).permissions
    own = browser.get(f"/console/{where}/today")
    assert own.status_code == 200
    csrf = csrf_of(own.text)
    request_id = file_request(world, "access")
    for method, path, form, needs in _routes(OPERATOR, request_id):
        before = denials(world)
        data = {**form, "csrf_token": csrf} if method == "post" else None
        answer = browser.request(method, path, data=data, follow_redirects=False)
        allowed = where == OPERATOR and (not needs or bool(held.intersection(needs)))
        if allowed:
            assert answer.status_code != 403, (role, where, path, answer.text[:300])
            assert answer.status_code < 500, (role, path)
        else:
            assert answer.status_code == 403, (role, where, path, answer.status_code)
            assert "Not allowed" in answer.text
            assert denials(world) == before + 1, (role, path)


def test_a_forged_csrf_token_changes_nothing(world: World) -> None:
    dpo = add(world, "dpo.csrf@kassa24.kz", (OPERATOR, "dpo"))
    browser = console_sign_in(world, dpo)
    request_id = file_request(world, "access")
    for token in ("0" * 64, ""):
        answer = browser.post(f"/console/{OPERATOR}/requests/{request_id}/verify",
                              data={"csrf_token": token, "document_ref": "ID 9",
                                    "reason": "seen"})
        assert answer.status_code == 403
    page = browser.get(f"/console/{OPERATOR}/requests/{request_id}")
    assert "Received" in page.text or "Получен" in page.text
    assert not any(a.startswith("request.") and d.get("verification")
                   for _, a, d in audit_actions(world) if d.get("request") == request_id)


def test_an_idle_session_goes_back_to_sign_in(world: World) -> None:
    dpo = add(world, "dpo.idle@kassa24.kz", (OPERATOR, "dpo"))
    browser = console_sign_in(world, dpo)
    clock = world.container.clock
    assert isinstance(clock, FixedClock)
    clock.advance(world.container.rules.staff.policy.sessions.idle + timedelta(minutes=1))
    answer = browser.get(f"/console/{OPERATOR}/requests", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        f"/console/sign-in?done=ended&next=/console/{OPERATOR}/requests")
    told = browser.get(answer.headers["location"])
    assert gettext("ru", "Your session has ended: sign in again.") in told.text
    assert [d.get("reason") for actor, a, d in audit_actions(world)
            if a == "staff.signin" and d.get("event") == "session_refused"
            and actor == f"staff:{dpo.id}"] == ["idle"]


def test_a_revoked_persons_old_cookie_goes_back_to_sign_in(world: World) -> None:
    handler = add(world, "handler.gone@kassa24.kz", (OPERATOR, "request_handler"), enrol=False)
    admin = add(world, "admin.offboard@kassa24.kz", (OPERATOR, "admin"))
    browser = console_sign_in(world, handler)
    assert browser.get(f"/console/{OPERATOR}/requests").status_code == 200
    boss = console_sign_in(world, admin)
    token = csrf_of(boss.get(f"/console/{OPERATOR}/people").text)
    done = boss.post(f"/console/{OPERATOR}/people/revoke",
                     data={"csrf_token": token, "person": handler.id}, follow_redirects=False)
    assert done.status_code == 303
    answer = browser.get(f"/console/{OPERATOR}/requests", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/sign-in?done=ended")
    # The old cookie is refused, and its use recorded under the person it belonged to.
    assert any(a == "staff.signin" and d.get("event") == "session_refused"
               and actor == f"staff:{handler.id}" for actor, a, d in audit_actions(world))
