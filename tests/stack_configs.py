"""Stack configs for tests: between them and stacks/, every documented config key is used.

Each entry is a whole stack config (``config:`` of a ``Pulumi.<stack>.yaml``), built on one of
the repository's stacks; ``tests/test_stack_program.py`` runs each and checks that it
synthesises cleanly. The PEM material of brought certificates is made here, once.
"""

from __future__ import annotations

from typing import Any

from conftest import ca_pair, leaf, stack_config

from mesh_https.istio_install import GATEWAY_API_VERSION
from mesh_https.versions import ISTIO_CHART_REPOSITORY, ISTIO_VERSION


def pki() -> dict[str, str]:
    """A CA (certificate and key) and a leaf for ``brought.mesh-https.test`` it signed."""
    ca_cert, ca_key = ca_pair("test CA")
    leaf_cert, leaf_key = leaf("brought.mesh-https.test", "test CA")
    return {"ca_cert": ca_cert, "ca_key": ca_key, "leaf_cert": leaf_cert, "leaf_key": leaf_key}


def _on(stack: str, **sections: Any) -> dict[str, Any]:
    """``stack``'s config with whole sections replaced (``istio={...}``)."""
    return {**stack_config(stack), **{f"mesh-https:{k}": v for k, v in sections.items()}}


def configs() -> dict[str, tuple[str, dict[str, Any]]]:
    """Test stack configs by name: (the stack they are built on, the config)."""
    pems = pki()
    return {
        "kind-tuned": (
            "dev",
            _on(
                "dev",
                cluster={
                    "type": "kind",
                    "clusterName": "mesh-https-tuned",
                    "nodeImage": "kindest/node:v1.34.0",
                    "hostPorts": {"http": 8081, "https": 8444},
                    "nodePorts": {"http": 30081, "https": 30444},
                    "listenAddress": "127.0.0.1",
                    "workers": 1,
                    "waitSeconds": 240,
                },
                istio={
                    "version": ISTIO_VERSION,
                    "chartRepository": ISTIO_CHART_REPOSITORY,
                    "chartRepositoryAuth": {"username": "reader", "password": "not-a-secret"},
                    "imageHub": "registry.example.com/istio",
                    "mode": "sidecar",
                    "revision": "stable",
                    "systemNamespace": "mesh-system",
                    "gatewayNamespace": "edge-ingress",
                    "gatewayReleaseName": "istio-edge",
                    "trustDomain": "example.org",
                    "releaseTimeoutSeconds": 900,
                    "baseValues": {"global": {"logAsJson": True}},
                    "istiodValues": {"pilot": {"autoscaleEnabled": False}},
                    "gatewayValues": {"replicaCount": 2},
                },
                pki={
                    "validityHours": 4380,
                    "earlyRenewalHours": 1000,
                    "commonName": "tuned root CA",
                    "organization": "tests",
                    "key": {"algorithm": "ECDSA", "ecdsaCurve": "P384"},
                    "intermediate": True,
                    "meshCa": True,
                    "protectRoot": False,
                },
                gateway={
                    "hosts": ["hello.tuned.test", "*.apps.tuned.test"],
                    "allowWildcards": True,
                    "grouping": "per_host",
                    "mode": "MUTUAL",
                    "cipherSuites": [
                        "ECDHE-RSA-AES256-GCM-SHA384",
                        "ECDHE-ECDSA-AES256-GCM-SHA384",
                    ],
                    "httpsRedirect": False,
                    "clientSubjectAltNames": ["tester"],
                    "clientCommonName": "tester",
                    "validityHours": 1000,
                    "earlyRenewalHours": 300,
                    "key": {"algorithm": "RSA", "rsaBits": 2048},
                    "gatewayName": "public",
                },
                app={
                    "namespace": "shop",
                    "scopeSidecar": True,
                    "extraEgressHosts": ["monitoring/*"],
                    "labels": {"team": "checkout"},
                },
                mtls={
                    "meshWide": True,
                    "perNamespace": False,
                    "peerMode": "STRICT",
                    "migration": True,
                    "portExceptions": [
                        {
                            "name": "metrics",
                            "namespace": "shop",
                            "selector": {"app": "helloworld"},
                            "port": 9090,
                        }
                    ],
                    "authorization": True,
                    "istioMutualHosts": ["helloworld.shop.svc.cluster.local"],
                },
            ),
        ),
        "brought-certificates": (
            "dev",
            _on(
                "dev",
                gateway={
                    "certificates": [
                        {"hosts": ["hello.mesh-https.test"], "existingSecret": "hello-tls"},
                        {
                            "hosts": ["brought.mesh-https.test"],
                            "certPem": pems["leaf_cert"],
                            "privateKeyPem": pems["leaf_key"],
                        },
                    ],
                    "caCertPem": pems["ca_cert"],
                    "mode": "MUTUAL",
                    "clientCaCertPem": pems["ca_cert"],
                },
            ),
        ),
        "client-issuer": (
            "dev",
            _on(
                "dev",
                gateway={
                    "hosts": ["hello.mesh-https.test"],
                    "mode": "OPTIONAL_MUTUAL",
                    "clientIssuer": {
                        "certPem": pems["ca_cert"],
                        "privateKeyPem": pems["ca_key"],
                        "chainPem": "",
                        "rootCertPem": pems["ca_cert"],
                    },
                },
            ),
        ),
        "two-gateways": (
            "dev",
            _on(
                "dev",
                istio={
                    "gateways": [
                        {"name": "istio-ingress"},
                        {"name": "istio-internal", "namespace": "internal", "values": {}},
                    ],
                },
                mtls={"gatewayPrincipals": ["cluster.local/ns/internal/sa/istio-internal"]},
            ),
        ),
        "ambient-tuned": (
            "ambient",
            _on(
                "ambient",
                istio={
                    "mode": "ambient",
                    "api": "gateway-api",
                    "ambientNamespace": "istio-dataplane",
                    "cniValues": {"cni": {"logLevel": "info"}},
                    "ztunnelValues": {"logLevel": "info"},
                    "gatewayApiCrds": {"install": True, "version": GATEWAY_API_VERSION},
                },
            ),
        ),
        "eks-tuned": (
            "eks",
            _on(
                "eks",
                cluster={
                    "type": "eks",
                    "region": "us-east-1",
                    "subnetIds": ["subnet-a", "subnet-b"],
                    "instanceTypes": ["m5.xlarge"],
                    "loadBalancerController": True,
                },
            ),
        ),
        "gke-tuned": (
            "gke",
            _on(
                "gke",
                cluster={
                    "type": "gke",
                    "location": "europe-west1-b",
                    "machineType": "e2-standard-8",
                    "network": "mesh",
                    "subnetwork": "mesh-nodes",
                },
            ),
        ),
        "aks-tuned": (
            "aks",
            _on(
                "aks",
                cluster={
                    "type": "aks",
                    "location": "northeurope",
                    "resourceGroupName": "mesh-rg",
                    "vmSize": "Standard_D8s_v5",
                    "vnetSubnetId": "/subscriptions/x/resourceGroups/mesh-rg/providers/"
                    "Microsoft.Network/virtualNetworks/mesh/subnets/nodes",
                    "skuTier": "Standard",
                },
            ),
        ),
    }
