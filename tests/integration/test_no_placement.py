"""The LS_TEST_PLACEMENT=none switch of CI's real-linstor job, proven here on an emulator that cannot place.

That job's LINSTOR has no DRBD, so autoplace fails there and the targets must skip what needs placed
resources while running everything on definitions. An emulator seeded with no satellite
(``linstor-emulator --nodes 0``, the ``controller_without_placement`` fixture) fails autoplace the same
way; every integration target that has steps to skip is run against it with LS_TEST_PLACEMENT=none, and
must pass, say that it skipped them, and report skipped tasks. A target whose guards were missing would
try to place (or snapshot) and fail here. Skipped with LS_CONTROLLERS set: only an emulator can be made
unable to place.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from test_targets import TARGETS, run_target

MARKER = "LS_TEST_PLACEMENT=none: skipping"
"""What a target prints (a debug task) when it skips its steps that need placed resources."""
WITHOUT_PLACED_STEPS = {"linstor_incus_resource_group", "role_pool"}
"""Targets with nothing that needs placement (resource groups, and an RD without resources): they do not read
LS_TEST_PLACEMENT and run whole. Left out here to keep this test near 2.5 minutes on 2 cores; the real-linstor
job runs them."""
GUARDED_TARGETS = [target for target in TARGETS if target not in WITHOUT_PLACED_STEPS]


def call(base: str, method: str, path: str, body: object = None) -> tuple[int, list | dict]:
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body or {}).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_the_emulator_without_nodes_cannot_place(controller_without_placement) -> None:
    """Definitions are made; autoplace, a spawn that places, and a snapshot get LINSTOR's errors."""
    base = controller_without_placement.api_url
    group, rd = "noplace" + uuid.uuid4().hex[:8], "noplace-" + uuid.uuid4().hex[:16]
    assert call(base, "POST", "/v1/resource-groups", {"name": group, "select_filter": {"place_count": 2}})[0] == 201
    try:
        status = call(base, "POST", f"/v1/resource-groups/{group}/spawn", {
            "resource_definition_name": rd, "volume_sizes": [1024], "definitions_only": True})[0]
        assert status == 201, "definitions are made without any node"
        status, entries = call(base, "POST", f"/v1/resource-definitions/{rd}/autoplace", {})
        assert status == 500 and entries[0]["message"] == "Not enough available nodes", entries
        status, entries = call(base, "POST", f"/v1/resource-groups/{group}/spawn", {
            "resource_definition_name": rd + "x", "volume_sizes": [1024]})
        assert status == 500 and entries[0]["message"] == "Not enough available nodes", entries
        status, entries = call(base, "POST", f"/v1/resource-definitions/{rd}/snapshots", {"name": "s1"})
        assert status >= 400 and entries[0]["ret_code"] < 0, entries
        assert call(base, "GET", "/v1/view/resources")[1] == []
    finally:
        call(base, "DELETE", f"/v1/resource-definitions/{rd}")
        call(base, "DELETE", f"/v1/resource-groups/{group}")


@pytest.mark.parametrize("target", GUARDED_TARGETS)
def test_target_without_placement(target: str, controller_without_placement, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LS_TEST_PLACEMENT", "none")
    result = run_target(target, controller_without_placement, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"target {target} failed without placement:\n{output[-20000:]}"
    recap = re.search(r"^localhost\s*:.*\bfailed=(\d+)\b.*\bskipped=(\d+)", result.stdout, re.MULTILINE)
    assert recap and recap.group(1) == "0", output[-5000:]
    assert MARKER in result.stdout, f"target {target} did not say it skipped its placement steps"
    assert int(recap.group(2)) > 0, "Ansible reported no skipped task"
    # Nothing was ever placed or snapshotted: the emulator has no node to place on.
    assert call(controller_without_placement.api_url, "GET", "/v1/view/resources")[1] == []
