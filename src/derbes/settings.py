"""Typed settings: one object, environment prefix ``DERBES_``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_database_url() -> str:
    return f"sqlite:///{Path('var') / 'derbes.sqlite3'}"


def _default_keystore_url() -> str:
    return f"sqlite:///{Path('var') / 'keys.sqlite3'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DERBES_", env_file=None, extra="ignore")

    database_url: str = Field(default_factory=_default_database_url)
    registers_dir: Path = Path("registers")
    var_dir: Path = Path("var")
    default_language: str = "ru"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    log_level: str = "INFO"
    # Seconds a writer waits for the database's write lock (SQLite: another process
    # writing) before the request is answered "busy, retry" instead of waiting on.
    db_busy_timeout: float = Field(default=30.0, gt=0, le=600)
    # The largest request body the API reads (bytes): a larger one is refused with 413
    # before it is read. Above the largest upload a route takes (incident evidence,
    # 20 MiB); an engineering bound, not a legal rule.
    max_request_bytes: int = Field(default=24 * 1024 * 1024, ge=64 * 1024)
    # A DPO's corrections to the Kazakhstan working calendar (YAML, same format
    # as derbes/data/kz_calendar_overrides.yaml); they win over the shipped table.
    calendar_overrides: Path | None = None
    # A corrected copy of the regime table (derbes/data/regime.yaml) used instead
    # of the shipped one, so a citation or term can be fixed without a release.
    regime_file: Path | None = None

    # --- PD vault keys ---------------------------------------------------------
    # The key store is a database SEPARATE from the data database.
    keystore_url: str = Field(default_factory=_default_keystore_url)
    # KEK sources, in order of precedence: DERBES_KEK (base64 of 32 bytes),
    # then Vault Transit (address + token + key name), then the key file.
    kek: SecretStr | None = None
    kek_file: Path = Path("var") / "kek.key"
    # Key epochs: the keys that wrap the data keys, one file each, wrapped by
    # the KEK and kept OUTSIDE the key-store database (vault/adapters/key_epochs.py).
    # Every derbes process of an installation must see the same directory.
    # Default: ``key-epochs`` beside the KEK file (see ``epochs_dir``).
    key_epochs_dir: Path | None = None
    vault_addr: str | None = None
    vault_token: SecretStr | None = None
    vault_transit_key: str | None = None
    vault_transit_mount: str = "transit"

    # --- Decision point --------------------------------------------------------
    # How long a subject's state (consents, blocks, destructions) is reused by
    # the decision point: a change is honoured within this many seconds.
    decision_cache_seconds: float = Field(default=2.0, ge=0, le=300)

    # The public address of this derbes's cabinet (scheme and host, e.g.
    # https://my.example.kz): the base of the sign-in links sent by e-mail. It is
    # configured, never read from a request's Host header, so a forged header
    # cannot make a link point elsewhere. Unset: http://api_host:api_port.
    public_url: str | None = None

    # --- Anchors of the chains' heads -----------------------------------------
    # Signed heads of the audit log and the consent ledger, written where the
    # database cannot rewrite them; verification checks the chains still hold
    # the latest one. The file is read back by `verify`; keep it outside var/
    # (better: on another host or a write-once mount). Syslog ("/dev/log" or
    # "host:port") and the URL (POSTed JSON) receive copies for an auditor.
    anchor_file: Path = Path("anchors") / "derbes-anchors.jsonl"
    anchor_syslog: str | None = None
    anchor_url: str | None = None
    # `derbes serve` anchors both chains this often (minutes; 0: only by hand,
    # `derbes audit anchor` / `derbes ledger anchor`, e.g. from cron).
    anchor_every_minutes: float = Field(default=15.0, ge=0, le=1440)

    # --- Data-subject requests -------------------------------------------------
    # Dataset files (one per operator database, registers/datasets/*.yaml): an
    # access or destruction request covers every store of the operator found here.
    datasets_dir: Path = Path("registers") / "datasets"

    # --- Delivery of SMS and e-mail ---------------------------------------------
    # "production" refuses the development adapters that print messages (and so
    # one-time codes) to the console.
    deployment: Literal["development", "production"] = "development"
    # none: no SMS is sent (each attempt is recorded as failed, for staff to see);
    # log: printed to the console (development and `derbes demo` only);
    # mobizon: the Mobizon.kz HTTP API with DERBES_MOBIZON_API_KEY.
    sms_gateway: Literal["none", "log", "mobizon"] = "none"
    mobizon_url: str = "https://api.mobizon.kz"
    mobizon_api_key: SecretStr | None = None
    # The sender name registered with the gateway (none: the gateway's shared one).
    mobizon_sender: str | None = None
    mobizon_timeout: float = Field(default=10.0, gt=0, le=120)
    # none | log (console, development only) | smtp (the operator's relay, STARTTLS).
    mail_transport: Literal["none", "log", "smtp"] = "none"
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_from: str | None = None
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # False only for a relay on the same host trusted without TLS (then no password).
    smtp_starttls: bool = True
    # A CA bundle to check the relay's certificate with (default: the system's).
    smtp_ca_file: Path | None = None
    smtp_timeout: float = Field(default=20.0, gt=0, le=300)

    # --- Staff sign-in through OpenID Connect (optional) --------------------------
    # The provider's issuer URL (its /.well-known/openid-configuration is read), the
    # client registered there, and the address the provider sends the browser back
    # to: https://<derbes host>/console/sign-in/oidc/callback. All four, or none.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_redirect_url: str | None = None
    # The name on the sign-in button ("Sign in with <name>").
    oidc_provider_name: str = Field(default="OpenID Connect", min_length=1, max_length=60)
    # The ID token claim that lists the person's groups or roles, and the file that
    # maps its values to (operator, role) pairs (see README, "Signing in through the
    # operator's identity provider").
    oidc_roles_claim: str = Field(default="roles", min_length=1, max_length=100)
    oidc_roles_file: Path = Path("oidc_roles.yaml")
    oidc_timeout: float = Field(default=10.0, gt=0, le=120)

    @property
    def oidc_configured(self) -> bool:
        return self.oidc_issuer is not None

    @model_validator(mode="after")
    def _oidc_complete(self) -> Self:
        given = (self.oidc_issuer, self.oidc_client_id, self.oidc_client_secret,
                 self.oidc_redirect_url)
        if any(v is not None for v in given) and any(v is None for v in given):
            raise ValueError("OpenID Connect sign-in needs DERBES_OIDC_ISSUER, "
                             "DERBES_OIDC_CLIENT_ID, DERBES_OIDC_CLIENT_SECRET and "
                             "DERBES_OIDC_REDIRECT_URL together")
        return self

    @model_validator(mode="after")
    def _no_console_in_production(self) -> Self:
        if self.deployment == "production" and "log" in (self.sms_gateway, self.mail_transport):
            raise ValueError("DERBES_SMS_GATEWAY=log and DERBES_MAIL_TRANSPORT=log print "
                             "messages and codes to the console: not in production")
        return self

    @property
    def epochs_dir(self) -> Path:
        """Where the key epochs' keys are kept."""
        return self.key_epochs_dir or self.kek_file.parent / "key-epochs"
