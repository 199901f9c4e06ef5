"""The project's program on each stack in stacks/, and its config checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, local_overrides, run_stack

from mesh_https import ValidationError

STACKS = sorted(p.name.split(".")[1] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))


def test_pulumi_yaml_disables_default_providers_and_uses_stacks_dir() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "mesh-https"
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    assert project["stackConfigDir"] == "stacks"
    disabled = project["config"]["pulumi:disable-default-providers"]["value"]
    assert "kubernetes" in disabled


def test_stacks_exist_for_kind_existing_and_ambient() -> None:
    assert {"dev", "staging", "ambient"} <= set(STACKS)


def test_dev_stack_registers_kind_then_the_three_releases_in_order() -> None:
    rec, exports = run_stack("dev")
    command = rec.one("command:local:Command")
    assert "kind create cluster --name mesh-https-dev" in command.inputs["create"]
    kind_config = yaml.safe_load(command.inputs["stdin"])
    mappings = kind_config["nodes"][0]["extraPortMappings"]
    assert [(m["hostPort"], m["containerPort"]) for m in mappings] == [(80, 30080), (443, 30443)]
    base, istiod, gateway = rec.find("kubernetes:helm.sh/v3:Release")
    assert [r.inputs["chart"] for r in (base, istiod, gateway)] == ["base", "istiod", "gateway"]
    provider = rec.one("pulumi:providers:kubernetes")
    assert rec.depends_on(provider, command)
    assert rec.depends_on(istiod, base) and rec.depends_on(gateway, istiod)
    assert gateway.inputs["values"]["service"]["type"] == "NodePort"
    assert exports["istioMode"] == "sidecar"
    assert exports["gatewaySelector"] == {"istio": "ingress"}


@pytest.mark.parametrize("stack", STACKS)
def test_every_kubernetes_resource_uses_the_explicit_provider(stack: str, tmp_path: Path) -> None:
    rec, _ = run_stack(stack, **local_overrides(stack, tmp_path))
    provider = rec.one("pulumi:providers:kubernetes")
    k8s_resources = [r for r in rec if r.custom and r.type.startswith("kubernetes:")]
    assert k8s_resources
    for resource in k8s_resources:
        assert resource.provider_urn == provider.urn, f"{resource} has no explicit provider"


def test_ambient_stack_installs_cni_and_ztunnel() -> None:
    rec, exports = run_stack("ambient")
    charts = [r.inputs["chart"] for r in rec.find("kubernetes:helm.sh/v3:Release")]
    # The ambient stack uses the Gateway API: istiod deploys the ingress, no gateway chart.
    assert charts == ["base", "istiod", "cni", "ztunnel"]
    assert exports["istioMode"] == "ambient"
    assert rec.one(kind="HTTPRoute", object_name="app-mesh").manifest()["spec"]["parentRefs"] == [
        {"group": "", "kind": "Service", "name": "helloworld", "port": 5000}
    ]


def test_staging_stack_uses_a_load_balancer(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("apiVersion: v1\ncontexts: [{name: staging, context: {}}]\n")
    rec, _ = run_stack(
        "staging",
        **{
            "mesh-https:cluster": {
                "type": "existing",
                "kubeconfigPath": str(kubeconfig),
                "context": "staging",
            }
        },
    )
    assert not rec.find("command:local:Command"), "no kind cluster for an existing cluster"
    gateway = rec.one("kubernetes:helm.sh/v3:Release", name="istio-gateway")
    assert gateway.inputs["values"]["service"]["type"] == "LoadBalancer"


def test_kubeconfig_content_from_secret_config() -> None:
    content = "apiVersion: v1\ncontexts: [{name: a, context: {}}]\ncurrent-context: a\n"
    rec, _ = run_stack(
        "staging",
        **{"mesh-https:cluster": {"type": "existing"}, "mesh-https:kubeconfig": content},
    )
    provider = rec.one("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == content and provider.is_secret("kubeconfig")


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        (
            {"mesh-https:cluster": {"type": "openshift"}},
            "mesh-https:cluster.type",
            "'kind', 'existing', 'eks', 'gke', 'aks'",
        ),
        ({"mesh-https:cluster": {"hostport": {}}}, "mesh-https:cluster.hostport", "hostPorts"),
        ({"mesh-https:cluster": "kind"}, "mesh-https:cluster", "must be an object"),
        (
            {"mesh-https:cluster": {"type": "kind", "context": "x"}},
            "mesh-https:cluster.context",
            "does not apply",
        ),
        (
            {"mesh-https:cluster": {"type": "existing"}},
            "mesh-https:cluster.kubeconfigPath",
            "pulumi config set --secret mesh-https:kubeconfig",
        ),
        (
            {"mesh-https:cluster": {"hostPorts": {"http": 80, "https": 80}}},
            "mesh-https:cluster.hostPorts",
            "each must be different",
        ),
        ({"mesh-https:cluster": {"hostPorts": 80}}, "mesh-https:cluster.hostPorts", "keys http"),
        (
            {"mesh-https:cluster": {"loadBalancer": "false", "type": "existing"}},
            "mesh-https:cluster.loadBalancer",
            "true or false",
        ),
        ({"mesh-https:istio": {"mode": "proxyless"}}, "mesh-https:istio.mode", "'sidecar'"),
        ({"mesh-https:istio": {"versoin": "1.2.3"}}, "mesh-https:istio.versoin", "'version'"),
        ({"mesh-https:istio": {"istiodValues": []}}, "mesh-https:istio.istiodValues", "mapping"),
        ({"mesh-https:gateway": {"hosts": []}}, "mesh-https:gateway.hosts", "at least one"),
        (
            {"mesh-https:gateway": {"minTlsVersion": "TLSV1_1"}},
            "mesh-https:gateway.minTlsVersion",
            "below 1.2",
        ),
        ({"mesh-https:gateway": {"host": ["a.b.c"]}}, "mesh-https:gateway.host", "hosts"),
        ({"mesh-https:pki": {"key": {"algorithm": "DSA"}}}, "mesh-https:pki.key.algorithm", "RSA"),
        ({"mesh-https:pki": {"validityHours": 24}}, "mesh-https:pki.validityHours", "renewal"),
        ({"mesh-https:app": {"namespace": "Demo"}}, "mesh-https:app.namespace", "DNS-1123"),
        (
            {"mesh-https:mtls": {"namespaces": ["x"]}},
            "mesh-https:mtls.namespaces",
            "filled in by the program",
        ),
    ],
)
def test_bad_stack_config_fails_with_a_clear_error(
    overrides: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ValidationError) as err:
        run_stack("dev", **overrides)
    assert err.value.field == field
    assert words in str(err.value)


def test_a_rollback_to_one_subset_is_not_blocked_by_the_default_header_route() -> None:
    rec, _ = run_stack("dev", **{"mesh-https:canary": {"weights": {"v1": 100}}})
    vs = rec.one(kind="VirtualService")
    assert len(vs.spec["http"]) == 1, "only the weighted default route"


def test_stack_config_errors_register_nothing() -> None:
    from mesh_https.testing import MockSession

    with MockSession(project="mesh-https", config={"mesh-https:istio": {"mode": "x"}}) as session:
        from deploy.program import main

        with pytest.raises(ValidationError):
            main()
        # Every component's input is checked before the first registration.
        assert len(session.settle()) == 0


def test_istio_objects_wait_for_istiod_with_few_edges() -> None:
    rec, _ = run_stack("dev")
    istiod = rec.one("kubernetes:helm.sh/v3:Release", name="istio-istiod")
    for kind in ("DestinationRule", "VirtualService", "Gateway", "AuthorizationPolicy"):
        for obj in rec.kinds(kind):
            assert rec.depends_on(obj, istiod), f"{obj} must come after istiod"
            # istiod and its own namespace or sibling, not every child of the install.
            assert len(set(obj.dependencies)) <= 4, (obj, obj.dependencies)
