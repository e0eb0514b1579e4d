"""``linstor-emulator --host 127.0.0.1 --port PORT --state FILE [--nodes N] [--debug-api]``."""

from __future__ import annotations

import argparse
import signal
import sqlite3
import sys
import threading
from pathlib import Path

from .backend import Backend
from .rest import make_server


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="linstor-emulator",
        description="A LINSTOR controller emulator serving the /v1 REST API, its state in a SQLite file.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3370, help="TCP port (default 3370, LINSTOR's; 0 picks one)")
    parser.add_argument("--state", required=True, help="SQLite state file, created if missing")
    parser.add_argument("--nodes", type=int, default=3,
                        help="satellite nodes to seed a new state file with (default 3; ignored for an existing one)")
    parser.add_argument("--debug-api", action="store_true",
                        help="serve the debug API under /_emulator (request log); off by default")
    parser.add_argument("--sync", choices=("NORMAL", "FULL"), default="NORMAL",
                        help="SQLite synchronous mode: NORMAL survives a killed process, FULL also a power loss")
    parser.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = parser.parse_args(argv)
    if args.nodes < 1:
        parser.error("--nodes must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    state = Path(args.state)
    try:
        state.parent.mkdir(parents=True, exist_ok=True)
        backend = Backend(state, nodes=args.nodes, synchronous=args.sync)
    except (OSError, sqlite3.Error) as exc:
        print(f"linstor-emulator: cannot use the state file {state}: {exc}", file=sys.stderr)
        return 2
    try:
        server, _ = make_server(backend, args.host, args.port, debug_api=args.debug_api, verbose=args.verbose)
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
    print(f"linstor-emulator listening on http://{host}:{port} (state {args.state})", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
