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

# The use cases load on first use: a command that shows one request does not import
# the access answer, the letters and the retention sweep behind them.
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_WHERE: dict[str, str] = {
    'StoreOpener': 'derbes.datasets.ports',
    'Forgetful': 'derbes.requests.ports',
    'OtpPort': 'derbes.requests.ports',
    'RequestFilter': 'derbes.requests.ports',
    'AccessAnswer': 'derbes.requests.service.access',
    'answer_access': 'derbes.requests.service.access',
    'Answering': 'derbes.requests.service.answers',
    'answer_request': 'derbes.requests.service.answers',
    'full_answer': 'derbes.requests.service.answers',
    'refuse': 'derbes.requests.service.answers',
    'withdraw_request': 'derbes.requests.service.answers',
    'DestructionPlan': 'derbes.requests.service.destruction',
    'StorePlan': 'derbes.requests.service.destruction',
    'execute_destruction': 'derbes.requests.service.destruction',
    'plan_destruction': 'derbes.requests.service.destruction',
    'answer_claim': 'derbes.requests.service.execution',
    'answer_objection': 'derbes.requests.service.execution',
    'execute_blocking': 'derbes.requests.service.execution',
    'execute_rectification': 'derbes.requests.service.execution',
    'execute_withdrawal': 'derbes.requests.service.execution',
    'NewRequest': 'derbes.requests.service.intake',
    'file_request': 'derbes.requests.service.intake',
    'letter': 'derbes.requests.service.letters',
    'letter_context': 'derbes.requests.service.letters',
    'RequestView': 'derbes.requests.service.queries',
    'due_tomorrow': 'derbes.requests.service.queries',
    'list_requests': 'derbes.requests.service.queries',
    'overdue': 'derbes.requests.service.queries',
    'show': 'derbes.requests.service.queries',
    'today': 'derbes.requests.service.queries',
    'issue_otp': 'derbes.requests.service.verification',
    'start': 'derbes.requests.service.verification',
    'verify_by_otp': 'derbes.requests.service.verification',
    'verify_by_session': 'derbes.requests.service.verification',
    'verify_by_staff': 'derbes.requests.service.verification',
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


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
