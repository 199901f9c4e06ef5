"""The Kubernetes Gateway API: the pinned release, its CRDs, and the kinds the package emits.

Istio's ambient waypoints are Gateway API ``Gateway`` objects (``gatewayClassName:
istio-waypoint``), so ambient mode needs the Gateway API CRDs. They are not part of Istio's
charts: :class:`~mesh_https.IstioInstall` applies the upstream ``standard-install.yaml`` of
:data:`GATEWAY_API_VERSION`, fetched by the Kubernetes provider at deploy time, before istiod
(which watches those kinds when it starts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from mesh_https.istio_objects import custom_object

GATEWAY_API_VERSION = "v1.6.3"
"""The Gateway API release whose CRDs are installed: the newest patch of v1.6, the minor Istio
1.31 (and the 1.32 development line) is built against (``go.mod``: v1.6.0). Its standard CRDs
differ from v1.6.0's only in their bundle-version annotation and descriptions. v1.7.0 is left
for later: its module needs Go 1.27 to build."""

GATEWAY_API_GROUP = "gateway.networking.k8s.io"

GATEWAY_API_KINDS: dict[str, str] = {
    "Gateway": f"{GATEWAY_API_GROUP}/v1",
    "HTTPRoute": f"{GATEWAY_API_GROUP}/v1",
    "ReferenceGrant": f"{GATEWAY_API_GROUP}/v1beta1",
}
"""Kind → apiVersion of the Gateway API objects emitted (standard channel)."""


def crds_manifest(version: str = GATEWAY_API_VERSION) -> str:
    """The upstream standard-channel install manifest of a Gateway API release."""
    return (
        "https://github.com/kubernetes-sigs/gateway-api/releases/download/"
        f"{version}/standard-install.yaml"
    )


def gateway_api_object(
    resource_name: str,
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
    """A Gateway API object of ``kind`` with an explicit name, namespace and the managed
    labels (and ``labels``, and ``annotations``)."""
    return custom_object(
        resource_name, GATEWAY_API_KINDS[kind], kind, name, namespace, spec,
        labels=labels, annotations=annotations, parent=parent, depends_on=depends_on,
    )  # fmt: skip
