"""A derbes installation for API tests: every seed register published, an admin key.

Used by the bad-input and schemathesis tests; the data database is the one given
(SQLite file or PostgreSQL), the key store a SQLite file beside it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from derbes.access import service as apikeys
from derbes.api.app import create_app
from derbes.bootstrap import Container
from derbes.platform.clock import FixedClock
from derbes.register.service import registers
from derbes.settings import Settings
from derbes.vault.adapters.key_files import KEY_FILES
from derbes.vault.service import keys

REGISTERS = Path(__file__).resolve().parents[1] / "registers"


@dataclass
class World:
    container: Container
    app: FastAPI
    token: str

    def client(self) -> TestClient:
        """A client that sees a server error as a 500 answer, never as an exception."""
        return TestClient(self.app, raise_server_exceptions=False,
                          headers={"Authorization": f"Bearer {self.token}"})

    def close(self) -> None:
        self.container.engine.dispose()
        self.container.keystore_engine.dispose()


def make_world(tmp: Path, database_url: str | None = None) -> World:
    settings = Settings(
        database_url=database_url or f"sqlite:///{tmp / 'derbes.sqlite3'}",
        keystore_url=f"sqlite:///{tmp / 'keys.sqlite3'}",
        kek_file=tmp / "kek.key", var_dir=tmp, registers_dir=REGISTERS,
        datasets_dir=tmp / "no-datasets",
    )
    container = Container(settings=settings, clock=FixedClock())
    keys.initialise(var_dir=tmp, kek_file=settings.kek_file, keystore_url=settings.keystore_url,
                    database_url=settings.database_url, open_keystore=lambda: container.keystore, files=KEY_FILES)
    registers.publish_directory(container.uow(), REGISTERS, container.clock,
                              container.register_reader)
    token = apikeys.create(container.uow(), container.clock, name="probe", scopes=["admin"]).token
    return World(container, create_app(container), token)


def banner_data(client: TestClient, operator: str) -> dict[str, Any]:
    """The banner data the server put in ``operator``'s banner script."""
    script = client.get(f"/banner/{operator}.js")
    assert script.status_code == 200, script.text
    text = script.text
    data: dict[str, Any] = json.JSONDecoder().raw_decode(text, text.index("var C = ") + 8)[0]
    return data


def banner_choice(client: TestClient, operator: str, **changes: Any) -> dict[str, Any]:
    """A genuine answer to ``operator``'s cookie banner (Reject all, in English), as the
    script would send it: the banner's version and English text hash as served."""
    data = banner_data(client, operator)
    body: dict[str, Any] = {
        "operator": operator, "choice_id": str(uuid.uuid4()), "visitor_id": str(uuid.uuid4()),
        "banner_version": data["version"], "text_hash": data["hashes"]["en"], "lang": "en",
        "action": "reject_all", "categories": [], "gpc": False}
    body.update(changes)
    return body
