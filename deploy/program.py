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
    HttpsGatewayArgs,
    IstioInstall,
    KindCluster,
    MeshNamespace,
    StrictMtls,
    Waypoint,
    WaypointRefArgs,
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
    """Compose the stack; every Kubernetes resource uses the cluster's explicit provider."""
    config = stack_config.load()
    guard = analysis.enforce()
    cluster = make_cluster(config.cluster)
    on_cluster = pulumi.ResourceOptions(provider=cluster.provider)

    pki = CertificateAuthority("pki", config.pki)
    istio_args = dict(config.istio)
    if config.pki.get("mesh_ca", False):
        istio_args["plugged_ca"] = pki.plugged_ca
    istio = IstioInstall("istio", istio_args, opts=on_cluster)  # type: ignore[arg-type]

    app_namespace = MeshNamespace(
        "app",
        {
            **config.app,
            "mode": istio.info.mode,
            "revision": istio.info.revision,
            "system_namespace": istio.info.system_namespace,
            "depends_on": istio.ready,
        },
        opts=on_cluster,
    )
    app = demo_app.deploy(
        app_namespace.namespace, cluster.provider, istio.info.control_plane_revision
    )

    gateway_args: HttpsGatewayArgs = {
        **config.gateway,
        "gateway_namespace": istio.info.gateway_namespace,
        "issuer": pki.issuer(),
        "depends_on": istio.ready,
    }
    if istio.info.api == "gateway-api":
        # A Gateway API Gateway is its own workload; istiod deploys it with this Service.
        gateway_args["api"] = "gateway-api"
        gateway_args["service"] = cluster.gateway_service()
        gateway_args["trust_domain"] = istio.info.trust_domain
    else:
        gateway_args["selector"] = istio.gateway_selector
    if cluster.local_ingress:
        gateway_args["local_ingress"] = cluster.local_ingress
    gateway = HttpsGateway("edge", gateway_args, opts=on_cluster)
    route = CanaryRoute(
        "app",
        {
            **config.canary,
            "gateways": [gateway.route_target()],
            "external_hosts": gateway.host_names,
            "depends_on": [*istio.ready, app_namespace.resource, app.service],
        },
        opts=on_cluster,
    )
    waypoints: list[WaypointRefArgs] = []
    if "waypoint" in config.app:
        # In ambient mode, routes and L7 rules for in-mesh callers run on the waypoint.
        waypoint = Waypoint(
            "app-waypoint",
            {
                "namespace": config.app["namespace"],
                "name": config.app["waypoint"],
                "revision": istio.info.revision,
                "trust_domain": istio.info.trust_domain,
                "depends_on": [*istio.ready, app_namespace.resource],
            },
            opts=on_cluster,
        )
        waypoints.append(waypoint.info.as_args())
    mtls = StrictMtls(
        "mtls",
        {
            **config.mtls,
            "system_namespace": istio.info.system_namespace,
            "data_plane_mode": istio.info.mode,
            "namespaces": [config.canary["namespace"]],
            "gateway_principal": (
                gateway.workload.principal if gateway.workload else istio.info.gateway_principal
            ),
            # Admitted to the workloads the route reaches, not to the whole namespace.
            "gateway_targets": route.gateway_targets,
            "waypoints": waypoints,
            "depends_on": istio.ready,
            "namespace_dependencies": {config.canary["namespace"]: [app_namespace.resource]},
        },
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
