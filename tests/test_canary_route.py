"""CanaryRoute: the exact Istio fields for every option, the order, and bad input."""

from __future__ import annotations

from typing import Any

import pulumi_kubernetes as k8s
import pytest

from mesh_https import CanaryRoute, HttpsGateway, ValidationError
from mesh_https.testing import MockSession, Recording

SUBSETS: list[Any] = [
    {"name": "v1", "labels": {"version": "v1"}, "weight": 80},
    {"name": "v2", "labels": {"version": "v2"}, "weight": 20},
]
BASE: dict[str, Any] = {"host": "helloworld", "namespace": "demo", "subsets": SUBSETS}
HOST = "helloworld.demo.svc.cluster.local"
GATEWAY: Any = {"ref": "istio-ingress/edge", "hosts": ["hello.example.com"]}


def build(session: MockSession, **args: Any) -> tuple[CanaryRoute, Recording]:
    route = CanaryRoute("hello", {**BASE, **args})
    return route, session.settle()


def specs(rec: Recording) -> tuple[dict[str, Any], dict[str, Any]]:
    return rec.one(kind="DestinationRule").spec, rec.one(kind="VirtualService").spec


def test_minimal_route_emits_exactly_the_subsets_and_weights(mesh_session: MockSession) -> None:
    route, rec = build(mesh_session)
    dr, vs = specs(rec)
    assert dr == {
        "host": HOST,
        "exportTo": ["."],
        "subsets": [
            {"name": "v1", "labels": {"version": "v1"}},
            {"name": "v2", "labels": {"version": "v2"}},
        ],
    }
    assert vs == {
        "hosts": [HOST],
        "gateways": ["mesh"],
        "exportTo": ["."],
        "http": [
            {
                "name": "default",
                "route": [
                    {"destination": {"host": HOST, "subset": "v1"}, "weight": 80},
                    {"destination": {"host": HOST, "subset": "v2"}, "weight": 20},
                ],
            }
        ],
    }
    assert mesh_session.value(route.virtual_service_name) == "demo/hello"
    assert mesh_session.value(route.destination_rule_name) == "demo/hello"
    assert mesh_session.value(route.host) == HOST


def test_virtual_service_depends_on_destination_rule(mesh_session: MockSession) -> None:
    service = k8s.core.v1.Service("svc", metadata={"name": "helloworld", "namespace": "demo"})
    CanaryRoute("hello", {**BASE, "depends_on": [service]})
    rec = mesh_session.settle()
    dr, vs = rec.one(kind="DestinationRule"), rec.one(kind="VirtualService")
    assert rec.depends_on(vs, dr), "make-before-break: subsets exist before routes use them"
    assert not rec.depends_on(dr, vs)
    assert rec.depends_on(dr, rec.one(kind="Service"))
    assert rec.depends_on(vs, rec.one(kind="Service"))


def test_fqdn_host_is_kept(mesh_session: MockSession) -> None:
    _, rec = build(mesh_session, host="reviews.shop.svc.cluster.local")
    assert specs(rec)[0]["host"] == "reviews.shop.svc.cluster.local"


def test_gateways_external_hosts_and_mesh(mesh_session: MockSession) -> None:
    _, rec = build(
        mesh_session, gateways=[GATEWAY], external_hosts=["hello.example.com"], port=5000
    )
    vs = specs(rec)[1]
    assert vs["hosts"] == ["hello.example.com", HOST]
    assert vs["gateways"] == ["istio-ingress/edge", "mesh"]
    assert vs["http"][0]["route"][0]["destination"]["port"] == {"number": 5000}
    with MockSession() as other:
        CanaryRoute(
            "hello",
            {**BASE, "gateways": [GATEWAY], "external_hosts": ["hello.example.com"], "mesh": False},
        )
        vs = other.settle().one(kind="VirtualService").spec
        assert vs["hosts"] == ["hello.example.com"] and vs["gateways"] == ["istio-ingress/edge"]


def test_gateway_namespaces_are_always_exported_to(mesh_session: MockSession) -> None:
    _, rec = build(mesh_session, gateways=[GATEWAY], external_hosts=["hello.example.com"])
    dr, vs = specs(rec)
    # The gateway proxy runs in istio-ingress: it must see both the routes and the subsets.
    assert dr["exportTo"] == vs["exportTo"] == [".", "istio-ingress"]
    with MockSession() as other:
        CanaryRoute(
            "hello",
            {
                **BASE,
                "gateways": [GATEWAY],
                "external_hosts": ["hello.example.com"],
                "export_to": ["*"],
            },
        )
        assert other.settle().one(kind="VirtualService").spec["exportTo"] == ["*"]


def test_route_target_of_an_https_gateway(mesh_session: MockSession) -> None:
    gateway = HttpsGateway(
        "edge",
        {
            "gateway_namespace": "istio-ingress",
            "selector": {"istio": "ingress"},
            "hosts": ["hello.example.com"],
        },
    )
    CanaryRoute(
        "hello",
        {**BASE, "gateways": [gateway.route_target()], "external_hosts": ["hello.example.com"]},
    )
    vs = mesh_session.settle().one(kind="VirtualService").spec
    assert vs["gateways"] == ["istio-ingress/edge", "mesh"]


def test_match_routes_come_first_in_order(mesh_session: MockSession) -> None:
    routes = [
        {"name": "header-exact", "subset": "v2", "headers": {"x-canary": {"exact": "always"}}},
        {"name": "header-prefix", "subset": "v2", "headers": {"x-user": {"prefix": "qa-"}}},
        {"name": "header-regex", "subset": "v1", "headers": {"x-id": {"regex": "^[0-9]+$"}}},
        {"name": "cookie", "subset": "v2", "cookie": {"name": "beta", "value": "yes"}},
        {"name": "path-exact", "subset": "v1", "path": {"exact": "/hello"}},
        {"name": "path-prefix", "subset": "v2", "path": {"prefix": "/v2/"}},
        {"name": "query", "subset": "v2", "query_params": {"canary": {"exact": "1"}}},
        {
            "name": "combined",
            "subset": "v2",
            "headers": {"x-a": {"exact": "1"}},
            "path": {"prefix": "/api"},
        },
    ]
    route, rec = build(mesh_session, routes=routes)
    http = specs(rec)[1]["http"]
    assert [r["name"] for r in http] == [r["name"] for r in routes] + ["default"]
    matches = [r["match"] for r in http[:-1]]
    assert matches == [
        [{"headers": {"x-canary": {"exact": "always"}}}],
        [{"headers": {"x-user": {"prefix": "qa-"}}}],
        [{"headers": {"x-id": {"regex": "^[0-9]+$"}}}],
        [{"headers": {"cookie": {"regex": "^(.*?;\\s*)?(beta=yes)(;.*)?$"}}}],
        [{"uri": {"exact": "/hello"}}],
        [{"uri": {"prefix": "/v2/"}}],
        [{"queryParams": {"canary": {"exact": "1"}}}],
        [{"headers": {"x-a": {"exact": "1"}}, "uri": {"prefix": "/api"}}],
    ]
    assert http[0]["route"] == [{"destination": {"host": HOST, "subset": "v2"}}]
    table = mesh_session.value(route.route_table)
    assert table[0] == {
        "name": "header-exact",
        "match": "header x-canary exact 'always'",
        "to": {"v2": 100},
    }
    assert table[3]["match"] == "cookie beta = 'yes'"
    assert table[-1] == {"name": "default", "match": "everything else", "to": {"v1": 80, "v2": 20}}


def test_the_cookie_regex_matches_only_that_cookie() -> None:
    import re

    pattern = re.compile("^(.*?;\\s*)?(beta=yes)(;.*)?$")
    assert pattern.match("beta=yes")
    assert pattern.match("a=1; beta=yes; b=2")
    assert not pattern.match("notbeta=yes")
    assert not pattern.match("beta=yesno")


def test_retries_timeout_fault_and_mirror(mesh_session: MockSession) -> None:
    route, rec = build(
        mesh_session,
        routes=[{"name": "force", "subset": "v2", "headers": {"x-canary": {"exact": "1"}}}],
        retries={"attempts": 3, "per_try_timeout": "2s", "retry_on": ["5xx", "connect-failure"]},
        timeout="6s",
        fault={
            "delay": {"fixed_delay": "5s", "percentage": 10},
            "abort": {"http_status": 503, "percentage": 1.5},
        },
        mirror={"subset": "v2", "percentage": 25},
    )
    force, default = specs(rec)[1]["http"]
    for r in (force, default):
        assert r["timeout"] == "6s"
        assert r["retries"] == {
            "attempts": 3,
            "perTryTimeout": "2s",
            "retryOn": "5xx,connect-failure",
        }
        assert r["fault"] == {
            "delay": {"fixedDelay": "5s", "percentage": {"value": 10.0}},
            "abort": {"httpStatus": 503, "percentage": {"value": 1.5}},
        }
    assert default["mirror"] == {"host": HOST, "subset": "v2"}
    assert default["mirrorPercentage"] == {"value": 25.0}
    assert "mirror" not in force
    assert mesh_session.value(route.route_table)[-1]["mirror"] == {"v2": 25}


@pytest.mark.parametrize(
    ("lb", "expected"),
    [
        ({"simple": "ROUND_ROBIN"}, {"simple": "ROUND_ROBIN"}),
        ({"simple": "LEAST_REQUEST"}, {"simple": "LEAST_REQUEST"}),
        ({"simple": "RANDOM"}, {"simple": "RANDOM"}),
        ({"consistent_hash_header": "x-user"}, {"consistentHash": {"httpHeaderName": "x-user"}}),
        (
            {"consistent_hash_cookie": "session", "cookie_ttl": "3600s"},
            {"consistentHash": {"httpCookie": {"name": "session", "ttl": "3600s"}}},
        ),
    ],
)
def test_load_balancer(mesh_session: MockSession, lb: Any, expected: Any) -> None:
    _, rec = build(mesh_session, load_balancer=lb)
    assert specs(rec)[0]["trafficPolicy"] == {"loadBalancer": expected}


def test_connection_pool_outlier_detection_and_tls(mesh_session: MockSession) -> None:
    _, rec = build(
        mesh_session,
        connection_pool={
            "max_connections": 100,
            "connect_timeout": "1s",
            "http1_max_pending_requests": 10,
            "http2_max_requests": 1000,
            "max_requests_per_connection": 5,
            "max_retries": 3,
        },
        outlier_detection={
            "consecutive_5xx_errors": 5,
            "interval": "10s",
            "base_ejection_time": "30s",
            "max_ejection_percent": 50,
        },
        tls_mode="ISTIO_MUTUAL",
    )
    assert specs(rec)[0]["trafficPolicy"] == {
        "connectionPool": {
            "tcp": {"maxConnections": 100, "connectTimeout": "1s"},
            "http": {
                "http1MaxPendingRequests": 10,
                "http2MaxRequests": 1000,
                "maxRequestsPerConnection": 5,
                "maxRetries": 3,
            },
        },
        "outlierDetection": {
            "consecutive5xxErrors": 5,
            "interval": "10s",
            "baseEjectionTime": "30s",
            "maxEjectionPercent": 50,
        },
        "tls": {"mode": "ISTIO_MUTUAL"},
    }


def test_no_tls_setting_unless_asked(mesh_session: MockSession) -> None:
    _, rec = build(mesh_session)
    assert "trafficPolicy" not in specs(rec)[0], "auto mTLS must not be overridden"


def test_export_to_opt_out(mesh_session: MockSession) -> None:
    _, rec = build(mesh_session, export_to=["*"])
    dr, vs = specs(rec)
    assert dr["exportTo"] == vs["exportTo"] == ["*"]


def test_emitted_spec_is_stable(mesh_session: MockSession) -> None:
    from mesh_https.canary_route import http_routes, traffic_policy

    args: Any = {**BASE, "load_balancer": {"simple": "RANDOM"}, "retries": {"attempts": 2}}
    assert http_routes(args, HOST) == http_routes(dict(args), HOST)
    assert list(traffic_policy(args)) == ["loadBalancer"]


def sub(**weights: Any) -> list[Any]:
    return [{"name": n, "labels": {"version": n}, "weight": w} for n, w in weights.items()]


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"subsets": sub(v1=80.0, v2=20)}, "subsets[0].weight", "a whole number"),
    ({"subsets": sub(v1=True, v2=99)}, "subsets[0].weight", "a whole number"),
    ({"subsets": sub(v1=120, v2=-20)}, "subsets[1].weight", "0 or more"),
    ({"subsets": sub(v1=80, v2=30)}, "subsets", "sum to 110"),
    ({"subsets": []}, "subsets", "leave it out to route to the whole service"),
    (
        {"subsets": [{"name": "v1", "labels": {"v": "1"}, "weight": 50}] * 2},
        "subsets[1].name",
        "unique",
    ),
    ({"subsets": [{"name": "v1", "labels": {}, "weight": 100}]}, "subsets[0].labels", "empty"),
    (
        {"routes": [{"name": "r", "subset": "v3", "headers": {"x": {"exact": "1"}}}]},
        "routes[0].subset",
        "known subsets are ['v1', 'v2']",
    ),
    (
        {"routes": [{"name": "r", "subset": "v2", "headers": {"x": {"regex": "(unclosed"}}}]},
        "routes[0].headers.x.regex",
        "Envoy's RE2 refuses it",
    ),
    (
        {"routes": [{"name": "r", "subset": "v2", "headers": {"x": {"regex": "^(?!admin)"}}}]},
        "routes[0].headers.x.regex",
        "RE2",
    ),
    (
        {"routes": [{"name": "r", "subset": "v2", "path": {"exact": "/a", "prefix": "/b"}}]},
        "routes[0].path",
        "exact, prefix",
    ),
    (
        {"routes": [{"name": "r", "subset": "v2", "query_params": {"q": {"prefix": "a"}}}]},
        "routes[0].query_params.q",
        "exact, regex",
    ),
    ({"routes": [{"name": "r", "subset": "v2"}]}, "routes[0]", "no condition"),
    (
        {"routes": [{"name": "r", "subset": "v2", "headers": {"X-Canary": {"exact": "1"}}}]},
        "routes[0].headers.X-Canary",
        "lowercase",
    ),
    (
        {"mirror": {"subset": "v1", "percentage": 10}, "subsets": sub(v1=100, v2=0)},
        "mirror.subset",
        "100%",
    ),
    ({"mirror": {"subset": "v9", "percentage": 10}}, "mirror.subset", "known subsets"),
    ({"mirror": {"subset": "v2", "percentage": 0}}, "mirror.percentage", "above 0"),
    (
        {"retries": {"attempts": 3, "per_try_timeout": "2s"}, "timeout": "5s"},
        "timeout",
        "shorter than attempts x per-try timeout",
    ),
    ({"timeout": "10 seconds"}, "timeout", "duration like"),
    ({"retries": {"attempts": -1}}, "retries.attempts", "0 or more"),
    (
        {"gateways": [GATEWAY], "external_hosts": ["other.example.com"]},
        "external_hosts[0]",
        "no gateway serves",
    ),
    ({"external_hosts": ["hello.example.com"]}, "gateways", "need a gateway"),
    ({"gateways": [GATEWAY]}, "external_hosts", "is empty"),
    (
        {"fault": {"abort": {"http_status": 99, "percentage": 5}}},
        "fault.abort.http_status",
        "from 200 to 599",
    ),
    (
        {"fault": {"delay": {"fixed_delay": "1s", "percentage": 101}}},
        "fault.delay.percentage",
        "at most 100",
    ),
    ({"load_balancer": {"simple": "FASTEST"}}, "load_balancer.simple", "'ROUND_ROBIN'"),
    (
        {"load_balancer": {"simple": "RANDOM", "consistent_hash_header": "x"}},
        "load_balancer",
        "exactly one",
    ),
    ({"connection_pool": {"max_connections": 0}}, "connection_pool.max_connections", "1 or more"),
    (
        {"outlier_detection": {"max_ejection_percent": 101}},
        "outlier_detection.max_ejection_percent",
        "from 0 to 100",
    ),
    ({"tls_mode": "DISABLE"}, "tls_mode", "'ISTIO_MUTUAL'"),
    ({"export_to": []}, "export_to", "is empty"),
    ({"namespace": "Demo"}, "namespace", "DNS-1123"),
]


@pytest.mark.parametrize(("args", "field", "words"), BAD)
def test_bad_input(mesh_session: MockSession, args: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as err:
        CanaryRoute("hello", {**BASE, **args})
    assert (err.value.component, err.value.field) == ("CanaryRoute", field)
    assert words in str(err.value)
    assert len(mesh_session.settle()) == 0


def test_timeout_that_covers_the_retries_is_fine(mesh_session: MockSession) -> None:
    _, rec = build(mesh_session, retries={"attempts": 3, "per_try_timeout": "2s"}, timeout="6s")
    assert specs(rec)[1]["http"][0]["timeout"] == "6s"
