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
    return custom_object(
        resource_name, ISTIO_KINDS[kind], kind, name, namespace, spec,
        parent=parent, depends_on=depends_on,
    )  # fmt: skip


def custom_object(
    resource_name: str,
    api_version: str,
    kind: str,
    name: pulumi.Input[str],
    namespace: pulumi.Input[str],
    spec: pulumi.Input[Mapping[str, Any]],
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> k8s.apiextensions.CustomResource:
    """A namespaced custom resource with the managed labels (and ``labels``, and
    ``annotations``): every CRD-backed object the package emits is made here."""
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "labels": {**MANAGED_LABELS, **dict(labels or {})},
    }
    if annotations:
        metadata["annotations"] = dict(sorted(annotations.items()))
    return k8s.apiextensions.CustomResource(
        resource_name,
        api_version=api_version,
        kind=kind,
        metadata=metadata,
        spec=spec,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on)),
    )
