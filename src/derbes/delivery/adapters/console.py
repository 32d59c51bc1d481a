"""Development only: SMS and e-mail written to the console instead of sent.

The one place where a one-time code is printed in clear, on purpose: the
developer (or the person trying ``derbes demo``) plays the subject and reads the
code off the terminal. Bootstrap uses it only when the settings name it
(``DERBES_SMS_GATEWAY=log``, ``DERBES_MAIL_TRANSPORT=log``) or in ``derbes demo``,
and refuses it when ``DERBES_DEPLOYMENT=production``. It writes to its own stream
(standard error), never to the application log, so no log collector keeps a code.
"""

from __future__ import annotations

import itertools
import sys
import threading
from typing import TextIO

from derbes.delivery.ports import Mail

__all__ = ["ConsoleMailer", "ConsoleSmsGateway"]

_BANNER = "[derbes dev — not sent]"


class _Console:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._numbers = itertools.count(1)

    def _write(self, text: str) -> int:
        with self._lock:
            number = next(self._numbers)
            out = self._stream or sys.stderr
            out.write(text + "\n")
            out.flush()
            return number


class ConsoleSmsGateway(_Console):
    name = "log"

    def send_sms(self, phone: str, text: str) -> str:
        number = self._write(f"{_BANNER} SMS to {phone}: {text}")
        return f"console-sms-{number}"


class ConsoleMailer(_Console):
    name = "log"

    def send_mail(self, mail: Mail) -> str:
        number = self._write(f"{_BANNER} e-mail to {mail.to}\nSubject: {mail.subject}\n\n"
                             f"{mail.body}\n")
        return f"<console-{number}@derbes.invalid>"
