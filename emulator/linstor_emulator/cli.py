"""``linstor-emulator --host 127.0.0.1 --port PORT --state FILE [--nodes N] [--debug-api]
[--tls-cert FILE [--tls-key FILE] [--tls-client-ca FILE]] [--auth-token-file FILE | --auth-token TOKEN]``."""

from __future__ import annotations

import argparse
import signal
import sqlite3
import ssl
import sys
import threading
from pathlib import Path

from .backend import RELEASES, VERSION, Backend
from .rest import make_server, tls_context


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="linstor-emulator",
        description="A LINSTOR controller emulator serving the /v1 REST API, its state in a SQLite file.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3370, help="TCP port (default 3370, LINSTOR's; 0 picks one)")
    parser.add_argument("--state", required=True, help="SQLite state file, created if missing")
    parser.add_argument("--nodes", type=int, default=3,
                        help="satellite nodes to seed a new state file with (default 3; ignored for an existing one); "
                        "0 makes a controller that cannot place resources (autoplace fails)")
    parser.add_argument("--debug-api", action="store_true",
                        help="serve the debug API under /_emulator (request log); off by default")
    parser.add_argument("--sync", choices=("NORMAL", "FULL"), default="NORMAL",
                        help="SQLite synchronous mode: NORMAL survives a killed process, FULL also a power loss")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    parser.add_argument("--linstor-version", choices=sorted(RELEASES, key=lambda v: tuple(map(int, v.split(".")))),
                        default=VERSION,
                        help=f"the LINSTOR release to answer as (default {VERSION}, REST API {RELEASES[VERSION]}, "
                             "the spec's): its version, and what older releases do not take (clone properties "
                             "before 1.32, a clone's resource_group before 1.30)")
    tls = parser.add_argument_group("TLS (HTTPS on the same port when --tls-cert is given)")
    tls.add_argument("--tls-cert", metavar="FILE", help="PEM certificate chain of the server (may hold the key too)")
    tls.add_argument("--tls-key", metavar="FILE", help="PEM private key of the server certificate")
    tls.add_argument("--tls-client-ca", metavar="FILE",
                     help="require client certificates signed by this PEM CA (refuse clients without one)")
    auth = parser.add_argument_group("token authentication (401 without a matching 'Authorization: Bearer')")
    auth.add_argument("--auth-token-file", metavar="FILE", help="file holding the token (its first line)")
    auth.add_argument("--auth-token", metavar="TOKEN", help="the token itself (visible in ps: prefer the file)")
    args = parser.parse_args(argv)
    if args.nodes < 0:
        parser.error("--nodes must not be negative")
    if (args.tls_key or args.tls_client_ca) and not args.tls_cert:
        parser.error("--tls-key and --tls-client-ca need --tls-cert")
    if args.auth_token is not None and args.auth_token_file:
        parser.error("give --auth-token or --auth-token-file, not both")
    if args.auth_token is not None and not args.auth_token.strip():
        parser.error("--auth-token must not be empty")
    return args


def read_token(path: str) -> str:
    """The first line of the token file, without surrounding white space; ValueError when empty."""
    with open(path, encoding="utf-8") as stream:
        token = stream.readline().strip()
    if not token:
        raise ValueError("the file is empty")
    return token


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    state = Path(args.state)
    try:
        state.parent.mkdir(parents=True, exist_ok=True)
        backend = Backend(state, nodes=args.nodes, synchronous=args.sync, linstor_version=args.linstor_version)
    except (OSError, sqlite3.Error) as exc:
        print(f"linstor-emulator: cannot use the state file {state}: {exc}", file=sys.stderr)
        return 2
    for name in backend.resume_deletes():  # as a controller does once its satellites connect
        print(f"linstor-emulator: resumed the delete of resource definition {name}", file=sys.stderr)
    token = args.auth_token.strip() if args.auth_token is not None else None
    context = None
    try:
        if args.auth_token_file:
            token = read_token(args.auth_token_file)
    except (OSError, ValueError) as exc:
        backend.close()
        print(f"linstor-emulator: cannot read the token file {args.auth_token_file}: {exc}", file=sys.stderr)
        return 2
    try:
        if args.tls_cert:
            context = tls_context(args.tls_cert, args.tls_key, args.tls_client_ca)
    except (OSError, ssl.SSLError) as exc:
        backend.close()
        print(f"linstor-emulator: cannot load the TLS files: {exc}", file=sys.stderr)
        return 2
    try:
        server, _ = make_server(backend, args.host, args.port, debug_api=args.debug_api, verbose=args.verbose,
                                ssl_context=context, auth_token=token)
    except OSError as exc:
        backend.close()
        print(f"linstor-emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    stopping = threading.Event()

    def stop(signum, frame) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    host, port = server.server_address[:2]
    scheme = "https" if context else "http"
    print(f"linstor-emulator listening on {scheme}://{host}:{port} (state {args.state})", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
