"""Changes of the operator, its databases and the policy document."""

from __future__ import annotations

from derbes.register.model.diff.changes import (
    ART_8_CONTENT,
    ART_8_SILENCE,
    ART_12,
    ART_16,
    KZ,
    Change,
    ChangeKind,
    Effect,
    Side,
)
from derbes.register.model.diff.differ import Differ, Listed, label_text
from derbes.register.model.diff.reconsent import DATABASE_ABROAD, every_scope, purpose_needs_consent


def operator(d: Differ) -> None:
    old, new = d.old.operator, d.new.operator
    identity_changed = old.id != new.id or (
        old.bin is not None and new.bin is not None and old.bin != new.bin
    )
    if identity_changed:
        field_name = "id" if old.id != new.id else "bin"
        d.add(Change(
            ChangeKind.OPERATOR_CHANGED, Effect.WIDENS, f"operator.{field_name}", Side.NEW,
            "another operator (id or BIN): every consent was given to the previous one "
            "and names it",
            citation=ART_8_CONTENT,
            before=f"{old.id} / BIN {old.bin}", after=f"{new.id} / BIN {new.bin}",
            purposes=tuple(p for p in d.new.purposes
                           if purpose_needs_consent(d.new.purposes[p])),
            reconsent=every_scope(d.new),
        ))
    elif old.bin != new.bin:
        d.add(Change(
            ChangeKind.OPERATOR_DETAILS_CHANGED, Effect.NEUTRAL, "operator.bin", Side.NEW,
            "the BIN is now stated (or no longer stated): same operator",
            before=old.bin, after=new.bin,
        ))
    d.text(old.names, new.names, "operator.names")
    details = (
        ("kind", old.kind.value, new.kind.value),
        ("legal_address", label_text(old.legal_address), label_text(new.legal_address)),
        ("contacts", repr(old.contacts), repr(new.contacts)),
        ("licence", repr(old.licence), repr(new.licence)),
        ("responsible_person", repr(old.responsible_person), repr(new.responsible_person)),
        ("sites", ", ".join(old.sites), ", ".join(new.sites)),
        ("apps", ", ".join(old.apps), ", ".join(new.apps)),
    )
    for name, before, after in details:
        if before != after:
            d.add(Change(
                ChangeKind.OPERATOR_DETAILS_CHANGED, Effect.NEUTRAL, f"operator.{name}",
                Side.NEW, f"operator {name.replace('_', ' ')} changed; processing is the "
                "same",
                before=before if name in {"kind", "sites", "apps"} else None,
                after=after if name in {"kind", "sites", "apps"} else None,
            ))
    database(d, old.primary_database_country, new.primary_database_country)
    d.listed(
        (old.copies_abroad, new.copies_abroad),
        ("operator.copies_abroad", "operator.copies_abroad"),
        gained=Listed(ChangeKind.COPIES_ABROAD_ADDED, Effect.WIDENS,
                      lambda country: f"a copy of the database is now kept in {country}: "
                      "PD goes abroad",
                      citation=f"{ART_12}; {ART_16}", reconsent=(DATABASE_ABROAD,)),
        lost=Listed(ChangeKind.COPIES_ABROAD_REMOVED, Effect.NARROWS,
                    lambda country: f"no copy of the database is kept in {country} any more",
                    citation=ART_16),
    )

def database(d: Differ, before: str | None, after: str | None) -> None:
    if before == after:
        return
    if after is None:
        effect, why = Effect.NEUTRAL, "the policy no longer says where the primary database is"
    elif after == KZ:
        effect, why = Effect.NARROWS, "the primary database comes back to Kazakhstan"
    else:
        effect = Effect.WIDENS
        why = f"the primary database moves to {after}: PD goes abroad"
    d.add(Change(
        ChangeKind.PRIMARY_DATABASE_MOVED, effect, "operator.primary_database_country",
        Side.NEW, why, citation=f"{ART_12}; {ART_16}", before=before, after=after,
        reconsent=(DATABASE_ABROAD,),
    ))


def policy(d: Differ) -> None:
    old, new = d.old.policy, d.new.policy
    for name, before, after in (
        ("version", old.version, new.version),
        ("date", old.date.isoformat() if old.date else None,
         new.date.isoformat() if new.date else None),
        ("languages", ", ".join(old.languages), ", ".join(new.languages)),
        ("url", old.url, new.url),
    ):
        if before != after:
            d.add(Change(
                ChangeKind.POLICY_CHANGED, Effect.NEUTRAL, f"policy.{name}", Side.NEW,
                f"policy {name} changed", before=before, after=after,
            ))
    old_change, new_change = old.change, new.change
    old_silence = bool(old_change and old_change.silence_means_consent)
    new_silence = bool(new_change and new_change.silence_means_consent)
    if old_silence != new_silence:
        d.add(Change(
            ChangeKind.POLICY_CHANGED, Effect.NEUTRAL,
            "policy.change.silence_means_consent", Side.NEW,
            "the policy now claims that silence after a change is consent; derbes never "
            "treats it so (lint DRB012)" if new_silence else
            "the policy no longer claims that silence after a change is consent",
            citation=ART_8_SILENCE, before=str(old_silence).lower(),
            after=str(new_silence).lower(),
        ))
    d.text(
        old_change.method if old_change else None,
        new_change.method if new_change else None,
        "policy.change.method",
    )
