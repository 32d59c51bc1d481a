"""Renders the cabinet's pages: Jinja2 templates in the subject's language.

Texts come from derbes' Babel catalogues through ``_()``; the catalogue goes with each
page, never into the shared environment, so two subjects in two languages cannot mix.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

# A request's states and the language switch read as the console shows them.
from derbes.console.adapters.pages import LANG_NAMES, STATE_LABELS
from derbes.platform.i18n import format_date, translations
from derbes.platform.labels import N_, Lang

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


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("derbes.cabinet.adapters", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"])


def _when(value: date | datetime | None, lang: Lang) -> str:
    if value is None:
        return "—"
    return format_date(value.date() if isinstance(value, datetime) else value, lang)


def render_page(name: str, lang: Lang, **values: Any) -> str:
    """The page ``name`` in ``lang`` with ``values``."""
    catalogue = translations(lang)
    return _environment().get_template(name).render(
        _=catalogue.ugettext, lang=lang.value, langs=LANG_NAMES, type_label=TYPE_LABELS,
        state_label=STATE_LABELS, scope_label=SCOPE_LABELS,
        when=lambda v: _when(v, lang), **values)
