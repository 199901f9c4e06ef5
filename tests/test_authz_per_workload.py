"""Per-workload authorization: selector policies, "only A may call B" as one rule, and the
gateway admitted only to the workloads its routes reach. Each case is proven with the
suite's AuthorizationPolicy evaluator (tests/authz.py), over what was registered."""

from __future__ import annotations

from typing import Any

import pytest
from authz import Request, allowed
from conftest import assert_refused

from mesh_https import CanaryRoute, StrictMtls, workload_principal
from mesh_https.testing import MockSession, Recording

GATEWAY = "cluster.local/ns/istio-ingress/sa/istio-ingress"
PRODUCTPAGE = workload_principal("bookinfo", "bookinfo-productpage")
REVIEWS = workload_principal("bookinfo", "bookinfo-reviews")
FRONTEND = workload_principal("frontend", "web")


def policies(rec: Recording) -> list[dict[str, Any]]:
    return [r.manifest() for r in rec.kinds("AuthorizationPolicy")]


def to(app: str, caller: str | None) -> Request:
    return Request("bookinfo", caller, labels={"app": app})


def test_a_selector_rule_admits_only_to_its_workloads(mesh_session: MockSession) -> None:
    StrictMtls(
        "mtls",
        {
            "namespaces": ["bookinfo"],
            "allow": [
                {"name": "reviews", "principals": [PRODUCTPAGE], "to_workloads": {"app": "reviews"}}
            ],
        },
    )
    rec = mesh_session.settle()
    policy = rec.one(kind="AuthorizationPolicy", object_name="allow-reviews")
    assert policy.spec["selector"] == {"matchLabels": {"app": "reviews"}}
    table = {
        ("reviews", PRODUCTPAGE): True,  # selector match, source match
        ("ratings", PRODUCTPAGE): False,  # selector miss: only allow-nothing applies
        ("reviews", FRONTEND): False,  # selector match, source miss
    }
    for (app, caller), expected in table.items():
        assert allowed(policies(rec), to(app, caller)) is expected, (app, caller)


@pytest.mark.parametrize("only", [False, True])
def test_allows_add_up_unless_the_rule_says_only(mesh_session: MockSession, only: bool) -> None:
    StrictMtls(
        "mtls",
        {
            "namespaces": ["bookinfo"],
            "allow": [
                {"name": "frontend", "namespaces": ["frontend"]},  # namespace-wide
                {
                    "name": "reviews",
                    "principals": [PRODUCTPAGE],
                    "to_workloads": {"app": "reviews"},
                    "only": only,
                },
            ],
        },
    )
    rec = mesh_session.settle()
    found = policies(rec)
    assert bool(rec.find(kind="AuthorizationPolicy", object_name="deny-reviews")) is only
    # Several ALLOWs add up: frontend reaches reviews through the namespace-wide rule...
    assert allowed(found, to("reviews", FRONTEND)) is (not only)
    # ...unless the reviews rule says only productpage: then one rule is enough.
    assert allowed(found, to("reviews", PRODUCTPAGE))
    assert allowed(found, to("ratings", FRONTEND)), "other workloads keep the namespace rule"
    assert not allowed(found, to("ratings", PRODUCTPAGE))
    assert not allowed(found, to("reviews", None)), "plaintext has no identity"


def test_the_gateway_is_admitted_only_where_routes_take_it(mesh_session: MockSession) -> None:
    gateway = {"ref": "istio-ingress/edge", "hosts": ["bookinfo.example.com"]}
    productpage = CanaryRoute(
        "productpage",
        {
            "host": "productpage",
            "namespace": "bookinfo",
            "gateways": [gateway],
            "external_hosts": ["bookinfo.example.com"],
            "routes": [
                {
                    "name": "ratings-api",
                    "path": {"prefix": "/ratings"},
                    "destination": {"host": "ratings"},
                }
            ],
        },
    )
    in_mesh = CanaryRoute("reviews", {"host": "reviews", "namespace": "bookinfo"})
    assert in_mesh.gateway_targets == []
    bound = {"gateway_namespaces": ["istio-ingress"]}
    assert productpage.gateway_targets == [
        {
            "name": "productpage",
            "namespace": "bookinfo",
            "selector": {"app": "productpage"},
            **bound,
        },
        {
            "name": "productpage-ratings",
            "namespace": "bookinfo",
            "selector": {"app": "ratings"},
            **bound,
        },
    ]
    StrictMtls(
        "mtls",
        {
            "namespaces": ["bookinfo"],
            "gateway_principal": GATEWAY,
            "gateway_targets": [*productpage.gateway_targets, *in_mesh.gateway_targets],
        },
    )
    rec = mesh_session.settle()
    found = policies(rec)
    assert not rec.find(kind="AuthorizationPolicy", object_name="allow-ingress-gateway")
    assert allowed(found, to("productpage", GATEWAY))
    assert allowed(found, to("ratings", GATEWAY)), "a route sends gateway traffic there"
    assert not allowed(found, to("reviews", GATEWAY)), "no route from the gateway reaches it"
    assert not allowed(found, to("productpage", "cluster.local/ns/istio-ingress/sa/other"))


def test_without_targets_the_gateway_is_admitted_namespace_wide(mesh_session: MockSession) -> None:
    StrictMtls("mtls", {"namespaces": ["bookinfo"], "gateway_principal": GATEWAY})
    rec = mesh_session.settle()
    assert allowed(policies(rec), to("reviews", GATEWAY))


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        (
            {"allow": [{"name": "r", "principals": [REVIEWS], "only": True}]},
            "allow[0].only",
            "needs `to_workloads`",
        ),
        (
            {"allow": [{"name": "r", "principals": [REVIEWS], "to_workloads": {}}]},
            "allow[0].to_workloads",
            "is empty",
        ),
        (
            {
                "gateway_principal": GATEWAY,
                "gateway_targets": [{"name": "a", "namespace": "other", "selector": {"app": "a"}}],
            },
            "gateway_targets[0].namespace",
            "not a protected namespace",
        ),
        (
            {"gateway_targets": [{"name": "a", "namespace": "bookinfo", "selector": {"app": "a"}}]},
            "gateway_targets",
            "no gateway principal",
        ),
        (
            {
                "gateway_principal": GATEWAY,
                "gateway_targets": [
                    {"name": "a", "namespace": "bookinfo", "selector": {"app": "a"}},
                    {"name": "a", "namespace": "bookinfo", "selector": {"app": "b"}},
                ],
            },
            "gateway_targets[1].name",
            "repeats",
        ),
    ],
)
def test_bad_per_workload_input(
    mesh_session: MockSession, args: dict[str, Any], field: str, words: str
) -> None:
    assert_refused(
        mesh_session,
        lambda: StrictMtls("m", {"namespaces": ["bookinfo"], **args}),
        "StrictMtls",
        field,
        words,
    )


def test_each_gateway_is_admitted_only_to_the_workloads_of_its_own_routes(
    mesh_session: MockSession,
) -> None:
    internal = "cluster.local/ns/istio-internal/sa/istio-internal"
    routes = [
        CanaryRoute(
            app,
            {
                "host": app,
                "namespace": "bookinfo",
                "gateways": [{"ref": ref, "hosts": [host]}],
                "external_hosts": [host],
                "mesh": False,
            },
        )
        for app, ref, host in (
            ("productpage", "istio-ingress/public", "shop.example.com"),
            ("admin", "istio-internal/internal", "admin.corp.example"),
        )
    ]
    StrictMtls(
        "mtls",
        {
            "namespaces": ["bookinfo"],
            "gateway_principals": [GATEWAY, internal],
            "gateway_targets": [t for r in routes for t in r.gateway_targets],
        },
    )
    rec = mesh_session.settle()
    found = policies(rec)
    table = {
        ("productpage", GATEWAY): True,
        ("productpage", internal): False,
        ("admin", internal): True,
        ("admin", GATEWAY): False,
    }
    for (app, caller), expected in table.items():
        assert allowed(found, to(app, caller)) is expected, (app, caller)


def test_a_target_whose_gateway_has_no_principal_is_refused(mesh_session: MockSession) -> None:
    target = {
        "name": "admin",
        "namespace": "bookinfo",
        "selector": {"app": "admin"},
        "gateway_namespaces": ["istio-internal"],
    }
    assert_refused(
        mesh_session,
        lambda: StrictMtls(
            "m",
            {"namespaces": ["bookinfo"], "gateway_principal": GATEWAY, "gateway_targets": [target]},
        ),
        "StrictMtls",
        "gateway_targets[0].gateway_namespaces",
        "none of the gateway principals",
    )
