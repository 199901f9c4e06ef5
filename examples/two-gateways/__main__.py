"""A public and an internal ingress gateway from one IstioInstall, each with its own hosts,
certificates and workloads behind it.

    pulumi stack select dev && pulumi up

- ``istio-ingress`` (public; on kind, the host ports) serves shop.example.com to the shop's
  storefront.
- ``istio-internal`` (a ClusterIP Service: reachable inside the cluster or through an
  internal load balancer) serves admin.corp.example over MUTUAL TLS to the admin console,
  from a client CA of its own.
- Each gateway is admitted to the workloads its routes reach, and nowhere else.
"""

import pulumi

import mesh_https

guard = mesh_https.analysis.enforce()
config = pulumi.Config()
cluster = mesh_https.KindCluster(
    "cluster",
    {
        "cluster_name": config.get("clusterName") or "two-gateways",
        "host_ports": {"http": 10080, "https": 10443},
    },
)
on_cluster = pulumi.ResourceOptions(provider=cluster.provider)
istio = mesh_https.IstioInstall(
    "istio",
    {
        "gateways": [
            {"name": "istio-ingress", "service": cluster.gateway_service()},
            {
                "name": "istio-internal",
                "namespace": "istio-internal",
                "service": {"type": "ClusterIP"},
            },
        ]
    },
    opts=on_cluster,
)
public, internal = istio.info.gateway("istio-ingress"), istio.info.gateway("istio-internal")
shop = mesh_https.MeshNamespace(
    "shop", {"namespace": "shop", "depends_on": istio.ready}, opts=on_cluster
)
ns = shop.info.namespace
pki = mesh_https.CertificateAuthority("pki", {"protect_root": False}, opts=on_cluster)
gateways = {
    gateway.name: mesh_https.HttpsGateway(
        name,
        {
            "gateway_namespace": gateway.namespace,
            "selector": gateway.selector,
            "certificates": [{"hosts": [host], "mode": mode}],
            "issuer": pki.issuer(),
            "depends_on": istio.ready,
            **({"local_ingress": cluster.local_ingress} if gateway is public else {}),
        },
        opts=on_cluster,
    )
    for name, gateway, host, mode in (
        ("public", public, "shop.example.com", "SIMPLE"),
        ("internal", internal, "admin.corp.example", "MUTUAL"),
    )
}
routes = [
    mesh_https.CanaryRoute(
        service,
        {
            "host": service,
            "namespace": ns,
            "port": 8080,
            "gateways": [gateways[gateway.name].route_target()],
            "external_hosts": [host],
            "mesh": False,
            "depends_on": [shop, *istio.ready],
        },
        opts=on_cluster,
    )
    for service, gateway, host in (
        ("storefront", public, "shop.example.com"),
        ("admin", internal, "admin.corp.example"),
    )
]
mesh_https.StrictMtls(
    "mtls",
    {
        "namespaces": [ns],
        "gateway_principals": [public.principal, internal.principal],
        "gateway_targets": [target for route in routes for target in route.gateway_targets],
        "namespace_dependencies": {ns: [shop]},
        "depends_on": istio.ready,
    },
    opts=on_cluster,
)
pulumi.export("gatewayPrincipals", istio.gateway_principals)
pulumi.export("caCertPem", pki.root_cert_pem)
pulumi.export("adminClientCertPem", gateways["istio-internal"].client_cert_pem)
pulumi.export("smokeTest", gateways["istio-ingress"].smoke_test)
pulumi.export("analysis", guard.check())
