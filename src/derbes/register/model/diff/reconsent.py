"""Which consent scopes a change calls for.

Which consents a scope touches (the table of the package docstring) is the
consent slice's rule: ``consent/model/reconsent.py``."""

from __future__ import annotations

from derbes.consent.model.consent import ScopeKind, needs_consent
from derbes.register.model.diff.changes import ReconsentScope
from derbes.register.model.register import (
    BasisKind,
    CookieCategory,
    CrossBorderBasisKind,
    Purpose,
    Recipient,
    RecipientRole,
    Register,
)


def purpose_needs_consent(purpose: Purpose) -> bool:
    """Processing for ``purpose`` rests on consent (the rule of ``consent/model/consent.py``)."""
    return needs_consent(purpose)


def transfer_needs_consent(purpose: Purpose, recipient: Recipient) -> bool:
    """A disclosure to ``recipient`` for ``purpose`` rests on the subject's consent.

    The decision point's rule (``decisions/model.py``): the purpose needs consent,
    or the recipient's own basis is consent, and the recipient is an independent
    third party; a processor acts on the operator's instruction (seed 001 p.2.3).
    """
    if recipient.role is RecipientRole.PROCESSOR:
        return False
    return needs_consent(purpose) or recipient.basis.kind is BasisKind.CONSENT


def cross_border_needs_consent(recipient: Recipient) -> bool:
    """A transfer abroad rests on consent unless another Art. 16 basis is stated."""
    if not recipient.cross_border:
        return False
    basis = recipient.cross_border_basis
    return basis is None or basis.kind is CrossBorderBasisKind.CONSENT


def cookie_needs_consent(category: CookieCategory) -> bool:
    return category is not CookieCategory.STRICTLY_NECESSARY


def processing_scopes(purpose: Purpose) -> tuple[ReconsentScope, ...]:
    if purpose_needs_consent(purpose):
        return (ReconsentScope(ScopeKind.PROCESSING, purpose=purpose.id),)
    return ()


def transfer_scopes(purpose: Purpose, recipient: Recipient) -> tuple[ReconsentScope, ...]:
    out: list[ReconsentScope] = []
    if transfer_needs_consent(purpose, recipient):
        out.append(
            ReconsentScope(ScopeKind.THIRD_PARTY_TRANSFER, purpose=purpose.id,
                           recipient=recipient.id)
        )
    out.extend(abroad_scopes(purpose, recipient))
    return tuple(out)


def abroad_scopes(purpose: Purpose, recipient: Recipient) -> tuple[ReconsentScope, ...]:
    if cross_border_needs_consent(recipient):
        return (
            ReconsentScope(ScopeKind.CROSS_BORDER_TRANSFER, purpose=purpose.id,
                           recipient=recipient.id),
        )
    return ()


def cookie_scopes(category: CookieCategory) -> tuple[ReconsentScope, ...]:
    if cookie_needs_consent(category):
        return (ReconsentScope(ScopeKind.COOKIES, cookie_category=category.value),)
    return ()


DATABASE_ABROAD = ReconsentScope(ScopeKind.CROSS_BORDER_TRANSFER)


def every_scope(register: Register) -> tuple[ReconsentScope, ...]:
    """Every consent scope the register can rest on (a change of operator touches all)."""
    out: list[ReconsentScope] = []
    for purpose in register.purposes.values():
        out.extend(processing_scopes(purpose))
        for rid in purpose.recipients:
            out.extend(transfer_scopes(purpose, register.recipients[rid]))
    for cookie in register.cookies:
        out.extend(cookie_scopes(cookie.category))
    return tuple(dict.fromkeys(out))
