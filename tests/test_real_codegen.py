"""Pulumi's own code generators on our schema (pkg/v3 v3.276.0, built from its Go module):
broken schemas get the binder's diagnostics, the four SDKs generate, and the TypeScript and
Go examples compile against the SDKs generated for them, as a user's would after
``pulumi package add`` (and stop compiling when a property name is wrong).

That the checked-in schema binds with no diagnostic at all is
``tests/test_provider.py::test_the_schema_binds_with_pulumis_own_binder``."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from real_codegen import (
    GO_EXAMPLE,
    LANGUAGES,
    ROOT,
    SCHEMA,
    SDK_DIR,
    TS_EXAMPLE,
    check,
    generate,
    go,
    go_project,
    load_schema,
    tsc,
    typescript_project,
)

GATEWAY = "mesh-https:index:HttpsGateway"

# ------------------------------------------------------------------------------ the schema


def _gateway(spec: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = spec["resources"][GATEWAY]
    return resource


def _rename_required(spec: dict[str, Any]) -> None:
    _gateway(spec)["requiredInputs"] = ["gatewayNamespce"]


def _rename_required_of_a_type(spec: dict[str, Any]) -> None:
    spec["types"]["mesh-https:index:Ports"]["required"] = ["http", "htps"]


def _unknown_type(spec: dict[str, Any]) -> None:
    _gateway(spec)["inputProperties"]["localIngress"]["$ref"] = (
        "#/types/mesh-https:index:LocalIngres"
    )


def _not_a_type(spec: dict[str, Any]) -> None:
    _gateway(spec)["inputProperties"]["hosts"]["type"] = "strings"


def _reserved_output(spec: dict[str, Any]) -> None:
    _gateway(spec)["properties"]["urn"] = {"type": "string"}


def _clashing_input(spec: dict[str, Any]) -> None:
    _gateway(spec)["inputProperties"]["gateway_namespace"] = {"type": "string"}


@pytest.mark.parametrize(
    ("mutate", "severity", "diagnostic"),
    [
        (
            _rename_required,
            "error",
            f'#/resources/{GATEWAY}/requiredInputs/0: unknown required property "gatewayNamespce"',
        ),
        (
            _rename_required_of_a_type,
            "error",
            '#/types/mesh-https:index:Ports/required/1: unknown required property "htps"',
        ),
        (
            _unknown_type,
            "error",
            f"#/resources/{GATEWAY}/inputProperties/localIngress/$ref: "
            "type mesh-https:index:LocalIngres not found in package mesh-https",
        ),
        (
            _not_a_type,
            "error",
            f"#/resources/{GATEWAY}/inputProperties/hosts: doesn't validate with "
            "'/$defs/propertySpec'",
        ),
        (
            _reserved_output,
            "warning",
            f"#/resources/{GATEWAY}/properties/urn: urn is a reserved property name",
        ),
        (
            _clashing_input,
            "warning",
            f"#/resources/{GATEWAY}/inputProperties/gateway_namespace: property name conflicts "
            'with "gatewayNamespace": both reduce to "gatewaynamespace"',
        ),
    ],
    ids=["required-input", "required-field", "unknown-type", "metaschema", "reserved", "clash"],
)
def test_a_broken_schema_gets_the_binders_diagnostic(
    tmp_path: Path, mutate: Callable[[dict[str, Any]], None], severity: str, diagnostic: str
) -> None:
    """Each mistake gets its diagnostic, and any diagnostic, a warning too, fails the check."""
    spec = copy.deepcopy(load_schema())
    mutate(spec)
    broken = tmp_path / "schema.json"
    broken.write_text(json.dumps(spec))
    checked = check(broken)
    assert checked.returncode == 1, checked.stderr
    assert diagnostic in checked.summaries(severity), checked.diagnostics
    assert diagnostic in checked.stderr


# ------------------------------------------------------------------------------ the SDKs


def _camel(name: str) -> str:
    return name[0].lower() + name[1:]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="module")
def sdks(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    out = tmp_path_factory.mktemp("sdks")
    return out, generate(SCHEMA, out)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_component_has_its_class_in_each_sdk(
    sdks: tuple[Path, dict[str, list[str]]], language: str
) -> None:
    out, written = sdks
    components = sorted(t.rsplit(":", 1)[-1] for t in load_schema()["resources"])
    expected = {
        "nodejs": lambda c: f"{_camel(c)}.ts",
        "go": lambda c: f"meshhttps/{_camel(c)}.go",
        "python": lambda c: f"pulumi_mesh_https/{_snake(c)}.py",
        "dotnet": lambda c: f"{c}.cs",
    }[language]
    files = set(written[language])
    for component in components:
        source = expected(component)
        assert source in files, (language, component, sorted(files))
        text = (out / language / source).read_text()
        # The class registers itself under the component's own token.
        assert re.search(f"[\"']mesh-https:index:{component}[\"']", text), (language, component)
    # One file per component, plus the package's own: nothing lost, nothing invented.
    assert len(components) + 8 <= len(files) <= 3 * len(components) + 60


# ------------------------------------------------------------------------- the TypeScript


@pytest.fixture(scope="module")
def ts_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return typescript_project(tmp_path_factory.mktemp("ts") / "typescript-dev")


def test_the_typescript_example_type_checks_against_the_generated_sdk(ts_project: Path) -> None:
    compiled = tsc(ts_project)
    assert compiled.returncode == 0, compiled.output
    # Against the SDK the generator wrote, built from its own sources.
    assert (ts_project / "node_modules" / "@pulumi" / "mesh-https").resolve() == (
        ts_project / SDK_DIR
    ).resolve()
    assert (ts_project / SDK_DIR / "bin" / "httpsGateway.d.ts").is_file()


TS_MUTATIONS = {
    "input": (
        "    gatewayNamespace: istio.gatewayNamespace,",
        "    gatewayNamespce: istio.gatewayNamespace,",
        "'gatewayNamespce' does not exist in type 'HttpsGatewayArgs'",
    ),
    "output": (
        "{ ref: edge.gatewayRef, hosts: edge.hosts }",
        "{ ref: edge.gatewayReference, hosts: edge.hosts }",
        "Property 'gatewayReference' does not exist on type 'HttpsGateway'",
    ),
}


@pytest.fixture(scope="module")
def ts_variants(ts_project: Path) -> dict[str, list[str]]:
    """The example with each mutation, and the README's snippet, type-checked in one
    compiler run (loading the SDKs' declarations is most of its time): each file's errors."""
    text = (TS_EXAMPLE / "index.ts").read_text()
    for name, (original, mutated, _) in TS_MUTATIONS.items():
        assert text.count(original) == 1
        (ts_project / f"mutated_{name}.ts").write_text(text.replace(original, mutated))
    (snippet,) = re.findall(r"```ts\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    (ts_project / "readme.ts").write_text(snippet)
    files = [*(f"mutated_{name}.ts" for name in TS_MUTATIONS), "readme.ts"]
    compiled = tsc(ts_project, *files)
    assert compiled.returncode != 0, compiled.output
    lines = compiled.output.splitlines()
    return {f: [line for line in lines if line.startswith(f"{f}(")] for f in files}


@pytest.mark.parametrize("mutation", sorted(TS_MUTATIONS))
def test_a_misspelt_property_fails_the_typescript_compile(
    ts_variants: dict[str, list[str]], mutation: str
) -> None:
    error = TS_MUTATIONS[mutation][2]
    errors = ts_variants[f"mutated_{mutation}.ts"]
    assert len(errors) == 1 and error in errors[0], errors


def test_the_readme_typescript_snippet_type_checks(ts_variants: dict[str, list[str]]) -> None:
    assert ts_variants["readme.ts"] == []


# ---------------------------------------------------------------------------------- Go


@pytest.fixture(scope="module")
def go_dev(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return go_project(tmp_path_factory.mktemp("go") / "go-dev")


def test_the_go_example_builds_and_vets_against_the_generated_sdk(go_dev: Path) -> None:
    built = go(go_dev, "build")
    assert built.returncode == 0, built.output
    vetted = go(go_dev, "vet")
    assert vetted.returncode == 0, vetted.output


def test_the_go_example_requires_the_generated_module(go_dev: Path) -> None:
    """go.mod replaces the SDK's module with sdks/mesh-https, as `pulumi package add` writes."""
    generated = (go_dev / SDK_DIR / "go.mod").read_text().splitlines()[0].split()[1]
    go_mod = (GO_EXAMPLE / "go.mod").read_text()
    assert f"replace {generated} => ./sdks/mesh-https" in go_mod
    assert f"\t{generated} v0.0.0-00010101000000-000000000000\n" in go_mod
    assert "\tgithub.com/pulumi/pulumi/sdk/v3 v3.276.0\n" in go_mod
    assert f'"{generated}/meshhttps"' in (GO_EXAMPLE / "main.go").read_text()


@pytest.mark.parametrize(
    ("original", "mutated", "error"),
    [
        (
            "GatewayNamespace: istio.GatewayNamespace,",
            "GatewayNamespce:  istio.GatewayNamespace,",
            "unknown field GatewayNamespce in struct literal of type meshhttps.HttpsGatewayArgs",
        ),
        (
            'ctx.Export("smokeTest", edge.SmokeTest)',
            'ctx.Export("smokeTest", edge.SmokeTests)',
            "edge.SmokeTests undefined (type *meshhttps.HttpsGateway has no field or method "
            "SmokeTests",
        ),
    ],
    ids=["input", "output"],
)
def test_a_misspelt_field_fails_the_go_build(
    go_dev: Path, original: str, mutated: str, error: str
) -> None:
    text = (GO_EXAMPLE / "main.go").read_text()
    assert text.count(original) == 1
    package = go_dev / f"mutated_{original[:3].lower()}"
    package.mkdir()
    (package / "main.go").write_text(text.replace(original, mutated))
    for command in ("build", "vet"):
        compiled = go(go_dev, command, f"./{package.name}")
        assert compiled.returncode != 0, command
        assert error in compiled.output, (command, compiled.output)


def test_the_go_example_is_a_package_added_from_this_provider() -> None:
    project = yaml.safe_load((GO_EXAMPLE / "Pulumi.yaml").read_text())
    assert project["runtime"] == "go"
    assert project["packages"] == {"mesh-https": "../../provider"}


def test_the_readme_go_snippet_is_the_go_example() -> None:
    readme = (ROOT / "README.md").read_text()
    (snippet,) = re.findall(r"```go\n(.*?)```", readme, re.S)
    assert snippet == (GO_EXAMPLE / "main.go").read_text()
