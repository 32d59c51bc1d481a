"""A seed operator's customer journey through the real entry points, with an injected clock.

The API runs in-process (TestClient) on a :class:`Container` whose clock is a
:class:`FixedClock`, so years can pass; the CLI runs as the real ``derbes``
program on the same databases for what does not depend on the clock (the plan
rehearsed ``--as-of``, acts, chain verification). Each operator's journey is
data (:class:`Spec`): the purposes, the values, the dates the law and the
policy promise, and the clause behind each step (``docs/journeys.md``).
"""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from pypdf import PdfReader

from derbes.access import service as apikeys
from derbes.api.app import create_app
from derbes.bootstrap import Container
from derbes.platform.clock import FixedClock
from derbes.register.adapters.yaml import load_register
from derbes.register.service import registers
from derbes.settings import Settings
from derbes.vault.adapters.key_files import KEY_FILES
from derbes.vault.service import keys

ROOT = Path(__file__).resolve().parents[1]
DERBES = Path(sys.executable).with_name("derbes")
KEK = base64.b64encode(b"j" * 32).decode()
START = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)  # a Monday


@dataclass(frozen=True)
class Spec:
    """One operator's journey and the clauses its steps implement."""

    operator: str
    values: dict[str, str]
    processing: tuple[str, ...]  # consented at sign-up (processing scope)
    marketing: tuple[str, ...]  # consented separately, withdrawn on its own
    never_consented: str  # a consent purpose the customer never agreed to
    main: str  # the service purpose that must go on while the contract is open
    main_reason: str  # obligation (contract) or legal_obligation
    category: str  # a category the main purpose needs
    clauses: dict[str, str]  # step -> the clause behind it
    transaction: bool = False
    transfer: tuple[str, str] | None = None  # (purpose, recipient) for the service
    keep_years: int | None = 5  # the longest statutory term; None: the policy states none
    keep_from: str = "close"  # close | withdrawal: the day the longest term counts from
    letters: tuple[str, ...] = ("ru",)
    cross_border: bool = False  # what the letter must say about transfers abroad
    main_after_close: bool = False  # a legal purpose still allowed after the close


@dataclass
class Journey:
    spec: Spec
    db_url: str
    tmp: Path
    clock: FixedClock = field(default_factory=lambda: FixedClock(START))

    def __post_init__(self) -> None:
        self.env = {
            "DERBES_DATABASE_URL": self.db_url,
            "DERBES_KEYSTORE_URL": f"sqlite:///{self.tmp / 'keys.sqlite3'}",
            "DERBES_KEK": KEK,
            "DERBES_KEK_FILE": str(self.tmp / "no-kek-file"),
            "DERBES_VAR_DIR": str(self.tmp / "var"),
            "DERBES_DATASETS_DIR": str(self.tmp / "no-datasets"),
        }
        settings = Settings(database_url=self.db_url, keystore_url=self.env["DERBES_KEYSTORE_URL"],
                            kek=SecretStr(KEK), kek_file=self.tmp / "no-kek-file",
                            var_dir=self.tmp / "var", datasets_dir=self.tmp / "no-datasets",
                            decision_cache_seconds=0)
        keys.migrate_keystore(settings.keystore_url, KEY_FILES)
        self.container = Container(settings=settings, clock=self.clock)
        loaded = load_register(ROOT / "registers" / f"{self.spec.operator}.yaml")
        registers.publish(self.container.uow(), [loaded], self.clock)
        self.register = loaded.register
        token = apikeys.create(self.container.uow(), self.clock, name="backend",
                               scopes=["read", "write", "destroy", "admin"],
                               operator_id=self.spec.operator).token
        self.client = TestClient(create_app(self.container),
                                 headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        self.client.close()
        self.container.engine.dispose()
        self.container.keystore_engine.dispose()

    # ------------------------------------------------------------------ calls

    def post(self, path: str, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
        response = self.client.post(path, json=body)
        assert response.status_code == status, (path, response.text)
        data: dict[str, Any] = response.json()
        return data

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        assert response.status_code == 200, (path, response.text)
        return response

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
        return subprocess.run([str(DERBES), *args], env={**clean, "COLUMNS": "200", **self.env},
                              capture_output=True, text=True, check=False, cwd=self.tmp)

    def at(self, day: date, hour: int = 10) -> None:
        self.clock.set(datetime.combine(day, time(hour), tzinfo=UTC))

    # ------------------------------------------------------------------ steps

    def add_subject(self) -> str:
        body = {"operator": self.spec.operator,
                "values": [{"category": c, "value": v} for c, v in self.spec.values.items()]}
        subject_id: str = self.post("/v1/subjects", body, status=201)["subject_id"]
        return subject_id

    def consent(self, subject_id: str) -> dict[str, Any]:
        scopes: list[dict[str, Any]] = [{"kind": "processing",
                                         "purposes": list(self.spec.processing)}]
        if self.spec.marketing:
            scopes.append({"kind": "marketing", "purposes": list(self.spec.marketing)})
        return self.post("/v1/consents", {"subject_id": subject_id, "channel": "web_checkbox",
                                          "scopes": scopes}, status=201)

    def event(self, subject_id: str, kind: str, event_id: str,
              contract: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"event_id": event_id, "subject_id": subject_id, "type": kind,
                                "occurred_at": self.clock.now().isoformat()}
        if contract:
            body["contract_id"] = contract
        return self.post("/v1/events", body, status=201)

    def decide(self, subject_id: str, purpose: str, category: str,
               recipient: str | None = None) -> dict[str, Any]:
        action: dict[str, Any] = {"subject_id": subject_id,
                                  "action": "transfer" if recipient else "use",
                                  "purpose": purpose, "categories": [category]}
        if recipient:
            action["recipient"] = recipient
        decided: dict[str, Any] = self.post("/v1/decisions", {"actions": [action]})["decisions"][0]
        return decided

    def withdraw(self, subject_id: str, scope: str) -> dict[str, Any]:
        return self.post("/v1/consents/withdrawals", {"subject_id": subject_id, "scope": scope})

    def access(self, subject_id: str, lang: str) -> tuple[dict[str, Any], str]:
        identifiers = {"phone": self.spec.values["contact.phone"]}
        filed = self.post("/v1/requests", {"operator": self.spec.operator, "type": "access",
                                           "language": lang, "identifiers": identifiers},
                          status=201)
        assert filed["subject_id"] == subject_id
        self.post(f"/v1/requests/{filed['id']}/verify",
                  {"method": "staff_document", "document_ref": "ID card 045512377",
                   "reason": "identity card seen at the office"})
        answered = self.post(f"/v1/requests/{filed['id']}/answer", {})
        pdf = self.get(f"/v1/requests/{filed['id']}/letter", format="pdf", lang=lang).content
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
        (self.tmp / f"letter-{self.spec.operator}-{lang}.pdf").write_bytes(pdf)
        return answered["answer"], " ".join(text.split())

    def plan(self, day: date) -> dict[str, Any]:
        import json

        shown = self.cli("retention", "plan", "--operator", self.spec.operator,
                         "--as-of", day.isoformat(), "--format", "json")
        assert shown.returncode == 0, shown.stderr
        plan: dict[str, Any] = json.loads(shown.stdout)
        return plan

    def run(self, day: date) -> dict[str, Any]:
        self.at(day, 12)
        return self.post("/v1/retention/runs", {"operator": self.spec.operator,
                                                "as_of": day.isoformat()})
