"""subject_imports: the batches of a file import that have committed.

* ``subject_imports``: one row per batch of a ``derbes subject import`` run that
  committed, written in the same transaction as the batch's subjects, so an import
  killed at any point resumes with exactly the batches that are not yet stored.
  ``import_id`` is a digest of the file and the operator: no personal data.

Created 2026-12-02.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import integer, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, pk


def upgrade() -> None:
    create_table(
        "subject_imports",
        varchar("import_id", 64),
        integer("batch"),
        integer("subjects"),
        integer("rejected"),
        timestamptz("committed_at"),
        pk("import_id", "batch"),
    )


def downgrade() -> None:
    drop_table("subject_imports")


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0018"
down_revision: str | None = "0017"
