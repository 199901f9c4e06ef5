"""IstioInstall: releases, their order, values, options, derived outputs, and bad input."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from conftest import assert_refused

from mesh_https import (
    ISTIO_CHART_REPOSITORY,
    ISTIO_VERSION,
    IstioInstall,
    KindCluster,
)
from mesh_https.istio_charts import (
    CONTROL_PLANE_ANNOTATION,
    gateway_identity,
    gateway_service_values,
)
from mesh_https.testing import MockSession, RecordedResource, Recording

NODE_PORT_SERVICE: Any = {"type": "NodePort", "node_ports": {"http": 30080, "https": 30443}}


def install(session: MockSession, **args: Any) -> tuple[IstioInstall, Recording]:
    istio = IstioInstall("istio", args)  # type: ignore[arg-type]
    return istio, session.settle()


def release(rec: Recording, role: str) -> RecordedResource:
    """The release of a chart (``istiod`` finds the one istiod, whatever its revision)."""
    releases = rec.find("kubernetes:helm.sh/v3:Release")
    if role == "istiod":
        (found,) = [r for r in releases if r.inputs["chart"].endswith("istiod")]
        return found
    return rec.one("kubernetes:helm.sh/v3:Release", name=f"istio-{role}")


def test_sidecar_mode_installs_base_istiod_gateway_in_order(mesh_session: MockSession) -> None:
    _, rec = install(mesh_session)
    releases = rec.find("kubernetes:helm.sh/v3:Release")
    assert [r.inputs["chart"] for r in releases] == ["base", "istiod", "gateway"]
    base, istiod, gateway = (release(rec, role) for role in ("base", "istiod", "gateway"))
    system_ns = rec.one(kind="Namespace", object_name="istio-system")
    gateway_ns = rec.one(kind="Namespace", object_name="istio-ingress")
    assert rec.depends_on(base, system_ns)
    assert rec.depends_on(istiod, base)
    assert rec.depends_on(gateway, istiod)
    assert rec.depends_on(gateway, gateway_ns)
    assert not rec.depends_on(base, istiod)
    assert (base.inputs["namespace"], istiod.inputs["namespace"]) == ("istio-system",) * 2
    assert gateway.inputs["namespace"] == "istio-ingress"
    assert [r.inputs["name"] for r in releases] == ["istio-base", "istiod", "istio-ingress"]


def test_ambient_mode_follows_the_documented_order(mesh_session: MockSession) -> None:
    _, rec = install(mesh_session, mode="ambient")
    releases = rec.find("kubernetes:helm.sh/v3:Release")
    assert [r.inputs["chart"] for r in releases] == ["base", "istiod", "cni", "ztunnel", "gateway"]
    base, istiod, cni, ztunnel, gateway = releases
    assert rec.depends_on(istiod, base)
    assert rec.depends_on(cni, istiod)
    assert rec.depends_on(ztunnel, cni)
    assert rec.depends_on(gateway, ztunnel)
    assert istiod.inputs["values"]["profile"] == "ambient"
    assert cni.inputs["values"]["profile"] == "ambient"
    assert cni.inputs["namespace"] == "istio-system"
    assert ztunnel.inputs["namespace"] == "istio-system"
    assert "profile" not in base.inputs["values"]
    assert ztunnel.inputs["values"]["istioNamespace"] == "istio-system"


def test_ambient_namespace_moves_cni_and_ztunnel_and_trusts_it(mesh_session: MockSession) -> None:
    _, rec = install(mesh_session, mode="ambient", ambient_namespace="kube-system")
    assert release(rec, "cni").inputs["namespace"] == "kube-system"
    assert release(rec, "ztunnel").inputs["namespace"] == "kube-system"
    istiod = release(rec, "istiod").inputs["values"]
    # The chart's documented key; `pilot.` is only a legacy alias it still copies up.
    assert istiod["trustedZtunnelNamespace"] == "kube-system"
    # kube-system exists everywhere; it is never created (or deleted) by the stack.
    assert not rec.find(kind="Namespace", object_name="kube-system")


def test_every_release_is_atomic_pinned_and_bounded(mesh_session: MockSession) -> None:
    _, rec = install(mesh_session, mode="ambient", release_timeout_seconds=300)
    for r in rec.find("kubernetes:helm.sh/v3:Release"):
        assert r.inputs["atomic"] is True
        assert r.inputs["cleanupOnFail"] is True
        assert r.inputs["timeout"] == 300
        assert r.inputs["version"] == ISTIO_VERSION
        assert r.inputs["repositoryOpts"] == {"repo": ISTIO_CHART_REPOSITORY}
        assert r.inputs.get("skipCrds") is not True, "base must install (and keep) the CRDs"
        if r.inputs["chart"] not in ("gateway", "cni"):
            assert r.inputs["values"]["global"]["istioNamespace"] == "istio-system"


def test_version_and_repository_are_overridable(mesh_session: MockSession) -> None:
    istio, rec = install(mesh_session, version="1.28.3", chart_repository="https://charts.example")
    for r in rec.find("kubernetes:helm.sh/v3:Release"):
        assert r.inputs["version"] == "1.28.3"
        assert r.inputs["repositoryOpts"]["repo"] == "https://charts.example"
    assert mesh_session.value(istio.version) == "1.28.3"


def test_values_escape_hatches_merge_over_ours(mesh_session: MockSession) -> None:
    _, rec = install(
        mesh_session,
        gateway_service=NODE_PORT_SERVICE,
        base_values={"base": {"validationFailurePolicy": "Fail"}},
        istiod_values={
            "meshConfig": {"accessLogFile": "/dev/stdout"},
            "pilot": {"env": {"A": "1"}},
        },
        gateway_values={"service": {"externalTrafficPolicy": "Local"}, "replicaCount": 2},
    )
    assert release(rec, "base").inputs["values"]["base"] == {"validationFailurePolicy": "Fail"}
    mesh = release(rec, "istiod").inputs["values"]["meshConfig"]
    assert mesh == {"trustDomain": "cluster.local", "accessLogFile": "/dev/stdout"}
    gateway = release(rec, "gateway").inputs["values"]
    assert gateway["replicaCount"] == 2
    assert gateway["service"]["externalTrafficPolicy"] == "Local"
    assert gateway["service"]["type"] == "NodePort", "our keys survive a partial override"


def test_nodeport_gateway_uses_the_fixed_node_ports(mesh_session: MockSession) -> None:
    _, rec = install(mesh_session, gateway_service=NODE_PORT_SERVICE)
    service = release(rec, "gateway").inputs["values"]["service"]
    assert service["type"] == "NodePort"
    by_name = {p["name"]: p for p in service["ports"]}
    assert by_name["http2"]["nodePort"] == 30080 and by_name["http2"]["port"] == 80
    assert by_name["https"]["nodePort"] == 30443 and by_name["https"]["port"] == 443
    assert "nodePort" not in by_name["status-port"]
    assert "annotations" not in service


def test_load_balancer_gateway_carries_annotations(mesh_session: MockSession) -> None:
    service_args = {"type": "LoadBalancer", "annotations": {"b": "2", "a": "1"}}
    _, rec = install(mesh_session, gateway_service=service_args)
    service = release(rec, "gateway").inputs["values"]["service"]
    assert service["type"] == "LoadBalancer"
    assert service["annotations"] == {"a": "1", "b": "2"}
    assert all("nodePort" not in p for p in service["ports"])
    # What we hand to the engine is in a stable order (the wire format keeps no order).
    assert list(gateway_service_values(service_args)["annotations"]) == ["a", "b"]  # type: ignore[arg-type]


def test_revision_names_istiod_and_labels_gateway(mesh_session: MockSession) -> None:
    istio, rec = install(mesh_session, revision="canary")
    istiod = release(rec, "istiod")
    assert istiod.inputs["name"] == "istiod-canary"
    assert istiod.inputs["values"]["revision"] == "canary"
    assert release(rec, "base").inputs["values"]["defaultRevision"] == "canary"
    gateway = release(rec, "gateway").inputs["values"]
    assert gateway["revision"] == "canary"
    assert gateway["podAnnotations"] == {CONTROL_PLANE_ANNOTATION: "canary"}
    assert mesh_session.value(istio.revision) == "canary"


def test_outputs_derive_selector_account_and_principal(mesh_session: MockSession) -> None:
    istio, _ = install(mesh_session, gateway_namespace="edge", gateway_release_name="istio-edge")
    assert mesh_session.value(istio.gateway_selector) == {"istio": "edge"}
    assert mesh_session.value(istio.gateway_service_account) == "istio-edge"
    assert mesh_session.value(istio.gateway_principal) == "cluster.local/ns/edge/sa/istio-edge"
    assert mesh_session.value(istio.gateway_namespace) == "edge"
    assert mesh_session.value(istio.system_namespace) == "istio-system"
    assert mesh_session.value(istio.mode) == "sidecar"
    assert mesh_session.value(istio.revision) == ""


@pytest.mark.parametrize(
    ("release_name", "values", "trust", "expected"),
    [
        ("istio-ingress", {}, "cluster.local", ({"istio": "ingress"}, "istio-ingress")),
        ("istio-ingressgateway", {}, "cluster.local", ({"istio": "ingressgateway"}, None)),
        ("edge", {}, "cluster.local", ({"istio": "edge"}, "edge")),
        ("istio-ingress", {"name": "gw"}, "cluster.local", ({"istio": "gw"}, "gw")),
        ("istio-ingress", {"labels": {"istio": "x"}}, "cluster.local", ({"istio": "x"}, None)),
        ("istio-ingress", {"serviceAccount": {"name": "sa"}}, "corp.example", (None, "sa")),
        # With create: false the chart runs the pods as `default`, or as the named account.
        (
            "istio-ingress",
            {"serviceAccount": {"create": False}},
            "cluster.local",
            (None, "default"),
        ),
        (
            "istio-ingress",
            {"serviceAccount": {"create": False, "name": "edge"}},
            "cluster.local",
            (None, "edge"),
        ),
        (
            "istio-ingress",
            {"serviceAccount": {"create": True}},
            "cluster.local",
            (None, "istio-ingress"),
        ),
    ],
)
def test_gateway_identity_follows_the_chart(
    release_name: str, values: dict[str, Any], trust: str, expected: tuple[Any, Any]
) -> None:
    selector, account, principal = gateway_identity(release_name, "ns", values, trust)
    want_selector, want_account = expected
    if want_selector is not None:
        assert selector == want_selector
    if want_account is not None:
        assert account == want_account
    assert principal == f"{trust}/ns/ns/sa/{account}"


def test_gateway_principal_follows_a_service_account_the_chart_does_not_create(
    mesh_session: MockSession,
) -> None:
    istio, _ = install(mesh_session, gateway_values={"serviceAccount": {"create": False}})
    assert (
        mesh_session.value(istio.gateway_principal) == "cluster.local/ns/istio-ingress/sa/default"
    )
    assert istio.info.gateway_service_account == "default"


def test_trust_domain_flows_to_mesh_config_and_principal(mesh_session: MockSession) -> None:
    istio, rec = install(mesh_session, trust_domain="corp.example")
    assert release(rec, "istiod").inputs["values"]["meshConfig"]["trustDomain"] == "corp.example"
    assert mesh_session.value(istio.gateway_principal).startswith("corp.example/ns/")


def test_children_are_parented_and_use_the_cluster_provider(mesh_session: MockSession) -> None:
    cluster = KindCluster("kind")
    IstioInstall(
        "istio",
        {"gateway_service": cluster.gateway_service()},
        opts=pulumi.ResourceOptions(provider=cluster.provider),
    )
    rec = mesh_session.settle()
    component = rec.one("mesh-https:index:IstioInstall")
    provider = rec.one("pulumi:providers:kubernetes")
    children = rec.children(component)
    assert len(children) == 5
    for child in children:
        assert child.provider_urn == provider.urn, f"{child} must use the cluster's provider"


def test_namespaces_are_created_with_no_injection_disabled(mesh_session: MockSession) -> None:
    _, rec = install(mesh_session)
    for ns in rec.kinds("Namespace"):
        labels = ns.metadata.get("labels", {})
        assert labels.get("istio-injection") != "disabled"


def test_depends_on_input_reaches_the_first_children(mesh_session: MockSession) -> None:
    cluster = KindCluster("kind")
    IstioInstall("istio", {"depends_on": [cluster]})
    rec = mesh_session.settle()
    command = rec.one("command:local:Command")
    for ns in rec.kinds("Namespace"):
        assert rec.depends_on(ns, command)


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        ({"mode": "sidecarless"}, "mode", "'sidecar', 'ambient'"),
        ({"version": "v1.29"}, "version", f"like {ISTIO_VERSION!r}"),
        ({"version": "latest"}, "version", f"like {ISTIO_VERSION!r}"),
        ({"system_namespace": "Istio_System"}, "system_namespace", "DNS-1123 label"),
        ({"gateway_namespace": "-ingress"}, "gateway_namespace", "DNS-1123 label"),
        ({"gateway_namespace": "a" * 64}, "gateway_namespace", "DNS-1123 label"),
        ({"revision": "1.29"}, "revision", "DNS-1123 label"),
        ({"gateway_release_name": "g" * 54}, "gateway_release_name", "53"),
        ({"trust_domain": "Bad Domain"}, "trust_domain", "DNS-1123 subdomain"),
        ({"release_timeout_seconds": 0}, "release_timeout_seconds", "1 or more"),
        ({"cni_values": {}}, "cni_values", "ambient mode"),
        ({"gateway_service": {"type": "ExternalName"}}, "gateway_service.type", "'ClusterIP'"),
        ({"gateway_service": {"type": "NodePort"}}, "gateway_service.node_ports", "missing"),
        (
            {"gateway_service": {"type": "NodePort", "node_ports": {"http": 80, "https": 30443}}},
            "gateway_service.node_ports.http",
            "30000 to 32767",
        ),
        (
            {
                "gateway_service": {
                    "type": "NodePort",
                    "node_ports": {"http": 30443, "https": 30443},
                }
            },
            "gateway_service.node_ports",
            "each must be different",
        ),
        (
            {"gateway_service": {"type": "LoadBalancer", "node_ports": {"http": 1, "https": 2}}},
            "gateway_service.node_ports",
            "only used with type 'NodePort'",
        ),
    ],
)
def test_bad_input_is_rejected_before_anything_is_registered(
    mesh_session: MockSession, args: dict[str, Any], field: str, words: str
) -> None:
    assert_refused(
        mesh_session,
        lambda: IstioInstall("istio", args),  # type: ignore[arg-type]
        "IstioInstall",
        field,
        words,
    )
