"""Purposes: what PD each one needs, on which basis, for how long, passed to whom."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from derbes.register.model.builder.common import (
    Problems,
    basis,
    check_unique,
    period,
    plain_and_text,
    required_text,
    sources,
    text,
)
from derbes.register.model.register import (
    CATEGORY_NOT_DECLARED,
    AchievedWhen,
    AfterRetention,
    BasisKind,
    DataSourceKind,
    ProcessingMethod,
    Purpose,
    Retention,
    RetentionTrigger,
)

# Without a stated basis the law's default applies: consent (Law 94-V Art. 7, 8;
# Art. 9 lists the cases without it).
_CONSENT_BY_DEFAULT = (BasisKind.CONSENT, BasisKind.NOT_STATED)


class Known:
    """The ids a purpose may refer to."""

    def __init__(self, tasks: Mapping[str, object], categories: Mapping[str, object],
                 subjects: Mapping[str, object], recipients: Mapping[str, object]) -> None:
        self.tasks, self.categories = tasks, categories
        self.subjects, self.recipients = subjects, recipients


def purposes(raw: Mapping[str, Any], known: Known, problems: Problems) -> dict[str, Purpose]:
    declared = raw.get("purposes", [])
    check_unique(declared, "purposes", problems)
    found: dict[str, Purpose] = {}
    for i, p in enumerate(declared):
        path = f"purposes[{i}]"
        _check_references(p, path, known, problems)
        if (p.get("basis") or {}).get("kind") == BasisKind.OPERATOR_CONTRACT.value:
            problems.add(f"{path}.basis.kind", "operator_contract is a recipient's basis "
                         "(a contract between the operator and the recipient); a purpose "
                         "needs its own basis")
        found[p["id"]] = _purpose(p, _retention(p.get("retention"), path, problems))
    for i, p in enumerate(declared):
        for j, other in enumerate(p.get("consent_bundled_with", ())):
            if other not in found:
                problems.add(f"purposes[{i}].consent_bundled_with[{j}]",
                             f"unknown purpose {other!r}")
    return found


def _check_references(p: Mapping[str, Any], path: str, known: Known, problems: Problems) -> None:
    if p["task"] not in known.tasks:
        problems.add(f"{path}.task", f"unknown task {p['task']!r}")
    for j, cat in enumerate(p.get("categories", ())):
        if cat not in known.categories:
            problems.add(f"{path}.categories[{j}]", f"unknown data category {cat!r}",
                         code=CATEGORY_NOT_DECLARED)
    for j, subj in enumerate(p.get("subjects", ())):
        if subj not in known.subjects:
            problems.add(f"{path}.subjects[{j}]", f"unknown subject category {subj!r}")
    for j, rec in enumerate(p.get("recipients", ())):
        if rec not in known.recipients:
            problems.add(f"{path}.recipients[{j}]", f"unknown recipient {rec!r}")


def _retention(raw: Mapping[str, Any] | None, path: str, problems: Problems) -> Retention | None:
    if raw is None:
        return None
    length = period(raw["period"], f"{path}.retention.period", problems)
    if length is None:
        return None
    cited, cite = plain_and_text(raw.get("citation"))
    retention = Retention(
        trigger=RetentionTrigger(raw["trigger"]),
        period=length,
        citation=cited or "",
        cite=cite,
        then=AfterRetention(raw.get("then", "destroy")),
        note=text(raw.get("note")),
        condition=text(raw.get("condition")),
        source=raw.get("source"),
        achieved_when=AchievedWhen(raw["achieved_when"]) if raw.get("achieved_when") else None,
    )
    if (retention.achieved_when is not None
            and retention.trigger is not RetentionTrigger.PURPOSE_ACHIEVED):
        problems.add(f"{path}.retention.achieved_when",
                     "achieved_when is given only with trigger purpose_achieved")
    return retention


def _purpose(p: Mapping[str, Any], retention: Retention | None) -> Purpose:
    legal_basis = basis(p.get("basis"))
    automated = p.get("automated_decision")
    return Purpose(
        id=p["id"],
        task=p["task"],
        labels=required_text(p["labels"]),
        categories=tuple(p.get("categories", ())),
        subjects=tuple(p.get("subjects", ())),
        basis=legal_basis,
        consent_required=bool(p.get("consent_required", legal_basis.kind in _CONSENT_BY_DEFAULT)),
        retention=retention,
        recipients=tuple(p.get("recipients", ())),
        automated_decision=None if automated is None else bool(automated),
        exhaustive=bool(p.get("exhaustive", True)),
        description=text(p.get("description")),
        source=p.get("source"),
        data_sources=tuple(DataSourceKind(s) for s in p.get("data_sources", ())),
        methods=tuple(ProcessingMethod(m) for m in p.get("methods", ())),
        consent_bundled_with=tuple(p.get("consent_bundled_with", ())),
        sources=sources({"source": p.get("source"), "sources": p.get("sources")}),
    )
