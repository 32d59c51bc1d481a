"""Changes of how processing is run: consent set-up, minors, request channels,
the operator's own deadlines, lint waivers, limits."""

from __future__ import annotations

from derbes.register.model.diff.changes import ART_8, Change, ChangeKind, Effect, Side
from derbes.register.model.diff.differ import (
    Differ,
    Listed,
    channels_text,
    overrides_text,
    waivers_text,
)

_SEPARATE = "seed 000 p.6.1.5-6.1.6"


def consent_setup(d: Differ) -> None:
    old, new = d.old.consent, d.new.consent
    d.listed(
        ([s.value for s in old.separate_scopes], [s.value for s in new.separate_scopes]),
        ("consent.separate_scopes", "consent.separate_scopes"),
        gained=Listed(ChangeKind.SEPARATE_SCOPE_ADDED, Effect.NARROWS,
                      lambda scope: f"subjects may now consent to or refuse {scope} "
                      "separately", citation=_SEPARATE),
        lost=Listed(ChangeKind.SEPARATE_SCOPE_REMOVED, Effect.WIDENS,
                    lambda scope: f"subjects may no longer refuse {scope} separately; "
                    "existing separate consents and refusals stay as they are",
                    citation=_SEPARATE),
    )
    if set(old.channels) != set(new.channels):
        d.add(Change(
            ChangeKind.CONSENT_CHANNELS_CHANGED, Effect.NEUTRAL, "consent.channels",
            Side.NEW, "the ways consent is collected changed; consents already given keep "
            "their evidence", citation=ART_8,
            before=", ".join(c.value for c in old.channels),
            after=", ".join(c.value for c in new.channels),
        ))
    d.text(old.withdrawal, new.withdrawal, "consent.withdrawal")


def _said(value: bool | None) -> str:
    return "not stated" if value is None else str(value).lower()


def rest(d: Differ) -> None:
    old, new = d.old, d.new
    # Not stated reads as "may be processed": only a statement narrows.
    was = None if old.minors is None else old.minors.processed
    now = None if new.minors is None else new.minors.processed
    if was != now:
        widens = now is not False
        d.add(Change(
            ChangeKind.MINORS_CHANGED, Effect.WIDENS if widens else Effect.NARROWS,
            "minors.processed", Side.NEW,
            "PD of minors is now processed (through their legal representatives)"
            if now else "the policy no longer says whether PD of minors is processed"
            if now is None else "PD of minors is no longer processed",
            citation=ART_8, before=_said(was), after=_said(now),
        ))
    was = None if old.minors is None else old.minors.representative_consent
    now = None if new.minors is None else new.minors.representative_consent
    if was != now:
        loose = now is False
        d.add(Change(
            ChangeKind.MINORS_CHANGED, Effect.WIDENS if loose else Effect.NARROWS,
            "minors.representative_consent", Side.NEW,
            "a minor's PD no longer waits for a representative's consent (lint DRB014)"
            if loose else "a minor's PD now needs a representative's consent",
            citation=ART_8, before=_said(was), after=_said(now),
        ))
    for kind, path, a, b, why in (
        (ChangeKind.REQUEST_CHANNELS_CHANGED, "request_channels",
         channels_text(old), channels_text(new), "ways to file an Art. 24 request changed"),
        (ChangeKind.REGIME_OVERRIDES_CHANGED, "regime_overrides",
         overrides_text(old), overrides_text(new), "the operator's own deadlines changed "
         "(lint DRB015 checks they are not looser than the law)"),
        (ChangeKind.WAIVERS_CHANGED, "waivers", waivers_text(old), waivers_text(new),
         "lint waivers changed; processing is the same"),
        (ChangeKind.LIMITS_CHANGED, "limits.cookie_max_lifetime",
         str(old.cookie_max_lifetime), str(new.cookie_max_lifetime),
         "the cookie lifetime limit lint checks against changed"),
    ):
        if a != b:
            d.add(Change(kind, Effect.NEUTRAL, path, Side.NEW, why, before=a, after=b))
