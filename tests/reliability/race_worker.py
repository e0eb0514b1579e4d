"""One racer: import the module, say it is ready, wait for the start signal, run the module as Ansible
runs a module file (``python -m <module> args.json``: AnsibleModule reads the arguments from the file).

Usage: race_worker.py MODULE ARGS_JSON READY_FILE GO_FILE TIMEOUT_SECONDS. Prints the module's JSON
result on stdout. Waiting is bounded: with no start signal within TIMEOUT_SECONDS it exits 3.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path


def main() -> int:
    module, args_file, ready, go, timeout = sys.argv[1:6]
    main_function = importlib.import_module(f"ansible_collections.linstor.incus.plugins.modules.{module}").main
    import requests  # noqa: F401 - imported before the start, like the module's own imports

    Path(ready).touch()
    deadline = time.monotonic() + float(timeout)
    while not Path(go).exists():
        if time.monotonic() > deadline:
            return 3
        time.sleep(0.001)
    sys.argv = [module, args_file]
    main_function()  # exits through exit_json / fail_json
    return 0


if __name__ == "__main__":
    sys.exit(main())
