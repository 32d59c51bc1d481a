"""Tables of the PD vault and of its key swaps.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from derbes.platform.tables.base import UtcDateTime, metadata

__all__ = [
    "card_tokens",
    "category_blocks",
    "key_swaps",
    "pd_values",
    "subject_lookups",
    "subjects",
]

# ---------------------------------------------------------------- PD vault
# No column holds personal data in clear: values are sealed with the
# subject"s data key (AES-256-GCM, the key lives in the separate key store),
# identifiers exist only as keyed blind-index digests, card numbers only as a
# random token with BIN6 and last 4 (PCI DSS v4.0 req. 3.4.1 allows those).

# A subject of one operator. After destruction the row stays as a tombstone
# (id, operator, times) holding no PD, so audit entries still resolve.
subjects = Table(
    "subjects",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("operator_id", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("blocked_at", UtcDateTime(), nullable=True),
    Column("block_reason", Text, nullable=True),
    Column("destroyed_at", UtcDateTime(), nullable=True),
    Index("ix_subjects_operator_id", "operator_id"),
)

# One sealed value of one category; ``seq`` numbers several values of the
# same category (two phones). The AAD of the seal is (subject, category, seq).
pd_values = Table(
    "pd_values",
    metadata,
    Column(
        "subject_id",
        String(36),
        ForeignKey("subjects.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("category", String(100), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("value_type", String(20), nullable=False),
    Column("source", String(30), nullable=False),
    Column("purposes", Text, nullable=False),  # JSON list of purpose ids
    Column("method", String(100), nullable=False),
    Column("collected_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("subject_id", "category", "seq"),
)

# Blind index: HMAC-SHA-256 (key in the key store) of a normalised identifier.
# Per operator: one person may be a subject of two operators.
subject_lookups = Table(
    "subject_lookups",
    metadata,
    Column("operator_id", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("digest", String(64), nullable=False),
    Column(
        "subject_id",
        String(36),
        ForeignKey("subjects.id", ondelete="CASCADE"),
        nullable=False,
    ),
    PrimaryKeyConstraint("operator_id", "kind", "digest"),
    Index("ix_subject_lookups_kind_digest", "kind", "digest"),
    Index("ix_subject_lookups_subject_id", "subject_id"),
)

# Blocks of single categories of a subject; a whole-subject block is on ``subjects``.
category_blocks = Table(
    "category_blocks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subject_id",
        String(36),
        ForeignKey("subjects.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("category", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("blocked_at", UtcDateTime(), nullable=False),
    Column("unblocked_at", UtcDateTime(), nullable=True),
    Index("ix_category_blocks_subject_id_category", "subject_id", "category"),
)

# Payment cards: the PAN is never stored.
card_tokens = Table(
    "card_tokens",
    metadata,
    Column("token", String(64), primary_key=True),
    Column(
        "subject_id",
        String(36),
        ForeignKey("subjects.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("bin6", String(6), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("brand", String(20), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_card_tokens_subject_id", "subject_id"),
)


# --- Key swaps of partial destruction ----------------------------------------
# The data database"s half of a partial crypto-shredding: the data
# transaction that re-seals a subject"s kept values under its next key records
# the swap here as ``committed``; a run that finds the swap unfinished in the
# key store and no row here records ``aborted`` first (the primary key makes
# the two exclusive). The key store then keeps the key this row says the data
# is sealed under (vault/service/keyswap.py). No PD: ids and counts.
key_swaps = Table(
    "key_swaps",
    metadata,
    Column("swap_id", String(36), primary_key=True),
    Column("state", String(10), nullable=False),
    Column("subjects", Integer, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
)
