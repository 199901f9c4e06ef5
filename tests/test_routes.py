"""CanaryRoute as a general router: whole-service and cross-host destinations, path and
method matches, rewrites, redirects and header operations, and header-only subsets."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import assert_refused
from test_schemas import istio_results

from mesh_https import CanaryRoute
from mesh_https.testing import MockSession, Recording

HTTPBIN = {"host": "httpbin", "namespace": "httpbin", "port": 8000}


def http(rec: Recording) -> list[dict[str, Any]]:
    return list(rec.one(kind="VirtualService").spec["http"])


def test_a_single_version_service_needs_no_subset_and_no_destination_rule(
    mesh_session: MockSession,
) -> None:
    route = CanaryRoute("httpbin", dict(HTTPBIN))
    rec = mesh_session.settle()
    assert rec.kinds("DestinationRule") == []
    assert http(rec) == [
        {
            "name": "default",
            "route": [
                {
                    "destination": {
                        "host": "httpbin.httpbin.svc.cluster.local",
                        "port": {"number": 8000},
                    }
                }
            ],
        }
    ]
    assert mesh_session.value(route.destination_rule_name) == ""
    assert mesh_session.value(route.route_table)[0]["to"] == {
        "httpbin.httpbin.svc.cluster.local": 100
    }


def test_a_traffic_policy_alone_still_gets_a_destination_rule(mesh_session: MockSession) -> None:
    CanaryRoute("httpbin", {**HTTPBIN, "load_balancer": {"simple": "LEAST_REQUEST"}})
    rec = mesh_session.settle()
    dr, vs = rec.one(kind="DestinationRule"), rec.one(kind="VirtualService")
    assert "subsets" not in dr.spec
    assert dr.spec["trafficPolicy"] == {"loadBalancer": {"simple": "LEAST_REQUEST"}}
    assert rec.depends_on(vs, dr)


def test_paths_methods_rewrites_redirects_and_headers(mesh_session: MockSession) -> None:
    CanaryRoute(
        "httpbin",
        {
            **HTTPBIN,
            "routes": [
                {
                    "name": "status",
                    "path": {"prefix": "/status"},
                    "method": {"exact": "GET"},
                    "destination": {},
                    "request_headers": {"set": {"x-route": "status"}, "remove": ["x-debug"]},
                    "response_headers": {"add": {"cache-control": "no-store"}},
                },
                {
                    "name": "legacy",
                    "path": {"prefix": "/v1/"},
                    "destination": {"host": "httpbin-v1", "port": 8080},
                    "rewrite": {"uri": "/", "authority": "legacy.internal"},
                },
                {
                    "name": "moved",
                    "path": {"exact": "/old"},
                    "redirect": {"uri": "/new", "response_code": 308},
                },
                {"name": "assets", "path": {"regex": "^/static/.*\\.css$"}, "destination": {}},
            ],
            "timeout": "5s",
        },
    )
    rec = mesh_session.settle()
    status, legacy, moved, assets, default = http(rec)
    own = {"host": "httpbin.httpbin.svc.cluster.local", "port": {"number": 8000}}
    assert status == {
        "name": "status",
        "match": [{"uri": {"prefix": "/status"}, "method": {"exact": "GET"}}],
        "route": [{"destination": own}],
        "headers": {
            "request": {"set": {"x-route": "status"}, "remove": ["x-debug"]},
            "response": {"add": {"cache-control": "no-store"}},
        },
        "timeout": "5s",
    }
    assert legacy["route"] == [
        {"destination": {"host": "httpbin-v1.httpbin.svc.cluster.local", "port": {"number": 8080}}}
    ]
    assert legacy["rewrite"] == {"uri": "/", "authority": "legacy.internal"}
    # A redirect forwards nothing: no route, and none of the forwarding settings.
    assert moved == {
        "name": "moved",
        "match": [{"uri": {"exact": "/old"}}],
        "redirect": {"uri": "/new", "redirectCode": 308},
    }
    assert assets["match"] == [{"uri": {"regex": "^/static/.*\\.css$"}}]
    # Istio's order: first match wins, the catch-all last.
    assert default["name"] == "default" and "match" not in default
    results = istio_results([rec.one(kind="VirtualService").manifest()])
    assert results[0]["errors"] == [], results


def test_a_header_only_subset_needs_no_weight(mesh_session: MockSession) -> None:
    route = CanaryRoute(
        "reviews",
        {
            "host": "reviews",
            "namespace": "bookinfo",
            "subsets": [
                {"name": "v1", "labels": {"version": "v1"}, "weight": 100},
                {"name": "v3", "labels": {"version": "v3"}},
            ],
            "routes": [
                {"name": "jason", "subset": "v3", "headers": {"end-user": {"exact": "jason"}}}
            ],
        },
    )
    rec = mesh_session.settle()
    dr = rec.one(kind="DestinationRule")
    assert [s["name"] for s in dr.spec["subsets"]] == ["v1", "v3"]
    jason, default = http(rec)
    assert jason["route"][0]["destination"]["subset"] == "v3"
    assert default["route"] == [
        {
            "destination": {"host": "reviews.bookinfo.svc.cluster.local", "subset": "v1"},
            "weight": 100,
        }
    ]
    assert mesh_session.value(route.route_table)[-1]["to"] == {"v1": 100}


@pytest.mark.parametrize(
    ("route", "field", "words"),
    [
        ({"name": "r", "path": {"prefix": "/a"}}, "routes[0]", "give exactly one"),
        (
            {"name": "r", "path": {"prefix": "/a"}, "subset": "v1", "redirect": {"uri": "/b"}},
            "routes[0]",
            "subset and redirect",
        ),
        ({"name": "r", "path": {"prefix": "/a"}, "redirect": {}}, "routes[0].redirect", "is empty"),
        (
            {
                "name": "r",
                "path": {"prefix": "/a"},
                "redirect": {"uri": "/b"},
                "rewrite": {"uri": "/"},
            },
            "routes[0].rewrite",
            "redirect",
        ),
        ({"name": "r", "subset": "v1"}, "routes[0]", "has no condition"),
        (
            {"name": "r", "path": {"prefix": "/a"}, "destination": {"subset": "v9"}},
            "routes[0].destination.subset",
            "known subsets",
        ),
        (
            {
                "name": "r",
                "path": {"prefix": "/a"},
                "subset": "v1",
                "request_headers": {"set": {"x-a": "1"}, "remove": ["x-a"]},
            },
            "routes[0].request_headers.remove",
            "one operation per header",
        ),
        (
            {"name": "r", "path": {"prefix": "/a"}, "subset": "v1", "response_headers": {}},
            "routes[0].response_headers",
            "is empty",
        ),
        (
            {"name": "default", "path": {"prefix": "/a"}, "subset": "v1"},
            "routes[0].name",
            "repeats",
        ),
    ],
)
def test_bad_routes_are_refused(
    mesh_session: MockSession, route: dict[str, Any], field: str, words: str
) -> None:
    args = {
        "host": "reviews",
        "namespace": "bookinfo",
        "subsets": [{"name": "v1", "labels": {"version": "v1"}, "weight": 100}],
        "routes": [route],
    }
    assert_refused(mesh_session, lambda: CanaryRoute("r", args), "CanaryRoute", field, words)


def test_subsets_without_any_weight_are_refused(mesh_session: MockSession) -> None:
    args = {
        "host": "reviews",
        "namespace": "bookinfo",
        "subsets": [{"name": "v1", "labels": {"version": "v1"}}],
    }
    assert_refused(
        mesh_session, lambda: CanaryRoute("r", args), "CanaryRoute", "subsets", "give no weights"
    )
