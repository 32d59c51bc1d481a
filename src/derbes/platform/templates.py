"""The Jinja templates a package ships for its HTML documents (certificates, acts, letters).

One set of rules for every such document: HTML is escaped (in templates of any name,
so a value can never add markup), a name the template does not get is an error rather
than an empty string, and block tags leave no blank lines behind.
"""

from __future__ import annotations

from collections.abc import Sequence

import jinja2

__all__ = ["package_templates"]


def package_templates(package: str, extensions: Sequence[str] = ()) -> jinja2.Environment:
    """The templates in ``package``'s ``templates`` folder, with Jinja ``extensions``."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"),
                                            default=True),
        extensions=list(extensions),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
