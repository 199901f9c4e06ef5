"""The gateway-api stack: the dev app through the Kubernetes Gateway API, proven by the same
tiers as the dev stack (mocks, a real handshake, schemas in test_schemas, the analysis)."""

from __future__ import annotations

from typing import Any

import pytest
from authz import Request, allowed
from conftest import run_stack

from mesh_https.testing import GatewayTlsServer, Recording, handshake


@pytest.fixture(scope="module")
def stack() -> tuple[Recording, dict[str, Any]]:
    return run_stack("gateway-api")


def test_it_emits_gateway_api_objects_and_no_istio_routing(stack: Any) -> None:
    rec, exports = stack
    assert rec.kinds("VirtualService") == [] and rec.kinds("DestinationRule") == []
    gateway = rec.one(kind="Gateway")
    assert gateway.api_version == "gateway.networking.k8s.io/v1"
    assert gateway.manifest()["metadata"]["annotations"] == {
        "networking.istio.io/service-type": "NodePort"
    }
    releases = {
        r.inputs["chart"].rsplit("/", 1)[-1] for r in rec.find("kubernetes:helm.sh/v3:Release")
    }
    assert "gateway" not in releases, "istiod deploys the Gateway's workload: no gateway chart"
    crds = rec.one("kubernetes:yaml/v2:ConfigFile")
    istiod = rec.one("kubernetes:helm.sh/v3:Release", name="istio-istiod")
    assert rec.depends_on(istiod, crds)
    versions = {s.object_name for s in rec.kinds("Service")} - {"helloworld"}
    assert versions == {"helloworld-v1", "helloworld-v2"}
    routes = {r.object_name: r.manifest()["spec"] for r in rec.kinds("HTTPRoute")}
    assert routes["app"]["parentRefs"][0]["name"] == "edge"
    assert routes["app-mesh"]["parentRefs"] == [
        {"group": "", "kind": "Service", "name": "helloworld", "port": 5000}
    ]
    assert exports["analysis"] == []


def test_the_deployed_gateway_is_admitted_to_the_app_only(stack: Any) -> None:
    rec, exports = stack
    principal = exports["gatewayPrincipal"]
    assert principal == "cluster.local/ns/istio-ingress/sa/edge-istio"
    policies = [p.manifest() for p in rec.kinds("AuthorizationPolicy")]
    app = {"app": "helloworld", "version": "v2"}
    assert allowed(policies, Request("demo", principal, labels=app))
    assert not allowed(policies, Request("demo", principal, labels={"app": "other"}))


def test_a_real_handshake_against_its_listener(stack: Any) -> None:
    rec, exports = stack
    with GatewayTlsServer(rec, rec.one(kind="Gateway")) as server:
        result = handshake(server.port, "hello.gateway-api.mesh-https.test", exports["caCertPem"])
        assert result.response.startswith(b"HTTP/1.1 200")
