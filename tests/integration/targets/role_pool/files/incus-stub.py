# A stand-in for the incus client, for the tests of the linstor.incus.pool role.
# Records each call's arguments (one JSON list per line) in calls.jsonl next to itself, and keeps
# the pools it "created" in pools.json there: `storage show` answers with YAML for those, and
# "Error: Storage pool not found" (exit 1) otherwise.
import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
CALLS = os.path.join(HERE, "calls.jsonl")
POOLS = os.path.join(HERE, "pools.json")


def load() -> dict:
    if os.path.exists(POOLS):
        with open(POOLS) as handle:
            return json.load(handle)
    return {}


def save(pools: dict) -> None:
    with open(POOLS, "w") as handle:
        json.dump(pools, handle)


def main(args: list[str]) -> int:
    with open(CALLS, "a") as handle:
        handle.write(json.dumps(args) + "\n")
    pools = load()
    if args == ["--version"]:
        print("6.0.0")
        return 0
    if args[:2] == ["storage", "show"] and len(args) == 3:
        pool = pools.get(args[2])
        if pool is None:
            print("Error: Storage pool not found", file=sys.stderr)
            return 1
        print(yaml.safe_dump(pool, default_flow_style=False), end="")
        return 0
    if args[:2] == ["storage", "create"] and len(args) >= 4:
        name, driver = args[2], args[3]
        if name in pools:
            print("Error: Storage pool already exists", file=sys.stderr)
            return 1
        config = dict(item.split("=", 1) for item in args[4:])
        config.setdefault("source", config.get("linstor.resource_group.name", name))
        pools[name] = {"config": config, "description": "", "name": name, "driver": driver,
                       "used_by": [], "status": "Created", "locations": ["none"]}
        save(pools)
        print(f"Storage pool {name} created")
        return 0
    if args[:2] == ["storage", "set"] and len(args) >= 4:
        pool = pools.get(args[2])
        if pool is None:
            print("Error: Storage pool not found", file=sys.stderr)
            return 1
        pool["config"].update(dict(item.split("=", 1) for item in args[3:]))
        save(pools)
        return 0
    print(f"Error: the stub does not know {args}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
