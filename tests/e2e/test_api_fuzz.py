"""schemathesis against the whole API: no input may end in a server error.

Two runs over the OpenAPI document the server publishes:

* stateless: every operation, with bodies, paths and queries generated from its
  schema (and beyond it: hypothesis also produces lone surrogates, NUL, huge
  numbers and dates of year 1 or 9999 where the schema allows a string or number);
* stateful: sequences that follow the document's OpenAPI links, so a subject
  created by ``POST /v1/subjects`` is then read, consented for, blocked, asked
  about and destroyed, and a filed request is verified, answered and its letter
  rendered. Bodies of the creating calls are made valid often enough for the
  links to lead somewhere real.

The only check is "not a server error" (5xx): a bad input must be a 4xx problem.
Both runs are bounded (examples per operation, steps per scenario) so the suite
stays within a few minutes, and derandomized in CI like every hypothesis test.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.api_world import make_world
from tests.load_support import CONSENT_PURPOSES, adult_iin

OPERATOR = "express-avans"
CI = bool(os.environ.get("CI"))
STATELESS_EXAMPLES = 10
STATEFUL_SCENARIOS = 30
STEPS = 12



@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    made = make_world(tmp_path_factory.mktemp("fuzz"))
    yield made.app, made.token
    made.close()


# ------------------------------------------------------------------ valid-enough bodies

_text = st.text(max_size=40)  # any code point: surrogates and NUL included
_iins = st.integers(0, 3000).map(adult_iin)
_moments = st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat())


_names = st.text(alphabet="АӘБҒДЕҚҢӨҰҮІабвғдеёжзқңөұүһі -", min_size=2, max_size=30)


def _subject_bodies() -> st.SearchStrategy[dict[str, Any]]:
    # Valid: the links that start here must lead to a subject that exists.
    return st.fixed_dictionaries({
        "operator": st.just(OPERATOR),
        "values": st.tuples(st.integers(0, 300_000).map(adult_iin), _names).map(lambda p: [
            {"category": "identity.iin", "value": p[0]},
            {"category": "identity.full_name", "value": p[1]}]),
    })


def _consent_bodies() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "subject_id": _text,
        "channel": st.sampled_from(["web_checkbox", "mobile_app", "personal_cabinet"]),
        "scopes": st.just([{"kind": "processing", "purposes": list(CONSENT_PURPOSES)}]),
    }, optional={"evidence": st.fixed_dictionaries({"ip": _text, "user_agent": _text}),
                 "valid_until": _moments, "idempotency_key": _text})


def _request_bodies() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "operator": st.just(OPERATOR),
        "type": st.sampled_from(["access", "destruction", "withdrawal", "blocking",
                                 "rectification"]),
        "language": st.sampled_from(["ru", "kk", "en"]),
        "identifiers": _iins.map(lambda iin: {"iin": iin}) | st.fixed_dictionaries(
            {"customer_id": _text}),
    }, optional={"received_at": _moments})


_VALID = {
    ("POST", "/v1/subjects"): _subject_bodies,
    ("POST", "/v1/consents"): _consent_bodies,
    ("POST", "/v1/requests"): _request_bodies,
}


@pytest.fixture(scope="module")
def api_schema(world: tuple[Any, str]) -> Any:
    app, token = world
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # Every code point, lone surrogates and NUL included (the default keeps to what
    # UTF-8 can encode, which would never send "a\ud800b"); values outside the
    # schema too (negative mode: huge numbers, wrong types, bad formats).
    schema.config.generation.codec = None
    schema.config.generation.update(modes=["positive", "negative"])

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
        op = context.operation
        valid = _VALID.get((op.method.upper(), op.path)) if op is not None else None
        if valid is None:
            return st.just(body)
        # Mostly valid enough to create something real; sometimes as generated.
        return st.one_of(valid(), valid(), valid(), st.just(body))

    @schema.hook
    def map_headers(context: Any, headers: dict[str, Any] | None) -> dict[str, Any]:
        return {**(headers or {}), "Authorization": f"Bearer {token}"}

    return schema


def test_no_operation_answers_a_server_error(api_schema: Any) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:

        @hypothesis.settings(max_examples=STATELESS_EXAMPLES, deadline=None,
                             phases=[Phase.explicit, Phase.generate],
                             suppress_health_check=list(HealthCheck))
        @hypothesis.given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
                          | operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        def fuzz(case: Any) -> None:
            case.call_and_validate(checks=[not_a_server_error])

        try:
            fuzz()
        except Exception as exc:
            raise AssertionError(f"{operation.label}: {exc}") from exc


# Two link graphs, each run from its root: a subject and what is done to it (consents,
# events, eGov requests); a subject request and its life (code, verification, answer,
# refusal, withdrawal, letter).
GRAPHS = {
    "subjects": (r"^/v1/(subjects|consents|events|egov/consent-requests)", "/v1/subjects",
                 "{subject_id}"),
    "requests": (r"^/v1/requests", "/v1/requests", "{request_id}"),
}


@pytest.mark.parametrize("graph", sorted(GRAPHS))
def test_stateful_sequences_answer_no_server_error(api_schema: Any, graph: str) -> None:
    path_regex, root, linked_id = GRAPHS[graph]
    machine = api_schema.include(path_regex=path_regex).as_state_machine()

    calls: Counter[tuple[str, str, int]] = Counter()

    class Sequences(machine):  # type: ignore[misc,valid-type]
        def after_call(self, response: Any, case: Any) -> None:
            calls[(case.operation.method.upper(), case.operation.path,
                   response.status_code)] += 1

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None,
                              **kwargs: Any) -> None:
            case.validate_response(response, checks=[not_a_server_error])

    Sequences.run(settings=hypothesis.settings(
        max_examples=STATEFUL_SCENARIOS, stateful_step_count=STEPS, deadline=None,
        suppress_health_check=list(HealthCheck), phases=[Phase.generate], database=None))
    print(graph, sorted(calls.items()))
    assert not any(status >= 500 for (_, _, status) in calls)
    # The links led somewhere: the root created things, and operations on a created one
    # (its id taken from the answer that created it) went through.
    assert calls[("POST", root, 201)] > 0
    assert any(status < 300 and linked_id in path for (_, path, status) in calls)
