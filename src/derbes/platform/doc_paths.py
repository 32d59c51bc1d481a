"""Dotted paths into a parsed document (``purposes[3].retention.period``) and their lines.

Pure: the YAML readers record the line of every path they walk; models and reports
look a path up here, falling back to its nearest ancestor.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["line_of"]


def line_of(lines: Mapping[str, int], path: str) -> int | None:
    """The line of ``path``, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            break
        path = path[:cut]
    return lines.get(path)
