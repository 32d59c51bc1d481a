"""The Jinja templates a package ships for its HTML documents (certificates, acts, letters).

One set of rules for every such document: HTML is escaped (in templates of any name,
so a value can never add markup), a name the template does not get is an error rather
than an empty string, and block tags leave no blank lines behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

import jinja2

from derbes.platform.i18n import translations
from derbes.platform.labels import Lang

__all__ = ["package_templates", "page_templates", "render_translated"]


def package_templates(package: str, extensions: Sequence[str] = ()) -> jinja2.Environment:
    """The templates in ``package``'s ``templates`` folder, with Jinja ``extensions``."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"),
                                            default=True),
        extensions=list(extensions),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )


@cache
def page_templates(package: str) -> jinja2.Environment:
    """The templates of a package's web pages (the console, the cabinet): the rules above,
    with ``_()`` for their texts (one environment per package, made once)."""
    return package_templates(package, ["jinja2.ext.i18n"])


def render_translated(environment: jinja2.Environment, name: str, lang: Lang,
                      **values: Any) -> str:
    """Template ``name`` in ``lang``: the catalogue goes with this rendering only, never into
    the shared environment, so two readers in two languages cannot mix."""
    catalogue = translations(lang)
    return environment.get_template(name).render(
        _=catalogue.ugettext, gettext=catalogue.ugettext, ngettext=catalogue.ungettext,
        lang=lang.value, **values)
