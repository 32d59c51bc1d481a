"""``derbes delivery list|retry`` through the real entry point: an SMS code that did not
get through (the Mobizon stand-in answers 503) is listed for staff with its recipient
masked, retried by hand while the gateway is still down, then sent once it is back;
bad input is a clear message and a non-zero exit, and changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fake_mobizon import running
from tests.operator_db import REGISTER

DERBES = Path(sys.executable).with_name("derbes")
PHONE = "+77001112233"


def _derbes(*args: str, cwd: Path, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DERBES_")}
    return subprocess.run([str(DERBES), *args], cwd=cwd, env={**clean, **(env or {})},
                          capture_output=True, text=True, check=False, timeout=180)


def _listed(home: Path, *args: str) -> list[dict[str, Any]]:
    shown = _derbes("delivery", "list", "--format", "json", *args, cwd=home)
    assert shown.returncode == 0, shown.stderr
    rows: list[dict[str, Any]] = json.loads(shown.stdout)
    return rows


def _installed(folder: Path) -> Path:
    assert _derbes("init", cwd=folder).returncode == 0
    published = _derbes("register", "publish", str(REGISTER), cwd=folder)
    assert published.returncode == 0, published.stderr
    return folder


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return _installed(tmp_path)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One installation for the refusals (each must leave it as it was)."""
    return _installed(tmp_path_factory.mktemp("delivery-cli"))


def test_a_code_that_did_not_get_through_is_listed_retried_and_sent(home: Path) -> None:
    filed = _derbes("request", "file", "--operator", "kredit-seven", "--type", "access",
                    "--phone", PHONE, cwd=home)
    assert filed.returncode == 0, filed.stderr
    rid = filed.stdout.split()[0]
    assert _listed(home) == []
    with running() as gateway:
        env = {"DERBES_SMS_GATEWAY": "mobizon", "DERBES_MOBIZON_URL": gateway.url,
               "DERBES_MOBIZON_API_KEY": gateway.api_key}
        gateway.answers.extend([(503, None), (503, None)])
        issued = _derbes("request", "otp", "issue", rid, cwd=home, env=env)
        (failed,) = _listed(home)
        assert failed["state"] == "failed" and failed["attempts"] == 1
        assert failed["failure"] == "unavailable" and failed["next_attempt_at"]
        assert failed["channel"] == "sms" and failed["template"] == "otp_code"
        assert failed["recipient"].startswith("+7") and failed["recipient"].endswith("33")
        table = _derbes("delivery", "list", cwd=home)
        assert table.returncode == 0 and failed["id"] in table.stdout

        still_down = _derbes("delivery", "retry", failed["id"], "--format", "json",
                             cwd=home, env=env)
        assert still_down.returncode == 0, still_down.stderr
        (again,) = json.loads(still_down.stdout)
        assert (again["state"], again["attempts"]) == ("failed", 2)
        assert gateway.received == []

        sent = _derbes("delivery", "retry", failed["id"], "--format", "json", cwd=home,
                       env=env)
        assert sent.returncode == 0, sent.stderr
        (done,) = json.loads(sent.stdout)
        assert (done["state"], done["attempts"]) == ("sent", 3)
    (sms,) = gateway.received
    assert sms.recipient == PHONE[1:]
    code = gateway.last_code()
    assert code is not None
    assert _listed(home) == []  # nothing left that did not get through
    assert [d["id"] for d in _listed(home, "--state", "sent")] == [failed["id"]]
    # Neither the phone nor the code on any screen staff saw.
    for shown in (issued, table, still_down, sent):
        for secret in (PHONE, PHONE[1:], code):
            assert secret not in shown.stdout + shown.stderr
    nothing_due = _derbes("delivery", "retry", "--due", cwd=home)
    assert nothing_due.returncode == 0 and "no deliveries" in nothing_due.stdout
    # A retry of a sent message does not send it twice.
    twice = _derbes("delivery", "retry", failed["id"], cwd=home)
    assert twice.returncode != 0 and len(gateway.received) == 1
    audit = _derbes("audit", "verify", cwd=home)
    assert audit.returncode == 0, audit.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("delivery", "list", "--state", "lost"), "unknown state 'lost'"),
    (("delivery", "retry"), "name one delivery, or give --due"),
    (("delivery", "retry", "0" * 32, "--due"), "name one delivery, or give --due"),
    (("delivery", "retry", "0" * 32), "no delivery"),
    (("delivery", "list", "--limit", "0"), "--limit"),
    (("delivery", "list", "--format", "xml"), "--format"),
])
def test_bad_input_is_a_clear_error(shared: Path, args: tuple[str, ...], message: str) -> None:
    answer = _derbes(*args, cwd=shared)
    assert answer.returncode != 0
    assert message in answer.stderr, answer.stderr
    assert "Traceback" not in answer.stderr
    assert _listed(shared) == [] and _listed(shared, "--state", "sent") == []
