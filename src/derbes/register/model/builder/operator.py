"""The operator and the policy document."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from derbes.platform.labels import Lang
from derbes.register.model.builder.common import (
    Problems,
    a_date,
    plain_and_text,
    required_text,
    section_items,
    sources,
    text,
)
from derbes.register.model.disclosures import Approval, Edition
from derbes.register.model.register import (
    Contacts,
    Licence,
    Operator,
    OperatorKind,
    Policy,
    PolicyChange,
    ResponsiblePerson,
    Text,
)
from derbes.register.model.statement import SectionStatement


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


def _country(raw: Any) -> str | None:
    return None if raw is None else str(raw).upper()


def operator(
    op: Mapping[str, Any], problems: Problems, check_bin: Callable[[str], object] | None,
    statements: dict[str, SectionStatement],
) -> Operator:
    if check_bin is not None and op.get("bin") is not None:
        try:
            check_bin(str(op["bin"]))
        except Exception as exc:
            problems.add("operator.bin", f"invalid BIN: {getattr(exc, 'message', exc)}")
    contacts = op.get("contacts", {})
    copies = section_items(op, "copies_abroad", statements, "operator.copies_abroad")
    return Operator(
        id=op["id"],
        names=required_text(op["names"]),
        bin=None if op.get("bin") is None else str(op["bin"]),
        kind=OperatorKind(op["kind"]),
        legal_address=text(op.get("legal_address")),
        contacts=Contacts(
            email=contacts.get("email"),
            phone=contacts.get("phone"),
            postal_address=text(contacts.get("postal_address")),
            website=contacts.get("website"),
        ),
        primary_database_country=_country(op.get("primary_database_country")),
        sites=tuple(op.get("sites", ())),
        apps=tuple(op.get("apps", ())),
        licence=_licence(op.get("licence"), problems),
        responsible_person=_responsible(op.get("responsible_person")),
        copies_abroad=tuple(str(c).upper() for c in copies),
        other_kinds=tuple(OperatorKind(k) for k in op.get("other_kinds", ())),
        sources=sources({"sources": op.get("sources")}),
    )


def _edition(raw: Mapping[str, Any], path: str, problems: Problems) -> Edition:
    plain, labels = plain_and_text(raw.get("version"))
    return Edition(
        lang=Lang(raw["lang"]),
        version=labels or (None if plain is None else Text(plain, plain, plain)),
        date=a_date(raw["date"], f"{path}.date", problems) if raw.get("date") else None,
        url=raw.get("url"),
        source=raw.get("source"),
    )


def _approval(raw: Mapping[str, Any] | None, problems: Problems) -> Approval | None:
    if not raw:
        return None
    return Approval(
        body=required_text(raw["body"]),
        document=text(raw.get("document")),
        date=a_date(raw["date"], "policy.approval.date", problems) if raw.get("date") else None,
        place=text(raw.get("place")),
        source=raw.get("source"),
    )


def policy(pol: Mapping[str, Any], problems: Problems) -> Policy:
    change = pol.get("change")
    version, labels = plain_and_text(pol.get("version"))
    editions = pol.get("editions", ())
    seen: set[str] = set()
    for i, e in enumerate(editions):
        if e["lang"] in seen:
            problems.add(f"policy.editions[{i}].lang", f"two editions in {e['lang']!r}")
        seen.add(e["lang"])
    return Policy(
        title=text(pol.get("title")),
        version=version,
        date=a_date(pol["date"], "policy.date", problems) if pol.get("date") else None,
        languages=tuple(Lang(x) for x in pol.get("languages", ())),
        url=pol.get("url"),
        change=(
            PolicyChange(
                method=required_text(change["method"]),
                silence_means_consent=bool(change.get("silence_means_consent", False)),
                source=change.get("source"),
            )
            if change else None
        ),
        version_labels=labels,
        editions=tuple(_edition(e, f"policy.editions[{i}]", problems)
                       for i, e in enumerate(editions)),
        approval=_approval(pol.get("approval"), problems),
        sources=sources(pol),
    )
