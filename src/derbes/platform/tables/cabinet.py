"""The subject's cabinet: subjects' sessions and the documents they upload.

A session is stored as the SHA-256 of its token; a session at the code stage names
what its code was issued for (``binding``: the subject id, or a keyed digest of a
phone derbes does not know), never the phone. A document exists only sealed
(AES-256-GCM under its own key in the key store); its digest and size are not PD.
"""

from __future__ import annotations

from sqlalchemy import Table

from derbes.platform.tables.base import metadata
from derbes.platform.tables.columns import (
    index,
    instant,
    integer,
    key,
    operator_id,
    optional,
    sealed_under_own_key,
    string,
)

subject_sessions = Table(
    "subject_sessions",
    metadata,
    key(string("id", 32)),
    string("token_sha256", 64),
    operator_id(),
    string("stage", 12),  # code | link | signed_in
    string("binding", 80),
    optional(string("subject_id", 36)),
    optional(string("otp_reference", 40)),
    string("language", 5),
    instant("created_at"),
    instant("last_seen_at"),
    optional(instant("ended_at")),
    optional(string("end_reason", 20)),
    index("token_sha256"),
    index("subject_id"),
)

cabinet_documents = Table(
    "cabinet_documents",
    metadata,
    key(string("id", 32)),
    operator_id(),
    string("subject_id", 36),
    string("media_type", 40),
    integer("size"),
    string("sha256", 64),
    *sealed_under_own_key(),
    instant("created_at"),
    index("subject_id"),
)
