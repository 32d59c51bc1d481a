"""Changes of purposes: their PD, subjects, recipients, sources, basis and flags."""

from __future__ import annotations

from derbes.register.model.diff.changes import (
    ART_8,
    ART_8_CONTENT,
    ART_9,
    ART_16,
    ART_24,
    Change,
    ChangeKind,
    Effect,
    Side,
)
from derbes.register.model.diff.differ import Differ, Listed, added, basis_effect, basis_text
from derbes.register.model.diff.reconsent import (
    processing_scopes,
    purpose_needs_consent,
    transfer_scopes,
)
from derbes.register.model.diff.retention import retention
from derbes.register.model.register import Purpose


def purposes(d: Differ) -> None:
    old, new = d.old.purposes, d.new.purposes
    for pid, purpose in new.items():
        if pid not in old:
            purpose_added(d, purpose)
        else:
            purpose_changed(d, old[pid], purpose)
    for pid in old:
        if pid not in new:
            d.add(Change(
                ChangeKind.PURPOSE_REMOVED, Effect.NARROWS, d.old.purpose_path(pid),
                Side.OLD, f"purpose {pid} is no longer pursued", citation=ART_24, item=pid,
                purposes=(pid,),
            ))


def purpose_added(d: Differ, purpose: Purpose) -> None:
    scopes = list(processing_scopes(purpose))
    for rid in purpose.recipients:
        scopes.extend(transfer_scopes(purpose, d.new.recipients[rid]))
    if scopes:
        why = (f"new purpose {purpose.id} on basis {purpose.basis.kind.value}: its own "
               "consent is needed; no existing consent covers it")
    else:
        why = (f"new purpose {purpose.id} on basis {basis_text(purpose.basis)}: no "
               "consent is needed, subjects must be notified")
    d.add(Change(
        ChangeKind.PURPOSE_ADDED, Effect.WIDENS, d.new.purpose_path(purpose.id), Side.NEW,
        why, citation=ART_8 if scopes else ART_9, item=purpose.id, purposes=(purpose.id,),
        reconsent=tuple(scopes),
    ))


def purpose_changed(d: Differ, old: Purpose, new: Purpose) -> None:
    pid, path = new.id, d.new.purpose_path(new.id)
    mine = (pid,)
    _what_and_whom(d, old, new)
    _to_whom_and_from_where(d, old, new)
    if set(old.methods) != set(new.methods):
        d.add(Change(
            ChangeKind.METHODS_CHANGED, Effect.NEUTRAL, f"{path}.methods", Side.NEW,
            f"methods of processing for {pid} changed", purposes=mine,
            before=", ".join(old.methods), after=", ".join(new.methods),
        ))
    basis(d, old, new, path)
    retention(d, old, new, path)
    purpose_flags(d, old, new, path)
    d.text(old.labels, new.labels, f"{path}.labels", mine)
    d.text(old.description, new.description, f"{path}.description", mine)
    if old.clause != new.clause:
        d.add(Change(
            ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, f"{path}.clause", Side.NEW,
            "the policy clause reference changed", before=old.clause, after=new.clause,
            purposes=mine,
        ))


def _what_and_whom(d: Differ, old: Purpose, new: Purpose) -> None:
    """The PD a purpose processes and the subjects it concerns."""
    pid, path, old_path = new.id, d.new.purpose_path(new.id), d.old.purpose_path(old.id)
    mine = (pid,)
    d.listed(
        (old.categories, new.categories), (f"{old_path}.categories", f"{path}.categories"),
        gained=Listed(ChangeKind.CATEGORY_ADDED_TO_PURPOSE, Effect.WIDENS,
                      lambda cat: f"purpose {pid} now also processes {cat}: consent covered "
                      "the old list of PD",
                      citation=ART_8_CONTENT, reconsent=processing_scopes(new)),
        lost=Listed(ChangeKind.CATEGORY_REMOVED_FROM_PURPOSE, Effect.NARROWS,
                    lambda cat: f"purpose {pid} no longer processes {cat}"),
        purposes=mine,
    )
    d.listed(
        (old.subjects, new.subjects), (f"{old_path}.subjects", f"{path}.subjects"),
        gained=Listed(ChangeKind.SUBJECTS_ADDED_TO_PURPOSE, Effect.WIDENS,
                      lambda subj: f"purpose {pid} now also concerns subjects of category "
                      f"{subj}; they give their own consent, existing consents are not "
                      "touched"),
        lost=Listed(ChangeKind.SUBJECTS_REMOVED_FROM_PURPOSE, Effect.NARROWS,
                    lambda subj: f"purpose {pid} no longer concerns subjects of category "
                    f"{subj}"),
        purposes=mine,
    )

def _to_whom_and_from_where(d: Differ, old: Purpose, new: Purpose) -> None:
    """The recipients a purpose discloses to and the sources it collects from."""
    pid, path, old_path = new.id, d.new.purpose_path(new.id), d.old.purpose_path(old.id)
    mine = (pid,)
    for rid in added(old.recipients, new.recipients):
        recipient = d.new.recipients[rid]
        where = " abroad" if recipient.cross_border else ""
        d.add(Change(
            ChangeKind.RECIPIENT_ADDED_TO_PURPOSE, Effect.WIDENS,
            f"{path}.recipients[{new.recipients.index(rid)}]", Side.NEW,
            f"purpose {pid} now discloses PD to {rid}{where} "
            f"({recipient.role.value}, basis {recipient.basis.kind.value})",
            citation=f"{ART_8_CONTENT}; {ART_16}" if recipient.cross_border
            else ART_8_CONTENT, item=rid, purposes=mine,
            reconsent=transfer_scopes(new, recipient),
        ))
    for rid in added(new.recipients, old.recipients):
        d.add(Change(
            ChangeKind.RECIPIENT_REMOVED_FROM_PURPOSE, Effect.NARROWS,
            f"{old_path}.recipients[{old.recipients.index(rid)}]", Side.OLD,
            f"purpose {pid} no longer discloses PD to {rid}", item=rid, purposes=mine,
        ))
    d.listed(
        (old.data_sources, new.data_sources),
        (f"{old_path}.data_sources", f"{path}.data_sources"),
        gained=Listed(ChangeKind.SOURCE_ADDED_TO_PURPOSE, Effect.WIDENS,
                      lambda src: f"purpose {pid} now also collects PD from {src}",
                      citation=ART_24, reconsent=processing_scopes(new)),
        lost=Listed(ChangeKind.SOURCE_REMOVED_FROM_PURPOSE, Effect.NARROWS,
                    lambda src: f"purpose {pid} no longer collects PD from {src}"),
        purposes=mine,
    )

def basis(d: Differ, old: Purpose, new: Purpose, path: str) -> None:
    pid, mine = new.id, (new.id,)
    if old.basis.kind != new.basis.kind:
        effect = basis_effect(old.basis.kind, new.basis.kind)
        why = {
            Effect.WIDENS: "the subject controls processing less under the new basis "
            "(withdrawing consent may no longer stop it); subjects must be notified",
            Effect.NARROWS: "the subject controls processing more under the new basis",
            Effect.NEUTRAL: "a basis of the same kind (a law) replaces the other",
        }[effect]
        d.add(Change(
            ChangeKind.BASIS_CHANGED, effect, f"{path}.basis.kind", Side.NEW,
            f"basis of {pid} changed: {why}", citation=f"{ART_8}; {ART_9}",
            purposes=mine, before=basis_text(old.basis), after=basis_text(new.basis),
        ))
    elif old.basis.citation != new.basis.citation:
        d.add(Change(
            ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, f"{path}.basis.citation", Side.NEW,
            f"the citation of the basis of {pid} changed", purposes=mine,
            before=old.basis.citation, after=new.basis.citation,
        ))
    d.text(old.basis.note, new.basis.note, f"{path}.basis.note", mine)
    if purpose_needs_consent(old) != purpose_needs_consent(new):
        if purpose_needs_consent(new):
            effect = Effect.NARROWS
            why = (f"{pid} now needs consent: subjects who have not given it are denied; "
                   "no consent is presumed")
        else:
            effect = Effect.WIDENS
            why = (f"{pid} no longer needs consent: processing goes on without the "
                   "subject's agreement; subjects must be notified")
        d.add(Change(
            ChangeKind.CONSENT_REQUIREMENT_CHANGED, effect, f"{path}.consent_required",
            Side.NEW, why, citation=ART_8, purposes=mine,
            before=str(old.consent_required).lower(),
            after=str(new.consent_required).lower(),
        ))
    elif old.consent_required != new.consent_required:
        d.add(Change(
            ChangeKind.CONSENT_REQUIREMENT_CHANGED, Effect.NEUTRAL,
            f"{path}.consent_required", Side.NEW,
            f"{pid} rests on consent either way (basis consent)", citation=ART_8,
            purposes=mine, before=str(old.consent_required).lower(),
            after=str(new.consent_required).lower(),
        ))


def purpose_flags(d: Differ, old: Purpose, new: Purpose, path: str) -> None:
    pid, mine = new.id, (new.id,)
    if old.automated_decision != new.automated_decision:
        if new.automated_decision:
            d.add(Change(
                ChangeKind.AUTOMATED_DECISION_INTRODUCED, Effect.WIDENS,
                f"{path}.automated_decision", Side.NEW,
                f"decisions for {pid} are now made automatically",
                citation=f"{ART_24}; seed 002 p.5.3", purposes=mine,
                before="false", after="true", reconsent=processing_scopes(new),
            ))
        else:
            d.add(Change(
                ChangeKind.AUTOMATED_DECISION_DROPPED, Effect.NARROWS,
                f"{path}.automated_decision", Side.NEW,
                f"decisions for {pid} are no longer made automatically",
                citation=ART_24, purposes=mine, before="true", after="false",
            ))
    if old.exhaustive != new.exhaustive:
        if not new.exhaustive:
            d.add(Change(
                ChangeKind.DATA_LIST_OPENED, Effect.WIDENS, f"{path}.exhaustive", Side.NEW,
                f"the list of PD for {pid} is no longer exhaustive (\"other information\")",
                citation=f"{ART_8_CONTENT}; lint DRB006", purposes=mine,
                before="true", after="false", reconsent=processing_scopes(new),
            ))
        else:
            d.add(Change(
                ChangeKind.DATA_LIST_CLOSED, Effect.NARROWS, f"{path}.exhaustive", Side.NEW,
                f"the list of PD for {pid} is now exhaustive", citation=ART_8_CONTENT,
                purposes=mine, before="false", after="true",
            ))
    if old.task != new.task:
        d.add(Change(
            ChangeKind.PURPOSE_TASK_CHANGED, Effect.NEUTRAL, f"{path}.task", Side.NEW,
            f"{pid} is filed under another task", purposes=mine,
            before=old.task, after=new.task,
        ))
    if set(old.consent_bundled_with) != set(new.consent_bundled_with):
        d.add(Change(
            ChangeKind.CONSENT_BUNDLING_CHANGED, Effect.NEUTRAL,
            f"{path}.consent_bundled_with", Side.NEW,
            f"the purposes whose acceptance collects consent for {pid} changed "
            "(lint DRB013 judges bundling)", citation=ART_8, purposes=mine,
            before=", ".join(old.consent_bundled_with),
            after=", ".join(new.consent_bundled_with),
        ))
