"""``derbes notice`` through the installed entry point, ``GET /notice/{operator}`` via TestClient."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from derbes.api.app import create_app
from derbes.bootstrap import bootstrap
from derbes.settings import Settings

DERBES = Path(sys.executable).with_name("derbes")
MINIMAL = Path(__file__).resolve().parents[1] / "fixtures" / "registers" / "minimal.yaml"


def _derbes(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run(
        [str(DERBES), *args], cwd=cwd, env=env, capture_output=True, check=False
    )


def test_cli_writes_a_pdf_notice(tmp_path: Path) -> None:
    out = tmp_path / "notice.pdf"
    result = _derbes("notice", str(MINIMAL), "--lang", "kk", "--format", "pdf", "-o", str(out),
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    assert "Дербес деректерді өңдеу саясаты" in text
    assert "Төлем қызметтерін көрсету" in " ".join(text.split())


def test_cli_prints_markdown_and_html_to_stdout(tmp_path: Path) -> None:
    md = _derbes("notice", str(MINIMAL), "--lang", "en", "--format", "md", cwd=tmp_path)
    assert md.returncode == 0, md.stderr.decode()
    assert md.stdout.decode("utf-8").startswith("# Personal data processing policy")
    html = _derbes("notice", str(MINIMAL), "--lang", "ru", cwd=tmp_path)
    assert html.returncode == 0, html.stderr.decode()
    assert '<html lang="ru">' in html.stdout.decode("utf-8")


def test_cli_refuses_pdf_to_stdout(tmp_path: Path) -> None:
    result = _derbes("notice", str(MINIMAL), "--format", "pdf", cwd=tmp_path)
    assert result.returncode == 1
    assert b"-o FILE" in result.stderr
    assert result.stdout == b""


def test_cli_reports_a_missing_register(tmp_path: Path) -> None:
    result = _derbes("notice", str(tmp_path / "absent.yaml"), cwd=tmp_path)
    assert result.returncode == 1
    assert b"file not found" in result.stderr


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    registers = tmp_path / "registers"
    registers.mkdir()
    shutil.copy(MINIMAL, registers / "example.yaml")
    (registers / "broken.yaml").write_text("operator: [not, a, register\n", encoding="utf-8")
    settings = Settings(registers_dir=registers, database_url=f"sqlite:///{tmp_path}/d.sqlite3")
    with TestClient(create_app(bootstrap(settings=settings))) as test_client:
        yield test_client


def test_api_returns_the_html_notice(client: TestClient) -> None:
    response = client.get("/notice/example-pay", params={"lang": "kk"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-language"] == "kk"
    assert '<html lang="kk">' in response.text
    assert "Дербес деректерді өңдеу саясаты" in response.text
    assert "«Пример Пэй» ЖШС" in response.text


def test_api_defaults_to_the_configured_language(client: TestClient) -> None:
    response = client.get("/notice/example-pay")
    assert response.status_code == 200
    assert '<html lang="ru">' in response.text


def test_api_returns_pdf_and_markdown(client: TestClient) -> None:
    pdf = client.get("/notice/example-pay", params={"lang": "en", "format": "pdf"})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    md = client.get("/notice/example-pay", params={"lang": "en", "format": "md"})
    assert md.status_code == 200
    assert md.headers["content-type"].startswith("text/markdown")
    assert "## 6. Rights of the personal data subject" in md.text


def test_api_unknown_operator_is_a_404_problem(client: TestClient) -> None:
    response = client.get("/notice/no-such-operator")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not found"
    assert body["field"] == "operator"
    assert "no-such-operator" in body["detail"]


@pytest.mark.parametrize(("params", "field"), [({"lang": "de"}, "lang"), ({"format": "doc"}, "format")])
def test_api_bad_language_or_format_is_a_422_problem(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get("/notice/example-pay", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field


SILENT = MINIMAL.with_name("silent.yaml")


def test_cli_refuses_a_register_with_lint_errors_unless_draft(tmp_path: Path) -> None:
    refused = _derbes("notice", str(SILENT), "--lang", "en", cwd=tmp_path)
    assert refused.returncode == 1
    stderr = refused.stderr.decode()
    assert "unwaived lint errors" in stderr and "DRB001" not in stderr.split("\n")[0]
    assert "--draft" in stderr
    assert refused.stdout == b""
    draft = _derbes("notice", str(SILENT), "--lang", "en", "--format", "md", "--draft",
                    cwd=tmp_path)
    assert draft.returncode == 0, draft.stderr.decode()
    assert draft.stdout.decode("utf-8").startswith("> **DRAFT.**")


@pytest.fixture
def silent_client(tmp_path: Path) -> Iterator[TestClient]:
    registers = tmp_path / "registers"
    registers.mkdir()
    shutil.copy(SILENT, registers / "silent.yaml")
    settings = Settings(registers_dir=registers, database_url=f"sqlite:///{tmp_path}/d.sqlite3")
    with TestClient(create_app(bootstrap(settings=settings))) as test_client:
        yield test_client


def test_api_refuses_a_register_with_lint_errors_unless_draft(
        silent_client: TestClient) -> None:
    refused = silent_client.get("/notice/silent-op", params={"lang": "kk"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["title"] == "Register has unwaived lint errors"
    draft = silent_client.get("/notice/silent-op", params={"lang": "kk", "draft": "true"})
    assert draft.status_code == 200
    assert "ЖОБА" in draft.text  # the watermark
    assert "Саясатта көрсетілмеген" in draft.text
