"""console: the language a staff person reads the console in.

* ``staff_people.language``: ``ru``, ``kk`` or ``en``, chosen in the console and
  remembered for the next sign-in; NULL until the person chooses (the console
  then follows the browser's preference).

Created 2026-12-08.
"""

from __future__ import annotations

from alembic import op

from derbes.platform.migrations.columns import varchar


def upgrade() -> None:
    with op.batch_alter_table("staff_people") as batch:
        batch.add_column(varchar("language", 5, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staff_people") as batch:
        batch.drop_column("language")


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0012"
down_revision: str | None = "0011"
