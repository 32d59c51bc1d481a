"""Test support for the retention engine: the QIWI register, a vault, events, time travel."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from derbes.consent.model.consent import Scope, ScopeKind
from derbes.consent.service import consent as consent_svc
from derbes.lifecycle import service as lifecycle
from derbes.platform.clock import Clock, FixedClock
from derbes.platform.db import make_engine
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.tables import pd_values, subjects
from derbes.register.adapters.yaml import load_register
from derbes.register.model.loaded import LoadedRegister
from derbes.register.model.register import Register
from derbes.register.service import registers
from derbes.retention.service import sweep as svc
from derbes.testing.context import context as ctx_of
from derbes.testing.context import make_context
from derbes.uow import UnitOfWork
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import LocalKek
from derbes.vault.adapters.keystore import SqlKeyStore
from derbes.vault.model import NewValue, Provenance, Source
from derbes.vault.ports import KeyStore
from derbes.vault.service import subjects as vault_svc

ROOT = Path(__file__).resolve().parents[1]
QIWI = ROOT / "registers" / "qiwi-kz.yaml"
OPERATOR = "qiwi-kz"
ACTOR = "test:retention"

_ids = itertools.count(1)


def qiwi() -> LoadedRegister:
    return load_register(QIWI)


def at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)


def qiwi_values(n: int, collected: datetime) -> list[NewValue]:
    """A wallet customer: identity and contacts (kept 5 years after the last
    transaction by AML), cookies, interview answers, IP (3 years after the
    contract under the Civil Code)."""
    def prov(*purposes: str) -> Provenance:
        return Provenance(Source.SUBJECT, tuple(purposes), "web_form", collected)

    return [
        NewValue("identity.full_name", f"Тест Тестов {n:06d}", prov("user_requests")),
        NewValue("contact.phone", f"+7701{n:07d}", prov("user_requests")),
        NewValue("contact.email", f"person{n}@example.kz", prov("marketing_messages")),
        NewValue("aml.activity_details", f"profile {n}", prov("aml_antifraud")),
        NewValue("online.cookies", f"cookie-{n}", prov("visitor_analytics")),
        NewValue("marketing.interview_answers", f"answers {n}", prov("marketing_research")),
        NewValue("device.ip_address", f"10.0.{n % 250}.{n % 200}", prov("chat_bot")),
    ]


def consent_to_all(uow: UnitOfWork, keys: KeyStore, clock: Clock, subject_id: str) -> None:
    """The customer consents to the purposes their values are collected for
    (:func:`qiwi_values`; QIWI p.3.4.2: every purpose but AML rests on consent):
    only then do consent purposes keep their data."""
    consent_svc.give_consent(make_context(uow, keys, clock, ACTOR),
                             None, consent_svc.ConsentRequest(
        subject_id, [Scope(ScopeKind.PROCESSING, CONSENTED)], "web_checkbox"))


CONSENTED = ("user_requests", "marketing_messages", "visitor_analytics", "marketing_research",
             "chat_bot")


THREE_YEAR_ONLY = frozenset({"online.cookies", "marketing.interview_answers",
                             "device.ip_address"})
AML_KEPT = frozenset({"identity.full_name", "contact.phone", "contact.email",
                      "aml.activity_details"})


@dataclass(repr=False)
class RetentionEnv:
    engine: Engine
    keys: SqlKeyStore
    clock: FixedClock
    loaded: LoadedRegister
    key_engine: Engine
    kek: bytes
    key_url: str
    url: str
    event_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __repr__(self) -> str:  # short: hypothesis prints it with every failure
        return f"RetentionEnv({self.url!r})"

    @property
    def register(self) -> Register:
        return self.loaded.register

    def uow(self) -> UnitOfWork:
        return SqlUnitOfWork(self.engine, audit_key=self.keys.audit_key)

    def add(self, n: int | None = None) -> str:
        n = next(_ids) if n is None else n
        sid = vault_svc.add_subject(ctx_of(self.uow(), self.keys, self.clock, ACTOR), self.register, qiwi_values(n, self.clock.now()), {})
        consent_to_all(self.uow(), self.keys, self.clock, sid)
        return sid

    def read(self, subject_id: str, purpose: str) -> vault_svc.SubjectView:
        return vault_svc.read_subject(ctx_of(self.uow(), self.keys, self.clock, ACTOR), subject_id, purpose)

    def event(self, subject_id: str, type_: str, day: date, contract_id: str | None = None,
              data: Mapping[str, Any] | None = None, event_id: str | None = None
              ) -> lifecycle.EventResult:
        if self.clock.now() < at(day):
            self.clock.set(at(day))
        return lifecycle.record_event(
            make_context(self.uow(), clock=self.clock, actor="lifecycle"),
            event_id or f"ev-{next(self.event_ids)}-{subject_id[:8]}", subject_id, type_, at(day),
            contract_id, data,
        )

    def customer(self, opened: date, transaction: date, closed: date | None) -> str:
        self.clock.set(at(opened))
        sid = self.add()
        contract = f"c-{sid[:8]}"
        self.event(sid, "contract_opened", opened, contract)
        self.event(sid, "transaction", transaction, contract)
        if closed is not None:
            self.event(sid, "contract_closed", closed, contract)
        return sid

    def run(self, as_of: date, **kwargs: Any) -> svc.RunReport:
        self.clock.set(at(as_of))
        return svc.run(make_context(self.uow(), self.keys, self.clock, ACTOR),
                       OPERATOR, as_of, **kwargs)

    def plan(self, as_of: date) -> svc.RetentionPlan:
        return svc.plan(make_context(self.uow(), None, self.clock), OPERATOR, as_of)

    def held(self, subject_id: str) -> set[str]:
        with self.engine.connect() as c:
            return set(c.execute(select(pd_values.c.category).where(
                pd_values.c.subject_id == subject_id)).scalars())

    def destroyed(self, subject_id: str) -> bool:
        with self.engine.connect() as c:
            return c.execute(select(subjects.c.destroyed_at).where(
                subjects.c.id == subject_id)).scalar_one() is not None

    def has_key(self, subject_id: str) -> bool:
        return subject_id in self.keys.keys_for([subject_id])

    def value_count(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(pd_values)).scalar_one())


def open_env(db_url: str, tmp_path: Path, start: date = date(2020, 1, 1)
             ) -> Iterator[RetentionEnv]:
    key_file = tmp_path / "keys.sqlite3"
    key_url = f"sqlite:///{key_file}"
    keystore_migrate.upgrade(key_url)
    key_engine = make_engine(key_url)
    engine = make_engine(db_url)
    clock = FixedClock(at(start))
    kek = os.urandom(32)
    loaded = qiwi()
    env = RetentionEnv(engine, SqlKeyStore(key_engine, LocalKek(kek), clock=clock), clock,
                       loaded, key_engine, kek, key_url, db_url)
    registers.publish(env.uow(), [loaded], clock)
    try:
        yield env
    finally:
        engine.dispose()
        key_engine.dispose()


def later(day: date, days: int) -> date:
    return day + timedelta(days=days)
