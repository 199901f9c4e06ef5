"""AksCluster: an Azure Kubernetes Service cluster and its node pool, in the same graph as Istio.

It needs the ``azure`` extra (``pip install 'mesh-https[azure]'``, which brings
``pulumi-azure-native``); importing :mod:`mesh_https` does not, and only the
``containerservice`` and ``resources`` modules of that large SDK are loaded. Credentials come
from the environment (``az login``), the location from ``azure-native:location``, never from
stack files.

- **Cluster**: a system node pool of the given size (the VM size is always set: AKS would
  otherwise pick one by quota), a system-assigned identity, the Free tier (no control-plane
  charge, no SLA; set ``sku_tier: Standard`` for production), in a resource group made here
  unless one is given.
- **Authentication**: the kubeconfig is the cluster's *user* credential
  (``listManagedClusterUserCredentials``), a secret Output. On a cluster with local accounts
  (this component's, without Entra ID integration) it authenticates with a client
  certificate, which ``pulumi up`` can use without a person at the keyboard. With Entra ID,
  the same credential needs ``kubelogin``, whose default login is interactive (device code):
  bring such a cluster with ``ExistingCluster`` and a kubeconfig converted with ``kubelogin
  convert-kubeconfig -l azurecli``.
- **Edge**: Azure's Standard Load Balancer probes each port; Istio's gateway answers on 80 and
  443 only for routed hosts, so its health is its status port. The gateway Service gets the
  per-port probe annotations (HTTP on 15021, ``/healthz/ready``) that the AKS documentation
  gives for Istio gateways; ``gateway_annotations`` replaces them (add
  ``service.beta.kubernetes.io/azure-load-balancer-internal: "true"`` for an internal one).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypedDict

import pulumi

from mesh_https import contract
from mesh_https.cluster import (
    DEFAULT_KUBERNETES_VERSION,
    CloudCluster,
    KubernetesVersion,
    check_cloud_location,
    cloud_location,
    cloud_sdk,
)
from mesh_https.constraints import DnsLabel, LabelKey, NonEmpty, PositiveInt

COMPONENT = "AksCluster"
DEFAULT_VM_SIZE = "Standard_D4s_v5"
DEFAULT_NODE_COUNT = 2
STATUS_PORT = 15021
PROBE_ANNOTATIONS = {
    "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path": "/healthz/ready",
    **{
        f"service.beta.kubernetes.io/port_{port}_health-probe_{key}": value
        for port in (80, 443)
        for key, value in (
            ("protocol", "http"),
            ("port", str(STATUS_PORT)),
            ("request-path", "/healthz/ready"),
        )
    },
}
"""Probe the gateway's readiness on its status port for both its ports."""


class AksClusterArgs(TypedDict, total=False):
    """Inputs of :class:`AksCluster`. Every key is optional."""

    cluster_name: DnsLabel
    """The AKS cluster's name (and DNS prefix). Default: the resource name."""
    location: NonEmpty
    """The Azure region. Default: the stack's ``azure-native:location``."""
    resource_group_name: NonEmpty
    """An existing resource group. Default: one made here, ``<name>-rg``."""
    kubernetes_version: KubernetesVersion
    """The Kubernetes minor; AKS takes its newest patch. Default ``1.35``."""
    vm_size: NonEmpty
    """The nodes' VM size. Default ``Standard_D4s_v5``."""
    node_count: PositiveInt
    """Nodes in the system pool. Default 2."""
    vnet_subnet_id: NonEmpty
    """A subnet of your virtual network for the nodes. Default: a network AKS makes."""
    sku_tier: Literal["Free", "Standard", "Premium"]
    """The control plane's tier: ``Free`` (default; no SLA), ``Standard`` or ``Premium``."""
    gateway_annotations: Mapping[LabelKey, str]
    """The gateway Service's annotations, instead of the health-probe ones."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first."""


def _azure() -> tuple[Any, Any]:
    """Only the modules used of that large SDK: clusters and resource groups."""
    return (
        cloud_sdk(
            COMPONENT, "pulumi_azure_native.containerservice", "pulumi-azure-native", "azure"
        ),
        cloud_sdk(COMPONENT, "pulumi_azure_native.resources", "pulumi-azure-native", "azure"),
    )


def validate_args(name: str, args: AksClusterArgs | None) -> AksClusterArgs:
    """Check :class:`AksCluster` input; raises :class:`ValidationError`."""
    args = contract.check(COMPONENT, AksClusterArgs, args)
    check_cloud_location(COMPONENT, args, "location", "azure-native:location", "westeurope")
    return contract.deferred(COMPONENT, AksClusterArgs, args)


class AksCluster(CloudCluster):
    """An AKS cluster with a system node pool, and the :class:`~mesh_https.Cluster`
    interface: an explicit provider, a load balancer, and the gateway's probed Service."""

    kubeconfig: pulumi.Output[str]
    """The kubeconfig (secret): the cluster's user credential."""
    cluster_name: pulumi.Output[str]
    """The AKS cluster's name."""
    fqdn: pulumi.Output[str]
    """The API server's host name."""

    def __init__(
        self,
        name: str,
        args: AksClusterArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = validate_args(name, args)
        containerservice, resources = _azure()
        super().__init__("mesh-https:index:AksCluster", name, None, opts)
        cluster_name = args.get("cluster_name", name)
        location = cloud_location(args, "location", "azure-native:location")
        after = list(args.get("depends_on", []))
        group: pulumi.Input[str]
        if "resource_group_name" in args:
            group = args["resource_group_name"]
        else:
            group = resources.ResourceGroup(
                f"{name}-rg",
                location=location,
                opts=pulumi.ResourceOptions(parent=self, depends_on=after),
            ).name
        pool: dict[str, Any] = {
            "name": "system",
            "mode": "System",
            "count": args.get("node_count", DEFAULT_NODE_COUNT),
            "vm_size": args.get("vm_size", DEFAULT_VM_SIZE),
            "os_type": "Linux",
        }
        if "vnet_subnet_id" in args:
            pool["vnet_subnet_id"] = args["vnet_subnet_id"]
        self.cluster = containerservice.ManagedCluster(
            f"{name}-cluster",
            resource_group_name=group,
            resource_name_=cluster_name,
            location=location,
            dns_prefix=cluster_name,
            kubernetes_version=args.get("kubernetes_version", DEFAULT_KUBERNETES_VERSION),
            identity={"type": "SystemAssigned"},
            agent_pool_profiles=[pool],
            sku={"name": "Base", "tier": args.get("sku_tier", "Free")},
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=group,
            resource_name=self.cluster.name,
            opts=pulumi.InvokeOptions(parent=self),
        )
        self.cluster_name = self.cluster.name
        self.fqdn = self.cluster.fqdn
        self._connect(
            name,
            credentials.kubeconfigs.apply(
                lambda configs: base64.b64decode(configs[0].value).decode()
            ),
            self.cluster,  # the system pool is part of the cluster
            args.get("gateway_annotations", PROBE_ANNOTATIONS),
            {"fqdn": self.fqdn},
        )
