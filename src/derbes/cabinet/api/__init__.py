"""The cabinet's pages (``/my/<operator>``) and its static files (``/cabinet/static``)."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from derbes.cabinet.adapters.pages import static_dir
from derbes.cabinet.api.pages import router

# A sign-in link's path holds its one-time token: the server's access log names the
# path, so the token is cut out of it before the line is written (no credential in a
# log, Order 179/НҚ: protection against unauthorised access).
_LINK = re.compile(r"(/my/[^/?#\s]+/link/)[^/?#\s]+")


class HideLinkTokens(logging.Filter):
    """Replace a sign-in link's token in an access-log line's arguments by ``…``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_LINK.sub(r"\1…", a) if isinstance(a, str) else a
                                for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _LINK.sub(r"\1…", record.msg)
        return True


def install(app: FastAPI) -> None:
    """Add the cabinet's pages and static files to the app (served by derbes: no CDN)."""
    app.mount("/cabinet/static", StaticFiles(directory=static_dir()), name="cabinet-static")
    app.include_router(router)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideLinkTokens) for f in access.filters):
        access.addFilter(HideLinkTokens())


__all__ = ["HideLinkTokens", "install", "router"]
