"""Generate a realistic microcredit operator database (SQLite or PostgreSQL).

The demo builds its sample Kredit Seven database with it (``installation/service/demo.py``);
``scripts/make_operator_db.py`` runs it from the command line:

    .venv/bin/python scripts/make_operator_db.py --url sqlite:///var/kredit-seven-core.sqlite3 \
        --clients 10000 --seed 7
    .venv/bin/python scripts/make_operator_db.py --url "$KREDIT_SEVEN_CORE_URL" --clients 1000000

The schema is what a Kazakhstan microfinance organisation's core system looks
like, and what ``registers/datasets/kredit-seven-core.yaml`` maps to the Kredit
Seven register:

    clients       one row per borrower: valid IIN (control digit computed as
                  derbes checks it), Kazakh and Russian names, +7 7xx mobile
                  phones, addresses in Kazakh or Russian, ID card, job, income
    applications  1-4 per client: amount, term, declared income/expenses,
                  credit score, IP address, status
    loans         one per approved application: contract, dates, IBAN, card token
    payments      1-6 per loan (more for closed loans)
    contacts      0-3 per client: relatives, guarantors, colleagues given by the client

About 10 rows per client: 1,000,000 clients give ~10,000,000 rows.

Speed: rows are generated in streaming batches (memory stays flat), loaded by
COPY on PostgreSQL and executemany on SQLite, and the indexes and (on
PostgreSQL) foreign keys are created after the load. The indexes of the access
path (``derbes dataset show``, access requests) are:

    clients(iin) UNIQUE        find the subject by IIN            (identity kind iin)
    clients(phone)             find the subject by phone          (identity kind phone)
    applications(client_id)    clients -> applications
    loans(application_id)      applications -> loans   (UNIQUE: one loan per application)
    payments(loan_id)          loans -> payments
    contacts(client_id)        clients -> contacts
    primary keys               customer_id look-ups and erasure by key

Output is deterministic for a given ``--seed``, ``--clients`` and ``--as-of``.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    func,
    select,
    text,
)
from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable, ForeignKeyConstraint

from derbes.installation.adapters.sample_people import (
    EDUCATION,
    EMAIL_DOMAINS,
    EMPLOYERS,
    MARITAL,
    RELATIONS,
    iso,
    latin,
    make_address,
    make_comment,
    make_iban,
    make_iin,
    make_person,
    make_phone,
)
from derbes.platform.db import make_engine

TABLES = ("clients", "applications", "loans", "payments", "contacts")

# ------------------------------------------------------------------ schema


def operator_metadata() -> MetaData:
    """The operator's tables. Indexes are in :func:`access_indexes`, created after the load."""
    md = MetaData()
    for table in (_clients, _applications, _loans, _payments, _contacts):
        table(md)
    return md


def _row_id() -> Column[int]:
    """The row's number, given by the generator (the load writes ids as they come)."""
    return Column("id", BigInteger, primary_key=True, autoincrement=False)


def _child_of(table: str, parent: str) -> Column[int]:
    """``<parent>_id``: the row of ``<parent>s`` a row of ``table`` hangs off."""
    return Column(f"{parent}_id", BigInteger,
                  ForeignKey(f"{parent}s.id", name=f"fk_{table}_{parent}"), nullable=False)


def _clients(md: MetaData) -> Table:
    return Table(
        "clients", md,
        _row_id(),
        Column("iin", String(12), nullable=False),
        Column("last_name", String(64), nullable=False),
        Column("first_name", String(64), nullable=False),
        Column("patronymic", String(64)),
        Column("birth_date", Date),
        Column("sex", String(1)),
        Column("phone", String(16), nullable=False),
        Column("email", String(128)),
        Column("id_doc_number", String(16)),
        Column("registration_address", String(256)),
        Column("residence_address", String(256)),
        Column("marital_status", String(16)),
        Column("education", String(128)),
        Column("employer", String(128)),
        Column("monthly_income", Numeric(14, 2)),
        Column("created_at", DateTime, nullable=False),
    )


def _applications(md: MetaData) -> Table:
    return Table(
        "applications", md,
        _row_id(),
        _child_of("applications", "client"),
        Column("created_at", DateTime, nullable=False),
        Column("requested_amount", Numeric(14, 2), nullable=False),
        Column("term_days", Integer, nullable=False),
        Column("declared_income", Numeric(14, 2)),
        Column("declared_expenses", Numeric(14, 2)),
        Column("credit_score", Integer),
        Column("ip_address", String(45)),
        Column("status", String(16), nullable=False),
        # The call-centre operator's free-text note. Not in the dataset mapping: people
        # write phone numbers here, which is what `derbes scan` finds.
        Column("comment", String(512)),
    )


def _loans(md: MetaData) -> Table:
    return Table(
        "loans", md,
        _row_id(),
        _child_of("loans", "application"),
        Column("contract_number", String(32), nullable=False),
        Column("issued_on", Date, nullable=False),
        Column("principal", Numeric(14, 2), nullable=False),
        Column("rate_percent", Numeric(6, 2), nullable=False),
        Column("due_on", Date, nullable=False),
        Column("closed_on", Date),
        Column("status", String(16), nullable=False),
        Column("payout_iban", String(20)),
        Column("card_token", String(40)),
    )


def _payments(md: MetaData) -> Table:
    return Table(
        "payments", md,
        _row_id(),
        _child_of("payments", "loan"),
        Column("paid_at", DateTime, nullable=False),
        Column("amount", Numeric(14, 2), nullable=False),
        Column("method", String(16), nullable=False),
        Column("card_mask", String(19)),
    )


def _contacts(md: MetaData) -> Table:
    return Table(
        "contacts", md,
        _row_id(),
        _child_of("contacts", "client"),
        Column("kind", String(16), nullable=False),
        Column("full_name", String(192)),
        Column("phone", String(16)),
        Column("relation", String(32)),
    )


def access_indexes(md: MetaData) -> list[Index]:
    t = md.tables
    return [
        Index("ix_clients_iin", t["clients"].c.iin, unique=True),
        Index("ix_clients_phone", t["clients"].c.phone),
        Index("ix_applications_client_id", t["applications"].c.client_id),
        Index("ix_loans_application_id", t["loans"].c.application_id, unique=True),
        Index("ix_payments_loan_id", t["payments"].c.loan_id),
        Index("ix_contacts_client_id", t["contacts"].c.client_id),
    ]


@dataclass
class Counters:
    application: int = 0
    loan: int = 0
    payment: int = 0
    contact: int = 0
    taken_iins: set[int] = field(default_factory=set)
    # Comments draw from their own generator so that adding them left every other
    # generated value as it was for a given seed.
    comments: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311


Batch = dict[str, list[tuple[Any, ...]]]


def client_batch(rng: random.Random, first_id: int, count: int, as_of: date,
                 counters: Counters) -> Batch:
    """Rows of ``count`` clients from ``first_id`` and everything that hangs off them."""
    rows = _Rows(rng, as_of, counters)
    for client_id in range(first_id, first_id + count):
        rows.client(client_id)
    return rows.batch


class _Rows:
    """One batch being filled; every value drawn from ``rng`` in a fixed order, so a seed
    gives the same database every time."""

    def __init__(self, rng: random.Random, as_of: date, counters: Counters) -> None:
        self.rng, self.as_of, self.counters = rng, as_of, counters
        self.batch: Batch = {name: [] for name in TABLES}

    def client(self, client_id: int) -> None:
        rng, as_of = self.rng, self.as_of
        person = make_person(rng)
        age_days = rng.randint(18 * 365 + 5, 65 * 365)
        birth = as_of - timedelta(days=age_days)
        iin = make_iin(rng, birth, person.male, self.counters.taken_iins)
        created = datetime.combine(as_of - timedelta(days=rng.randint(30, 6 * 365)),
                                   datetime.min.time()) + timedelta(seconds=rng.randrange(86400))
        registration = make_address(rng, person.kazakh)
        residence = registration if rng.random() < 0.6 else make_address(rng, person.kazakh)
        email = (f"{latin(person.first)}.{latin(person.last)}{rng.randrange(100)}@"
                 f"{rng.choice(EMAIL_DOMAINS)}") if rng.random() < 0.6 else None
        income = rng.randrange(85_000, 900_000, 500)
        self.batch["clients"].append((
            client_id, iin, person.last, person.first, person.patronymic, iso(birth),
            "M" if person.male else "F", make_phone(rng), email,
            f"0{rng.randrange(10**8):08d}", registration, residence, rng.choice(MARITAL),
            rng.choice(EDUCATION) if rng.random() < 0.7 else None,
            rng.choice(EMPLOYERS) if rng.random() < 0.85 else None, income, iso(created),
        ))
        for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3))):
            self.application(client_id, created, income)
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
            self.counters.contact += 1
            kind, relation = rng.choice(RELATIONS)
            contact = make_person(rng)
            self.batch["contacts"].append((
                self.counters.contact, client_id, kind, contact.full_name, make_phone(rng),
                relation,
            ))

    def application(self, client_id: int, created: datetime, income: int) -> None:
        rng, counters = self.rng, self.counters
        counters.application += 1
        app_id = counters.application
        applied = created + timedelta(days=rng.randint(0, max(1, (self.as_of - created.date()).days
                                                                - 1)))
        amount = rng.randrange(20_000, 500_001, 5_000)
        status = rng.choices(("approved", "rejected", "cancelled"), weights=(75, 20, 5))[0]
        self.batch["applications"].append((
            app_id, client_id, iso(applied), amount, rng.choice((7, 14, 21, 30, 60, 90, 180)),
            income if rng.random() < 0.8 else rng.randrange(85_000, 900_000, 500),
            rng.randrange(20_000, 400_000, 500) if rng.random() < 0.7 else None,
            rng.randint(300, 850) if rng.random() < 0.9 else None,
            f"{rng.choice((2, 5, 37, 46, 95, 178, 212))}.{rng.randrange(256)}."
            f"{rng.randrange(256)}.{rng.randrange(1, 255)}",
            status, make_comment(counters.comments),
        ))
        if status == "approved":
            self.loan(app_id, applied, amount)

    def loan(self, app_id: int, applied: datetime, amount: int) -> None:
        rng, as_of = self.rng, self.as_of
        self.counters.loan += 1
        loan_id = self.counters.loan
        issued = applied.date() + timedelta(days=rng.randint(0, 2))
        term = rng.choice((30, 60, 90, 180, 365))
        due = issued + timedelta(days=term)
        state = rng.choices(("closed", "active", "overdue", "written_off"),
                            weights=(60, 25, 10, 5))[0]
        if due >= as_of and state in ("closed", "written_off"):
            state = "active"
        closed = (min(due + timedelta(days=rng.randint(-10, 20)), as_of)
                  if state in ("closed", "written_off") else None)
        self.batch["loans"].append((
            loan_id, app_id, f"MK-{issued:%Y%m}-{loan_id:08d}", iso(issued), amount,
            rng.choice((36.5, 45.0, 49.9, 55.9)),  # annual; GEPR is capped at 56%
            iso(due), iso(closed), state,
            make_iban(rng) if rng.random() < 0.6 else None,
            f"tok_{rng.getrandbits(96):024x}" if rng.random() < 0.8 else None,
        ))
        self.payments(loan_id, issued, amount, state)

    def payments(self, loan_id: int, issued: date, amount: int, state: str) -> None:
        rng = self.rng
        n_payments = rng.randint(1, 6) if state != "active" else rng.randint(0, 3)
        paid = datetime.combine(issued, datetime.min.time())
        for _ in range(n_payments):
            self.counters.payment += 1
            paid += timedelta(days=rng.randint(7, 35), seconds=rng.randrange(86400))
            method = rng.choices(("card", "kaspi", "terminal", "bank_transfer"),
                                 weights=(40, 35, 15, 10))[0]
            card = (f"{rng.choice(('440043', '400303', '536280', '220220'))}******"
                    f"{rng.randrange(10000):04d}") if method == "card" else None
            self.batch["payments"].append((
                self.counters.payment, loan_id, iso(paid),
                max(1_000, amount // n_payments + rng.randrange(-2_000, 5_000)), method, card,
            ))


# ------------------------------------------------------------------ loading


def _columns(md: MetaData, table: str) -> list[str]:
    return [c.name for c in md.tables[table].columns]


def create_schema(engine: Engine, md: MetaData, *, drop: bool = False) -> None:
    """Create the tables (no indexes; on PostgreSQL no foreign keys until the load is done)."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        if drop:
            md.drop_all(connection)
        for table in md.sorted_tables:
            if postgres:
                connection.execute(CreateTable(table, include_foreign_key_constraints=[]))
            else:
                connection.execute(CreateTable(table))


def load_batch(engine: Engine, md: MetaData, batch: Batch, raw: Any) -> None:
    """Append one batch through the raw DBAPI connection ``raw`` (COPY or executemany)."""
    if engine.dialect.name == "postgresql":
        with raw.cursor() as cursor:
            for table in TABLES:
                rows = batch[table]
                if not rows:
                    continue
                names = ", ".join(_columns(md, table))
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
    else:
        cursor = raw.cursor()
        try:
            for table in TABLES:
                cols = _columns(md, table)
                marks = ", ".join("?" for _ in cols)
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",  # noqa: S608
                    batch[table],
                )
        finally:
            cursor.close()


def finish_schema(engine: Engine, md: MetaData) -> None:
    """Indexes of the access path, foreign keys (PostgreSQL), fresh planner statistics."""
    with engine.begin() as connection:
        for index in access_indexes(md):
            connection.execute(CreateIndex(index))
        if engine.dialect.name == "postgresql":
            for table in md.sorted_tables:
                for constraint in table.constraints:
                    if isinstance(constraint, ForeignKeyConstraint):
                        connection.execute(AddConstraint(constraint))
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


Progress = Callable[[int, Batch], None]


def generate(
    url: str,
    clients: int,
    *,
    seed: int = 7,
    batch_size: int = 5_000,
    as_of: date = date(2026, 3, 1),
    progress: Progress | None = None,
) -> dict[str, int]:
    """Create and fill the operator database at ``url``; returns rows per table.
    (:func:`drop_tables` first to start again in a database that has them.)"""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    md = operator_metadata()
    engine = make_engine(url)
    counts = dict.fromkeys(TABLES, 0)
    try:
        create_schema(engine, md)
        counters = Counters(comments=random.Random(seed + 1))  # noqa: S311
        raw = engine.raw_connection()
        try:
            driver = raw.driver_connection
            if engine.dialect.name == "sqlite":
                driver.execute("PRAGMA synchronous=OFF")  # type: ignore[union-attr]
                driver.execute("BEGIN")  # type: ignore[union-attr]
            for first in range(1, clients + 1, batch_size):
                count = min(batch_size, clients - first + 1)
                batch = client_batch(rng, first, count, as_of, counters)
                load_batch(engine, md, batch, driver)
                for table in TABLES:
                    counts[table] += len(batch[table])
                if progress is not None:
                    progress(count, batch)
            if engine.dialect.name == "sqlite":
                driver.execute("COMMIT")  # type: ignore[union-attr]
                driver.execute("PRAGMA synchronous=FULL")  # type: ignore[union-attr]
            else:
                raw.commit()
        finally:
            raw.close()
        finish_schema(engine, md)
    finally:
        engine.dispose()
    return counts


def drop_tables(url: str) -> None:
    """Drop the operator's tables at ``url`` (those that exist)."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            operator_metadata().drop_all(connection)
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--url", required=True, help="SQLAlchemy URL (sqlite:///… or postgresql://…)")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=5_000, help="clients per batch")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 3, 1),
                        help="the day the data end (ISO date; default 2026-03-01)")
    parser.add_argument("--drop", action="store_true", help="drop the tables first")
    args = parser.parse_args(argv)
    if args.drop:
        drop_tables(args.url)
    console = Console(stderr=True)
    rows = {"n": 0}
    with Progress(
        TextColumn("[bold]clients"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:,} rows"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("load", total=args.clients, rows=0)

        def advance(count: int, batch: Batch) -> None:
            rows["n"] += sum(len(r) for r in batch.values())
            bar.update(task, advance=count, rows=rows["n"])

        counts = generate(args.url, args.clients, seed=args.seed, batch_size=args.batch,
                          as_of=args.as_of, progress=advance)
    for table, count in counts.items():
        console.print(f"{table:>13}: {count:>12,}")
    console.print(f"{'total':>13}: {sum(counts.values()):>12,}")
    return 0



@dataclass(frozen=True)
class NamedClient:
    """A borrower the demo names (its customer), rather than one drawn at random."""

    iin: str
    last_name: str
    first_name: str
    patronymic: str | None
    phone: str


def add_client(url: str, client: NamedClient, as_of: date = date(2026, 3, 1)) -> int:
    """Add one named borrower (an approved application, its open loan, one payment) to the
    database at ``url``; returns the client's id. A client with this IIN already there is
    left as it is (its id is returned)."""
    iin = client.iin
    md = operator_metadata()
    clients, applications, loans, payments = (md.tables[t] for t in TABLES[:4])
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            found = connection.execute(
                select(clients.c.id).where(clients.c.iin == iin)).scalar_one_or_none()
            if found is not None:
                return int(found)

            def next_id(table: Table) -> int:
                return int(connection.execute(
                    select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1

            client_id, app_id = next_id(clients), next_id(applications)
            loan_id, payment_id = next_id(loans), next_id(payments)
            opened = as_of - timedelta(days=30)
            connection.execute(clients.insert().values(
                id=client_id, iin=iin, last_name=client.last_name,
                first_name=client.first_name, patronymic=client.patronymic,
                phone=client.phone, created_at=datetime.combine(
                    opened, datetime.min.time())))
            connection.execute(applications.insert().values(
                id=app_id, client_id=client_id, created_at=datetime.combine(
                    opened, datetime.min.time()), requested_amount=150_000, term_days=90,
                status="approved"))
            connection.execute(loans.insert().values(
                id=loan_id, application_id=app_id, contract_number=f"MK-DEMO-{loan_id:08d}",
                issued_on=opened, principal=150_000, rate_percent=45.0,
                due_on=opened + timedelta(days=90), status="active"))
            connection.execute(payments.insert().values(
                id=payment_id, loan_id=loan_id, paid_at=datetime.combine(
                    as_of - timedelta(days=1), datetime.min.time()), amount=50_000,
                method="kaspi"))
            return client_id
    finally:
        engine.dispose()
