"""The console's view models, assembled from the other slices' services.

Each page's function takes the operator the page shows, requires the person's
permission there (refusals are audited by the staff slice) and returns plain
dataclasses the templates read; actions call the owning slice's use case with the
staff person as the actor.
"""

from derbes.console.service.access import held, may, operators_of, scoped
from derbes.console.service.consents import ConsentsPage, LedgerLine, certificate, consents_page
from derbes.console.service.deadlines import RequestLine, local_today
from derbes.console.service.oversight import (
    AuditFilter,
    AuditPage,
    ChainCheck,
    RegisterPage,
    RetentionPage,
    act,
    audit_page,
    notice,
    register_page,
    retention_page,
    verify_chains,
)
from derbes.console.service.people import (
    PeoplePage,
    create_key,
    grant,
    people_page,
    revoke,
    revoke_key,
)
from derbes.console.service.registers import (
    ChangeForm,
    RegisterChange,
    Source,
    change_form,
    preview,
    publish,
)
from derbes.console.service.requests import (
    Inbox,
    InboxFilter,
    RequestPage,
    answer,
    dry_run,
    inbox,
    letter,
    refuse,
    request_page,
    verify,
)
from derbes.console.service.subjects import (
    LOOKUP_KINDS,
    Revealed,
    SubjectPage,
    find,
    reveal,
    subject_page,
)
from derbes.console.service.today import RetentionDue, TodayView, today
from derbes.staff.model.roles import Permission

__all__ = [
    "LOOKUP_KINDS",
    "AuditFilter",
    "AuditPage",
    "ChainCheck",
    "ChangeForm",
    "ConsentsPage",
    "Inbox",
    "InboxFilter",
    "LedgerLine",
    "PeoplePage",
    "Permission",
    "RegisterChange",
    "RegisterPage",
    "RequestLine",
    "RequestPage",
    "RetentionDue",
    "RetentionPage",
    "Revealed",
    "Source",
    "SubjectPage",
    "TodayView",
    "act",
    "answer",
    "audit_page",
    "certificate",
    "change_form",
    "consents_page",
    "create_key",
    "dry_run",
    "find",
    "grant",
    "held",
    "inbox",
    "letter",
    "local_today",
    "may",
    "notice",
    "operators_of",
    "people_page",
    "preview",
    "publish",
    "refuse",
    "register_page",
    "request_page",
    "retention_page",
    "reveal",
    "revoke",
    "revoke_key",
    "scoped",
    "subject_page",
    "today",
    "verify",
    "verify_chains",
]
