"""CanaryRoute with api='gateway-api': per-version Services, HTTPRoutes for the mesh (Service
parent) and the gateways, ReferenceGrants, and what the Gateway API cannot say."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import assert_refused
from test_schemas import core_errors, istio_results

from mesh_https import CanaryRoute, analysis
from mesh_https.testing import MockSession, Recording

REVIEWS: dict[str, Any] = {
    "api": "gateway-api",
    "host": "reviews",
    "namespace": "bookinfo",
    "port": 9080,
    "subsets": [
        {"name": "v1", "labels": {"version": "v1"}, "weight": 90},
        {"name": "v2", "labels": {"version": "v2"}, "weight": 10},
        {"name": "v3", "labels": {"version": "v3"}},
    ],
}


def route_spec(rec: Recording, name: str) -> dict[str, Any]:
    return dict(rec.one(kind="HTTPRoute", object_name=name).manifest()["spec"])


def test_a_canary_is_versions_as_services_and_an_httproute(mesh_session: MockSession) -> None:
    CanaryRoute(
        "reviews",
        {
            **REVIEWS,
            "routes": [
                {"name": "jason", "subset": "v3", "headers": {"end-user": {"exact": "jason"}}}
            ],
            "timeout": "5s",
        },
    )
    rec = mesh_session.settle()
    assert rec.kinds("DestinationRule") == [] and rec.kinds("VirtualService") == []
    services = {s.object_name: s.inputs["spec"] for s in rec.kinds("Service")}
    assert services["reviews-v2"] == {
        "selector": {"app": "reviews", "version": "v2"},
        "ports": [{"name": "http", "port": 9080, "targetPort": 9080}],
    }
    assert set(services) == {"reviews-v1", "reviews-v2", "reviews-v3"}
    spec = route_spec(rec, "reviews-mesh")
    assert spec["parentRefs"] == [{"group": "", "kind": "Service", "name": "reviews", "port": 9080}]
    jason, default = spec["rules"]
    assert jason["matches"] == [
        {"headers": [{"name": "end-user", "type": "Exact", "value": "jason"}]}
    ]
    assert jason["backendRefs"] == [{"name": "reviews-v3", "port": 9080}]
    assert default["backendRefs"] == [
        {"name": "reviews-v1", "port": 9080, "weight": 90},
        {"name": "reviews-v2", "port": 9080, "weight": 10},
    ]
    assert default["timeouts"] == {"request": "5s"}
    route = rec.one(kind="HTTPRoute")
    assert all(rec.depends_on(route, s) for s in rec.kinds("Service")), "versions exist first"
    results = istio_results([route.manifest()])
    assert results[0]["errors"] == [], results
    assert all(core_errors(s.manifest()) == [] for s in rec.kinds("Service"))


def test_filters_matches_and_gateway_parents(mesh_session: MockSession) -> None:
    CanaryRoute(
        "httpbin",
        {
            "api": "gateway-api",
            "host": "httpbin",
            "namespace": "httpbin",
            "port": 8000,
            "gateways": [{"ref": "edge/web", "hosts": ["httpbin.example.com"]}],
            "external_hosts": ["httpbin.example.com"],
            "routes": [
                {
                    "name": "api",
                    "path": {"prefix": "/v1/"},
                    "method": {"exact": "GET"},
                    "query_params": {"debug": {"exact": "1"}},
                    "destination": {},
                    "rewrite": {"uri": "/", "authority": "api.internal"},
                    "request_headers": {"set": {"x-a": "1"}, "remove": ["x-b"]},
                    "response_headers": {"add": {"x-c": "2"}},
                },
                {
                    "name": "old",
                    "path": {"exact": "/old"},
                    "redirect": {"uri": "/new", "scheme": "https", "response_code": 308},
                },
                {"name": "beta", "cookie": {"name": "beta", "value": "1"}, "destination": {}},
                {
                    "name": "legacy",
                    "path": {"regex": "^/legacy/.*"},
                    "destination": {"host": "legacy.other.svc.cluster.local", "port": 8080},
                },
            ],
        },
    )
    rec = mesh_session.settle()
    gateway_route = route_spec(rec, "httpbin")
    assert gateway_route["parentRefs"] == [
        {
            "group": "gateway.networking.k8s.io",
            "kind": "Gateway",
            "namespace": "edge",
            "name": "web",
            "port": 443,  # the HTTPS listeners, not the redirecting HTTP one
        }
    ]
    assert gateway_route["hostnames"] == ["httpbin.example.com"]
    api, old, beta, legacy, default = gateway_route["rules"]
    assert api["matches"] == [
        {
            "path": {"type": "PathPrefix", "value": "/v1/"},
            "method": "GET",
            "queryParams": [{"name": "debug", "type": "Exact", "value": "1"}],
        }
    ]
    assert api["filters"] == [
        {
            "type": "URLRewrite",
            "urlRewrite": {
                "path": {"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"},
                "hostname": "api.internal",
            },
        },
        {
            "type": "RequestHeaderModifier",
            "requestHeaderModifier": {"set": [{"name": "x-a", "value": "1"}], "remove": ["x-b"]},
        },
        {
            "type": "ResponseHeaderModifier",
            "responseHeaderModifier": {"add": [{"name": "x-c", "value": "2"}]},
        },
    ]
    assert old == {
        "name": "old",
        "matches": [{"path": {"type": "Exact", "value": "/old"}}],
        "filters": [
            {
                "type": "RequestRedirect",
                "requestRedirect": {
                    "scheme": "https",
                    "path": {"type": "ReplaceFullPath", "replaceFullPath": "/new"},
                    "statusCode": 308,
                },
            }
        ],
    }
    assert beta["matches"][0]["headers"][0]["name"] == "cookie"
    assert legacy["backendRefs"] == [{"name": "legacy", "namespace": "other", "port": 8080}]
    assert default["backendRefs"] == [{"name": "httpbin", "port": 8000}]
    # A backend in another namespace needs that namespace's permission.
    grant = rec.one(kind="ReferenceGrant")
    assert grant.namespace == "other"
    assert grant.manifest()["spec"] == {
        "from": [
            {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "httpbin"}
        ],
        "to": [{"group": "", "kind": "Service", "name": "legacy"}],
    }
    routes = [r.manifest() for r in rec.kinds("HTTPRoute")]
    results = istio_results([*routes, grant.manifest()])
    assert [r["errors"] for r in results] == [[], [], []], results


def test_in_ambient_the_mesh_route_needs_the_namespaces_waypoint(mesh_session: MockSession) -> None:
    CanaryRoute("reviews", dict(REVIEWS))
    rec = mesh_session.settle()
    manifests = rec.manifests()

    def namespace(labels: dict[str, str]) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "bookinfo", "labels": labels},
        }

    ambient = {"istio.io/dataplane-mode": "ambient"}
    without = analysis.analyze([*manifests, namespace(ambient)])
    assert [f.code for f in without] == ["MESH011"]
    with_waypoint = {**ambient, "istio.io/use-waypoint": "waypoint"}
    assert analysis.analyze([*manifests, namespace(with_waypoint)]) == []


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"retries": {"attempts": 2}}, "retries", "experimental"),
        ({"fault": {"abort": {"http_status": 503, "percentage": 1}}}, "fault", "no fault"),
        ({"mirror": {"subset": "v2", "percentage": 5}}, "mirror", "standard channel"),
        ({"load_balancer": {"simple": "RANDOM"}}, "load_balancer", "Service of its own"),
        ({"export_to": ["*"]}, "export_to", "no exportTo"),
        ({"port": None}, "port", "each version is a Service"),
        (
            {"routes": [{"name": "r", "subset": "v2", "headers": {"x": {"prefix": "a"}}}]},
            "routes[0].headers.x",
            "exact or regex",
        ),
        (
            {"routes": [{"name": "r", "subset": "v2", "method": {"prefix": "G"}}]},
            "routes[0].method",
            "only exactly",
        ),
        (
            {
                "routes": [
                    {"name": "r", "path": {"exact": "/a"}, "subset": "v2", "rewrite": {"uri": "/b"}}
                ]
            },
            "routes[0].rewrite.uri",
            "match the path by prefix",
        ),
    ],
)
def test_what_the_gateway_api_cannot_say_is_refused(
    mesh_session: MockSession, extra: dict[str, Any], field: str, words: str
) -> None:
    args = {**REVIEWS, **extra}
    if extra.get("port", 0) is None:
        del args["port"]
    assert_refused(mesh_session, lambda: CanaryRoute("r", args), "CanaryRoute", field, words)


def test_target_port_belongs_to_the_gateway_api(mesh_session: MockSession) -> None:
    args = {**REVIEWS, "api": "istio", "target_port": 8080}
    assert_refused(
        mesh_session, lambda: CanaryRoute("r", args), "CanaryRoute", "target_port", "gateway-api"
    )


def test_the_route_names_say_which_objects_exist(mesh_session: MockSession) -> None:
    gateway_api = CanaryRoute(
        "a",
        {
            **REVIEWS,
            "gateways": [{"ref": "edge/web", "hosts": ["r.example.com"]}],
            "external_hosts": ["r.example.com"],
        },
    )
    istio = CanaryRoute("b", {**REVIEWS, "api": "istio", "namespace": "other"})
    assert mesh_session.value(gateway_api.http_route_names) == ["bookinfo/a-mesh", "bookinfo/a"]
    assert mesh_session.value(gateway_api.virtual_service_name) == ""
    assert mesh_session.value(gateway_api.destination_rule_name) == ""
    assert mesh_session.value(istio.http_route_names) == []
    assert mesh_session.value(istio.virtual_service_name) == "other/b"
