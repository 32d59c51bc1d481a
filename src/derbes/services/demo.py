"""The demo's sample customer: one fictional Kredit Seven borrower, end to end.

Nothing here is a shortcut around the rules: the customer goes through the
same services as a real one (vault, lifecycle events, a subject request
verified by staff and answered), so the demo shows what derbes does.
The person is invented; the IIN is built with a valid check digit for a
birth date and serial chosen here, so it names nobody.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from derbes.adapters.keystore import KeyStore
from derbes.adapters.uow import UnitOfWork
from derbes.domain.clock import Clock
from derbes.domain.identifiers._checksum import control_digit
from derbes.domain.vault import NewValue, Provenance, Source
from derbes.services import lifecycle, registers
from derbes.services import requests as request_service
from derbes.services import vault as vault_service

OPERATOR = "kredit-seven"
ACTOR = "demo"
_BIRTH_AND_CENTURY = "9004123"  # 12 April 1990, a man born in the 20th century


@dataclass(frozen=True)
class DemoCustomer:
    subject_id: str
    request_id: str
    created: bool  # False: the customer was there from an earlier run


def demo_iin() -> str:
    """A checksum-valid IIN of the invented customer (the first serial that has one)."""
    for serial in range(1, 10_000):
        first11 = f"{_BIRTH_AND_CENTURY}{serial:04d}"
        digit = control_digit(first11)
        if digit is not None:
            return first11 + str(digit)
    raise AssertionError("unreachable: most serials have a check digit")  # pragma: no cover


def seed_customer(uow: UnitOfWork, keystore: KeyStore, clock: Clock) -> DemoCustomer:
    """Put the invented customer in the vault (once) and answer an access request."""
    iin = demo_iin()
    register = registers.in_force(uow, OPERATOR).register
    found = vault_service.find_subject(uow, keystore, "iin", iin, "subject_access_request",
                                       ACTOR, clock, operator_id=OPERATOR)
    created = not found
    if found:
        subject_id = found[0].subject_id
    else:
        now = clock.now()
        told = Provenance(Source.SUBJECT, (), "personal cabinet", now)
        subject_id = vault_service.add_subject(uow, keystore, register, [
            NewValue("identity.iin", iin, told),
            NewValue("identity.full_name", "Серікбаев Демо Асқарұлы", told),
            NewValue("contact.phone", "+77012345678", told),
            NewValue("account.customer_id", "DEMO-0001", told),
        ], {}, ACTOR, clock)
        opened = now - timedelta(days=30)
        lifecycle.record_event(uow, f"demo-open-{subject_id}", subject_id, "contract_opened",
                               opened, clock, "DEMO-LOAN-1")
    request = request_service.file_request(uow, keystore, request_service.NewRequest(
        operator_id=OPERATOR, type="access", language="kk", identifiers={"iin": iin},
        received_at=clock.now()), ACTOR, clock)
    request_service.verify_by_staff(uow, keystore, request.id, "demo: identity card seen",
                                    ACTOR, clock,
                                    reason="demo: the identity card was shown at the desk")
    request_service.answer_request(uow, keystore, request.id, ACTOR, clock)
    return DemoCustomer(subject_id=subject_id, request_id=request.id, created=created)

