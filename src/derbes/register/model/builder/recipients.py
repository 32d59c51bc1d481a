"""Recipients: to whom PD is passed, where, on which basis, what they may do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from derbes.register.model.builder.common import (
    Problems,
    basis,
    check_unique,
    plain_and_text,
    required_text,
    section_items,
    sources,
    text,
)
from derbes.register.model.register import (
    CATEGORY_NOT_DECLARED,
    CrossBorderBasis,
    CrossBorderBasisKind,
    DataCategory,
    Recipient,
    RecipientAction,
    RecipientRole,
)
from derbes.register.model.statement import SectionStatement


def recipients(
    raw: Mapping[str, Any], categories: Mapping[str, DataCategory], problems: Problems,
    statements: dict[str, SectionStatement],
) -> dict[str, Recipient]:
    declared = section_items(raw, "recipients", statements)
    check_unique(declared, "recipients", problems)
    found: dict[str, Recipient] = {}
    for i, r in enumerate(declared):
        for j, cat in enumerate(r.get("categories", ())):
            if cat not in categories:
                problems.add(f"recipients[{i}].categories[{j}]",
                             f"unknown data category {cat!r}", code=CATEGORY_NOT_DECLARED)
        found[r["id"]] = _recipient(r)
    return found


def _recipient(r: Mapping[str, Any]) -> Recipient:
    cross_border = r.get("cross_border_basis")
    country = r.get("country")
    return Recipient(
        id=r["id"],
        names=required_text(r["names"]),
        role=RecipientRole(r["role"]),
        country=None if country is None else str(country).upper(),
        actions=tuple(RecipientAction(a) for a in r.get("actions", ())),
        basis=basis(r.get("basis")),
        categories=tuple(r.get("categories", ())),
        cross_border_basis=(
            CrossBorderBasis(CrossBorderBasisKind(cross_border["kind"]),
                             *plain_and_text(cross_border.get("citation")))
            if cross_border else None
        ),
        description=text(r.get("description")),
        source=r.get("source"),
        is_class=bool(r.get("is_class", False)),
        safeguards=text(r.get("safeguards")),
        sold=bool(r.get("sold", False)),
        abroad=bool(r.get("abroad", False)),
        sources=sources({"source": r.get("source"), "sources": r.get("sources")}),
    )
