"""Which consents a re-consent scope touches: the consent side of a widening policy change.

A widening register version names the consent scopes to ask again
(``register/model/diff``); this is the table of that package's docstring,
applied to the consents given (``*`` among a consent's recipients stands for
all of them).
"""

from __future__ import annotations

from derbes.consent.model.consent import ALL_RECIPIENTS, Consent, ScopeKind
from derbes.register.model.diff.changes import ReconsentScope

__all__ = ["touches"]


def touches(scope: ReconsentScope, consent: Consent) -> bool:
    """Whether asking ``scope`` again concerns ``consent`` (the table of the docstring)."""
    given = consent.scope
    if scope.kind is ScopeKind.PROCESSING:
        return (given.kind in (ScopeKind.PROCESSING, ScopeKind.MARKETING)
                and scope.purpose in given.purposes)
    if scope.kind in (ScopeKind.THIRD_PARTY_TRANSFER, ScopeKind.CROSS_BORDER_TRANSFER):
        if given.kind is not scope.kind:
            return False
        return (scope.recipient is None or scope.recipient in given.recipients
                or ALL_RECIPIENTS in given.recipients)
    if scope.kind is ScopeKind.COOKIES:
        return given.kind is ScopeKind.COOKIES and scope.cookie_category in given.cookie_categories
    return False
