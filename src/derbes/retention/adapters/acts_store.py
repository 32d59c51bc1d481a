"""Destruction acts: the SQL adapter of the port in ``retention/ports.py``, and a fake.

An act is stored whole as its canonical JSON with the SHA-256 of that JSON;
the columns beside it (number, date, run, counts) serve lists and look-ups.
Reading an act recomputes the digest: an act edited in the database is
refused, not shown.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Row, func, select
from sqlalchemy.exc import IntegrityError

from derbes.errors import ConflictError
from derbes.platform.memory import checkpoint
from derbes.platform.tables import destruction_acts
from derbes.retention.model.acts import (
    Act,
    ActHeader,
    as_dict,
    body_digest,
    canonical_json,
    from_dict,
)
from derbes.retention.ports import ActFilter, ActRepository

__all__ = [
    "ActFilter",
    "ActRepository",
    "FakeActRepository",
    "SqlActRepository",
]


def _row(act: Act) -> dict[str, Any]:
    body = canonical_json(as_dict(act))
    return {
        "id": act.id, "operator_id": act.operator.id, "year": act.number.year,
        "seq": act.number.seq, "number": str(act.number), "act_date": act.act_date,
        "issued_at": act.issued_at, "run_id": act.run_id,
        "subjects_total": act.subjects_total, "groups": len(act.groups),
        "body": body, "digest": act.digest(),
    }


def _act(body: str, digest: str) -> Act:
    data = json.loads(body)
    if body_digest(data) != digest:
        raise ConflictError("the stored act does not match its checksum (altered after "
                            "it was issued)", field="digest")
    return from_dict(data)


def _header(row: Row[Any]) -> ActHeader:
    m = row._mapping
    return ActHeader(id=m["id"], operator_id=m["operator_id"], number=m["number"],
                     year=m["year"], seq=m["seq"], act_date=m["act_date"],
                     issued_at=m["issued_at"], run_id=m["run_id"],
                     subjects_total=m["subjects_total"], groups=m["groups"],
                     digest=m["digest"])


_HEADER_COLUMNS = [c for c in destruction_acts.c if c.name != "body"]


class SqlActRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, act: Act) -> None:
        try:
            # A savepoint: on PostgreSQL a failed INSERT would otherwise abort the
            # whole transaction, and the caller wants to retry with the next number.
            with self._connection.begin_nested():
                self._connection.execute(destruction_acts.insert(), [_row(act)])
        except IntegrityError:
            raise ConflictError("an act with this number, or for this run, exists already",
                                field="number") from None

    def last_seq(self, operator_id: str, year: int) -> int | None:
        c = destruction_acts.c
        found = self._connection.execute(
            select(func.max(c.seq)).where(c.operator_id == operator_id, c.year == year)
        ).scalar_one_or_none()
        return None if found is None else int(found)

    def _acts(self, *where: Any) -> builtins.list[Act]:
        c = destruction_acts.c
        rows = self._connection.execute(
            select(c.body, c.digest).where(*where).order_by(c.issued_at, c.id)).all()
        return [_act(r.body, r.digest) for r in rows]

    def get(self, act_id: str) -> Act | None:
        found = self._acts(destruction_acts.c.id == act_id)
        return found[0] if found else None

    def by_number(self, number: str, operator_id: str | None = None) -> builtins.list[Act]:
        c = destruction_acts.c
        where = [c.number == number]
        if operator_id is not None:
            where.append(c.operator_id == operator_id)
        return self._acts(*where)

    def by_run(self, run_id: str, operator_id: str) -> Act | None:
        c = destruction_acts.c
        found = self._acts(c.run_id == run_id, c.operator_id == operator_id)
        return found[0] if found else None

    def list(self, where: ActFilter) -> builtins.list[ActHeader]:
        c = destruction_acts.c
        query = select(*_HEADER_COLUMNS)
        if where.operator_id is not None:
            query = query.where(c.operator_id == where.operator_id)
        if where.year is not None:
            query = query.where(c.year == where.year)
        query = query.order_by(c.issued_at.desc(), c.operator_id.desc(), c.seq.desc()).limit(
            where.limit)
        return [_header(row) for row in self._connection.execute(query)]


class FakeActRepository:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    def add(self, act: Act) -> None:
        row = _row(act)
        for other in self.rows.values():
            if (other["operator_id"], other["year"], other["seq"]) == (
                    row["operator_id"], row["year"], row["seq"]) or (
                    other["run_id"], other["operator_id"]) == (row["run_id"],
                                                               row["operator_id"]):
                raise ConflictError("an act with this number, or for this run, exists "
                                    "already", field="number")
        if act.id in self.rows:
            raise ConflictError("an act with this id exists already", field="id")
        self.rows[act.id] = row

    def last_seq(self, operator_id: str, year: int) -> int | None:
        seqs = [r["seq"] for r in self.rows.values()
                if r["operator_id"] == operator_id and r["year"] == year]
        return max(seqs) if seqs else None

    def _acts(self, test: Callable[[dict[str, Any]], bool]) -> builtins.list[Act]:
        found = sorted((r for r in self.rows.values() if test(r)),
                       key=lambda r: (r["issued_at"], r["id"]))
        return [_act(r["body"], r["digest"]) for r in found]

    def get(self, act_id: str) -> Act | None:
        found = self._acts(lambda r: r["id"] == act_id)
        return found[0] if found else None

    def by_number(self, number: str, operator_id: str | None = None) -> builtins.list[Act]:
        return self._acts(lambda r: r["number"] == number and (
            operator_id is None or r["operator_id"] == operator_id))

    def by_run(self, run_id: str, operator_id: str) -> Act | None:
        found = self._acts(lambda r: r["run_id"] == run_id and r["operator_id"] == operator_id)
        return found[0] if found else None

    def list(self, where: ActFilter) -> builtins.list[ActHeader]:
        rows = [r for r in self.rows.values()
                if (where.operator_id is None or r["operator_id"] == where.operator_id)
                and (where.year is None or r["year"] == where.year)]
        rows.sort(key=lambda r: (r["issued_at"], r["operator_id"], r["seq"]), reverse=True)
        return [ActHeader(id=r["id"], operator_id=r["operator_id"], number=r["number"],
                          year=r["year"], seq=r["seq"], act_date=r["act_date"],
                          issued_at=r["issued_at"], run_id=r["run_id"],
                          subjects_total=r["subjects_total"], groups=r["groups"],
                          digest=r["digest"]) for r in rows[: where.limit]]

    def checkpoint(self) -> Callable[[], None]:
        return checkpoint(self, "rows")
