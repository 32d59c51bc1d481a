"""YAML text read with libyaml's parser when PyYAML was built with it, else PyYAML's own.

Both give the same data, node marks (line, column) and errors (``yaml.YAMLError``
with ``problem`` and ``problem_mark``): the C parser only reads faster (about ten
times, which is most of a CLI command's start-up spent reading the rule tables).
Only YAML's safe subset is ever read: no tag constructs an object.
"""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["compose", "load"]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(text: str) -> Any:
    """The data of ``text`` (safe subset)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader, C or Python


def compose(text: str) -> yaml.Node | None:
    """The node tree of ``text``, with each node's marks (for line numbers)."""
    return yaml.compose(text, Loader=_Loader)
