"""Waypoint: an ambient-mode L7 proxy for a namespace's services, as Istio deploys it.

In ambient mode ztunnel carries traffic at L4 only; HTTP routing and L7 authorization
(paths, methods) need a waypoint. A waypoint is a Gateway API ``Gateway`` with
``gatewayClassName: istio-waypoint`` and one HBONE listener on 15008, the shape
``istioctl waypoint generate`` writes; istiod deploys it (Deployment, Service and service
account all named after the Gateway). Services use it when they, or their namespace, carry
``istio.io/use-waypoint: <name>``: give the name to ``MeshNamespace``'s ``waypoint``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Required, TypedDict

import pulumi

from mesh_https import contract
from mesh_https import validation as v
from mesh_https._values import known
from mesh_https.constraints import DnsLabel, DnsSubdomain, Plain
from mesh_https.gateway_api import GATEWAY_API_GROUP, gateway_api_object
from mesh_https.identity import principal_of
from mesh_https.strict_mtls import WaypointRefArgs

COMPONENT = "Waypoint"
WAYPOINT_CLASS = "istio-waypoint"
DEFAULT_NAME = "waypoint"
HBONE_PORT = 15008
USE_WAYPOINT_LABEL = "istio.io/use-waypoint"
WAYPOINT_FOR_LABEL = "istio.io/waypoint-for"


class WaypointArgs(TypedDict, total=False):
    """Inputs of :class:`Waypoint`: ``namespace`` is required."""

    namespace: Required[Annotated[DnsLabel, Plain("the namespace's name, as a string")]]
    """Where the waypoint runs, and whose services it serves (required)."""
    name: DnsLabel
    """The Gateway's name, and so its Deployment's and service account's. Default
    ``waypoint``, as ``istioctl`` names it."""
    traffic: Literal["service", "workload", "all"]
    """What it carries (``istio.io/waypoint-for``): traffic to services (default), to
    workloads, or both."""
    revision: Annotated[str, Plain("istio.info.revision")]
    """The control-plane revision or tag that deploys it (``istio.io/rev``):
    ``IstioInstall.info.revision``. Default: the default revision."""
    trust_domain: Annotated[DnsSubdomain, Plain("istio.info.trust_domain")]
    """The mesh trust domain, for the waypoint's principal. Default ``cluster.local``."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: the Gateway API CRDs and istiod (``IstioInstall.ready``), and
    the namespace."""


@dataclass(frozen=True)
class WaypointInfo:
    """The waypoint's facts as plain values, for ``StrictMtls``'s ``waypoints``."""

    name: str
    """The waypoint Gateway's name (what ``istio.io/use-waypoint`` names)."""
    namespace: str
    """The namespace it serves."""
    traffic: str
    """``service``, ``workload`` or ``all``: the traffic it handles."""
    principal: str
    """The identity traffic through the waypoint arrives with at the workloads."""

    def as_args(self) -> WaypointRefArgs:
        """The mapping ``StrictMtls``'s ``waypoints`` entries take."""
        return {"name": self.name, "namespace": self.namespace, "principal": self.principal}


def validate_args(args: WaypointArgs | None) -> WaypointArgs:
    """Check :class:`Waypoint` input; raises :class:`ValidationError`. Returns the args to
    build from."""
    args = contract.check(COMPONENT, WaypointArgs, args)
    if args.get("name") == "none":
        v.fail(COMPONENT, "name", "is 'none', which istio.io/use-waypoint reserves for opting out")
    return contract.deferred(COMPONENT, WaypointArgs, args)


class Waypoint(pulumi.ComponentResource):
    """An ambient waypoint for a namespace: the Gateway istiod deploys it from."""

    gateway_name: pulumi.Output[str]
    """The waypoint Gateway's name: the value of ``istio.io/use-waypoint``."""
    principal: pulumi.Output[str]
    """The waypoint's SPIFFE principal."""
    info: WaypointInfo
    """Plain: name, namespace, traffic and principal."""
    target_ref: dict[str, Any]
    """Plain: the ``targetRefs`` entry that attaches an AuthorizationPolicy to it."""

    def __init__(
        self,
        name: str,
        args: WaypointArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = validate_args(args)
        super().__init__("mesh-https:index:Waypoint", name, None, opts)
        namespace = args["namespace"]
        gateway = args.get("name", DEFAULT_NAME)
        traffic = args.get("traffic", "service")
        labels: dict[str, str] = {WAYPOINT_FOR_LABEL: traffic}
        if args.get("revision"):
            labels["istio.io/rev"] = args["revision"]
        listener = {"name": "mesh", "port": HBONE_PORT, "protocol": "HBONE"}
        self.gateway = gateway_api_object(
            f"{name}-gateway",
            "Gateway",
            gateway,
            namespace,
            {"gatewayClassName": WAYPOINT_CLASS, "listeners": [listener]},
            labels=labels,
            parent=self,
            depends_on=list(args.get("depends_on", [])),
        )
        # istiod names the waypoint's service account after the Gateway (no class suffix).
        principal = principal_of(namespace, gateway, args.get("trust_domain", "cluster.local"))
        self.info = WaypointInfo(gateway, namespace, traffic, principal)
        self.target_ref = {"group": GATEWAY_API_GROUP, "kind": "Gateway", "name": gateway}
        self.gateway_name = known(gateway)
        self.principal = known(principal)
        self.register_outputs({"gateway_name": self.gateway_name, "principal": self.principal})
