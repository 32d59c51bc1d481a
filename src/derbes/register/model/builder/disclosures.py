"""Sections beyond purposes and recipients: commitments, restricted categories,
security measures, complaint routes, other law, processor roles, deletion."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from derbes.register.model.builder.common import (
    Problems,
    required_text,
    section_items,
    text,
)
from derbes.register.model.disclosures import (
    AccountDeletion,
    CategoryRestriction,
    Commitment,
    CommitmentKind,
    ComplaintRoute,
    ComplaintRouteKind,
    Disclosures,
    OtherLaw,
    ProcessorRole,
    ProtectionMeasure,
    SecurityMeasure,
)
from derbes.register.model.statement import SectionStatement


def disclosures(
    raw: Mapping[str, Any], known: Mapping[str, Any], problems: Problems,
    statements: dict[str, SectionStatement],
) -> dict[str, Any]:
    """The fields of :class:`Disclosures` but the cookie policy; ``known`` holds the
    declared categories and purposes (``{"categories": …, "purposes": …}``)."""

    def items(key: str) -> list[Any]:
        return section_items(raw, key, statements)

    return {
        "commitments": tuple(
            Commitment(CommitmentKind(c["kind"]), required_text(c["text"]), c.get("source"))
            for c in items("commitments")),
        "category_restrictions": _restrictions(items("category_restrictions"), known, problems),
        "security_measures": tuple(
            SecurityMeasure(required_text(m["text"]),
                            tuple(ProtectionMeasure(x) for x in m.get("measures", ())),
                            m.get("source"))
            for m in items("security_measures")),
        "complaint_routes": tuple(
            ComplaintRoute(ComplaintRouteKind(c["kind"]), required_text(c["name"]),
                           text(c.get("address")), c.get("source"))
            for c in items("complaint_routes")),
        "other_law": tuple(
            OtherLaw(required_text(o["law"]), required_text(o["scope"]),
                     text(o.get("regulator")), o.get("source"))
            for o in items("other_law")),
        "processor_roles": tuple(
            ProcessorRole(required_text(p["for_whom"]), required_text(p["processing"]),
                          p.get("source"))
            for p in items("processor_roles")),
        "account_deletion": tuple(
            AccountDeletion(required_text(a["how"]), text(a.get("condition")), a.get("source"))
            for a in items("account_deletion")),
    }


def _restrictions(
    declared: list[Any], known: Mapping[str, Any], problems: Problems
) -> tuple[CategoryRestriction, ...]:
    found = []
    for i, c in enumerate(declared):
        path = f"category_restrictions[{i}]"
        if c["category"] not in known["categories"]:
            problems.add(f"{path}.category", f"unknown data category {c['category']!r}")
        for j, purpose in enumerate(c["purposes"]):
            if purpose not in known["purposes"]:
                problems.add(f"{path}.purposes[{j}]", f"unknown purpose {purpose!r}")
        found.append(CategoryRestriction(c["category"], tuple(c["purposes"]),
                                         required_text(c["text"]), c.get("source")))
    return tuple(found)


def build_disclosures(fields: Mapping[str, Any], cookie_policy: Any) -> Disclosures:
    return Disclosures(cookie_policy=cookie_policy, **fields)
