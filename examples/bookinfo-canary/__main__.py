"""Istio's Bookinfo with mesh-https: productpage over HTTPS on its own paths, a reviews
canary, and per-workload authorization ("only productpage may call reviews").

    pulumi stack select dev && pulumi up
    kubectl -n bookinfo apply -f https://raw.githubusercontent.com/istio/istio/release-1.31/samples/bookinfo/platform/kube/bookinfo.yaml
    pulumi stack output --show-secrets smokeTest | sh    # the first host: /productpage

- The gateway routes /productpage, /static, /login, /logout and /api/v1/products to
  productpage (no subsets), and nothing else; it may call productpage's pods only.
- reviews: v1 takes 100 - canaryWeight, v2 canaryWeight; v3 is reached only by the user
  ``jason`` (the end-user header productpage sets), with no weight.
- Only productpage may call reviews and details, and only reviews may call ratings: one rule
  each, the DENY for everyone else written by StrictMtls.
"""

import pulumi

import mesh_https

guard = mesh_https.analysis.enforce()
config = pulumi.Config()
canary = int(config.get("canaryWeight") or "10")
cluster = mesh_https.KindCluster(
    "cluster",
    {
        "cluster_name": config.get("clusterName") or "bookinfo",
        "host_ports": {"http": 9080, "https": 9443},
    },
)
on_cluster = pulumi.ResourceOptions(provider=cluster.provider)
istio = mesh_https.IstioInstall(
    "istio", {"gateway_service": cluster.gateway_service()}, opts=on_cluster
)
bookinfo = mesh_https.MeshNamespace(
    "bookinfo", {"namespace": "bookinfo", "depends_on": istio.ready}, opts=on_cluster
)
ns = bookinfo.info.namespace
edge = mesh_https.HttpsGateway(
    "edge",
    {
        "gateway_namespace": istio.info.gateway_namespace,
        "selector": istio.info.gateway_selector,
        "hosts": ["bookinfo.example.com"],
        "local_ingress": cluster.local_ingress,
        "depends_on": istio.ready,
    },
    opts=on_cluster,
)
after = [bookinfo, *istio.ready]
productpage = mesh_https.CanaryRoute(
    "productpage",
    {
        "host": "productpage",
        "namespace": ns,
        "port": 9080,
        "gateways": [edge.route_target()],
        "external_hosts": ["bookinfo.example.com"],
        "mesh": False,
        "routes": [
            {"name": "page", "path": {"exact": "/productpage"}, "destination": {}},
            {"name": "static", "path": {"prefix": "/static"}, "destination": {}},
            {"name": "login", "path": {"exact": "/login"}, "destination": {}},
            {"name": "logout", "path": {"exact": "/logout"}, "destination": {}},
            {"name": "api", "path": {"prefix": "/api/v1/products"}, "destination": {}},
            {"name": "home", "path": {"exact": "/"}, "redirect": {"uri": "/productpage"}},
        ],
        "depends_on": after,
    },
    opts=on_cluster,
)
reviews = mesh_https.CanaryRoute(
    "reviews",
    {
        "host": "reviews",
        "namespace": ns,
        "subsets": [
            {"name": "v1", "labels": {"version": "v1"}, "weight": 100 - canary},
            {"name": "v2", "labels": {"version": "v2"}, "weight": canary},
            {"name": "v3", "labels": {"version": "v3"}},
        ],
        "routes": [{"name": "jason", "subset": "v3", "headers": {"end-user": {"exact": "jason"}}}],
        "depends_on": after,
    },
    opts=on_cluster,
)


def caller(account: str) -> str:
    """A Bookinfo workload's principal, under the install's trust domain."""
    return istio.info.principal(ns, f"bookinfo-{account}")


mesh_https.StrictMtls(
    "mtls",
    {
        "namespaces": [ns],
        "gateway_principal": istio.info.gateway_principal,
        "gateway_targets": [*productpage.gateway_targets, *reviews.gateway_targets],
        "allow": [
            {
                "name": "reviews",
                "principals": [caller("productpage")],
                "to_workloads": {"app": "reviews"},
                "only": True,
            },
            {
                "name": "details",
                "principals": [caller("productpage")],
                "to_workloads": {"app": "details"},
                "only": True,
            },
            {
                "name": "ratings",
                "principals": [caller("reviews")],
                "to_workloads": {"app": "ratings"},
                "only": True,
            },
        ],
        "namespace_dependencies": {ns: [bookinfo]},
        "depends_on": istio.ready,
    },
    opts=on_cluster,
)
pulumi.export("caCertPem", edge.ca_cert_pem)
pulumi.export("smokeTest", edge.smoke_test)
pulumi.export("reviewsRoutes", reviews.route_table)
pulumi.export("analysis", guard.check())
