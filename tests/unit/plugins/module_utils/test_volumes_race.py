"""Runs that create the same volume at the same moment settle on one RD (against the controller)."""

from __future__ import annotations

import threading
import uuid

import pytest
from ansible_collections.linstor.incus.plugins.module_utils._client import ConnectionSettings, LinstorClient
from ansible_collections.linstor.incus.plugins.module_utils._volumes import ensure_volume

RUNS = 8
ROUNDS = 3


def create_together(settings: ConnectionSettings, params: dict) -> tuple[list[dict], list[BaseException]]:
    """RUNS threads, each with its own client, released at once to create the same volume."""
    barrier = threading.Barrier(RUNS, timeout=30)
    results: list[dict] = []
    errors: list[BaseException] = []

    def create() -> None:
        client = LinstorClient(settings)
        barrier.wait()
        try:
            results.append(ensure_volume(client, params, warnings=[]))
        except BaseException as error:  # noqa: BLE001 - collected and asserted by the caller
            errors.append(error)

    threads = [threading.Thread(target=create) for _run in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


@pytest.mark.usefixtures("needs_placement")  # every run creates, so autoplaces: LS_TEST_PLACEMENT=none skips
def test_concurrent_creates_of_one_volume_leave_exactly_one_rd(controller) -> None:
    prefix = "race" + uuid.uuid4().hex[:6] + "-"
    settings = ConnectionSettings.from_params({"controllers": controller.controllers}, {}, [])
    client = LinstorClient(settings)
    for round_number in range(ROUNDS):
        name = f"c{round_number}"
        results, errors = create_together(settings, {
            "name": name, "type": "container", "size": "8MiB", "prefix": prefix,
            "resource_group": "DfltRscGrp", "state": "present"})
        assert not errors, errors
        assert len(results) == RUNS

        claimants = client.list_resource_definitions(props=[f"Aux/Incus/name={prefix}{name}"])
        assert len(claimants) == 1, [rd["name"] for rd in claimants]
        survivor = claimants[0]["name"]
        created = [result for result in results if result["changed"]]
        assert [result["volume"]["resource_definition"] for result in created] == [survivor], (
            "exactly one run reports that it created the volume, and its RD is the one left")
        settled = [result for result in results if "concurrent_create" in result]
        assert all(result["concurrent_create"]["survivor"].startswith(prefix) for result in settled)
        # Runs that started late saw a twin already there (no change); the twin they saw may have
        # yielded since, so only the prefix of what they report is certain.
        assert all(result["volume"]["resource_definition"].startswith(prefix) for result in results)
        deleted = [result["concurrent_create"]["deleted"] for result in settled]
        assert not deleted or client.list_resource_definitions(names=deleted) == []
        client.delete_resource_definition(survivor)
