"""The console's view models, assembled from the other slices' services.

Each page's function takes the operator the page shows, requires the person's
permission there (refusals are audited by the staff slice) and returns plain
dataclasses the templates read; actions call the owning slice's use case with the
staff person as the actor.
"""

from derbes.console.service.access import held, may, operators_of
from derbes.console.service.deadlines import RequestLine, local_today
from derbes.console.service.people import (
    PeoplePage,
    create_key,
    grant,
    people_page,
    revoke,
    revoke_key,
)
from derbes.console.service.requests import (
    Inbox,
    InboxFilter,
    RequestPage,
    answer,
    inbox,
    letter,
    refuse,
    request_page,
    verify,
)
from derbes.console.service.today import RetentionDue, TodayView, today

__all__ = [
    "Inbox",
    "InboxFilter",
    "PeoplePage",
    "RequestLine",
    "RequestPage",
    "RetentionDue",
    "TodayView",
    "answer",
    "create_key",
    "grant",
    "held",
    "inbox",
    "letter",
    "local_today",
    "may",
    "operators_of",
    "people_page",
    "refuse",
    "request_page",
    "revoke",
    "revoke_key",
    "today",
    "verify",
]
