"""The compact form of a batch: it decodes to exactly the decisions it encodes."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from derbes.decisions.model import Decision, Reason, ReasonCode
from derbes.decisions.model.compact import compact, expand
from derbes.errors import InputError

TEXT = st.text(min_size=0, max_size=40)
REASONS = st.builds(
    Reason,
    code=st.sampled_from(list(ReasonCode)),
    allowed=st.booleans(),
    message=st.sampled_from(["", "consent valid", "Келісім жоқ", "nul\u0001", "x" * 50]) | TEXT,
    citation=st.sampled_from(["Law 94-V Art. 8", "Law 94-V Art. 9"]) | TEXT,
    ref=st.none() | TEXT,
)
DECISIONS = st.builds(Decision, allowed=st.booleans(),
                      reasons=st.lists(REASONS, max_size=5).map(tuple))


@st.composite
def batches(draw: st.DrawFn) -> list[Decision]:
    """Decisions, some of them the very same object several times (as the index shares
    its precomputed decisions), some equal but distinct objects."""
    pool = draw(st.lists(DECISIONS, min_size=1, max_size=8))
    picks = draw(st.lists(st.integers(0, len(pool) - 1), max_size=60))
    copies = draw(st.lists(st.booleans(), min_size=len(picks), max_size=len(picks)))
    return [Decision(pool[i].allowed, tuple(pool[i].reasons)) if copy else pool[i]
            for i, copy in zip(picks, copies, strict=True)]


def _wire(decisions: list[Decision]) -> Any:
    return orjson.loads(orjson.dumps(compact(decisions)))


@settings(max_examples=300, deadline=None)
@given(batches())
def test_compact_form_decodes_to_exactly_the_decisions(decisions: list[Decision]) -> None:
    assert expand(_wire(decisions)) == decisions


@settings(max_examples=100, deadline=None)
@given(batches())
def test_each_distinct_text_is_sent_once(decisions: list[Decision]) -> None:
    body = _wire(decisions)
    texts = [(t["code"], t["allowed"], t["message"], t["citation"]) for t in body["texts"]]
    assert len(texts) == len(set(texts))
    distinct = {(r.code.value, r.allowed, r.message, r.citation)
                for d in decisions for r in d.reasons}
    assert set(texts) == distinct
    assert len(body["decisions"]) == len(decisions)


def test_the_wire_shape() -> None:
    consent = Reason(ReasonCode.CONSENT, True, "valid", "Art. 8", "c-1")
    absent = Reason(ReasonCode.CONSENT_ABSENT, False, "absent", "Art. 8", "credit_check")
    denied = Decision(False, (absent,))
    body = _wire([Decision(True, (consent,)), denied, denied])
    assert body == {
        "texts": [{"code": "consent", "allowed": True, "message": "valid", "citation": "Art. 8"},
                  {"code": "consent_absent", "allowed": False, "message": "absent",
                   "citation": "Art. 8"}],
        "decisions": [[True, [["consent", "c-1", 0]]],
                      [False, [["consent_absent", "credit_check", 1]]],
                      [False, [["consent_absent", "credit_check", 1]]]],
    }


@pytest.mark.parametrize("body", [
    {},
    {"texts": [], "decisions": [[True, [["consent", None, 0]]]]},
    {"texts": [{"code": "consent", "allowed": True, "message": "m", "citation": "c"}],
     "decisions": [[True, [["consent_absent", None, 0]]]]},
    {"texts": [{"code": "consent", "allowed": "yes", "message": "m", "citation": "c"}],
     "decisions": []},
    {"texts": [{"code": "consent", "allowed": True, "message": "m", "citation": "c"}],
     "decisions": [[True, [["consent", None, True]]]]},
    {"texts": [{"code": "bribe", "allowed": True, "message": "m", "citation": "c"}],
     "decisions": []},
    {"texts": [], "decisions": [[True]]},
])
def test_a_malformed_compact_body_is_an_input_error(body: Any) -> None:
    with pytest.raises(InputError):
        expand(body)
