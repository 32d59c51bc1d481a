"""Roles and permissions of staff, granted per operator, and who may do what.

The table of roles is data (``data/staff_roles.yaml``), each role with the
rule or duty it serves. A person holds roles *at an operator*: being the DPO
of one operator gives nothing at another (Order 179/НҚ: access limited to what
the job needs). :func:`refusal` answers, from plain values, whether a
principal may use a permission at an operator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from derbes.errors import InputError
from derbes.platform.labels import Labels
from derbes.platform.rule_fields import RuleFields

__all__ = [
    "Grant",
    "Permission",
    "Principal",
    "RoleBook",
    "RoleDef",
    "parse_role",
    "refusal",
    "roles_from_dict",
]


class Permission(StrEnum):
    STAFF_VIEW = "staff.view"
    STAFF_MANAGE = "staff.manage"
    AUDIT_READ = "audit.read"
    ACTS_READ = "acts.read"
    REQUESTS_READ = "requests.read"
    REQUESTS_HANDLE = "requests.handle"
    REGISTERS_MANAGE = "registers.manage"
    KEYS_MANAGE = "keys.manage"
    SUBJECTS_READ = "subjects.read"
    SUBJECTS_REVEAL = "subjects.reveal"
    INCIDENTS_READ = "incidents.read"
    INCIDENTS_MANAGE = "incidents.manage"
    INCIDENTS_EXPORT = "incidents.export"
    COMPLIANCE_READ = "compliance.read"
    COMPLIANCE_MANAGE = "compliance.manage"


@dataclass(frozen=True)
class RoleDef:
    name: str
    label: Labels
    citation: str
    purpose: str
    totp_required: bool
    permissions: frozenset[Permission]


@dataclass(frozen=True)
class RoleBook:
    """Every role, in the order of the data file."""

    roles: Mapping[str, RoleDef]
    descriptions: Mapping[Permission, str]

    def role(self, name: str) -> RoleDef:
        found = self.roles.get(name)
        if found is None:
            names = ", ".join(self.roles)
            raise InputError(f"unknown role {name!r}: use one of {names}", field="role")
        return found

    def permissions(self, roles: Iterable[str]) -> frozenset[Permission]:
        out: set[Permission] = set()
        for name in roles:
            found = self.roles.get(name)
            if found is not None:
                out |= found.permissions
        return frozenset(out)

    def needs_totp(self, roles: Iterable[str]) -> bool:
        return any(r.totp_required for name in roles if (r := self.roles.get(name)))


def parse_role(book: RoleBook, text: str) -> str:
    """A role name as given at the terminal or in a body (``DPO``, `` dpo ``)."""
    return book.role(text.strip().lower().replace("-", "_")).name


_FIELDS = RuleFields("staff roles")
_fail = _FIELDS.error


def _role(name: str, data: Any) -> RoleDef:
    where = f"roles.{name}"
    if not isinstance(data, Mapping):
        raise _fail("each role is a mapping", where)
    try:
        label = Labels.from_mapping(data.get("label"), where=f"{where}.label")
    except InputError as exc:
        raise _fail(exc.message, f"{where}.label") from None
    texts = {k: data.get(k) for k in ("citation", "purpose")}
    for key, value in texts.items():
        if not isinstance(value, str) or not value.strip():
            raise _fail(f"{where}.{key} must be text", f"{where}.{key}")
    totp = data.get("totp_required")
    if not isinstance(totp, bool):
        raise _fail(f"{where}.totp_required must be true or false", f"{where}.totp_required")
    listed = data.get("permissions")
    if not isinstance(listed, list) or not listed:
        raise _fail(f"{where}.permissions must list at least one", f"{where}.permissions")
    try:
        permissions = frozenset(Permission(str(p)) for p in listed)
    except ValueError:
        raise _fail(f"{where}.permissions names an unknown permission",
                    f"{where}.permissions") from None
    return RoleDef(name, label, " ".join(str(texts["citation"]).split()),
                   " ".join(str(texts["purpose"]).split()), totp, permissions)


def roles_from_dict(data: Any) -> RoleBook:
    """The role table from the parsed YAML; anything malformed is a configuration error."""
    data = _FIELDS.top(data)
    described = data.get("permissions")
    roles = data.get("roles")
    if not isinstance(described, Mapping) or not isinstance(roles, Mapping) or not roles:
        raise _fail("'permissions' and 'roles' must be mappings", "roles")
    missing = sorted(p.value for p in Permission if not str(described.get(p.value, "")).strip())
    if missing or set(described) - {p.value for p in Permission}:
        raise _fail("'permissions' must describe each permission derbes knows, and only "
                    "those", "permissions")
    book = {str(name): _role(str(name), body) for name, body in roles.items()}
    return RoleBook(book, {Permission(k): " ".join(str(v).split())
                           for k, v in described.items()})


@dataclass(frozen=True)
class Grant:
    """One role of one person at one operator, as granted (and perhaps revoked)."""

    id: int
    person_id: str
    operator_id: str
    role: str
    granted_at: datetime
    granted_by: str
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class Principal:
    """Who acts, as far as authorization is concerned.

    A staff person (``person_id``) holds ``roles`` per operator; a named service
    (an API key that belongs to no person) holds none and is allowed what its
    key's ``admin`` scope allows. ``bound_to``: the one operator the credential
    is limited to (an operator-bound API key), None when not limited.
    """

    actor: str
    person_id: str | None = None
    roles: Mapping[str, frozenset[str]] | None = None
    service_admin: bool = False
    bound_to: str | None = None

    def roles_at(self, operator_id: str) -> frozenset[str]:
        return (self.roles or {}).get(operator_id, frozenset())


def refusal(principal: Principal, book: RoleBook, permission: Permission,
            operator_id: str) -> str | None:
    """Why ``principal`` may not use ``permission`` at ``operator_id``; None when it may."""
    if principal.bound_to is not None and principal.bound_to != operator_id:
        return "the credential is bound to another operator"
    if principal.person_id is None:
        return None if principal.service_admin else (
            f"this service credential does not carry {permission.value!r}")
    held = principal.roles_at(operator_id)
    if not held:
        return "no role at this operator"
    if permission not in book.permissions(held):
        return f"no role at this operator grants {permission.value!r}"
    return None
