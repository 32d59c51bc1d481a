"""Swagger UI at ``/docs`` and ReDoc at ``/redoc``, every file served by derbes itself.

FastAPI's own pages load their scripts, styles, fonts and favicon from public CDNs,
so an operator's network that forbids the internet (or a machine offline) gets a
blank page, and every visit tells a third party who reads derbes' API. Here the
pages load the copies ``make assets`` installs into ``static/vendor/`` (pinned in
``package.json`` and ``package-lock.json``, licences beside them), under ``/vendor``.
Without them the pages answer a problem that says what to run, never a blank page.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from derbes.errors import ConfigurationError

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
# Colours of Swagger UI that fail contrast, overridden (see the file).
SWAGGER_STYLE = Path(__file__).resolve().parent / "docs.css"
VENDOR_URL = "/vendor"

SWAGGER_JS = "swagger-ui/swagger-ui-bundle.js"
SWAGGER_CSS = "swagger-ui/swagger-ui.css"
FAVICON = "swagger-ui/favicon-32x32.png"
REDOC_JS = "redoc/redoc.standalone.js"
NEEDED = (SWAGGER_JS, SWAGGER_CSS, FAVICON, REDOC_JS)

# Swagger UI asks a public validator about the document unless told not to. Deep links
# put a link inside each operation's button, which screen readers cannot reach (an
# interactive control nested in another, WCAG 2.1 SC 4.1.2).
_SWAGGER_PARAMETERS = {"validatorUrl": None, "deepLinking": False}


def _url(name: str) -> str:
    return f"{VENDOR_URL}/{name}"


def _require_assets(vendor: Path) -> None:
    missing = [name for name in NEEDED if not (vendor / name).is_file()]
    if missing:
        raise ConfigurationError(
            f"the API documentation's browser files are not installed ({', '.join(missing)}); "
            "run `make assets` in the derbes checkout, or install a wheel built by `make wheel`",
            field="assets",
        )


_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def _policy(body: bytes) -> str:
    """A Content-Security-Policy that lets the page load from derbes and nowhere else.

    The browser itself then refuses what the bundles would fetch from outside (ReDoc's
    sidebar asks a CDN for its logo); the one inline script (Swagger UI's start-up)
    is allowed by its hash, not by 'unsafe-inline'.
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(body)
    )
    return ("default-src 'self'; "
            f"script-src 'self' {hashes}".rstrip() + "; "
            # Both bundles set styles on elements at run time.
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
            "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


def _finish(page: HTMLResponse, style: str = "") -> HTMLResponse:
    # The generated pages have no language: screen readers then guess how to read
    # them (WCAG 2.1 SC 3.1.1). The documentation's own text is English.
    body = bytes(page.body).replace(b"<html>", b'<html lang="en">', 1)
    if style:
        body = body.replace(b"</head>", f"<style>{style}</style></head>".encode(), 1)
    return HTMLResponse(body.decode("utf-8"), status_code=page.status_code,
                        headers={"Content-Security-Policy": _policy(body)})


def install(app: FastAPI, vendor: Path = VENDOR_DIR) -> None:
    """Serve ``/docs``, ``/redoc`` and ``/vendor/*`` (the app is built with
    ``docs_url=None, redoc_url=None``)."""
    # check_dir=False: an installation without the files still starts and serves the
    # API; only the documentation pages say what is missing.
    app.mount(VENDOR_URL, StaticFiles(directory=vendor, check_dir=False), name="vendor")
    title = f"{app.title} — API"
    swagger_style = SWAGGER_STYLE.read_text(encoding="utf-8")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        _require_assets(vendor)
        return _finish(get_swagger_ui_html(
            openapi_url=openapi_url, title=title, swagger_js_url=_url(SWAGGER_JS),
            swagger_css_url=_url(SWAGGER_CSS), swagger_favicon_url=_url(FAVICON),
            oauth2_redirect_url=None, swagger_ui_parameters=_SWAGGER_PARAMETERS),
            swagger_style)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        _require_assets(vendor)
        return _finish(get_redoc_html(
            openapi_url=openapi_url, title=title, redoc_js_url=_url(REDOC_JS),
            redoc_favicon_url=_url(FAVICON), with_google_fonts=False))
