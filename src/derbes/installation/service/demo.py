"""The demo's sample customer: one fictional Kredit Seven borrower, end to end.

Nothing here is a shortcut around the rules: the customer goes through the
same services as a real one (vault, lifecycle events, a subject request
verified by staff and answered), so the demo shows what derbes does.
The person is invented; the IIN is built with a valid check digit for a
birth date and serial chosen here, so it names nobody.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from derbes.access import service as apikeys
from derbes.consent.model.act import ConsentRequest
from derbes.consent.model.consent import Evidence, Scope, ScopeKind
from derbes.consent.service.give import give_consent
from derbes.context import Context
from derbes.datasets.ports import StoreOpener, no_stores
from derbes.errors import UnauthenticatedError
from derbes.identifiers.model._checksum import control_digit
from derbes.lifecycle import service as lifecycle
from derbes.platform.clock import Clock
from derbes.platform.files import write_private
from derbes.register.service import registers
from derbes.requests import service as request_service
from derbes.settings import Settings
from derbes.staff import service as staff
from derbes.staff.ports import PasswordHasher
from derbes.uow import UnitOfWork
from derbes.vault.model import NewValue, Provenance, Source
from derbes.vault.service import subjects as vault_service

OPERATOR = "kredit-seven"
ACTOR = "demo"
_BIRTH_AND_CENTURY = "9004123"  # 12 April 1990, a man born in the 20th century
LAST, FIRST, PATRONYMIC = "Серікбаев", "Демо", "Асқарұлы"
PHONE = "+77012345678"
# The sample operator database the demo can build: the store of this dataset id.
SAMPLE_STORE = "kredit-seven-core"
SAMPLE_CLIENTS = 500  # invented borrowers besides the demo customer
# in var/, mode 0600: the demo customer's phone, to sign in to the cabinet with
CUSTOMER_FILE = "demo-customer-phone"
KEY_FILE = "demo-api-key"  # in var/, mode 0600: the demo's admin key, kept between runs


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


def admin_key(uow: Callable[[], UnitOfWork], clock: Clock, var_dir: Path) -> tuple[str, bool]:
    """The demo's admin API key and whether it was made now: the one kept in
    ``var/demo-api-key`` while it still works, else a new one (kept there, mode 0600)."""
    file = var_dir / KEY_FILE
    if file.is_file():
        token = file.read_text(encoding="utf-8").strip()
        try:
            apikeys.authenticate(uow(), clock, token)
            return token, False
        except UnauthenticatedError:
            pass  # revoked or from another database: make a new one
    token = apikeys.create(uow(), clock, name="demo", scopes=["admin"]).token
    write_private(file, (token + "\n").encode("utf-8"))
    return token, True


def seed_customer(ctx: Context, settings: Settings, stores: StoreOpener | None = None
                  ) -> DemoCustomer:
    """Put the invented customer in the vault (once) and answer an access request
    (over the vault and the operator databases ``stores`` opens); ``ctx`` acts as
    the demo's clerk for the demo operator."""
    uow, clock = ctx.uow, ctx.clock
    iin = demo_iin()
    register = registers.in_force(uow, OPERATOR).register
    found = vault_service.find_subject(ctx, "iin", iin, "subject_access_request")
    created = not found
    if found:
        subject_id = found[0].subject_id
    else:
        now = clock.now()
        told = Provenance(Source.SUBJECT, (), "personal cabinet", now)
        subject_id = vault_service.add_subject(ctx, register, [
            NewValue("identity.iin", iin, told),
            NewValue("identity.full_name", f"{LAST} {FIRST} {PATRONYMIC}", told),
            NewValue("contact.phone", PHONE, told),
            NewValue("account.customer_id", "DEMO-0001", told),
        ], {})
        opened = now - timedelta(days=30)
        lifecycle.record_event(ctx.acting("lifecycle"), f"demo-open-{subject_id}", subject_id,
                               "contract_opened", opened, "DEMO-LOAN-1")
    request = request_service.file_request(ctx, request_service.NewRequest(
        operator_id=OPERATOR, type="access", language="kk", identifiers={"iin": iin},
        received_at=clock.now()))
    request_service.verify_by_staff(ctx, request.id, "demo: identity card seen",
                                    reason="demo: the identity card was shown at the desk")
    request_service.answer_request(ctx, request.id, request_service.Answering(
        stores=stores or no_stores))
    return DemoCustomer(subject_id=subject_id, request_id=request.id, created=created)



DPO_FILE = "demo-dpo"  # in var/, mode 0600: the demo DPO's sign-in, kept between runs
DPO_LOGIN = "dpo@demo.derbes.kz"


@dataclass(frozen=True)
class DemoDpo:
    """How to sign in to the console as the demo's DPO (a local demo only: the password
    and the TOTP secret are random per installation and kept in a private file)."""

    login: str
    password: str
    totp_secret: str
    created: bool


def demo_dpo(ctx: Context, hasher: PasswordHasher, var_dir: Path,
             operators: Sequence[str]) -> DemoDpo:
    """The demo DPO, made once with a random password and second factor, holding the DPO
    role at every operator of the demo; later runs read the private file again."""
    file = var_dir / DPO_FILE
    with ctx.uow:
        person = ctx.uow.staff.by_login(DPO_LOGIN)
    if file.is_file() and person is not None and person.disabled_at is None:
        kept = json.loads(file.read_text(encoding="utf-8"))
        return DemoDpo(DPO_LOGIN, str(kept["password"]), str(kept["totp_secret"]), False)
    password = "Demo-" + secrets.token_urlsafe(12)
    if person is None:
        person = staff.add_person(ctx, hasher, DPO_LOGIN, "Demo DPO", password)
    else:
        staff.set_password(ctx, hasher, person.id, password)
    for operator in operators:
        staff.grant(ctx, person.id, operator, "dpo")
    secret = staff.enrol_totp(ctx, person.id).secret_b32
    write_private(file, json.dumps({"password": password, "totp_secret": secret}).encode())
    return DemoDpo(DPO_LOGIN, password, secret, True)


CABINET_OPERATOR = "express-avans"
# What the cabinet's customer agreed to when applying on the site: the processing for
# the loan, transfers to the credit bureaus and the pension centre, and marketing.
_CABINET_PURPOSES = ("credit_bureau_inquiry", "pension_centre_inquiry", "customer_database",
                     "statistics")


def cabinet_customer(ctx: Context) -> tuple[str, bool]:
    """An invented Express Аванс borrower to try the cabinet with (the same phone as the
    Kredit Seven customer): consents given on the site and a loan open, so a withdrawal
    of marketing shows what continues. ``ctx`` acts for Express Аванс. The subject's id
    and whether it was made now."""
    found = vault_service.find_subject(ctx, "phone", PHONE, "subject_access_request")
    if found:
        return found[0].subject_id, False
    now = ctx.clock.now()
    register = registers.in_force(ctx.uow, CABINET_OPERATOR).register
    told = Provenance(Source.SUBJECT, (), "loan application on the site", now)
    subject_id = vault_service.add_subject(ctx, register, [
        NewValue("identity.iin", demo_iin(), told),
        NewValue("identity.full_name", f"{LAST} {FIRST} {PATRONYMIC}", told),
        NewValue("contact.phone", PHONE, told),
    ], {})
    give_consent(ctx, None, ConsentRequest(
        subject_id=subject_id, channel="web_checkbox",
        scopes=[Scope(ScopeKind.PROCESSING, purposes=_CABINET_PURPOSES),
                Scope(ScopeKind.THIRD_PARTY_TRANSFER,
                      recipients=("credit_bureaus", "pension_centre")),
                Scope(ScopeKind.MARKETING, purposes=("marketing",))],
        evidence=Evidence(ip="192.0.2.10", user_agent="derbes demo"),
        idempotency_key=f"demo-cabinet-{subject_id}"))
    lifecycle.record_event(ctx.acting("lifecycle"), f"demo-cabinet-open-{subject_id}",
                           subject_id, "contract_opened", now - timedelta(days=10),
                           "DEMO-EA-LOAN-1")
    return subject_id, True
