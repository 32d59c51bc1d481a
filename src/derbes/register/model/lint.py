"""The register linter: Law 94-V rules a loadable register can still break.

The loader (``register/adapters/yaml.py``) refuses registers that are
malformed or inconsistent; this module judges registers that load. Every rule
has a stable code (``DRB0xx``), a severity and the citation of the rule it
enforces, kept in one table, :data:`RULES`. A DPO who knowingly keeps a finding
records a waiver in the register (code, path, the policy clause, a reason):
the finding is then reported as waived, and a waiver that matches nothing is
itself reported (DRB099), so waivers cannot outlive what they excuse.

Paths are the dotted YAML paths of the loader (``purposes[2].retention``,
``recipients[0].cross_border_basis``); a waiver covers a finding whose path is
its own or lies under it (``purposes[2]`` covers ``purposes[2].basis``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from derbes.deadlines.model.regime import (
    LooserOverrideError,
    Regime,
    RegimeError,
    apply_overrides,
    is_provably_not_longer,
)
from derbes.deadlines.model.regime import RegimeOverride as RegimeTermOverride
from derbes.register.model.register import (
    BasisKind,
    CrossBorderBasisKind,
    Purpose,
    RecipientRole,
    Register,
    Sensitivity,
    SeparateScope,
    Waiver,
)


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


# The catalogue. Codes are stable: registers cite them in waivers. Citations
# follow docs/LAW.md; the seed policies are cited where the rule is an
# operator's own promise (cookie lifetime, human review of automated decisions).
RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        "DRB000", "register-does-not-load", Severity.ERROR, "",
        "The register does not load (malformed YAML, schema or reference errors).",
        "",
    ),
    RuleSpec(
        "DRB001", "purpose-without-retention", Severity.ERROR,
        "Law 94-V Art. 24",
        "A purpose has no retention rule (the subject is told how long PD is kept).",
        "purposes[i].retention",
    ),
    RuleSpec(
        "DRB002", "retention-without-citation", Severity.ERROR,
        "Law 94-V Art. 24",
        "A retention rule has an empty citation.",
        "purposes[i].retention.citation",
    ),
    RuleSpec(
        "DRB003", "category-not-declared", Severity.ERROR,
        "Law 94-V Art. 8; Rules 395/НҚ of 21 Oct 2020",
        "A purpose or recipient names a data category that is declared nowhere "
        "(reported by the loader).",
        "purposes[i].categories[j]",
    ),
    RuleSpec(
        "DRB004", "category-unused", Severity.WARNING,
        "Law 94-V Art. 7",
        "A custom data category is declared but no purpose uses it.",
        "data_categories[i]",
    ),
    RuleSpec(
        "DRB005", "recipient-category-not-needed", Severity.ERROR,
        "Law 94-V Art. 7",
        "A recipient receives a category that no purpose naming that recipient needs.",
        "recipients[i].categories[j]",
    ),
    RuleSpec(
        "DRB006", "non-exhaustive-pd-list", Severity.ERROR,
        "Law 94-V Art. 7; Rules 395/НҚ of 21 Oct 2020",
        "A purpose leaves its list of PD open ('and other information').",
        "purposes[i].exhaustive",
    ),
    RuleSpec(
        "DRB007", "cross-border-without-basis", Severity.ERROR,
        "Law 94-V Art. 16",
        "A recipient abroad has no cross-border basis, or relies on consent the "
        "subject cannot give separately (consent.separate_scopes).",
        "recipients[i].cross_border_basis",
    ),
    RuleSpec(
        "DRB008", "primary-database-abroad", Severity.ERROR,
        "Law 94-V Art. 12 p.2",
        "The primary database holding PD is outside Kazakhstan.",
        "operator.primary_database_country",
    ),
    RuleSpec(
        "DRB009", "special-category-without-consent", Severity.ERROR,
        "Law 94-V Art. 8; Rules 395/НҚ of 21 Oct 2020",
        "A purpose uses a special (biometric) category without required consent.",
        "purposes[i].basis",
    ),
    RuleSpec(
        "DRB010", "state-transfer-without-law", Severity.ERROR,
        "Law 94-V Art. 9",
        "A transfer to a state body, or on a legal obligation or state request, cites no law.",
        "recipients[i].basis.citation",
    ),
    RuleSpec(
        "DRB011", "cookie-lifetime-too-long", Severity.ERROR,
        "seed 002 p.8.1",
        "A cookie lives longer than limits.cookie_max_lifetime.",
        "cookies[i].lifetime",
    ),
    RuleSpec(
        "DRB012", "silence-means-consent", Severity.ERROR,
        "Law 94-V Art. 8; Rules 395/НҚ of 21 Oct 2020",
        "The policy treats silence after a change as consent.",
        "policy.change.silence_means_consent",
    ),
    RuleSpec(
        "DRB013", "consent-bundled-with-contract", Severity.ERROR,
        "Law 94-V Art. 8",
        "A consent-based purpose is bundled with a contract-based one.",
        "purposes[i].consent_bundled_with[j]",
    ),
    RuleSpec(
        "DRB014", "minors-without-representative", Severity.ERROR,
        "Law 94-V Art. 8",
        "PD of minors is processed without the consent of a legal representative.",
        "minors.representative_consent",
    ),
    RuleSpec(
        "DRB015", "regime-override-looser", Severity.ERROR,
        "Law 94-V deadlines as in the regime table (data/regime.yaml)",
        "A regime override is looser than the default regime or names an unknown deadline "
        "(a register may shorten a deadline, never lengthen it).",
        "regime_overrides[i]",
    ),
    RuleSpec(
        "DRB016", "legal-basis-without-citation", Severity.ERROR,
        "Law 94-V Art. 9",
        "A purpose based on a legal obligation or a state request cites no law.",
        "purposes[i].basis.citation",
    ),
    RuleSpec(
        "DRB017", "recipient-unused", Severity.WARNING,
        "Law 94-V Art. 8, 9",
        "A recipient is declared but no purpose names it.",
        "recipients[i]",
    ),
    RuleSpec(
        "DRB018", "automated-decision", Severity.WARNING,
        "Law 94-V Art. 24; seed 002 p.5.3",
        "A purpose makes automated decisions: the subject must be able to get human review.",
        "purposes[i].automated_decision",
    ),
    RuleSpec(
        "DRB019", "consent-basis-not-required", Severity.WARNING,
        "Law 94-V Art. 8",
        "A purpose is based on consent but does not require it.",
        "purposes[i].consent_required",
    ),
    RuleSpec(
        "DRB020", "no-request-channels", Severity.ERROR,
        "Law 94-V Art. 24",
        "The register names no channel for subjects' requests.",
        "request_channels",
    ),
    RuleSpec(
        "DRB021", "operator-bin-not-stated", Severity.WARNING,
        "Law 94-V Art. 8; Rules 395/НҚ of 21 Oct 2020 (consent names the operator and its BIN)",
        "The register does not state the operator's BIN.",
        "operator.bin",
    ),
    RuleSpec(
        "DRB022", "transfer-consent-not-offered", Severity.ERROR,
        "Law 94-V Art. 8 p.4 (consent says whether transfer to third parties is allowed); "
        "seed 000 p.6.1.5",
        "A recipient other than a processor rests on consent, so a transfer to it needs the "
        "subject's separate transfer consent, which the register does not offer "
        "(consent.separate_scopes lacks third_party_transfer). A recipient whose basis is "
        "the contract with the subject, the law or a state request needs none.",
        "recipients[i].basis",
    ),
    RuleSpec(
        "DRB099", "stale-waiver", Severity.WARNING,
        "",
        "A waiver matches no finding.",
        "waivers[i]",
    ),
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


def _blank(text: str | None) -> bool:
    return text is None or not text.strip()


# ------------------------------------------------------------------ the rules


def _purposes(register: Register) -> Iterator[Finding]:
    for i, purpose in enumerate(register.purposes.values()):
        path = f"purposes[{i}]"
        for rule in (_purpose_retention_and_list, _purpose_special_categories,
                     _purpose_bundling, _purpose_basis):
            yield from rule(register, purpose, path)


def _purpose_retention_and_list(
    register: Register, purpose: Purpose, path: str
) -> Iterator[Finding]:
    """DRB001, DRB002, DRB006: how long, on which rule, which PD."""
    if purpose.retention is None:
        yield finding(
            "DRB001", f"{path}.retention", f"purpose {purpose.id!r} has no retention rule"
        )
    elif _blank(purpose.retention.citation):
        yield finding(
            "DRB002",
            f"{path}.retention.citation",
            f"the retention of purpose {purpose.id!r} ({purpose.retention.period}) "
            "cites no rule",
        )
    if not purpose.exhaustive:
        yield finding(
            "DRB006",
            f"{path}.exhaustive",
            f"purpose {purpose.id!r} leaves its list of PD open ('and other information'); "
            "list every category it needs",
        )


def _purpose_special_categories(
    register: Register, purpose: Purpose, path: str
) -> Iterator[Finding]:
    """DRB009: special categories rest on consent."""
    special = [
        c for c in purpose.categories
        if register.categories[c].sensitivity is Sensitivity.SPECIAL
    ]
    if special and not (purpose.basis.kind is BasisKind.CONSENT and purpose.consent_required):
        yield finding(
            "DRB009",
            f"{path}.basis",
            f"purpose {purpose.id!r} uses special categories ({', '.join(special)}) "
            f"on basis {purpose.basis.kind.value!r}"
            + ("" if purpose.consent_required else " without requiring consent")
            + "; it needs basis consent with consent_required: true",
        )


def _purpose_bundling(
    register: Register, purpose: Purpose, path: str
) -> Iterator[Finding]:
    """DRB013: consent is not collected in one act with a contract."""
    bundling = (BasisKind.CONSENT, BasisKind.CONTRACT)
    for j, other_id in enumerate(purpose.consent_bundled_with):
        other = register.purposes[other_id]
        kinds = {purpose.basis.kind, other.basis.kind}
        if other_id != purpose.id and kinds == set(bundling):
            consent, contract = (
                (purpose, other) if purpose.basis.kind is BasisKind.CONSENT
                else (other, purpose)
            )
            yield finding(
                "DRB013",
                f"{path}.consent_bundled_with[{j}]",
                f"consent for purpose {consent.id!r} is collected in one act with the "
                f"contract of purpose {contract.id!r}; ask for it separately",
            )


def _purpose_basis(
    register: Register, purpose: Purpose, path: str
) -> Iterator[Finding]:
    """DRB016, DRB018, DRB019: the basis cites its law; automated decisions."""
    if purpose.basis.kind in (BasisKind.LEGAL_OBLIGATION, BasisKind.STATE_REQUEST) and _blank(
        purpose.basis.citation
    ):
        yield finding(
            "DRB016",
            f"{path}.basis.citation",
            f"purpose {purpose.id!r} relies on {purpose.basis.kind.value} "
            "but cites no law",
        )
    if purpose.automated_decision:
        yield finding(
            "DRB018",
            f"{path}.automated_decision",
            f"purpose {purpose.id!r} makes automated decisions: the subject must be able "
            "to have a person review them",
        )
    if purpose.basis.kind is BasisKind.CONSENT and not purpose.consent_required:
        yield finding(
            "DRB019",
            f"{path}.consent_required",
            f"purpose {purpose.id!r} is based on consent but consent_required is false",
        )


def _categories(register: Register) -> Iterator[Finding]:
    used = register.used_categories
    custom = [c for c in register.categories if c in register.declared_custom_categories]
    for i, category in enumerate(custom):
        if category not in used:
            yield finding(
                "DRB004",
                f"data_categories[{i}]",
                f"category {category!r} is declared but no purpose uses it",
            )


def _recipients(register: Register) -> Iterator[Finding]:
    scopes = register.consent.separate_scopes
    for i, recipient in enumerate(register.recipients.values()):
        path = f"recipients[{i}]"
        purposes = register.purposes_of_recipient(recipient.id)
        needed = {c for p in purposes for c in p.categories}
        if not purposes:
            yield finding(
                "DRB017", path, f"recipient {recipient.id!r} is named by no purpose"
            )
        for j, category in enumerate(recipient.categories):
            if category in needed:
                continue
            why = (
                f"no purpose naming recipient {recipient.id!r} needs it"
                if purposes
                else f"no purpose names recipient {recipient.id!r}"
            )
            yield finding(
                "DRB005",
                f"{path}.categories[{j}]",
                f"recipient {recipient.id!r} receives {category!r} but {why}",
            )
        if recipient.cross_border:
            basis = recipient.cross_border_basis
            if basis is None:
                yield finding(
                    "DRB007",
                    f"{path}.cross_border_basis",
                    f"recipient {recipient.id!r} is in {recipient.country} (cross-border) "
                    "but has no cross_border_basis",
                )
            elif basis.kind is CrossBorderBasisKind.CONSENT and (
                SeparateScope.CROSS_BORDER_TRANSFER not in scopes
            ):
                yield finding(
                    "DRB007",
                    f"{path}.cross_border_basis",
                    f"recipient {recipient.id!r} in {recipient.country} relies on consent, "
                    "but consent.separate_scopes lacks cross_border_transfer",
                )
        if (purposes and recipient.basis.kind is BasisKind.CONSENT
                and recipient.role is not RecipientRole.PROCESSOR
                and SeparateScope.THIRD_PARTY_TRANSFER not in scopes):
            yield finding(
                "DRB022",
                f"{path}.basis",
                f"a transfer to recipient {recipient.id!r} rests on consent and needs the "
                "subject's transfer consent, but consent.separate_scopes lacks "
                "third_party_transfer",
            )
        state = recipient.role is RecipientRole.STATE_BODY or recipient.basis.kind in (
            BasisKind.LEGAL_OBLIGATION,
            BasisKind.STATE_REQUEST,
        )
        if state and _blank(recipient.basis.citation):
            yield finding(
                "DRB010",
                f"{path}.basis.citation",
                f"recipient {recipient.id!r} ({recipient.role.value}, basis "
                f"{recipient.basis.kind.value}) cites no law",
            )


def _operator(register: Register) -> Iterator[Finding]:
    country = register.operator.primary_database_country
    if country != "KZ":
        yield finding(
            "DRB008",
            "operator.primary_database_country",
            f"the primary database is in {country}; it must be in Kazakhstan "
            "(copies abroad only in addition)",
        )


def _cookies(register: Register) -> Iterator[Finding]:
    limit = register.cookie_max_lifetime
    for i, cookie in enumerate(register.cookies):
        # Compared exactly (12 months is 1 year); across units, a lifetime that
        # might end after the limit is refused.
        if not is_provably_not_longer(cookie.lifetime, limit):
            yield finding(
                "DRB011",
                f"cookies[{i}].lifetime",
                f"cookie {cookie.name!r} lives {cookie.lifetime}, longer than "
                f"limits.cookie_max_lifetime ({limit})",
            )


def _policy(register: Register) -> Iterator[Finding]:
    change = register.policy.change
    if change is not None and change.silence_means_consent:
        yield finding(
            "DRB012",
            "policy.change.silence_means_consent",
            "silence after a policy change is not consent; ask for consent again",
        )
    if register.minors.processed and not register.minors.representative_consent:
        yield finding(
            "DRB014",
            "minors.representative_consent",
            "PD of minors is processed without the consent of a legal representative",
        )
    if not register.request_channels:
        yield finding(
            "DRB020",
            "request_channels",
            "no request channel: subjects cannot exercise their Art. 24 rights",
        )
    if register.operator.bin is None:
        yield finding(
            "DRB021",
            "operator.bin",
            "the operator's BIN is not stated: a consent cannot name it",
        )


def _overrides(register: Register, regime: Regime | None) -> Iterator[Finding]:
    if regime is None:
        return
    current = regime
    for i, override in enumerate(register.regime_overrides):
        term = RegimeTermOverride(override.deadline, override.term, override.citation)
        try:
            current = apply_overrides(current, [term])
        except LooserOverrideError as exc:
            yield finding(
                "DRB015",
                f"regime_overrides[{i}]",
                f"override of {override.deadline!r} to {exc.proposed} is not provably at most "
                f"{exc.default}: a register may shorten a deadline, never lengthen it",
                citation=regime[override.deadline].citation,
            )
        except RegimeError as exc:
            yield finding("DRB015", f"regime_overrides[{i}]", exc.message)


_CHECKS: tuple[Callable[[Register], Iterator[Finding]], ...] = (
    _operator,
    _policy,
    _categories,
    _purposes,
    _recipients,
    _cookies,
)


# ------------------------------------------------------------------ waivers


def waiver_covers(waiver: Waiver, found: Finding) -> bool:
    """Same code, and the finding's path is the waiver's or lies under it."""
    if waiver.code.strip() != found.code:
        return False
    path = waiver.path.strip()
    return found.path == path or found.path.startswith((f"{path}.", f"{path}["))


def apply_waivers(findings: list[Finding], waivers: tuple[Waiver, ...]) -> list[Finding]:
    """Mark waived findings; add a DRB099 warning for each waiver that matches nothing."""
    out = [
        replace(f, waived_by=next((w for w in waivers if waiver_covers(w, f)), None))
        for f in findings
    ]
    for i, waiver in enumerate(waivers):
        if any(waiver_covers(waiver, f) for f in findings):
            continue
        known = waiver.code.strip() in RULES_BY_CODE
        out.append(
            finding(
                STALE_WAIVER,
                f"waivers[{i}]",
                f"waiver of {waiver.code} at {waiver.path!r} (clause {waiver.clause}) "
                + ("matches no finding; remove it" if known else "names no lint rule"),
            )
        )
    return out


def lint(register: Register, regime: Regime | None = None) -> list[Finding]:
    """Every finding of the catalogue's rules on ``register``, waivers applied.

    ``regime`` is the default regime table; without it regime overrides
    (DRB015) are not checked.
    """
    findings = [f for check in _CHECKS for f in check(register)]
    findings.extend(_overrides(register, regime))
    order = {spec.code: n for n, spec in enumerate(RULES)}
    findings.sort(key=lambda f: order.get(f.code, len(order)))
    return apply_waivers(findings, register.waivers)


def counts(findings: list[Finding]) -> tuple[int, int, int]:
    """(unwaived errors, unwaived warnings, waived findings)."""
    errors = sum(1 for f in findings if not f.waived and f.is_error)
    warnings = sum(1 for f in findings if not f.waived and not f.is_error)
    return errors, warnings, sum(1 for f in findings if f.waived)
