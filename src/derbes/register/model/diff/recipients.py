"""Changes of recipients: new, gone, abroad, what they receive and may do."""

from __future__ import annotations

from derbes.register.model.diff.changes import (
    ART_8,
    ART_8_CONTENT,
    ART_9,
    ART_16,
    Change,
    ChangeKind,
    Effect,
    ReconsentScope,
    Side,
)
from derbes.register.model.diff.differ import (
    Differ,
    Listed,
    added,
    basis_effect,
    basis_text,
    cross_border_rank,
    cross_border_text,
)
from derbes.register.model.diff.reconsent import abroad_scopes, transfer_scopes
from derbes.register.model.register import Recipient, RecipientRole


def recipients(d: Differ) -> None:
    old, new = d.old.recipients, d.new.recipients
    for rid, recipient in new.items():
        if rid not in old:
            users = d.new.purposes_of_recipient(rid)
            scopes = [s for p in users for s in transfer_scopes(p, recipient)]
            where = f" in {recipient.country}" if recipient.cross_border else ""
            d.add(Change(
                ChangeKind.RECIPIENT_ADDED, Effect.WIDENS if users else Effect.NEUTRAL,
                d.new.recipient_path(rid), Side.NEW,
                f"new recipient {rid}{where} ({recipient.role.value}), named by "
                f"{', '.join(p.id for p in users)}" if users else
                f"new recipient {rid} declared; no purpose discloses PD to it",
                citation=f"{ART_8_CONTENT}; {ART_16}" if recipient.cross_border
                else ART_8_CONTENT,
                item=rid, purposes=tuple(p.id for p in users), reconsent=tuple(scopes),
                after=recipient.country,
            ))
        else:
            recipient_changed(d, old[rid], recipient)
    for rid, recipient in old.items():
        if rid not in new:
            users = d.old.purposes_of_recipient(rid)
            d.add(Change(
                ChangeKind.RECIPIENT_REMOVED, Effect.NARROWS if users else Effect.NEUTRAL,
                d.old.recipient_path(rid), Side.OLD,
                f"recipient {rid} no longer receives PD", item=rid,
                purposes=tuple(p.id for p in users), before=recipient.country,
            ))


_About = tuple[str, str, tuple[str, ...], tuple[ReconsentScope, ...]]


def _about(d: Differ, new: Recipient) -> _About:
    """The recipient's id and path, the purposes disclosing to it, the transfer scopes."""
    users = d.new.purposes_of_recipient(new.id)
    transfer = tuple(s for p in users for s in transfer_scopes(p, new))
    return new.id, d.new.recipient_path(new.id), tuple(p.id for p in users), transfer


def recipient_changed(d: Differ, old: Recipient, new: Recipient) -> None:
    _where_and_what(d, old, new)
    _role_and_actions(d, old, new)
    _bases(d, old, new)
    _, path, ids, _ = _about(d, new)
    d.text(old.names, new.names, f"{path}.names", ids)
    d.text(old.description, new.description, f"{path}.description", ids)
    d.text(old.basis.note, new.basis.note, f"{path}.basis.note", ids)


def _where_and_what(d: Differ, old: Recipient, new: Recipient) -> None:
    """Where the recipient is (abroad or not), and which PD it receives."""
    rid, path, ids, transfer = _about(d, new)
    users = d.new.purposes_of_recipient(rid)
    if old.country != new.country:
        abroad = tuple(s for p in users for s in abroad_scopes(p, new))
        if not old.cross_border:
            d.add(Change(
                ChangeKind.RECIPIENT_BECAME_CROSS_BORDER, Effect.WIDENS, f"{path}.country",
                Side.NEW, f"recipient {rid} is now in {new.country}: transfers to it are "
                f"cross-border (basis: {cross_border_text(new.cross_border_basis)})",
                citation=ART_16, item=rid, purposes=ids,
                before=old.country, after=new.country, reconsent=abroad,
            ))
        elif not new.cross_border:
            d.add(Change(
                ChangeKind.RECIPIENT_NO_LONGER_CROSS_BORDER, Effect.NARROWS,
                f"{path}.country", Side.NEW,
                f"recipient {rid} is now in Kazakhstan: no cross-border transfer",
                citation=ART_16, item=rid, purposes=ids,
                before=old.country, after=new.country,
            ))
        else:
            d.add(Change(
                ChangeKind.RECIPIENT_COUNTRY_CHANGED, Effect.WIDENS, f"{path}.country",
                Side.NEW, f"recipient {rid} moves to another state ({new.country}); "
                "the protection there is not the one consented to",
                citation=ART_16, item=rid, purposes=ids,
                before=old.country, after=new.country, reconsent=abroad,
            ))
    d.listed(
        (old.categories, new.categories),
        (f"{d.old.recipient_path(rid)}.categories", f"{path}.categories"),
        gained=Listed(ChangeKind.CATEGORY_ADDED_TO_RECIPIENT, Effect.WIDENS,
                      lambda cat: f"recipient {rid} now also receives {cat}",
                      citation=ART_8_CONTENT, reconsent=transfer),
        lost=Listed(ChangeKind.CATEGORY_REMOVED_FROM_RECIPIENT, Effect.NARROWS,
                    lambda cat: f"recipient {rid} no longer receives {cat}"),
        purposes=ids,
    )

def _role_and_actions(d: Differ, old: Recipient, new: Recipient) -> None:
    """The recipient's role and what it may do with the PD."""
    rid, path, ids, transfer = _about(d, new)
    if old.role != new.role:
        processor = RecipientRole.PROCESSOR
        if old.role is processor:
            effect, why = Effect.WIDENS, "no longer acts on the operator's instruction"
        elif new.role is processor:
            effect, why = Effect.NARROWS, "now acts only on the operator's instruction"
        else:
            effect, why = Effect.NEUTRAL, "is an independent recipient either way"
        d.add(Change(
            ChangeKind.RECIPIENT_ROLE_CHANGED, effect, f"{path}.role", Side.NEW,
            f"recipient {rid} {why}", citation="seed 001 p.2.3", item=rid, purposes=ids,
            before=old.role.value, after=new.role.value, reconsent=transfer,
        ))
    gained = added(old.actions, new.actions)
    lost = added(new.actions, old.actions)
    if gained:
        d.add(Change(
            ChangeKind.RECIPIENT_ACTIONS_ADDED, Effect.WIDENS, f"{path}.actions", Side.NEW,
            f"recipient {rid} may now also {', '.join(a.value for a in gained)} PD",
            item=rid, purposes=ids, before=", ".join(a.value for a in old.actions),
            after=", ".join(a.value for a in new.actions), reconsent=transfer,
        ))
    if lost:
        d.add(Change(
            ChangeKind.RECIPIENT_ACTIONS_REMOVED, Effect.NARROWS, f"{path}.actions",
            Side.NEW,
            f"recipient {rid} may no longer {', '.join(a.value for a in lost)} PD",
            item=rid, purposes=ids, before=", ".join(a.value for a in old.actions),
            after=", ".join(a.value for a in new.actions),
        ))


def _bases(d: Differ, old: Recipient, new: Recipient) -> None:
    """The bases of transfers to the recipient, at home and abroad."""
    rid, path, ids, _ = _about(d, new)
    if old.basis.kind != new.basis.kind:
        effect = basis_effect(old.basis.kind, new.basis.kind)
        d.add(Change(
            ChangeKind.RECIPIENT_BASIS_CHANGED, effect, f"{path}.basis.kind", Side.NEW,
            f"transfers to {rid} rest on another basis"
            + (": the subject's refusal may no longer stop them; subjects must be notified"
               if effect is Effect.WIDENS else ""),
            citation=f"{ART_8}; {ART_9}", item=rid, purposes=ids,
            before=basis_text(old.basis), after=basis_text(new.basis),
        ))
    elif old.basis.citation != new.basis.citation:
        d.add(Change(
            ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, f"{path}.basis.citation", Side.NEW,
            f"the citation of the basis of transfers to {rid} changed", item=rid,
            before=old.basis.citation, after=new.basis.citation,
        ))
    # A recipient that just moved abroad states its basis with the move (above).
    if old.cross_border and new.cross_border and (
            old.cross_border_basis != new.cross_border_basis):
        a, b = cross_border_rank(old.cross_border_basis), cross_border_rank(new.cross_border_basis)
        effect = Effect.WIDENS if b > a else Effect.NARROWS if b < a else Effect.NEUTRAL
        d.add(Change(
            ChangeKind.CROSS_BORDER_BASIS_CHANGED, effect, f"{path}.cross_border_basis",
            Side.NEW,
            f"transfers abroad to {rid} "
            + {Effect.WIDENS: "no longer wait for the subject's consent; subjects must be "
               "notified", Effect.NARROWS: "now need the subject's consent",
               Effect.NEUTRAL: "rest on another stated basis"}[effect],
            citation=ART_16, item=rid, purposes=ids,
            before=cross_border_text(old.cross_border_basis),
            after=cross_border_text(new.cross_border_basis),
        ))
