"""Compliance: the register of the persons responsible for organising PD processing.

One row per appointment of an operator (Law 94-V Art. 25 p.2 sp.10): who, their
position and contact, the date and document of the appointment, who recorded it and
when. The latest recorded row is the appointment in force; earlier rows stay as the
history. A responsible person's name and work contact are the operator's published
contact (Art. 25 p.2 sp.8), not a subject's data.
"""

from __future__ import annotations

from sqlalchemy import Table

from derbes.platform.tables.base import metadata
from derbes.platform.tables.columns import (
    day,
    index,
    instant,
    operator_id,
    optional,
    serial,
    string,
    text,
)

responsible_appointments = Table(
    "responsible_appointments",
    metadata,
    serial("id"),
    operator_id(),
    string("name", 200),
    text("position"),
    optional(string("email", 254)),
    optional(string("phone", 40)),
    day("appointed_on"),
    optional(string("document", 200)),
    instant("recorded_at"),
    string("recorded_by", 200),
    index("operator_id", "id"),
)
