"""Every stack and every Python example, applied, updated and deleted on a real kube-apiserver.

Each program is run under the test kit (recording its registrations and their edges), then its
Kubernetes objects are server-side applied in the *latest* order those edges allow, a changed
second run is applied as an update, and everything is deleted in the *earliest* order the edges
allow. Every step must succeed: a missing edge, an immutable field changed, a CEL rule, an
admission policy, an unknown field each fail with the server's message.

What the server is: etcd and kube-apiserver built from Go modules (``tests/kube_server.py``),
with Istio's and the Gateway API's CRDs. No kube-controller-manager (a deleted Namespace stays
``Terminating`` until :func:`finish_namespaces` plays the namespace controller's last step) and
no istiod (so no Istio validating webhook: the package's own Istio admission checks and the
analysis are that tier). Helm releases, pulumi-tls and cloud resources stay mocked.
"""

from __future__ import annotations

import copy
import runpy
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, local_overrides, run_stack, stack_config

from mesh_https.testing import (
    AppliedObject,
    KubeApi,
    KubeStepError,
    MeshMocks,
    MockSession,
    Recording,
    apply_latest,
    delete_earliest,
    goes_to_server,
)
from mesh_https.testing._kube_mode import ObjectKey, object_key

STACKS = sorted(p.name.split(".")[1] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
EXAMPLES = sorted(
    p.parent
    for p in (ROOT / "examples").glob("*/Pulumi.yaml")
    if (p.parent / "__main__.py").exists()
)

ROTATED_CA = {"key": {"algorithm": "ECDSA", "ecdsaCurve": "P384"}, "validityHours": 1440}

# The second run of each stack: its config change, and the objects that change because of it
# (kind, object name): each must come back from the server with a new resourceVersion.
SECOND_RUNS: dict[str, tuple[dict[str, Any], list[tuple[str, str]]]] = {
    "dev": (
        {
            "mesh-https:canary": {
                **stack_config("dev")["mesh-https:canary"],
                "weights": {"v1": 50, "v2": 50},
            }
        },
        [("VirtualService", "app")],
    ),
    "staging": (
        {
            "mesh-https:istio": {
                **stack_config("staging")["mesh-https:istio"],
                "revisions": [
                    {"name": "1-31-4"},
                    {"name": "1-32-0", "version": "1.32.0", "tags": ["prod"]},
                ],
            }
        },
        [("MutatingWebhookConfiguration", "istio-revision-tag-prod")],
    ),
    "gateway-api": (
        {
            "mesh-https:canary": {
                **stack_config("gateway-api")["mesh-https:canary"],
                "weights": {"v1": 50, "v2": 50},
            }
        },
        [("HTTPRoute", "app"), ("HTTPRoute", "app-mesh")],
    ),
}
for _stack in ("ambient", "eks", "gke", "aks"):
    SECOND_RUNS[_stack] = (
        {"mesh-https:pki": {**stack_config(_stack)["mesh-https:pki"], **ROTATED_CA}},
        [("Secret", "cacerts")],
    )


# --- the server between tests ----------------------------------------------------------------


def finish_namespaces(api: KubeApi, names: set[str]) -> None:
    """Do what the namespace controller would once a deleted namespace is empty: drop its
    ``kubernetes`` finalizer, so the server removes it and the next test can create it."""
    for name in sorted(names):
        live = api.get("v1", "Namespace", name)
        if live is None:
            continue
        if not live["metadata"].get("deletionTimestamp"):
            api.delete("v1", "Namespace", name, missing_ok=True)
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        body["spec"] = {"finalizers": []}
        api.request("PUT", f"/api/v1/namespaces/{name}/finalize", body)
    deadline = time.monotonic() + 30
    while any(api.get("v1", "Namespace", n) for n in names):
        assert time.monotonic() < deadline, f"namespaces {sorted(names)} not removed"
        time.sleep(0.1)


class Cluster:
    """The session's API server for one test: whatever a test applies is removed after it,
    whether it passed or not, so each test starts from the server's own state."""

    def __init__(self, api: KubeApi) -> None:
        self.api = api
        self.touched: dict[ObjectKey, None] = {}

    def note(self, applied: dict[ObjectKey, AppliedObject]) -> dict[ObjectKey, AppliedObject]:
        self.touched.update(dict.fromkeys(applied))
        return applied

    def clean(self) -> None:
        namespaces = {k[3] for k in self.touched if k[:2] == ("v1", "Namespace")}
        for api_version, kind, namespace, name in self.touched:
            if (api_version, kind) != ("v1", "Namespace"):
                self.api.delete(api_version, kind, name, namespace or None, missing_ok=True)
        finish_namespaces(self.api, namespaces)


@pytest.fixture
def cluster(kube_api: KubeApi) -> Iterator[Cluster]:
    state = Cluster(kube_api)
    try:
        yield state
    finally:
        state.clean()


# --- running programs ------------------------------------------------------------------------


def example_run(example: Path, tmp_path: Path, **overrides: Any) -> Recording:
    """One run of a Python example under the test kit, with its own stack file's config."""
    project = yaml.safe_load((example / "Pulumi.yaml").read_text())
    name = project["name"]
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("apiVersion: v1\ncontexts: [{name: ctx, context: {}}]\n")
    config: dict[str, Any] = {f"{name}:kubeconfigPath": str(kubeconfig), f"{name}:context": "ctx"}
    if (example / "Pulumi.dev.yaml").exists():
        config.update(yaml.safe_load((example / "Pulumi.dev.yaml").read_text())["config"])
    config.update({f"{name}:{key}": value for key, value in overrides.items()})
    with MockSession(project=name, stack="dev", config=config) as session:
        runpy.run_path(str(example / "__main__.py"))
        return session.settle()


def lifecycle(
    cluster: Cluster, first: Recording, second: Recording
) -> tuple[dict[ObjectKey, AppliedObject], dict[ObjectKey, AppliedObject]]:
    """Apply ``first`` in the latest order, ``second`` as the update (and prune what it no
    longer has, earliest order first), then delete everything in the earliest order."""
    created = cluster.note(apply_latest(first, cluster.api, step="create"))
    updated = cluster.note(apply_latest(second, cluster.api, step="update"))
    gone = set(created) - set(updated)
    delete_earliest(first, cluster.api, only=gone, step="prune")
    deleted = delete_earliest(second, cluster.api)
    assert set(deleted) == set(updated)
    finish_namespaces(cluster.api, {k[3] for k in deleted if k[:2] == ("v1", "Namespace")})
    return created, updated


def by_kind_name(applied: dict[ObjectKey, AppliedObject], kind: str, name: str) -> AppliedObject:
    found = [a for k, a in applied.items() if k[1] == kind and k[3] == name]
    assert len(found) == 1, f"{kind} {name}: {sorted(k[1] + ' ' + k[3] for k in applied)}"
    return found[0]


def assert_server_answered(applied: dict[ObjectKey, AppliedObject]) -> None:
    """Each object came back as the server stores it: uid, resourceVersion, our manager."""
    for key, obj in applied.items():
        meta = obj.live["metadata"]
        assert meta["uid"] and meta["resourceVersion"], key
        managers = {m["manager"] for m in meta.get("managedFields", [])}
        assert "mesh-https" in managers, (key, managers)


# --- the stacks and the examples -------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_stack_applies_updates_and_deletes_on_a_real_api_server(
    stack: str, cluster: Cluster, tmp_path: Path
) -> None:
    change, changed = SECOND_RUNS[stack]
    local = local_overrides(stack, tmp_path)
    first, _ = run_stack(stack, **local)
    second, _ = run_stack(stack, **{**local, **change})
    created, updated = lifecycle(cluster, first, second)
    assert len(created) == len([r for r in first if goes_to_server(r)]) > 10
    assert_server_answered(created)
    for kind, name in changed:
        before, after = by_kind_name(created, kind, name), by_kind_name(updated, kind, name)
        assert before.manifest != after.manifest, f"the second run does not change {kind} {name}"
        assert (
            before.live["metadata"]["resourceVersion"] != after.live["metadata"]["resourceVersion"]
        )
        assert before.live["metadata"]["uid"] == after.live["metadata"]["uid"]  # an update


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_applies_updates_and_deletes_on_a_real_api_server(
    example: Path, cluster: Cluster, tmp_path: Path
) -> None:
    first = example_run(example, tmp_path)
    # A second run regenerates every key and certificate: a rotated CA and rotated leaves.
    extra = {"canaryWeight": "40"} if example.name == "bookinfo-canary" else {}
    second = example_run(example, tmp_path, **extra)
    created, updated = lifecycle(cluster, first, second)
    assert created and len(created) == len([r for r in first if goes_to_server(r)])
    assert_server_answered(created)
    for key, after in updated.items():
        if key[1] == "Secret":
            before = created[key]
            assert before.live["data"] != after.live["data"], f"{key}: not rotated"


# --- the mode: registrations answered by the server ------------------------------------------


def test_registrations_get_the_servers_object_as_outputs(cluster: Cluster, tmp_path: Path) -> None:
    config = {**stack_config("dev"), **local_overrides("dev", tmp_path)}
    mocks = MeshMocks(kube=cluster.api)
    with MockSession(mocks, project="mesh-https", stack="dev", config=config) as session:
        runpy.run_path(str(ROOT / "__main__.py"))
        recording = session.settle()
        exports = session.exports()
    objects = [r for r in recording if goes_to_server(r)]
    cluster.touched.update(dict.fromkeys(map(object_key, objects)))
    assert exports and len(objects) > 10
    for r in objects:
        meta = r.outputs["metadata"]
        live = cluster.api.get(r.api_version, r.kind, meta["name"], meta.get("namespace"))
        assert live is not None, r
        assert (meta["uid"], meta["resourceVersion"]) == (
            live["metadata"]["uid"],
            live["metadata"]["resourceVersion"],
        )
    service = recording.one(kind="Service", object_name="helloworld")
    # Defaulted by the server, never in what the program sent.
    assert "clusterIP" not in service.inputs["spec"]
    assert service.outputs["spec"]["clusterIP"].startswith("10.96.")
    assert service.outputs["spec"]["sessionAffinity"] == "None"
    deployment = recording.find(kind="Deployment")[0]
    assert deployment.outputs["spec"]["progressDeadlineSeconds"] == 600
    # A Secret's data comes back from the server, and stays secret.
    cacerts = recording.one(kind="Secret", object_name="cacerts")
    assert set(cacerts.outputs["data"]) >= {"ca-cert.pem", "root-cert.pem"}
    assert cacerts.is_secret("data", outputs=True)
    assert recording.plaintext_private_keys() == []
    delete_earliest(recording, cluster.api)


def test_a_refused_registration_fails_the_run_with_the_servers_message(
    cluster: Cluster, tmp_path: Path
) -> None:
    import pulumi_kubernetes as k8s

    with MockSession(MeshMocks(kube=cluster.api)) as session:
        k8s.core.v1.ConfigMap(
            "orphan", metadata={"name": "orphan", "namespace": "nowhere"}, data={"a": "b"}
        )
        with pytest.raises(Exception, match=r'namespaces \\?"nowhere\\?" not found'):
            session.settle()


# --- the mutation checks: each fails for the server's reason ----------------------------------


def without_edge(recording: Recording, name: str, to: str) -> Recording:
    """A copy of ``recording`` where resource ``name`` no longer depends on resource ``to``."""
    target = recording.one(name=to).urn
    out = Recording()
    for r in recording:
        if r.name == name:
            r = replace(
                r,
                dependencies=[u for u in r.dependencies if u != target],
                property_dependencies={
                    k: [u for u in v if u != target] for k, v in r.property_dependencies.items()
                },
            )
        out.add(r)
    return out


def test_a_missing_edge_to_the_namespace_fails_the_latest_order(
    cluster: Cluster, tmp_path: Path
) -> None:
    recording, _ = run_stack("dev", **local_overrides("dev", tmp_path))
    cut = without_edge(recording, "istio-cacerts", "istio-ns-istio-system")
    with pytest.raises(KubeStepError) as err:
        cluster.note(apply_latest(cut, cluster.api))
    message = str(err.value)
    assert "Secret istio-system/cacerts" in message
    assert 'namespaces "istio-system" not found' in message
    # The edges as recorded put it in order.
    cluster.note(apply_latest(recording, cluster.api))


def test_a_missing_edge_to_the_namespace_fails_the_earliest_delete(
    cluster: Cluster, tmp_path: Path
) -> None:
    recording, _ = run_stack("dev", **local_overrides("dev", tmp_path))
    cluster.note(apply_latest(recording, cluster.api))
    cut = without_edge(recording, "istio-cacerts", "istio-ns-istio-system")
    with pytest.raises(KubeStepError) as err:
        delete_earliest(cut, cluster.api)
    assert "Namespace istio-system: the namespace still holds Secret cacerts" in str(err.value)


def with_inputs(recording: Recording, name: str, change: Any) -> Recording:
    """A copy of ``recording`` where resource ``name``'s inputs are ``change(inputs)``."""
    out = Recording()
    for r in recording:
        if r.name == name:
            inputs = copy.deepcopy(r.inputs)
            change(inputs)
            r = replace(r, inputs=inputs)
        out.add(r)
    return out


def test_an_unknown_field_is_refused(cluster: Cluster, tmp_path: Path) -> None:
    recording, _ = run_stack("dev", **local_overrides("dev", tmp_path))
    typo = with_inputs(
        recording,
        "app-virtual-service",
        lambda i: i["spec"]["http"][0].__setitem__("timout", "5s"),
    )
    with pytest.raises(KubeStepError) as err:
        cluster.note(apply_latest(typo, cluster.api))
    assert "VirtualService demo/app" in str(err.value)
    # Strict field validation on a CRD's schema: refused, not pruned.
    assert ".spec.http[0].timout: field not declared in schema" in str(err.value)


def test_an_immutable_field_changed_on_update_is_refused(cluster: Cluster, tmp_path: Path) -> None:
    recording, _ = run_stack("dev", **local_overrides("dev", tmp_path))
    cluster.note(apply_latest(recording, cluster.api))
    deployment = recording.find(kind="Deployment")[0]

    def relabel(inputs: dict[str, Any]) -> None:
        inputs["spec"]["selector"]["matchLabels"]["version"] = "v9"
        inputs["spec"]["template"]["metadata"]["labels"]["version"] = "v9"

    moved = with_inputs(recording, deployment.name, relabel)
    with pytest.raises(KubeStepError) as err:
        apply_latest(moved, cluster.api, step="update")
    assert f"Deployment demo/{deployment.object_name}" in str(err.value)
    assert "field is immutable" in str(err.value)
    assert "spec.selector" in str(err.value)
