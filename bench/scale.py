"""Scale: linstor_incus_volume_info and the emulator over 100 … 10,000 Incus RDs (+20 % non-Incus RDs
in another group), and how each figure grows.

For each size, one emulator holds the volumes ``c0`` … and a second one holds only ``c0`` (the
"empty" emulator: the same lookup finds the same one RD, so both make the same single request).
One playbook then interleaves, ``repeats`` times:

- ``uri`` GET of the exact filtered list the module sends (taken from the request log), then
  ``linstor_incus_volume_info`` listing the group: ratio ours/uri;
- ``linstor_incus_volume_info`` looking up ``c0`` on the big emulator, then on the empty one: ratio.

The module's peak memory is VmHWM of the module run as its own process (``python -m``, no
Ansible around it), listing the group. The emulator's own latency is timed over HTTP with urllib.

    .venv/bin/python bench/scale.py [--sizes 100,1000,10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import pstats
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
from benchlib import GROUP, Emulator, Table, goal, median, play, ratio, run_module, run_playbook  # noqa: E402


@dataclass
class SizeFigures:
    size: int
    seed_seconds: float
    emulator_lookup: list[float]
    emulator_first_list: float
    emulator_list: list[float]
    emulator_list_parsed: list[float]
    writes_per_second: float
    writes_per_second_4: float
    keep_alive: float
    new_connection: float
    uri_list: list[float]
    ours_list: list[float]
    lookup_big: list[float]
    lookup_empty: list[float]
    module_seconds: float
    module_peak_kib: int
    empty_peak_kib: int
    requests: int
    volumes_listed: int
    response_bytes: int


def timed_get(url: str) -> tuple[float, float, bytes]:
    """Seconds until the whole reply is read (the server's latency), seconds until it is also parsed (what a
    client waits for), and the reply."""
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as reply:
        body = reply.read()
    received = time.perf_counter() - start
    json.loads(body)
    return received, time.perf_counter() - start, body


def emulator_figures(url: str, size: int,
                     lookups: int = 20) -> tuple[list[float], float, list[float], list[float]]:
    """Latency over HTTP of the props-filtered lookup of one volume, of the first listing of all (every
    item written) and of the same listing again (items kept from the first), reply read; and of the
    latter with the reply parsed too."""
    from ansible_collections.linstor.incus.plugins.module_utils import _naming

    lookup_times = []
    for index in range(lookups):
        props = _naming.lookup_filters(benchlib.PREFIX, "containers", "default", f"c{(index * 997) % size}")
        query = urllib.parse.urlencode([("props", item) for item in props] + [("with_volume_definitions", "true")])
        lookup_times.append(timed_get(f"{url}/v1/resource-definitions?{query}")[0])
    query = urllib.parse.urlencode([("props", item) for item in _naming.listing_filters()]
                                   + [("with_volume_definitions", "true")])
    first_list = timed_get(f"{url}/v1/resource-definitions?{query}")[0]
    again = [timed_get(f"{url}/v1/resource-definitions?{query}") for _ in range(3)]
    return lookup_times, first_list, [item[0] for item in again], [item[1] for item in again]


def keep_alive_latency(url: str, count: int = 20) -> tuple[float, float]:
    """Median seconds of ``GET /v1/controller/version`` over one keep-alive ``requests`` session (as the
    modules send every request of a run) and over a new connection each time."""
    import requests

    session = requests.Session()
    session.get(url + "/v1/controller/version").raise_for_status()
    kept, fresh = [], []
    for _ in range(count):
        start = time.perf_counter()
        session.get(url + "/v1/controller/version").raise_for_status()
        kept.append(time.perf_counter() - start)
        start = time.perf_counter()
        requests.get(url + "/v1/controller/version").raise_for_status()
        fresh.append(time.perf_counter() - start)
    session.close()
    return median(kept), median(fresh)


def writes_per_second(url: str, count: int, threads: int, tag: str) -> float:
    """RD creates per second over HTTP (``threads`` clients at once), then the RDs are left in place
    (they carry no Incus keys, so the listings above are not affected)."""
    def write(indexes: range) -> None:
        for index in indexes:
            body = json.dumps({"resource_definition": {"name": f"w{tag}-{index}", "props": {"Aux/x": "1"}}}).encode()
            request = urllib.request.Request(url + "/v1/resource-definitions", data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=60).close()

    per = count // threads
    workers = [threading.Thread(target=write, args=(range(i * per, (i + 1) * per),)) for i in range(threads)]
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return per * threads / (time.perf_counter() - start)


def measure_size(directory: Path, size: int, repeats: int, writes: int) -> SizeFigures:
    big, empty = Emulator(directory, f"big-{size}"), Emulator(directory, f"empty-{size}")
    seed_seconds = big.seed(size, size // 5)
    empty.seed(1, 0)
    with big, empty:
        emulator_lookup, emulator_first_list, emulator_list, emulator_list_parsed = emulator_figures(big.url, size)
        listing = {"controllers": big.url, "resource_group": GROUP}
        requests, entries, run = big.log.count(lambda: run_module("linstor_incus_volume_info", listing))
        empty_run = run_module("linstor_incus_volume_info", {**listing, "controllers": empty.url})
        list_url = benchlib.query_url(big.url, entries[0])
        response_bytes = len(timed_get(list_url)[2])
        lookup = {"resource_group": GROUP, "name": "c0", "type": "container", "project": "default"}
        tasks = []
        for index in range(repeats):
            tasks += [
                {"name": f"uri-list {index}", "ansible.builtin.uri": {"url": list_url}},
                {"name": f"ours-list {index}",
                 "linstor.incus.linstor_incus_volume_info": {"controllers": big.url, **listing}},
                {"name": f"lookup-big {index}",
                 "linstor.incus.linstor_incus_volume_info": {"controllers": big.url, **lookup}},
                {"name": f"lookup-empty {index}",
                 "linstor.incus.linstor_incus_volume_info": {"controllers": empty.url, **lookup}},
            ]
        result = run_playbook(directory, [play(tasks)], f"scale-{size}")
        per_second = writes_per_second(big.url, writes, 1, "s")
        per_second_4 = writes_per_second(big.url, writes, 4, "p")
        keep_alive, new_connection = keep_alive_latency(big.url)
    return SizeFigures(size, seed_seconds, emulator_lookup, emulator_first_list, emulator_list, emulator_list_parsed,
                       per_second,
                       per_second_4, keep_alive, new_connection,
                       result.times("uri-list"), result.times("ours-list"), result.times("lookup-big"),
                       result.times("lookup-empty"), run.seconds, run.peak_rss_kib, empty_run.peak_rss_kib, requests,
                       len(run.result["volumes"]), response_bytes)


def profile_listing(directory: Path, size: int, top: int = 25) -> str:
    """cProfile of linstor_incus_volume_info listing ``size`` volumes (module run as its own process)."""
    emulator = Emulator(directory, f"profile-{size}")
    emulator.seed(size, size // 5)
    out = directory / f"profile-{size}.pstats"
    with emulator:
        run_module("linstor_incus_volume_info", {"controllers": emulator.url, "resource_group": GROUP},
                   profile_to=out)
    import io

    text = io.StringIO()
    stats = pstats.Stats(str(out), stream=text)
    stats.strip_dirs().sort_stats("cumulative").print_stats(top)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(lines[max(0, start - 2):])


def profile_emulator_listing(directory: Path, size: int, top: int = 15) -> str:
    """cProfile, in this process, of the emulator's backend answering the module's listing over ``size``
    volumes as the reply's JSON bytes (what the HTTP route sends), without HTTP."""
    import cProfile
    import io

    from linstor_emulator.backend import Backend

    state = directory / f"emulator-profile-{size}.sqlite3"
    benchlib.seed_state(state, size, size // 5)
    backend = Backend(state)
    from ansible_collections.linstor.incus.plugins.module_utils import _naming

    profiler = cProfile.Profile()
    profiler.enable()
    backend.list_resource_definitions_json(props=_naming.listing_filters(), with_volume_definitions=True)
    profiler.disable()
    backend.close()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).strip_dirs().sort_stats("cumulative").print_stats(top)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(lines[max(0, start - 2):])


def tables(figures: list[SizeFigures], repeats: int) -> list[Table]:
    largest = figures[-1]
    emulator = Table("Emulator: props-filtered requests and writes over HTTP",
                     ["Incus RDs (+ others)", "seed s", "lookup of 1 median s", "lookup max s",
                      "first list of all s", "list of all again median s", "again, reply parsed too, median s",
                      "reply MiB", "writes/s (1 client)",
                      "writes/s (4 clients)",
                      "GET keep-alive ms", "GET new connection ms"])
    for item in figures:
        emulator.add(f"{item.size} (+{item.size // 5})", item.seed_seconds, median(item.emulator_lookup),
                     max(item.emulator_lookup), item.emulator_first_list, median(item.emulator_list),
                     median(item.emulator_list_parsed), item.response_bytes / 2**20,
                     f"{item.writes_per_second:.0f}", f"{item.writes_per_second_4:.0f}", item.keep_alive * 1000,
                     item.new_connection * 1000)
    emulator.goals += [
        goal(f"emulator: props-filtered lookup over {largest.size} RDs, max s", max(largest.emulator_lookup), "<", 0.2),
        goal(f"emulator: props-filtered list of all {largest.size} volumes again, median s",
             median(largest.emulator_list), "<", 0.2),
        goal("emulator: a request on a kept-alive connection (as every module sends its 2nd+ request) / on a new "
             "one", ratio(largest.keep_alive, largest.new_connection), "<=", 2),
    ]
    emulator.notes += [
        "Lookup: the two `props` filters Incus uses for one volume (20 different volumes). List: the two aux-key "
        "presence filters (name, type) linstor_incus_volume_info sends, answering every Incus RD: the first time "
        "after the emulator started (it writes every RD's item), then 3 times again (items kept under each RD's "
        "version, rewritten only for RDs changed since; the goal is judged on these). Each time is taken when the "
        "whole reply has been read (the emulator's latency); the column \"reply parsed too\" adds the client's "
        "json.loads of it, which is not the emulator's work (about 0.1 s for 8 MiB here).",
        "Writes: `POST /v1/resource-definitions` (one RD, one property) in a row from 1 client, then from 4 threads.",
        "Keep-alive: `GET /v1/controller/version` over one requests.Session (how the modules send every request of "
        "a run) against a new connection per request; ~40 ms is the signature of Nagle's algorithm on the server "
        "meeting delayed ACKs on the client (reply headers and body written by two sends).",
        "Seed: state file filled through the emulator's Backend before the server starts (see bench/benchlib.py).",
    ]

    module = Table(f"linstor_incus_volume_info at scale (playbook, {repeats} interleaved repeats, medians, s per task)",
                   ["Incus RDs", "uri GET list", "volume_info list", "ratio ours/uri", "lookup (big)",
                    "lookup (1 RD)", "ratio big/1", "requests", "listed"])
    for item in figures:
        module.add(item.size, median(item.uri_list), median(item.ours_list),
                   ratio(median(item.ours_list), median(item.uri_list)), median(item.lookup_big),
                   median(item.lookup_empty), ratio(median(item.lookup_big), median(item.lookup_empty)),
                   item.requests, item.volumes_listed)
    module.goals += [
        goal(f"volume_info list / uri GET of the same list, {largest.size} volumes",
             ratio(median(largest.ours_list), median(largest.uri_list)), "<=", 1.2),
        goal(f"volume_info lookup of 1 volume, {largest.size} volumes / 1 volume",
             ratio(median(largest.lookup_big), median(largest.lookup_empty)), "<=", 1.5),
        goal(f"volume_info list requests, {largest.size} volumes", largest.requests, "==", 1),
    ]
    module.notes += [
        "Each time is one task from its start to its result (bench_timer callback): fork, module transfer, run, "
        "result processing in ansible-playbook. The uri task replays the exact URL the module sent (request log).",
        "The lookup compares the same lookup of c0 on the big emulator and on one holding only c0.",
    ]

    memory = Table("Module process over the listing (python -m, no Ansible around it)",
                   ["Incus RDs", "wall s", "peak RSS MiB", "peak RSS, 1-volume emulator MiB", "growth MiB",
                    "KiB per volume"])
    for item in figures:
        growth = (item.module_peak_kib - item.empty_peak_kib) / 1024
        memory.add(item.size, item.module_seconds, item.module_peak_kib / 1024, item.empty_peak_kib / 1024,
                   growth, growth * 1024 / item.size)
    memory.notes.append("Peak RSS: VmHWM of the module's own process at exit (see benchlib.run_module for why not "
                        "ru_maxrss), listing the group; the 1-volume column is the same run on the 1-RD emulator.")
    growth = Table("Growth: each figure at this size / the same figure at the previous size (10x the volumes)",
                   ["Incus RDs", "emulator lookup", "emulator list", "uri GET list", "volume_info list",
                    "lookup (big)", "module wall", "module peak RSS", "requests"])
    for previous, item in zip(figures, figures[1:], strict=False):
        growth.add(f"{previous.size} -> {item.size}",
                   *[f"x{ratio(now, before):.2f}" for now, before in (
                       (median(item.emulator_lookup), median(previous.emulator_lookup)),
                       (median(item.emulator_list), median(previous.emulator_list)),
                       (median(item.uri_list), median(previous.uri_list)),
                       (median(item.ours_list), median(previous.ours_list)),
                       (median(item.lookup_big), median(previous.lookup_big)),
                       (item.module_seconds, previous.module_seconds),
                       (item.module_peak_kib, previous.module_peak_kib),
                       (item.requests, previous.requests))])
    growth.notes.append("Listings grow with the volumes (the reply holds them all; x10 would be linear); the lookup "
                        "and the request count should stay at x1.")
    return [emulator, module, memory] + ([growth] if growth.rows else [])


def run(directory: Path, sizes: list[int], repeats: int = 3, writes: int = 200, profile: bool = True) -> list:
    figures = []
    for size in sizes:
        print(f"scale: {size} volumes …", file=sys.stderr, flush=True)
        figures.append(measure_size(directory / str(size), size, repeats, writes))
    sections: list = tables(figures, repeats)
    if profile:
        sections.append(("cProfile: linstor_incus_volume_info listing "
                         f"{sizes[-1]} volumes (module process, cumulative)", profile_listing(directory, sizes[-1])))
        sections.append((f"cProfile: the emulator's backend listing {sizes[-1]} volumes as the reply's JSON bytes "
                         "(in process, no HTTP)", profile_emulator_listing(directory, sizes[-1])))
    return sections


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    directory = benchlib.workdir("scale")
    try:
        for section in run(directory, [int(size) for size in options.sizes.split(",")], options.repeats):
            print(benchlib.render(section))
    finally:
        benchlib.remove(directory)


if __name__ == "__main__":
    main()
