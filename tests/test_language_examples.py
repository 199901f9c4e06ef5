"""The YAML and TypeScript dev-app programs, checked against the package schema the provider
serves: every resource type, input (at any depth), required input, enum value and output
they use.

The TypeScript program is read here with the TypeScript compiler's parser, which needs no
SDK; ``tests/test_real_codegen.py`` type-checks it against the SDK Pulumi's own generator
makes (``@pulumi/mesh-https``, which no package registry carries)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from conftest import ROOT
from hosting import construct_response
from pulumi.resource import DependencyResource
from pulumi.runtime import rpc
from schema_usage import INTERPOLATION, Checker

from mesh_https import analysis
from mesh_https.provider import PACKAGE, schema
from mesh_https.testing import MockSession, Recording

YAML_PROGRAM = ROOT / "examples" / "yaml-dev" / "Pulumi.yaml"
TS_PROGRAM = ROOT / "examples" / "typescript-dev" / "index.ts"
COMPONENTS = {"IstioInstall", "HttpsGateway", "CanaryRoute", "StrictMtls"}


def yaml_problems(program: dict[str, Any]) -> list[str]:
    checker = Checker(schema())
    resources = program.get("resources") or {}
    ours = {
        name: spec["type"]
        for name, spec in resources.items()
        if str(spec.get("type", "")).startswith(f"{PACKAGE}:")
    }
    for name, token in ours.items():
        checker.resource(token, resources[name].get("properties") or {}, name)
    for match in INTERPOLATION.finditer(json.dumps(program)):
        head, _, rest = match.group(1).partition(".")
        if head in ours and rest:
            checker.read(ours[head], rest.split(".")[0].split("[")[0], f"${{{match.group(1)}}}")
    return checker.problems


def test_the_yaml_program_uses_the_schema_as_it_is() -> None:
    program = yaml.safe_load(YAML_PROGRAM.read_text())
    assert program["runtime"] == "yaml" and program["packages"] == {PACKAGE: "../../provider"}
    used = {spec["type"].rsplit(":", 1)[-1] for spec in program["resources"].values()}
    assert used >= COMPONENTS | {"KindCluster", "CertificateAuthority", "MeshNamespace"}
    assert yaml_problems(program) == []


@pytest.mark.parametrize(
    ("resource", "path", "value", "problem"),
    [
        (
            "edge",
            ("properties", "gatewayNamespce"),
            "istio-ingress",
            "did you mean 'gatewayNamespace'",
        ),
        ("istio", ("properties", "mode"), "sidecars", "is not one of ['sidecar', 'ambient']"),
        ("route", ("properties", "retries", "attempt"), 2, "did you mean 'attempts'"),
        ("route", ("properties", "subsets"), "v1", "not a list"),
        ("kind", ("properties", "nodePorts", "http"), "30080", "is not a integer"),
        ("mtls", ("type",), "mesh-https:index:StrictMTLS", "no resource type"),
    ],
)
def test_the_yaml_check_catches_a_mistake(
    resource: str, path: tuple[str, ...], value: Any, problem: str
) -> None:
    program = yaml.safe_load(YAML_PROGRAM.read_text())
    target = program["resources"][resource]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert any(problem in p for p in yaml_problems(program)), yaml_problems(program)


def test_the_yaml_check_catches_a_missing_required_input_and_a_wrong_output() -> None:
    program = yaml.safe_load(YAML_PROGRAM.read_text())
    del program["resources"]["route"]["properties"]["host"]
    program["outputs"]["smokeTest"] = "${edge.smokeTests}"
    problems = yaml_problems(program)
    assert any("required input 'host'" in p for p in problems)
    assert any("'smokeTests' is not in the schema; did you mean 'smokeTest'" in p for p in problems)


def ts_usage(path: Path) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (scripts/test.sh installs the schemas' npm packages)")
    script = ROOT / "tests" / "ts_usage.mjs"
    out = subprocess.run(
        [node, str(script), str(path)], capture_output=True, text=True, timeout=60, check=True
    )
    usage: dict[str, Any] = json.loads(out.stdout)
    return usage


def ts_problems(usage: dict[str, Any]) -> list[str]:
    checker = Checker(schema())
    for resource in usage["resources"]:
        checker.resource(f"{PACKAGE}:index:{resource['type']}", resource["args"], resource["name"])
    for read in usage["reads"]:
        checker.read(f"{PACKAGE}:index:{read['type']}", read["property"], read["type"])
    return checker.problems


def test_the_typescript_program_uses_the_schema_as_it_is() -> None:
    usage = ts_usage(TS_PROGRAM)
    types = {r["type"] for r in usage["resources"]}
    assert types >= COMPONENTS | {"KindCluster", "CertificateAuthority", "MeshNamespace"}
    assert len(usage["reads"]) > 10
    assert ts_problems(usage) == []


def test_the_typescript_check_catches_a_mistake(tmp_path: Path) -> None:
    broken = tmp_path / "index.ts"
    text = TS_PROGRAM.read_text()
    text = text.replace("perTryTimeout:", "perTryTimout:").replace(
        'mode: "SIMPLE"', 'mode: "SIMPEL"'
    )
    text = text.replace("edge.gatewayRef", "edge.gatewayReference")
    broken.write_text(text)
    problems = ts_problems(ts_usage(broken))
    assert any(
        "'perTryTimout' is not in the schema; did you mean 'perTryTimeout'" in p for p in problems
    )
    assert any("'SIMPEL' is not one of" in p for p in problems)
    assert any("'gatewayReference' is not in the schema" in p for p in problems)


def test_both_programs_are_packages_added_from_this_provider() -> None:
    ts_project = yaml.safe_load((TS_PROGRAM.parent / "Pulumi.yaml").read_text())
    assert ts_project["packages"] == {PACKAGE: "../../provider"}
    package = json.loads((TS_PROGRAM.parent / "package.json").read_text())
    assert package["dependencies"]["@pulumi/mesh-https"] == "file:sdks/mesh-https"
    plugin = yaml.safe_load((ROOT / "provider" / "PulumiPlugin.yaml").read_text())
    assert plugin["runtime"]["name"] == "python"


# ------------------------------------------------------------- the YAML program, constructed


def _reference(
    expression: str,
    variables: dict[str, Any],
    constructed: dict[str, tuple[str, dict[str, Any]]],
) -> Any:
    """``${name.path}``: a variable's value, or a constructed component's output as the YAML
    runtime passes it (an Output that depends on the component, secret where the value is)."""
    head, *path = expression.split(".")
    if head in variables:
        value = variables[head]
        for part in path:
            value = value[part]
        return value
    urn, state = constructed[head]
    value, secret = state, False
    for part in path:
        if rpc.is_rpc_secret(value):
            value, secret = rpc.unwrap_rpc_secret(value), True
        value = value[part]
    if rpc.is_rpc_secret(value):
        value, secret = rpc.unwrap_rpc_secret(value), True
    output = DependencyResource(urn).urn.apply(lambda _: value)
    return pulumi.Output.secret(output) if secret else output


def _resolve(
    value: Any, variables: dict[str, Any], constructed: dict[str, tuple[str, dict[str, Any]]]
) -> Any:
    if isinstance(value, str):
        whole = INTERPOLATION.fullmatch(value)
        return _reference(whole.group(1), variables, constructed) if whole else value
    if isinstance(value, dict):
        return {k: _resolve(v, variables, constructed) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, variables, constructed) for v in value]
    return value


def construct_yaml_program(program: dict[str, Any]) -> Recording:
    """The program's mesh-https resources, in order, through the provider's Construct, with
    their ``${...}`` references resolved as the YAML runtime resolves them."""
    variables = program.get("variables") or {}
    constructed: dict[str, tuple[str, dict[str, Any]]] = {}
    with MockSession(project=program["name"], stack="dev") as session:
        for name, spec in program["resources"].items():
            token = str(spec["type"])
            if not token.startswith(f"{PACKAGE}:"):
                continue
            options = spec.get("options") or {}
            after = [
                DependencyResource(constructed[ref[2:-1]][0])
                for ref in options.get("dependsOn", [])
                if ref[2:-1] in constructed
            ]
            inputs = _resolve(spec.get("properties") or {}, variables, constructed)
            component = token.rsplit(":", 1)[-1]
            constructed[name] = construct_response(session, component, name, inputs, after)
        return session.settle()


def test_the_yaml_program_builds_the_dev_app_through_construct() -> None:
    recording = construct_yaml_program(yaml.safe_load(YAML_PROGRAM.read_text()))
    istio_objects = [
        r.manifest() for r in recording if r.kind and "istio.io" in (r.api_version or "")
    ]
    kinds = sorted(o["kind"] for o in istio_objects)
    assert kinds == sorted(
        ["Gateway", "VirtualService", "DestinationRule"]
        + ["PeerAuthentication", "AuthorizationPolicy"] * 2
    )
    releases = recording.helm_releases()
    assert {r["chart"] for r in releases} == {"base", "istiod", "gateway"}
    assert analysis.analyze(recording.manifests(), releases) == []
    # The CanaryRoute's targets reached StrictMtls: the gateway is admitted to helloworld only.
    admitted = recording.one(
        kind="AuthorizationPolicy", name="mtls-demo-allow-ingress-gateway-route"
    )
    assert admitted.spec["selector"] == {"matchLabels": {"app": "helloworld"}}
    # The CA's mesh intermediate was plugged into istiod, its key a secret all the way.
    cacerts = recording.one(kind="Secret", object_name="cacerts")
    assert cacerts.is_secret("stringData", "ca-key.pem")
