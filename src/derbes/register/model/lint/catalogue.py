"""The lint rules' catalogue: stable codes, severities, citations, related fines.

Codes are stable: registers cite them in waivers. Citations follow docs/LAW.md.
``offence`` names the offence of the fines table (``data/fines.yaml``, Code of
Administrative Offences Art. 79) a finding of the rule exposes the operator to,
where there is one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from derbes.register.model.register import Waiver


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class RuleSpec:
    """One lint rule: its stable code, a short name, severity and legal citation."""

    code: str
    name: str
    severity: Severity
    citation: str
    description: str
    path: str  # the path its findings carry, e.g. "purposes[i].retention"
    offence: str | None = None  # key of data/fines.yaml


_UNLAWFUL = "unlawful_processing"
_E, _W = Severity.ERROR, Severity.WARNING

RULES: tuple[RuleSpec, ...] = (
    RuleSpec("DRB000", "register-does-not-load", _E, "",
             "The register does not load (malformed YAML, schema or reference errors).", ""),
    RuleSpec("DRB001", "purpose-without-retention", _E, "Law 94-V Art. 24 p.1 sp.1",
             "A purpose has no retention rule (the subject is told how long PD is kept).",
             "purposes[i].retention", _UNLAWFUL),
    RuleSpec("DRB002", "retention-without-citation", _E, "Law 94-V Art. 24 p.1 sp.1",
             "A retention rule has an empty citation.", "purposes[i].retention.citation"),
    RuleSpec("DRB003", "category-not-declared", _E,
             "Law 94-V Art. 8; Rules 395/НҚ of 21 Oct 2020",
             "A purpose or recipient names a data category that is declared nowhere "
             "(reported by the loader).", "purposes[i].categories[j]"),
    RuleSpec("DRB004", "category-unused", _W, "Law 94-V Art. 7",
             "A custom data category is declared but no purpose uses it.",
             "data_categories[i]"),
    RuleSpec("DRB005", "recipient-category-not-needed", _E, "Law 94-V Art. 7",
             "A recipient receives a category that no purpose naming that recipient needs.",
             "recipients[i].categories[j]", _UNLAWFUL),
    RuleSpec("DRB006", "non-exhaustive-pd-list", _E,
             "Law 94-V Art. 7; Rules 395/НҚ of 21 Oct 2020",
             "A purpose leaves its list of PD open ('and other information').",
             "purposes[i].exhaustive", _UNLAWFUL),
    RuleSpec("DRB007", "cross-border-without-basis", _E, "Law 94-V Art. 16",
             "A recipient stated to be abroad has no cross-border basis, or relies on "
             "consent the subject cannot give separately (consent.separate_scopes).",
             "recipients[i].cross_border_basis", _UNLAWFUL),
    RuleSpec("DRB008", "primary-database-abroad", _E, "Law 94-V Art. 12 p.2",
             "The primary database holding PD is stated to be outside Kazakhstan.",
             "operator.primary_database_country", _UNLAWFUL),
    RuleSpec("DRB009", "special-category-without-consent", _E,
             "Law 94-V Art. 8, 9; Rules 395/НҚ of 21 Oct 2020",
             "A purpose uses a special (biometric) category neither on consent nor on an "
             "obligation of a cited law (Art. 9 allows processing a law requires).",
             "purposes[i].basis", _UNLAWFUL),
    RuleSpec("DRB010", "state-transfer-without-law", _E, "Law 94-V Art. 9",
             "A transfer to a state body, or on a legal obligation or state request, "
             "cites no law.", "recipients[i].basis.citation", _UNLAWFUL),
    RuleSpec("DRB011", "cookie-lifetime-too-long", _E,
             "limits.cookie_max_lifetime (the operator's policy, or derbes' default)",
             "A cookie lives longer than limits.cookie_max_lifetime.", "cookies[i].lifetime"),
    RuleSpec("DRB012", "silence-means-consent", _E,
             "Law 94-V Art. 8; Rules 395/НҚ of 21 Oct 2020",
             "The policy treats silence after a change as consent.",
             "policy.change.silence_means_consent", _UNLAWFUL),
    RuleSpec("DRB013", "consent-bundled-with-contract", _E, "Law 94-V Art. 8",
             "A consent-based purpose is bundled with a contract-based one.",
             "purposes[i].consent_bundled_with[j]", _UNLAWFUL),
    RuleSpec("DRB014", "minors-without-representative", _E, "Law 94-V Art. 8",
             "PD of minors is processed without the consent of a legal representative.",
             "minors.representative_consent", _UNLAWFUL),
    RuleSpec("DRB015", "regime-override-looser", _E,
             "Law 94-V deadlines as in the regime table (data/regime.yaml)",
             "A regime override is looser than the default regime or names an unknown "
             "deadline (a register may shorten a deadline, never lengthen it).",
             "regime_overrides[i]"),
    RuleSpec("DRB016", "legal-basis-without-citation", _E, "Law 94-V Art. 9",
             "A purpose based on a legal obligation or a state request cites no law.",
             "purposes[i].basis.citation", _UNLAWFUL),
    RuleSpec("DRB017", "recipient-unused", _W, "Law 94-V Art. 8, 9",
             "A recipient is declared but no purpose names it.", "recipients[i]"),
    RuleSpec("DRB018", "automated-decision", _W,
             "Law 94-V Art. 19-1; Digital Code Art. 43",
             "A purpose makes automated decisions: the subject may object (3 working days) "
             "and must be able to get an explanation and a human review.",
             "purposes[i].automated_decision"),
    RuleSpec("DRB019", "consent-basis-not-required", _W, "Law 94-V Art. 8",
             "A purpose is based on consent but does not require it.",
             "purposes[i].consent_required"),
    RuleSpec("DRB020", "no-request-channels", _E, "Law 94-V Art. 24",
             "The register names no channel for subjects' requests.", "request_channels"),
    RuleSpec("DRB021", "operator-bin-not-stated", _W,
             "Law 94-V Art. 8 p.4 (consent names the operator and its BIN)",
             "The register does not state the operator's BIN.", "operator.bin"),
    RuleSpec("DRB022", "transfer-consent-not-offered", _E,
             "Law 94-V Art. 8 p.4 (consent says whether transfer to third parties is allowed); "
             "seed 000 p.6.1.5",
             "A recipient other than a processor rests on consent, so a transfer to it needs the "
             "subject's separate transfer consent, which the register does not offer "
             "(consent.separate_scopes lacks third_party_transfer). A recipient whose basis is "
             "the contract with the subject, the law or a state request needs none.",
             "recipients[i].basis", _UNLAWFUL),
    RuleSpec("DRB023", "not-stated", _W, "the article the finding names",
             "The policy does not state information the law requires; the notice says "
             "\"not stated\" (never an assumed value).", "<the field>"),
    RuleSpec("DRB024", "commitment-contradicted", _E, "Law 94-V Art. 7, 8",
             "The register contradicts a commitment of the policy (\"we do not sell data\" "
             "and a recipient that pays for them).", "commitments[i]", _UNLAWFUL),
    RuleSpec("DRB025", "category-use-restricted", _E, "Law 94-V Art. 7",
             "A purpose uses a category the policy restricts to other named uses.",
             "category_restrictions[i]", _UNLAWFUL),
    RuleSpec("DRB026", "minors-age-below-majority", _W,
             "Law 94-V Art. 8; Civil Code Art. 17 p.1 (majority at 18)",
             "The policy's age threshold for minors is below 18: persons under 18 are "
             "minors, their consent is given by a legal representative.",
             "minors.age_threshold", _UNLAWFUL),
    RuleSpec("DRB027", "fact-without-source", _W, "",
             "A stated fact carries no clause of the policy (source) and is not marked as "
             "an assumption.", "<the object>"),
    RuleSpec("DRB028", "assumption", _W, "",
             "A modeller's assumption: not stated in the policy, never rendered as the "
             "operator's statement.", "assumptions[i]"),
    RuleSpec("DRB029", "schema-version-1", _W, "",
             "The register file is of schema version 1 and was upgraded while reading: run "
             "`derbes register upgrade FILE`.", "schema_version"),
    RuleSpec("DRB030", "automated-decision-without-consent", _E,
             "Law 94-V Art. 19-1 (Law 231-VIII of 17.11.2025)",
             "A purpose makes automated decisions on a basis other than consent: automated "
             "processing that changes the subject's rights needs consent.",
             "purposes[i].basis", _UNLAWFUL),
    RuleSpec("DRB031", "citation-not-translated", _W, "",
             "A citation the notice shows exists only as the DPO's text: give it in ru, kk "
             "and en (customers read it in their language).", "<the citation>"),
    RuleSpec("DRB099", "stale-waiver", _W, "", "A waiver matches no finding.", "waivers[i]"),
)

RULES_BY_CODE: Mapping[str, RuleSpec] = {spec.code: spec for spec in RULES}

LOAD_FAILURE = "DRB000"
STALE_WAIVER = "DRB099"


def rule(code: str) -> RuleSpec:
    """The rule of ``code``; unknown codes (a newer loader?) read as load failures."""
    return RULES_BY_CODE.get(code) or RULES_BY_CODE[LOAD_FAILURE]


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    path: str
    message: str
    citation: str
    waived_by: Waiver | None = None

    @property
    def waived(self) -> bool:
        return self.waived_by is not None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def offence(self) -> str | None:
        return rule(self.code).offence


def finding(code: str, path: str, message: str, citation: str | None = None) -> Finding:
    """A finding of rule ``code``, with the rule's severity and (by default) citation."""
    spec = rule(code)
    return Finding(
        code=code,
        severity=spec.severity,
        path=path,
        message=message,
        citation=spec.citation if citation is None else citation,
    )


def blank(text: str | None) -> bool:
    return text is None or not text.strip()
