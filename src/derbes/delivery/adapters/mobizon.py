"""The Mobizon.kz SMS gateway (its documented HTTP API), an adapter of ``SmsGateway``.

One SMS is one ``POST {base}/service/message/sendsmsmessage`` with the query
``output=json&api=v1&apiKey=…`` and the form fields ``recipient`` (the number in
international format, digits only), ``text``, ``from`` (the registered sender
name, if any) and ``params[validity]`` (minutes the gateway keeps trying). The
answer is JSON ``{"code", "data", "message"}``: codes 0 and 100 mean accepted
(``data.messageId``); every other code, an HTTP error or a timeout is a
:class:`~derbes.errors.DeliveryError` whose ``retryable`` says whether to try
again (server errors and timeouts only). How the codes are read is data
(``data/delivery.yaml``, ``mobizon``).

The API key travels in the query string, as the API requires: it is never
logged, and no error message quotes the URL, the number or the text.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from derbes.delivery.adapters.rules import MobizonCodes, load_mobizon_codes
from derbes.delivery.model import Failure
from derbes.errors import ConfigurationError, DeliveryError

__all__ = ["MobizonGateway"]

PATH = "/service/message/sendsmsmessage"
MAX_ANSWER = 64 * 1024


def _failure(failure: Failure, what: str) -> DeliveryError:
    return DeliveryError(f"Mobizon: {what}", reason=failure.value, retryable=failure.retryable)


class MobizonGateway:
    name = "mobizon"

    def __init__(self, api_key: str, *, base_url: str = "https://api.mobizon.kz",
                 sender: str | None = None, validity_minutes: int = 10,
                 timeout: float = 10.0, codes: MobizonCodes | None = None) -> None:
        if not api_key or not api_key.strip():
            raise ConfigurationError("DERBES_MOBIZON_API_KEY is not set")
        scheme = urllib.parse.urlsplit(base_url).scheme
        if scheme not in ("https", "http"):
            raise ConfigurationError("DERBES_MOBIZON_URL must be an http(s) URL")
        self._key = api_key.strip()
        self._base = base_url.rstrip("/")
        self._sender = sender
        self._validity = validity_minutes
        self._timeout = timeout
        self._codes = codes or load_mobizon_codes()

    def __repr__(self) -> str:  # never the key
        return f"MobizonGateway({self._base!r})"

    def _request(self, phone: str, text: str) -> urllib.request.Request:
        query = urllib.parse.urlencode({"output": "json", "api": "v1", "apiKey": self._key})
        form: dict[str, str] = {"recipient": phone.lstrip("+"), "text": text,
                                "params[validity]": str(self._validity)}
        if self._sender:
            form["from"] = self._sender
        return urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            f"{self._base}{PATH}?{query}", data=urllib.parse.urlencode(form).encode("utf-8"),
            method="POST", headers={"Content-Type": "application/x-www-form-urlencoded",
                                    "Accept": "application/json"})

    def send_sms(self, phone: str, text: str) -> str:
        try:
            with urllib.request.urlopen(  # noqa: S310 - the scheme is checked above
                    self._request(phone, text), timeout=self._timeout) as response:
                raw = response.read(MAX_ANSWER + 1)
        except urllib.error.HTTPError as exc:
            exc.close()  # its body is the gateway's page: not read, not kept
            raise self._http_error(exc.code) from None
        except TimeoutError:
            raise _failure(Failure.TIMEOUT, f"no answer within {self._timeout:g} s") from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError | socket.timeout):
                raise _failure(Failure.TIMEOUT,
                               f"no answer within {self._timeout:g} s") from None
            raise _failure(Failure.UNAVAILABLE, "the gateway cannot be reached") from None
        except OSError:
            raise _failure(Failure.UNAVAILABLE, "the connection failed") from None
        return self._read(raw)

    def _http_error(self, status: int) -> DeliveryError:
        if status in (401, 403):
            return _failure(Failure.AUTH, f"HTTP {status}: the API key is refused")
        if status == 402:
            return _failure(Failure.BALANCE, "HTTP 402: the account cannot pay")
        if status == 429 or status >= 500:
            return _failure(Failure.UNAVAILABLE, f"HTTP {status}")
        return _failure(Failure.REJECTED, f"HTTP {status}")

    def _read(self, raw: bytes) -> str:
        if len(raw) > MAX_ANSWER:
            raise _failure(Failure.REJECTED, "the answer is too long")
        try:
            answer: Any = json.loads(raw)
        except ValueError:
            raise _failure(Failure.UNAVAILABLE, "the answer is not JSON") from None
        if not isinstance(answer, dict) or not isinstance(answer.get("code"), int | str):
            raise _failure(Failure.UNAVAILABLE, "the answer has no code")
        try:
            code = int(answer["code"])
        except ValueError:
            raise _failure(Failure.REJECTED, "the answer code is not a number") from None
        data = answer.get("data")
        if code in self._codes.accepted:
            message_id = data.get("messageId") if isinstance(data, dict) else None
            if message_id is None:
                raise _failure(Failure.REJECTED, f"code {code} without a message id")
            return str(message_id)[:100]
        if code in self._codes.auth:
            raise _failure(Failure.AUTH, f"code {code}: the API key is refused")
        if code in self._codes.balance:
            raise _failure(Failure.BALANCE, f"code {code}: the balance is too low")
        if code == self._codes.validation and isinstance(data, dict) and "recipient" in data:
            raise _failure(Failure.INVALID_RECIPIENT, f"code {code}: the number is refused")
        # Any other answer is a refusal: sending the same message again would not help.
        raise _failure(Failure.REJECTED, f"code {code}: the message is refused")
