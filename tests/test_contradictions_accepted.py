"""Near misses of the contradiction refusals (tests/test_bad_input_catalogue.py): inputs that
agree with each other are still accepted, and build what they say."""

from __future__ import annotations

from typing import Any

import pytest

import mesh_https as m
from mesh_https.testing import MockSession

ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("IstioInstall", {"revision": "a", "istiod_values": {"revision": "a"}}),
    ("IstioInstall", {"istiod_values": {"global": {"istioNamespace": "istio-system"}}}),
    ("IstioInstall", {"mode": "ambient", "istiod_values": {"profile": "ambient"}}),
    ("IstioInstall", {"mode": "ambient", "ambient_namespace": "kube-system"}),
    ("IstioInstall", {"istiod_values": {"global": {"logging": {"level": "default:debug"}}}}),
    ("CanaryRoute", {"retries": {"attempts": 0}}),
    (
        "CanaryRoute",
        {
            "routes": [
                {
                    "name": "r",
                    "subset": "v2",
                    "headers": {"x-a": {"exact": "1"}},
                    "request_headers": {"set": {"host": "b.example", "x-b": "100%% %HOSTNAME%"}},
                }
            ]
        },
    ),
    ("CanaryRoute", {"host": "reviews.shop.svc.cluster.local"}),
    ("CanaryRoute", {"host": "reviews.other"}),  # may be a ServiceEntry host: as written
    ("CanaryRoute", {"api": "gateway-api", "port": 9080, "timeout": "1m30s"}),
    ("StrictMtls", {"istio_mutual_hosts": ["db.example.com"]}),
]

ROUTE = {
    "host": "reviews",
    "namespace": "shop",
    "subsets": [
        {"name": "v1", "labels": {"version": "v1"}, "weight": 80},
        {"name": "v2", "labels": {"version": "v2"}, "weight": 20},
    ],
}


@pytest.mark.parametrize(("component", "args"), ACCEPTED, ids=lambda x: str(x)[:60])
def test_inputs_that_agree_are_accepted(component: str, args: dict[str, Any]) -> None:
    base: dict[str, Any] = {"CanaryRoute": ROUTE, "StrictMtls": {"namespaces": ["shop"]}}.get(
        component, {}
    )
    with MockSession() as session:
        getattr(m, component)("x", {**base, **args})
        assert len(session.settle()) > 0


def test_a_non_service_host_gets_its_rule_in_the_root_namespace() -> None:
    with MockSession() as session:
        m.StrictMtls(
            "mtls",
            {
                "namespaces": ["shop"],
                "istio_mutual_hosts": ["db.example.com", "reviews.shop.svc.cluster.local"],
            },
        )
        recording = session.settle()
    rules = {(r.namespace, r.object_name) for r in recording.find(kind="DestinationRule")}
    assert rules == {("istio-system", "mtls-db"), ("shop", "mtls-reviews")}
