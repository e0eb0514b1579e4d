"""Copies and restores on a controller older than LINSTOR 1.32, played by ``linstor-emulator --linstor-version 1.30.4``.

Before 1.32 (REST API 1.26) LINSTOR's clone request has no ``override_props``, ``delete_props`` or
``delete_namespaces`` (a body naming them is refused as unparseable), and an RD modify whose only
change is ``delete_namespaces`` changes nothing. The modules ask the controller's version before a
clone and then do what Incus does: clone, then give the copy its own identity with one PUT, dropping
the inherited snapshot mappings by name. Before 1.32 a rollback also leaves the volume definitions'
sizes as they are, and a restore reports them so. Emulator only (the reliability tests are skipped with
LS_CONTROLLERS set).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from reliability_harness import Env, connection, rds_claiming, run_module, start_env

VOLUME = "linstor_incus_volume"
SNAPSHOT = "linstor_incus_snapshot"
PER_SNAPSHOT = ("Aux/Incus/snapshot-name/", "Aux/Incus/SnapshotName/", "Aux/linstor-incus/")


@pytest.fixture(scope="module")
def old_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    environment = start_env(tmp_path_factory.mktemp("linstor-1.30"), extra=("--linstor-version", "1.30.4"))
    try:
        yield environment
    finally:
        environment.process.stop()


def rd_props(env: Env, name: str) -> dict[str, str]:
    [rd] = env.get("/v1/resource-definitions", resource_definitions=name)
    return rd.get("props") or {}


def test_the_emulator_answers_as_linstor_1_30(old_env: Env) -> None:
    assert old_env.get("/v1/controller/version")["rest_api_version"] == "1.24.0"
    old_env.must(VOLUME, name="probe", type="custom", size="8MiB")
    [rd] = rds_claiming(old_env, "default_probe")
    refused = requests.post(f"{old_env.url}/v1/resource-definitions/{rd}/clone",
                            json={"name": "probe-copy", "override_props": {}}, timeout=30)
    assert refused.status_code >= 400 and refused.json()[0]["message"] == "Unable to parse input json."
    requests.put(f"{old_env.url}/v1/resource-definitions/{rd}", json={"override_props": {"Aux/ns/a": "1"}},
                 timeout=30).raise_for_status()
    requests.put(f"{old_env.url}/v1/resource-definitions/{rd}", json={"delete_namespaces": ["Aux/ns"]},
                 timeout=30).raise_for_status()
    assert rd_props(old_env, rd)["Aux/ns/a"] == "1", "1.30 ignores a modify that only deletes namespaces"
    old_env.must(VOLUME, name="probe", type="custom", state="absent")


def test_a_copy_clones_then_takes_its_own_identity(old_env: Env) -> None:
    old_env.must(VOLUME, name="c1", type="container", size="64MiB", properties={"Aux/site": "lab"})
    old_env.must(SNAPSHOT, volume="c1", type="container", name="s1")
    [source] = rds_claiming(old_env, "c1")
    before = rd_props(old_env, source)
    old_env.debug.clear_requests()

    predicted = old_env.run(VOLUME, check_mode=True, name="c2", type="container", source={"volume": "c1"})
    assert predicted.changed and not old_env.writes()

    copied = old_env.run(VOLUME, name="c2", type="container", source={"volume": "c1"})
    assert not copied.failed, copied.msg
    assert copied.changed and copied.result["volume"]["properties"]["Aux/site"] == "lab"
    writes = old_env.writes()
    assert [(entry["method"], entry["path"]) for entry in writes[:2]] == [
        ("POST", f"/v1/resource-definitions/{source}/clone"),
        ("PUT", f"/v1/resource-definitions/{copied.result['volume']['resource_definition']}")]
    assert writes[0]["body"] == {"name": copied.result["volume"]["resource_definition"]}
    assert len(writes) == 2 and all(entry["status"] < 400 for entry in writes), writes

    [copy] = rds_claiming(old_env, "c2")
    props = rd_props(old_env, copy)
    assert props["Aux/Incus/name"] == "incus-volume-c2" and props["cloned-from"] == source
    assert not [key for key in props if key.startswith(PER_SNAPSHOT)]
    assert rds_claiming(old_env, "c1") == [source] and rd_props(old_env, source) == before
    again = old_env.run(VOLUME, name="c2", type="container", source={"volume": "c1"})
    assert not again.failed and not again.changed


def test_a_copy_from_a_snapshot_drops_the_captured_keys_by_name(old_env: Env) -> None:
    old_env.must(VOLUME, name="d1", type="custom", size="32MiB")
    old_env.must(SNAPSHOT, volume="d1", type="custom", name="early")
    old_env.must(SNAPSHOT, volume="d1", type="custom", name="s0")
    old_env.debug.clear_requests()
    copied = old_env.run(VOLUME, name="d2", type="custom", source={"volume": "d1", "snapshot": "s0"})
    assert not copied.failed and copied.changed, copied.msg
    [copy] = rds_claiming(old_env, "default_d2")
    props = rd_props(old_env, copy)
    assert props["Aux/Incus/name"] == "incus-volume-default_d2"
    assert not [key for key in props if key.startswith(PER_SNAPSHOT)]
    assert len(rds_claiming(old_env, "default_d1")) == 1
    assert all(entry["status"] < 400 for entry in old_env.writes())


ON_NO_QUORUM = "DrbdOptions/Resource/on-no-quorum"


@pytest.mark.parametrize(("module", "asked"), [
    (VOLUME, {"drbd_options": {"on_no_quorum": "suspend-io"}}),
    ("linstor_incus_volumes", {"drbd_options": {"on_no_quorum": "suspend-io"}}),
    (VOLUME, {"properties": {ON_NO_QUORUM: None}}),  # none on the RD: the group's applies
])
def test_a_new_volume_keeps_the_on_no_quorum_asked_for(old_env: Env, module: str, asked: dict) -> None:
    """Before 1.31 LINSTOR's auto-quorum (DrbdOptions/auto-quorum, io-error on the controller) writes quorum and
    on-no-quorum on an RD once its placement makes quorum feasible, over what it was spawned with. The create
    puts the requested on-no-quorum back, or deletes it when it was asked for as null (a PUT of it runs no
    auto-quorum), says so, and a second run finds nothing to change."""
    name = f"q-{module[-1]}-{len(asked['properties']) if 'properties' in asked else 0}"
    volume = {"name": name, "type": "custom", "size": "8MiB", **asked}
    args = volume if module == VOLUME else {"volumes": [volume]}
    wanted = "suspend-io" if "drbd_options" in asked else None
    old_env.debug.clear_requests()
    created = old_env.run(module, **args)
    assert not created.failed and created.changed, created.msg
    [rd] = rds_claiming(old_env, f"default_{name}")
    props = rd_props(old_env, rd)
    assert (props["DrbdOptions/Resource/quorum"], props.get(ON_NO_QUORUM)) == ("majority", wanted)
    assert [warning for warning in created.warnings if warning.startswith(
        f"LINSTOR set {ON_NO_QUORUM} to 'io-error' on resource definition {rd} while placing")]
    puts = [entry["body"] for entry in old_env.writes() if entry["method"] == "PUT"]
    assert [(body["override_props"], body["delete_props"]) for body in puts] == [
        ({ON_NO_QUORUM: wanted}, []) if wanted else ({}, [ON_NO_QUORUM])]
    if module == VOLUME:
        assert created.result["volume"]["properties"].get(ON_NO_QUORUM) == wanted
    again = old_env.run(module, **args)
    assert not again.failed and not again.changed, again.msg
    assert not [warning for warning in again.warnings if warning.startswith("LINSTOR set")]


@pytest.mark.parametrize(("asked", "wanted"), [({}, "suspend-io"), ({"properties": {ON_NO_QUORUM: None}}, None)])
def test_a_copy_from_a_snapshot_keeps_its_source_s_on_no_quorum(
        old_env: Env, asked: dict, wanted: str | None) -> None:
    """Restoring the copy's resources runs LINSTOR's auto-quorum, which before 1.31 overwrites the on-no-quorum the
    snapshot kept (the source's): the one PUT after the restore writes it again (or, asked for as null, removes it),
    and a second run changes nothing."""
    source = f"cs{len(asked)}"
    old_env.must(VOLUME, name=source, type="custom", size="8MiB", drbd_options={"on_no_quorum": "suspend-io"})
    old_env.must(SNAPSHOT, volume=source, type="custom", name="s1")
    copy = {"name": f"{source}-copy", "type": "custom", "source": {"volume": source, "snapshot": "s1"}, **asked}
    old_env.debug.clear_requests()
    made = old_env.run(VOLUME, **copy)
    assert not made.failed and made.changed, made.msg
    [rd] = rds_claiming(old_env, f"default_{source}-copy")
    assert rd_props(old_env, rd).get(ON_NO_QUORUM) == wanted
    assert made.result["volume"]["properties"].get(ON_NO_QUORUM) == wanted
    assert not [warning for warning in made.warnings if warning.startswith("LINSTOR ")], made.warnings
    [identity, *rest] = [entry["body"] for entry in old_env.writes() if entry["method"] == "PUT"]
    assert identity["override_props"].get(ON_NO_QUORUM) == wanted, identity
    assert [body["delete_props"] for body in rest] == ([[ON_NO_QUORUM]] if asked else []), rest
    again = old_env.run(VOLUME, **copy)
    assert not again.failed and not again.changed, again.msg


def test_a_pool_s_on_no_quorum_holds_with_the_same_auto_quorum(old_env: Env) -> None:
    """Before 1.31 a pool's on_no_quorum (suspend-io, as Incus sets it on the group) is overridden on each placed RD
    by LINSTOR's auto-quorum (the controller's io-error); DrbdOptions/auto-quorum set to the same value in the
    group's properties, as docs/guide.md says, makes it hold."""
    group = {**connection(old_env.url), "name": "quorumgrp", "place_count": 2}
    made = run_module("linstor_incus_resource_group", group)
    assert not made.failed and made.result["resource_group"]["props"]["DrbdOptions/Resource/on-no-quorum"] == (
        "suspend-io"), made.result
    [warning] = [text for text in made.warnings if "drbd_options.on_no_quorum" in text]
    assert "'io-error' on the controller" in warning and "DrbdOptions/auto-quorum: suspend-io" in warning, warning
    predicted = run_module("linstor_incus_resource_group", {**group, "name": "quorumgrp2"}, check_mode=True)
    assert predicted.changed and warning.replace("quorumgrp", "quorumgrp2") in predicted.warnings, "check mode too"
    old_env.debug.clear_requests()
    recounted = run_module("linstor_incus_resource_group", {**group, "place_count": 3}, check_mode=True)
    assert recounted.changed and not [text for text in recounted.warnings if "on_no_quorum" in text]
    assert "/v1/controller/version" not in [entry["path"] for entry in old_env.debug.requests()], \
        "a change that writes neither quorum property reads no more than before"
    old_env.must(VOLUME, resource_group="quorumgrp", name="pq1", type="custom", size="8MiB")
    [rd] = rds_claiming(old_env, "default_pq1")
    assert rd_props(old_env, rd)["DrbdOptions/Resource/on-no-quorum"] == "io-error", "the group's suspend-io lost"
    auto_quorum = {"DrbdOptions/auto-quorum": "suspend-io"}
    changed = run_module("linstor_incus_resource_group", {**group, "properties": auto_quorum})
    assert not changed.failed and changed.changed, changed.msg
    assert not [text for text in changed.warnings if "on_no_quorum" in text], changed.warnings
    [listed] = old_env.get("/v1/resource-groups", resource_groups="quorumgrp")
    assert listed["props"]["DrbdOptions/Resource/on-no-quorum"] == "suspend-io"
    assert rd_props(old_env, rd)["DrbdOptions/Resource/on-no-quorum"] == "suspend-io", "its RDs follow at once"
    old_env.must(VOLUME, resource_group="quorumgrp", name="pq2", type="custom", size="8MiB")
    [second] = rds_claiming(old_env, "default_pq2")
    assert rd_props(old_env, second)["DrbdOptions/Resource/on-no-quorum"] == "suspend-io"


@pytest.mark.parametrize(("controller_policy", "warned"), [("disabled", False), ("suspend-io", False),
                                                           (None, False), ("io-error", True)])
def test_the_pool_warning_reads_the_controller_s_auto_quorum(tmp_path: Path, controller_policy: str | None,
                                                             warned: bool) -> None:
    """The controller's DrbdOptions/auto-quorum (None: deleted, so off) decides whether the pool's on_no_quorum
    holds; from 1.31 nothing is read beyond the group (no warning, no request for the controller's properties)."""
    env = start_env(tmp_path, extra=("--linstor-version", "1.30.4"))
    try:
        policy = {"DrbdOptions/auto-quorum": controller_policy}
        change = {"override_props": policy} if controller_policy else {"delete_props": list(policy)}
        requests.post(env.url + "/v1/controller/properties", json=change, timeout=30).raise_for_status()
        made = run_module("linstor_incus_resource_group", {**connection(env.url), "name": "qwarn"})
        assert not made.failed, made.msg
        assert any("drbd_options.on_no_quorum" in text for text in made.warnings) == warned, made.warnings
    finally:
        env.process.stop()
    env = start_env(tmp_path / "new", extra=("--linstor-version", "1.31.0"))
    try:
        env.debug.clear_requests()
        made = run_module("linstor_incus_resource_group", {**connection(env.url), "name": "qwarn"})
        assert not made.failed and not made.warnings, made.warnings
        assert [entry["path"] for entry in env.debug.requests() if entry["method"] == "GET"] == [
            "/v1/resource-groups/qwarn", "/v1/controller/version", "/v1/view/storage-pools"]
        env.debug.clear_requests()
        again = run_module("linstor_incus_resource_group", {**connection(env.url), "name": "qwarn"})
        assert not again.changed and [entry["path"] for entry in env.debug.requests()] == [
            "/v1/resource-groups/qwarn"], "a run that changes nothing reads the group only"
    finally:
        env.process.stop()


def test_a_restore_reports_the_sizes_the_rollback_leaves(old_env: Env) -> None:
    old_env.must(VOLUME, name="r1", type="custom", size="32MiB")
    old_env.must(SNAPSHOT, volume="r1", type="custom", name="before")
    old_env.must(VOLUME, name="r1", type="custom", size="64MiB")
    predicted = old_env.run(SNAPSHOT, check_mode=True, volume="r1", type="custom", name="before", state="restored")
    restored = old_env.run(SNAPSHOT, volume="r1", type="custom", name="before", state="restored")
    assert not restored.failed and restored.changed, restored.msg
    [rd] = rds_claiming(old_env, "default_r1")
    [listed] = old_env.get("/v1/resource-definitions", resource_definitions=rd, with_volume_definitions="true")
    assert [vd["size_kib"] for vd in listed["volume_definitions"]] == [65536], "1.30 keeps the grown size"
    for run in (predicted, restored):
        assert [vd["size_kib"] for vd in run.result["volume"]["volume_definitions"]] == [65536]


def test_from_1_31_3_a_restore_reports_the_snapshot_s_sizes(tmp_path: Path) -> None:
    """1.31.3 reports the REST API version of 1.31.2 (1.25.1) but resets the sizes: the release decides."""
    env = start_env(tmp_path, extra=("--linstor-version", "1.31.3"))
    try:
        env.must(VOLUME, name="r2", type="custom", size="32MiB")
        env.must(SNAPSHOT, volume="r2", type="custom", name="before")
        env.must(VOLUME, name="r2", type="custom", size="64MiB")
        restored = env.run(SNAPSHOT, volume="r2", type="custom", name="before", state="restored")
        assert not restored.failed, restored.msg
        [rd] = rds_claiming(env, "default_r2")
        [listed] = env.get("/v1/resource-definitions", resource_definitions=rd, with_volume_definitions="true")
        assert [vd["size_kib"] for vd in listed["volume_definitions"]] == [32768]
        assert [vd["size_kib"] for vd in restored.result["volume"]["volume_definitions"]] == [32768]
    finally:
        env.process.stop()


@pytest.mark.parametrize("release", ["1.31.0", "1.31.3"])
def test_a_restore_keeps_the_aux_properties_a_rollback_via_restore_copies_back(tmp_path: Path, release: str) -> None:
    """From 1.31 LINSTOR may roll back by restoring the snapshot into the RD, which copies the RD properties the
    snapshot captured over the RD's own (before 1.32 always). The volume keeps its Incus name, mappings and tags
    (every Aux/ key as before the rollback); other properties are as LINSTOR's rollback left them, and reported."""
    env = start_env(tmp_path, extra=("--linstor-version", release))
    try:
        env.must(VOLUME, name="old", type="custom", size="32MiB",
                 properties={"Aux/tag": "a", "DrbdOptions/Net/max-buffers": "8000"})
        env.must(SNAPSHOT, volume="old", type="custom", name="s0")
        env.must(SNAPSHOT, volume="old", type="custom", name="s1")
        env.must(SNAPSHOT, volume="old", type="custom", name="s0", state="absent")
        env.must(VOLUME, name="new", rename_from="old", type="custom",
                 properties={"Aux/tag": "b", "DrbdOptions/Net/max-buffers": "9000"})
        restored = env.run(SNAPSHOT, volume="new", type="custom", name="s1", state="restored")
        assert not restored.failed and restored.changed, restored.msg
        assert rds_claiming(env, "default_old") == []
        [rd] = rds_claiming(env, "default_new")
        props = rd_props(env, rd)
        assert props["Aux/tag"] == "b"
        assert [key for key in props if key.startswith(PER_SNAPSHOT)] == ["Aux/Incus/snapshot-name/s1"]
        assert props["DrbdOptions/Net/max-buffers"] == "8000", "LINSTOR's rollback set the snapshot's value back"
        assert restored.result["volume"]["name"] == "new"
        assert restored.result["volume"]["properties"] == props
        assert [entry["name"] for entry in restored.result["snapshots"]] == ["s1"]
        again = env.run(VOLUME, name="new", type="custom", check_mode=True,
                        properties={"Aux/tag": "b", "DrbdOptions/Net/max-buffers": "9000"})
        assert again.changed and again.result["volume"]["name"] == "new", "the volume is found by its name"
    finally:
        env.process.stop()


def test_a_rollback_whose_reply_is_lost_still_gets_its_aux_properties_back(tmp_path: Path) -> None:
    """The rollback ran (a 1.31 rollback by restore took the old name back) but its reply was lost: the run fails,
    and the Aux/ properties are put back all the same, so the volume keeps its name."""
    env = start_env(tmp_path, extra=("--linstor-version", "1.31.3"))
    try:
        env.must(VOLUME, name="old", type="custom", size="32MiB")
        env.must(SNAPSHOT, volume="old", type="custom", name="s1")
        env.must(VOLUME, name="new", rename_from="old", type="custom")
        env.debug.add_fault("drop_after", "/v1/resource-definitions/[^/]+/snapshot-rollback/.*", "POST")
        restored = env.run(SNAPSHOT, volume="new", type="custom", name="s1", state="restored")
        assert restored.failed and restored.traceback is None
        assert rds_claiming(env, "default_old") == []
        assert len(rds_claiming(env, "default_new")) == 1
    finally:
        env.process.stop()


def test_a_read_back_that_fails_after_the_rollback_says_what_to_put_back(tmp_path: Path) -> None:
    """If the RD cannot be read after a rollback by restore, the run fails as a change, naming the Aux/ properties
    to set again (the volume's name among them) and the newer snapshots it deleted."""
    env = start_env(tmp_path, extra=("--linstor-version", "1.31.3"))
    try:
        env.must(VOLUME, name="old", type="custom", size="32MiB")
        env.must(SNAPSHOT, volume="old", type="custom", name="s1")
        env.must(VOLUME, name="new", rename_from="old", type="custom")
        [rd] = rds_claiming(env, "default_new")
        env.debug.add_fault("error", f"/v1/resource-definitions/{rd}", "GET", times=0)
        restored = env.run(SNAPSHOT, volume="new", type="custom", name="s1", state="restored")
        assert restored.failed and restored.changed and restored.traceback is None
        assert "'Aux/Incus/name': 'incus-volume-default_new'" in restored.msg
        assert restored.result["removed_snapshots"] == []
    finally:
        env.process.stop()


@pytest.mark.parametrize("release", ["1.31.0", "1.31.2"])
def test_before_1_31_3_a_restore_of_a_snapshot_from_before_a_grow_is_refused_before_any_write(
        tmp_path: Path, release: str) -> None:
    """From 1.31.0 to before 1.31.3 LINSTOR rolls back by deleting the resources and restoring the snapshot into the
    RD, and that restore fails on a grown volume, leaving it with no resource (the emulator plays it). The module
    refuses such a restore, in check mode too, before it deletes anything: newer snapshots, resources, mappings."""
    env = start_env(tmp_path, extra=("--linstor-version", release))
    try:
        env.must(VOLUME, name="g1", type="custom", size="32MiB")
        env.must(SNAPSHOT, volume="g1", type="custom", name="before")
        env.must(VOLUME, name="g1", type="custom", size="64MiB")
        env.must(SNAPSHOT, volume="g1", type="custom", name="after")
        [rd] = rds_claiming(env, "default_g1")
        placed = env.get("/v1/view/resources", resources=rd)
        env.debug.clear_requests()
        for check_mode in (True, False):
            refused = env.run(SNAPSHOT, check_mode=check_mode, volume="g1", type="custom", name="before",
                              state="restored", remove_newer_snapshots=True)
            assert refused.failed and not refused.changed and refused.traceback is None, refused.result
            assert refused.result["parameter"] == "name"
            assert "volume 0 is 65536 KiB and was 32768 KiB" in refused.msg and "1.31.3" in refused.msg
        assert env.writes() == []
        assert [snap["name"] for snap in env.get(f"/v1/resource-definitions/{rd}/snapshots")] != []
        assert len([key for key in rd_props(env, rd) if key.startswith("Aux/Incus/snapshot-name/")]) == 2
        assert env.get("/v1/view/resources", resources=rd) == placed

        restored = env.run(SNAPSHOT, volume="g1", type="custom", name="after", state="restored")
        assert not restored.failed and restored.changed, "a snapshot of the volume's own size restores"
        resources = env.get("/v1/view/resources", resources=rd)
        assert len([r for r in resources if "DISKLESS" not in r["flags"]]) == 2
    finally:
        env.process.stop()


@pytest.mark.parametrize(("release", "dropped"), [("1.31.1", True), ("1.31.2", False)])
def test_before_1_31_2_a_restore_warns_that_the_diskless_resources_are_not_made_again(
        tmp_path: Path, release: str, dropped: bool) -> None:
    """1.31.0 and 1.31.1 restore the snapshot on its (diskful) nodes only; the run says which diskless resources go.
    From 1.31.2 LINSTOR makes them again, and the run says nothing of them."""
    env = start_env(tmp_path, extra=("--linstor-version", release))
    try:
        env.must(VOLUME, name="d1", type="custom", size="32MiB")
        [rd] = rds_claiming(env, "default_d1")
        # the third node holds the tie-breaker LINSTOR adds to two disks; a diskless create there makes it Incus's
        [spare] = [r["node_name"] for r in env.get("/v1/view/resources", resources=rd) if "TIE_BREAKER" in r["flags"]]
        requests.post(f"{env.url}/v1/resource-definitions/{rd}/resources",
                      json=[{"resource": {"node_name": spare, "flags": ["DISKLESS"]}}], timeout=30).raise_for_status()
        env.must(SNAPSHOT, volume="d1", type="custom", name="s1")
        for check_mode in (True, False):
            restored = env.run(SNAPSHOT, check_mode=check_mode, volume="d1", type="custom", name="s1",
                               state="restored")
            assert not restored.failed and restored.changed, restored.msg
            warnings = [text for text in restored.warnings if "diskless" in text]
            assert len(warnings) == dropped, restored.warnings
            assert not dropped or (f"on {spare} are not made again" in warnings[0] and release in warnings[0])
        flags = {r["node_name"]: r["flags"] for r in env.get("/v1/view/resources", resources=rd)}
        # dropped, Incus's diskless resource gives way to a tie-breaker, which LINSTOR's restore adds again
        assert ("TIE_BREAKER" in flags[spare]) is dropped and "DISKLESS" in flags[spare]
    finally:
        env.process.stop()


def test_an_rd_whose_delete_was_refused_in_use_is_still_the_volume(tmp_path: Path) -> None:
    """LINSTOR 1.31.0 to 1.33.1 flag an RD DELETE before they check that no resource is in use, and keep the flag
    when they refuse the delete (fixed in 1.33.2). Incus's delete of a volume in use does that: the RD is still the
    volume, in use; it is neither taken for gone (a second RD made beside it, or a delete skipped) nor a duplicate,
    and a warning says that the controller will delete it. Once no longer in use, it is going, and the delete is
    stalled until it is sent again: state=absent sends it, as Incus's delete does."""
    env = start_env(tmp_path, extra=("--linstor-version", "1.33.0"))
    try:
        env.must(VOLUME, name="busy", type="container", size="64MiB")
        [rd] = rds_claiming(env, "busy")
        node = env.get("/v1/view/resources", resources=rd)[0]["node_name"]
        requests.put(f"{env.url}/v1/resource-definitions/{rd}/resources/{node}",
                     json={"override_props": {"Emulator/InUse": "true"}}, timeout=30).raise_for_status()
        refused = requests.delete(f"{env.url}/v1/resource-definitions/{rd}", timeout=30)
        assert refused.status_code >= 400 and "in use" in refused.json()[0]["message"]
        [listed] = env.get("/v1/resource-definitions", resource_definitions=rd)
        assert listed["flags"] == ["DELETE"], "the refusal leaves the flag on 1.33.0"

        present = env.run(VOLUME, name="busy", type="container", size="64MiB")
        assert not present.failed and not present.changed, present.result
        assert present.result["volume"]["resource_definition"] == rd, present.result
        assert "data and all" in json.dumps(present.result.get("warnings")), present.result
        listed_run = env.run("linstor_incus_volumes", volumes=[{"name": "busy", "type": "container", "size": "64MiB"}])
        assert not listed_run.failed and not listed_run.changed, listed_run.result
        assert "data and all" in json.dumps(listed_run.result.get("warnings")), listed_run.result
        snapshot = env.run(SNAPSHOT, volume="busy", type="container", name="s1")  # as Incus may take one meanwhile
        assert not snapshot.failed and snapshot.result["volume"]["resource_definition"] == rd, snapshot.result
        absent = env.run(VOLUME, name="busy", type="container", state="absent", delete_retries=0)
        assert absent.failed and "in use" in absent.msg, absent.result  # refused, not taken for gone
        assert rds_claiming(env, "busy") == [rd]

        requests.put(f"{env.url}/v1/resource-definitions/{rd}/resources/{node}",
                     json={"override_props": {"Emulator/InUse": "false"}}, timeout=30).raise_for_status()
        present = env.run(VOLUME, name="busy", type="container", size="64MiB", check_mode=True)
        assert present.changed and present.result["volume"]["resource_definition"] != rd, present.result
        assert f"linstor resource-definition delete {rd}" in json.dumps(present.result.get("warnings")), present.result
        checked = env.run(VOLUME, name="busy", type="container", state="absent", check_mode=True)
        assert checked.changed and checked.result["resource_definitions_deleted"] == [rd], checked.result
        assert [entry["name"] for entry in checked.result["snapshots_removed"]] == ["s1"], checked.result
        listed = env.run("linstor_incus_volumes", check_mode=True,
                         volumes=[{"name": "busy", "type": "container", "state": "absent"}])
        assert listed.changed and listed.result["changes"][0]["resource_definitions_deleted"] == [rd], listed.result
        assert [entry["name"] for entry in listed.result["changes"][0]["snapshots_removed"]] == ["s1"], listed.result
        assert rds_claiming(env, "busy") == [rd]
        going = env.run(VOLUME, name="busy", type="container", state="absent")  # stalled: sent again, as Incus does
        assert not going.failed and going.changed and going.result["resource_definitions_deleted"] == [rd], going.result
        assert [entry["name"] for entry in going.result["snapshots_removed"]] == ["s1"], going.result  # first
        assert rds_claiming(env, "busy") == []
        gone = env.run(VOLUME, name="busy", type="container", state="absent")
        assert not gone.failed and not gone.changed, gone.result
    finally:
        env.process.stop()
