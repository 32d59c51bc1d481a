"""The access answer (Law 94-V Art. 24): everything held about the subject, and why.

Whether PD is held, purposes, sources, methods, the PD with values (vault and
operator databases), processing and retention periods per purpose, recipients
(declared, and those the transfer log shows were given the data), cross-border
transfers. A store that is down keeps the request open and says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from derbes.context import Context
from derbes.datasets.model import IdentityKind, SubjectRows, store_identity
from derbes.datasets.ports import OperatorStore, StoreOpener, no_stores, opened_stores
from derbes.errors import ConfigurationError, DerbesError, NotFoundError, StoreUnavailableError
from derbes.register.model.register import BasisKind, Register
from derbes.requests.model import RequestType, SubjectRequest
from derbes.requests.service.sealing import json_safe, open_with, request_key
from derbes.requests.service.transitions import answered, begin, on_behalf, pending, register_in
from derbes.retention.model.clocks import PurposeClock
from derbes.retention.service import sweep as retention
from derbes.vault.model import SUBJECT_ACCESS_REQUEST
from derbes.vault.service import subjects as vault_service

__all__ = ["AccessAnswer", "answer_access"]

Collected = Sequence[tuple[OperatorStore, SubjectRows]]


@dataclass(frozen=True)
class AccessAnswer:
    """What an answer returns to the caller: the stored request and the full answer
    (which may list PD values: never logged, stored only sealed)."""

    request: SubjectRequest
    answer: Mapping[str, Any] = field(repr=False)


# Vault categories that name the subject in the operator's databases.
_IDENTITY_CATEGORIES = {"identity.iin": IdentityKind.IIN, "contact.phone": IdentityKind.PHONE,
                        "contact.email": IdentityKind.EMAIL,
                        "account.customer_id": IdentityKind.CUSTOMER_ID}


def identities(payload_ids: Mapping[str, str], vault_values: Sequence[vault_service.ReadValue]
               ) -> dict[IdentityKind, str]:
    """How the subject is named: as the requester gave it, then as the vault holds it."""
    out: dict[IdentityKind, str] = {}
    for kind, value in payload_ids.items():
        out.setdefault(IdentityKind(kind), value)
    for v in vault_values:
        wanted = _IDENTITY_CATEGORIES.get(v.category)
        if wanted is not None and isinstance(v.value, str):
            out.setdefault(wanted, v.value)
    return out


def store_failed(exc: DerbesError, store_id: str | None) -> str:
    """Why the request waits: the store that failed, when it is known (a store whose
    connection cannot even be set up, e.g. its URL variable is missing, has none yet)."""
    named = getattr(exc, "store", None) or store_id
    if isinstance(named, str) and named:
        return f"operator database {named!r}: {exc.message}"
    return f"the operator's databases could not be opened: {exc.message}"


def vault_view(ctx: Context, request: SubjectRequest) -> vault_service.SubjectView | None:
    if request.subject_id is None:
        return None
    try:
        return vault_service.read_subject(
            on_behalf(ctx, request.operator_id, request.id), request.subject_id,
            SUBJECT_ACCESS_REQUEST)
    except NotFoundError:  # destroyed since: nothing held in the vault
        return None


def labels(found: Any) -> dict[str, str]:
    return dict(found.as_dict())


def operator_of(register: Register) -> dict[str, Any]:
    return {"id": register.operator.id, "names": labels(register.operator.names),
            "bin": register.operator.bin}


def answer_access(ctx: Context, request_id: str, *, stores: StoreOpener = no_stores
                  ) -> AccessAnswer:
    """Everything Art. 24 lists; a store that is down keeps the request open."""
    request = begin(ctx, request_id, (RequestType.ACCESS,))
    key = request_key(ctx.keystore, request.id)  # once: opens the payload, seals the answer
    given = open_with(key, request, "payload", request.payload_sealed) or {}
    transfers: Sequence[Any] = []
    with ctx.uow as uow:
        register = register_in(uow, request.operator_id)
        if request.subject_id is not None:
            transfers = uow.transfers.for_subject(request.subject_id, limit=1000)
    view = vault_view(ctx, request)
    known = identities(given.get("identifiers", {}), list(view.values) if view else [])
    collected = _collect(ctx, request, register, stores, known)
    found_clocks: retention.SubjectClocks | None = None
    if request.subject_id is not None:
        with ctx.uow as uow:
            subject = uow.vault.get(request.subject_id)
            if subject is not None and not subject.destroyed:
                found_clocks = retention.clocks_of(uow, subject.id, register,
                                                   calendars=ctx.rules.calendars)
    full = _Answer(register, found_clocks, ctx.now()).build(request, view, collected, transfers)
    after = answered(ctx, request, _summary(full), full, key=key)
    return AccessAnswer(after, full)


def _collect(ctx: Context, request: SubjectRequest, register: Register, stores: StoreOpener,
             known: Mapping[IdentityKind, str]) -> list[tuple[OperatorStore, SubjectRows]]:
    collected: list[tuple[OperatorStore, SubjectRows]] = []
    current: str | None = None
    try:
        with opened_stores(stores, request.operator_id, register) as opened:
            for store in opened:
                current = store.dataset.store.id
                identity = store_identity(store.dataset, known)
                if identity is not None:
                    collected.append((store, store.collect(identity)))
    except (StoreUnavailableError, ConfigurationError) as exc:
        pending(ctx, request, store_failed(exc, current))
        raise
    return collected


def _purpose_clock(clock: PurposeClock | None) -> dict[str, Any]:
    if clock is None:
        return {"state": None, "until": None, "since": None}
    return {"state": clock.state.value,
            "until": clock.end_date.isoformat() if clock.end_date else None,
            "since": clock.trigger_date.isoformat() if clock.trigger_date else None}


def _transfer_out(t: Any) -> dict[str, Any]:
    return {
        "id": t.id, "at": t.at.isoformat(), "recipient": t.recipient_id, "purpose": t.purpose,
        "categories": list(t.categories), "basis_kind": t.basis_kind,
        "law_citation": t.law_citation, "state_body": t.state_body,
        "request_number": t.request_number,
        "request_date": t.request_date.isoformat() if t.request_date else None,
    }


class _Answer:
    """The Art. 24 answer. Purposes are those the subject is in now, each with the end
    date of its clock (the one clock rule, as the sweep); recipients and cross-border
    transfers come from the register: of those purposes, and those the register names
    for no purpose in particular."""

    def __init__(self, register: Register, clocks: retention.SubjectClocks | None,
                 now: datetime) -> None:
        self.register = register
        self.clocks = clocks
        self.now = now
        self.all_clocks: Mapping[str, PurposeClock] = clocks.purposes if clocks else {}
        self.in_force = {pid: c for pid, c in self.all_clocks.items()
                         if not c.expired_on(now.date())}
        self.categories: dict[str, dict[str, Any]] = {}
        self.sources: dict[str, None] = {}
        self.methods: dict[str, None] = {}

    def build(self, request: SubjectRequest, view: vault_service.SubjectView | None,
              collected: Collected, transfers: Sequence[Any]) -> dict[str, Any]:
        self._vault_values(view)
        stores_out = self._store_values(collected)
        purposes_out, recipients_used = self._purposes()
        self._law_recipients(recipients_used)
        for t in transfers:
            recipients_used.setdefault(t.recipient_id, [])
        recipients_out = self._recipients(recipients_used, transfers)
        held = any(item["values"] for item in self.categories.values())
        return {
            "kind": "access", "request_id": request.id, "generated_at": self.now.isoformat(),
            "operator": operator_of(self.register),
            "held": held,
            "categories": list(self.categories.values()) if held else [],
            "records": _records(collected, self.register) if held else [],
            "purposes": purposes_out if held else [],
            "sources": list(self.sources) if held else [],
            "methods": list(self.methods) if held else [],
            "recipients": recipients_out if held else [],
            "transfers": [_transfer_out(t) for t in transfers],
            "cross_border": [r["id"] for r in recipients_out if r["cross_border"]]
            if held else [],
            "stores": stores_out,
        }

    def _entry(self, category: str) -> dict[str, Any]:
        if category not in self.categories:
            keep = self.clocks.categories.get(category) if self.clocks else None
            self.categories[category] = {
                "id": category, "labels": category_labels(self.register, category),
                "values": [],
                "purposes": [p.id for p in self.register.purposes_for_category(category)
                             if p.id in self.in_force],
                "keep_until": keep.keep_until.isoformat() if keep and keep.keep_until
                else None,
            }
        return self.categories[category]

    def _vault_values(self, view: vault_service.SubjectView | None) -> None:
        for v in view.values if view else ():
            self._entry(v.category)["values"].append({
                "value": v.value, "where": "vault", "source": v.provenance.source.value,
                "method": v.provenance.method,
                "collected_at": v.provenance.collected_at.isoformat()})
            self.sources[v.provenance.source.value] = None

    def _store_values(self, collected: Collected) -> list[dict[str, Any]]:
        stores_out: list[dict[str, Any]] = []
        live = self.clocks.history.consent_live if self.clocks else frozenset()
        for store, rows in collected:
            dataset = store.dataset
            stores_out.append({"store": dataset.store.id, "rows": rows.counts()})
            for value in rows.values():
                item = self._entry(value.category)
                item["values"].append({
                    "value": json_safe(value.value),
                    "where": f"{dataset.store.id}/{value.table}.{value.column}"})
                # The operator's database says what its rows serve (the dataset), as a
                # value's provenance does; a consent purpose still needs a consent.
                table = dataset.tables[value.table]
                for pid in table.columns[value.column].purposes or table.purposes:
                    purpose = self.register.purposes.get(pid)
                    if (purpose is not None and pid not in item["purposes"]
                            and (purpose.basis.kind is not BasisKind.CONSENT or pid in live)
                            and not (pid in self.all_clocks and pid not in self.in_force)):
                        item["purposes"].append(pid)
        return stores_out

    def _purposes(self) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
        used = dict.fromkeys(p for item in self.categories.values() for p in item["purposes"])
        purposes_out: list[dict[str, Any]] = []
        recipients_used: dict[str, list[str]] = {}
        for purpose in self.register.purposes.values():
            if purpose.id not in used:
                continue
            self.sources.update(dict.fromkeys(purpose.data_sources))
            self.methods.update(dict.fromkeys(purpose.methods))
            for r in purpose.recipients:
                recipients_used.setdefault(r, []).append(purpose.id)
            ret = purpose.retention
            purposes_out.append({
                "id": purpose.id, "labels": labels(purpose.labels),
                "basis": purpose.basis.kind.value, "basis_citation": purpose.basis.citation,
                "retention": None if ret is None else {
                    "trigger": ret.trigger.value, "period": str(ret.period),
                    "citation": ret.citation, "then": ret.then.value,
                    "achieved_when": ret.achieved_when.value if ret.achieved_when else None},
                "clock": _purpose_clock(self.in_force.get(purpose.id)),
                "categories": sorted(c for c, i in self.categories.items()
                                     if purpose.id in i["purposes"]),
                "recipients": list(purpose.recipients),
            })
        return purposes_out, recipients_used

    def _law_recipients(self, recipients_used: dict[str, list[str]]) -> None:
        # Recipients the register names for no purpose in particular may receive any data
        # (Express p.3.4: cross-border transfer without a named recipient), and those the
        # law gives the data to (Art. 9: state bodies on a motivated request) may receive
        # the subject's whenever the law applies: both are "may be transferred" (Art. 24).
        held_categories = set(self.categories)
        for rid in self.register.recipients:
            serving = self.register.purposes_of_recipient(rid)
            if not serving:
                recipients_used.setdefault(rid, [])
            for purpose in serving:
                if (purpose.basis.kind in (BasisKind.LEGAL_OBLIGATION, BasisKind.STATE_REQUEST)
                        and held_categories.intersection(purpose.categories)
                        and purpose.id not in recipients_used.get(rid, [])):
                    recipients_used.setdefault(rid, []).append(purpose.id)

    def _recipients(self, recipients_used: Mapping[str, list[str]], transfers: Sequence[Any]
                    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for rid, served in recipients_used.items():
            recipient = self.register.recipients.get(rid)
            if recipient is None:
                continue
            out.append({
                "id": rid, "names": labels(recipient.names), "role": recipient.role.value,
                "country": recipient.country, "cross_border": recipient.cross_border,
                "cross_border_basis": (recipient.cross_border_basis.kind.value
                                       if recipient.cross_border_basis else None),
                "purposes": served,
                "received": sorted({t.id for t in transfers if t.recipient_id == rid}),
            })
        return out


def category_labels(register: Register, category: str) -> dict[str, str]:
    known = register.categories.get(category)
    return labels(known.labels) if known else {"ru": category, "kk": category, "en": category}


def _records(collected: Collected, register: Register) -> list[dict[str, Any]]:
    """The operator databases' rows kept as rows: a payment's date stays with its amount."""
    out: list[dict[str, Any]] = []
    for store, rows in collected:
        for table, found in rows.rows.items():
            if not found:
                continue
            columns = list(rows.categories_of[table])
            out.append({
                "store": store.dataset.store.id, "table": table,
                "columns": [{"column": c, "category": rows.categories_of[table][c],
                             "labels": category_labels(register, rows.categories_of[table][c])}
                            for c in columns],
                "rows": [[json_safe(row.values.get(c)) for c in columns] for row in found],
            })
    return out


def _summary(full: Mapping[str, Any]) -> dict[str, Any]:
    """The answer without PD values: what is stored in clear."""
    return {
        "kind": full["kind"], "held": full["held"],
        "categories": {c["id"]: len(c["values"]) for c in full["categories"]},
        "purposes": [p["id"] for p in full["purposes"]],
        "recipients": [r["id"] for r in full["recipients"]],
        "cross_border": list(full["cross_border"]),
        "transfers": [t["id"] for t in full["transfers"]],
        "stores": list(full["stores"]),
    }
