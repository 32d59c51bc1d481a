"""The compact form of a batch of decisions: codes and refs per decision, texts once.

A scoring service asking about 10,000 applications reads the verdicts and the
codes; the message and citation of a reason are the same for every decision
that gives it, so the full form repeats them thousands of times (≈ 360 bytes a
decision). The compact form keeps each distinct reason text once:

    {"texts": [{"code": "consent", "allowed": true,
                "message": "…", "citation": "Law 94-V Art. 8"}, …],
     "decisions": [[true, [["consent", "c-1f…", 0]]],
                   [false, [["consent_absent", "credit_check", 3]]], …]}

A decision is ``[allowed, reasons]``; a reason is ``[code, ref, text]`` where
``text`` indexes ``texts``. :func:`expand` turns it back into exactly the
decisions :func:`compact` was given (the unit tests check this for any batch).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from derbes.decisions.model.reasons import Decision, Reason, ReasonCode
from derbes.errors import InputError

__all__ = ["compact", "expand"]

_TextKey = tuple[str, bool, str, str]
_Text = tuple[ReasonCode, bool, str, str]


def compact(decisions: Sequence[Decision]) -> dict[str, list[Any]]:
    """The compact form of ``decisions`` (plain lists and dicts, ready to serialise)."""
    texts: dict[_TextKey, int] = {}
    # Most decisions and reasons are objects the index precomputed once and shares:
    # each is encoded once per batch, found by identity (``decisions`` keeps them
    # alive, so ids stay unique) before any text is hashed.
    done: dict[int, list[Any]] = {}
    text_of: dict[int, int] = {}
    rows: list[list[Any]] = []
    append = rows.append
    for decision in decisions:
        row = done.get(id(decision))
        if row is None:
            reasons = []
            for r in decision.reasons:
                at = text_of.get(id(r))
                if at is None:
                    # The code's plain string: an enum member hashes in Python code.
                    key = (r.code._value_, r.allowed, r.message, r.citation)
                    at = texts.get(key)
                    if at is None:
                        at = texts[key] = len(texts)
                    text_of[id(r)] = at
                reasons.append((r.code, r.ref, at))
            row = done[id(decision)] = [decision.allowed, reasons]
        append(row)
    return {
        "texts": [{"code": c, "allowed": a, "message": m, "citation": t}
                  for c, a, m, t in texts],
        "decisions": rows,
    }


def expand(body: Mapping[str, Any]) -> list[Decision]:
    """The decisions of a compact body; a malformed one is an :class:`InputError`."""
    try:
        texts: list[_Text] = [(ReasonCode(t["code"]), _bool(t["allowed"]), str(t["message"]),
                  str(t["citation"])) for t in body["texts"]]
        out = []
        for allowed, reasons in body["decisions"]:
            out.append(Decision(_bool(allowed), tuple(
                _reason(texts, code, ref, at) for code, ref, at in reasons)))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputError(f"not a compact decisions body: {exc}", field="decisions") from exc
    return out


def _reason(texts: Sequence[_Text], code: str, ref: str | None, at: int) -> Reason:
    if not isinstance(at, int) or isinstance(at, bool) or not 0 <= at < len(texts):
        raise IndexError(f"no text {at!r}")
    text_code, allowed, message, citation = texts[at]
    if text_code != code:
        raise ValueError(f"reason {code!r} points at the text of {text_code.value!r}")
    return Reason(text_code, allowed, message, citation, None if ref is None else str(ref))


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{value!r} is not true or false")
    return value
