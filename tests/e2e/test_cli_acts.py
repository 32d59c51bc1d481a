"""``derbes acts list|show`` through the installed entry point, in Russian and Kazakh."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from derbes.bootstrap import Container
from derbes.platform.clock import FixedClock
from derbes.retention.service import acts as service
from derbes.testing.context import make_context
from tests.acts_support import KAZAKH_LETTERS, qiwi, qiwi_run, subject_ids
from tests.e2e.test_cli_audit import settings_for
from tests.requests_support import pdf_text

DERBES = Path(sys.executable).with_name("derbes")


def _derbes(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run([str(DERBES), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised installation with two acts issued by the service."""
    root = tmp_path_factory.mktemp("site")
    init = _derbes("init", cwd=root)
    assert init.returncode == 0, init.stderr
    container = Container(settings=settings_for(root),
                          clock=FixedClock(datetime(2031, 3, 2, 6, 0, tzinfo=UTC)))
    try:
        for run_id in ("run-a", "run-b"):
            with container.uow() as uow:
                service.issue(make_context(uow, container.keystore, container.clock),
                              qiwi_run(run_id), qiwi())
                uow.commit()
    finally:
        container.engine.dispose()
        container.keystore_engine.dispose()
    return root


def test_list_in_russian_and_kazakh(site: Path) -> None:
    ru = _derbes("acts", "list", cwd=site)
    assert ru.returncode == 0, ru.stderr
    assert "Акты об уничтожении персональных данных" in ru.stdout
    assert "АУ-2031/0002" in ru.stdout and "АУ-2031/0001" in ru.stdout
    assert ru.stdout.index("АУ-2031/0002") < ru.stdout.index("АУ-2031/0001")
    kk = _derbes("acts", "list", "--lang", "kk", cwd=site)
    assert kk.returncode == 0, kk.stderr
    assert "Дербес деректерді жою актілері" in kk.stdout
    assert "2031 жылғы 2 наурыз" in kk.stdout
    rows = json.loads(_derbes("acts", "list", "--format", "json", cwd=site).stdout)
    assert [r["number"] for r in rows] == ["АУ-2031/0002", "АУ-2031/0001"]
    assert rows[0]["subjects"] == 12


def test_show_summarises_the_act_in_russian_and_kazakh(site: Path) -> None:
    ru = _derbes("acts", "show", "АУ-2031/0001", cwd=site)
    assert ru.returncode == 0, ru.stderr
    assert "Акт об уничтожении персональных данных № АУ-2031/0001" in ru.stdout
    assert "от 28 августа 2009 года № 191-IV, пункт 4 статьи 11" in ru.stdout
    assert "Адрес электронной почты" in ru.stdout
    kk = _derbes("acts", "show", "АУ-2031/0001", "--lang", "kk", cwd=site)
    assert kk.returncode == 0, kk.stderr
    assert "Дербес деректерді жою актісі № АУ-2031/0001" in kk.stdout
    assert "Субъектілер саны: 12" in kk.stdout
    assert "Сіздің қызметіңіз туралы ақпарат" in kk.stdout
    for sid in subject_ids(12):
        assert sid not in ru.stdout + kk.stdout


def test_show_exports_pdf_and_json(site: Path, tmp_path: Path) -> None:
    pdf = tmp_path / "act.pdf"
    result = _derbes("acts", "show", "АУ-2031/0002", "--format", "pdf", "--lang", "kk",
                     "-o", str(pdf), cwd=site)
    assert result.returncode == 0, result.stderr
    textual = pdf_text(pdf.read_bytes())
    assert "АУ-2031/0002" in textual
    assert "Электрондық пошта мекенжайы" in textual
    assert "Азаматтық кодексінің" in textual
    assert "178-бабының 1-тармағы" in textual
    assert len(KAZAKH_LETTERS & set(textual.lower())) >= 7
    exported = _derbes("acts", "show", "АУ-2031/0002", "--format", "json", cwd=site)
    body = json.loads(exported.stdout)
    assert body["number"] == "АУ-2031/0002"
    assert body["operator"]["bin"] == "060640010247"


def test_unknown_act_exits_3(site: Path) -> None:
    result = _derbes("acts", "show", "АУ-2031/0099", cwd=site)
    assert result.returncode == 3
    assert "no destruction act" in result.stderr
