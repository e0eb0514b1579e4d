"""Which resources are in use, read before a delete or restore deletes snapshots (``_volumes.busy_nodes``),
against the emulator: only it can mark a resource in use (``Emulator/InUse``), and its request log counts
the reads."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from ansible_collections.linstor.incus.plugins.module_utils._client import (
    FAIL_IN_USE,
    ConnectionSettings,
    LinstorClient,
    LinstorStopped,
)
from ansible_collections.linstor.incus.plugins.module_utils._volumes import Outcome, busy_nodes, delete_rd

RESOURCE_VIEWS = "/v1/view/resources"


@pytest.fixture
def client(controller) -> LinstorClient:
    controller.debug  # noqa: B018 - skips on a real controller: only the emulator marks a resource in use
    return LinstorClient(ConnectionSettings.from_params({"controllers": controller.controllers}, {}, []))


def placed_rd(client: LinstorClient) -> tuple[str, list[str]]:
    """A new RD placed on two nodes, and those nodes."""
    name = "inuse" + uuid.uuid4().hex[:10]
    client.create_resource_definition(name, "DfltRscGrp", {})
    definition = {"volume_definition": {"size_kib": 8192}}
    client.request("POST", f"/v1/resource-definitions/{name}/volume-definitions", body=definition)
    client.autoplace(name, 2)
    return name, sorted(resource["node_name"] for resource in client.view_resources([name]))


def mark_in_use(client: LinstorClient, rd_name: str, node: str, in_use: bool) -> None:
    body = {"override_props": {"Emulator/InUse": "true"}} if in_use else {"delete_props": ["Emulator/InUse"]}
    client.request("PUT", f"/v1/resource-definitions/{rd_name}/resources/{node}", body=body)


def resource_reads(controller) -> int:
    return sum(entry["path"] == RESOURCE_VIEWS for entry in controller.requests_log())


@pytest.mark.usefixtures("needs_placement")
def test_busy_nodes_reads_all_in_one_request_and_again_while_any_is_in_use(controller, client) -> None:
    busy, busy_nodes_of = placed_rd(client)
    idle, _idle_nodes = placed_rd(client)
    mark_in_use(client, busy, busy_nodes_of[1], True)

    controller.clear_requests_log()
    assert busy_nodes(client, [busy.upper(), idle], 2, 0.01, False) == {busy.lower(): [busy_nodes_of[1]]}
    assert resource_reads(controller) == 3  # the first read, then two more while one is in use

    controller.clear_requests_log()
    assert busy_nodes(client, [busy, idle], 2, 0.01, True) == {busy.lower(): [busy_nodes_of[1]]}
    assert resource_reads(controller) == 1  # check mode: the first read is the answer

    mark_in_use(client, busy, busy_nodes_of[1], False)
    controller.clear_requests_log()
    assert busy_nodes(client, [busy, idle], 2, 0.01, False) == {}
    assert resource_reads(controller) == 1

    resources = client.view_resources([busy])  # a read the caller has is the first one
    controller.clear_requests_log()
    assert busy_nodes(client, [busy], 2, 0.01, False, resources) == {}
    assert resource_reads(controller) == 0
    for name in (busy, idle):
        client.delete_resource_definition(name)


def stop_soon(client: LinstorClient) -> None:
    threading.Timer(0.3, client.request_stop, ("SIGTERM",)).start()


@pytest.mark.usefixtures("needs_placement")
def test_a_stop_cuts_short_the_waits_for_a_resource_in_use(controller, client) -> None:
    name, nodes = placed_rd(client)
    mark_in_use(client, name, nodes[0], True)

    stop_soon(client)
    started = time.monotonic()
    with pytest.raises(LinstorStopped):  # the read after the pause ends the run
        busy_nodes(client, [name], 5, 60, False)
    assert time.monotonic() - started < 10

    stopped = LinstorClient(ConnectionSettings.from_params({"controllers": controller.controllers}, {}, []))
    controller.clear_requests_log()
    stop_soon(stopped)
    started = time.monotonic()
    with stopped.run_to_the_end("deleting it"), pytest.raises(LinstorStopped) as refusal:
        delete_rd(stopped, name, 5, 60, Outcome(None))
    assert time.monotonic() - started < 10
    # the failure names the stop, and keeps the delete's own refusal, after one try: the stop ended the retries
    assert str(refusal.value).startswith(f"stopped by SIGTERM while retrying the delete of resource definition {name}, "
                                         "which LINSTOR refused again; run the task again to finish. LINSTOR's last "
                                         "answer: ")
    assert refusal.value.code == FAIL_IN_USE and refusal.value.to_dict()["errors"]
    assert not stopped.stop_pending  # acted on: no later request is refused for it
    assert sum(entry["method"] == "DELETE" for entry in controller.requests_log()) == 1
    assert client.get_resource_definition(name) is not None

    mark_in_use(client, name, nodes[0], False)
    client.delete_resource_definition(name)
