"""``derbes ledger|audit verify|anchor``, ``derbes ledger seal`` and key limits, through the
installed entry point, on a SQLite installation tampered with sqlite3."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from derbes.api.app import create_app
from derbes.bootstrap import Container
from derbes.consent.model.consent import Scope, ScopeKind
from derbes.consent.service import consent as consent_service
from derbes.platform.clock import FixedClock
from derbes.register.service import registers
from derbes.testing.context import context as ctx_of
from derbes.testing.context import make_context
from derbes.vault.model import NewValue
from derbes.vault.ports import KeyStore
from derbes.vault.service import subjects as vault_service
from tests.e2e.test_cli_audit import _derbes, settings_for
from tests.vault_support import EMAIL, FULL_NAME, IIN, IIN_B, PHONE, PHONE_B, minimal_register, prov

ACTOR = "test:cli-chains"


def _add(container: Container, keystore: KeyStore, iin: str, phone: str) -> str:
    return vault_service.add_subject(ctx_of(container.uow(), keystore, container.clock, ACTOR), minimal_register().register, [NewValue("identity.full_name", FULL_NAME, prov()),
         NewValue("identity.iin", iin, prov("aml_identification")),
         NewValue("contact.phone", phone, prov("payment_service")),
         NewValue("contact.email", f"{iin}.{EMAIL}", prov("newsletters"))], {})


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """An installation with two subjects; the first consented, then withdrew."""
    root = tmp_path_factory.mktemp("site")
    assert _derbes("init", cwd=root).returncode == 0
    clock = FixedClock()
    container = Container(settings=settings_for(root), clock=clock)
    try:
        registers.publish(container.uow(), [minimal_register()], clock)
        ids = {"withdrawn": _add(container, container.keystore, IIN, PHONE),
               "other": _add(container, container.keystore, IIN_B, PHONE_B)}
        consent_service.give_consent(
            make_context(container.uow(), container.keystore, clock, ACTOR),
            None, consent_service.ConsentRequest(
                subject_id=ids["withdrawn"], channel="web_checkbox",
                scopes=[Scope(ScopeKind.PROCESSING, purposes=("newsletters",))]))
        clock.advance(timedelta(minutes=1))
        consent_service.withdraw_consent(make_context(container.uow(), None, clock, ACTOR),
                                         ids["withdrawn"], ScopeKind.PROCESSING)
    finally:
        container.engine.dispose()
        container.keystore_engine.dispose()
    return root, ids


@pytest.fixture
def site(prepared: tuple[Path, dict[str, str]], tmp_path: Path
         ) -> tuple[Path, dict[str, str]]:
    shutil.copytree(prepared[0] / "var", tmp_path / "var")
    return tmp_path, prepared[1]


def _sql(root: Path, *statements: str) -> None:
    connection = sqlite3.connect(root / "var" / "derbes.sqlite3")
    try:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def _decide(root: Path, subject: str) -> dict[str, object]:
    result = _derbes("decide", "--operator", "example-pay", "--subject", subject,
                     "--purpose", "newsletters", "--category", "contact.email", "--json",
                     cwd=root)
    assert result.returncode == 1, result.stderr  # a denial
    decided: list[dict[str, object]] = json.loads(result.stdout)
    return decided[0]


def test_a_cleared_withdrawal_is_denied_and_named_by_ledger_verify(
    site: tuple[Path, dict[str, str]],
) -> None:
    root, ids = site
    sid = ids["withdrawn"]
    clean = _derbes("ledger", "verify", cwd=root)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "consent ledger intact" in clean.stdout
    assert "projections match both chains: 1 consents, 2 subjects, 2 seals" in clean.stdout
    # (the CLI decides at today's date: the withdrawal's retention may be over too)
    assert "consent_withdrawn" in [r["code"] for r in _decide(root, sid)["reasons"]]  # type: ignore[index]

    _sql(root, f"UPDATE consents SET withdrawn_at = NULL WHERE subject_id = '{sid}'")
    assert [r["code"] for r in _decide(root, sid)["reasons"]] == ["state_unverified"]  # type: ignore[index]
    found = _derbes("ledger", "verify", cwd=root)
    assert found.returncode == 1
    assert "consent ledger intact" in found.stdout  # the chain itself is fine
    assert "projections DIFFER" in found.stdout
    assert f"subject {sid}: consents[" in found.stdout and "].withdrawn_at" in found.stdout
    as_json = json.loads(_derbes("ledger", "verify", "--format", "json", cwd=root).stdout)
    fields = {(d["table"], d["field"]) for d in as_json["projections"]["differences"]
              if d["subject_id"] == sid}
    assert ("consents", "withdrawn_at") in fields and ("subject_seals", "mac") in fields
    # `ledger seal` will not bless the edited subject.
    sealed = _derbes("ledger", "seal", cwd=root)
    assert sealed.returncode == 1 and sid in sealed.stdout


def test_ledger_seal_seals_subjects_stored_without_a_seal(
    site: tuple[Path, dict[str, str]],
) -> None:
    root, ids = site
    _sql(root, "DELETE FROM subject_seals")
    assert [r["code"] for r in _decide(root, ids["other"])["reasons"]] == ["state_unverified"]  # type: ignore[index]
    sealed = _derbes("ledger", "seal", cwd=root)
    assert sealed.returncode == 0, sealed.stdout + sealed.stderr
    assert "sealed 2 subject(s)" in sealed.stdout
    assert [r["code"] for r in _decide(root, ids["other"])["reasons"]] == ["consent_absent"]  # type: ignore[index]


def test_a_cut_tail_with_its_head_rewound_is_caught_against_the_anchor(
    site: tuple[Path, dict[str, str]],
) -> None:
    root, _ = site
    for chain in ("ledger", "audit"):
        anchored = _derbes(chain, "anchor", cwd=root)
        assert anchored.returncode == 0, anchored.stderr
        assert f"anchored the {chain} head" in anchored.stdout
        again = _derbes(chain, "anchor", cwd=root)
        assert "has not moved" in again.stdout
    anchors = root / "anchors" / "derbes-anchors.jsonl"
    assert anchors.stat().st_mode & 0o777 == 0o600
    before = anchors.read_text()
    # The last ledger entry cut, the head row moved back onto the one before.
    _sql(root, "DELETE FROM consent_ledger WHERE seq = (SELECT max(seq) FROM consent_ledger)",
         "UPDATE consent_ledger_head SET seq = (SELECT max(seq) FROM consent_ledger), "
         "hash = (SELECT hash FROM consent_ledger WHERE seq = "
         "(SELECT max(seq) FROM consent_ledger))")
    cut = _derbes("ledger", "verify", cwd=root)
    assert cut.returncode == 1
    assert "truncated" in cut.stdout and "was anchored at" in cut.stdout
    refused = _derbes("ledger", "anchor", cwd=root)
    assert refused.returncode == 1 and "nothing anchored" in refused.stderr
    assert anchors.read_text() == before
    # The audit log emptied and its head zeroed.
    _sql(root, "DELETE FROM audit_log", f"UPDATE audit_head SET seq = 0, hash = '{'0' * 64}'")
    reset = _derbes("audit", "verify", "--format", "json", cwd=root)
    assert reset.returncode == 1
    data = json.loads(reset.stdout)
    assert data["entries"] == 0 and data["anchor"]["seq"] > 0
    assert [b["kind"] for b in data["breaks"]] == ["truncated"]


def test_apikey_create_refuses_an_unpublished_operator_and_takes_a_term(
    site: tuple[Path, dict[str, str]],
) -> None:
    root, _ = site
    unknown = _derbes("apikey", "create", "--name", "x", "--scope", "read", "--operator",
                      "no-such-operator", cwd=root)
    assert unknown.returncode == 3
    assert "no register published for operator 'no-such-operator'" in unknown.stderr
    assert "dbk_" not in unknown.stdout
    bad = _derbes("apikey", "create", "--name", "x", "--scope", "read", "--expires", "soon",
                  cwd=root)
    assert bad.returncode == 1 and "--expires" in bad.stderr
    made = _derbes("apikey", "create", "--name", "temp", "--scope", "read", "--operator",
                   "example-pay", "--expires", "90d", cwd=root)
    assert made.returncode == 0, made.stderr
    assert "expires" in made.stderr
    listed = _derbes("apikey", "list", cwd=root)
    assert made.stdout.strip().split("_")[1] in listed.stdout.replace("\n", "")


@pytest.fixture
def served(site: tuple[Path, dict[str, str]]) -> Iterator[tuple[TestClient, Path]]:
    root, _ = site
    settings = settings_for(root).model_copy(update={
        "anchor_file": root / "scheduled.jsonl", "anchor_every_minutes": 0.001})
    container = Container(settings=settings)
    with TestClient(create_app(container)) as client:
        yield client, settings.anchor_file
    container.engine.dispose()
    container.keystore_engine.dispose()


def test_the_server_anchors_both_chains_on_its_schedule(
    served: tuple[TestClient, Path],
) -> None:
    _, anchors = served
    deadline = time.monotonic() + 60
    chains: set[str] = set()
    while time.monotonic() < deadline and chains != {"audit", "ledger"}:
        if anchors.exists():
            chains = {json.loads(line)["chain"] for line in anchors.read_text().splitlines()}
        time.sleep(0.2)
    assert chains == {"audit", "ledger"}


def test_over_the_api_a_cleared_withdrawal_is_denied_and_named(
    site: tuple[Path, dict[str, str]],
) -> None:
    from derbes.access import service as apikeys

    root, ids = site
    sid = ids["withdrawn"]
    container = Container(settings=settings_for(root).model_copy(update={
        "anchor_file": root / "api-anchors.jsonl", "decision_cache_seconds": 0}))
    admin = {"X-API-Key": apikeys.create(container.uow(), container.clock, name="auditor",
                                         scopes=["admin"]).token}
    ask = {"operator": "example-pay", "actions": [
        {"subject_id": sid, "action": "use", "purpose": "newsletters",
         "categories": ["contact.email"]}]}
    try:
        with TestClient(create_app(container)) as client:
            clean = client.get("/v1/ledger/verify", headers=admin)
            assert clean.status_code == 200 and clean.json()["ok"] is True
            assert clean.json()["projections"]["subjects"] == 2
            _sql(root, f"UPDATE consents SET withdrawn_at = NULL WHERE subject_id = '{sid}'")
            decided = client.post("/v1/decisions", headers=admin, json=ask)
            assert decided.status_code == 200, decided.text
            (decision,) = decided.json()["decisions"]
            assert decision["allowed"] is False
            assert [r["code"] for r in decision["reasons"]] == ["state_unverified"]
            found = client.get("/v1/ledger/verify", headers=admin).json()
            assert found["ok"] is False and found["breaks"] == []
            assert {(d["subject_id"], d["table"], d["field"])
                    for d in found["projections"]["differences"]} == {
                (sid, "consents", "withdrawn_at"), (sid, "subject_seals", "mac")}
    finally:
        container.engine.dispose()
        container.keystore_engine.dispose()


def test_db_upgrade_across_the_seals_revision_seals_the_subjects_it_finds(
    site: tuple[Path, dict[str, str]],
) -> None:
    """A database from before state seals: `db upgrade` seals its subjects on the way,
    so the decision point answers for them at once (no separate `ledger seal`)."""
    from derbes.platform import migrate

    root, ids = site
    url = f"sqlite:///{root / 'var' / 'derbes.sqlite3'}"
    migrate.downgrade(url, "0009")
    upgraded = _derbes("db", "upgrade", cwd=root)
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    assert "upgraded 0009" in upgraded.stdout
    assert "sealed 2 subject(s)" in upgraded.stdout
    assert [r["code"] for r in _decide(root, ids["other"])["reasons"]] == ["consent_absent"]  # type: ignore[index]
    again = _derbes("db", "upgrade", cwd=root)
    assert "nothing to do" in again.stdout and "sealed" not in again.stdout
