"""The stack program: cluster → Istio (with the stack's CA) → HTTPS gateway → demo app →
canary route → STRICT mTLS and who may call the app."""

from __future__ import annotations

import pulumi

from deploy import config as stack_config
from deploy import demo_app
from mesh_https import (
    AksCluster,
    CanaryRoute,
    CertificateAuthority,
    Cluster,
    EksCluster,
    ExistingCluster,
    GkeCluster,
    HttpsGateway,
    IstioInstall,
    KindCluster,
    MeshNamespace,
    StrictMtls,
    Waypoint,
    analysis,
)


def make_cluster(cluster: stack_config.ClusterConfig) -> Cluster:
    """The cluster the stack config names: kind, EKS, GKE or AKS, made here, or an existing
    one."""
    if cluster.type == "kind":
        return KindCluster(stack_config.CLUSTER_NAME, cluster.kind)
    if cluster.type == "eks":
        return EksCluster(stack_config.CLUSTER_NAME, cluster.eks)
    if cluster.type == "gke":
        return GkeCluster(stack_config.CLUSTER_NAME, cluster.gke)
    if cluster.type == "aks":
        return AksCluster(stack_config.CLUSTER_NAME, cluster.aks)
    return ExistingCluster(stack_config.CLUSTER_NAME, cluster.existing)


def main() -> None:
    """Compose the stack; every Kubernetes resource uses the cluster's explicit provider.

    The whole config is read and every component's args are built and checked first
    (``stack_config.load``); only then is anything registered, and each component gets
    exactly the args that were checked, plus the resources registered before it.
    """
    config = stack_config.load()
    guard = analysis.enforce()
    cluster = make_cluster(config.cluster)
    on_cluster = pulumi.ResourceOptions(provider=cluster.provider)

    pki = CertificateAuthority("pki", config.pki.complete())
    istio_later = {"plugged_ca": pki.plugged_ca} if "plugged_ca" in config.istio.later else {}
    istio = IstioInstall("istio", config.istio.complete(**istio_later), opts=on_cluster)

    app_namespace = MeshNamespace(
        "app", config.app.complete(depends_on=istio.ready), opts=on_cluster
    )
    app = demo_app.deploy(
        app_namespace.namespace, cluster.provider, config.info.control_plane_revision
    )
    gateway = HttpsGateway(
        stack_config.GATEWAY_NAME,
        config.gateway.complete(issuer=pki.issuer(), depends_on=istio.ready),
        opts=on_cluster,
    )
    route = CanaryRoute(
        stack_config.ROUTE_NAME,
        config.canary.complete(depends_on=[*istio.ready, app_namespace.resource, app.service]),
        opts=on_cluster,
    )
    if config.waypoint is not None:
        # In ambient mode, routes and L7 rules for in-mesh callers run on the waypoint.
        Waypoint(
            "app-waypoint",
            config.waypoint.complete(depends_on=[*istio.ready, app_namespace.resource]),
            opts=on_cluster,
        )
    namespace = config.app.args["namespace"]
    mtls = StrictMtls(
        "mtls",
        config.mtls.complete(
            depends_on=istio.ready,
            namespace_dependencies={namespace: [app_namespace.resource]},
        ),
        opts=on_cluster,
    )

    if isinstance(cluster, KindCluster):
        pulumi.export("kubeconfig", cluster.kubeconfig)
        pulumi.export("kindCluster", cluster.cluster_name)
    pulumi.export("istioVersion", istio.version)
    pulumi.export("istioRevision", istio.revision)
    pulumi.export("istioRevisionTags", istio.revision_tags)
    pulumi.export("istioMode", istio.mode)
    pulumi.export("gatewayNamespace", istio.gateway_namespace)
    if gateway.workload is not None:  # the Gateway API: istiod's workload for the Gateway
        pulumi.export("gatewaySelector", gateway.workload.selector)
        pulumi.export("gatewayPrincipal", gateway.workload.principal)
    else:
        pulumi.export("gatewaySelector", istio.gateway_selector)
        pulumi.export("gatewayPrincipal", istio.gateway_principal)
    pulumi.export("gatewayRef", gateway.gateway_ref)
    pulumi.export("hosts", gateway.hosts)
    pulumi.export("tlsSecrets", gateway.secret_names)
    pulumi.export("certificateExpiry", gateway.expiry)
    pulumi.export("caCertPem", gateway.ca_cert_pem)
    pulumi.export("smokeTest", gateway.smoke_test)
    pulumi.export("appNamespace", app_namespace.namespace)
    pulumi.export("virtualService", route.virtual_service_name)
    pulumi.export("destinationRule", route.destination_rule_name)
    pulumi.export("routeTable", route.route_table)
    pulumi.export("mtlsPolicies", mtls.policy_names)
    pulumi.export("admittedPrincipals", mtls.admitted)
    # Last: the analysis sees the whole graph, and fails preview on error findings.
    pulumi.export("analysis", guard.check())
