"""The dev stack's whole chain, in order: cluster → Istio → certificates → Gateway →
DestinationRule/VirtualService → PeerAuthentication/AuthorizationPolicy."""

from __future__ import annotations

from typing import Any

import pytest
from authz import Request, allowed
from conftest import run_stack

from mesh_https.testing import RecordedResource, Recording


@pytest.fixture(scope="module")
def dev() -> tuple[Recording, dict[str, Any]]:
    return run_stack("dev")


def one(rec: Recording, kind: str, **kw: Any) -> RecordedResource:
    return rec.one(kind=kind, **kw)


def test_the_full_chain_is_ordered(dev: Any) -> None:
    rec, _ = dev
    kind_cluster = rec.one("command:local:Command")
    provider = rec.one("pulumi:providers:kubernetes")
    istiod = rec.one("kubernetes:helm.sh/v3:Release", name="istio-istiod")
    gateway_release = rec.one("kubernetes:helm.sh/v3:Release", name="istio-gateway")
    tls_secrets = [s for s in rec.kinds("Secret") if s.inputs.get("type") == "kubernetes.io/tls"]
    leaves = rec.find("tls:index/locallySignedCert:LocallySignedCert")
    cacerts = one(rec, "Secret", object_name="cacerts")
    gateway = one(rec, "Gateway")
    dr, vs = one(rec, "DestinationRule"), one(rec, "VirtualService")
    mesh_pa = one(rec, "PeerAuthentication", namespace="istio-system")
    policies = rec.kinds("AuthorizationPolicy")

    assert rec.depends_on(provider, kind_cluster)
    assert istiod.provider_urn == provider.urn
    assert rec.depends_on(gateway_release, istiod)
    assert len(tls_secrets) == 2
    for secret in tls_secrets:
        assert any(rec.depends_on(secret, leaf) for leaf in leaves), "certificates first"
        assert rec.depends_on(gateway, secret)
    assert any(rec.depends_on(cacerts, leaf) for leaf in leaves)
    assert rec.depends_on(istiod, cacerts)
    assert rec.depends_on(gateway, istiod)
    assert rec.depends_on(vs, dr), "make-before-break"
    assert rec.depends_on(dr, istiod) and rec.depends_on(vs, istiod)
    assert rec.depends_on(mesh_pa, istiod)
    assert policies and all(rec.depends_on(p, istiod) for p in policies)
    assert all(rec.depends_on(p, one(rec, "Namespace", object_name="demo")) for p in policies)


def test_canary_is_80_20_with_a_header_route_to_v2(dev: Any) -> None:
    rec, exports = dev
    vs = one(rec, "VirtualService")
    force, default = vs.spec["http"]
    assert force["match"] == [{"headers": {"x-canary": {"exact": "always"}}}]
    assert force["route"][0]["destination"]["subset"] == "v2"
    assert {d["destination"]["subset"]: d["weight"] for d in default["route"]} == {
        "v1": 80,
        "v2": 20,
    }
    assert default["timeout"] == "10s"
    assert default["retries"] == {
        "attempts": 2,
        "perTryTimeout": "3s",
        "retryOn": "connect-failure,reset,503",
    }
    assert exports["routeTable"][-1]["to"] == {"v1": 80, "v2": 20}
    dr = one(rec, "DestinationRule")
    assert {s["name"]: s["labels"] for s in dr.spec["subsets"]} == {
        "v1": {"version": "v1"},
        "v2": {"version": "v2"},
    }
    versions = {
        d.spec["template"]["metadata"]["labels"]["version"] for d in rec.kinds("Deployment")
    }
    assert versions == {"v1", "v2"}, "every subset selects pods that exist"


def test_strict_mtls_and_who_may_call_the_app(dev: Any) -> None:
    rec, exports = dev
    assert one(rec, "PeerAuthentication", namespace="istio-system").spec == {
        "mtls": {"mode": "STRICT"}
    }
    assert one(rec, "PeerAuthentication", namespace="demo").spec == {"mtls": {"mode": "STRICT"}}
    policies = [{"metadata": p.metadata, "spec": p.spec} for p in rec.kinds("AuthorizationPolicy")]
    gateway = exports["gatewayPrincipal"]
    app = {"app": "helloworld", "version": "v1"}
    assert allowed(policies, Request("demo", gateway, "/hello", labels=app))
    # The gateway reaches the workloads its route goes to, and no other in the namespace.
    assert not allowed(policies, Request("demo", gateway, "/hello", labels={"app": "other"}))
    default = "cluster.local/ns/default/sa/default"
    assert not allowed(policies, Request("demo", default, "/hello", labels=app))
    assert not allowed(policies, Request("demo", None, "/hello", labels=app))
    assert exports["admittedPrincipals"] == {"demo": [gateway]}


def test_stack_config_can_change_the_split() -> None:
    rec, _ = run_stack(
        "dev", **{"mesh-https:canary": {"weights": {"v1": 50, "v2": 50}, "headerRoute": None}}
    )
    (default,) = rec.one(kind="VirtualService").spec["http"]
    assert [d["weight"] for d in default["route"]] == [50, 50]
