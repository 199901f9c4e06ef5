"""Istio on a cluster you already have: the library used the way your own program would.

pulumi config set kubeconfigPath ~/.kube/config
pulumi config set context my-cluster
pulumi up
"""

import pulumi

import mesh_https

guard = mesh_https.analysis.enforce()  # fails preview on dangling refs and the like
config = pulumi.Config()
cluster = mesh_https.ExistingCluster(
    "cluster",
    {
        "kubeconfig_path": config.get("kubeconfigPath") or "~/.kube/config",
        **({"context": context} if (context := config.get("context")) else {}),
        "gateway_annotations": {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
    },
)
istio = mesh_https.IstioInstall(
    "istio",
    {
        "revision": config.get("revision") or "stable",
        "gateway_service": cluster.gateway_service(),
        "istiod_values": {"meshConfig": {"accessLogFile": "/dev/stdout"}},
    },
    opts=pulumi.ResourceOptions(provider=cluster.provider),
)
pulumi.export("gatewayPrincipal", istio.gateway_principal)
pulumi.export("gatewaySelector", istio.gateway_selector)
pulumi.export("analysis", guard.check())
