"""Staff use cases: people and roles, credentials, sessions, authorization."""

from derbes.staff.service.authorization import (
    DENIED_ACTION,
    principal_of_key,
    principal_of_person,
    require,
    require_role,
)
from derbes.staff.service.credentials import Enrolment, enrol_totp, set_password
from derbes.staff.service.people import (
    AccessRow,
    Revoked,
    access_list,
    add_person,
    grant,
    people,
    revoke,
    set_language,
)
from derbes.staff.service.sessions import (
    CSRF_ACTION,
    SIGNIN_ACTION,
    Current,
    SignedIn,
    csrf_matches,
    csrf_token,
    refuse_csrf,
    sign_in,
    sign_out,
    who,
)

__all__ = [
    "CSRF_ACTION",
    "DENIED_ACTION",
    "SIGNIN_ACTION",
    "AccessRow",
    "Current",
    "Enrolment",
    "Revoked",
    "SignedIn",
    "access_list",
    "add_person",
    "csrf_matches",
    "csrf_token",
    "enrol_totp",
    "grant",
    "people",
    "principal_of_key",
    "principal_of_person",
    "refuse_csrf",
    "require",
    "require_role",
    "revoke",
    "set_language",
    "set_password",
    "sign_in",
    "sign_out",
    "who",
]
