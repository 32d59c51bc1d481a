"""A sign-in link's token never reaches the server's access log: the line keeps the
path's shape with the token cut out, other paths are untouched."""

from __future__ import annotations

import logging

from derbes.cabinet.api import HideLinkTokens


def _line(path: str) -> str:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                               '%s - "%s %s HTTP/%s" %d',
                               ("203.0.113.9:5000", "GET", path, "1.1", 200), None)
    assert HideLinkTokens().filter(record)
    return record.getMessage()


def test_the_token_of_a_link_is_cut_out() -> None:
    token = "GVLpQNXvopREZtEJvw6kHXeoIviqzxhjU3lRGNQ215A.587538"
    line = _line(f"/my/express-avans/link/{token}?lang=kk")
    assert token not in line and "587538" not in line
    assert "GET /my/express-avans/link/…?lang=kk HTTP/1.1" in line


def test_other_paths_are_left_alone() -> None:
    assert "GET /my/express-avans/data HTTP/1.1" in _line("/my/express-avans/data")
    assert "GET /my/express-avans/link HTTP/1.1" in _line("/my/express-avans/link")
