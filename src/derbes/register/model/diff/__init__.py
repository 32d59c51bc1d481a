"""What changed between two versions of a processing register, and what it means.

:func:`diff` compares an old and a new :class:`~derbes.register.model.register.Register`
and returns one :class:`Change` per fact that changed. Each change says

- its **kind** (:class:`ChangeKind`, a stable name such as
  ``category_added_to_purpose``),
- its **effect** on processing (:class:`Effect`): it *widens* processing (more
  PD, more purposes, more recipients, abroad, longer, fewer ways for the
  subject to say no), *narrows* it, or is *neutral* (wording, contacts,
  channels, lint waivers),
- the **path** in the YAML (``purposes[2].categories[4]``) and the **side** it
  points into (the new file for what was added or changed, the old file for
  what was removed),
- the **purposes** it affects, and
- for a widening change, the **consent scopes that need re-consent**
  (:class:`ReconsentScope`): processing for purpose X; third-party transfer to
  recipient R for purpose X; cross-border transfer (to recipient R, or of the
  database itself); cookie category C.

Silence never counts as consent (Law 94-V Art. 8; seed 004 p.10.5 promised the
opposite, lint DRB012): a subject who does not answer the notice of a
widening change has not agreed to it. ``register/service/policy_change.py`` therefore
marks every consent that a re-consent scope touches (``consent/model/reconsent.py``) with
``needs_reconsent_since`` and appends a ``reconsent_required`` ledger event.

What a re-consent scope touches, and what the mark means
--------------------------------------------------------
A consent (a row of the consents projection, ``consent/model/consent.py``) has one
scope kind and names purposes, recipients or cookie categories. A re-consent
scope of this module touches the active consents below (``*`` among a
consent's recipients stands for all of them):

======================================  =========================================
re-consent scope                        consents it marks
======================================  =========================================
processing, purpose X                   scope processing or marketing naming X
third-party transfer to R (purpose X)   scope third_party_transfer naming R or ``*``
cross-border transfer to R (purpose X)  scope cross_border_transfer naming R or ``*``
cross-border transfer, no recipient     every cross_border_transfer consent (the
                                        database or a copy of it goes abroad)
cookie category C                       scope cookies naming C
======================================  =========================================

Transfer consents name recipients, not purposes, so the purpose of a transfer
scope says why the scope is asked again, not which consents it marks.

A consent marked ``needs_reconsent_since`` **does not count as consent**,
from that instant, for anything it covers, until the subject gives a fresh
consent (a new record under the new policy version); the decision point denies
any action that would rest on it. The mark is per consent record, and a record
is one act of the subject given on one notice: when a processing consent names
purposes X and Y and only X widened, the whole record stops counting. That is
deliberately on the side of the subject (Art. 8: consent must cover what is
actually done); the ``reconsent_required`` ledger event names exactly which
scopes and which changes caused the mark, so the notice asking the subject
again can say precisely what changed. A purpose, recipient or cookie that is
*new* needs no mark: no existing consent names it, and no consent is ever
presumed for it; only a consent to every recipient (``*``) is marked, since it
would otherwise cover the new recipient silently.

Changes that widen processing on a basis other than consent (a new purpose on
a legal obligation, a purpose that stops needing consent) are reported as
widening with no re-consent scope: there is no consent to ask again, but the
subject must be told.
"""

from __future__ import annotations

from derbes.register.model.diff import cookies, definitions, operator, purposes, recipients, setup
from derbes.register.model.diff.changes import (
    INVERSE,
    Change,
    ChangeKind,
    Effect,
    ReconsentScope,
    RegisterDiff,
    Side,
    scopes_of,
)
from derbes.register.model.diff.differ import Differ
from derbes.register.model.diff.reconsent import (
    cookie_needs_consent,
    cross_border_needs_consent,
    every_scope,
    purpose_needs_consent,
    transfer_needs_consent,
)
from derbes.register.model.register import Register

__all__ = [
    "INVERSE", "Change", "ChangeKind", "Effect", "ReconsentScope", "RegisterDiff", "Side",
    "cookie_needs_consent", "cross_border_needs_consent", "diff", "every_scope",
    "purpose_needs_consent", "scopes_of", "transfer_needs_consent",
]

# The sections, in the order a reader of the diff expects them.
_SECTIONS = (
    operator.operator,
    operator.policy,
    definitions.definitions,
    purposes.purposes,
    recipients.recipients,
    cookies.cookies,
    setup.consent_setup,
    setup.rest,
)


def diff(old: Register, new: Register) -> RegisterDiff:
    """Every change from ``old`` to ``new``, classified; see the module docstring."""
    differ = Differ(old, new)
    for section in _SECTIONS:
        section(differ)
    return RegisterDiff(
        operator_id=new.operator.id,
        old_version=old.policy.version_id,
        new_version=new.policy.version_id,
        changes=tuple(differ.changes),
    )
