"""Every staff route × every role (and a role at another operator): allowed or 403, audited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from derbes.staff.model.roles import Permission
from tests.api_world import World, make_world
from tests.staff_support import add, denials, sign_in

OPERATOR = "kassa24"
# (method, path, body, the permission the route needs at OPERATOR)
ROUTES = [
    ("get", f"/staff/operators/{OPERATOR}/access", None, Permission.STAFF_VIEW),
    ("post", f"/staff/operators/{OPERATOR}/grants",
     {"person": "target@kassa24.kz", "role": "auditor"}, Permission.STAFF_MANAGE),
    ("post", "/staff/people/target@kassa24.kz/revoke", {"operator": OPERATOR},
     Permission.STAFF_MANAGE),
]
ROLES = ["dpo", "request_handler", "security_officer", "auditor", "admin"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = make_world(tmp_path_factory.mktemp("matrix"))
    add(built, "target@kassa24.kz", enrol=False)
    yield built
    built.close()



@pytest.mark.parametrize("where", [OPERATOR, "qiwi-kz"])
@pytest.mark.parametrize("role", ROLES)
def test_matrix(world: World, role: str, where: str) -> None:
    staffer = add(world, f"{role}.{where}@derbes.test", (where, role))
    browser, csrf = sign_in(world, staffer)
    allowed = world.container.rules.staff.roles.role(role).permissions
    for method, path, body, permission in ROUTES:
        before = denials(world)
        answer = browser.request(method, path, json=body, headers={"X-CSRF-Token": csrf})
        expected = where == OPERATOR and permission in allowed
        if expected:
            assert answer.status_code in (200, 201), (role, where, path, answer.text)
        else:
            assert answer.status_code == 403, (role, where, path, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["field"] == "operator"
            assert denials(world) == before + 1
