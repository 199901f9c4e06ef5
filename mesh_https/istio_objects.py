"""The Istio kinds the package emits: one table entry each, one function that builds them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

ISTIO_KINDS: dict[str, str] = {
    "Gateway": "networking.istio.io/v1",
    "VirtualService": "networking.istio.io/v1",
    "DestinationRule": "networking.istio.io/v1",
    "Sidecar": "networking.istio.io/v1",
    "PeerAuthentication": "security.istio.io/v1",
    "AuthorizationPolicy": "security.istio.io/v1",
}
"""Kind → apiVersion (Istio's v1 APIs, served since Istio 1.22)."""

MANAGED_LABELS = {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": "mesh-https",
}


def istio_object(
    resource_name: str,
    kind: str,
    name: pulumi.Input[str],
    namespace: pulumi.Input[str],
    spec: pulumi.Input[Mapping[str, Any]],
    *,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> k8s.apiextensions.CustomResource:
    """An Istio object of ``kind`` with an explicit name, namespace and the managed labels."""
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=ISTIO_KINDS[kind],
        kind=kind,
        metadata={"name": name, "namespace": namespace, "labels": dict(MANAGED_LABELS)},
        spec=spec,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )
