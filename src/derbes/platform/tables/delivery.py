"""Deliveries: SMS and e-mail messages sent to subjects and staff, and their fate.

The recipient and the message's values (a one-time code is one) exist only
sealed (AES-256-GCM under the delivery's own key in the key store); the key is
destroyed once the message is sent or of no use any more, and ``sealed`` is
then empty. ``recipient_masked`` is what staff see; ``last_detail`` holds the
gateway's answer code, never a text that could quote the recipient.
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

deliveries = Table(
    "deliveries",
    metadata,
    key(string("id", 32)),
    string("channel", 10),  # sms | email
    string("template", 40),
    string("language", 5),
    *sealed_under_own_key(),
    string("recipient_masked", 100),
    string("state", 10),  # queued | sent | failed | gave_up
    integer("attempts"),
    instant("created_at"),
    instant("updated_at"),
    optional(instant("next_attempt_at")),
    optional(instant("expires_at")),
    optional(string("last_failure", 30)),
    optional(string("last_detail", 200)),
    optional(string("provider_ref", 100)),
    optional(operator_id()),
    index("state", "next_attempt_at"),
    index("operator_id"),
)
