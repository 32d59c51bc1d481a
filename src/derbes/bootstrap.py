"""The composition root: the one place that wires settings, clock and adapters."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine

from derbes.audit.adapters.alert_rules import load_access_rules
from derbes.audit.model.alert_rules import AccessRules
from derbes.consent.adapters.egov import FakeEgovService
from derbes.decisions.service import DecisionPoint
from derbes.platform.clock import Clock
from derbes.platform.db import make_engine
from derbes.platform.otp_outbox import OutboxOtpService
from derbes.platform.system_clock import SystemClock
from derbes.settings import Settings
from derbes.uow import SqlUnitOfWork, UnitOfWork
from derbes.vault.adapters.kek import FileKek, KeyEncryptionKey, load_kek, pending_kek_file
from derbes.vault.adapters.keystore import SqlKeyStore


@dataclass
class Container:
    settings: Settings = field(default_factory=Settings)
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url)

    def uow(self) -> UnitOfWork:
        """A fresh unit of work on the configured database.

        The audit key is fetched from the key store only when the unit of work
        first writes to the audit log, so work that logs nothing needs no KEK.
        """
        return SqlUnitOfWork(self.engine, audit_key=lambda: self.audit_key)

    @cached_property
    def audit_key(self) -> bytes:
        """The access-audit chain key, from the key store (outside the data database)."""
        return self.keystore.audit_key()

    @cached_property
    def ledger_key(self) -> bytes:
        """The consent-ledger chain key, derived from the audit key (consent/model/ledger.py)."""
        from derbes.consent.model.ledger import ledger_key

        return ledger_key(self.audit_key)

    @cached_property
    def otp(self) -> OutboxOtpService:
        """The SMS one-time-code port. No SMS gateway is wired yet: the shipped adapter
        keeps its codes under ``var_dir`` (so the CLI can issue in one command and
        verify in the next) and writes each SMS to an outbox file."""
        from derbes.consent.adapters.rules import load_consent_rules

        return OutboxOtpService(load_consent_rules().otp_reference_valid_minutes,
                                self.settings.var_dir / "otp")

    @cached_property
    def egov(self) -> FakeEgovService:
        """The eGov consent service port; the shipped fake (no eGov connection is wired yet)."""
        return FakeEgovService()

    @cached_property
    def access_rules(self) -> AccessRules:
        """Rules that flag unusual access (data/access_rules.yaml)."""
        return load_access_rules()

    @cached_property
    def kek(self) -> KeyEncryptionKey:
        """The KEK: DERBES_KEK wins, then Vault Transit if configured, then the key file."""
        s = self.settings
        return load_kek(
            key_file=s.kek_file,
            env_value=s.kek.get_secret_value() if s.kek else None,
            vault_addr=s.vault_addr,
            vault_token=s.vault_token.get_secret_value() if s.vault_token else None,
            vault_transit_key=s.vault_transit_key,
            vault_mount=s.vault_transit_mount,
        )

    @cached_property
    def keystore_engine(self) -> Engine:
        """The key store's own database (never the data database)."""
        return make_engine(self.settings.keystore_url)

    @cached_property
    def keystore(self) -> SqlKeyStore:
        kek = self.kek
        pending = pending_kek_file(self.settings.kek_file)
        if isinstance(kek, FileKek) and pending.exists():
            # An unfinished `derbes keys rotate`: wrap with the new KEK, still read the old.
            return SqlKeyStore(
                self.keystore_engine, FileKek(pending), clock=self.clock, also_unwrap_with=(kek,)
            )
        return SqlKeyStore(self.keystore_engine, kek, clock=self.clock)

    @cached_property
    def decision_point(self) -> DecisionPoint:
        """In-process decisions with a short-lived cache of subject states."""
        return DecisionPoint(self.uow, self.clock, ttl=self.settings.decision_cache_seconds)


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> Container:
    return Container(settings=settings or Settings(), clock=clock or SystemClock())
