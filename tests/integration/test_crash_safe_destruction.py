"""Killed at any moment, destruction keeps what must be kept and loses what must go.

The real ``derbes`` CLI is killed with SIGKILL, on SQLite and on PostgreSQL
(data database AND key store on the backend under test):

* at every named crash point (``platform/faults.POINTS``) of ``retention
  run``, ``subject destroy`` (whole and partial), ``keys rotate`` and ``keys
  epoch close`` — one crash, or several in a row where a rerun has points of
  its own (settling an interrupted key swap);
* at random moments of ``retention run``, at least 50 times per backend.

After every kill: every value that must be kept opens and equals what was
stored. After the rerun: the same, every destroyed value is gone from the
live database, no key the key store gives opens its copy in a backup taken
before the run, and (SQLite) the destroyed wrapped keys are not in the key
store's files.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text

from derbes.consent.model.consent import Evidence, Scope, ScopeKind
from derbes.consent.service import consent as consent_svc
from derbes.errors import NotFoundError
from derbes.lifecycle import service as lifecycle
from derbes.platform.clock import FixedClock
from derbes.platform.db import make_engine, parse_url
from derbes.platform.faults import POINTS
from derbes.platform.system_clock import SystemClock
from derbes.platform.tables import retention_runs
from derbes.register.service import registers
from derbes.retention.service import sweep as retention_svc
from derbes.testing.context import context as ctx_of
from derbes.testing.context import make_context
from derbes.vault.adapters.keystore import SqlKeyStore, data_keys
from derbes.vault.model import epoch_kek_id
from derbes.vault.service import subjects as vault_svc
from tests.forensics import Sealed
from tests.integration.conftest import BACKENDS
from tests.retention_support import AML_KEPT, CONSENTED, THREE_YEAR_ONLY, qiwi, qiwi_values
from tests.shred_support import Installation, at, dispose, install, opened, uow_of

OPERATOR = "qiwi-kz"
ACTOR = "test:crash"
AS_OF = date(2025, 6, 2)
BATCH = 3
ALL = THREE_YEAR_ONLY | AML_KEPT
EVIDENCE = "consent evidence"  # what check_kept reads of a subject's consent (its IP)


@dataclass
class Expected:
    """What the prepared data set holds and what a finished run must leave."""

    plain: dict[str, dict[str, object]]  # subject -> category -> plaintext
    full: list[str]  # every category due: shredded
    partial: list[str]  # 3-year categories due, AML categories kept 5 years
    kept: list[str]  # nothing due
    backup: dict[str, list[Sealed]] = field(default_factory=dict)  # values before the run
    wrapped: dict[str, list[bytes]] = field(default_factory=dict)  # wrapped keys before

    def must_keep(self, sid: str) -> frozenset[str]:
        if sid in self.kept:
            return ALL
        return AML_KEPT if sid in self.partial else frozenset()

    @property
    def retained_values(self) -> int:
        """Values and consent evidence that must stay readable."""
        return sum(len(self.must_keep(s)) + (EVIDENCE in self.plain[s]) for s in self.plain)

    @property
    def destroyed_values(self) -> int:
        return sum(len(ALL - self.must_keep(s)) for s in self.full + self.partial)


@dataclass
class Template:
    inst: Installation
    expected: Expected


def _prepare(inst: Installation) -> Expected:
    container = inst.container(FixedClock(at(date(2015, 1, 1))))
    clock = container.clock
    assert isinstance(clock, FixedClock)
    loaded = qiwi()
    registers.publish(uow_of(container), [loaded], clock)
    plan = [("full", date(2015, 1, 10), date(2015, 6, 1), date(2016, 1, 1))] * 8
    plan += [("partial", date(2021, 1, 10), date(2021, 6, 1), date(2022, 1, 1))] * 10
    plan += [("kept", date(2021, 1, 10), date(2021, 6, 1), None)] * 4
    groups: dict[str, list[str]] = {"full": [], "partial": [], "kept": []}
    plain: dict[str, dict[str, object]] = {}
    events = 0
    for n, (group, opened_on, paid_on, closed_on) in enumerate(plan, start=1):
        clock.set(at(opened_on))
        values = qiwi_values(n, clock.now())
        sid = vault_svc.add_subject(ctx_of(uow_of(container), container.keystore, clock, ACTOR), loaded.register, values, {})
        plain[sid] = {v.category: v.value for v in values}
        contract = f"c-{n}"
        for kind, day in (("contract_opened", opened_on), ("transaction", paid_on),
                          ("contract_closed", closed_on)):
            if day is None:
                continue
            events += 1
            clock.set(max(clock.now(), at(day)))
            lifecycle.record_event(make_context(uow_of(container), clock=clock, actor="lifecycle"),
                                   f"ev-{events}", sid, kind, at(day), contract)
        # The customer consented to the purposes their values were collected for: a
        # consent purpose keeps nothing without a consent, and values no purpose the
        # subject is in needs are left to a person, not destroyed by the sweep.
        # Consent evidence is sealed with the subject's key and must outlive a partial
        # destruction (re-sealed with the kept values); the full group gave none.
        evidence = Evidence() if group == "full" else Evidence(ip=f"203.0.113.{n}",
                                                               user_agent=f"agent {n}")
        consent_svc.give_consent(
            make_context(uow_of(container), container.keystore, clock, ACTOR),
            None, consent_svc.ConsentRequest(
                subject_id=sid, scopes=[Scope(ScopeKind.PROCESSING, purposes=CONSENTED)],
                channel="web_checkbox", evidence=evidence))
        if group != "full":
            plain[sid][EVIDENCE] = f"203.0.113.{n}"
        groups[group].append(sid)
    dispose(container)
    expected = Expected(plain, groups["full"], groups["partial"], groups["kept"])
    expected.backup = inst.sealed()
    expected.wrapped = inst.wrapped_keys()
    return expected


@pytest.fixture(scope="module", params=BACKENDS)
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Template]:
    server = request.getfixturevalue("pg_server_url") if request.param == "postgresql" else None
    inst = install(request.param, tmp_path_factory.mktemp("template") / "site", server)
    try:
        yield Template(inst, _prepare(inst))
    finally:
        inst.drop()


@pytest.fixture
def site(template: Template, tmp_path: Path) -> Iterator[Installation]:
    clone = template.inst.clone(tmp_path / "site")
    try:
        yield clone
    finally:
        clone.drop()


# ----------------------------------------------------------------- checks


@dataclass
class Tally:
    retained_lost: int = 0
    destroyed_readable: int = 0
    checks: int = 0


def check_kept(inst: Installation, expected: Expected, tally: Tally | None = None) -> None:
    """Every value that must be kept is there and opens to what was stored."""
    container = inst.container()
    try:
        values = inst.sealed()
        found = opened(container, values)
    finally:
        dispose(container)
    evidence = _evidence_ips(inst, [s for s in expected.plain if EVIDENCE in expected.plain[s]])
    lost = []
    for sid, plain in expected.plain.items():
        for category in expected.must_keep(sid):
            if found.get(sid, {}).get(category) != plain[category]:
                lost.append((sid, category))
        if EVIDENCE in plain and evidence.get(sid) != plain[EVIDENCE]:
            lost.append((sid, EVIDENCE))
    if tally is not None:
        tally.retained_lost += len(lost)
        tally.checks += 1
    assert not lost, f"{len(lost)} kept value(s) lost: {lost[:5]}"


def _evidence_ips(inst: Installation, sids: list[str]) -> dict[str, str | None]:
    """The IP address in each subject's sealed consent evidence, opened with the keys the
    key store gives (None when it does not open)."""
    import json

    from derbes.platform import crypto

    container = inst.container()
    try:
        keys = container.keystore.candidate_keys(sids)
        uow = uow_of(container)
        with uow:
            found = uow.consents.for_subjects(sids)
    finally:
        dispose(container)
    out: dict[str, str | None] = {}
    for sid, consents in found.items():
        out[sid] = None
        for c in consents:
            assert c.evidence_sealed is not None
            for key in keys.get(sid, ()):
                try:
                    plain = crypto.open_sealed(key, c.evidence_sealed,
                                               crypto.consent_aad(c.id, "evidence"))
                except Exception:
                    continue
                out[sid] = json.loads(plain).get("ip")
    return out


def check_finished(inst: Installation, expected: Expected, tally: Tally | None = None) -> None:
    """After a complete rerun: kept values open; destroyed ones are gone everywhere."""
    check_kept(inst, expected, tally)
    held = inst.held()
    destroyed = inst.destroyed()
    for sid in expected.full:
        assert sid not in held and sid in destroyed
    for sid in expected.partial:
        assert held[sid] == AML_KEPT, held[sid]
    for sid in expected.kept:
        assert held[sid] == ALL
    container = inst.container()
    try:
        keys = container.keystore.candidate_keys(list(expected.plain))
        assert container.keystore.pending_swaps() == []
    finally:
        dispose(container)
    readable = 0
    for sid in expected.full + expected.partial:
        doomed = ALL - expected.must_keep(sid)
        for value in expected.backup[sid]:
            if value.category in doomed and any(value.opens_with(k) for k in keys.get(sid, ())):
                readable += 1
    if tally is not None:
        tally.destroyed_readable += readable
    assert readable == 0, f"{readable} destroyed value(s) still open from the backup"
    if inst.backend == "sqlite":
        raw = b"".join(inst.keystore_files())
        for sid in expected.full + expected.partial:
            for wrapped in expected.wrapped[sid]:
                assert wrapped not in raw, "a destroyed wrapped key is still in the key store"


def rerun(inst: Installation) -> retention_svc.RunReport:
    """What running ``derbes retention run`` again does, in process (on the real clock,
    like the CLI run it resumes)."""
    container = inst.container(SystemClock())
    try:
        while True:
            report = retention_svc.run(
                make_context(uow_of(container), container.keystore, container.clock, ACTOR),
                OPERATOR, AS_OF, batch_size=BATCH)
            if not (report.resumed and report.run is not None and report.run.as_of != AS_OF):
                break
        if report.resumed:  # the killed run was finished: nothing else is due
            again = retention_svc.run(
                make_context(uow_of(container), container.keystore, container.clock, ACTOR),
                OPERATOR, AS_OF, batch_size=BATCH)
            assert again.run is None
        return report
    finally:
        dispose(container)


def _crash(inst: Installation, point: str, *args: str) -> None:
    result = inst.cli(*args, DERBES_CRASH_AT=point)
    assert result.returncode == -signal.SIGKILL, (point, result.returncode, result.stderr)
    assert f"crash point {point.partition(':')[0]} reached" in result.stderr


RETENTION = ("retention", "run", "--operator", OPERATOR, "--as-of", AS_OF.isoformat(),
             "--batch-size", str(BATCH))

# One crash, or crashes in a row: each later one hits the rerun of the one before.
RETENTION_CRASHES = [
    ["retention.run.started"],
    ["retention.batch.keys_destroyed"],
    ["retention.batch.keys_destroyed:3"],
    ["retention.batch.swap_prepared"],
    ["retention.batch.swap_prepared:3"],
    ["retention.batch.data_committed"],
    ["retention.batch.data_committed:5"],
    ["retention.batch.swap_committed"],
    ["retention.batch.swap_committed:3"],
    ["retention.run.finished"],
    # An interrupted swap that never reached the data database, settled as aborted:
    ["retention.batch.swap_prepared:2", "keyswap.settle.journaled"],
    ["retention.batch.swap_prepared:2", "keyswap.settle.keystore_done"],
    # ... and one that did, settled as committed (batches 3 to 6 hold partly due
    # subjects; 1 and 2 only wholly due ones):
    ["retention.batch.data_committed:4", "keyswap.settle.journaled"],
    ["retention.batch.data_committed:4", "keyswap.settle.keystore_done",
     "retention.batch.swap_prepared"],
]


@pytest.mark.slow
@pytest.mark.parametrize("crashes", RETENTION_CRASHES, ids=lambda c: "+".join(c))
def test_retention_run_killed_at_a_crash_point_resumes_without_loss(
    template: Template, site: Installation, crashes: list[str]
) -> None:
    for point in crashes:
        _crash(site, point, *RETENTION)
        check_kept(site, template.expected)
    rerun(site)
    check_finished(site, template.expected)


# ------------------------------------------------------- subject destruction


def _subject_destroy(inst: Installation, sid: str, categories: list[str], point: str
                     ) -> None:
    args = ["subject", "destroy", sid, "--reason", "request 1", "--yes"]
    for category in categories:
        args += ["--category", category]
    _crash(inst, point, *args)


def _destroy_again(inst: Installation, sid: str, categories: list[str]) -> None:
    """Run the destruction again; once it was complete, derbes says there is nothing left."""
    container = inst.container()
    try:
        if categories:
            vault_svc.destroy_categories(ctx_of(uow_of(container), container.keystore, container.clock, ACTOR), sid, categories, "request 1")
        else:
            vault_svc.destroy_subject(ctx_of(uow_of(container), container.keystore, container.clock, ACTOR), sid, "request 1")
    except NotFoundError:
        held = inst.held().get(sid, set())
        assert not (held & set(categories) if categories else held)
    finally:
        dispose(container)


SUBJECT_CRASHES = [
    ([], ["vault.destroy.key_destroyed"]),
    ([], ["vault.destroy.data_committed"]),
    (["contact.phone"], ["vault.shred.swap_prepared"]),
    (["contact.phone"], ["vault.shred.data_committed"]),
    (["contact.phone"], ["vault.shred.swap_committed"]),
    (["contact.phone"], ["vault.shred.swap_prepared", "keyswap.settle.journaled"]),
    (["contact.phone"], ["vault.shred.data_committed", "keyswap.settle.keystore_done"]),
]


@pytest.mark.slow
@pytest.mark.parametrize(("categories", "crashes"), SUBJECT_CRASHES,
                         ids=["+".join(c) for _cat, c in SUBJECT_CRASHES])
def test_subject_destruction_killed_at_a_crash_point_finishes_on_rerun(
    template: Template, site: Installation, categories: list[str], crashes: list[str]
) -> None:
    expected = template.expected
    sid = expected.kept[0]
    other = expected.kept[1]
    for point in crashes:
        _subject_destroy(site, sid, categories, point)
        kept_now = (ALL - set(categories)) if categories else frozenset()
        found = _open_all(site, [sid, other])
        for category in kept_now:
            assert found[sid].get(category) == expected.plain[sid][category], category
        assert found[other] == {c: expected.plain[other][c] for c in ALL}
    _destroy_again(site, sid, categories)
    found = _open_all(site, [sid, other])
    if categories:
        assert set(found[sid]) == ALL - set(categories)
        assert all(found[sid][c] == expected.plain[sid][c] for c in found[sid])
    else:
        assert sid not in found and sid in site.destroyed()
    assert found[other] == {c: expected.plain[other][c] for c in ALL}
    # The backup's copy of what was destroyed opens with no key the store gives.
    container = site.container()
    try:
        keys = container.keystore.candidate_keys([sid]).get(sid, ())
        assert container.keystore.pending_swaps() == []
    finally:
        dispose(container)
    gone = set(categories) if categories else ALL
    assert not [v for v in expected.backup[sid]
                if v.category in gone and any(v.opens_with(k) for k in keys)]
    if site.backend == "sqlite":
        raw = b"".join(site.keystore_files())
        assert all(w not in raw for w in expected.wrapped[sid])


def _open_all(inst: Installation, sids: list[str]) -> dict[str, dict[str, object]]:
    values = inst.sealed(sids)
    container = inst.container()
    try:
        found = opened(container, values)
    finally:
        dispose(container)
    return {sid: {c: v for c, v in row.items() if v is not None} for sid, row in found.items()}


# ------------------------------------------------------------ key rotation


ROTATE_CRASHES = [
    ["keys.rotate.new_kek_written"],
    ["keys.rotate.batch_committed"],
    ["keys.rotate.batch_committed:3"],
    ["keys.rotate.epoch_rewrapped"],
    ["keys.rotate.old_kek_retired"],
    ["keys.rotate.new_kek_installed"],
    ["keys.rotate.batch_committed:2", "keys.rotate.batch_committed:2",
     "keys.rotate.new_kek_installed"],
]


def _add_legacy_keys(inst: Installation, n: int) -> dict[str, bytes]:
    """Data keys wrapped by the KEK itself, as an installation from before key epochs has."""
    from derbes.vault.adapters.kek import FileKek

    engine = make_engine(inst.key_url)
    try:
        return SqlKeyStore(engine, FileKek(inst.kek_file)).create_keys(
            [f"legacy-{i:03d}" for i in range(n)])
    finally:
        engine.dispose()


def _all_keys(inst: Installation, legacy: dict[str, bytes], expected: Expected
              ) -> tuple[dict[str, bytes], bytes, bytes]:
    container = inst.container()
    try:
        store = container.keystore
        return (store.keys_for([*legacy, *expected.plain]), store.index_key(),
                store.audit_key())
    finally:
        dispose(container)


@pytest.mark.slow
@pytest.mark.parametrize("crashes", ROTATE_CRASHES, ids=lambda c: "+".join(c))
def test_kek_rotation_killed_at_a_crash_point_loses_no_key(
    template: Template, site: Installation, crashes: list[str]
) -> None:
    legacy = _add_legacy_keys(site, 5)
    before = _all_keys(site, legacy, template.expected)
    old_kek = site.kek
    for point in crashes:
        _crash(site, point, "keys", "rotate", "--batch-size", "2")
        assert _all_keys(site, legacy, template.expected) == before
    done = site.cli("keys", "rotate", "--batch-size", "2")
    assert done.returncode == 0, done.stderr
    assert site.kek != old_kek
    # The old KEK is not needed any more: its retired copy can go.
    for retired in (site.kek_file.parent).glob("kek.key.retired-*"):
        retired.unlink()
    assert not (site.kek_file.parent / "kek.key.new").exists()
    assert _all_keys(site, legacy, template.expected) == before
    check_kept(site, template.expected)


# --------------------------------------------------------------- epoch close


EPOCH_CRASHES = [
    ["keys.epoch.next_opened"],
    ["keys.epoch.batch_committed"],
    ["keys.epoch.batch_committed:4"],
    ["keys.epoch.closed"],
    ["keys.epoch.destroyed"],
    ["keys.epoch.next_opened", "keys.epoch.batch_committed:2", "keys.epoch.closed"],
]


@pytest.mark.slow
@pytest.mark.parametrize("crashes", EPOCH_CRASHES, ids=lambda c: "+".join(c))
def test_epoch_close_killed_at_a_crash_point_finishes_on_rerun(
    template: Template, site: Installation, crashes: list[str]
) -> None:
    expected = template.expected
    legacy = _add_legacy_keys(site, 3)
    victim = expected.kept[2]
    container = site.container()
    try:
        vault_svc.destroy_subject(ctx_of(uow_of(container), container.keystore, container.clock, ACTOR), victim, "request")
    finally:
        dispose(container)
    survivors = [s for s in expected.plain if s != victim]
    keep = {**legacy, **_keys(site, survivors)}
    for point in crashes:
        _crash(site, point, "keys", "epoch", "close", "--batch-size", "4")
        assert _keys(site, list(keep)) == keep
    done = site.cli("keys", "epoch", "close", "--batch-size", "4")
    assert done.returncode == 0, done.stderr
    assert _keys(site, list(keep)) == keep
    engine = make_engine(site.key_url)
    try:
        with engine.connect() as connection:
            kek_ids = set(connection.execute(select(data_keys.c.kek_id)).scalars())
    finally:
        engine.dispose()
    assert kek_ids == {epoch_kek_id(2)}  # every key, legacy ones too, in the new epoch
    assert sorted(p.name for p in site.epochs_dir.glob("epoch-*.key")) == ["epoch-000002.key"]
    # The victim's wrapped key from before opens with nothing that is left.
    from tests.forensics import epoch_keys_in

    left = [site.kek, *epoch_keys_in(site.epochs_dir, site.kek)]
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from derbes.vault.adapters.keystore import data_key_aad

    for wrapped in expected.wrapped[victim]:
        for key in left:
            with pytest.raises(InvalidTag):
                AESGCM(key).decrypt(wrapped[:12], wrapped[12:], data_key_aad(victim))


def _keys(inst: Installation, sids: list[str]) -> dict[str, bytes]:
    container = inst.container()
    try:
        return container.keystore.keys_for(sids)
    finally:
        dispose(container)


def test_every_crash_point_is_exercised() -> None:
    used = {p.partition(":")[0] for crashes in RETENTION_CRASHES + ROTATE_CRASHES
            + EPOCH_CRASHES for p in crashes}
    used |= {p.partition(":")[0] for _c, crashes in SUBJECT_CRASHES for p in crashes}
    # The operator-database step needs a connected store (tests/integration/
    # test_retention_stores.py covers its failure and rerun).
    assert POINTS - used == {"retention.batch.stores_erased"}


# ------------------------------------------------------------- random kills

# 20 kills per database in the everyday suite (each named crash point is also killed
# deterministically above); `DERBES_TEST_KILLS=50` or more for the figures of
# docs/reliability.md.
KILLS = int(os.environ.get("DERBES_TEST_KILLS", "20"))


def _run_row(inst: Installation) -> tuple[int, int, str] | None:
    engine = make_engine(inst.url)
    try:
        with engine.connect() as connection:
            row = connection.execute(select(
                retention_runs.c.subjects_done, retention_runs.c.subjects_total,
                retention_runs.c.state)).first()
    finally:
        engine.dispose()
    return None if row is None else (int(row[0]), int(row[1]), str(row[2]))


def _at_work(inst: Installation, worker: subprocess.Popen[str]) -> bool:
    """Has the process begun to use its databases (start-up over)? False once it has exited."""
    while worker.poll() is None:
        if inst.backend == "sqlite":
            wanted = str(parse_url(inst.url).database)
            try:
                links = [os.readlink(f"/proc/{worker.pid}/fd/{fd}")
                         for fd in os.listdir(f"/proc/{worker.pid}/fd")]
            except (FileNotFoundError, ProcessLookupError):
                links = []
            if any(link.startswith(wanted) for link in links):
                return True
        elif _connected(inst):
            return True
        time.sleep(0.005)
    return False


def _connected(inst: Installation) -> bool:
    assert inst.server is not None
    engine = make_engine(inst.server)
    try:
        with engine.connect() as connection:
            return bool(connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname IN (:a, :b)"),
                {"a": parse_url(inst.url).database, "b": parse_url(inst.key_url).database}
            ).scalar_one())
    finally:
        engine.dispose()


RANDOM_RUN = ("retention", "run", "--operator", OPERATOR, "--as-of", AS_OF.isoformat(),
              "--batch-size", "2")


@pytest.mark.slow
def test_retention_run_killed_at_random_moments(
    template: Template, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = template.expected
    began = time.monotonic()
    rng = random.Random(int(os.environ.get("DERBES_TEST_SEED", "9")))
    tally = Tally()
    kills = mid_run = before_run = iterations = 0
    # How long the run's work takes here, from the moment the process opens its
    # databases to the run recorded completed: each kill lands at a random
    # moment of it (settling, planning, batches, the act).
    probe = template.inst.clone(tmp_path / "probe")
    try:
        worker = probe.spawn(*RANDOM_RUN)
        assert _at_work(probe, worker)
        started = time.monotonic()
        while (state := _run_row(probe)) is None or state[2] == "running":
            assert worker.poll() is None or state is not None
            time.sleep(0.005)
        work = time.monotonic() - started
        worker.communicate(timeout=300)
        assert worker.returncode == 0
        check_finished(probe, expected)
    finally:
        probe.drop()
    while kills < KILLS:
        iterations += 1
        site = template.inst.clone(tmp_path / f"site-{iterations}")
        try:
            for _ in range(rng.randint(1, 4)):
                worker = site.spawn(*RANDOM_RUN)
                if _at_work(site, worker):
                    time.sleep(rng.uniform(0.0, work))
                    worker.send_signal(signal.SIGKILL)
                worker.communicate(timeout=120)
                if worker.returncode != -signal.SIGKILL:
                    break  # it finished before the kill: nothing left to kill
                kills += 1
                state = _run_row(site)
                if state is None:
                    before_run += 1
                elif state[2] == "running":
                    mid_run += 1
                else:
                    # The run was over (the process was exiting): this machine runs it
                    # faster than the probe did; aim a little earlier from now on.
                    work *= 0.85
                check_kept(site, expected, tally)
            rerun(site)
            check_finished(site, expected, tally)
        finally:
            site.drop()
    assert tally.retained_lost == 0 and tally.destroyed_readable == 0
    with capsys.disabled():
        print(f"\nrandom kills [{template.inst.backend}]: {kills} kills in {iterations} "
              f"reruns ({before_run} before the run row, {mid_run} mid-run, "
              f"{kills - before_run - mid_run} after it completed; work {work:.2f} s), "
              f"{tally.checks} checks of {expected.retained_values} retained values: "
              f"{tally.retained_lost} lost; {expected.destroyed_values} destroyed values: "
              f"{tally.destroyed_readable} readable after the rerun; "
              f"{time.monotonic() - began:.0f} s")
