"""Renders the cabinet's pages: Jinja2 templates in the subject's language.

Texts come from derbes' Babel catalogues through ``_()``; the catalogue goes with each
page, never into the shared environment, so two subjects in two languages cannot mix.
"""

from __future__ import annotations

from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

# A request's states and the language switch read as the console shows them.
from derbes.console.adapters.pages import LANG_NAMES, STATE_LABELS
from derbes.platform.i18n import format_date
from derbes.platform.labels import N_, Lang
from derbes.platform.templates import page_templates, render_translated

__all__ = ["render_page", "static_dir"]

TYPE_LABELS = {
    "access": N_("What you hold about me"),
    "rectification": N_("Correct my data"),
    "blocking": N_("Block my data"),
    "destruction": N_("Destroy my data"),
    "automated_objection": N_("Object to an automated decision"),
    "consent_withdrawal": N_("Withdrawal of consent"),
    "complaint": N_("Complaint"),
    "pretrial_claim": N_("Pre-trial claim"),
}
SCOPE_LABELS = {
    "processing": N_("Processing of my data"),
    "third_party_transfer": N_("Transfer to third parties"),
    "cross_border_transfer": N_("Transfer abroad"),
    "publication": N_("Publication in public sources"),
    "marketing": N_("Marketing messages"),
    "cookies": N_("Cookies"),
}


def static_dir() -> Path:
    """The folder of the cabinet's CSS (served at ``/cabinet/static``)."""
    return Path(str(resources.files("derbes.cabinet.adapters").joinpath("static")))


def _when(value: date | datetime | None, lang: Lang) -> str:
    if value is None:
        return "—"
    return format_date(value.date() if isinstance(value, datetime) else value, lang)


def render_page(name: str, lang: Lang, **values: Any) -> str:
    """The page ``name`` in ``lang`` with ``values``."""
    return render_translated(
        page_templates("derbes.cabinet.adapters"), name, lang, langs=LANG_NAMES,
        type_label=TYPE_LABELS, state_label=STATE_LABELS, scope_label=SCOPE_LABELS,
        when=lambda v: _when(v, lang), **values)
