"""Evidence attached to an incident: a log excerpt, a screenshot, a processor's letter.

Evidence may itself hold PD (a screenshot of a customer's record, an export that
leaked), so each file is sealed under a key of its own in the key store
(``incident-evidence:<id>``), with the name it was given: the row keeps only a
neutral name (``evidence-<n>.<ext>``), the media type, the size and the SHA-256
(the fingerprint an investigator quotes). Attaching and opening are lines of the
timeline and entries of the access audit log (Order 179/НҚ); opening needs
``incidents.manage``, as changing the incident does.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

from derbes.context import Context
from derbes.errors import ConflictError, CryptoError, InputError, NotFoundError
from derbes.incidents.ports import Evidence
from derbes.incidents.service.record import get, guarded, record_event
from derbes.platform import crypto
from derbes.staff.model.roles import Permission

__all__ = ["MAX_BYTES", "MEDIA_TYPES", "Attached", "attach", "evidence", "open_evidence"]

# An engineering bound (what one upload may weigh), not a legal rule.
MAX_BYTES = 20 * 1024 * 1024
MAX_NAME = 200
MEDIA_TYPES = {
    "application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg",
    "text/plain": ".txt", "text/csv": ".csv", "application/json": ".json",
    "message/rfc822": ".eml", "application/zip": ".zip",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Attached:
    """An opened piece of evidence: the name it was given and its bytes."""

    evidence: Evidence
    name: str = field(repr=False)
    content: bytes = field(repr=False)


def _key_id(evidence_id: str) -> str:
    return f"incident-evidence:{evidence_id}"


def _aad(evidence_id: str, incident_id: str) -> bytes:
    return f"incident-evidence:{evidence_id}:{incident_id}".encode()


def _name(name: str) -> str:
    base = PureWindowsPath(PurePosixPath(name or "").name).name.strip()
    if not base or _CONTROL.search(base):
        raise InputError("give the file's name (no path, no control characters)",
                         field="name")
    if len(base) > MAX_NAME:
        raise InputError(f"the file's name is longer than {MAX_NAME} characters", field="name")
    return base


def _checked(name: str, media_type: str, content: bytes) -> str:
    if media_type not in MEDIA_TYPES:
        raise InputError(f"media type must be one of {', '.join(sorted(MEDIA_TYPES))}",
                         field="media_type")
    if not content:
        raise InputError("the file is empty", field="file")
    if len(content) > MAX_BYTES:
        raise InputError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB",
                         field="file")
    return _name(name)


def attach(ctx: Context, incident_id: str, name: str, media_type: str,
           content: bytes) -> Evidence:
    """Seal ``content`` and attach it to an incident that is not finished."""
    incident = get(ctx, incident_id, Permission.INCIDENTS_MANAGE)

    def work() -> Evidence:
        given = _checked(name, media_type, content)
        if incident.finished:
            raise ConflictError(f"a {incident.state.value} incident takes no more evidence",
                                field="state")
        evidence_id = uuid.uuid4().hex
        key_id = _key_id(evidence_id)
        key = ctx.keystore.create_keys([key_id])[key_id]
        encoded = given.encode("utf-8")
        payload = len(encoded).to_bytes(2, "big") + encoded + content
        with ctx.uow:
            n = len(ctx.uow.incidents.evidence(incident.id)) + 1
            item = Evidence(
                id=evidence_id, incident_id=incident.id,
                name=f"evidence-{n}{MEDIA_TYPES[media_type]}", media_type=media_type,
                size=len(content), sha256=hashlib.sha256(content).hexdigest(), key_id=key_id,
                sealed=crypto.seal(key, payload, _aad(evidence_id, incident.id)),
                added_at=ctx.now(), added_by=ctx.actor)
            ctx.uow.incidents.add_evidence(item)
            record_event(ctx, incident, "evidence", {
                "evidence": item.id, "name": item.name, "media_type": media_type,
                "size": item.size, "sha256": item.sha256})
            ctx.uow.commit()
        return item

    return guarded(ctx, "incident.evidence", incident.operator_id, incident.id, work)


def evidence(ctx: Context, incident_id: str) -> list[Evidence]:
    """The evidence attached, oldest first (contents stay sealed)."""
    incident = get(ctx, incident_id)
    with ctx.uow:
        return ctx.uow.incidents.evidence(incident.id)


def open_evidence(ctx: Context, incident_id: str, evidence_id: str) -> Attached:
    """One piece of evidence opened (``incidents.manage``; audited)."""
    incident = get(ctx, incident_id, Permission.INCIDENTS_MANAGE)

    def work() -> Attached:
        with ctx.uow:
            found = next((e for e in ctx.uow.incidents.evidence(incident.id)
                          if e.id == evidence_id), None)
        if found is None:
            raise NotFoundError(f"no evidence {evidence_id[:40]!r} of this incident",
                                field="evidence_id")
        key = ctx.keystore.keys_for([found.key_id]).get(found.key_id)
        if key is None:
            raise ConflictError("this evidence's key is gone", field="evidence_id")
        try:
            payload = crypto.open_sealed(key, found.sealed, _aad(found.id, incident.id))
        except CryptoError:
            raise ConflictError("this evidence does not open with its key",
                                field="evidence_id") from None
        size = int.from_bytes(payload[:2], "big")
        name, content = payload[2:2 + size].decode("utf-8"), payload[2 + size:]
        with ctx.uow:
            record_event(ctx, incident, "evidence_opened", {"evidence": found.id})
            ctx.uow.commit()
        return Attached(found, name, content)

    return guarded(ctx, "incident.evidence_opened", incident.operator_id, incident.id, work)
