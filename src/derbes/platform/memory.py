"""What the in-memory stores share (the fakes of unit tests, the fake unit of work)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def checkpoint(owner: object, *names: str) -> Callable[[], None]:
    """Remember what ``owner``'s attributes ``names`` hold now; the returned function puts
    it back.

    Each attribute is copied (its own ``copy()``: a shallow copy of a dict or a list) when
    remembered and again when put back, so a rolled-back store never shares a container
    with the state it was rolled back to; an immutable value (a chain's head) is kept as
    it is.
    """
    saved = {name: _copied(getattr(owner, name)) for name in names}

    def restore() -> None:
        for name, value in saved.items():
            setattr(owner, name, _copied(value))

    return restore


def _copied(value: Any) -> Any:
    copy = getattr(value, "copy", None)
    return value if copy is None else copy()
