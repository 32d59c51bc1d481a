"""The ``derbes`` command line. Each sub-command group lives in its own module."""

from __future__ import annotations

from derbes.entrypoints.cli._app import app, run

# Sub-command modules register themselves on import.
from derbes.entrypoints.cli import register as _register  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import serve as _serve  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import retention as _retention  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import acts as _acts  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import requests as _requests  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import consent as _consent  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import subjects as _subjects  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import decisions as _decisions  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import audit as _audit  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import chains as _chains  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import apikeys as _apikeys  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import init as _init  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import keys as _keys  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import notice as _notice  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import calendar as _calendar  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import ids as _ids  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import db as _db  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import demo as _demo  # noqa: F401  # isort: skip
from derbes.entrypoints.cli import datasets as _datasets  # noqa: F401  # isort: skip


def main() -> None:
    run()


__all__ = ["app", "main"]
