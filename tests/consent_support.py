"""Test data shared by the consent tests: the Express Аванс register, people, a world."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from derbes.consent.model.consent import Evidence, Scope, ScopeKind
from derbes.consent.service import consent as svc
from derbes.context import Context
from derbes.delivery.ports import Couriers
from derbes.identifiers.model._checksum import control_digit
from derbes.lifecycle import service as lifecycle
from derbes.platform.clock import FixedClock
from derbes.register.adapters.yaml import load_register
from derbes.register.model.loaded import LoadedRegister
from derbes.register.service import registers
from derbes.testing.context import context as ctx_of
from derbes.testing.context import make_context
from derbes.testing.delivery import RecordingMailer, RecordingSms
from derbes.testing.otp import FakeOtpService
from derbes.testing.uow import FakeUnitOfWork
from derbes.testing.vault import InMemoryKeyStore
from derbes.uow import UnitOfWork
from derbes.vault.model import NewValue, Provenance, Source
from derbes.vault.ports import KeyStore
from derbes.vault.service import subjects as vault_service

EXPRESS = Path(__file__).resolve().parents[1] / "registers" / "express-avans.yaml"
ACTOR = "test:backend"
ADULT_IIN = "900101300126"  # born 1 Jan 1990
FULL_NAME = "Гүлнар Сарсенбайқызы Тестова"
PHONE = "+77017654321"
IP = "203.0.113.77"
USER_AGENT = "Mozilla/5.0 (DerbesTestAgent 9.9)"
DOCUMENT = "N04512377"
REP_DOCUMENT = "ID-REP-99183"

# Express Аванс purposes by basis (registers/express-avans.yaml).
CONSENT_PURPOSES = ("credit_bureau_inquiry", "pension_centre_inquiry", "customer_database",
                    "statistics")
MARKETING = ("marketing",)
CONTRACT_PURPOSES = ("loan_contract", "contract_control", "correspondence",
                     "contract_communication", "settlements", "solvency_assessment",
                     "application_verification", "rights_protection", "debt_collection",
                     "cession", "cabinet_access")
LEGAL_PURPOSES = ("credit_dossier_storage", "aml_cft", "credit_bureau_reporting", "security",
                  "appeals", "state_cooperation")


def iin_born(born: date, *, female: bool = False) -> str:
    """A valid IIN of a person born on ``born`` (some serial with a control digit)."""
    century = {18: 1, 19: 3, 20: 5}[born.year // 100] + (1 if female else 0)
    for serial in range(100, 10_000):
        first = f"{born:%y%m%d}{century}{serial:04d}"
        digit = control_digit(first)
        if digit is not None:
            return first + str(digit)
    raise AssertionError("no IIN")


def express() -> LoadedRegister:
    return load_register(EXPRESS)


def person(iin: str = ADULT_IIN, name: str = FULL_NAME, phone: str = PHONE) -> list[NewValue]:
    prov = Provenance(source=Source.SUBJECT, purposes=(), method="web_form",
                      collected_at=datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    return [NewValue("identity.full_name", name, prov),
            NewValue("identity.iin", iin, prov),
            NewValue("contact.phone", phone, prov)]


def processing(*purposes: str) -> Scope:
    return Scope(ScopeKind.PROCESSING, purposes=purposes)


def transfer(*recipients: str) -> Scope:
    return Scope(ScopeKind.THIRD_PARTY_TRANSFER, recipients=recipients)


def marketing(*purposes: str) -> Scope:
    return Scope(ScopeKind.MARKETING, purposes=purposes)


class World:
    """One operator (Express Аванс) over any unit of work, a key store, an OTP fake."""

    def __init__(self, clock: FixedClock, uow: Callable[[], UnitOfWork] | None = None,
                 keys: KeyStore | None = None) -> None:
        fake = FakeUnitOfWork()
        self.uow: Callable[[], UnitOfWork] = uow or (lambda: fake)
        self.keys = keys or InMemoryKeyStore()
        self.clock = clock
        self.otp = FakeOtpService(10)
        # The subject's phone and mailbox: what was sent, as they would read it.
        self.sms = RecordingSms()
        self.couriers = Couriers(self.sms, RecordingMailer())
        self.loaded = express()
        registers.publish(self.uow(), [self.loaded], clock)

    def ctx(self, actor: str = ACTOR) -> Context:
        """A fresh use-case context on this world, acting for every operator."""
        return make_context(self.uow(), self.keys, clock=self.clock, actor=actor)

    def subject(self, iin: str = ADULT_IIN, phone: str = PHONE) -> str:
        return vault_service.add_subject(ctx_of(self.uow(), self.keys, self.clock, ACTOR), self.loaded.register, person(iin, phone=phone), {})

    def give(self, subject_id: str, *scopes: Scope, channel: str = "web_checkbox",
             evidence: Evidence | None = None, **kw: object) -> svc.GiveResult:
        request = svc.ConsentRequest(subject_id=subject_id, scopes=list(scopes),
                                     channel=channel,
                                     evidence=evidence or Evidence(ip=IP, user_agent=USER_AGENT),
                                     **kw)  # type: ignore[arg-type]
        return svc.give_consent(make_context(self.uow(), self.keys, self.clock, ACTOR),
                                self.otp, request)

    def withdraw(self, subject_id: str, scope: str) -> svc.WithdrawalResult:
        return svc.withdraw_consent(make_context(self.uow(), None, self.clock, ACTOR),
                                    subject_id, scope)

    def event(self, subject_id: str, event_id: str, type_: str, contract: str | None = None,
              at: datetime | None = None) -> lifecycle.EventResult:
        return lifecycle.record_event(make_context(self.uow(), clock=self.clock, actor="lifecycle"),
                                      event_id, subject_id, type_, at or self.clock.now(), contract)
