"""Several gateway workloads from one IstioInstall, their identities derived once, and
StrictMtls admitting each of them; the public principal helper."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import assert_refused

from mesh_https import (
    HttpsGateway,
    IstioInstall,
    StrictMtls,
    ValidationError,
    workload_principal,
)
from mesh_https.istio_charts import gateway_identity
from mesh_https.testing import MockSession

PUBLIC = {
    "name": "istio-ingress",
    "service": {"type": "NodePort", "node_ports": {"http": 30080, "https": 30443}},
}
INTERNAL = {
    "name": "istio-internal",
    "namespace": "istio-internal",
    "service": {"type": "ClusterIP"},
    "values": {"serviceAccount": {"name": "internal-gw"}},
}


def test_each_gateway_is_a_release_with_its_own_namespace_service_and_identity(
    mesh_session: MockSession,
) -> None:
    istio = IstioInstall("istio", {"gateways": [PUBLIC, INTERNAL], "trust_domain": "corp.example"})
    rec = mesh_session.settle()
    releases = {r.name: r for r in rec.find("kubernetes:helm.sh/v3:Release")}
    public, internal = releases["istio-gateway"], releases["istio-gateway-istio-internal"]
    assert (public.inputs["name"], public.inputs["namespace"]) == ("istio-ingress", "istio-ingress")
    assert (internal.inputs["name"], internal.inputs["namespace"]) == (
        "istio-internal",
        "istio-internal",
    )
    assert public.inputs["values"]["service"]["type"] == "NodePort"
    assert internal.inputs["values"]["service"]["type"] == "ClusterIP"
    assert internal.inputs["values"]["serviceAccount"] == {"name": "internal-gw"}
    namespaces = {r.object_name for r in rec.kinds("Namespace")}
    assert {"istio-ingress", "istio-internal"} <= namespaces
    assert rec.depends_on(internal, rec.one(kind="Namespace", object_name="istio-internal"))
    assert rec.depends_on(internal, rec.one("kubernetes:helm.sh/v3:Release", name="istio-istiod"))
    gateways = {g.name: g for g in istio.info.gateways}
    # The identity is the chart's own derivation, done once, here.
    assert gateways["istio-internal"].selector == {"istio": "internal"}
    assert gateways["istio-internal"].service_account == "internal-gw"
    assert gateways["istio-internal"].principal == "corp.example/ns/istio-internal/sa/internal-gw"
    selector, account, principal = gateway_identity(
        "istio-internal", "istio-internal", INTERNAL["values"], "corp.example"
    )
    assert (selector, account, principal) == (
        gateways["istio-internal"].selector,
        gateways["istio-internal"].service_account,
        gateways["istio-internal"].principal,
    )
    assert istio.info.gateway("istio-ingress") is gateways["istio-ingress"]
    assert istio.info.gateway_principal == gateways["istio-ingress"].principal
    assert mesh_session.value(istio.gateway_principals) == [
        "corp.example/ns/istio-ingress/sa/istio-ingress",
        "corp.example/ns/istio-internal/sa/internal-gw",
    ]
    with pytest.raises(KeyError, match="istio-ingress"):
        istio.info.gateway("nope")


def test_the_first_gateway_keeps_its_resource_name(mesh_session: MockSession) -> None:
    """Moving from the gateway_* inputs to `gateways` replaces nothing."""
    IstioInstall("istio", {"gateways": [{"name": "istio-ingress"}]})
    rec = mesh_session.settle()
    assert [r.name for r in rec.find("kubernetes:helm.sh/v3:Release") if "gateway" in r.name] == [
        "istio-gateway"
    ]


def test_an_https_gateway_binds_to_each_and_strict_mtls_admits_both(
    mesh_session: MockSession,
) -> None:
    istio = IstioInstall("istio", {"gateways": [PUBLIC, INTERNAL]})
    internal = istio.info.gateway("istio-internal")
    HttpsGateway(
        "private",
        {
            "gateway_namespace": internal.namespace,
            "selector": internal.selector,
            "hosts": ["admin.corp.example"],
        },
    )
    StrictMtls(
        "mtls",
        {
            "namespaces": ["shop"],
            "gateway_principals": [g.principal for g in istio.info.gateways],
        },
    )
    rec = mesh_session.settle()
    gateway = rec.one(kind="Gateway")
    assert gateway.spec["selector"] == {"istio": "internal"}
    assert rec.one(kind="Secret").namespace == "istio-internal"
    policy = rec.one(kind="AuthorizationPolicy", object_name="allow-ingress-gateway")
    assert policy.spec["rules"] == [
        {
            "from": [
                {
                    "source": {
                        "principals": [
                            "cluster.local/ns/istio-ingress/sa/istio-ingress",
                            "cluster.local/ns/istio-internal/sa/internal-gw",
                        ]
                    }
                }
            ]
        }
    ]


def test_gateway_principal_and_principals_add_up(mesh_session: MockSession) -> None:
    mtls = StrictMtls(
        "mtls",
        {
            "namespaces": ["shop"],
            "gateway_principal": "cluster.local/ns/a/sa/a",
            "gateway_principals": ["cluster.local/ns/b/sa/b"],
        },
    )
    rec = mesh_session.settle()
    policy = rec.one(kind="AuthorizationPolicy", object_name="allow-ingress-gateway")
    assert policy.spec["rules"][0]["from"][0]["source"]["principals"] == [
        "cluster.local/ns/a/sa/a",
        "cluster.local/ns/b/sa/b",
    ]
    assert mesh_session.value(mtls.admitted) == {
        "shop": ["cluster.local/ns/a/sa/a", "cluster.local/ns/b/sa/b"]
    }


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        ({"gateways": []}, "gateways", "at least one"),
        ({"gateways": [PUBLIC], "gateway_namespace": "x"}, "gateway_namespace", "`namespace`"),
        ({"gateways": [PUBLIC], "gateway_release_name": "x"}, "gateway_release_name", "`name`"),
        ({"gateways": [PUBLIC, PUBLIC]}, "gateways[1].name", "repeats"),
        (
            {"gateways": [PUBLIC, {**INTERNAL, "values": {"labels": {"istio": "ingress"}}}]},
            "gateways[1]",
            "istio='ingress'",
        ),
        (
            {"gateways": [PUBLIC, {"name": "second", "service": PUBLIC["service"]}]},
            "gateways[1].service.node_ports",
            "nodePort 30080",
        ),
        (
            {"gateways": [{"name": "x", "service": {"type": "NodePort"}}]},
            "gateways[0].service.node_ports",
            "missing",
        ),
        ({"gateways": [{"name": "Bad_Name"}]}, "gateways[0].name", "DNS-1123 label"),
    ],
)
def test_bad_gateways_are_refused(
    mesh_session: MockSession, args: dict[str, Any], field: str, words: str
) -> None:
    assert_refused(mesh_session, lambda: IstioInstall("istio", args), "IstioInstall", field, words)


def test_strict_mtls_refuses_a_repeated_or_protected_gateway(mesh_session: MockSession) -> None:
    p = "cluster.local/ns/gw/sa/gw"
    assert_refused(
        mesh_session,
        lambda: StrictMtls(
            "m", {"namespaces": ["a"], "gateway_principal": p, "gateway_principals": [p]}
        ),
        "StrictMtls",
        "gateway_principals[0]",
        "repeats",
    )
    assert_refused(
        mesh_session,
        lambda: StrictMtls("m", {"namespaces": ["gw"], "gateway_principals": [p]}),
        "StrictMtls",
        "namespaces",
        "the namespace of gateway",
    )


def test_workload_principal() -> None:
    assert workload_principal("bookinfo", "bookinfo-reviews") == (
        "cluster.local/ns/bookinfo/sa/bookinfo-reviews"
    )
    assert workload_principal("a", "b", "corp.example") == "corp.example/ns/a/sa/b"
    for args, field in [
        (("Bad_NS", "sa"), "namespace"),
        (("ns", "Bad SA"), "service_account"),
        (("ns", "sa", "spiffe://x"), "trust_domain"),
        ((1, "sa"), "namespace"),
    ]:
        with pytest.raises(ValidationError) as err:
            workload_principal(*args)  # type: ignore[arg-type]
        assert (err.value.component, err.value.field) == ("workload_principal", field)


def test_the_install_gives_principals_under_its_trust_domain(mesh_session: MockSession) -> None:
    istio = IstioInstall("istio", {"trust_domain": "corp.example"})
    assert istio.info.principal("shop", "cart") == "corp.example/ns/shop/sa/cart"
