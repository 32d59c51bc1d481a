"""Use cases of data-subject requests (Law 94-V Art. 24): file, verify, answer, close.

A request is filed (by the subject or a representative: ``intake``), the
requester's identity is verified (SMS OTP through the OTP port, or staff who
saw a document: ``verification``), then it is answered within the deadline the
regime table sets for its type (``data/request_types.yaml``; the register's
stricter overrides apply): ``access``, ``destruction``, ``execution`` (blocking,
rectification, withdrawal, complaints, objections), dispatched by ``answers``.
Every transition is stored with its actor and reason and written to the access
audit log in the same transaction (``transitions``).

No PD in clear leaves this package towards the database: what the requester
gives and the full answer are sealed with the request's own data key
(``sealing``). Destroying that key shreds them.

Every use case takes a :class:`~derbes.context.Context` first: its scope says
for which operators the caller acts (another operator's request does not exist
for it), its rules give the regime and the request rules.
"""

from derbes.datasets.ports import StoreOpener
from derbes.requests.ports import Forgetful, OtpPort, RequestFilter
from derbes.requests.service.access import AccessAnswer, answer_access
from derbes.requests.service.answers import (
    Answering,
    answer_request,
    full_answer,
    refuse,
    withdraw_request,
)
from derbes.requests.service.destruction import (
    DestructionPlan,
    StorePlan,
    execute_destruction,
    plan_destruction,
)
from derbes.requests.service.execution import (
    answer_claim,
    answer_objection,
    execute_blocking,
    execute_rectification,
    execute_withdrawal,
)
from derbes.requests.service.intake import NewRequest, file_request
from derbes.requests.service.letters import letter, letter_context
from derbes.requests.service.queries import (
    RequestView,
    due_tomorrow,
    list_requests,
    overdue,
    show,
    today,
)
from derbes.requests.service.verification import (
    issue_otp,
    start,
    verify_by_otp,
    verify_by_session,
    verify_by_staff,
)

__all__ = [
    "AccessAnswer",
    "Answering",
    "DestructionPlan",
    "Forgetful",
    "NewRequest",
    "OtpPort",
    "RequestFilter",
    "RequestView",
    "StoreOpener",
    "StorePlan",
    "answer_access",
    "answer_claim",
    "answer_objection",
    "answer_request",
    "due_tomorrow",
    "execute_blocking",
    "execute_destruction",
    "execute_rectification",
    "execute_withdrawal",
    "file_request",
    "full_answer",
    "issue_otp",
    "letter",
    "letter_context",
    "list_requests",
    "overdue",
    "plan_destruction",
    "refuse",
    "show",
    "start",
    "today",
    "verify_by_otp",
    "verify_by_session",
    "verify_by_staff",
    "withdraw_request",
]
