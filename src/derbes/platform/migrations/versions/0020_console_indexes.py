"""console_indexes: the console's operator-wide lists read an index, not the table.

* ``subjects (operator_id, blocked_at)`` replaces ``subjects (operator_id)`` (its
  leading column serves every query the old one did): Today's blocked subjects — an
  operator's subjects with ``blocked_at`` set, oldest block first — become a range of
  the index instead of a scan of every subject of the operator (a million at a large
  operator, a few of them blocked).
* ``subject_requests (operator_id, due_date, received_at, id)``: the requests inbox
  without a state filter lists an operator's requests soonest due first; in this order
  the first page is read off the index instead of sorting all of them.

Created 2026-12-02.
"""

from __future__ import annotations

from derbes.platform.migrations.ddl import create_index, drop_index

INBOX = ("operator_id", "due_date", "received_at", "id")


def upgrade() -> None:
    create_index("subjects", "operator_id", "blocked_at")
    drop_index("subjects", "operator_id")
    create_index("subject_requests", *INBOX)


def downgrade() -> None:
    drop_index("subject_requests", *INBOX)
    create_index("subjects", "operator_id")
    drop_index("subjects", "operator_id", "blocked_at")


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0020"
down_revision: str | None = "0019"
