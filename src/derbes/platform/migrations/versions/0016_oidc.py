"""oidc: staff people known to an OpenID Connect provider.

* ``staff_oidc_links``: the provider's issuer and subject (``iss``, ``sub``: the pair
  that identifies a person for good, OpenID Connect Core 1.0 §5.7) of a staff
  person, and when the link was made. One person per pair; a person may be known
  to several providers.

Created 2026-12-02.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, fk, ix, pk


def upgrade() -> None:
    create_table(
        "staff_oidc_links",
        varchar("issuer", 300),
        varchar("subject", 255),
        varchar("person_id", 36),
        timestamptz("linked_at"),
        fk("person_id", "staff_people.id"),
        pk("issuer", "subject"),
        ix("person_id"),
    )


def downgrade() -> None:
    drop_table("staff_oidc_links", ix("person_id"))


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0016"
down_revision: str | None = "0015"
