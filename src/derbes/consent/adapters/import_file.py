"""JSON lines of consents migrated from an earlier system, one act per line.

    {"subject_id": "…", "scopes": ["processing:scoring", "marketing"],
     "channel": "web_checkbox", "given_at": "2024-03-01T10:15:00+05:00",
     "evidence": {"ip": "…", "user_agent": "…"}, "valid_until": null,
     "given_by": "subject", "representative": null, "idempotency_key": "crm-81723"}

Scopes are written as on the command line (``KIND[:ID,ID…]``). Without an
``idempotency_key`` the act gets one from the file's digest and its line, so the
same file imported again replays what is stored. A line that cannot be read comes
back as its reason, never its text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from derbes.consent.model.act import ConsentRequest
from derbes.consent.model.consent import Evidence, Representative, Scope
from derbes.consent.service.importing import MigratedAct
from derbes.errors import DerbesError, InputError

__all__ = ["Line", "read_acts"]

_FIELDS = {"subject_id", "scopes", "channel", "given_at", "evidence", "valid_until",
           "given_by", "representative", "idempotency_key"}
_EVIDENCE = {*Evidence.SEALED, *Evidence.REFERENCES}


@dataclass(frozen=True)
class Line:
    """One line of the file: its act, or the field at fault and why."""

    number: int
    act: MigratedAct | None
    field: str | None = None
    problem: str | None = None


def _time(value: Any, what: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{what} must be an ISO date-time", field=what) from None
    if parsed.tzinfo is None:
        raise InputError(f"{what} must carry a time zone (…+05:00 or …Z)", field=what)
    return parsed.astimezone(UTC)


def _strings(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InputError(f"{what} must be an object of strings", field=what)
    return dict(value)


def _act(data: dict[str, Any], default_key: str,
         parse_scope: Callable[[str], Scope]) -> MigratedAct:
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise InputError(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
    scopes = data.get("scopes")
    if not isinstance(scopes, list) or not scopes or not all(isinstance(s, str)
                                                             for s in scopes):
        raise InputError("scopes must be a non-empty list of KIND[:ID,…]", field="scopes")
    given_at = _time(data.get("given_at"), "given_at")
    if given_at is None:
        raise InputError("given_at is required: when the subject gave the consent",
                         field="given_at")
    evidence = _strings(data.get("evidence"), "evidence")
    if set(evidence) - _EVIDENCE:
        raise InputError("unknown evidence field(s)", field="evidence")
    rep = _strings(data.get("representative"), "representative")
    key = data.get("idempotency_key", default_key)
    for name in ("subject_id", "channel"):
        if not isinstance(data.get(name), str):
            raise InputError(f"{name} must be text", field=name)
    return MigratedAct(ConsentRequest(
        subject_id=data["subject_id"], scopes=[parse_scope(s) for s in scopes],
        channel=data["channel"], evidence=Evidence(**evidence),
        given_by=str(data.get("given_by") or ("representative" if rep else "subject")),
        representative=Representative(**rep) if rep else None,
        valid_until=_time(data.get("valid_until"), "valid_until"),
        idempotency_key=key if isinstance(key, str) else None), given_at)


def read_acts(path: Path, file_id: str, parse_scope: Callable[[str], Scope]
              ) -> Iterator[Line]:
    """The file's acts in order; blank lines are skipped."""
    with path.open("r", encoding="utf-8") as stream:
        for number, text in enumerate(stream, start=1):
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except ValueError:
                yield Line(number, None, "record", "not a JSON value")
                continue
            if not isinstance(data, dict):
                yield Line(number, None, "record", "not a JSON object")
                continue
            try:
                yield Line(number, _act(data, f"import-{file_id[:16]}-{number}", parse_scope))
            except (DerbesError, TypeError) as exc:
                field = exc.field if isinstance(exc, DerbesError) else "representative"
                reason = exc.message if isinstance(exc, DerbesError) else \
                    "representative has unknown fields"
                yield Line(number, None, field, reason)
