"""Istio's secure-ingress task with mesh-https: httpbin behind one gateway, over SIMPLE TLS for
one host and MUTUAL TLS (client certificates with an accepted SAN) for another.

    pulumi stack select dev && pulumi up
    kubectl -n httpbin apply -f https://raw.githubusercontent.com/istio/istio/release-1.31/samples/httpbin/httpbin.yaml
    pulumi stack output --show-secrets smokeTest | sh

Only httpbin's /status and /headers are routed, to the whole service: no subsets and no
DestinationRule. The gateway may call httpbin's pods and nothing else in the namespace.
"""

import pulumi

import mesh_https

guard = mesh_https.analysis.enforce()
config = pulumi.Config()
cluster = mesh_https.KindCluster(
    "cluster",
    {
        "cluster_name": config.get("clusterName") or "secure-ingress",
        # Beside the main dev stack's cluster, which has ports 80 and 443.
        "host_ports": {"http": 8080, "https": 8443},
    },
)
on_cluster = pulumi.ResourceOptions(provider=cluster.provider)
istio = mesh_https.IstioInstall(
    "istio", {"gateway_service": cluster.gateway_service()}, opts=on_cluster
)
httpbin = mesh_https.MeshNamespace(
    "httpbin", {"namespace": "httpbin", "depends_on": istio.ready}, opts=on_cluster
)
edge = mesh_https.HttpsGateway(
    "edge",
    {
        "gateway_namespace": istio.info.gateway_namespace,
        "selector": istio.info.gateway_selector,
        "certificates": [
            {"hosts": ["httpbin.example.com"], "mode": "SIMPLE"},
            {
                "hosts": ["httpbin-mtls.example.com"],
                "mode": "MUTUAL",
                # The client certificate this gateway issues carries this name as its SAN.
                "client_subject_alt_names": ["client.example.com"],
            },
        ],
        "client_common_name": "client.example.com",
        "local_ingress": cluster.local_ingress,
        "depends_on": istio.ready,
    },
    opts=on_cluster,
)
route = mesh_https.CanaryRoute(
    "httpbin",
    {
        "host": "httpbin",
        "namespace": httpbin.info.namespace,
        "port": 8000,
        "gateways": [edge.route_target()],
        "external_hosts": ["httpbin.example.com", "httpbin-mtls.example.com"],
        "mesh": False,
        "routes": [
            {"name": "status", "path": {"prefix": "/status"}, "destination": {}},
            {"name": "headers", "path": {"prefix": "/headers"}, "destination": {}},
        ],
        "depends_on": [httpbin, *istio.ready],
    },
    opts=on_cluster,
)
# Anything else on those hosts gets Envoy's 404: no route matches it.
mesh_https.StrictMtls(
    "mtls",
    {
        "namespaces": [httpbin.info.namespace],
        "gateway_principal": istio.info.gateway_principal,
        "gateway_targets": route.gateway_targets,
        "namespace_dependencies": {httpbin.info.namespace: [httpbin]},
        "depends_on": istio.ready,
    },
    opts=on_cluster,
)
pulumi.export("caCertPem", edge.ca_cert_pem)
pulumi.export("clientCertPem", edge.client_cert_pem)
pulumi.export("clientPrivateKeyPem", edge.client_private_key_pem)
pulumi.export("smokeTest", edge.smoke_test)
pulumi.export("analysis", guard.check())
