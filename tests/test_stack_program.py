"""The project's program on each stack in stacks/, and its config checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, local_overrides, run_stack, stack_config
from stack_configs import configs

from mesh_https import ValidationError
from mesh_https.testing import MockSession

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


# ------------------------------------------------ the whole config, checked before anything


def _run_config(stack: str, config: dict[str, Any]) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """The program on ``config``: what ``load`` planned, the components made, the exports."""
    import deploy.config
    from deploy import program

    made: dict[str, Any] = {}
    planned: list[deploy.config.StackConfig] = []

    def spy(cls: Any) -> Any:
        class Spy(cls):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                made[cls.__name__] = self

        return Spy

    def load() -> deploy.config.StackConfig:
        planned.append(real_load())
        return planned[0]

    real_load = deploy.config.load
    names = ["IstioInstall", "HttpsGateway", "CanaryRoute", "Waypoint", "StrictMtls"]
    originals = {name: getattr(program, name) for name in names}
    originals_cluster = program.make_cluster
    try:
        for name in names:
            setattr(program, name, spy(originals[name]))
        program.make_cluster = lambda c: made.setdefault("cluster", originals_cluster(c))  # type: ignore[assignment]
        deploy.config.load = load  # type: ignore[assignment]
        with MockSession(project="mesh-https", stack=stack, config=config) as session:
            program.main()
            session.settle()
            exports = session.exports()
    finally:
        for name, original in originals.items():
            setattr(program, name, original)
        program.make_cluster = originals_cluster  # type: ignore[assignment]
        deploy.config.load = real_load  # type: ignore[assignment]
    return planned[0], made, exports


def _all_configs(tmp_path: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    found = {
        f"stacks/{stack}": (stack, {**stack_config(stack), **local_overrides(stack, tmp_path)})
        for stack in STACKS
    }
    found.update({f"tests/{name}": entry for name, entry in configs().items()})
    return found


def _config_names() -> list[str]:
    return [*(f"stacks/{s}" for s in STACKS), *(f"tests/{n}" for n in configs())]


@pytest.mark.parametrize("name", _config_names())
def test_each_stack_config_synthesises_cleanly_with_the_facts_it_was_checked_with(
    name: str, tmp_path: Path
) -> None:
    stack, config = _all_configs(tmp_path)[name]
    planned, made, exports = _run_config(stack, config)
    assert not [f for f in exports["analysis"] if f.startswith(("ERROR", "WARNING"))]
    # What the check saw is what each component got and says of itself.
    istio, gateway, route = made["IstioInstall"], made["HttpsGateway"], made["CanaryRoute"]
    assert planned.info == istio.info
    assert planned.canary.args["gateways"] == [gateway.route_target()]
    assert planned.canary.args["external_hosts"] == gateway.host_names
    principal = gateway.workload.principal if gateway.workload else istio.info.gateway_principal
    assert planned.mtls.args["gateway_principal"] == principal
    assert planned.mtls.args["gateway_targets"] == route.gateway_targets
    waypoint = made.get("Waypoint")
    assert planned.mtls.args["waypoints"] == ([waypoint.info.as_args()] if waypoint else [])
    assert planned.gateway.args.get("local_ingress") == made["cluster"].local_ingress
    assert planned.pki.args["trust_domain"] == istio.info.trust_domain


def test_every_documented_key_is_used_by_a_stack_config_that_synthesises(
    tmp_path: Path,
) -> None:
    from deploy.config import SECTIONS, documented_keys, reference_blocks

    used: set[tuple[str, str]] = set()
    for _, config in _all_configs(tmp_path).values():
        for key, value in config.items():
            section = key.removeprefix("mesh-https:")
            if section in SECTIONS and isinstance(value, dict):
                used |= {(section, k) for k in value}
    documented = documented_keys()
    unused = [(s, k) for s, keys in documented.items() for k in keys if (s, k) not in used]
    assert not unused, f"add a stack config under tests/stack_configs.py that uses {unused}"
    # The README's tables list exactly these keys: one declaration for both.
    for section, keys in documented.items():
        rows = reference_blocks()[f"config:{section}"].splitlines()[2:]
        assert [row.split("`")[1] for row in rows] == keys


def test_keys_yaml_cannot_give_or_the_program_fills_are_not_documented() -> None:
    from deploy.config import documented_keys

    keys = {k for section in documented_keys().values() for k in section}
    assert not keys & {"dependsOn", "namespaceDependencies", "gatewayPrincipal", "issuer"}
    readme = (ROOT / "README.md").read_text()
    assert "| `dependsOn` |" not in readme.split("### Stack configuration")[1].split("## ")[0]


def test_certificates_replace_the_default_hosts() -> None:
    rec, exports = run_stack(
        "dev",
        **{
            "mesh-https:gateway": {
                "certificates": [{"hosts": ["shop.example.com"], "existingSecret": "shop-tls"}]
            }
        },
    )
    assert exports["hosts"] == ["shop.example.com"]
    assert rec.one(kind="VirtualService").spec["hosts"][0] == "shop.example.com"


@pytest.mark.parametrize(
    "overrides",
    [
        {"mesh-https:gateway": {"mode": "PASSTHROUGH"}},
        {"mesh-https:app": {"namespace": "istio-ingress"}},
        {
            "mesh-https:mtls": {
                "gatewayPrincipals": ["cluster.local/ns/istio-ingress/sa/istio-ingress"]
            }
        },
    ],
    ids=["passthrough", "gateway-namespace", "gateway-principal-twice"],
)
def test_refusals_once_found_by_a_later_component_come_before_the_first_registration(
    overrides: dict[str, Any],
) -> None:
    from deploy.program import main

    config = {**stack_config("dev"), **overrides}
    with MockSession(project="mesh-https", stack="dev", config=config) as session:
        with pytest.raises(ValidationError) as err:
            main()
        assert len(session.settle()) == 0
    assert err.value.field.startswith("mesh-https:")
