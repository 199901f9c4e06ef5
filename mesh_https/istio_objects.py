"""The Istio kinds the package emits: one table entry each, one function that builds them."""

from __future__ import annotations

import weakref
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


_NAMESPACE_NAMES: weakref.WeakKeyDictionary[pulumi.Resource, str] = weakref.WeakKeyDictionary()
"""Each Namespace the package created → its name, for :func:`edges_in`."""


def created_namespace(
    resource_name: str,
    name: str,
    labels: Mapping[str, str],
    *,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
) -> k8s.core.v1.Namespace:
    """A Namespace the program creates (and so deletes): every object put in it must depend
    on it. Its name is remembered, so :func:`edges_in` can hand it to those objects only."""
    namespace = k8s.core.v1.Namespace(
        resource_name,
        metadata={"name": name, "labels": dict(labels)},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=edges_in(None, depends_on)),
    )
    _NAMESPACE_NAMES[namespace] = name
    return namespace


def edges_in(
    namespace: pulumi.Input[str] | None, resources: Sequence[pulumi.Resource]
) -> list[pulumi.Resource]:
    """What an object in ``namespace`` (``None``: a cluster-scoped one) must come after, of
    ``resources``: all of them but the Namespaces created here for *other* namespaces. So one
    list, such as ``IstioInstall.ready`` with the gateway's namespace in it, gives each object
    its own namespace and no edge to the others (an edge between namespaces orders nothing,
    and costs at scale). An Output namespace keeps every edge."""
    if namespace is not None and not isinstance(namespace, str):
        return list(resources)
    return [r for r in resources if _NAMESPACE_NAMES.get(r, namespace) == namespace]


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
        opts=pulumi.ResourceOptions(parent=parent, depends_on=edges_in(namespace, depends_on)),
    )
