"""Ambient waypoints: the Waypoint component, namespaces that use one, and authorization
enforced at the waypoint (L7 included) with the workloads admitting the waypoint."""

from __future__ import annotations

from typing import Any

import pytest
from authz import Request, allowed, allowed_through_waypoint
from conftest import assert_refused, run_stack
from test_schemas import istio_results

from mesh_https import IstioInstall, MeshNamespace, StrictMtls, Waypoint
from mesh_https.gateway_api import GATEWAY_API_VERSION
from mesh_https.testing import MockSession, Recording

GATEWAY = "cluster.local/ns/istio-ingress/sa/istio-ingress"
FRONTEND = "cluster.local/ns/web/sa/frontend"
WAYPOINT = "cluster.local/ns/shop/sa/waypoint"


def policies(rec: Recording) -> list[dict[str, Any]]:
    return [r.manifest() for r in rec.kinds("AuthorizationPolicy")]


def test_a_waypoint_is_the_gateway_istioctl_would_write(mesh_session: MockSession) -> None:
    waypoint = Waypoint("shop-waypoint", {"namespace": "shop", "revision": "stable"})
    rec = mesh_session.settle()
    gateway = rec.one(kind="Gateway")
    manifest = gateway.manifest()
    assert manifest["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert (gateway.namespace, gateway.object_name) == ("shop", "waypoint")
    assert manifest["spec"] == {
        "gatewayClassName": "istio-waypoint",
        "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}],
    }
    labels = manifest["metadata"]["labels"]
    assert labels["istio.io/waypoint-for"] == "service"
    assert labels["istio.io/rev"] == "stable"
    assert waypoint.info.principal == WAYPOINT
    assert waypoint.target_ref == {
        "group": "gateway.networking.k8s.io",
        "kind": "Gateway",
        "name": "waypoint",
    }
    (result,) = istio_results([manifest])
    assert result["errors"] == []


def test_a_namespace_uses_its_waypoint(mesh_session: MockSession) -> None:
    MeshNamespace("shop", {"mode": "ambient", "waypoint": "waypoint"})
    rec = mesh_session.settle()
    labels = rec.one(kind="Namespace").metadata["labels"]
    assert labels["istio.io/use-waypoint"] == "waypoint"
    assert labels["istio.io/dataplane-mode"] == "ambient"


def ambient(session: MockSession, **extra: Any) -> Recording:
    waypoint = Waypoint("wp", {"namespace": "shop"})
    StrictMtls(
        "mtls",
        {
            "data_plane_mode": "ambient",
            "namespaces": ["shop"],
            "gateway_principal": GATEWAY,
            "waypoints": [waypoint.info.as_args()],
            "allow": [
                {"name": "web", "principals": [FRONTEND], "paths": ["/api/*"], "methods": ["GET"]},
                {"name": "mon", "namespaces": ["monitoring"]},
            ],
            **extra,
        },
    )
    return session.settle()


def test_l7_rules_are_enforced_at_the_waypoint(mesh_session: MockSession) -> None:
    found = policies(ambient(mesh_session))
    via = {"waypoint": "waypoint", "waypoint_principal": WAYPOINT}
    monitor = "cluster.local/ns/monitoring/sa/prometheus"
    table = [
        # (request, through the waypoint?, expected)
        (Request("shop", FRONTEND, "/api/items", "GET"), True, True),
        (Request("shop", FRONTEND, "/admin", "GET"), True, False),  # path refused at L7
        (Request("shop", FRONTEND, "/api/items", "DELETE"), True, False),  # method refused
        (Request("shop", "cluster.local/ns/x/sa/y", "/api/items"), True, False),  # waypoint denies
        (Request("shop", FRONTEND, "/api/items", "GET"), False, False),  # skipping the waypoint
        (Request("shop", GATEWAY, "/anything"), False, True),  # the gateway, at L4
        (Request("shop", GATEWAY, "/anything"), True, True),
        (Request("shop", monitor, "/metrics"), True, True),  # an L4 rule, at both
        (Request("shop", monitor, "/metrics"), False, True),
        (Request("shop", None, "/"), False, False),  # plaintext
    ]
    for request, through, expected in table:
        got = (
            allowed_through_waypoint(found, request, **via) if through else allowed(found, request)
        )
        assert got is expected, (request, through)


def test_the_waypoint_never_lets_everything_through(mesh_session: MockSession) -> None:
    """With no rule but the gateway, the waypoint still denies other callers."""
    waypoint = Waypoint("wp", {"namespace": "shop"})
    StrictMtls(
        "mtls",
        {
            "data_plane_mode": "ambient",
            "namespaces": ["shop"],
            "waypoints": [waypoint.info.as_args()],
        },
    )
    found = policies(mesh_session.settle())
    stranger = Request("shop", "cluster.local/ns/x/sa/y")
    assert not allowed_through_waypoint(found, stranger, "waypoint", WAYPOINT)


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        (
            {
                "data_plane_mode": "ambient",
                "allow": [{"name": "web", "principals": [FRONTEND], "paths": ["/api/*"]}],
            },
            "allow[0]",
            "add a waypoint for ['shop']",
        ),
        (
            {"waypoints": [{"name": "waypoint", "namespace": "shop", "principal": WAYPOINT}]},
            "waypoints",
            "only apply in ambient mode",
        ),
        (
            {
                "data_plane_mode": "ambient",
                "waypoints": [{"name": "waypoint", "namespace": "other", "principal": WAYPOINT}],
            },
            "waypoints[0].namespace",
            "not a protected namespace",
        ),
        (
            {
                "data_plane_mode": "ambient",
                "waypoints": [{"name": "waypoint", "namespace": "shop", "principal": WAYPOINT}],
                "allow": [
                    {
                        "name": "web",
                        "principals": [FRONTEND],
                        "paths": ["/a"],
                        "to_workloads": {"app": "x"},
                    }
                ],
            },
            "allow[0].to_workloads",
            "takes no selector",
        ),
        (
            {"allow": [{"name": "nothing", "principals": [FRONTEND]}]},
            "allow[0].name",
            "repeats",
        ),
        (
            {
                "data_plane_mode": "ambient",
                "waypoints": [{"name": "waypoint", "namespace": "shop", "principal": WAYPOINT}],
                "allow": [
                    {
                        "name": "r",
                        "principals": [FRONTEND],
                        "to_workloads": {"app": "reviews"},
                        "only": True,
                    }
                ],
            },
            "allow[0].only",
            "waypoint's identity",
        ),
    ],
)
def test_bad_ambient_input(
    mesh_session: MockSession, args: dict[str, Any], field: str, words: str
) -> None:
    assert_refused(
        mesh_session,
        lambda: StrictMtls("m", {"namespaces": ["shop"], **args}),
        "StrictMtls",
        field,
        words,
    )


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        ({"waypoint": "waypoint"}, "waypoint", "only applies in ambient mode"),
        ({"mode": "ambient", "waypoint": "none"}, "waypoint", "opts out"),
        (
            {"mode": "ambient", "labels": {"istio.io/use-waypoint": "w"}},
            "labels.istio.io/use-waypoint",
            "remove it",
        ),
    ],
)
def test_bad_namespace_waypoints(
    mesh_session: MockSession, args: dict[str, Any], field: str, words: str
) -> None:
    assert_refused(mesh_session, lambda: MeshNamespace("shop", args), "MeshNamespace", field, words)


def test_a_waypoint_named_none_is_refused(mesh_session: MockSession) -> None:
    assert_refused(
        mesh_session,
        lambda: Waypoint("w", {"namespace": "shop", "name": "none"}),
        "Waypoint",
        "name",
        "reserves",
    )


def test_ambient_installs_the_gateway_api_crds_before_istiod_and_keeps_them(
    mesh_session: MockSession,
) -> None:
    IstioInstall("istio", {"mode": "ambient"})
    rec = mesh_session.settle()
    crds = rec.one("kubernetes:yaml/v2:ConfigFile")
    assert crds.inputs["file"] == (
        "https://github.com/kubernetes-sigs/gateway-api/releases/download/"
        f"{GATEWAY_API_VERSION}/standard-install.yaml"
    )
    assert crds.options["retain_on_delete"], "destroying the stack keeps the CRDs"
    istiod = rec.one("kubernetes:helm.sh/v3:Release", name="istio-istiod")
    assert rec.depends_on(istiod, crds)


def test_sidecar_mode_installs_them_only_when_asked(mesh_session: MockSession) -> None:
    IstioInstall("a", {})
    IstioInstall(
        "b",
        {
            "system_namespace": "istio-b",
            "gateway_namespace": "ingress-b",
            "gateway_api_crds": {"install": True, "manifest": "https://mirror.example/gw.yaml"},
        },
    )
    rec = mesh_session.settle()
    (crds,) = rec.find("kubernetes:yaml/v2:ConfigFile")
    assert crds.name == "b-gateway-api-crds"
    assert crds.inputs["file"] == "https://mirror.example/gw.yaml"


@pytest.mark.parametrize(
    ("crds", "field", "words"),
    [
        ({"install": False, "version": "v1.6.0"}, "gateway_api_crds.version", "install=True"),
        ({"version": "1.6"}, "gateway_api_crds.version", "release tag like"),
        ({"version": "v1.6.0", "manifest": "x"}, "gateway_api_crds.manifest", "unused"),
    ],
)
def test_bad_crd_settings(
    mesh_session: MockSession, crds: dict[str, Any], field: str, words: str
) -> None:
    assert_refused(
        mesh_session,
        lambda: IstioInstall("i", {"mode": "ambient", "gateway_api_crds": crds}),
        "IstioInstall",
        field,
        words,
    )


def test_the_ambient_stack_runs_its_routes_and_path_rules_through_a_waypoint() -> None:
    rec, exports = run_stack("ambient")
    waypoint = rec.one(kind="Gateway", namespace="demo")
    assert waypoint.manifest()["spec"]["gatewayClassName"] == "istio-waypoint"
    demo = rec.one(kind="Namespace", object_name="demo")
    assert demo.metadata["labels"]["istio.io/use-waypoint"] == "waypoint"
    crds = rec.one("kubernetes:yaml/v2:ConfigFile")
    assert rec.depends_on(waypoint, crds), "the Gateway kind exists before the waypoint"
    found = policies(rec)
    monitor = Request("demo", "cluster.local/ns/monitoring/sa/prometheus", "/metrics", "GET")
    via = {"waypoint": "waypoint", "waypoint_principal": "cluster.local/ns/demo/sa/waypoint"}
    assert allowed_through_waypoint(found, monitor, **via)
    assert not allowed_through_waypoint(found, Request("demo", monitor.principal, "/admin"), **via)
    assert not allowed(found, monitor), "not around the waypoint"
    assert exports["analysis"] == []
