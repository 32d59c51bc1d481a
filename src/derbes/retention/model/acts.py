"""Destruction acts: the record of what one retention run destroyed, on what ground, how.

Seed 002 (QIWI) p.4.4: the operator "introduced a procedure for destroying
personal data and approved the form of the destruction act". Every completed
run of the retention sweep produces one act. It states

* its number, sequential per operator per calendar year («АУ-2026/0001»), and date;
* the operator (names, BIN, address) and the person responsible for organising
  PD processing (Law 94-V Art. 25), as the register in force names them;
* the general legal ground of destruction and, per group, the purpose, its legal
  basis, the retention rule (trigger, period, citation) whose end was reached,
  the categories of PD destroyed or anonymised, the number of subjects and the
  method (crypto-shredding of the subject's key, deletion, anonymisation, or the
  erasure strategies applied in the operator's own connected databases);
* the run (id, the date the terms were counted to, start and end);
* the subjects, only as pseudonymous references: a keyed HMAC of the internal
  subject id. Nothing that identifies the person (IIN, name, phone) is in the
  act; whoever holds the key can check whether a given subject is listed, nobody
  else can link a reference back (the act itself may be shown to an auditor).

Pure: ids, time and keys come in from the service.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from derbes.deadlines.model.periods import Period
from derbes.errors import InputError
from derbes.platform.labels import Labels
from derbes.register.model.register import AfterRetention, BasisKind, Register, RetentionTrigger

# The run's side of an act, importable from here as before.
from derbes.retention.model.act_run import DestroyedGroup as DestroyedGroup
from derbes.retention.model.act_run import Method as Method
from derbes.retention.model.act_run import MethodUse as MethodUse
from derbes.retention.model.act_run import RunRecord as RunRecord
from derbes.retention.model.act_run import VaultTotals as VaultTotals
from derbes.retention.model.act_run import record_of as record_of

FORMAT = "derbes.destruction-act/1"

# Domain separation: the reference key is derived from the audit-chain key (kept in
# the key store, outside the data database), never equal to it.
# An act names the operator's legal address; a register whose policy does not
# state it says so rather than leave the line empty.
_NOT_STATED_ADDRESS = Labels(ru="не указан в политике оператора",
                             kk="оператордың саясатында көрсетілмеген",
                             en="not stated in the operator's policy")
_REFERENCE_KEY_LABEL = b"derbes/destruction-act/subject-reference/v1"
REFERENCE_SCHEME = "HMAC-SHA-256(reference key, subject id), first 64 bits"

_NUMBER = re.compile(r"^(?P<prefix>[^\s/-]{1,10})-(?P<year>\d{4})/(?P<seq>\d{1,9})$")


# ------------------------------------------------------------------ rules


@dataclass(frozen=True)
class ActRules:
    """Numbering and fixed legal wording of acts (``data/acts.yaml``)."""

    number_prefix: str
    number_digits: int
    timezone: str
    general_citation: str
    general_basis: Labels
    anonymisation: Labels
    logging: Labels
    printed_references: int
    commission_lines: int


# ------------------------------------------------------------------ the act


@dataclass(frozen=True, order=True)
class ActNumber:
    """«АУ-2026/0001»: prefix, year of the act date, sequence within the operator's year."""

    year: int
    seq: int
    prefix: str = field(compare=False)
    digits: int = field(default=4, compare=False)

    def __post_init__(self) -> None:
        if self.seq < 1 or not 1900 <= self.year <= 9999:
            raise InputError("an act number has a year and a sequence from 1", field="number")

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}/{self.seq:0{self.digits}d}"

    @classmethod
    def parse(cls, text: str, digits: int = 4) -> ActNumber:
        found = _NUMBER.match(text.strip())
        if found is None:
            raise InputError("an act number looks like АУ-2026/0001", field="number")
        return cls(year=int(found["year"]), seq=int(found["seq"]), prefix=found["prefix"],
                   digits=digits)


def next_number(rules: ActRules, year: int, last_seq: int | None) -> ActNumber:
    """The number after ``last_seq`` in ``year`` (the first of the year when None)."""
    return ActNumber(year=year, seq=(last_seq or 0) + 1, prefix=rules.number_prefix,
                     digits=rules.number_digits)


@dataclass(frozen=True)
class ActOperator:
    id: str
    names: Labels
    bin: str | None
    address: Labels


@dataclass(frozen=True)
class ActResponsible:
    role: Labels
    name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class ActCategory:
    id: str
    labels: Labels
    sensitivity: str | None = None


@dataclass(frozen=True)
class ActGroup:
    """One purpose whose retention ended: its ground, what went, how, for how many."""

    no: int
    purpose_id: str
    purpose: Labels
    clause: str | None
    basis: BasisKind | None
    basis_citation: str | None
    trigger: RetentionTrigger | None
    period: Period | None
    retention_citation: str | None
    action: AfterRetention
    categories: tuple[ActCategory, ...]
    subjects: int
    references: tuple[str, ...]
    methods: tuple[MethodUse, ...]
    items: int | None = None
    ended_from: date | None = None
    ended_to: date | None = None
    criterion: Labels | None = None  # the policy's destruction criterion (register note)
    # The citations as a reader of the act's language reads them (ru/kk/en), when the
    # register gives them; the plain citations above stay for the record.
    basis_cite: Labels | None = None
    retention_cite: Labels | None = None


@dataclass(frozen=True)
class Act:
    id: str
    number: ActNumber
    act_date: date
    issued_at: datetime
    operator: ActOperator
    responsible: ActResponsible | None
    policy_version: str
    run_id: str
    actor: str
    as_of: date
    started_at: datetime
    finished_at: datetime
    general_citation: str
    general_basis: Labels
    anonymisation: Labels
    logging: Labels
    groups: tuple[ActGroup, ...]
    subjects_total: int
    totals: VaultTotals | None = None
    reference_scheme: str = REFERENCE_SCHEME

    @property
    def methods(self) -> tuple[Method, ...]:
        seen: dict[Method, None] = {}
        for group in self.groups:
            for use in group.methods:
                seen.setdefault(use.method)
        return tuple(seen)

    @property
    def references(self) -> tuple[str, ...]:
        """Every subject reference of the act, once, sorted."""
        return tuple(sorted({r for g in self.groups for r in g.references}))

    def digest(self) -> str:
        """SHA-256 of the act's canonical JSON: printed on the PDF, checked on reading."""
        return body_digest(as_dict(self))


# ------------------------------------------------------------ pseudonymous refs


def reference_key(audit_key: bytes) -> bytes:
    """The key of subject references, derived from the audit-chain key of the key store."""
    if len(audit_key) < 16:
        raise InputError("the audit key is too short to derive a reference key", field="key")
    return hmac.new(audit_key, _REFERENCE_KEY_LABEL, hashlib.sha256).digest()


def subject_reference(key: bytes, subject_id: str) -> str:
    """«7F3A-9C12-B4E0-5D6A»: stable for one key and subject, unlinkable without the key."""
    digest = hmac.new(key, b"subject\0" + subject_id.encode("utf-8"), hashlib.sha256)
    text = digest.hexdigest()[:16].upper()
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def references_digest(references: Iterable[str]) -> str:
    """SHA-256 over the sorted references, one per line: names the full list in print."""
    body = "\n".join(sorted(set(references)))
    return hashlib.sha256(body.encode("ascii")).hexdigest()


# ------------------------------------------------------------------ building


def _fallback(text: str) -> Labels:
    return Labels(ru=text, kk=text, en=text)


def _group(no: int, group: DestroyedGroup, register: Register, key: bytes) -> ActGroup:
    purpose = register.purposes.get(group.purpose_id)
    categories = []
    for category_id in dict.fromkeys(group.categories):
        declared = register.categories.get(category_id)
        # A category dropped from a later register version was still destroyed: the
        # act keeps its id rather than refusing to record what happened.
        categories.append(ActCategory(
            id=category_id,
            labels=declared.labels if declared else _fallback(category_id),
            sensitivity=declared.sensitivity.value if declared else None))
    subject_ids = tuple(dict.fromkeys(group.subject_ids))
    retention = purpose.retention if purpose else None
    action = AfterRetention(group.action)
    methods = tuple(group.methods) or (MethodUse(
        Method.ANONYMISATION if action is AfterRetention.ANONYMISE
        else Method.CRYPTO_SHREDDING, len(subject_ids)),)
    # The rule the run applied wins over today's register (which may have changed since).
    return ActGroup(
        no=no, purpose_id=group.purpose_id,
        purpose=purpose.labels if purpose else _fallback(group.purpose_id),
        clause=purpose.clause if purpose else None,
        basis=purpose.basis.kind if purpose else None,
        basis_citation=purpose.basis.citation if purpose else None,
        trigger=group.trigger or (retention.trigger if retention else None),
        period=group.period or (retention.period if retention else None),
        retention_citation=group.citation or (retention.citation if retention else None),
        basis_cite=purpose.basis.cite if purpose else None,
        retention_cite=(retention.cite if retention is not None and group.citation in (
            None, retention.citation) else None),
        action=action, categories=tuple(categories), subjects=len(subject_ids),
        references=tuple(sorted({subject_reference(key, s) for s in subject_ids})),
        methods=methods, items=group.items,
        ended_from=group.ended_from, ended_to=group.ended_to,
        criterion=retention.note if retention else None,
    )


@dataclass(frozen=True)
class ActIssue:
    """What the service decides for an act it issues: its id, number, date and time, and
    the key the subject references are made with."""

    act_id: str
    number: ActNumber
    act_date: date
    issued_at: datetime
    key: bytes


def build_act(run: RunRecord, register: Register, rules: ActRules, issue: ActIssue) -> Act:
    """The act of ``run`` under the register in force; subjects become references."""
    act_id, number, act_date, issued_at, key = (
        issue.act_id, issue.number, issue.act_date, issue.issued_at, issue.key)
    if run.operator_id != register.operator.id:
        raise InputError("the run and the register belong to different operators",
                         field="operator_id")
    if issued_at.tzinfo is None or run.started_at.tzinfo is None \
            or run.finished_at.tzinfo is None:
        raise InputError("act times must carry a time zone", field="issued_at")
    if run.finished_at < run.started_at:
        raise InputError("the run finishes before it starts", field="finished_at")
    if number.year != act_date.year:
        raise InputError("the act number's year is not the year of the act date",
                         field="number")
    ordered = sorted(run.groups, key=lambda g: (_purpose_index(register, g.purpose_id),
                                                g.purpose_id, g.action.value))
    groups = tuple(_group(i, g, register, key) for i, g in enumerate(ordered, start=1))
    total = len({s for g in run.groups for s in g.subject_ids})
    op = register.operator
    responsible = None
    if op.responsible_person is not None:
        person = op.responsible_person
        responsible = ActResponsible(role=person.role, name=person.name, email=person.email)
    return Act(
        id=act_id, number=number, act_date=act_date, issued_at=issued_at,
        operator=ActOperator(id=op.id, names=op.names, bin=op.bin,
                             address=op.legal_address or _NOT_STATED_ADDRESS),
        responsible=responsible, policy_version=register.policy.version_id,
        run_id=run.run_id, actor=run.actor, as_of=run.as_of,
        started_at=run.started_at, finished_at=run.finished_at,
        general_citation=rules.general_citation, general_basis=rules.general_basis,
        anonymisation=rules.anonymisation, logging=rules.logging,
        groups=groups, subjects_total=total, totals=run.totals,
    )


def _purpose_index(register: Register, purpose_id: str) -> int:
    order = list(register.purposes)
    return order.index(purpose_id) if purpose_id in order else len(order)


# ------------------------------------------------------------------ JSON


def _cite(labels: Labels | None) -> dict[str, Any]:
    """The ``cite`` key of a citation, only when there is one: acts issued before
    citations had languages keep their exact body (and digest)."""
    return {} if labels is None else {"cite": _labels(labels)}


def _labels(value: Labels) -> dict[str, str]:
    return value.as_dict()


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def as_dict(act: Act) -> dict[str, Any]:
    """The act as JSON data (format ``derbes.destruction-act/1``), without its digest."""
    return {
        "format": FORMAT,
        "id": act.id,
        "number": str(act.number),
        "number_parts": {"prefix": act.number.prefix, "year": act.number.year,
                         "seq": act.number.seq, "digits": act.number.digits},
        "date": act.act_date.isoformat(),
        "issued_at": act.issued_at.isoformat(),
        "operator": {"id": act.operator.id, "names": _labels(act.operator.names),
                     "bin": act.operator.bin, "address": _labels(act.operator.address)},
        "responsible": None if act.responsible is None else {
            "role": _labels(act.responsible.role), "name": act.responsible.name,
            "email": act.responsible.email},
        "policy_version": act.policy_version,
        "run": {"id": act.run_id, "actor": act.actor, "as_of": act.as_of.isoformat(),
                "started_at": act.started_at.isoformat(),
                "finished_at": act.finished_at.isoformat()},
        "legal_basis": {"citation": act.general_citation,
                        "text": _labels(act.general_basis),
                        "anonymisation": _labels(act.anonymisation),
                        "logging": _labels(act.logging)},
        "groups": [{
            "no": g.no, "purpose": {"id": g.purpose_id, "labels": _labels(g.purpose),
                                    "clause": g.clause},
            "basis": {"kind": g.basis.value if g.basis else None,
                      "citation": g.basis_citation, **_cite(g.basis_cite)},
            "retention": {"trigger": g.trigger.value if g.trigger else None,
                          "period": str(g.period) if g.period else None,
                          "citation": g.retention_citation,
                          "ended_from": _day(g.ended_from), "ended_to": _day(g.ended_to),
                          "criterion": _labels(g.criterion) if g.criterion else None,
                          **_cite(g.retention_cite)},
            "action": g.action.value,
            "categories": [{"id": c.id, "labels": _labels(c.labels),
                            "sensitivity": c.sensitivity} for c in g.categories],
            "subjects": g.subjects,
            "items": g.items,
            "methods": [{"method": m.method.value, "store": m.store, "count": m.count}
                        for m in g.methods],
            "references": list(g.references),
        } for g in act.groups],
        "subjects_total": act.subjects_total,
        "vault": None if act.totals is None else {
            "subjects_shredded": act.totals.subjects_shredded,
            "subjects_partial": act.totals.subjects_partial,
            "values_deleted": act.totals.values_deleted,
            "items_skipped": act.totals.items_skipped},
        "references": {"scheme": act.reference_scheme,
                       "count": len(act.references),
                       "sha256": references_digest(act.references)},
    }


def canonical_json(body: Mapping[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def body_digest(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def _labels_of(value: Mapping[str, Any]) -> Labels:
    return Labels(ru=str(value["ru"]), kk=str(value["kk"]), en=str(value["en"]))


def _date_of(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def from_dict(body: Mapping[str, Any]) -> Act:
    """Read back what :func:`as_dict` wrote (``InputError`` for another format)."""
    if body.get("format") != FORMAT:
        raise InputError(f"not a destruction act of format {FORMAT}", field="format")
    parts = body["number_parts"]
    op = body["operator"]
    resp = body.get("responsible")
    run = body["run"]
    basis = body["legal_basis"]
    groups = []
    for g in body["groups"]:
        retention = g["retention"]
        groups.append(ActGroup(
            no=int(g["no"]), purpose_id=g["purpose"]["id"],
            purpose=_labels_of(g["purpose"]["labels"]), clause=g["purpose"]["clause"],
            basis=BasisKind(g["basis"]["kind"]) if g["basis"]["kind"] else None,
            basis_citation=g["basis"]["citation"],
            basis_cite=_labels_of(g["basis"]["cite"]) if g["basis"].get("cite") else None,
            trigger=RetentionTrigger(retention["trigger"]) if retention["trigger"] else None,
            period=Period.parse(retention["period"]) if retention["period"] else None,
            retention_citation=retention["citation"],
            retention_cite=_labels_of(retention["cite"]) if retention.get("cite") else None,
            action=AfterRetention(g["action"]),
            categories=tuple(ActCategory(id=c["id"], labels=_labels_of(c["labels"]),
                                         sensitivity=c["sensitivity"])
                             for c in g["categories"]),
            subjects=int(g["subjects"]), references=tuple(g["references"]),
            items=None if g.get("items") is None else int(g["items"]),
            methods=tuple(MethodUse(method=Method(m["method"]), count=int(m["count"]),
                                    store=m["store"]) for m in g["methods"]),
            ended_from=_date_of(retention["ended_from"]),
            ended_to=_date_of(retention["ended_to"]),
            criterion=_labels_of(retention["criterion"]) if retention.get("criterion")
            else None,
        ))
    return Act(
        id=body["id"],
        number=ActNumber(year=int(parts["year"]), seq=int(parts["seq"]),
                         prefix=parts["prefix"], digits=int(parts["digits"])),
        act_date=date.fromisoformat(body["date"]),
        issued_at=datetime.fromisoformat(body["issued_at"]),
        operator=ActOperator(id=op["id"], names=_labels_of(op["names"]), bin=op["bin"],
                             address=_labels_of(op["address"])),
        responsible=None if resp is None else ActResponsible(
            role=_labels_of(resp["role"]), name=resp["name"], email=resp["email"]),
        policy_version=body["policy_version"],
        run_id=run["id"], actor=run["actor"], as_of=date.fromisoformat(run["as_of"]),
        started_at=datetime.fromisoformat(run["started_at"]),
        finished_at=datetime.fromisoformat(run["finished_at"]),
        general_citation=basis["citation"], general_basis=_labels_of(basis["text"]),
        anonymisation=_labels_of(basis["anonymisation"]),
        logging=_labels_of(basis["logging"]),
        groups=tuple(groups), subjects_total=int(body["subjects_total"]),
        totals=None if body.get("vault") is None else VaultTotals(
            subjects_shredded=int(body["vault"]["subjects_shredded"]),
            subjects_partial=int(body["vault"]["subjects_partial"]),
            values_deleted=int(body["vault"]["values_deleted"]),
            items_skipped=int(body["vault"]["items_skipped"])),
        reference_scheme=body["references"]["scheme"],
    )


@dataclass(frozen=True)
class ActHeader:
    """What a list of acts shows, without loading each act's body."""

    id: str
    operator_id: str
    number: str
    year: int
    seq: int
    act_date: date
    issued_at: datetime
    run_id: str
    subjects_total: int
    groups: int
    digest: str
