"""The stack program: cluster → Istio, from the stack's config (see ``deploy.config``)."""

from __future__ import annotations

import pulumi

from deploy import config as stack_config
from mesh_https import Cluster, ExistingCluster, IstioInstall, KindCluster


def make_cluster(cluster: stack_config.ClusterConfig) -> Cluster:
    """The kind cluster, or the existing one, that the stack config names."""
    if cluster.type == "kind":
        return KindCluster("cluster", cluster.kind)
    return ExistingCluster("cluster", cluster.existing)


def main() -> None:
    """Compose the stack; every child uses the cluster's explicit provider."""
    config = stack_config.load()
    cluster = make_cluster(config.cluster)
    istio_args = {**config.istio, "gateway_service": cluster.gateway_service()}
    istio = IstioInstall(
        "istio",
        istio_args,  # type: ignore[arg-type]
        opts=pulumi.ResourceOptions(provider=cluster.provider),
    )
    if isinstance(cluster, KindCluster):
        pulumi.export("kubeconfig", cluster.kubeconfig)
        pulumi.export("kindCluster", cluster.cluster_name)
    pulumi.export("istioVersion", istio.version)
    pulumi.export("istioMode", istio.mode)
    pulumi.export("gatewayNamespace", istio.gateway_namespace)
    pulumi.export("gatewaySelector", istio.gateway_selector)
    pulumi.export("gatewayPrincipal", istio.gateway_principal)
