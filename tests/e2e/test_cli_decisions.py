"""``derbes decide`` and ``derbes transfer`` through the installed entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from derbes.bootstrap import Container
from derbes.consent.model.consent import Scope, ScopeKind
from derbes.consent.service import consent as consent_service
from derbes.platform.clock import FixedClock
from derbes.register.adapters.yaml import load_register
from derbes.register.service import registers
from derbes.settings import Settings
from derbes.testing.context import context as ctx_of
from derbes.testing.context import make_context
from derbes.vault.adapters.key_files import KEY_FILES
from derbes.vault.model import NewValue
from derbes.vault.service import keys
from derbes.vault.service import subjects as vault_service
from tests.vault_support import IIN, prov

DERBES = Path(sys.executable).with_name("derbes")
FIXTURE = Path(__file__).parents[1] / "fixtures" / "registers" / "decisions.yaml"
OPERATOR = "decide-pay"


def _derbes(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run([str(DERBES), *args], cwd=cwd, env={**clean, "COLUMNS": "200"},
                          capture_output=True, text=True, check=False)


@pytest.fixture
def subject(tmp_path: Path) -> str:
    """A subject with a processing consent for credit_check, in ``tmp_path/var``."""
    var = tmp_path / "var"
    var.mkdir()
    settings = Settings(database_url=f"sqlite:///{var / 'derbes.sqlite3'}",
                        keystore_url=f"sqlite:///{var / 'keys.sqlite3'}",
                        kek_file=var / "kek.key", var_dir=var)
    clock = FixedClock()
    container = Container(settings=settings, clock=clock)
    keys.initialise(var_dir=var, kek_file=settings.kek_file,
                    keystore_url=settings.keystore_url, database_url=settings.database_url,
                    open_keystore=lambda: container.keystore, files=KEY_FILES)
    loaded = load_register(FIXTURE)
    registers.publish(container.uow(), [loaded], clock)
    subject_id = vault_service.add_subject(ctx_of(container.uow(), container.keystore, clock, "test"), loaded.register, [NewValue("identity.iin", IIN, prov("aml_identification"))], {})
    consent_service.give_consent(make_context(container.uow(), container.keystore, clock, "test"),
                                 None, consent_service.ConsentRequest(subject_id=subject_id, channel="web_checkbox", scopes=[
            Scope(ScopeKind.PROCESSING, purposes=("credit_check",))]))
    container.engine.dispose()
    container.keystore_engine.dispose()
    return subject_id


def test_decide_allows_and_denies_with_reasons(tmp_path: Path, subject: str) -> None:
    allowed = _derbes("decide", "--operator", OPERATOR, "--subject", subject, "--action", "use",
                      "--purpose", "credit_check", "--category", "identity.iin", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert "ALLOW" in allowed.stdout
    assert "consent" in allowed.stdout and "Law 94-V" in allowed.stdout

    denied = _derbes("decide", "--operator", OPERATOR, "--subject", subject,
                     "--action", "transfer", "--purpose", "credit_check",
                     "--recipient", "credit_bureau", "--category", "identity.iin",
                     "--json", cwd=tmp_path)
    assert denied.returncode == 1
    (decision,) = json.loads(denied.stdout)
    assert decision["allowed"] is False
    assert [r["code"] for r in decision["reasons"]] == ["transfer_not_consented"]

    unknown = _derbes("decide", "--operator", OPERATOR, "--subject", subject,
                      "--purpose", "astrology", "--category", "identity.iin", cwd=tmp_path)
    assert unknown.returncode == 1
    assert "unknown purpose 'astrology'" in unknown.stderr


def test_transfer_record_and_list(tmp_path: Path, subject: str) -> None:
    refused = _derbes("transfer", "record", "--operator", OPERATOR, "--recipient", "police",
                      "--purpose", "state_requests", "--category", "identity.iin",
                      "--subject", subject, cwd=tmp_path)
    assert refused.returncode == 1
    assert "state_body" in refused.stderr
    made = _derbes("transfer", "record", "--operator", OPERATOR, "--recipient", "police",
                   "--purpose", "state_requests", "--category", "identity.iin",
                   "--subject", subject, "--state-body", "Police of Almaty",
                   "--request-number", "7/1", "--request-date", "2026-01-04",
                   "--law", "CCP Art. 122", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "basis state_request" in made.stdout
    listed = _derbes("transfer", "list", subject, "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    (seen,) = json.loads(listed.stdout)
    assert (seen["recipient"], seen["request_number"]) == ("police", "7/1")

    denied = _derbes("transfer", "record", "--operator", OPERATOR,
                     "--recipient", "credit_bureau", "--purpose", "credit_check",
                     "--category", "identity.iin", "--subject", subject, cwd=tmp_path)
    assert denied.returncode == 1
    assert "transfer_not_consented" in denied.stdout
