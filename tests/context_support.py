"""A use case's :class:`~derbes.context.Context` in tests (see ``derbes.testing.context``)."""

from __future__ import annotations

from derbes.testing.context import make_context, shipped_rules

__all__ = ["make_context", "shipped_rules"]
