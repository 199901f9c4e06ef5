"""GkeCluster and AksCluster under mocks: what each registers, the kubeconfig and its
secrecy, the provider every Kubernetes resource uses, the gateway Service's annotations, the
gke and aks stacks, the deploy script's checks, and the missing extra."""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from conftest import ROOT, assert_refused, run_stack
from test_scripts import up_with_only as up

from mesh_https import AksCluster, GkeCluster, IstioInstall, ValidationError
from mesh_https.testing import MockSession, Recording

CLOUDS: dict[str, tuple[Any, dict[str, str], str]] = {
    "gke": (GkeCluster, {"gcp:project": "p", "gcp:zone": "europe-west1-b"}, "gcp"),
    "aks": (AksCluster, {"azure-native:location": "westeurope"}, "azure"),
}


def build(cloud: str, **args: Any) -> tuple[Any, Recording, Any]:
    component, config, _ = CLOUDS[cloud]
    with MockSession(config=config) as session:
        cluster = component("prod", {"cluster_name": "mesh-prod", **args})
        IstioInstall(
            "istio",
            {"gateway_service": cluster.gateway_service()},
            opts=pulumi.ResourceOptions(provider=cluster.provider),
        )
        rec = session.settle()
        kubeconfig = session.resolve(cluster.kubeconfig)
    return cluster, rec, kubeconfig


def test_gke_cluster_node_pool_and_plugin_kubeconfig() -> None:
    _, rec, kubeconfig = build("gke")
    cluster = rec.one("gcp:container/cluster:Cluster")
    assert cluster.inputs["name"] == "mesh-prod"
    assert cluster.inputs["location"] == "europe-west1-b", "zonal: one free management fee"
    assert cluster.inputs["removeDefaultNodePool"] is True
    assert cluster.inputs["deletionProtection"] is False, "or pulumi destroy fails"
    assert cluster.inputs["releaseChannel"] == {"channel": "REGULAR"}
    assert cluster.inputs["minMasterVersion"] == "1.35"
    pool = rec.one("gcp:container/nodePool:NodePool")
    assert pool.inputs["nodeCount"] == 2
    assert pool.inputs["nodeConfig"]["machineType"] == "e2-standard-4"
    assert kubeconfig.secret
    config = yaml.safe_load(kubeconfig.value)
    assert config["clusters"][0]["cluster"]["server"].startswith("https://34.")
    user = config["users"][0]["user"]["exec"]
    assert user["command"] == "gke-gcloud-auth-plugin" and user["provideClusterInfo"] is True


def test_aks_cluster_pool_tier_and_user_credential() -> None:
    _, rec, kubeconfig = build("aks", vm_size="Standard_D8s_v5", sku_tier="Standard")
    group = rec.one("azure-native:resources:ResourceGroup")
    cluster = rec.one("azure-native:containerservice:ManagedCluster")
    assert cluster.inputs["resourceGroupName"].startswith("prod-rg")
    assert rec.depends_on(cluster, group)
    assert cluster.inputs["resourceName"] == "mesh-prod"
    assert cluster.inputs["kubernetesVersion"] == "1.35"
    (pool,) = cluster.inputs["agentPoolProfiles"]
    assert (pool["mode"], pool["count"], pool["vmSize"]) == ("System", 2, "Standard_D8s_v5")
    assert cluster.inputs["sku"] == {"name": "Base", "tier": "Standard"}
    assert cluster.inputs["identity"] == {"type": "SystemAssigned"}
    # The user credential of a cluster with local accounts: a client certificate, no kubelogin.
    assert kubeconfig.secret
    user = yaml.safe_load(kubeconfig.value)["users"][0]["user"]
    assert "client-certificate-data" in user and "exec" not in user


def test_an_existing_resource_group_is_used_not_made() -> None:
    _, rec, _ = build("aks", resource_group_name="platform")
    assert not rec.find("azure-native:resources:ResourceGroup")
    cluster = rec.one("azure-native:containerservice:ManagedCluster")
    assert cluster.inputs["resourceGroupName"] == "platform"


@pytest.mark.parametrize("cloud", sorted(CLOUDS))
def test_every_kubernetes_resource_uses_the_clusters_provider(cloud: str) -> None:
    cluster, rec, _ = build(cloud)
    provider = rec.one("pulumi:providers:kubernetes")
    assert provider.is_secret("kubeconfig")
    k8s = [r for r in rec if r.custom and r.type.startswith("kubernetes:")]
    assert k8s and all(r.provider_urn == provider.urn for r in k8s)
    assert cluster.load_balancer and cluster.node_ports is None and cluster.local_ingress is None


@pytest.mark.parametrize(
    ("cloud", "args", "expected"),
    [
        ("gke", {}, {"cloud.google.com/l4-rbs": "enabled"}),
        (
            "gke",
            {"gateway_annotations": {"networking.gke.io/load-balancer-type": "Internal"}},
            {"networking.gke.io/load-balancer-type": "Internal"},
        ),
        (
            "aks",
            {
                "gateway_annotations": {
                    "service.beta.kubernetes.io/azure-load-balancer-internal": "true"
                }
            },
            {"service.beta.kubernetes.io/azure-load-balancer-internal": "true"},
        ),
    ],
)
def test_gateway_annotations(cloud: str, args: dict[str, Any], expected: dict[str, str]) -> None:
    _, rec, _ = build(cloud, **args)
    service = rec.one("kubernetes:helm.sh/v3:Release", name="istio-gateway").inputs["values"][
        "service"
    ]
    assert service["type"] == "LoadBalancer" and service["annotations"] == expected


def test_aks_probes_the_gateways_status_port() -> None:
    _, rec, _ = build("aks")
    annotations = rec.one("kubernetes:helm.sh/v3:Release", name="istio-gateway").inputs["values"][
        "service"
    ]["annotations"]
    for port in (80, 443):
        prefix = f"service.beta.kubernetes.io/port_{port}_health-probe_"
        assert annotations[f"{prefix}port"] == "15021"
        assert annotations[f"{prefix}request-path"] == "/healthz/ready"
        assert annotations[f"{prefix}protocol"] == "http"


@pytest.mark.parametrize(
    ("cloud", "args", "field", "words"),
    [
        ("gke", {"subnetwork": "s"}, "subnetwork", "needs `network`"),
        ("gke", {"kubernetes_version": "1.37"}, "kubernetes_version", "1.32 to 1.36"),
        ("aks", {"sku_tier": "Gold"}, "sku_tier", "'Free', 'Standard', 'Premium'"),
        ("aks", {"node_count": 0}, "node_count", "1 or more"),
    ],
)
def test_bad_input(cloud: str, args: dict[str, Any], field: str, words: str) -> None:
    component, config, _ = CLOUDS[cloud]
    with MockSession(config=config) as session:
        assert_refused(session, lambda: component("c", args), component.__name__, field, words)


@pytest.mark.parametrize("cloud", sorted(CLOUDS))
def test_a_location_is_needed(cloud: str) -> None:
    component, _, _ = CLOUDS[cloud]
    with MockSession() as session:
        assert_refused(session, lambda: component("c", {}), component.__name__, "location", "")


@pytest.mark.parametrize(
    ("cloud", "module"), [("gke", "pulumi_gcp"), ("aks", "pulumi_azure_native")]
)
def test_without_the_extra_the_error_names_it(
    cloud: str, module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    component, config, extra = CLOUDS[cloud]
    monkeypatch.setitem(sys.modules, module, None)
    for name in [m for m in sys.modules if m.startswith(f"{module}.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with MockSession(config=config), pytest.raises(ValidationError) as err:
        component("c", {})
    assert f"pip install 'mesh-https[{extra}]'" in str(err.value)


@pytest.mark.parametrize("stack", ["gke", "aks"])
def test_the_stack_composes_the_dev_app(stack: str) -> None:
    rec, exports = run_stack(stack)
    assert exports["analysis"] == []
    provider = rec.one("pulumi:providers:kubernetes")
    k8s = [r for r in rec if r.custom and r.type.startswith("kubernetes:")]
    assert all(r.provider_urn == provider.urn for r in k8s)


def test_up_for_gke_and_aks_checks_their_clis_and_credentials(tmp_path: Path) -> None:
    gke = up(tmp_path, "gke", {"pulumi": "exit 0"})
    assert "- gcloud CLI:" in gke.stderr and "- gke-gcloud-auth-plugin:" in gke.stderr
    assert "docker" not in gke.stderr
    signed_out = up(
        tmp_path,
        "gke",
        {"pulumi": "exit 0", "gcloud": "exit 1", "gke-gcloud-auth-plugin": "exit 0"},
    )
    assert "- Google credentials:" in signed_out.stderr
    aks = up(tmp_path, "aks", {"pulumi": "exit 0"})
    assert "- Azure CLI:" in aks.stderr and "kind" not in aks.stderr
    aks_out = up(tmp_path, "aks", {"pulumi": "exit 0", "az": "exit 1"})
    assert "- Azure credentials:" in aks_out.stderr and "az login" in aks_out.stderr


def test_the_fake_ca_is_a_pem() -> None:
    _, _, kubeconfig = build("gke")
    ca = yaml.safe_load(kubeconfig.value)["clusters"][0]["cluster"]["certificate-authority-data"]
    assert base64.b64decode(ca).startswith(b"-----BEGIN CERTIFICATE-----")


@pytest.mark.parametrize("stack", ["eks", "gke", "aks"])
def test_each_cloud_stack_runs_clean_through_synth(stack: str, tmp_path: Path) -> None:
    """The dev app on each cloud, through `mesh-https synth`: every object written, no
    finding of any level (the schemas run over the same stacks in test_schemas)."""
    from mesh_https import synth

    result = synth.synth(ROOT, stack, tmp_path / "out")
    assert result.program_error is None, result.program_error
    assert [str(f) for f in result.findings] == []
    written = {p.parent.name for p in (tmp_path / "out" / "objects").rglob("*.yaml")}
    assert {"Gateway", "VirtualService", "AuthorizationPolicy"} <= written
