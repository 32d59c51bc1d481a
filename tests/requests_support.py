"""A Kredit Seven world for request tests: the vault, a key store, a generated operator DB."""

from __future__ import annotations

import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from pypdf import PdfReader
from sqlalchemy import Engine, create_engine, text

from derbes.consent.model.consent import Scope, ScopeKind
from derbes.consent.service import consent as consent_service
from derbes.context import Context, OperatorScope
from derbes.datasets.adapters.connectors import OperatorStore
from derbes.datasets.adapters.connectors.sql import SqlStore
from derbes.datasets.adapters.yaml import load_dataset
from derbes.datasets.model import Dataset
from derbes.lifecycle import service as lifecycle
from derbes.platform.clock import FixedClock
from derbes.platform.db import parse_url
from derbes.register.adapters.yaml import load_register
from derbes.register.model.loaded import LoadedRegister
from derbes.register.model.register import BasisKind, Register
from derbes.register.service import registers
from derbes.requests import service as svc
from derbes.requests.model import SubjectRequest
from derbes.testing.context import context as ctx_of
from derbes.testing.context import make_context
from derbes.testing.otp import FakeOtpService
from derbes.transfers.adapters.store import TransferRecord
from derbes.uow import UnitOfWork
from derbes.vault.model import NewValue, Provenance, Source
from derbes.vault.ports import KeyStore
from derbes.vault.service import subjects as vault_service
from tests.operator_db import DATASET, REGISTER

ACTOR = "test:requests"
OPERATOR = "kredit-seven"
# Friday 20 March 2026, 15:00 in Almaty: the long Nauryz break follows.
FRIDAY = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)
PHOTO_TRAFFIC = "utm_source=k7-test-campaign-7781"


@cache
def kredit() -> LoadedRegister:
    return load_register(REGISTER)


@cache
def dataset() -> Dataset:
    return load_dataset(DATASET, kredit().register).dataset


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@dataclass(frozen=True)
class Client:
    id: int
    iin: str
    last_name: str
    first_name: str
    phone: str


def busy_client(op_url: str) -> Client:
    """A client with a closed loan, payments and contacts."""
    engine = create_engine(parse_url(op_url))
    try:
        with engine.connect() as connection:
            row = connection.execute(text(
                "SELECT c.id, c.iin, c.last_name, c.first_name, c.phone FROM clients c "
                "JOIN applications a ON a.client_id = c.id "
                "JOIN loans l ON l.application_id = a.id "
                "JOIN payments p ON p.loan_id = l.id JOIN contacts k ON k.client_id = c.id "
                "WHERE l.status = 'closed' ORDER BY c.id LIMIT 1")).one()
    finally:
        engine.dispose()
    return Client(int(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]))


def count_rows(op_url: str, client_id: int) -> dict[str, int]:
    engine: Engine = create_engine(parse_url(op_url))
    try:
        with engine.connect() as connection:
            return {
                "clients": connection.execute(text(
                    "SELECT count(*) FROM clients WHERE id = :c"), {"c": client_id}).scalar_one(),
                "contacts": connection.execute(text(
                    "SELECT count(*) FROM contacts WHERE client_id = :c"),
                    {"c": client_id}).scalar_one(),
                "applications": connection.execute(text(
                    "SELECT count(*) FROM applications WHERE client_id = :c"),
                    {"c": client_id}).scalar_one(),
            }
    finally:
        engine.dispose()


def client_row(op_url: str, client_id: int) -> dict[str, Any]:
    engine = create_engine(parse_url(op_url))
    try:
        with engine.connect() as connection:
            row = connection.execute(text("SELECT * FROM clients WHERE id = :c"),
                                     {"c": client_id}).one()
            return dict(row._mapping)
    finally:
        engine.dispose()


class World:
    """Kredit Seven published in the derbes DB, one customer in the vault and the store."""

    def __init__(self, uow: Any, keystore: KeyStore, op_url: str | None,
                 clock: FixedClock | None = None) -> None:
        self._uow = uow
        self.keys = keystore
        self.op_url = op_url
        self.clock = clock or FixedClock(FRIDAY)
        self.otp = FakeOtpService(10)
        self.down = False
        registers.publish(self.uow(), [kredit()], self.clock)

    def uow(self) -> UnitOfWork:
        made: UnitOfWork = self._uow()
        return made

    def ctx(self, actor: str = ACTOR, operator_id: str | None = None) -> Context:
        """A fresh use-case context on this world (every operator unless one is named)."""
        return make_context(self.uow(), self.keys, clock=self.clock, actor=actor,
                            scope=None if operator_id is None else OperatorScope.only(operator_id))

    @property
    def register(self) -> Register:
        return kredit().register

    def stores(self, operator_id: str, register: Register) -> Sequence[OperatorStore]:
        if self.op_url is None or operator_id != OPERATOR:
            return ()
        if self.down:
            # A server that is gone: the URL points at nothing that answers.
            return [SqlStore.from_url(dataset(), "postgresql+psycopg://nobody@127.0.0.1:1/x"
                                      "?connect_timeout=2")]
        return [SqlStore.from_url(dataset(), self.op_url)]

    def add_customer(self, client: Client) -> str:
        at = datetime(2025, 5, 1, 9, tzinfo=UTC)
        prov = Provenance(Source.SUBJECT, (), "personal cabinet", at)
        values = [
            NewValue("identity.iin", client.iin, prov),
            NewValue("identity.full_name", f"{client.last_name} {client.first_name}", prov),
            NewValue("contact.phone", client.phone, prov),
            NewValue("online.traffic_source", PHOTO_TRAFFIC,
                     Provenance(Source.SUBJECT, (), "site", at)),
            NewValue("account.customer_id", str(client.id), prov),
        ]
        subject_id = vault_service.add_subject(ctx_of(self.uow(), self.keys, self.clock, ACTOR), self.register, values, {})
        # The applicant ticks the consents of the application form (Kredit Seven p.4.1):
        # consent purposes keep their data only under a consent.
        consent_purposes = tuple(p.id for p in self.register.purposes.values()
                                 if p.basis.kind is BasisKind.CONSENT)
        consent_service.give_consent(make_context(self.uow(), self.keys, self.clock, ACTOR),
                                     None, consent_service.ConsentRequest(
            subject_id, [Scope(ScopeKind.PROCESSING, consent_purposes)], "web_checkbox"))
        return subject_id

    def close_loan(self, subject_id: str, closed_on: date) -> None:
        closed = datetime.combine(closed_on, datetime.min.time(), tzinfo=UTC)
        opened = closed - timedelta(days=90)
        lifecycle.record_event(make_context(self.uow(), clock=self.clock, actor="lifecycle"),
                               f"open-{subject_id}", subject_id, "contract_opened", opened, "MK-1")
        lifecycle.record_event(make_context(self.uow(), clock=self.clock, actor="lifecycle"),
                               f"close-{subject_id}", subject_id, "contract_closed", closed, "MK-1")

    def achieve(self, subject_id: str, on: date, purposes: Sequence[str]) -> None:
        at = datetime.combine(on, datetime.min.time(), tzinfo=UTC)
        for purpose in purposes:
            lifecycle.record_event(make_context(self.uow(), clock=self.clock, actor="lifecycle"),
                                   f"done-{purpose}-{subject_id}", subject_id, "purpose_achieved",
                                   at, data={"purpose": purpose})

    def transfer(self, subject_id: str, recipient: str, purpose: str,
                 categories: tuple[str, ...]) -> str:
        transfer_id = str(uuid.uuid4())
        with self.uow() as uow:
            uow.transfers.add(TransferRecord(
                id=transfer_id, at=datetime(2025, 6, 1, 12, tzinfo=UTC), actor=ACTOR,
                operator_id=OPERATOR, recipient_id=recipient, purpose=purpose,
                categories=categories, basis_kind="legal_obligation",
                consent_ids={subject_id: ()}, law_citation="Law on credit bureaus No. 573-II"))
            uow.commit()
        return transfer_id

    def file(self, type_: str, lang: str = "ru", **kwargs: Any) -> SubjectRequest:
        return svc.file_request(self.ctx(),
                                svc.NewRequest(
            operator_id=OPERATOR, type=type_, language=lang, **kwargs))

    def verify(self, request_id: str) -> None:
        svc.verify_by_staff(self.ctx(),
                            request_id, "ID card 043912345",
                            reason="the requester showed the card at the desk")

    def answer(self, request_id: str) -> svc.AccessAnswer:
        return svc.answer_request(self.ctx(),
                                  request_id, svc.Answering(stores=self.stores))
