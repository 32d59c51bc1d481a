"""E-mail through the operator's SMTP relay (``smtplib``), an adapter of ``Mailer``.

The connection is upgraded with STARTTLS before anything else is said (RFC 3207),
with the certificate checked against the host name (or the CA file given), and
only then authenticated: a password or a message never crosses the network in
clear. A relay that does not offer STARTTLS is refused unless the settings say
plainly that it is a local relay trusted without TLS. Errors are mapped to
``DeliveryError``: a refused login (535) or recipient (550, 553) is not
retried; 4xx answers, a dropped connection and timeouts are.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from derbes.delivery.model import Failure
from derbes.delivery.ports import Mail
from derbes.errors import ConfigurationError, DeliveryError

__all__ = ["SmtpMailer", "SmtpRelay"]


@dataclass(frozen=True)
class SmtpRelay:
    """Where and how to reach the relay (``DERBES_SMTP_*``)."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    ca_file: str | None = None
    timeout: float = 20.0


def _failure(failure: Failure, what: str) -> DeliveryError:
    return DeliveryError(f"SMTP: {what}", reason=failure.value, retryable=failure.retryable)


def _from_code(code: int, during: str) -> DeliveryError:
    if code in (530, 534, 535, 538):
        return _failure(Failure.AUTH, f"{code} during {during}: the login is refused")
    if code in (550, 551, 553) and during == "RCPT":
        return _failure(Failure.INVALID_RECIPIENT, f"{code}: the address is refused")
    if code == 552:
        return _failure(Failure.REJECTED, f"{code} during {during}: the message is too big")
    if 400 <= code < 500:
        return _failure(Failure.UNAVAILABLE, f"{code} during {during}: try later")
    return _failure(Failure.REJECTED, f"{code} during {during}")


def _greeted(smtp: smtplib.SMTP) -> None:
    """EHLO; a refusal (421: the relay is closing for now) is an error, not a relay
    that merely lacks extensions (``smtplib`` returns it without raising)."""
    code, _ = smtp.ehlo()
    if code != 250:
        raise _from_code(code, "EHLO")


class SmtpMailer:
    name = "smtp"

    def __init__(self, relay: SmtpRelay) -> None:
        if not relay.host or not relay.sender:
            raise ConfigurationError("DERBES_SMTP_HOST and DERBES_SMTP_FROM must be set")
        if relay.password and not relay.starttls:
            raise ConfigurationError("an SMTP password is never sent without STARTTLS")
        self._host, self._port, self._sender = relay.host, relay.port, relay.sender
        self._username, self._password = relay.username, relay.password
        self._starttls = relay.starttls
        self._tls = ssl.create_default_context(cafile=relay.ca_file)
        self._timeout = relay.timeout

    def __repr__(self) -> str:  # never the password
        return f"SmtpMailer({self._host!r}, {self._port})"

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2] or None)
        message.set_content(mail.body, charset="utf-8")
        # After the content: set_content drops every Content-* header set before it.
        message["Content-Language"] = mail.language
        return message

    def _login(self, smtp: smtplib.SMTP) -> None:
        """AUTH PLAIN with the credentials in UTF-8 (RFC 4616), which ``smtplib`` cannot
        send (it encodes them as ASCII): a relay's password may have any letter. Other
        mechanisms through ``smtplib`` for ASCII credentials."""
        user, password = self._username or "", self._password or ""
        offered = smtp.esmtp_features.get("auth", "").upper().split()
        if "PLAIN" in offered:
            token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
            code, answer = smtp.docmd("AUTH", "PLAIN " + token)
            if code != 235:
                raise smtplib.SMTPAuthenticationError(code, answer)
            return
        if not (user + password).isascii():
            raise _failure(Failure.AUTH, "the relay offers no AUTH PLAIN for a login that "
                           "is not ASCII")
        smtp.login(user, password)

    def send_mail(self, mail: Mail) -> str:
        message = self._message(mail)
        during = "CONNECT"
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                during = "EHLO"
                _greeted(smtp)
                if self._starttls:
                    if not smtp.has_extn("starttls"):
                        raise _failure(Failure.REJECTED, "the relay does not offer STARTTLS")
                    during = "STARTTLS"
                    smtp.starttls(context=self._tls)
                    _greeted(smtp)
                if self._username:
                    during = "AUTH"
                    self._login(smtp)
                during = "MAIL"
                refused = smtp.send_message(message)
                if refused:
                    code = next(iter(refused.values()))[0]
                    raise _from_code(code, "RCPT")
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0]
            raise _from_code(code, "RCPT") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise _from_code(exc.smtp_code, "AUTH") from None
        except smtplib.SMTPResponseException as exc:
            raise _from_code(exc.smtp_code, during) from None
        except ssl.SSLError:
            raise _failure(Failure.REJECTED, "the relay's certificate is not trusted") from None
        except TimeoutError:
            raise _failure(Failure.TIMEOUT, f"no answer during {during}") from None
        except (smtplib.SMTPException, OSError) as exc:
            if isinstance(exc.__context__, TimeoutError):  # smtplib re-raises it as a drop
                raise _failure(Failure.TIMEOUT, f"no answer during {during}") from None
            raise _failure(Failure.UNAVAILABLE, f"the connection failed during {during}"
                           ) from None
        return str(message["Message-ID"])
