"""Staff over HTTP: sign-in with TOTP, CSRF, timeouts, revocation, lock-out, the access list."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from derbes.access import service as apikeys
from derbes.platform.clock import FixedClock
from derbes.staff.api import COOKIE
from tests.api_world import World, make_world
from tests.staff_support import PASSWORD, add, client, code, sign_in


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = make_world(tmp_path)
    yield built
    built.close()


def _audit(world: World, action: str) -> list[dict[str, object]]:
    with world.container.uow() as uow:
        return [{"actor": e.actor, **json.loads(json.dumps(e.details))}
                for e in uow.audit.entries() if e.action == action]


def _clock(world: World) -> FixedClock:
    clock = world.container.clock
    assert isinstance(clock, FixedClock)
    return clock


def test_sign_in_with_totp_sets_a_strict_cookie_and_who_am_i_answers(world: World) -> None:
    dpo = add(world, "a.nurlanova@kassa24.kz", ("kassa24", "dpo"))
    browser = client(world)
    answer = browser.post("/staff/session", json={
        "login": "A.Nurlanova@kassa24.kz", "password": PASSWORD, "totp": code(world, dpo)})
    assert answer.status_code == 201, answer.text
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
        assert attribute.lower() in cookie.lower()
    token = cookie.split(";")[0].split("=", 1)[1]
    me = browser.get("/staff/session").json()
    assert me["person_id"] == dpo.id and me["roles"] == {"kassa24": ["dpo"]}
    assert me["actor"] == f"staff:{dpo.id}"
    # Only the SHA-256 of the token is stored, and no log entry carries it.
    with world.container.uow() as uow:
        dump = json.dumps([e.details for e in uow.audit.entries()])
    assert token not in dump
    assert any(e["event"] == "ok" and e["actor"] == f"staff:{dpo.id}"
               for e in _audit(world, "staff.signin"))


def test_wrong_password_and_wrong_or_missing_totp_are_refused_and_audited(world: World) -> None:
    dpo = add(world, "dpo@kassa24.kz", ("kassa24", "dpo"))
    browser = client(world)
    tries = [{"password": "not-the-password!", "totp": code(world, dpo)},
             {"password": PASSWORD, "totp": "000000" if code(world, dpo) != "000000" else "1"},
             {"password": PASSWORD}]
    for body in tries:
        answer = browser.post("/staff/session", json={"login": dpo.login, **body})
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"] == "wrong login, password or one-time code"
        assert COOKIE not in answer.headers.get("set-cookie", "")
    reasons = [e["reason"] for e in _audit(world, "staff.signin") if e["event"] == "failed"]
    assert reasons == ["wrong password", "wrong or reused one-time code", "no one-time code"]
    assert PASSWORD not in json.dumps(_audit(world, "staff.signin"))


def test_a_role_that_needs_totp_cannot_sign_in_without_one(world: World) -> None:
    admin = add(world, "admin@kassa24.kz", ("kassa24", "admin"), enrol=False)
    answer = client(world).post("/staff/session",
                                json={"login": admin.login, "password": PASSWORD})
    assert answer.status_code == 401
    assert _audit(world, "staff.signin")[-1]["reason"].startswith("a role held needs")


def test_a_used_code_is_not_accepted_again(world: World) -> None:
    dpo = add(world, "dpo@kassa24.kz", ("kassa24", "dpo"))
    body = {"login": dpo.login, "password": PASSWORD, "totp": code(world, dpo)}
    assert client(world).post("/staff/session", json=body).status_code == 201
    assert client(world).post("/staff/session", json=body).status_code == 401


def test_lock_out_after_the_failures_of_the_data_file(world: World) -> None:
    handler = add(world, "handler@kassa24.kz", ("kassa24", "request_handler"), enrol=False)
    limits = world.container.rules.staff.policy.signin
    browser = client(world)
    wrong = {"login": handler.login, "password": "wrong-password-123"}
    for _ in range(limits.lockout_after_failures):
        assert browser.post("/staff/session", json=wrong).status_code == 401
    # Locked: even the right password is refused, with Retry-After.
    right = {"login": handler.login, "password": PASSWORD}
    locked = browser.post("/staff/session", json=right)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    events = [e["event"] for e in _audit(world, "staff.signin")]
    assert "locked" in events and events[-1] == "refused"
    _clock(world).advance(limits.lockout + timedelta(seconds=1))
    assert browser.post("/staff/session", json=right).status_code == 201


def test_state_changes_need_the_csrf_token(world: World) -> None:
    admin = add(world, "admin@kassa24.kz", ("kassa24", "admin"))
    handler = add(world, "handler@kassa24.kz", enrol=False)
    browser, csrf = sign_in(world, admin)
    body = {"person": handler.id, "role": "request_handler"}
    forged = browser.post("/staff/operators/kassa24/grants", json=body,
                          headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    assert forged.json()["field"] == "csrf_token"
    missing = browser.post("/staff/operators/kassa24/grants", json=body)
    assert missing.status_code == 403
    assert len(_audit(world, "staff.csrf")) == 2
    with world.container.uow() as uow:
        assert uow.staff.grants(person_id=handler.id) == []
    done = browser.post("/staff/operators/kassa24/grants", json=body,
                        headers={"X-CSRF-Token": csrf})
    assert done.status_code == 201, done.text
    assert done.json()["granted_by"] == f"staff:{admin.id}"


def test_an_idle_or_too_old_session_is_refused(world: World) -> None:
    auditor = add(world, "auditor@kassa24.kz", ("kassa24", "auditor"), enrol=False)
    rules = world.container.rules.staff.policy.sessions
    browser, _ = sign_in(world, auditor)
    _clock(world).advance(rules.idle)
    expired = browser.get("/staff/session")
    assert expired.status_code == 401 and "idle" in expired.json()["detail"]
    # Kept busy, the session still ends at the absolute limit.
    browser, _ = sign_in(world, auditor)
    step = rules.idle - timedelta(minutes=1)
    for _ in range(int(rules.absolute / step) + 2):
        answer = browser.get("/staff/session")
        if answer.status_code != 200:
            break
        _clock(world).advance(step)
    assert answer.status_code == 401 and "absolute" in answer.json()["detail"]
    assert browser.get("/staff/session").status_code == 401


def test_revoke_ends_the_old_cookie_and_the_persons_keys_at_once(world: World) -> None:
    security = add(world, "sec@kassa24.kz", ("kassa24", "security_officer"))
    leaver = add(world, "leaver@kassa24.kz", ("kassa24", "auditor"), enrol=False)
    container = world.container
    key = apikeys.create(container.uow(), container.clock, name="leaver laptop",
                         scopes=["admin"], owner=f"staff:{leaver.id}").token
    old_browser, _ = sign_in(world, leaver)
    assert old_browser.get("/staff/session").status_code == 200
    keyed = client(world).get("/staff/operators/kassa24/access",
                              headers={"X-API-Key": key})
    assert keyed.status_code == 200
    browser, csrf = sign_in(world, security)
    done = browser.post(f"/staff/people/{leaver.login}/revoke", json={},
                        headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200, done.text
    assert done.json() == {"person_id": leaver.id, "grants_ended": 1, "sessions_ended": 1,
                           "api_keys_revoked": 1, "disabled": True}
    assert old_browser.get("/staff/session").status_code == 401
    assert client(world).get("/staff/operators/kassa24/access",
                             headers={"X-API-Key": key}).status_code == 401
    again = client(world).post("/staff/session",
                               json={"login": leaver.login, "password": PASSWORD})
    assert again.status_code == 401
    revoked = _audit(world, "staff.revoke")
    assert revoked[-1]["actor"] == f"staff:{security.id}" and revoked[-1]["sessions"] == 1


def test_the_access_list_as_json_csv_and_pdf(world: World) -> None:
    dpo = add(world, "dpo@kassa24.kz", ("kassa24", "dpo"))
    add(world, "handler@kassa24.kz", ("kassa24", "request_handler"), enrol=False)
    browser, _ = sign_in(world, dpo)
    rows = browser.get("/staff/operators/kassa24/access").json()
    assert sorted(r["role"] for r in rows) == ["dpo", "request_handler"]
    assert all(r["granted_by"] == "cli:test" for r in rows)
    csv = browser.get("/staff/operators/kassa24/access?format=csv&lang=kk")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Тұлға,Логин,Рөлі,Қашаннан бастап")
    assert "Дербес деректерді өңдеуді ұйымдастыруға жауапты тұлға" in text
    pdf = browser.get("/staff/operators/kassa24/access?format=pdf&lang=ru")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
