"""The decision point: may this action be done with this subject's PD, and why.

    index = DecisionIndex.build(register, rules)        # once per register version
    state = state_of(facts, now)                        # once per subject (cached)
    decide(index, state, Action(ActionKind.USE, "s1", "newsletters", None, ("contact.email",)))

Four actions: ``use`` for a purpose, ``transfer`` to a recipient
for a purpose, ``cross_border`` transfer, ``publish`` in public sources; each on
named categories. The answer is allow / deny with every reason that applies,
each carrying its citation: the register's own (a purpose's legal basis, its
retention rule, a recipient's cross-border basis) where it has one, otherwise
the rule of law from ``data/decision_rules.yaml``.

Built for throughput, because operators call it on every access:

* :class:`DecisionIndex` compiles a register once: per purpose its categories
  as a frozenset, whether it needs consent, its recipients, and every reason it
  can produce, already formatted; per (purpose, recipient) pair the transfer and
  cross-border rules. A decision that does not depend on the subject's consents
  (a legal basis, a processor) is one precomputed :class:`Decision`.
* :class:`SubjectState` is a small immutable object of frozensets and dicts,
  with one flag (``restricted``) that lets the common case skip every block,
  destruction and retention check.
* :func:`decide` allocates at most one :class:`Reason` (the one naming the
  consent id) and one :class:`Decision` on the allow path.

What the caller gets wrong — an unknown purpose, recipient or category, a
missing field — is an :class:`~derbes.errors.InputError`, not a denial.
"""

from derbes.decisions.model.deciding import DecisionIndex, decide, decide_many
from derbes.decisions.model.reasons import (
    ALL,
    HOME_COUNTRY,
    Action,
    ActionKind,
    Decision,
    DecisionRules,
    Reason,
    ReasonCode,
    ReasonText,
)
from derbes.decisions.model.state import (
    ConsentFact,
    ConsentTimes,
    SubjectFacts,
    SubjectState,
    consent_fact,
    state_of,
    unknown_subject,
    unverified_subject,
)

__all__ = [
    "ALL",
    "HOME_COUNTRY",
    "Action",
    "ActionKind",
    "ConsentFact",
    "ConsentTimes",
    "Decision",
    "DecisionIndex",
    "DecisionRules",
    "Reason",
    "ReasonCode",
    "ReasonText",
    "SubjectFacts",
    "SubjectState",
    "consent_fact",
    "decide",
    "decide_many",
    "state_of",
    "unknown_subject",
    "unverified_subject",
]
