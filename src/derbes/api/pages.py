"""What the server-rendered pages (the staff console, the subject's cabinet) share: a route
class that turns the one error tree into a page.

A page route raises ``derbes.errors`` like any other entry point; instead of a problem
document, the route answers with the page its subclass draws (the status the API would
give). Server errors and a busy database are left to the app: the first becomes a 500,
the second is replayed by the retry middleware.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute

from derbes import errors
from derbes.api.problems import status_for

__all__ = ["FRAMED_DOCUMENT_POLICY", "PAGE_HEADERS", "PageRoute"]

# A page is derbes's own: no other site frames it, no script runs that derbes did not
# serve, forms post only here; nothing of it is cached (it may show personal data).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'self'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

# A document (a letter, a notice) shown inside a page: it carries its own style inline,
# runs nothing, and only derbes's pages frame it.
FRAMED_DOCUMENT_POLICY = "sandbox; frame-ancestors 'self'"


class PageRoute(APIRoute):
    """A route answering HTML pages: an error becomes :meth:`error_page`, a missing or
    ended session :meth:`unauthenticated` (by default the error page too)."""

    def error_page(self, request: Request, exc: errors.DerbesError) -> Response:
        raise NotImplementedError

    def unauthenticated(self, request: Request, exc: errors.UnauthenticatedError) -> Response:
        return self.error_page(request, exc)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except errors.UnauthenticatedError as exc:
                return self.unauthenticated(request, exc)
            except errors.DatabaseBusyError:
                raise  # replayed by the app's retry middleware
            except errors.DerbesError as exc:
                if status_for(exc) >= 500:
                    raise
                return self.error_page(request, exc)
            except RequestValidationError as exc:
                where = next((str(e["loc"][-1]) for e in exc.errors() if e.get("loc")), None)
                return self.error_page(request, errors.InputError("the form is incomplete",
                                                                  field=where))

        return guarded
