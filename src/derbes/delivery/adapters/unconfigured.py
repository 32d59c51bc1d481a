"""The way out of an installation that configured none: every attempt fails, visibly.

Not a fake: a message that cannot be sent is recorded and given up with the
reason ``not_configured``, so staff see it (``derbes delivery list``) instead of
a code silently vanishing.
"""

from __future__ import annotations

from derbes.delivery.model import Failure
from derbes.delivery.ports import Mail
from derbes.errors import DeliveryError

__all__ = ["Unconfigured"]


class Unconfigured:
    name = "none"

    def __init__(self, setting: str) -> None:
        self._setting = setting

    def _refuse(self) -> DeliveryError:
        return DeliveryError(f"no way to send is configured ({self._setting} is none)",
                             reason=Failure.NOT_CONFIGURED.value, retryable=False)

    def send_sms(self, phone: str, text: str) -> str:
        raise self._refuse()

    def send_mail(self, mail: Mail) -> str:
        raise self._refuse()
