"""The stack program: cluster → Istio, from the stack's config (see ``deploy.config``)."""

from __future__ import annotations

import pulumi

from deploy import config as stack_config
from mesh_https import Cluster, ExistingCluster, IstioInstall, KindCluster


def make_cluster(cluster: stack_config.ClusterConfig) -> Cluster:
    """The kind cluster, or the existing one, that the stack config names."""
    if cluster.type == "kind":
        return KindCluster(stack_config.CLUSTER_NAME, cluster.kind)
    return ExistingCluster(stack_config.CLUSTER_NAME, cluster.existing)


def main() -> None:
    """Compose the stack; every child uses the cluster's explicit provider."""
    config = stack_config.load()
    cluster = make_cluster(config.cluster)
    istio = IstioInstall(
        "istio", config.istio, opts=pulumi.ResourceOptions(provider=cluster.provider)
    )
    if isinstance(cluster, KindCluster):
        pulumi.export("kubeconfig", cluster.kubeconfig)
        pulumi.export("kindCluster", cluster.cluster_name)
    pulumi.export("istioVersion", istio.version)
    pulumi.export("istioMode", istio.mode)
    pulumi.export("gatewayNamespace", istio.gateway_namespace)
    pulumi.export("gatewaySelector", istio.gateway_selector)
    pulumi.export("gatewayPrincipal", istio.gateway_principal)
