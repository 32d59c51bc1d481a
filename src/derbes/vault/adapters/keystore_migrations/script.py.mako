"""${message}

Created ${create_date.date()}.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from derbes.platform.migrations.columns import text, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, fk, ix, pk
${imports if imports else ""}

def upgrade() -> None:
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}


# Where this revision stands in the history (Alembic reads these two names).
revision: str = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}
