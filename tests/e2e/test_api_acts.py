"""``/v1/acts`` through FastAPI's TestClient: list, show as JSON and PDF, operator-bound keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from derbes.access import service as apikeys
from derbes.api.app import create_app
from derbes.bootstrap import Container
from derbes.platform.clock import FixedClock
from derbes.register.adapters.yaml import load_register
from derbes.register.service import registers
from derbes.retention.service import acts
from derbes.settings import Settings
from derbes.testing.context import make_context
from derbes.vault.adapters.key_files import KEY_FILES
from derbes.vault.service import keys
from tests.acts_support import qiwi, qiwi_run
from tests.requests_support import pdf_text


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'derbes.sqlite3'}",
        keystore_url=f"sqlite:///{tmp_path / 'keys.sqlite3'}",
        kek_file=tmp_path / "kek.key", var_dir=tmp_path,
    )
    clock = FixedClock(datetime(2031, 3, 2, 6, 0, tzinfo=UTC))
    container = Container(settings=settings, clock=clock)
    keys.initialise(var_dir=tmp_path, kek_file=settings.kek_file,
                    keystore_url=settings.keystore_url, database_url=settings.database_url,
                    open_keystore=lambda: container.keystore, files=KEY_FILES)
    for run_id in ("r1", "r2"):
        with container.uow() as uow:
            acts.issue(make_context(uow, container.keystore, clock), qiwi_run(run_id), qiwi())
            uow.commit()
    # A key bound to another operator: that operator must be published.
    registers.publish(container.uow(), [load_register(
        Path(__file__).parents[2] / "registers" / "kassa24.yaml")], clock)
    tokens = {
        "reader": apikeys.create(container.uow(), clock, name="reader", scopes=["read"]).token,
        "kassa": apikeys.create(container.uow(), clock, name="kassa", scopes=["read"],
                                operator_id="kassa24").token,
    }
    with TestClient(create_app(container)) as client:
        yield Api(client, tokens)
    container.engine.dispose()
    container.keystore_engine.dispose()


def test_list_and_show(api: Api) -> None:
    listed = api.client.get("/v1/acts", headers=api.headers("reader"))
    assert listed.status_code == 200, listed.text
    assert [a["number"] for a in listed.json()] == ["АУ-2031/0002", "АУ-2031/0001"]
    shown = api.client.get(f"/v1/acts/{listed.json()[1]['id']}", headers=api.headers("reader"))
    assert shown.status_code == 200
    assert shown.json()["number"] == "АУ-2031/0001"
    assert shown.json()["sha256"] == listed.json()[1]["sha256"]
    pdf = api.client.get("/v1/acts/АУ-2031/0002", headers=api.headers("reader"),
                         params={"format": "pdf", "lang": "kk"})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert "Дербес деректерді жою актісі".upper() in pdf_text(pdf.content)


def test_keys_see_only_their_operator_and_need_credentials(api: Api) -> None:
    assert api.client.get("/v1/acts").status_code == 401
    assert api.client.get("/v1/acts", headers=api.headers("kassa")).json() == []
    other = api.client.get("/v1/acts/АУ-2031/0001", headers=api.headers("kassa"))
    assert other.status_code == 404
    assert other.headers["content-type"].startswith("application/problem+json")
