"""schemathesis hooks for the stateful run against a live ``derbes serve``.

Loaded by the schemathesis command line (``SCHEMATHESIS_HOOKS=tests.schemathesis_hooks``).
The creating calls the links start from (``POST /v1/subjects``, ``/v1/consents``,
``/v1/requests``) get a body valid for the Express Аванс register most of the time,
so the links lead to subjects, consents and requests that exist; the other bodies are
left as schemathesis made them. Free-text fields stay as wild as hypothesis makes them.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import schemathesis
from hypothesis import strategies as st

from tests.load_support import CONSENT_PURPOSES, OPERATOR, adult_iin

_names = st.text(alphabet="АӘБҒДЕҚҢӨҰҮІабвғдеёжзқңөұүһі -", min_size=2, max_size=30)
_iins = st.integers(0, 300_000).map(adult_iin)
_moments = st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())


def _subject() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "operator": st.just(OPERATOR),
        "values": st.tuples(_iins, _names).map(lambda p: [
            {"category": "identity.iin", "value": p[0]},
            {"category": "identity.full_name", "value": p[1]}]),
    })


def _consent() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "subject_id": st.text(max_size=36),
        "channel": st.sampled_from(["web_checkbox", "mobile_app", "personal_cabinet"]),
        "scopes": st.just([{"kind": "processing", "purposes": list(CONSENT_PURPOSES)}]),
    }, optional={"evidence": st.fixed_dictionaries({"ip": st.text(max_size=40),
                                                     "user_agent": st.text(max_size=40)}),
                 "valid_until": _moments, "idempotency_key": st.text(max_size=40)})


def _request() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "operator": st.just(OPERATOR),
        "type": st.sampled_from(["access", "destruction", "withdrawal", "blocking",
                                 "rectification"]),
        "language": st.sampled_from(["ru", "kk", "en"]),
        "identifiers": _iins.map(lambda iin: {"iin": iin}),
    }, optional={"received_at": _moments})


VALID = {
    ("POST", "/v1/subjects"): _subject,
    ("POST", "/v1/consents"): _consent,
    ("POST", "/v1/requests"): _request,
}


@schemathesis.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    operation = context.operation
    valid = VALID.get((operation.method.upper(), operation.path)) if operation else None
    if valid is None:
        return st.just(body)
    return st.one_of(valid(), valid(), valid(), st.just(body))
