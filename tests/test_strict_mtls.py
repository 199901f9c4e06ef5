"""StrictMtls: PeerAuthentication, AuthorizationPolicy truth tables, explicit DR TLS, bad input."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from authz import Request, allowed

from mesh_https import IstioInstall, MeshNamespace, StrictMtls, ValidationError
from mesh_https.testing import MockSession, Recording

GATEWAY = "cluster.local/ns/istio-ingress/sa/istio-ingress"
FRONTEND = "cluster.local/ns/web/sa/frontend"


def build(session: MockSession, **args: Any) -> tuple[StrictMtls, Recording]:
    mtls = StrictMtls("mtls", {"namespaces": ["demo"], "gateway_principal": GATEWAY, **args})
    return mtls, session.settle()


def policies(rec: Recording) -> list[dict[str, Any]]:
    return [{"metadata": p.metadata, "spec": p.spec} for p in rec.kinds("AuthorizationPolicy")]


def test_mesh_wide_default_is_strict_in_the_root_namespace(mesh_session: MockSession) -> None:
    _, rec = build(mesh_session)
    mesh = rec.one(kind="PeerAuthentication", namespace="istio-system")
    assert mesh.object_name == "default"
    assert mesh.spec == {"mtls": {"mode": "STRICT"}}, (
        "no selector: selectors are ignored at the root"
    )
    demo = rec.one(kind="PeerAuthentication", namespace="demo")
    assert demo.object_name == "default" and demo.spec == {"mtls": {"mode": "STRICT"}}
    assert mesh.api_version == "security.istio.io/v1"


def test_mesh_wide_can_be_left_to_someone_else(mesh_session: MockSession) -> None:
    _, rec = build(mesh_session, mesh_wide=False)
    assert not rec.find(kind="PeerAuthentication", namespace="istio-system")


def test_per_namespace_policies_are_optional(mesh_session: MockSession) -> None:
    _, rec = build(mesh_session, per_namespace=False)
    assert [p.namespace for p in rec.kinds("PeerAuthentication")] == ["istio-system"]
    assert rec.kinds("AuthorizationPolicy"), "authorization still protects the namespace"


def test_permissive_needs_the_migration_flag(mesh_session: MockSession) -> None:
    _, rec = build(mesh_session, peer_mode="PERMISSIVE", migration=True)
    assert {p.spec["mtls"]["mode"] for p in rec.kinds("PeerAuthentication")} == {"PERMISSIVE"}


def test_port_exceptions_are_named_and_selected(mesh_session: MockSession) -> None:
    _, rec = build(
        mesh_session,
        port_exceptions=[
            {"name": "metrics", "namespace": "demo", "selector": {"app": "x"}, "port": 9090},
            {
                "name": "legacy",
                "namespace": "demo",
                "selector": {"app": "y"},
                "port": 8080,
                "mode": "DISABLE",
            },
        ],
    )
    metrics = rec.one(kind="PeerAuthentication", object_name="metrics")
    assert metrics.spec == {
        "selector": {"matchLabels": {"app": "x"}},
        "mtls": {"mode": "STRICT"},
        "portLevelMtls": {"9090": {"mode": "PERMISSIVE"}},
    }
    legacy = rec.one(kind="PeerAuthentication", object_name="legacy")
    assert legacy.spec["portLevelMtls"] == {"8080": {"mode": "DISABLE"}}


def test_policies_and_outputs(mesh_session: MockSession) -> None:
    mtls, rec = build(
        mesh_session,
        allow=[
            {"name": "frontend", "principals": [FRONTEND], "paths": ["/api/*"], "methods": ["GET"]},
            {"name": "monitoring", "namespaces": ["monitoring"]},
        ],
    )
    names = sorted(p.object_name or "" for p in rec.kinds("AuthorizationPolicy"))
    assert names == ["allow-frontend", "allow-ingress-gateway", "allow-monitoring", "allow-nothing"]
    assert rec.one(kind="AuthorizationPolicy", object_name="allow-nothing").spec == {}
    assert mesh_session.value(mtls.admitted) == {"demo": [GATEWAY, FRONTEND, "ns:monitoring"]}
    assert "demo/allow-nothing" in mesh_session.value(mtls.policy_names)
    assert "istio-system/default" in mesh_session.value(mtls.policy_names)


def test_policies_depend_on_the_istio_install(mesh_session: MockSession) -> None:
    istio = IstioInstall("istio")
    app = MeshNamespace("demo", {"depends_on": [istio]})
    StrictMtls(
        "mtls",
        {
            "system_namespace": istio.info.system_namespace,
            "gateway_principal": istio.gateway_principal,
            "namespaces": ["demo"],
            "depends_on": [istio, app],
        },
    )
    rec = mesh_session.settle()
    install = rec.one("mesh-https:index:IstioInstall")
    for obj in rec.kinds("PeerAuthentication") + rec.kinds("AuthorizationPolicy"):
        assert rec.depends_on(obj, install), f"{obj} must wait for Istio"
        assert rec.depends_on(obj, rec.one(kind="Namespace", object_name="demo"))
    gateway_policy = rec.one(kind="AuthorizationPolicy", object_name="allow-ingress-gateway")
    assert gateway_policy.spec["rules"][0]["from"][0]["source"]["principals"] == [GATEWAY]


def test_explicit_istio_mutual_only_when_asked(mesh_session: MockSession) -> None:
    _, rec = build(mesh_session)
    assert not rec.kinds("DestinationRule")
    with MockSession() as other:
        StrictMtls(
            "mtls",
            {"namespaces": ["demo"], "istio_mutual_hosts": ["helloworld.demo.svc.cluster.local"]},
        )
        (dr,) = other.settle().kinds("DestinationRule")
        assert dr.namespace == "demo"
        assert dr.spec == {
            "host": "helloworld.demo.svc.cluster.local",
            "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}},
        }


# ---------------------------------------------------------------------------- truth table


@pytest.fixture
def emitted(mesh_session: MockSession) -> list[dict[str, Any]]:
    _, rec = build(
        mesh_session,
        namespaces=["demo", "shop"],
        allow=[
            {"name": "frontend", "principals": [FRONTEND], "paths": ["/api/*"], "methods": ["GET"]},
            {"name": "monitoring", "namespaces": ["monitoring"], "to_namespaces": ["demo"]},
        ],
    )
    return policies(rec)


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        # The ingress gateway's principal: allowed, in every protected namespace.
        (Request("demo", GATEWAY, "/anything", "POST"), True),
        (Request("shop", GATEWAY), True),
        # The gateway's namespace with another account is not the gateway.
        (Request("demo", "cluster.local/ns/istio-ingress/sa/other"), False),
        # A listed principal, inside and outside its path and method.
        (Request("demo", FRONTEND, "/api/items", "GET"), True),
        (Request("demo", FRONTEND, "/admin", "GET"), False),
        (Request("demo", FRONTEND, "/api/items", "DELETE"), False),
        # A listed namespace, where it is listed and where it is not.
        (Request("demo", "cluster.local/ns/monitoring/sa/prometheus", "/metrics"), True),
        (Request("shop", "cluster.local/ns/monitoring/sa/prometheus", "/metrics"), False),
        # Another namespace, not listed.
        (Request("demo", "cluster.local/ns/other/sa/default"), False),
        # Plaintext: no principal, so nothing but the allow-nothing baseline applies.
        (Request("demo", None), False),
        (Request("shop", None), False),
        # An unprotected namespace has no policies.
        (Request("elsewhere", None), True),
    ],
)
def test_policy_truth_table(
    emitted: list[dict[str, Any]], request_: Request, expected: bool
) -> None:
    assert allowed(emitted, request_) is expected


def test_without_the_baseline_and_rules_everything_would_pass(mesh_session: MockSession) -> None:
    _, rec = build(mesh_session, authorization=False)
    assert policies(rec) == []
    assert allowed([], Request("demo", None))


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"peer_mode": "PERMISSIVE"}, "peer_mode", "migration=True"),
    ({"peer_mode": "DISABLE"}, "peer_mode", "named port exception"),
    (
        {"peer_mode": "DISABLE", "data_plane_mode": "ambient"},
        "peer_mode",
        "never in ambient mode",
    ),
    (
        {
            "data_plane_mode": "ambient",
            "port_exceptions": [
                {
                    "name": "x",
                    "namespace": "demo",
                    "selector": {"a": "b"},
                    "port": 80,
                    "mode": "DISABLE",
                }
            ],
        },
        "port_exceptions[0].mode",
        "ambient mode does not support DISABLE",
    ),
    (
        {"port_exceptions": [{"name": "x", "namespace": "demo", "port": 80}]},
        "port_exceptions[0].selector",
        "is missing",
    ),
    (
        {"gateway_principal": "spiffe://cluster.local/ns/a/sa/b"},
        "gateway_principal",
        "no 'spiffe://'",
    ),
    (
        {"allow": [{"name": "x", "principals": ["cluster.local/sa/b"]}]},
        "allow[0].principals[0]",
        "principal looks like",
    ),
    (
        {"allow": [{"name": "x", "principals": ["frontend"]}]},
        "allow[0].principals[0]",
        "principal looks like",
    ),
    ({"allow": [{"name": "x"}]}, "allow[0]", "allows no one"),
    (
        {"allow": [{"name": "x", "namespaces": ["a"], "methods": ["FETCH"]}]},
        "allow[0].methods[0]",
        "'GET'",
    ),
    (
        {"allow": [{"name": "x", "namespaces": ["a"], "paths": ["api"]}]},
        "allow[0].paths[0]",
        "start with '/'",
    ),
    (
        {
            "data_plane_mode": "ambient",
            "allow": [{"name": "x", "namespaces": ["a"], "paths": ["/api"]}],
        },
        "allow[0]",
        "waypoint",
    ),
    (
        {"allow": [{"name": "x", "namespaces": ["a"], "to_namespaces": ["nope"]}]},
        "allow[0].to_namespaces[0]",
        "protected",
    ),
    ({"namespaces": ["demo", "demo"]}, "namespaces", "repeats"),
    ({"namespaces": [], "mesh_wide": False}, "namespaces", "nothing would be protected"),
    ({"istio_mutual_hosts": ["helloworld"]}, "istio_mutual_hosts[0]", "fully qualified"),
]


@pytest.mark.parametrize(("args", "field", "words"), BAD)
def test_bad_input(mesh_session: MockSession, args: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as err:
        StrictMtls("mtls", {"namespaces": ["demo"], "gateway_principal": GATEWAY, **args})
    assert (err.value.component, err.value.field) == ("StrictMtls", field)
    assert words in str(err.value)
    assert len(mesh_session.settle()) == 0


@pytest.mark.parametrize(
    ("principal", "valid"),
    [
        ("cluster.local/ns/web/sa/frontend", True),
        ("corp.example/ns/web/sa/front.end", True),
        ("*", True),
        ("cluster.local/ns/web/sa/*", True),
        ("*/ns/web/sa/frontend", True),
        ("*/ns/*/sa/frontend", False),
        ("cluster.local/ns/Web/sa/frontend", False),
        ("cluster.local/ns/web/frontend", False),
        ("cluster.local/ns/web/sa/", False),
        ("cluster.*/ns/web/sa/frontend", False),
    ],
)
def test_principal_forms(principal: str, valid: bool) -> None:
    from mesh_https.constraints import principal_problem

    assert (principal_problem(principal) is None) is valid


def test_an_output_gateway_principal_is_admitted_only_where_its_gateway_runs(
    mesh_session: MockSession,
) -> None:
    internal = "cluster.local/ns/istio-internal/sa/internal"
    StrictMtls(
        "mtls",
        {
            "namespaces": ["shop"],
            "gateway_principal": pulumi.Output.from_input(
                "cluster.local/ns/istio-ingress/sa/istio-ingress"
            ),
            "gateway_principals": [internal],
            "gateway_targets": [
                {
                    "name": "api",
                    "namespace": "shop",
                    "selector": {"app": "api"},
                    "gateway_namespaces": ["istio-internal"],
                }
            ],
        },
    )
    rec = mesh_session.settle()
    policy = rec.one(kind="AuthorizationPolicy", object_name="allow-ingress-gateway-api")
    sources = policy.manifest()["spec"]["rules"][0]["from"][0]["source"]
    assert sources == {"principals": [internal]}, "the public gateway is not admitted here"
    nothing = rec.one(kind="AuthorizationPolicy", object_name="allow-nothing")
    assert nothing.manifest()["spec"] == {} and not nothing.is_secret("spec")
