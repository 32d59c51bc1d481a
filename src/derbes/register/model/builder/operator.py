"""The operator and the policy document."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from derbes.platform.labels import Lang
from derbes.register.model.builder.common import Problems, a_date, required_text, text
from derbes.register.model.register import (
    Contacts,
    Licence,
    Operator,
    OperatorKind,
    Policy,
    PolicyChange,
    ResponsiblePerson,
)


def _licence(raw: Mapping[str, Any] | None, problems: Problems) -> Licence | None:
    if not raw:
        return None
    issued_on = (
        a_date(raw["issued_on"], "operator.licence.issued_on", problems)
        if raw.get("issued_on") else None
    )
    return Licence(raw["number"], required_text(raw["issued_by"]), issued_on)


def _responsible(raw: Mapping[str, Any] | None) -> ResponsiblePerson | None:
    if not raw:
        return None
    return ResponsiblePerson(
        role=required_text(raw["role"]), name=raw.get("name"), email=raw.get("email"),
        phone=raw.get("phone"),
    )


def operator(
    op: Mapping[str, Any], problems: Problems, check_bin: Callable[[str], object] | None
) -> Operator:
    if check_bin is not None and op.get("bin") is not None:
        try:
            check_bin(str(op["bin"]))
        except Exception as exc:
            problems.add("operator.bin", f"invalid BIN: {getattr(exc, 'message', exc)}")
    contacts = op.get("contacts", {})
    return Operator(
        id=op["id"],
        names=required_text(op["names"]),
        bin=None if op.get("bin") is None else str(op["bin"]),
        kind=OperatorKind(op["kind"]),
        legal_address=required_text(op["legal_address"]),
        contacts=Contacts(
            email=contacts.get("email"),
            phone=contacts.get("phone"),
            postal_address=text(contacts.get("postal_address")),
            website=contacts.get("website"),
        ),
        primary_database_country=str(op["primary_database_country"]).upper(),
        sites=tuple(op.get("sites", ())),
        apps=tuple(op.get("apps", ())),
        licence=_licence(op.get("licence"), problems),
        responsible_person=_responsible(op.get("responsible_person")),
        copies_abroad=tuple(str(c).upper() for c in op.get("copies_abroad", ())),
    )


def policy(pol: Mapping[str, Any], problems: Problems) -> Policy:
    change = pol.get("change")
    return Policy(
        version=str(pol["version"]),
        date=a_date(pol["date"], "policy.date", problems) or date.min,
        languages=tuple(Lang(x) for x in pol.get("languages", ("ru",))),
        source=pol.get("source"),
        change=(
            PolicyChange(
                method=required_text(change["method"]),
                silence_means_consent=bool(change.get("silence_means_consent", False)),
                clause=change.get("clause"),
            )
            if change else None
        ),
    )
