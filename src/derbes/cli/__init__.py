"""The ``derbes`` command line. Each sub-command group lives in its own module, imported
only when its command runs (:mod:`derbes.cli.commands`)."""

from __future__ import annotations

from derbes.cli.app import app, run


def main() -> None:
    run()


__all__ = ["app", "main"]
