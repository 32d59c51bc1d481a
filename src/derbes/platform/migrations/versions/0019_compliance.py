"""compliance: the register of persons responsible for organising PD processing.

* ``responsible_appointments``: one row per appointment of an operator's
  responsible person (Law 94-V Art. 25 p.2 sp.10): name, position, work e-mail and
  phone, the date and document of the appointment, who recorded it and when. The
  latest row of an operator is the appointment in force.

Created 2026-12-02.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import date, serial, text, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, ix, pk


def upgrade() -> None:
    create_table(
        "responsible_appointments",
        serial("id"),
        varchar("operator_id", 100),
        varchar("name", 200),
        text("position"),
        varchar("email", 254, nullable=True),
        varchar("phone", 40, nullable=True),
        date("appointed_on"),
        varchar("document", 200, nullable=True),
        timestamptz("recorded_at"),
        varchar("recorded_by", 200),
        pk("id"),
        ix("operator_id", "id"),
    )


def downgrade() -> None:
    drop_table("responsible_appointments", ix("operator_id", "id"))


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0019"
down_revision: str | None = "0018"
