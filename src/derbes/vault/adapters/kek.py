"""Key-encryption keys (KEK): what wraps the per-subject data keys in the key store.

Three sources, tried in this order by ``load_kek``:

1. ``DERBES_KEK``: a base64 32-byte key in the environment (``EnvKek``);
2. HashiCorp Vault Transit, when ``DERBES_VAULT_ADDR`` and
   ``DERBES_VAULT_TRANSIT_KEY`` are set (``VaultTransitKek``, through ``hvac``);
3. the key file ``DERBES_KEK_FILE`` (default ``var/kek.key``) that ``derbes init``
   creates with mode 0600 (``FileKek``).

A local KEK (file, environment, memory) wraps with AES-256-GCM; the wrapping
associated data (the subject id, given by the key store) ties a wrapped key to
its subject, so wrapped keys cannot be swapped between subjects.

A missing or wrong KEK is a ``ConfigurationError`` whose message says which
source was tried and the KEK fingerprint (``kek_id``) — never the key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from derbes.errors import ConfigurationError, CryptoError
from derbes.platform.crypto import KEY_BYTES, generate_key, open_with, seal_with
from derbes.platform.files import fsync_directory, write_new_private
from derbes.vault.ports import KeyEncryptionKey

if TYPE_CHECKING:
    import hvac

__all__ = [
    "ENV_VARIABLE",
    "AesGcmWrapper",
    "EnvKek",
    "FileKek",
    "LocalKek",
    "VaultTransitKek",
    "load_kek",
    "pending_kek_file",
]

ENV_VARIABLE = "DERBES_KEK"


def unwrap_with(keks: Sequence[KeyEncryptionKey], kek_id: str, wrapped: bytes, aad: bytes,
                what: str, *, wrong_kek: tuple[type[Exception], ...] = (ConfigurationError,)
                ) -> bytes:
    """Unwrap with the KEK that wrapped ``what`` (by ``kek_id``), else try the first one.

    The fallback covers KEKs whose id changes while they can still unwrap old
    keys (a Vault Transit key rotated to a new version); when the first one
    fails with ``wrong_kek``, the error says which KEK is needed.
    """
    for kek in keks:
        if kek.kek_id == kek_id:
            return kek.unwrap(wrapped, aad)
    current = keks[0]
    try:
        return current.unwrap(wrapped, aad)
    except wrong_kek:
        source = getattr(current, "source", "the configured source")
        raise ConfigurationError(
            f"{what} is wrapped by KEK {kek_id}, but the configured KEK is {current.kek_id} "
            f"(from {source}): configure the KEK that wrapped it, or finish an interrupted "
            "`derbes keys rotate`"
        ) from None


def fingerprint(key: bytes) -> str:
    """``kek_id`` of a local key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


class AesGcmWrapper:
    """Wraps data keys with a 32-byte key held in this process: AES-256-GCM, nonce
    prepended. What the local KEKs and the epoch keys share; each says who it is and
    what an unwrap that fails means."""

    __slots__ = ("_cipher",)

    def __init__(self, key: bytes) -> None:
        self._cipher = AESGCM(key)

    def wrap(self, data_key: bytes, aad: bytes) -> bytes:
        return seal_with(self._cipher, data_key, aad)

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        opened = open_with(self._cipher, wrapped, aad)
        if opened is None:
            raise self._refusal()
        return opened

    def _refusal(self) -> Exception:
        """The error of a wrapped key this key does not open."""
        raise NotImplementedError


class LocalKek(AesGcmWrapper):
    """A 32-byte KEK held in this process; wraps with AES-256-GCM (nonce prepended)."""

    def __init__(self, key: bytes, *, source: str = "memory") -> None:
        if len(key) != KEY_BYTES:
            raise ConfigurationError(
                f"the KEK from {source} has {len(key)} bytes; a KEK has {KEY_BYTES}"
            )
        super().__init__(key)
        self._kek_id = fingerprint(key)
        self.source = source

    @classmethod
    def generate(cls) -> LocalKek:
        """A fresh random KEK that lives only in memory (tests, the in-memory key store)."""
        return cls(generate_key())

    @property
    def kek_id(self) -> str:
        return self._kek_id

    def _refusal(self) -> Exception:
        return ConfigurationError(
            f"the KEK {self._kek_id} from {self.source} cannot unwrap a stored key: "
            "it is not the KEK that wrapped it (wrong KEK), or the stored key was altered"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kek_id={self._kek_id!r}, source={self.source!r})"


def _decode_key(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"the KEK from {source} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise ConfigurationError(
            f"the KEK from {source} decodes to {len(key)} bytes; a KEK has {KEY_BYTES}"
        )
    return key


def _encode_key(key: bytes) -> bytes:
    return base64.b64encode(key) + b"\n"


class FileKek(LocalKek):
    """The KEK in a key file: base64 of 32 random bytes, mode 0600.

    A file that group or others may read is refused: the KEK guards every
    subject's data key.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        source = f"key file {self.path}"
        try:
            info = self.path.stat()
        except FileNotFoundError:
            raise ConfigurationError(
                f"no KEK: the {source} does not exist "
                "(run `derbes init`, or set DERBES_KEK or DERBES_VAULT_ADDR)"
            ) from None
        if not stat.S_ISREG(info.st_mode):
            raise ConfigurationError(f"the {source} is not a regular file")
        mode = stat.S_IMODE(info.st_mode)
        if mode & 0o077:
            raise ConfigurationError(
                f"the {source} has mode {mode:04o}: group or others may read it; "
                f"run `chmod 600 {self.path}` (derbes refuses a KEK others can read)"
            )
        try:
            text = self.path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(
                f"cannot read the {source}: {type(exc).__name__}"
            ) from None
        super().__init__(_decode_key(text, source), source=source)

    @classmethod
    def create(cls, path: Path) -> FileKek:
        """Create a key file with a new random KEK; refuses to overwrite an existing file.

        The key is written to a temporary file first and then hard-linked into
        place, so ``path`` either does not exist or holds a whole key.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            raise ConfigurationError(
                f"the key file {path} already exists; derbes never overwrites a KEK"
            )
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.unlink(missing_ok=True)
        write_new_private(temporary, _encode_key(generate_key()))
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise ConfigurationError(
                f"the key file {path} already exists; derbes never overwrites a KEK"
            ) from None
        finally:
            temporary.unlink(missing_ok=True)
        fsync_directory(path.parent)
        return cls(path)

    def install_as(self, target: Path) -> FileKek:
        """Atomically make ``target`` hold this KEK (replacing what it held); mode 0600.

        Used by ``derbes keys rotate`` once every key is re-wrapped: a crash
        leaves ``target`` holding either the old or the new KEK, never half of one.
        """
        target = Path(target)
        if target.resolve() == self.path.resolve():
            return self
        key = _decode_key(self.path.read_text(encoding="ascii"), self.source)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.unlink(missing_ok=True)
        write_new_private(temporary, _encode_key(key))
        os.replace(temporary, target)
        fsync_directory(target.parent)
        return FileKek(target)


def pending_kek_file(kek_file: Path) -> Path:
    """Where ``derbes keys rotate`` writes the new KEK until every key is re-wrapped.

    While this file exists a rotation is unfinished: derbes wraps new keys with
    it and still reads keys wrapped by the old KEK. Never delete it by hand;
    run ``derbes keys rotate`` again to finish.
    """
    return kek_file.with_name(kek_file.name + ".new")


class EnvKek(LocalKek):
    """The KEK from an environment variable (base64 of 32 bytes)."""

    def __init__(self, value: str, *, variable: str = ENV_VARIABLE) -> None:
        source = f"environment variable {variable}"
        super().__init__(_decode_key(value, source), source=source)


# Transit encrypts our envelope: magic, length-prefixed associated data, data key.
# The AAD travels inside the ciphertext and is checked on unwrap, which works
# with any Transit key type — Transit's own "context" needs a derived key.
_ENVELOPE_MAGIC = b"derbes.kek.v1"


def _envelope(data_key: bytes, aad: bytes) -> bytes:
    return _ENVELOPE_MAGIC + len(aad).to_bytes(4, "big") + aad + data_key


def _open_envelope(envelope: bytes) -> tuple[bytes, bytes]:
    if not envelope.startswith(_ENVELOPE_MAGIC):
        raise ValueError("not a derbes envelope")
    rest = envelope[len(_ENVELOPE_MAGIC) :]
    if len(rest) < 4:
        raise ValueError("truncated envelope")
    size = int.from_bytes(rest[:4], "big")
    if len(rest) < 4 + size:
        raise ValueError("truncated envelope")
    return rest[4 : 4 + size], rest[4 + size :]


def _transit_version(ciphertext: str) -> int:
    parts = ciphertext.split(":", 2)
    if len(parts) != 3 or parts[0] != "vault" or not parts[1].startswith("v"):
        raise ValueError("not a Transit ciphertext")
    return int(parts[1][1:])


class VaultTransitKek:
    """The KEK stays inside HashiCorp Vault; Transit wraps and unwraps data keys.

    ``kek_id`` is ``vault:<key name>:<version>``, the newest key version, learnt
    from the ciphertext of a probe encryption on first use (Transit prefixes
    each ciphertext with ``vault:v<version>:``).
    """

    def __init__(
        self,
        client: hvac.Client,
        key_name: str,
        *,
        mount_point: str = "transit",
        address: str | None = None,
    ) -> None:
        self._client = client
        self.key_name = key_name
        self.mount_point = mount_point
        self.address = address or str(getattr(client, "url", "") or "Vault")
        self.source = f"Vault Transit key {key_name!r} at {self.address}"
        self._version: int | None = None

    @classmethod
    def connect(
        cls,
        address: str,
        token: str,
        key_name: str,
        *,
        mount_point: str = "transit",
        timeout: int = 10,
    ) -> VaultTransitKek:
        import hvac  # only needed when Vault is configured

        client = hvac.Client(url=address, token=token, timeout=timeout)
        return cls(client, key_name, mount_point=mount_point, address=address)

    def close(self) -> None:
        self._client.adapter.close()

    def _fail(self, action: str, exc: Exception) -> ConfigurationError:
        detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        reason = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
        return ConfigurationError(f"the KEK from {self.source} cannot {action}: {reason}")

    def _call(self, action: str, method: str, **kwargs: Any) -> dict[str, Any]:
        import hvac.exceptions
        import requests

        transit = self._client.secrets.transit
        try:
            response = getattr(transit, method)(
                name=self.key_name, mount_point=self.mount_point, **kwargs
            )
        except (hvac.exceptions.VaultError, requests.RequestException) as exc:
            raise self._fail(action, exc) from None
        data = response.get("data") if isinstance(response, dict) else None
        if not isinstance(data, dict):
            raise ConfigurationError(
                f"the KEK from {self.source} cannot {action}: unexpected Transit response"
            )
        return data

    def _encrypt(self, plaintext: bytes) -> str:
        data = self._call(
            "wrap a key", "encrypt_data", plaintext=base64.b64encode(plaintext).decode("ascii")
        )
        ciphertext = data.get("ciphertext")
        if not isinstance(ciphertext, str):
            raise ConfigurationError(f"the KEK from {self.source}: Transit returned no ciphertext")
        try:
            self._version = _transit_version(ciphertext)
        except ValueError:
            raise ConfigurationError(
                f"the KEK from {self.source}: Transit returned an unknown ciphertext format"
            ) from None
        return ciphertext

    @property
    def kek_id(self) -> str:
        if self._version is None:
            self._encrypt(_envelope(b"", b"derbes.kek.probe"))
        return f"vault:{self.key_name}:{self._version}"

    def wrap(self, data_key: bytes, aad: bytes) -> bytes:
        return self._encrypt(_envelope(data_key, aad)).encode("ascii")

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        try:
            ciphertext = wrapped.decode("ascii")
        except UnicodeDecodeError:
            raise ConfigurationError(
                f"the KEK from {self.source} cannot unwrap a stored key: "
                "it was not wrapped by Vault Transit (wrong KEK)"
            ) from None
        data = self._call("unwrap a stored key (wrong KEK?)", "decrypt_data", ciphertext=ciphertext)
        try:
            stored_aad, data_key = _open_envelope(base64.b64decode(data.get("plaintext") or ""))
        except (ValueError, binascii.Error):
            raise ConfigurationError(
                f"the KEK from {self.source} cannot unwrap a stored key: not a derbes key envelope"
            ) from None
        if not hmac.compare_digest(stored_aad, aad):
            raise CryptoError("a wrapped data key belongs to another subject or key (swapped)")
        return data_key

    def __repr__(self) -> str:
        return f"VaultTransitKek(key_name={self.key_name!r}, address={self.address!r})"


def load_kek(
    *,
    key_file: Path,
    env_value: str | None = None,
    vault_addr: str | None = None,
    vault_token: str | None = None,
    vault_transit_key: str | None = None,
    vault_mount: str = "transit",
) -> KeyEncryptionKey:
    """The configured KEK: the environment wins, then Vault if configured, then the key file."""
    if env_value:
        return EnvKek(env_value)
    if vault_addr or vault_transit_key:
        missing = [
            name
            for name, value in (
                ("DERBES_VAULT_ADDR", vault_addr),
                ("DERBES_VAULT_TRANSIT_KEY", vault_transit_key),
                ("DERBES_VAULT_TOKEN", vault_token),
            )
            if not value
        ]
        if missing:
            raise ConfigurationError(
                "Vault Transit KEK is half configured: set " + ", ".join(missing)
            )
        return VaultTransitKek.connect(
            str(vault_addr), str(vault_token), str(vault_transit_key), mount_point=vault_mount
        )
    if not key_file.exists():
        raise ConfigurationError(
            f"no KEK: {ENV_VARIABLE} is not set, Vault is not configured (DERBES_VAULT_ADDR), "
            f"and the key file {key_file} does not exist — run `derbes init` to create it"
        )
    return FileKek(key_file)
