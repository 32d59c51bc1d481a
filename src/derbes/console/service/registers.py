"""A new version of an operator's register, from the console: compared with the version in
force (by purpose, data category, transfer and retention, each change with its citation),
the consents it would ask again counted before anything is written, then published on
the DPO's confirmation.

Publishing is the register slice's own use case (``publish_in``): the version, the
re-consent marks and their ledger entries commit together with the audit entry naming
the person who confirmed it. The confirmation carries the hash of the version in force
that the DPO was shown: if another version was published meanwhile, the comparison is
stale and nothing is published (Law 94-V Art. 8: the subjects must be asked about what
actually changed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from derbes.audit.model.log import AuditRecord
from derbes.console.model.registers import Impact, Marked, impact
from derbes.console.service.access import scoped
from derbes.context import Context
from derbes.errors import ConflictError, InputError, NotFoundError
from derbes.register.model.loaded import LoadedRegister
from derbes.register.ports import RegisterReader, StoredRegister
from derbes.register.service.policy_change import FileDiff, PolicyChange, preview_in, publish_in
from derbes.staff.model.roles import Permission

__all__ = ["PUBLISH_ACTION", "ChangeForm", "Published", "RegisterChange", "Source",
           "change_form", "preview", "publish"]

PUBLISH_ACTION = "console.register.publish"
CONFIRMED = "yes"


@dataclass(frozen=True)
class ChangeForm:
    """What the DPO may start from: the version in force and the operator's earlier ones."""

    in_force: StoredRegister
    earlier: list[StoredRegister]  # newest first


def _versions(ctx: Context, operator_id: str) -> list[StoredRegister]:
    with ctx.uow as uow:
        return [r for r in uow.registers.list() if r.operator_id == operator_id]


def change_form(ctx: Context, operator_id: str) -> ChangeForm:
    ctx = scoped(ctx, operator_id, Permission.REGISTERS_MANAGE)
    found = _versions(ctx, operator_id)
    if not found:
        raise NotFoundError(f"no register published for operator {operator_id!r}",
                            field="operator")
    return ChangeForm(found[-1], list(reversed(found[:-1])))


@dataclass(frozen=True)
class Source:
    """Where the new version comes from: an uploaded or pasted text, or a stored version."""

    text: str = ""
    name: str = "<register>"
    version_id: int | None = None


@dataclass(frozen=True)
class RegisterChange:
    """The comparison a DPO confirms: the diff and its re-consent impact."""

    change: FileDiff
    in_force: StoredRegister
    impact: Impact

    @property
    def new(self) -> LoadedRegister:
        return self.change.new

    @property
    def same(self) -> bool:
        """The text is the one in force: publishing would change nothing."""
        return self.in_force.sha256 == self.change.new.sha256


def _text_of(ctx: Context, operator_id: str, source: Source) -> tuple[str, str]:
    if source.text.strip():
        return source.text, source.name
    if source.version_id is not None:
        stored = next((r for r in _versions(ctx, operator_id) if r.id == source.version_id),
                      None)
        if stored is None:
            raise NotFoundError("no such version of this operator's register", field="version")
        return stored.source_text, f"version {stored.policy_version} ({stored.sha256[:12]})"
    raise InputError("upload a register file, paste its text or pick a stored version",
                     field="register")


def _load(ctx: Context, operator_id: str, text: str, name: str,
          reader: RegisterReader) -> LoadedRegister:
    loaded = reader.parse(text, name)  # a RegisterError names each problem's line and path
    if loaded.register.operator.id != operator_id:
        raise InputError(f"this register is the one of operator "
                         f"{loaded.register.operator.id!r}, not of {operator_id!r}",
                         field="register_operator")
    return loaded


def preview(ctx: Context, operator_id: str, source: Source,
            reader: RegisterReader) -> RegisterChange:
    """The new version compared with the one in force, and the consents it would ask again
    as of now; nothing is written."""
    ctx = scoped(ctx, operator_id, Permission.REGISTERS_MANAGE)
    loaded = _load(ctx, operator_id, *_text_of(ctx, operator_id, source), reader)
    with ctx.uow as uow:
        seen = preview_in(uow, loaded, ctx.clock)
    d = seen.change.diff
    marked = [Marked(m.subject_id, m.newly_marked, m.scopes) for m in seen.marks]
    return RegisterChange(seen.change, seen.previous,
                          impact(d.reconsent_scopes, marked, d.reconsent_purposes,
                                 d.new_purposes))


@dataclass(frozen=True)
class Published:
    change: PolicyChange

    @property
    def marked(self) -> int:
        return self.change.marked


def publish(ctx: Context, operator_id: str, encoded: str, shown: tuple[str, str],
            confirm: str, reader: RegisterReader) -> Published:
    """Publish the text ``encoded`` (URL-safe base64 of its UTF-8) once the DPO confirmed the
    comparison they were ``shown`` (the SHA-256 of the version in force then, and of the
    text); audited with the person."""
    ctx = scoped(ctx, operator_id, Permission.REGISTERS_MANAGE)
    in_force_seen, new_seen = shown
    if confirm != CONFIRMED:
        raise InputError("confirm that you have read what publishing changes",
                         field="confirm")
    text = _decoded(encoded)
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != new_seen:
        raise InputError("the register text is not the one compared", field="new_sha256")
    loaded = _load(ctx, operator_id, text, "<console>", reader)
    with ctx.uow as uow:
        current = uow.registers.latest(operator_id)
        if current is None or current.sha256 != in_force_seen:
            raise ConflictError("another version was published after this comparison was "
                                "shown: compare again", field="in_force")
        done = publish_in(uow, loaded, ctx.clock)
        uow.audit.record(_entry(ctx, operator_id, done))
        uow.commit()
    return Published(done)


def _decoded(encoded: str) -> str:
    try:
        return base64.b64decode(encoded, altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InputError("the register text is not the one compared",
                         field="new_sha256") from None


def _entry(ctx: Context, operator_id: str, done: PolicyChange) -> AuditRecord:
    # No PD: register versions, their hashes and counts of consents.
    stored, before = done.published.stored, done.previous
    return AuditRecord(
        at=ctx.now(), actor=ctx.actor, action=PUBLISH_ACTION, request_id=ctx.request_id,
        details={"operator_id": operator_id,
                 "policy_version": {"old": before.policy_version if before else None,
                                    "new": stored.policy_version},
                 "register_sha256": {"old": before.sha256 if before else None,
                                     "new": stored.sha256},
                 "published": done.published.new,
                 "changes": len(done.diff.changes) if done.diff else 0,
                 "widens": bool(done.diff and done.diff.widens),
                 "consents_marked": done.marked,
                 "consents_waiting": len(done.marks) - done.marked})
