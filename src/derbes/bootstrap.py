"""The composition root: the one place that wires settings, clock and adapters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from derbes.context import Context, OperatorScope, Rules
from derbes.errors import ConfigurationError
from derbes.platform.clock import Clock
from derbes.platform.db import make_engine
from derbes.platform.files import tighten_dir
from derbes.platform.sql_uow import SqlUnitOfWork
from derbes.platform.system_clock import SystemClock
from derbes.settings import Settings
from derbes.uow import UnitOfWork

# What a command does not use, it does not import: the adapters below load when
# the container first hands them out (a CLI command starts in a fraction of a second).
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from derbes.consent.adapters.egov import FakeEgovService
    from derbes.decisions.service import DecisionPoint
    from derbes.delivery.ports import Couriers, Mailer, SmsGateway
    from derbes.identifiers.model import Verdict
    from derbes.identifiers.ports import Phones
    from derbes.integrity.model.anchor import Chain, Latest
    from derbes.integrity.service.anchors import AnchorOutcome, AnchorSchedule, AnchorTargets
    from derbes.platform.otp_codes import FileOtpCodes
    from derbes.register.ports import NoticeRenderer, RegisterReader
    from derbes.staff.adapters.passwords import Argon2Hasher
    from derbes.staff.service.oidc import OidcSetup
    from derbes.vault.adapters.keystore import SqlKeyStore
    from derbes.vault.ports import KeyEncryptionKey, KeyFiles


class _PhonesOnUse:
    """The phone-number adapter, imported when a number is first checked: its
    metadata takes a tenth of a second to load, which a command that checks no
    number need not pay."""

    def _phones(self) -> Phones:
        from derbes.identifiers.adapters.phone import PHONES

        return PHONES

    def check(self, value: str) -> Verdict:
        return self._phones().check(value)

    def e164(self, value: str) -> str:
        return self._phones().e164(value)


_PHONES = _PhonesOnUse()


@dataclass
class Container:
    settings: Settings = field(default_factory=Settings)
    clock: Clock = field(default_factory=SystemClock)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.database_url,
                           busy_timeout=self.settings.db_busy_timeout)

    def uow(self) -> UnitOfWork:
        """A fresh unit of work on the configured database.

        The audit key is fetched from the key store only when the unit of work
        first writes to the audit log, so work that logs nothing needs no KEK.
        """
        return SqlUnitOfWork(self.engine, audit_key=lambda: self.audit_key)

    def reader(self) -> UnitOfWork:
        """A unit of work that only reads: it never waits for writers (nor they for it)."""
        return SqlUnitOfWork(self.engine, audit_key=lambda: self.audit_key, read_only=True)

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
    def otp(self) -> FileOtpCodes:
        """The one-time codes' state, kept under ``var_dir`` (so the CLI can issue in one
        command and verify in the next); the codes travel through :attr:`couriers`."""
        from derbes.platform.otp_codes import FileOtpCodes

        return FileOtpCodes(self.rules.consent.otp_reference_valid_minutes,
                            self.settings.var_dir / "otp")

    @cached_property
    def couriers(self) -> Couriers:
        """The SMS gateway and the mailer the settings choose (``DERBES_SMS_GATEWAY``,
        ``DERBES_MAIL_TRANSPORT``)."""
        from derbes.delivery.ports import Couriers

        return Couriers(sms=self._sms_gateway(), mail=self._mailer())

    def _sms_gateway(self) -> SmsGateway:
        from derbes.delivery.adapters.unconfigured import Unconfigured

        s = self.settings
        if s.sms_gateway == "log":
            from derbes.delivery.adapters.console import ConsoleSmsGateway

            return ConsoleSmsGateway()
        if s.sms_gateway == "mobizon":
            from derbes.delivery.adapters.mobizon import MobizonGateway

            if s.mobizon_api_key is None:
                raise ConfigurationError("DERBES_SMS_GATEWAY=mobizon needs "
                                         "DERBES_MOBIZON_API_KEY")
            return MobizonGateway(
                s.mobizon_api_key.get_secret_value(), base_url=s.mobizon_url,
                sender=s.mobizon_sender, timeout=s.mobizon_timeout,
                validity_minutes=self.rules.consent.otp_reference_valid_minutes)
        return Unconfigured("DERBES_SMS_GATEWAY")

    def _mailer(self) -> Mailer:
        from derbes.delivery.adapters.unconfigured import Unconfigured

        s = self.settings
        if s.mail_transport == "log":
            from derbes.delivery.adapters.console import ConsoleMailer

            return ConsoleMailer()
        if s.mail_transport == "smtp":
            from derbes.delivery.adapters.smtp import SmtpMailer, SmtpRelay

            return SmtpMailer(SmtpRelay(
                s.smtp_host or "", s.smtp_port, s.smtp_from or "", username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                starttls=s.smtp_starttls,
                ca_file=str(s.smtp_ca_file) if s.smtp_ca_file else None,
                timeout=s.smtp_timeout))
        return Unconfigured("DERBES_MAIL_TRANSPORT")

    @cached_property
    def egov(self) -> FakeEgovService:
        """The eGov consent service port; the shipped fake (no eGov connection is wired yet)."""
        from derbes.consent.adapters.egov import FakeEgovService

        return FakeEgovService()

    @cached_property
    def rules(self) -> Rules:
        """Every rule table, read once: the regime table honours ``DERBES_REGIME_FILE``."""
        return load_rules(self.settings.regime_file, self.settings.calendar_overrides)

    @property
    def register_reader(self) -> RegisterReader:
        """How register YAML is read and checked (the register slice's port)."""
        from derbes.register.adapters.yaml import READER

        return READER

    @property
    def notices(self) -> NoticeRenderer:
        """How privacy notices are rendered (HTML, PDF, Markdown)."""
        from derbes.register.adapters.notice import RENDERER

        return RENDERER

    @property
    def phones(self) -> Phones:
        """Kazakhstan phone numbers (the numbering plan of the ``phonenumbers`` package,
        loaded when a number is first checked)."""
        return _PHONES

    @property
    def key_files(self) -> KeyFiles:
        """KEK key files and the key store's schema, on disk."""
        from derbes.vault.adapters.key_files import KEY_FILES

        return KEY_FILES

    def context(self, actor: str, request_id: str | None = None,
                scope: OperatorScope | None = None, *, read_only: bool = False) -> Context:
        """A use case's world on this installation: a fresh unit of work (a reader
        that never waits for writers when ``read_only``), the key store, the clock
        and the rules, for ``actor`` acting within ``scope`` (every operator if None)."""
        return Context(
            uow=self.reader() if read_only else self.uow(),
            keys=lambda: self.keystore, clock=self.clock, rules=self.rules, phones=self.phones,
            actor=actor, request_id=request_id,
            scope=OperatorScope.every() if scope is None else scope,
        )

    @cached_property
    def kek(self) -> KeyEncryptionKey:
        """The KEK: DERBES_KEK wins, then Vault Transit if configured, then the key file."""
        from derbes.vault.adapters.kek import load_kek

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
        return make_engine(self.settings.keystore_url,
                           busy_timeout=self.settings.db_busy_timeout)

    @cached_property
    def keystore(self) -> SqlKeyStore:
        from derbes.vault.adapters.kek import FileKek, pending_kek_file
        from derbes.vault.adapters.key_epochs import DirectoryEpochKeyring
        from derbes.vault.adapters.keystore import SqlKeyStore

        kek = self.kek
        directory = self.settings.epochs_dir
        pending = pending_kek_file(self.settings.kek_file)
        if isinstance(kek, FileKek) and pending.exists():
            # An unfinished `derbes keys rotate`: wrap with the new KEK, still read the old.
            new = FileKek(pending)
            return SqlKeyStore(
                self.keystore_engine, new, clock=self.clock, also_unwrap_with=(kek,),
                epochs=DirectoryEpochKeyring(directory, new, also_unwrap_with=(kek,)),
            )
        return SqlKeyStore(self.keystore_engine, kek, clock=self.clock,
                           epochs=DirectoryEpochKeyring(directory, kek))

    @cached_property
    def anchor_targets(self) -> AnchorTargets:
        """Where anchors of the chains' heads go: the file (read back), syslog, a URL."""
        from derbes.integrity.adapters.anchor_sinks import (
            FileAnchorSink,
            SyslogAnchorSink,
            UrlAnchorSink,
        )
        from derbes.integrity.ports import AnchorSink
        from derbes.integrity.service.anchors import AnchorTargets

        s = self.settings
        copies: list[AnchorSink] = []
        if s.anchor_syslog:
            copies.append(SyslogAnchorSink(s.anchor_syslog))
        if s.anchor_url:
            copies.append(UrlAnchorSink(s.anchor_url))
        return AnchorTargets(FileAnchorSink(s.anchor_file), tuple(copies))

    def anchor(self, chain: Chain) -> AnchorOutcome:
        """Anchor one chain's head now (``derbes audit|ledger anchor``, the schedule)."""
        from derbes.integrity.service.anchors import anchor_chain

        return anchor_chain(self.uow(), self.audit_key, chain, self.anchor_targets, self.clock)

    def latest_anchor(self, chain: Chain) -> Latest:
        from derbes.integrity.service.anchors import latest

        return latest(self.audit_key, chain, self.anchor_targets)

    def anchor_schedule(self) -> AnchorSchedule | None:
        """Both chains anchored every ``anchor_every_minutes`` (None when set to 0)."""
        from derbes.integrity.service.anchors import AnchorSchedule

        minutes = self.settings.anchor_every_minutes
        return AnchorSchedule(self.anchor, minutes) if minutes > 0 else None

    @cached_property
    def password_hasher(self) -> Argon2Hasher:
        """Argon2id with the costs of ``data/staff.yaml``."""
        from derbes.staff.adapters.passwords import Argon2Hasher

        return Argon2Hasher(self.rules.staff.policy.passwords)

    @cached_property
    def oidc(self) -> OidcSetup | None:
        """The operator's OpenID Connect provider and role mapping (None: not configured)."""
        from derbes.staff.service.oidc import OidcSetup

        s = self.settings
        if not s.oidc_configured:
            return None
        from derbes.staff.adapters.oidc import HttpOidcProvider, load_role_mapping

        secret = s.oidc_client_secret.get_secret_value() if s.oidc_client_secret else ""
        # Settings refuse a partial configuration: the four are all given here.
        provider = HttpOidcProvider(
            s.oidc_provider_name, s.oidc_issuer or "", s.oidc_client_id or "", secret,
            s.oidc_redirect_url or "", s.oidc_timeout)
        mapping = load_role_mapping(s.oidc_roles_file, self.rules.staff.roles,
                                    s.oidc_roles_claim)
        return OidcSetup(provider, mapping)

    @cached_property
    def decision_point(self) -> DecisionPoint:
        """In-process decisions with a short-lived cache of subject states."""
        from derbes.decisions.service import DecisionPoint

        return DecisionPoint(self.reader, self.clock, self.rules.decisions,
                             ttl=self.settings.decision_cache_seconds)


def load_rules(regime_file: Path | None = None,
               calendar_overrides: Path | None = None) -> Rules:
    """Every rule table from the shipped data; the regime table from ``regime_file`` and
    the DPO's calendar corrections from ``calendar_overrides`` if given. A table (and
    its slice's model) is read when first used: a command pays for the tables it reads.
    """

    def regime(_rules: Rules) -> object:
        from derbes.deadlines.adapters.regime_yaml import load_regime

        return load_regime(regime_file)

    def calendars(_rules: Rules) -> object:
        from derbes.deadlines.adapters.kz_calendar import KzCalendars

        return KzCalendars(calendar_overrides)

    def requests(rules: Rules) -> object:
        from derbes.requests.adapters.rules import load_request_rules

        # Checked against the deadline ids of the regime in force.
        return load_request_rules(list(rules.regime.deadlines))

    return Rules({"regime": regime, "calendars": calendars, "requests": requests,
                  **{name: _shipped(module, function)
                     for name, (module, function) in _SHIPPED_RULES.items()}})


# The tables read from the shipped data alone: the loader of each, by module and name.
_SHIPPED_RULES = {
    "vault": ("derbes.vault.adapters.rules", "load_vault_rules"),
    "consent": ("derbes.consent.adapters.rules", "load_consent_rules"),
    "retention": ("derbes.retention.adapters.rules", "load_retention_rules"),
    "decisions": ("derbes.decisions.adapters.rules", "load_decision_rules"),
    "acts": ("derbes.retention.adapters.acts.rules", "load_act_rules"),
    "alerts": ("derbes.audit.adapters.alert_rules", "load_access_rules"),
    "identity_limits": ("derbes.access.adapters.limits_yaml", "load_identity_limits"),
    "staff": ("derbes.staff.adapters.rules", "load_staff_rules"),
    "delivery": ("derbes.delivery.adapters.rules", "load_delivery_rules"),
    "cabinet": ("derbes.cabinet.adapters.rules", "load_cabinet_rules"),
}


def _shipped(module: str, function: str) -> Callable[[Rules], object]:
    def load(_rules: Rules) -> object:
        loader: Callable[[], object] = getattr(import_module(module), function)
        return loader()

    return load


def _settings() -> Settings:
    """The settings from the environment; a wrong value is a ``ConfigurationError``
    naming the setting (never quoting a secret)."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'DERBES_' + '.'.join(map(str, e['loc'])).upper() if e['loc'] else 'settings'}: "
            f"{e['msg']}" for e in exc.errors(include_input=False))
        raise ConfigurationError(problems) from None


def bootstrap(settings: Settings | None = None, clock: Clock | None = None) -> Container:
    settings = settings or _settings()
    # var/ holds the databases, the KEK and letters: its owner's only (an older version
    # or a shell with umask 022 may have made it readable by others).
    tighten_dir(settings.var_dir)
    return Container(settings=settings, clock=clock or SystemClock())
