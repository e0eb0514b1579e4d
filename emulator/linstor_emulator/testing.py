"""Helpers for tests that run the emulator as its own process (as moto's ThreadedMotoServer helps
tests of AWS code): start and stop it, talk to its debug API, and make throw-away certificates.

Only the standard library is needed, except by ``make_pki``, which uses the ``cryptography``
package (an ansible-core dependency, so present wherever the collection's tests run).
"""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

READY_PREFIX = "linstor-emulator listening on "


@dataclass
class EmulatorProcess:
    """An emulator started as its own process (``python -m linstor_emulator``), debug API on.

    ``extra`` holds more command-line options (``--tls-cert``, ``--auth-token-file``, ...). The
    process counts as started when it prints its listening line (it listens from then on), so
    TLS and token authentication need no special readiness probe.
    """

    state: Path
    port: int = 0
    """0: the emulator binds a free port itself, read from its listening line (no other process can take it between
    the choice and the bind); give a port to start again where an earlier process listened."""
    extra: tuple[str, ...] = ()
    debug_api: bool = True
    process: subprocess.Popen | None = None
    stdout_text: str = ""
    stderr_text: str = ""
    _first_line: str = ""

    @property
    def scheme(self) -> str:
        return "https" if "--tls-cert" in self.extra else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def debug(self) -> DebugApi:
        """The debug API over plain HTTP (raises for an HTTPS emulator: use ``DebugApi(url, context)``)."""
        if self.scheme != "http":
            raise ValueError("the emulator serves HTTPS: build DebugApi(url, ssl_context) yourself")
        return DebugApi(self.url)

    def start(self, timeout: float = 30) -> EmulatorProcess:
        command = [sys.executable, "-m", "linstor_emulator", "--host", "127.0.0.1", "--port", str(self.port),
                   "--state", str(self.state), *(["--debug-api"] if self.debug_api else []), *self.extra]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not lines or not lines[0].startswith(READY_PREFIX):
            self.kill()
            stderr = self.process.stderr.read() if self.process.stderr else ""
            raise RuntimeError(f"the emulator did not start (exit {self.process.returncode}): {stderr.strip()}")
        self._first_line = lines[0]
        self.port = int(lines[0][len(READY_PREFIX):].split()[0].rsplit(":", 1)[1])
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self.stdout_text = self._first_line + (self.process.stdout.read() if self.process.stdout else "")
        self.stderr_text = self.process.stderr.read() if self.process.stderr else ""
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()
        return code

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> EmulatorProcess:
        return self.start() if self.process is None else self

    def __exit__(self, *exc_info) -> None:
        if self.process is not None and self.process.poll() is None:
            self.stop()


class DebugApi:
    """The emulator's ``/_emulator`` API: request log, fault injection, satellites going offline."""

    def __init__(self, base_url: str, context: ssl.SSLContext | None = None):
        self.base = base_url.rstrip("/") + "/_emulator"
        self.context = context

    def _call(self, method: str, path: str, body: object = None) -> object:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30, context=self.context) as reply:
                return json.load(reply)
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {self.base}{path}: HTTP {error.code} {error.read()!r}") from None

    def requests(self) -> list[dict]:
        return self._call("GET", "/requests")

    def clear_requests(self) -> None:
        self._call("DELETE", "/requests")

    def add_fault(self, action: str, path: str = "/v1/.*", method: str = "*", **options) -> dict:
        """Add a fault (see docs/emulator.md); returns it with its ``id``."""
        return self._call("POST", "/faults", {"action": action, "path": path, "method": method, **options})

    def faults(self) -> list[dict]:
        return self._call("GET", "/faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_connection(self, node: str, online: bool) -> dict:
        """Take the node's satellite away (``online=False``) or bring it back; returns the node as listed."""
        return self._call("PUT", f"/nodes/{node}", {"connection_status": "ONLINE" if online else "OFFLINE"})


@dataclass
class Pki:
    """PEM files of a throw-away PKI: a CA, a server certificate for 127.0.0.1 and localhost signed by
    it, a client certificate signed by it, and a second CA (with its own server and client
    certificates) that the first one does not trust."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    other_ca: Path
    other_server_cert: Path
    other_server_key: Path
    other_client_cert: Path
    other_client_key: Path


def make_pki(directory: Path | str) -> Pki:
    """Write a throw-away PKI into ``directory`` (EC P-256 keys, valid for a day)."""
    directory = Path(directory)
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    def write(stem: str, cert: x509.Certificate, key) -> tuple[Path, Path]:
        cert_path, key_path = directory / f"{stem}.crt", directory / f"{stem}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        key_path.chmod(0o600)
        return cert_path, key_path

    def issue(common: str, issuer_name: x509.Name | None, issuer_key, *, ca: bool = False, server: bool = False):
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(name(common))
                   .issuer_name(issuer_name or name(common)).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if ca:
            builder = builder.add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False, encipher_only=False,
                decipher_only=False), critical=True)
            builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                            critical=False)
        else:
            usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
            builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key.public_key()), critical=False)
        if server:
            builder = builder.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return builder.sign(issuer_key or key, hashes.SHA256()), key

    paths: dict[str, Path] = {}
    for prefix, label in (("", "test"), ("other_", "other")):
        ca_cert, ca_key = issue(f"linstor-emulator {label} CA", None, None, ca=True)
        paths[prefix + "ca"] = write(f"{prefix}ca", ca_cert, ca_key)[0]
        server = issue("localhost", ca_cert.subject, ca_key, server=True)
        paths[prefix + "server_cert"], paths[prefix + "server_key"] = write(f"{prefix}server", *server)
        client = issue(f"{label} client", ca_cert.subject, ca_key)
        paths[prefix + "client_cert"], paths[prefix + "client_key"] = write(f"{prefix}client", *client)
    return Pki(**paths)
