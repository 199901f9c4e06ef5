"""GkeCluster: a Google Kubernetes Engine cluster and a node pool, in the same graph as Istio.

It needs the ``gcp`` extra (``pip install 'mesh-https[gcp]'``, which brings ``pulumi-gcp``);
importing :mod:`mesh_https` does not. Credentials and the project come from the environment
(``gcloud auth application-default login``, ``gcp:project`` in the stack), never from stack
files.

- **Cluster**: zonal by default (one zone; GKE waives the management fee of one zonal cluster
  per billing account), on the Regular release channel at a Kubernetes minor Istio 1.31
  supports (never Rapid, which is already past it). The default node pool is removed for a
  managed one, and ``deletion_protection`` is off, so ``pulumi destroy`` can delete it.
- **Authentication**: the kubeconfig (a secret Output) runs ``gke-gcloud-auth-plugin``, which
  must be on the PATH wherever it is used; :attr:`GkeCluster.provider` is built from it.
- **Network**: the given network and subnetwork, else the project's ``default`` network.
- **Edge**: the gateway Service gets ``cloud.google.com/l4-rbs: enabled``, the backend-service
  based external passthrough Network Load Balancer; ``gateway_annotations`` replaces it (e.g.
  ``networking.gke.io/load-balancer-type: Internal``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import pulumi

from mesh_https import contract
from mesh_https import validation as v
from mesh_https.cluster import (
    DEFAULT_KUBERNETES_VERSION,
    CloudCluster,
    KubernetesVersion,
    check_cloud_location,
    cloud_location,
    cloud_sdk,
    exec_kubeconfig,
)
from mesh_https.constraints import DnsLabel, LabelKey, NonEmpty, PositiveInt

COMPONENT = "GkeCluster"
DEFAULT_MACHINE_TYPE = "e2-standard-4"
DEFAULT_NODE_COUNT = 2
L4_RBS_ANNOTATIONS = {"cloud.google.com/l4-rbs": "enabled"}
AUTH_PLUGIN = "gke-gcloud-auth-plugin"


class GkeClusterArgs(TypedDict, total=False):
    """Inputs of :class:`GkeCluster`. Every key is optional."""

    cluster_name: DnsLabel
    """The GKE cluster's name. Default: the resource name."""
    location: NonEmpty
    """A zone (a zonal cluster) or a region (regional: nodes in each zone). Default: the
    stack's ``gcp:zone``."""
    kubernetes_version: KubernetesVersion
    """The lowest Kubernetes minor (``min_master_version``); the Regular channel keeps it
    current. Default ``1.35``."""
    machine_type: NonEmpty
    """The nodes' machine type. Default ``e2-standard-4``."""
    node_count: PositiveInt
    """Nodes in the pool (per zone for a regional cluster). Default 2."""
    network: NonEmpty
    """The VPC network. Default: the project's ``default`` network."""
    subnetwork: NonEmpty
    """The subnetwork, with ``network``."""
    gateway_annotations: Mapping[LabelKey, str]
    """The gateway Service's annotations, instead of the external passthrough NLB's."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first."""


def _gcp() -> Any:
    return cloud_sdk(COMPONENT, "pulumi_gcp", "pulumi-gcp", "gcp")


def validate_args(name: str, args: GkeClusterArgs | None) -> GkeClusterArgs:
    """Check :class:`GkeCluster` input; raises :class:`ValidationError`."""
    args = contract.check(COMPONENT, GkeClusterArgs, args)
    if "subnetwork" in args and "network" not in args:
        v.fail(COMPONENT, "subnetwork", "needs `network`: a subnetwork is in one")
    check_cloud_location(COMPONENT, args, "location", "gcp:zone", "europe-west1-b")
    return contract.deferred(COMPONENT, GkeClusterArgs, args)


def kubeconfig(endpoint: str, ca_data: str, cluster: str) -> str:
    """A kubeconfig for a GKE cluster that authenticates with ``gke-gcloud-auth-plugin``."""
    return exec_kubeconfig(
        cluster,
        f"https://{endpoint}",
        ca_data,
        {
            "command": AUTH_PLUGIN,
            "provideClusterInfo": True,
            "installHint": "Install gke-gcloud-auth-plugin: 'gcloud components install "
            "gke-gcloud-auth-plugin' (https://cloud.google.com/kubernetes-engine/docs/how-to/"
            "cluster-access-for-kubectl#install_plugin)",
        },
    )


class GkeCluster(CloudCluster):
    """A GKE cluster with a managed node pool, and the :class:`~mesh_https.Cluster`
    interface: an explicit provider, a load balancer, and the gateway's NLB Service."""

    kubeconfig: pulumi.Output[str]
    """The kubeconfig (secret): ``gke-gcloud-auth-plugin`` authenticates."""
    cluster_name: pulumi.Output[str]
    """The GKE cluster's name."""
    endpoint: pulumi.Output[str]
    """The API server's address."""

    def __init__(
        self,
        name: str,
        args: GkeClusterArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = validate_args(name, args)
        gcp = _gcp()
        super().__init__("mesh-https:index:GkeCluster", name, None, opts)
        cluster_name = args.get("cluster_name", name)
        location = cloud_location(args, "location", "gcp:zone")
        network = {k: args[k] for k in ("network", "subnetwork") if k in args}
        self.cluster = gcp.container.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            location=location,
            # A managed pool replaces the default one, which GKE insists on creating first.
            remove_default_node_pool=True,
            initial_node_count=1,
            min_master_version=args.get("kubernetes_version", DEFAULT_KUBERNETES_VERSION),
            release_channel={"channel": "REGULAR"},
            deletion_protection=False,
            **network,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.get("depends_on", []))),
        )
        self.node_pool = gcp.container.NodePool(
            f"{name}-nodes",
            cluster=self.cluster.name,
            location=location,
            node_count=args.get("node_count", DEFAULT_NODE_COUNT),
            node_config={
                "machine_type": args.get("machine_type", DEFAULT_MACHINE_TYPE),
                "oauth_scopes": ["https://www.googleapis.com/auth/cloud-platform"],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.cluster_name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self._connect(
            name,
            pulumi.Output.all(
                self.cluster.endpoint,
                self.cluster.master_auth.apply(lambda auth: auth.cluster_ca_certificate),
                self.cluster.name,
            ).apply(lambda values: kubeconfig(values[0], values[1], values[2])),
            self.node_pool,
            args.get("gateway_annotations", L4_RBS_ANNOTATIONS),
            {"endpoint": self.endpoint},
        )
