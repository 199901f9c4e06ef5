"""A real kube-apiserver (built from ``k8s.io/kubernetes``) with the real CRDs: what it serves,
and the refusals only a real server gives.

The server is the session's one (``kube_api`` in conftest.py, started by
``tests/kube_server.py``); each test works in namespaces of its own, so tests sharing the
server don't see each other's objects.
"""

from __future__ import annotations

import copy
import secrets
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
from kube_server import (
    GATEWAY_API_CRD_DIR,
    GATEWAY_API_MODULE,
    ISTIO_API_MODULE,
    ISTIO_CRD_FILE,
    crd_documents,
    module_dir,
    timings,
)

from mesh_https.gateway_api import GATEWAY_API_KINDS, GATEWAY_API_VERSION
from mesh_https.istio_objects import ISTIO_KINDS
from mesh_https.testing import KubeApi, KubeApiError
from mesh_https.versions import ISTIO_VERSION


@pytest.fixture
def namespace(kube_api: KubeApi) -> Iterator[str]:
    """A fresh namespace on the shared server (left Terminating afterwards: no namespace
    controller runs to empty it, and nothing else uses the name)."""
    name = f"t-{secrets.token_hex(4)}"
    kube_api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    yield name
    kube_api.delete("v1", "Namespace", name, missing_ok=True)


def virtual_service(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "reviews", "namespace": namespace},
        "spec": {
            "hosts": ["reviews"],
            "http": [
                {"route": [{"destination": {"host": "reviews", "subset": "v1"}, "weight": 100}]}
            ],
        },
    }


def test_the_server_is_the_pinned_kubernetes_release(kube_api: KubeApi) -> None:
    version = kube_api.request("GET", "/version")
    assert version["gitVersion"] == "v1.36.3", version
    print(f"\nbuild {timings.build:.1f}s, start {timings.start}")


def test_every_emitted_kind_is_served_at_the_version_we_emit(kube_api: KubeApi) -> None:
    emitted = sorted(
        {(v, k) for table in (ISTIO_KINDS, GATEWAY_API_KINDS) for k, v in table.items()}
    )
    assert len(emitted) == len(ISTIO_KINDS) + len(GATEWAY_API_KINDS)
    missing = [f"{v} {k}" for v, k in emitted if not kube_api.served(v, k)]
    assert missing == []
    assert {v.split("/")[0] for v in ISTIO_KINDS.values()} == {
        "networking.istio.io",
        "security.istio.io",
    }
    # And not by accident: a kind no CRD defines is not served.
    assert not kube_api.served("networking.istio.io/v1", "VirtualServce")


def test_the_crds_are_the_pinned_releases_and_established(kube_api: KubeApi) -> None:
    documents = crd_documents()
    crds = [d for d in documents if d["kind"] == "CustomResourceDefinition"]
    assert module_dir(ISTIO_API_MODULE, f"v{ISTIO_VERSION}").name == f"api@v{ISTIO_VERSION}"
    gateway_api = module_dir(GATEWAY_API_MODULE, GATEWAY_API_VERSION)
    assert gateway_api.name == f"gateway-api@{GATEWAY_API_VERSION}"
    assert ISTIO_CRD_FILE.endswith(".yaml") and GATEWAY_API_CRD_DIR.endswith("standard")
    names = {d["metadata"]["name"] for d in crds}
    assert {"virtualservices.networking.istio.io", "httproutes.gateway.networking.k8s.io"} <= names
    for crd in crds:
        live = kube_api.get(
            "apiextensions.k8s.io/v1", "CustomResourceDefinition", crd["metadata"]["name"]
        )
        assert live is not None, crd["metadata"]["name"]
        conditions = {c["type"]: c["status"] for c in live["status"]["conditions"]}
        assert conditions.get("Established") == "True", (crd["metadata"]["name"], conditions)
        if crd["spec"]["group"] == "gateway.networking.k8s.io":
            annotations = live["metadata"]["annotations"]
            assert annotations["gateway.networking.k8s.io/bundle-version"] == GATEWAY_API_VERSION
            assert annotations["gateway.networking.k8s.io/channel"] == "standard"


def test_an_object_before_its_namespace_is_refused_with_the_servers_message(
    kube_api: KubeApi,
) -> None:
    absent = f"absent-{secrets.token_hex(4)}"
    with pytest.raises(KubeApiError) as refused:
        kube_api.apply(virtual_service(absent))
    assert (refused.value.status, refused.value.reason) == (404, "NotFound")
    assert refused.value.message == f'namespaces "{absent}" not found'
    # Once the namespace exists, the same object is taken.
    kube_api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": absent}})
    try:
        stored = kube_api.apply(virtual_service(absent))
        assert stored["spec"]["http"][0]["route"][0]["weight"] == 100
    finally:
        kube_api.delete("networking.istio.io/v1", "VirtualService", "reviews", absent)
        kube_api.delete("v1", "Namespace", absent)


def test_a_field_the_crd_does_not_have_is_refused(kube_api: KubeApi, namespace: str) -> None:
    """Server-side apply (what the Kubernetes provider does) refuses it whatever the field
    validation level, while building the typed patch; a plain create refuses it only under
    ``fieldValidation=Strict`` and otherwise drops it without a word."""
    typo = virtual_service(namespace)
    typo["spec"]["http"][0]["route"][0]["wieght"] = 100
    with pytest.raises(KubeApiError) as refused:
        kube_api.apply(typo)
    assert refused.value.status == 500, refused.value
    assert ".spec.http[0].route[0].wieght: field not declared in schema" in refused.value.message
    assert kube_api.get("networking.istio.io/v1", "VirtualService", "reviews", namespace) is None

    collection = kube_api.resource_path("networking.istio.io/v1", "VirtualService", None, namespace)
    with pytest.raises(KubeApiError) as strict:
        kube_api.request(
            "POST", collection, typo, query={"fieldValidation": "Strict", "dryRun": "All"}
        )
    assert (strict.value.status, strict.value.reason) == (400, "BadRequest")
    assert 'strict decoding error: unknown field "spec.http[0].route[0].wieght"' in (
        strict.value.message
    )
    pruned = kube_api.request(
        "POST", collection, typo, query={"fieldValidation": "Ignore", "dryRun": "All"}
    )
    assert pruned["spec"]["http"][0]["route"][0] == {
        "destination": {"host": "reviews", "subset": "v1"},
        "weight": 100,
    }


def test_a_cel_rule_of_the_gateway_api_crds_is_enforced(kube_api: KubeApi, namespace: str) -> None:
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "reviews", "namespace": namespace},
        "spec": {
            "parentRefs": [{"name": "edge"}],
            "rules": [{"backendRefs": [{"name": "reviews", "port": 9080}]}],
        },
    }
    kube_api.apply(route, dry_run=True)
    portless = copy.deepcopy(route)
    del portless["spec"]["rules"][0]["backendRefs"][0]["port"]
    with pytest.raises(KubeApiError) as refused:
        kube_api.apply(portless, dry_run=True)
    assert (refused.value.status, refused.value.reason) == (422, "Invalid")
    assert "Must have port for Service reference" in refused.value.message


def test_an_immutable_field_change_is_refused(kube_api: KubeApi, namespace: str) -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "reviews", "namespace": namespace},
        "spec": {"clusterIP": "10.96.7.7", "ports": [{"port": 9080}]},
    }
    kube_api.apply(service)
    moved = copy.deepcopy(service)
    moved["spec"]["clusterIP"] = "10.96.7.8"
    with pytest.raises(KubeApiError) as refused:
        kube_api.apply(moved)
    assert (refused.value.status, refused.value.reason) == (422, "Invalid")
    assert "spec.clusterIPs[0]: Invalid value" in refused.value.message, refused.value.message
    assert "may not change once set" in refused.value.message, refused.value.message
    live = kube_api.get("v1", "Service", "reviews", namespace)
    assert live is not None and live["spec"]["clusterIP"] == "10.96.7.7"


def test_a_dry_run_stores_nothing(kube_api: KubeApi, namespace: str) -> None:
    answer = kube_api.apply(virtual_service(namespace), dry_run=True)
    assert answer["metadata"]["namespace"] == namespace
    assert kube_api.get("networking.istio.io/v1", "VirtualService", "reviews", namespace) is None
    kube_api.apply(virtual_service(namespace))
    assert kube_api.get("networking.istio.io/v1", "VirtualService", "reviews", namespace)
    kube_api.delete("networking.istio.io/v1", "VirtualService", "reviews", namespace)
    assert kube_api.get("networking.istio.io/v1", "VirtualService", "reviews", namespace) is None
    with pytest.raises(KubeApiError) as missing:
        kube_api.delete("networking.istio.io/v1", "VirtualService", "reviews", namespace)
    assert missing.value.status == 404


def test_a_connection_the_server_closed_is_replaced(kube_api: KubeApi) -> None:
    """The client keeps one connection alive; once the other end has gone (an idle timeout,
    a reset, a TLS close without close_notify), the next request opens a new one instead of
    failing, and no request after it finds the old one half-used."""
    assert kube_api.request("GET", "/version")["gitVersion"]
    connection = kube_api._connection
    assert connection is not None

    def gone() -> None:
        raise ssl.SSLEOFError(8, "EOF occurred in violation of protocol")

    connection.getresponse = gone  # type: ignore[method-assign,assignment]
    for _ in range(3):
        assert kube_api.request("GET", "/version")["gitVersion"]
    assert kube_api._connection is not connection
