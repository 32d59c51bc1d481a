"""Benchmark: the console's busiest pages against a bare SQL query fetching the same rows.

    python bench/console.py [--subjects 100000] [--requests 10000] [--samples 60]

The issue asks for 1,000,000 subjects and 100,000 requests (``--subjects 1000000
--requests 100000``: a few minutes of set-up on the shared 2-core machine, 300,000
subjects take about 75 seconds in all); the default is a tenth of that, under a minute.

**Set-up (not timed).** A throwaway PostgreSQL (``DERBES_BENCH_PG_URL``, or a private
cluster from ``scripts/pg-throwaway``), migrated, with the five seed registers
published (``tests/api_world.make_world``) and a DPO of express-avans signed in to the
console as a browser would (password, TOTP, session cookie, CSRF token). ``--real``
subjects are written through the API (sealed values, real blind indexes), so that a
look-up finds them; the rest of ``--subjects`` is written with ``COPY`` as the vault's
rows: ``subjects``, three blind-index digests each (``subject_lookups``) and three
retention clocks each (``retention_category_clocks``: a fifth with no end date yet,
0.5 % ended within the last month and not yet swept, the rest ending within ten
years). Four in five subjects are express-avans's, the rest are spread over the other
operators. ``--requests`` requests are copied from one
filed through the API, received over three years, 3 % still open (received, verified,
in progress), the rest answered, refused or withdrawn. Then ``ANALYZE``.

**Timed, interleaved sample by sample.** Each page through the ASGI app (routing,
session and CSRF checks, permissions, the services, rendering the HTML), and its
**floor**: one bare SQL statement on its own connection fetching the rows the page
shows.

* Today (the DPO's: all four parts) — floor: the 50 open requests soonest due, the
  first 50 blocked subjects, the counts of pairs and subjects due for destruction and of
  pairs falling due this month, the audit log's head.
* Requests inbox, no filter — floor: the 500 requests soonest due.
* Subject look-up by IIN (``POST …/subjects/find``, a random real subject) — floor: the
  blind-index row of that IIN's digest.

Printed: p50 and p95 of each in milliseconds and the ratio of the p95s (goal: page p95
≤ 150 ms and ≤ 5× its floor). Synthetic values only, never real PD; the databases are
dropped at the end.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.table import Table
from sqlalchemy import Engine, text

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

from tests.api_world import World, make_world  # noqa: E402
from tests.console_support import console_sign_in, csrf_of, file_request  # noqa: E402
from tests.load_support import OPERATOR, adult_iin, subject_body  # noqa: E402
from tests.staff_support import add  # noqa: E402
from vault_ingest import _databases, _machine, _percentile, _progress, console  # noqa: E402

from derbes.platform.db import make_engine  # noqa: E402

OTHERS = ("kassa24", "qiwi-kz", "kredit-seven", "freedom-finance")
CATEGORIES = ("identity.iin", "contact.phone", "identity.full_name")
LOOKUP_KINDS = ("iin", "phone", "email")
OPEN = ("received", "verified", "in_progress")
CLOSED = ("answered", "answered", "answered", "refused", "withdrawn")
TYPES = ("access", "access", "access", "destruction", "consent_withdrawal", "rectification",
         "blocking", "complaint")
CHUNK = 50_000

# Today shows four parts; its floor reads each part's rows, one statement each.
TODAY_SQL = tuple(text(q) for q in (
    "SELECT * FROM subject_requests WHERE operator_id = :op "
    "AND state IN ('received', 'verified', 'in_progress') "
    "ORDER BY due_date, received_at, id LIMIT 50",
    "SELECT id, blocked_at FROM subjects WHERE operator_id = :op AND destroyed_at IS NULL "
    "AND blocked_at IS NOT NULL ORDER BY blocked_at, id LIMIT 50",
    "SELECT count(*), count(DISTINCT subject_id) FROM retention_category_clocks "
    "WHERE operator_id = :op AND keep_until < :day",
    "SELECT count(*) FROM retention_category_clocks WHERE operator_id = :op "
    "AND keep_until >= :day AND keep_until < :month_end",
    "SELECT max(seq) FROM audit_log"))
INBOX_SQL = text("SELECT * FROM subject_requests WHERE operator_id = :op "
                 "ORDER BY due_date, received_at, id LIMIT 500")
LOOKUP_SQL = text("SELECT subject_id FROM subject_lookups "
                  "WHERE operator_id = :op AND kind = 'iin' AND digest = :digest")


def _copy(engine: Engine, table: str, columns: Sequence[str],
          rows: Iterator[tuple[Any, ...]]) -> None:
    with engine.begin() as connection:
        driver = connection.connection.driver_connection
        names = ", ".join(columns)
        with driver.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
                f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _operator(rng: random.Random) -> str:
    return OPERATOR if rng.random() < 0.8 else rng.choice(OTHERS)


def _keep_until(rng: random.Random, today: date) -> date | None:
    """A clock's end: a fifth with none yet; a few ended in the last month (what the next
    sweep destroys: the sweep runs, so older ends are gone); the rest up to ten years on."""
    draw = rng.random()
    if draw < 0.2:
        return None
    if draw < 0.205:
        return today - timedelta(days=1 + rng.randrange(30))
    return today + timedelta(days=rng.randrange(10 * 365))


def pad_subjects(engine: Engine, count: int, now: datetime, rng: random.Random) -> None:
    """``count`` subjects as the vault's rows (ids, digests, clocks), no values."""
    with _progress() as progress:
        task = progress.add_task("subjects (COPY)", total=count)
        for start in range(0, count, CHUNK):
            batch = [(str(uuid.UUID(int=rng.getrandbits(128), version=4)), _operator(rng))
                     for _ in range(min(CHUNK, count - start))]
            _copy(engine, "subjects", ("id", "operator_id", "created_at"),
                  ((sid, op, now) for sid, op in batch))
            _copy(engine, "subject_lookups", ("operator_id", "kind", "digest", "subject_id"),
                  ((op, kind, rng.getrandbits(256).to_bytes(32).hex(), sid)
                   for sid, op in batch for kind in LOOKUP_KINDS))
            _copy(engine, "retention_category_clocks",
                  ("subject_id", "category", "operator_id", "keep_until", "purpose_id", "held"),
                  ((sid, category, op, _keep_until(rng, now.date()), None, 0)
                   for sid, op in batch for category in CATEGORIES))
            progress.advance(task, len(batch))


def pad_requests(engine: Engine, template_id: str, count: int, now: datetime,
                 rng: random.Random) -> None:
    """``count`` requests shaped as the one filed through the API (``template_id``)."""
    with engine.connect() as connection:
        template = dict(connection.execute(
            text("SELECT * FROM subject_requests WHERE id = :id"), {"id": template_id}
        ).mappings().one())
    columns = tuple(template)

    def rows() -> Iterator[tuple[Any, ...]]:
        for _ in range(count):
            received = now - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
            open_ = rng.random() < 0.03 and received > now - timedelta(days=60)
            state = rng.choice(OPEN) if open_ else rng.choice(CLOSED)
            row = {**template, "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                   "operator_id": _operator(rng), "type": rng.choice(TYPES), "state": state,
                   "received_at": received, "due_date": (received + timedelta(days=14)).date(),
                   "closed_at": None if open_ else received + timedelta(days=5),
                   "updated_at": received}
            yield tuple(row[c] for c in columns)

    with _progress() as progress:
        task = progress.add_task("requests (COPY)", total=1)
        _copy(engine, "subject_requests", columns, rows())
        progress.advance(task)


def real_subjects(world: World, count: int) -> list[str]:
    """Subjects written through the API (the vault seals and indexes them); their IINs."""
    api = world.client()
    with _progress() as progress:
        task = progress.add_task("subjects (API)", total=count)
        for n in range(count):
            made = api.post("/v1/subjects", json=subject_body(n))
            assert made.status_code == 201, made.text
            progress.advance(task)
    return [adult_iin(n) for n in range(count)]


def _timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def measure(world: World, engine: Engine, iins: Sequence[str], samples: int,
            rng: random.Random) -> dict[str, tuple[list[float], list[float]]]:
    dpo = add(world, "dpo.bench@express-avans.kz", (OPERATOR, "dpo"))
    browser = console_sign_in(world, dpo, lang="ru")
    token = csrf_of(browser.get(f"/console/{OPERATOR}/subjects").text)
    with engine.connect() as connection:
        digests = [str(digest) for digest in connection.execute(text(
            "SELECT digest FROM subject_lookups WHERE operator_id = :op AND kind = 'iin'"),
            {"op": OPERATOR}).scalars()]

    def page(path: str) -> None:
        answer = browser.get(path)
        assert answer.status_code == 200, answer.text[:300]

    def find(iin: str) -> None:
        answer = browser.post(f"/console/{OPERATOR}/subjects/find",
                              data={"csrf_token": token, "kind": "iin", "value": iin})
        assert answer.status_code == 200, answer.text[:300]
        assert "/subjects/" in answer.text, "the look-up found nobody"

    day = world.container.clock.now().date()
    month_end = date(day.year + day.month // 12, day.month % 12 + 1, 1)

    def bare(*statements: Any, **values: Any) -> None:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(statement, {"op": OPERATOR, "day": day,
                                               "month_end": month_end, **values}).all()

    found: dict[str, tuple[list[float], list[float]]] = {
        "today": ([], []), "inbox": ([], []), "lookup": ([], [])}
    for _ in range(5):  # warm-up: templates compiled, caches and pools filled
        page(f"/console/{OPERATOR}/today")
        page(f"/console/{OPERATOR}/requests")
    with _progress() as progress:
        task = progress.add_task("samples", total=samples)
        for _ in range(samples):
            found["today"][0].append(_timed(lambda: page(f"/console/{OPERATOR}/today")))
            found["today"][1].append(_timed(lambda: bare(*TODAY_SQL)))
            found["inbox"][0].append(_timed(lambda: page(f"/console/{OPERATOR}/requests")))
            found["inbox"][1].append(_timed(lambda: bare(INBOX_SQL)))
            iin = rng.choice(iins)
            digest = rng.choice(digests)
            found["lookup"][0].append(_timed(lambda iin=iin: find(iin)))  # type: ignore[misc]
            found["lookup"][1].append(_timed(
                lambda digest=digest: bare(LOOKUP_SQL, digest=digest)))  # type: ignore[misc]
            progress.advance(task)
    return found


def report(found: dict[str, tuple[list[float], list[float]]], args: argparse.Namespace) -> None:
    table = Table(title=f"Console pages: {args.subjects:,} subjects, {args.requests:,} requests "
                        f"(PostgreSQL), {args.samples} samples")
    for column in ("page", "p50 ms", "p95 ms", "floor p50 ms", "floor p95 ms", "p95 ratio",
                   "goal (≤150 ms, ≤5×)"):
        table.add_column(column, justify="left" if column == "page" else "right")
    names = {"today": "Today", "inbox": "Requests inbox", "lookup": "Subject look-up (IIN)"}
    for key, (pages, floors) in found.items():
        p95, f95 = _percentile(pages, 95), _percentile(floors, 95)
        ok = p95 <= 150 and p95 <= 5 * f95
        table.add_row(names[key], f"{_percentile(pages, 50):.1f}", f"{p95:.1f}",
                      f"{_percentile(floors, 50):.2f}", f"{f95:.2f}", f"{p95 / f95:.0f}×",
                      "met" if ok else "missed")
    console.print(table)
    console.print(f"{date.today().isoformat()} · {_machine()}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--real", type=int, default=100,
                        help="subjects written through the API (look-ups find these)")
    parser.add_argument("--samples", type=int, default=60)
    parser.add_argument("--seed", type=int, default=94)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with _databases("postgresql") as dbs, tempfile.TemporaryDirectory() as tmp:
        world = make_world(Path(tmp), dbs.data_url)
        engine = make_engine(dbs.data_url)
        try:
            now = world.container.clock.now()
            iins = real_subjects(world, args.real)
            template = file_request(world, "access", OPERATOR, "ru")
            pad_subjects(engine, max(0, args.subjects - args.real), now, rng)
            pad_requests(engine, template, args.requests, now.astimezone(UTC), rng)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
            report(measure(world, engine, iins, args.samples, rng), args)
        finally:
            engine.dispose()
            world.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
