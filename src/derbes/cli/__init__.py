"""The ``derbes`` command line. Each sub-command group lives in its own module."""

from __future__ import annotations

from derbes.cli.app import app, run

# Sub-command modules register themselves on import.
from derbes.register.cli import register as _register  # noqa: F401  # isort: skip
from derbes.cli import serve as _serve  # noqa: F401  # isort: skip
from derbes.retention.cli import retention as _retention  # noqa: F401  # isort: skip
from derbes.retention.cli import acts as _acts  # noqa: F401  # isort: skip
from derbes.requests import cli as _requests  # noqa: F401  # isort: skip
from derbes.consent import cli as _consent  # noqa: F401  # isort: skip
from derbes.vault.cli import subjects as _subjects  # noqa: F401  # isort: skip
from derbes.decisions import cli as _decisions  # noqa: F401  # isort: skip
from derbes.transfers import cli as _transfers  # noqa: F401  # isort: skip
from derbes.audit import cli as _audit  # noqa: F401  # isort: skip
from derbes.integrity import cli as _integrity  # noqa: F401  # isort: skip
from derbes.access import cli as _apikeys  # noqa: F401  # isort: skip
from derbes.staff import cli as _staff  # noqa: F401  # isort: skip
from derbes.installation.cli import init as _init  # noqa: F401  # isort: skip
from derbes.vault.cli import keys as _keys  # noqa: F401  # isort: skip
from derbes.register.cli import notice as _notice  # noqa: F401  # isort: skip
from derbes.deadlines import cli as _calendar  # noqa: F401  # isort: skip
from derbes.identifiers import cli as _ids  # noqa: F401  # isort: skip
from derbes.installation.cli import db as _db  # noqa: F401  # isort: skip
from derbes.installation.cli import demo as _demo  # noqa: F401  # isort: skip
from derbes.datasets import cli as _datasets  # noqa: F401  # isort: skip
from derbes.scanner import cli as _scanner  # noqa: F401  # isort: skip
from derbes.delivery import cli as _delivery  # noqa: F401  # isort: skip
from derbes.incidents import cli as _incidents  # noqa: F401  # isort: skip
from derbes.compliance import cli as _compliance  # noqa: F401  # isort: skip


def main() -> None:
    run()


__all__ = ["app", "main"]
