"""VaultTransitKek through the real hvac client against a tiny local Transit server."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from derbes.errors import ConfigurationError, CryptoError
from derbes.platform.db import make_engine
from derbes.vault.adapters import keystore_migrate
from derbes.vault.adapters.kek import LocalKek, VaultTransitKek, load_kek
from derbes.vault.adapters.keystore import SqlKeyStore
from derbes.vault.service.keys import rotate_kek
from tests.keystore_contract import assert_kek_protocol

TOKEN = "s.test-token"
KEY_NAME = "derbes"


class FakeTransit(ThreadingHTTPServer):
    """``POST /v1/transit/encrypt/<name>`` and ``/decrypt/<name>``, nothing else."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.keys: dict[str, AESGCM] = {KEY_NAME: AESGCM(os.urandom(32))}
        self.version = 1
        self.requests: list[tuple[str, dict[str, Any]]] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeTransit

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        self.server.requests.append((self.path, body))
        if self.headers.get("X-Vault-Token") != TOKEN:
            self._reply(403, {"errors": ["permission denied"]})
            return
        parts = self.path.strip("/").split("/")
        if len(parts) != 4 or parts[:2] != ["v1", "transit"]:
            self._reply(404, {"errors": []})
            return
        action, name = parts[2], parts[3]
        cipher = self.server.keys.get(name)
        if cipher is None:
            self._reply(400, {"errors": ["encryption key not found"]})
            return
        if action == "encrypt":
            plaintext = base64.b64decode(body["plaintext"])
            nonce = os.urandom(12)
            sealed = base64.b64encode(nonce + cipher.encrypt(nonce, plaintext, None)).decode()
            self._reply(200, {"data": {"ciphertext": f"vault:v{self.server.version}:{sealed}"}})
        elif action == "decrypt":
            try:
                _vault, _version, sealed_b64 = body["ciphertext"].split(":", 2)
                raw = base64.b64decode(sealed_b64)
                plaintext = cipher.decrypt(raw[:12], raw[12:], None)
            except Exception:
                self._reply(400, {"errors": ["cipher: message authentication failed"]})
                return
            self._reply(200, {"data": {"plaintext": base64.b64encode(plaintext).decode()}})
        else:
            self._reply(404, {"errors": []})


@pytest.fixture
def transit() -> Iterator[FakeTransit]:
    server = FakeTransit()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def vault_kek(transit: FakeTransit) -> Iterator[VaultTransitKek]:
    kek = VaultTransitKek.connect(transit.url, TOKEN, KEY_NAME)
    yield kek
    kek.close()


def test_wraps_and_unwraps_through_transit(vault_kek: VaultTransitKek, transit: FakeTransit) -> None:
    assert vault_kek.kek_id == f"vault:{KEY_NAME}:1"
    assert_kek_protocol(vault_kek)
    wrapped = vault_kek.wrap(b"\x07" * 32, b"subject-a")
    assert wrapped.startswith(b"vault:v1:")
    paths = {path for path, _body in transit.requests}
    assert paths == {f"/v1/transit/encrypt/{KEY_NAME}", f"/v1/transit/decrypt/{KEY_NAME}"}
    # Transit "context" is not used: the AAD travels inside the envelope.
    assert all("context" not in body for _path, body in transit.requests)


def test_aad_mismatch_is_detected_inside_the_envelope(vault_kek: VaultTransitKek) -> None:
    wrapped = vault_kek.wrap(b"\x07" * 32, b"subject-a")
    with pytest.raises(CryptoError):
        vault_kek.unwrap(wrapped, b"subject-b")


def test_kek_id_follows_the_transit_key_version(
    vault_kek: VaultTransitKek, transit: FakeTransit
) -> None:
    wrapped_v1 = vault_kek.wrap(b"\x01" * 32, b"a")
    transit.version = 2  # the key was rotated in Vault; old versions still decrypt
    kek = VaultTransitKek.connect(transit.url, TOKEN, KEY_NAME)
    try:
        assert kek.kek_id == f"vault:{KEY_NAME}:2"
        assert kek.unwrap(wrapped_v1, b"a") == b"\x01" * 32
    finally:
        kek.close()


def test_key_store_on_vault_and_rotation_to_a_local_kek(
    vault_kek: VaultTransitKek, tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'keys.sqlite3'}")
    keystore_migrate.upgrade(engine)
    try:
        store = SqlKeyStore(engine, vault_kek)
        created = store.create_keys(["a", "b", "c"])
        index = store.index_key()
        assert {c.kek_id for c in store.kek_counts()} == {vault_kek.kek_id}
        assert SqlKeyStore(engine, vault_kek).keys_for(["a", "b", "c"]) == created
        local = LocalKek.generate()
        assert rotate_kek(store, vault_kek, local) == 4
        rotated = SqlKeyStore(engine, local)
        assert rotated.keys_for(["a", "b", "c"]) == created
        assert rotated.index_key() == index
    finally:
        engine.dispose()


def test_wrong_token_or_unknown_key_is_a_configuration_error(transit: FakeTransit) -> None:
    bad_token = VaultTransitKek.connect(transit.url, "s.wrong-token", KEY_NAME)
    try:
        with pytest.raises(ConfigurationError) as caught:
            _ = bad_token.kek_id
        message = caught.value.message
        assert "Vault Transit key 'derbes'" in message and transit.url in message
        assert "wrong-token" not in message
    finally:
        bad_token.close()
    unknown = VaultTransitKek.connect(transit.url, TOKEN, "nope")
    try:
        with pytest.raises(ConfigurationError):
            unknown.wrap(b"\x00" * 32, b"a")
    finally:
        unknown.close()


def test_a_wrong_vault_key_cannot_unwrap(vault_kek: VaultTransitKek, transit: FakeTransit) -> None:
    wrapped = vault_kek.wrap(b"\x01" * 32, b"a")
    transit.keys[KEY_NAME] = AESGCM(os.urandom(32))  # another Vault, same key name
    with pytest.raises(ConfigurationError) as caught:
        vault_kek.unwrap(wrapped, b"a")
    assert "cannot unwrap" in caught.value.message


def test_unreachable_vault_is_a_configuration_error(tmp_path: Path) -> None:
    kek = load_kek(
        key_file=tmp_path / "kek.key",
        vault_addr="http://127.0.0.1:1",
        vault_token=TOKEN,
        vault_transit_key=KEY_NAME,
    )
    assert isinstance(kek, VaultTransitKek)
    try:
        with pytest.raises(ConfigurationError) as caught:
            _ = kek.kek_id
        assert "127.0.0.1:1" in caught.value.message
        assert TOKEN not in caught.value.message
    finally:
        kek.close()
