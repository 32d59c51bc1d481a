"""The port to the eGov consent service («сервис контроля доступа к персональным данным»).

Law 94-V Art. 8 lets consent be given through the state service: the operator
sends a request, the subject approves or refuses it in eGov, and the service
calls the operator back. :class:`FakeEgovService` is the adapter shipped for
the demo and tests: it remembers the requests sent and produces the signed
callback a real service would post, so the whole flow runs without a network.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from derbes.consent.model.egov import EgovDecision, EgovSent
from derbes.consent.ports import EgovConsentService

__all__ = ["EgovConsentService", "EgovDecision", "EgovSent", "FakeEgovService"]


class FakeEgovService:
    """Sends nothing; signs callbacks with a per-instance secret, as the real service would."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self.sent: dict[str, EgovSent] = {}

    def send(self, subject_id: str, operator_id: str, summary: Mapping[str, Any],
             at: datetime) -> EgovSent:
        sent = EgovSent("egov_" + secrets.token_hex(10), subject_id, operator_id,
                        dict(summary), at)
        self.sent[sent.request_id] = sent
        return sent

    def _sign(self, body: bytes) -> str:
        return hmac.new(self._secret, body, hashlib.sha256).hexdigest()

    def verify_callback(self, body: bytes, signature: str | None) -> bool:
        return signature is not None and hmac.compare_digest(self._sign(body), signature)

    def callback(self, request_id: str, decision: EgovDecision,
                 at: datetime) -> tuple[bytes, str]:
        """The body and signature the service would post when the subject decides."""
        body = json.dumps({"request_id": request_id, "decision": decision.value,
                           "decided_at": at.isoformat()}, sort_keys=True).encode("utf-8")
        return body, self._sign(body)
