"""The emulator's props-filtered listing of every Incus RD (issue 9): 10,000 Incus RDs (+20 % others),
the two aux-key presence filters (name, type) ``linstor_incus_volume_info`` sends, with volume definitions.

Three figures, medians of ``--repeats`` runs:

- over HTTP (a running emulator, urllib, reply read and parsed; ``bench/scale.py`` times the read alone): the
  first listing after start (every RD's item written), then the same listing again (items kept);
- in process, the backend building the reply's bytes as the REST route sends them (no HTTP), first
  and again;
- in process, the backend's list of dicts and ``json.dumps`` of it (the reference the route's
  bytes are checked against: both must be equal, else this script fails).

With ``--profile``, a cProfile of the in-process reply (cumulative) is printed too.

    .venv/bin/python bench/emulator_listing.py [--size 10000] [--repeats 5] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from benchlib import median  # noqa: E402


def filters() -> list[str]:
    from ansible_collections.linstor.incus.plugins.module_utils import _naming

    return _naming.listing_filters()


def timed(action, repeats: int) -> tuple[list[float], object]:
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = action()
        times.append(time.perf_counter() - start)
    return times, value


def http_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as reply:
        body = reply.read()
    json.loads(body)
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    from linstor_emulator.backend import Backend

    directory = benchlib.workdir("emulator-listing")
    try:
        state = directory / "state.sqlite3"
        seed = benchlib.seed_state(state, options.size, options.size // 5)
        props = filters()
        backend = Backend(state)
        try:
            fast = getattr(backend, "list_resource_definitions_json", None)
            encode_times, encoded = timed(lambda: fast(props=props, with_volume_definitions=True), options.repeats) \
                if fast else ([], None)
            dumps_times, dumped = timed(lambda: json.dumps(backend.list_resource_definitions(
                props=props, with_volume_definitions=True)).encode(), options.repeats)
            if encoded is not None and encoded != dumped:
                raise SystemExit("the route's bytes differ from json.dumps of the backend's list")
            profile = ""
            if options.profile:
                profiler = cProfile.Profile()
                profiler.enable()
                fast(props=props, with_volume_definitions=True) if fast else json.dumps(
                    backend.list_resource_definitions(props=props, with_volume_definitions=True))
                profiler.disable()
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("cumulative").print_stats(15)
                profile = text.getvalue()
        finally:
            backend.close()
        query = urllib.parse.urlencode([("props", item) for item in props] + [("with_volume_definitions", "true")])
        with benchlib.Emulator(directory, "state") as emulator:
            url = f"{emulator.url}/v1/resource-definitions?{query}"
            first_times, _ = timed(lambda: http_get(url), 1)  # every item written: none kept yet
            http_times, body = timed(lambda: http_get(url), options.repeats)
        print(f"seeded {options.size} Incus RDs (+{options.size // 5} others) in {seed:.2f} s; "
              f"reply {len(body) / 2**20:.2f} MiB, {len(json.loads(body))} RDs")
        print(f"over HTTP (GET, read, json.loads), first after start: {first_times[0]:.3f} s; then median of "
              f"{options.repeats}: {median(http_times):.3f} s (min {min(http_times):.3f}, max {max(http_times):.3f})")
        if encode_times:
            print(f"in process, reply bytes (list_resource_definitions_json): first {encode_times[0]:.3f} s, "
                  f"then median {median(encode_times[1:] or encode_times):.3f} s")
        print(f"in process, json.dumps(list_resource_definitions(...)): {median(dumps_times):.3f} s")
        if profile:
            print(profile)
    finally:
        benchlib.remove(directory)


if __name__ == "__main__":
    main()
