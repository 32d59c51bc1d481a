"""cabinet: subjects' sessions in their cabinet and the documents they upload.

* ``subject_sessions``: one row per visit, at the code stage (the phone typed, the
  code awaited: ``binding`` and ``otp_reference`` name the code, never the phone)
  or signed in (``subject_id``); only the SHA-256 of the token; when and why it
  ended.
* ``cabinet_documents``: a document a subject uploaded for a rectification, sealed
  under its own key in the key store, with its media type, size and SHA-256.

Created 2026-12-02.
"""

from __future__ import annotations

from derbes.platform.migrations.columns import blob, integer, timestamptz, varchar
from derbes.platform.migrations.ddl import create_table, drop_table, ix, pk


def upgrade() -> None:
    create_table(
        "subject_sessions",
        varchar("id", 32),
        varchar("token_sha256", 64),
        varchar("operator_id", 100),
        varchar("stage", 12),
        varchar("binding", 80),
        varchar("subject_id", 36, nullable=True),
        varchar("otp_reference", 40, nullable=True),
        varchar("language", 5),
        timestamptz("created_at"),
        timestamptz("last_seen_at"),
        timestamptz("ended_at", nullable=True),
        varchar("end_reason", 20, nullable=True),
        pk("id"),
        ix("token_sha256"),
        ix("subject_id"),
    )
    create_table(
        "cabinet_documents",
        varchar("id", 32),
        varchar("operator_id", 100),
        varchar("subject_id", 36),
        varchar("media_type", 40),
        integer("size"),
        varchar("sha256", 64),
        varchar("key_id", 60),
        blob("sealed"),
        timestamptz("created_at"),
        pk("id"),
        ix("subject_id"),
    )


def downgrade() -> None:
    drop_table("cabinet_documents", ix("subject_id"))
    drop_table("subject_sessions", ix("subject_id"), ix("token_sha256"))


# Where this revision stands in the history (Alembic reads these two names).
revision: str = "0015"
down_revision: str | None = "0014"
