"""One-time codes whose state outlives the process, for the CLI and the API server.

``derbes.testing.otp.FakeOtpService`` keeps its codes in memory, so a code issued by one
``derbes`` command could never be checked by the next. :class:`FileOtpCodes` keeps
the same state in a JSON file beside the databases (``var/otp/state.json``): a salted
digest of each code, never the code. Sending the code is not its business: the
services hand it to the delivery slice (``delivery.service.send``), which sends it
through the SMS gateway bootstrap chose and keeps the code only sealed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from derbes.errors import InputError
from derbes.platform.otp import IssuedOtp

__all__ = ["FileOtpCodes"]


def _digest(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


class FileOtpCodes:
    """The OTP port, file-backed; the same checks as the in-memory fake of the tests."""

    def __init__(self, valid_minutes: int, directory: Path) -> None:
        self.valid_for = timedelta(minutes=valid_minutes)
        self.directory = directory
        self._lock = threading.Lock()

    @property
    def _state_file(self) -> Path:
        return self.directory / "state.json"

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self._state_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"issued": {}, "used": []}
        return data if isinstance(data, dict) else {"issued": {}, "used": []}

    def _save(self, data: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        temp = self._state_file.with_suffix(".tmp")
        temp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
        os.replace(temp, self._state_file)

    def issue(self, subject_id: str, at: datetime) -> IssuedOtp:
        reference = "otp_" + secrets.token_hex(8)
        code = f"{secrets.randbelow(10**6):06d}"
        issued = IssuedOtp(reference, code, subject_id, at, at + self.valid_for)
        salt = secrets.token_hex(8)
        with self._lock:
            data = self._load()
            data["issued"][reference] = {
                "subject_id": subject_id, "salt": salt, "digest": _digest(salt, code),
                "expires_at": issued.expires_at.isoformat()}
            self._save(data)
        return issued

    def verify(self, reference: str, code: str, subject_id: str, at: datetime) -> None:
        with self._lock:
            data = self._load()
        issued = data["issued"].get(reference)
        if not isinstance(issued, dict) or issued.get("subject_id") != subject_id:
            raise InputError("unknown OTP reference for this subject",
                             field="evidence.otp_reference")
        if at > datetime.fromisoformat(str(issued["expires_at"])):
            raise InputError(f"the OTP reference expired: codes are valid for "
                             f"{int(self.valid_for.total_seconds() // 60)} minutes",
                             field="evidence.otp_reference")
        if reference in data["used"]:
            raise InputError("the OTP reference was already used",
                             field="evidence.otp_reference")
        given = _digest(str(issued["salt"]), code.strip())
        if not hmac.compare_digest(given, str(issued["digest"])):
            raise InputError("the OTP code does not match", field="evidence.otp_code")

    def consume(self, reference: str) -> None:
        with self._lock:
            data = self._load()
            if reference not in data["used"]:
                data["used"].append(reference)
            self._save(data)
