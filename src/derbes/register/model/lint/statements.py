"""What the policy does not state, facts without a clause, modellers' assumptions.

"Not stated" is a finding of its own (DRB023) carrying the article that requires
the information; it is never read as a foreign country, an assumed basis or
"none". Every stated fact carries the clause of the policy it comes from
(DRB027) or is a marked assumption (DRB028), which no notice renders as the
operator's statement.
"""

from __future__ import annotations

from collections.abc import Iterator

from derbes.register.model.lint.catalogue import Finding, finding
from derbes.register.model.register import SCHEMA_VERSION, BasisKind, Register

NOT_STATED = "DRB023"
NO_SOURCE = "DRB027"

# The article that requires each piece of information (docs/LAW.md).
ART_8_P4 = "Law 94-V Art. 8 p.4 (what a consent states)"
WHY: dict[str, str] = {
    "operator.primary_database_country": "Law 94-V Art. 12 p.2",
    "operator.responsible_person": "Law 94-V Art. 25 p.2 sp.10",
    "policy.date": "Law 94-V Art. 25 p.2 sp.1-1 (approved policy documents)",
    "policy.version": "Law 94-V Art. 25 p.2 sp.1-1 (approved policy documents)",
    "recipients": ART_8_P4 + ": whether PD are passed to third parties",
    "recipient.country": ART_8_P4 + ", Art. 16: whether PD cross the border",
    "recipient.basis": "Law 94-V Art. 8, 9",
    "purpose.basis": "Law 94-V Art. 7, 8, 9",
    "purpose.categories": "Law 94-V Art. 7; Art. 8 p.4 (the list of PD a consent covers)",
    "purpose.data_sources": "Law 94-V Art. 24 p.1 sp.1 (sources of collection)",
    "purpose.methods": "Law 94-V Art. 24 p.1 sp.1 (methods of processing)",
    "purpose.automated_decision": "Law 94-V Art. 19-1",
    "minors": "Law 94-V Art. 8 (a legal representative consents for a minor)",
    "consent.channels": "Law 94-V Art. 8; Rules 395/НҚ of 21 Oct 2020 (forms of consent)",
    "consent.withdrawal": "Law 94-V Art. 8 p.2",
    "complaint_routes": "Law 94-V Art. 24 p.1 (protection of rights: authorised body, court)",
    "security_measures": "Law 94-V Art. 22; Order 179/НҚ of 12 Jun 2023",
    "request_channel.address": "Law 94-V Art. 24 p.1 sp.1, Art. 25 p.2 (where the subject "
                               "sends a request)",
}


def _gap(path: str, what: str, why: str) -> Finding:
    return finding(NOT_STATED, path, f"the policy does not state {what}", citation=WHY[why])


def not_stated(register: Register) -> Iterator[Finding]:
    op, policy = register.operator, register.policy
    if op.primary_database_country is None:
        yield _gap("operator.primary_database_country", "where the primary database is",
                   "operator.primary_database_country")
    if op.responsible_person is None:
        yield _gap("operator.responsible_person", "the person responsible for organising "
                   "PD processing", "operator.responsible_person")
    if policy.date is None and not any(e.date for e in policy.editions):
        yield _gap("policy.date", "the date of the policy", "policy.date")
    if policy.version is None and not any(e.version for e in policy.editions):
        yield _gap("policy.version", "the version of the policy", "policy.version")
    if register.minors is None:
        yield _gap("minors", "whether PD of minors are processed", "minors")
    for section, what in (("recipients", "to whom PD are passed"),
                          ("consent.channels", "how consent is given"),
                          ("complaint_routes", "where to complain"),
                          ("security_measures", "the measures protecting PD")):
        if register.statement(section).silent:
            yield _gap(section, what, section)
    if register.consent.withdrawal is None:
        yield _gap("consent.withdrawal", "how consent is withdrawn", "consent.withdrawal")
    yield from _purposes_not_stated(register)
    for i, channel in enumerate(register.request_channels):
        if channel.address is None:
            yield _gap(f"request_channels[{i}].address", f"the address of the "
                       f"{channel.kind.value} channel it names", "request_channel.address")
    for i, recipient in enumerate(register.recipients.values()):
        if recipient.country is None:
            where = "in which country" if recipient.abroad else "where"
            yield _gap(f"recipients[{i}].country",
                       f"{where} recipient {recipient.id!r} is", "recipient.country")
        if recipient.basis.kind is BasisKind.NOT_STATED:
            yield _gap(f"recipients[{i}].basis", f"on which basis {recipient.id!r} receives "
                       "PD", "recipient.basis")


def _purposes_not_stated(register: Register) -> Iterator[Finding]:
    for i, purpose in enumerate(register.purposes.values()):
        path, pid = f"purposes[{i}]", purpose.id
        if not purpose.categories:
            yield _gap(f"{path}.categories", f"which personal data purpose {pid!r} needs",
                       "purpose.categories")
        if purpose.basis.kind is BasisKind.NOT_STATED:
            yield _gap(f"{path}.basis", f"the legal basis of purpose {pid!r} (consent is "
                       "required until it does)", "purpose.basis")
        if not purpose.data_sources:
            yield _gap(f"{path}.data_sources", f"where the PD of purpose {pid!r} come from",
                       "purpose.data_sources")
        if not purpose.methods:
            yield _gap(f"{path}.methods", f"how the PD of purpose {pid!r} are processed",
                       "purpose.methods")
        if purpose.automated_decision is None:
            yield _gap(f"{path}.automated_decision", f"whether purpose {pid!r} decides by "
                       "automated means", "purpose.automated_decision")


def _traced(register: Register, path: str, source: str | None) -> bool:
    return bool(source) or register.assumed(path) is not None


def without_source(register: Register) -> Iterator[Finding]:
    """DRB027: facts with neither a clause nor an assumption."""
    op, policy = register.operator, register.policy
    fields = {"names": op.names, "bin": op.bin, "legal_address": op.legal_address,
              "primary_database_country": op.primary_database_country,
              "licence": op.licence, "responsible_person": op.responsible_person}
    for name, value in fields.items():
        path = f"operator.{name}"
        if value is not None and not _traced(register, path, op.sources.of(name)):
            yield finding(NO_SOURCE, path, f"operator.{name} has no clause (operator.sources."
                          f"{name}) and is not an assumption")
    for name, stated in (("version", policy.version is not None),
                         ("date", policy.date is not None)):
        path = f"policy.{name}"
        if stated and not _traced(register, path, policy.sources.of(name)):
            yield finding(NO_SOURCE, path, f"policy.{name} has no clause (policy.sources."
                          f"{name}) and is not an assumption")
    for path, source in _objects(register):
        if not _traced(register, path, source):
            yield finding(NO_SOURCE, path, f"{path} has no clause (source) and is not an "
                          "assumption")


def _objects(register: Register) -> Iterator[tuple[str, str | None]]:
    for i, p in enumerate(register.purposes.values()):
        yield f"purposes[{i}]", p.source
        if p.retention is not None:
            yield f"purposes[{i}].retention", p.retention.source or p.sources.of("retention")
    for i, r in enumerate(register.recipients.values()):
        yield f"recipients[{i}]", r.source
    for i, c in enumerate(register.cookies):
        yield f"cookies[{i}]", c.source
    for i, ch in enumerate(register.request_channels):
        yield f"request_channels[{i}]", ch.source
    consent = register.consent
    if consent.channels or consent.separate_scopes:
        yield "consent", consent.source
    if consent.withdrawal is not None:
        yield "consent.withdrawal", consent.withdrawal_source or consent.source
    if register.minors is not None:
        yield "minors", register.minors.source
    if register.policy.change is not None:
        yield "policy.change", register.policy.change.source
    for i, o in enumerate(register.regime_overrides):
        yield f"regime_overrides[{i}]", o.source
    d = register.disclosures
    for section in ("commitments", "category_restrictions", "security_measures",
                    "complaint_routes", "other_law", "processor_roles", "account_deletion"):
        for i, item in enumerate(getattr(d, section)):
            yield f"{section}[{i}]", item.source
    if d.cookie_policy is not None:
        yield "cookie_policy", d.cookie_policy.source


def untranslated(register: Register) -> Iterator[Finding]:
    """DRB031: citations customers read that exist only in the DPO's English."""
    def check(path: str, citation: str | None, cite: object) -> Iterator[Finding]:
        # An assumed fact never reaches a customer: its citation needs no translation.
        if citation and citation.strip() and cite is None and not register.assumed(path):
            yield finding("DRB031", path, f"{path} is only in one language: {citation!r}")

    for i, p in enumerate(register.purposes.values()):
        yield from check(f"purposes[{i}].basis.citation", p.basis.citation, p.basis.cite)
        if p.retention is not None:
            yield from check(f"purposes[{i}].retention.citation", p.retention.citation,
                             p.retention.cite)
    for i, r in enumerate(register.recipients.values()):
        yield from check(f"recipients[{i}].basis.citation", r.basis.citation, r.basis.cite)
        cbb = r.cross_border_basis
        if cbb is not None and r.cross_border:
            yield from check(f"recipients[{i}].cross_border_basis.citation", cbb.citation,
                             cbb.cite)
    for i, o in enumerate(register.regime_overrides):
        if o.cite is None and not o.source:
            yield finding("DRB031", f"regime_overrides[{i}]", f"the promise on {o.deadline!r} "
                          "has neither a clause (source) nor a citation in ru/kk/en (cite)")


def assumptions(register: Register) -> Iterator[Finding]:
    """DRB028: every assumption, listed with its reason."""
    for i, assumption in enumerate(register.assumptions):
        yield finding("DRB028", f"assumptions[{i}]",
                      f"{assumption.path}: assumed, not stated in the policy "
                      f"({assumption.reason})")


def schema_version(register: Register) -> Iterator[Finding]:
    if register.schema_version_read < SCHEMA_VERSION:
        yield finding("DRB029", "schema_version",
                      f"schema version {register.schema_version_read} read through the "
                      f"upgrade; run `derbes register upgrade` to write version "
                      f"{SCHEMA_VERSION}")
