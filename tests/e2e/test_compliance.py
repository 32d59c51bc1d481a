"""The responsible person and the compliance pack from the outside: the CLI through the
installed entry point, the API with an operator-bound key and a staff key, the console
page and its one-click PDF; bad input refused with the field at fault, nothing stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from derbes.access import service as apikeys
from tests.api_world import World, make_world
from tests.console_support import OPERATOR, console_sign_in, csrf_of, file_request
from tests.staff_support import add

DERBES = Path(sys.executable).with_name("derbes")
REGISTERS = Path(__file__).resolve().parents[2] / "registers"


def _derbes(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run([str(DERBES), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)


def test_the_cli_records_the_responsible_person_and_writes_the_pack(tmp_path: Path) -> None:
    assert _derbes(tmp_path, "init").returncode == 0
    published = _derbes(tmp_path, "register", "publish", str(REGISTERS / "kredit-seven.yaml"))
    assert published.returncode == 0, published.stderr
    future = _derbes(tmp_path, "compliance", "responsible", "set", "--operator",
                     "kredit-seven", "--name", "Dana Omarova", "--position", "DPO",
                     "--email", "dpo@kredit7.kz", "--appointed-on", "2199-01-01")
    assert future.returncode != 0 and "future" in future.stderr
    baddate = _derbes(tmp_path, "compliance", "responsible", "set", "--operator",
                      "kredit-seven", "--name", "Dana Omarova", "--position", "DPO",
                      "--email", "dpo@kredit7.kz", "--appointed-on", "yesterday")
    assert baddate.returncode != 0 and "--appointed-on" in baddate.stderr
    done = _derbes(tmp_path, "compliance", "responsible", "set", "--operator", "kredit-seven",
                   "--name", "Dana Omarova", "--position", "Head of compliance",
                   "--email", "dpo@kredit7.kz", "--appointed-on", "2025-02-03",
                   "--document", "Order 7-p")
    assert done.returncode == 0, done.stderr
    shown = json.loads(_derbes(tmp_path, "compliance", "responsible", "show", "--operator",
                               "kredit-seven", "--json").stdout)
    assert [(a["name"], a["appointed_on"]) for a in shown] == [("Dana Omarova", "2025-02-03")]
    out = tmp_path / "pack.pdf"
    pack = _derbes(tmp_path, "compliance", "pack", "--operator", "kredit-seven",
                   "--from", "2025-01-01", "--to", "2025-12-31", "--lang", "kk", "-o", str(out))
    assert pack.returncode == 0, pack.stderr
    assert out.read_bytes().startswith(b"%PDF")
    backwards = _derbes(tmp_path, "compliance", "pack", "--operator", "kredit-seven",
                        "--from", "2025-12-31", "--to", "2025-01-01", "-o",
                        str(tmp_path / "x.pdf"))
    assert backwards.returncode != 0 and not (tmp_path / "x.pdf").exists()
    unknown = _derbes(tmp_path, "compliance", "pack", "--operator", "nobody", "-o",
                      str(tmp_path / "y.pdf"))
    assert unknown.returncode != 0 and "nobody" in unknown.stderr


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    built = make_world(tmp_path_factory.mktemp("compliance"))
    yield built
    built.close()


def test_the_api_sets_and_reads_the_appointment_within_the_keys_operator(world: World
                                                                          ) -> None:
    client = world.client()
    body = {"name": "Асель Нурланова", "position": "Руководитель комплаенс",
            "appointed_on": "2025-06-01", "phone": "+7 727 300 30 30"}
    bad = client.put("/v1/compliance/kassa24/responsible", json={**body, "phone": None})
    assert bad.status_code == 422 and bad.json()["field"] == "email"
    assert client.get("/v1/compliance/kassa24/responsible").json()["current"] is None
    made = client.put("/v1/compliance/kassa24/responsible", json=body)
    assert made.status_code == 200, made.text
    read = client.get("/v1/compliance/kassa24/responsible").json()
    assert read["current"]["name"] == "Асель Нурланова" and len(read["history"]) == 1
    bound = apikeys.create(world.container.uow(), world.container.clock, name="qiwi-only",
                           scopes=["admin"], operator_id="qiwi-kz").token
    other = world.client()
    other.headers["Authorization"] = f"Bearer {bound}"
    assert other.get("/v1/compliance/kassa24/responsible").status_code == 403
    pdf = client.get("/v1/compliance/kassa24/pack?lang=kk&from=2025-01-01&to=2025-12-31")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_the_pack_counts_the_periods_requests(world: World) -> None:
    file_request(world, "access")
    file_request(world, "destruction")
    today = world.container.clock.now().date().isoformat()
    html = world.client().get(f"/v1/compliance/kassa24/pack?format=html&lang=en&from={today}"
                              f"&to={today}&verify=false").text
    assert "Received: <strong>2</strong>" in html
    assert "The chains were not verified for this pack." in html


def test_the_console_page_records_an_appointment_and_downloads_the_pack(world: World) -> None:
    dpo = add(world, "dpo.compliance@kassa24.kz", (OPERATOR, "dpo"))
    browser = console_sign_in(world, dpo, lang="kk")
    page = browser.get(f"/console/{OPERATOR}/compliance")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    wrong = browser.post(f"/console/{OPERATOR}/compliance/responsible", data={
        "csrf_token": csrf, "name": "Мұрат Әлиев", "position": "Бас маман",
        "email": "not-mail", "appointed_on": "2025-03-01"})
    assert wrong.status_code == 422 and 'id="email-error"' in wrong.text
    # The field's hint in the reader's language; the service's English words stay off it.
    assert "Жұмыс поштасын (атау@домен түріндегі мекенжай) немесе телефонды көрсетіңіз.</" \
        in wrong.text
    assert "Мұрат Әлиев" in wrong.text  # kept as typed
    done = browser.post(f"/console/{OPERATOR}/compliance/responsible", data={
        "csrf_token": csrf, "name": "Мұрат Әлиев", "position": "Бас маман",
        "email": "dpo@kassa24.kz", "appointed_on": "2025-03-01"}, follow_redirects=False)
    assert done.status_code == 303
    assert "Мұрат Әлиев" in browser.get(f"/console/{OPERATOR}/compliance").text
    pdf = browser.get(f"/console/{OPERATOR}/compliance/pack?from=2025-01-01&to=2025-12-31")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert "-kk.pdf" in pdf.headers["content-disposition"]
