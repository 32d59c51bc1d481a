"""The rules of Law 94-V a loadable register can still break (codes in ``catalogue.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from derbes.deadlines.model.regime import (
    LooserOverrideError,
    Regime,
    RegimeError,
    apply_overrides,
    is_provably_not_longer,
)
from derbes.deadlines.model.regime import RegimeOverride as RegimeTermOverride
from derbes.register.model.lint.catalogue import Finding, blank, finding
from derbes.register.model.register import (
    BasisKind,
    CrossBorderBasisKind,
    Purpose,
    Recipient,
    RecipientRole,
    Register,
    Sensitivity,
    SeparateScope,
)

_blank = blank


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
    on_consent = purpose.basis.kind is BasisKind.CONSENT and purpose.consent_required
    # Art. 9: processing a law requires needs no consent (biometric identification
    # under the AML law), provided the law is cited.
    by_law = purpose.basis.kind is BasisKind.LEGAL_OBLIGATION and not _blank(
        purpose.basis.citation)
    if special and not (on_consent or by_law):
        yield finding(
            "DRB009",
            f"{path}.basis",
            f"purpose {purpose.id!r} uses special categories ({', '.join(special)}) "
            f"on basis {purpose.basis.kind.value!r}"
            + ("" if purpose.consent_required else " without requiring consent")
            + "; it needs consent (consent_required: true) or an obligation of a cited law",
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
    if purpose.automated_decision is True:
        yield finding(
            "DRB018",
            f"{path}.automated_decision",
            f"purpose {purpose.id!r} makes automated decisions: the subject may object "
            "and must be able to get an explanation and a person's review",
        )
        if not purpose.consent_required:
            yield finding(
                "DRB030",
                f"{path}.basis",
                f"purpose {purpose.id!r} makes automated decisions on basis "
                f"{purpose.basis.kind.value!r} without consent; automated processing that "
                "changes the subject's rights needs consent",
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
        yield from _cross_border(recipient, path, scopes)
        if (purposes and recipient.basis.kind is BasisKind.CONSENT
                and not recipient.is_processor
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


def _cross_border(
    recipient: Recipient, path: str, scopes: tuple[SeparateScope, ...]
) -> Iterator[Finding]:
    """DRB007: a recipient stated to be abroad has its Art. 16 basis (never one whose
    country is not stated: that is DRB023)."""
    if not recipient.cross_border:
        return
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


def _operator(register: Register) -> Iterator[Finding]:
    country = register.operator.primary_database_country
    if country is not None and country != "KZ":
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
            source = register.cookie_max_lifetime_source
            yield finding(
                "DRB011",
                f"cookies[{i}].lifetime",
                f"cookie {cookie.name!r} lives {cookie.lifetime}, longer than "
                f"limits.cookie_max_lifetime ({limit})",
                citation=(f"the operator's policy {source}" if source
                          else "derbes' default limit (not in the law)"),
            )


def _policy(register: Register) -> Iterator[Finding]:
    change = register.policy.change
    if change is not None and change.silence_means_consent:
        yield finding(
            "DRB012",
            "policy.change.silence_means_consent",
            "silence after a policy change is not consent; ask for consent again",
        )
    minors = register.minors
    if minors is not None and minors.processed and minors.representative_consent is False:
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


def overrides(register: Register, regime: Regime | None) -> Iterator[Finding]:
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


CHECKS: tuple[Callable[[Register], Iterator[Finding]], ...] = (
    _operator,
    _policy,
    _categories,
    _purposes,
    _recipients,
    _cookies,
)


