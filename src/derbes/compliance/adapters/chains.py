"""The walk of the audit chains a pack reports, bound to an installation's keys and
latest anchors (one place for the CLI, the API and the console)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from derbes.compliance.service.pack import ChainResult, walk_chains
from derbes.integrity.model.anchor import Chain

if TYPE_CHECKING:
    from derbes.bootstrap import Container

__all__ = ["chain_walker"]


def chain_walker(container: Container) -> Callable[[], ChainResult]:
    """What walks the access log and the consent ledger of ``container`` in full, each
    against its latest authentic anchor (read now, when the pack is asked for)."""
    anchors = {chain: container.latest_anchor(chain).anchor for chain in Chain}
    keys = (container.audit_key, container.ledger_key)
    return lambda: walk_chains(container.reader, keys, anchors)
