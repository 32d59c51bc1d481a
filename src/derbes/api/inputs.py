"""What every request is checked for before any route sees it, and the input date types.

Text. No string a caller sends may carry NUL or an unpaired UTF-16 surrogate
(``"a\\ud800b"`` is valid JSON, but no valid text: it cannot be encoded, sealed,
hashed or stored, and PostgreSQL refuses NUL in text). :func:`clean_text` runs
for every route and answers such input with a 422 problem naming where it was:
``path.subject_id``, ``query.operator``, ``body.values.1.value`` (the notation of
the other validation problems). A body is walked only when its raw bytes contain
a ``\\u0000`` or ``\\uD800``–``\\uDFFF`` escape, so ordinary requests pay a scan.

Dates. :data:`Day` and :data:`Moment` are ``date`` and ``datetime`` limited to
the span of ``platform/dates.py``; every date a route takes uses them.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Annotated

from fastapi import Request
from pydantic import AfterValidator

from derbes.platform import dates, text
from derbes.platform.text import bad_text

# NUL or a surrogate, as a JSON escape (raw, neither can be in valid UTF-8 JSON text).
_ESCAPED = re.compile(rb"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


async def clean_text(request: Request) -> None:
    """Refuse NUL and unpaired surrogates anywhere in a request's path, query or JSON body."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and bad_text(value):
            raise text.problem(f"path.{name}")
    for name, value in request.query_params.multi_items():
        if bad_text(name) or bad_text(value):
            raise text.problem(f"query.{name if not bad_text(name) else '<name>'}")
    if "json" not in request.headers.get("content-type", ""):
        return
    body = await request.body()
    if not _ESCAPED.search(body):
        return
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON (or absurdly deep): the route's own validation says so
    text.check_text(data, "body")


def _day(value: date) -> date:
    if not dates.in_span(value):
        raise ValueError(f"a date from {dates.SPAN} is expected")
    return value


def _moment(value: datetime) -> datetime:
    if not dates.in_span(value):
        raise ValueError(f"a date and time from {dates.SPAN} is expected")
    return value


Day = Annotated[date, AfterValidator(_day)]
"""A date a caller gives: from 1900-01-01 to 2200-12-31 (``platform/dates.py``)."""

Moment = Annotated[datetime, AfterValidator(_moment)]
"""A date and time a caller gives, its date from 1900-01-01 to 2200-12-31."""
