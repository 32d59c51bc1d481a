"""What every command shares: who acts, a request id, the language, standard input,
where it writes (its answer, its notes), the text-or-JSON format, and the modules a
command needs, imported only when it runs.

A command module imports at its top only what describing its options needs
(typer, rich, the models' enums). Services, bootstrap and adapters pull in
SQLAlchemy, Jinja2, WeasyPrint and the cryptography library; :func:`lazy` defers
them until a command actually runs, so ``derbes --help`` or ``derbes id check``
answer at once instead of paying for every slice's imports.
"""

from __future__ import annotations

import getpass
import importlib.util
import os
import sys
import uuid
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from derbes.errors import InputError
from derbes.platform.files import write_private
from derbes.platform.labels import Lang
from derbes.platform.text import check_text

if TYPE_CHECKING:
    from rich.console import Console

    from derbes.bootstrap import Container

    console: Console
    """A command's answer, on standard output: plain, so it can be piped and parsed."""
    notes: Console
    """What a command says beside its answer (warnings, where a file went), on standard
    error."""


def __getattr__(name: str) -> Console:
    """``console`` and ``notes``, made when a command first asks for one: rich's console
    costs a tenth of a second to import, which ``derbes id check`` does not need."""
    if name not in ("console", "notes"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from rich.console import Console

    made = Console(stderr=name == "notes", soft_wrap=True, highlight=False)
    globals()[name] = made
    return made


def environment_setting(name: str) -> str | None:
    """Setting ``name`` as :class:`derbes.settings.Settings` reads it from the environment
    (``DERBES_`` and the name, in any case), for a command that needs one setting and
    not pydantic, which loading the settings costs (a fifth of a second)."""
    wanted = f"DERBES_{name}".upper()
    for key, value in os.environ.items():
        if key.upper() == wanted:
            return value
    return None


class Format(StrEnum):
    """How a command that lists or reports answers: lines for people, or JSON."""

    TEXT = "text"
    JSON = "json"


def lazy(name: str) -> ModuleType:
    """Module ``name``, executed on first attribute access rather than now."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ImportError(f"no module named {name!r}")
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def bootstrap() -> Container:
    """The installation's container (settings from the environment, the real clock).

    The same as :func:`derbes.bootstrap.bootstrap`, imported only when a command runs.
    """
    from derbes.bootstrap import bootstrap as build

    return build()


def actor() -> str:
    """Who acts at the terminal: ``cli:<user>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        user = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"


def request_id() -> str:
    """A fresh id tying one command's audit entries together."""
    return f"cli-{uuid.uuid4()}"


def language(value: str | None, default: str = Lang.RU.value) -> Lang:
    """``ru``, ``kk`` or ``en``; anything else is a clear error naming the option."""
    text = value or default
    try:
        return Lang(text)
    except ValueError:
        raise InputError(f"unknown language {text!r}: use ru, kk or en", field="lang") from None


def write_out(payload: bytes, out: Path | None) -> None:
    """``payload`` to the file ``out`` (readable by its owner only: it may hold PD), said
    on stderr, or without ``out`` to standard output as it is."""
    if out is None:
        sys.stdout.buffer.write(payload)
        sys.stdout.buffer.flush()
    else:
        write_private(out, payload)
        __getattr__("notes").print(f"wrote {out}")


def stdin_if_dash(value: str, field: str = "value") -> str:
    """``-`` reads one line from standard input, so PD never sits in the shell history."""
    if value != "-":
        return value
    text = sys.stdin.readline().strip()
    if not text:
        raise InputError("nothing was read from stdin", field=field)
    check_text(text, field)
    return text
