"""The components as a package for other languages: the generated host module, the schema the
host serves, and ``Construct`` driven in-process the way the engine calls it."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pulumi_kubernetes as k8s
import pytest
import real_codegen
from google.protobuf import empty_pb2
from hosting import Refused, construct, construct_in_plugin, construct_response, process
from pulumi.resource import DependencyResource
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

import mesh_https as mh
from mesh_https import contract
from mesh_https.provider import PACKAGE, codegen, schema, schema_text
from mesh_https.provider.hosted import COMPONENTS
from mesh_https.reference import field_docs
from mesh_https.testing import MockSession, Recording

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "provider-schema.json"


# ------------------------------------------------------------------------ generated, golden


def test_hosted_module_is_generated_from_the_declarations() -> None:
    current = (ROOT / "mesh_https" / "provider" / "hosted.py").read_text()
    assert current == codegen.render(), "run: python scripts/update-provider.py"


def test_schema_matches_the_golden_file() -> None:
    assert schema_text() == GOLDEN.read_text(), "run: python scripts/update-provider.py"


def test_every_public_component_is_hosted_under_the_package_name() -> None:
    hosted = {c.__name__ for c in COMPONENTS}
    public = {c.__name__ for c in codegen.hosted_components()}
    assert hosted == public and "LeafCertificate" in hosted
    assert set(schema()["resources"]) == {f"{PACKAGE}:index:{name}" for name in public}
    assert schema()["name"] == "mesh-https"


def _properties(spec: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for token, resource in spec["resources"].items():
        for kind in ("inputProperties", "properties"):
            for key, prop in resource.get(kind, {}).items():
                found[f"{token}.{kind}.{key}"] = prop
    for token, type_spec in spec["types"].items():
        for key, prop in type_spec.get("properties", {}).items():
            found[f"{token}.{key}"] = prop
    return found


def test_every_input_and_output_has_a_description() -> None:
    missing = [path for path, prop in _properties(schema()).items() if not prop.get("description")]
    assert missing == []
    undocumented = [t for t, r in schema()["resources"].items() if not r.get("description")]
    assert undocumented == []


@pytest.mark.parametrize("component", codegen.hosted_components(), ids=lambda c: c.__name__)
def test_input_descriptions_are_the_declarations_docstrings(component: type) -> None:
    args_type = codegen.args_type(component)
    if args_type is None:
        pytest.skip(f"{component.__name__} takes no inputs")
    docs = field_docs(args_type)
    spec = schema()["resources"][f"{PACKAGE}:index:{component.__name__}"]["inputProperties"]
    compared = 0
    for field in contract.field_types(args_type):
        key = contract.camel(field)
        if key in spec:
            assert spec[key]["description"] == codegen.markdown(inspect.cleandoc(docs[field]))
            compared += 1
    assert compared == len(spec) > 0


def test_scalars_take_outputs_and_objects_and_enums_are_plain() -> None:
    gateway = schema()["resources"]["mesh-https:index:HttpsGateway"]["inputProperties"]
    assert "plain" not in gateway["gatewayNamespace"]  # resolved by the provider once known
    assert "plain" not in gateway["selector"]
    assert "plain" not in gateway["hosts"]
    assert "plain" not in gateway["certificates"]  # an Output of a list is passed through
    assert gateway["issuer"].get("plain") is True
    assert gateway["api"].get("plain") is True
    assert gateway["api"]["$ref"] == "#/types/mesh-https:index:HttpsGatewayApi"
    api = schema()["types"]["mesh-https:index:HttpsGatewayApi"]
    assert [e["value"] for e in api["enum"]] == ["istio", "gateway-api"]
    required = schema()["resources"]["mesh-https:index:HttpsGateway"]["requiredInputs"]
    assert required == ["gatewayNamespace"]


def test_resource_lists_are_options_not_inputs() -> None:
    for token, resource in schema()["resources"].items():
        assert "dependsOn" not in resource.get("inputProperties", {}), token
        assert "namespaceDependencies" not in resource.get("inputProperties", {}), token


def test_every_type_reference_resolves() -> None:
    spec = schema()
    refs: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("$ref"), str):
                refs.append(value["$ref"])
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(spec)
    local = [r for r in refs if r.startswith("#/types/")]
    assert local and all(r.removeprefix("#/types/") in spec["types"] for r in local)
    assert {r for r in refs if not r.startswith("#/types/")} <= {"pulumi.json#/Any"}


def test_a_literal_the_host_cannot_name_twice_is_refused() -> None:
    writer = codegen._Writer()
    writer.enum(("a", "b"), "ThingArgs", "mode")
    with pytest.raises(TypeError, match="ThingMode"):
        writer.enum(("a", "c"), "ThingArgs", "mode")


def test_an_enum_inside_an_output_object_is_refused() -> None:
    writer = codegen._Writer()
    writer.in_output = True
    with pytest.raises(TypeError, match="cannot hold a Literal"):
        writer.expr(mh.GatewayServiceArgs, "KindCluster", "gateway_service")


def test_a_component_without_args_is_refused() -> None:
    class Bare(pulumi.ComponentResource):
        def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
            super().__init__("mesh-https:index:Bare", name, None, opts)

    with pytest.raises(TypeError, match="Bare: the host needs its inputs declared as Args"):
        codegen._Writer().component(Bare, {})


def test_a_union_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"Thing\.field: the host takes no union"):
        codegen._Writer().expr(str | int, "Thing", "field")


def test_the_plugin_serves_the_schema_over_grpc() -> None:
    """The plugin as the CLI starts it (``python provider <engine address>``): it prints its
    port, and its GetSchema answers with the golden schema."""
    with process(ROOT / "provider", "127.0.0.1:9") as channel:
        stub = provider_pb2_grpc.ResourceProviderStub(channel)
        served = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60)
        info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=60)
    assert json.loads(served.schema) == json.loads(GOLDEN.read_text())
    assert info.version == schema()["version"]


def test_the_schema_binds_with_pulumis_own_binder() -> None:
    """The schema the plugin serves, bound as ``pulumi schema check`` binds it (Pulumi's
    binder, pkg/v3 v3.276.0, with the package metaschema it embeds): not one diagnostic,
    error or warning. ``tests/test_real_codegen.py`` shows each kind of mistake gets one."""
    checked = real_codegen.check(GOLDEN)
    assert checked.diagnostics == [], checked.stderr
    assert checked.returncode == 0, checked.stderr


# ------------------------------------------------------------------------------- Construct


def _text(value: Any) -> str:
    # Each session's mocks generate their own keys and certificates.
    return re.sub(
        r"-----BEGIN ([A-Z ]+)-----[^-]*-----END \1-----",
        r"<\1>",
        json.dumps(value, sort_keys=True),
    )


def _records(recording: Recording, component: str) -> list[tuple[Any, ...]]:
    """Every registration; the component's own dependencies apart, since ``dependsOn`` in
    another language is a dependency of the component itself as well as of its children."""
    return sorted(
        (
            r.type,
            r.urn,
            r.parent,
            _text(r.inputs),
            () if r.type == f"{PACKAGE}:index:{component}" else tuple(sorted(r.dependencies)),
        )
        for r in recording
    )


KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443"}
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
users:
- name: u
  user: {token: t}
"""


def _issuer(issuer: Mapping[str, Any]) -> dict[str, Any]:
    """``CertificateAuthority.issuer()`` as another language writes it, from the CA's outputs."""
    return {
        "certPem": issuer["cert_pem"],
        "privateKeyPem": issuer["private_key_pem"],
        "chainPem": issuer["chain_pem"],
        "rootCertPem": issuer["root_cert_pem"],
    }


def _upstream() -> dict[str, Any]:
    """What the programs have before the component: a resource to come after, and a CA."""
    ca = mh.CertificateAuthority("ca", {"common_name": "Edge CA"})
    return {"after": k8s.core.v1.Namespace("after"), "ca": ca, "issuer": ca.issuer()}


# Each case: the component, its Python args (built from upstream), and the same inputs as
# another language writes them (camelCase; Outputs where that program has Outputs).
CASES: list[
    tuple[
        str, Callable[[dict[str, Any]], dict[str, Any]], Callable[[dict[str, Any]], dict[str, Any]]
    ]
] = [
    ("KindCluster", lambda u: {"cluster_name": "dev"}, lambda u: {"clusterName": "dev"}),
    (
        "ExistingCluster",
        lambda u: {
            "kubeconfig": KUBECONFIG,
            "load_balancer": False,
            "node_ports": {"http": 30080, "https": 30443},
        },
        lambda u: {
            "kubeconfig": KUBECONFIG,
            "loadBalancer": False,
            "nodePorts": {"http": 30080, "https": 30443},
        },
    ),
    (
        "EksCluster",
        lambda u: {"region": "eu-west-1", "node_count": 3},
        lambda u: {"region": "eu-west-1", "nodeCount": 3},
    ),
    (
        "GkeCluster",
        lambda u: {"location": "europe-west1-b", "node_count": 3},
        lambda u: {"location": "europe-west1-b", "nodeCount": 3},
    ),
    (
        "AksCluster",
        lambda u: {"location": "westeurope", "sku_tier": "Standard"},
        lambda u: {"location": "westeurope", "skuTier": "Standard"},
    ),
    (
        "IstioInstall",
        lambda u: {
            "gateway_service": {"type": "NodePort", "node_ports": {"http": 30080, "https": 30443}},
            "mode": "ambient",
            "depends_on": [u["after"]],
        },
        lambda u: {
            "gatewayService": {"type": "NodePort", "nodePorts": {"http": 30080, "https": 30443}},
            "mode": "ambient",
        },
    ),
    (
        "CertificateAuthority",
        lambda u: {"common_name": "Mesh CA", "key": {"algorithm": "RSA", "rsa_bits": 3072}},
        lambda u: {"commonName": "Mesh CA", "key": {"algorithm": "RSA", "rsaBits": 3072}},
    ),
    (
        "LeafCertificate",
        lambda u: {
            "issuer": u["issuer"],
            "common_name": "api.example.com",
            "dns_names": ["api.example.com"],
            "uses": ["server_auth"],
        },
        lambda u: {
            "issuer": _issuer(u["issuer"]),
            "commonName": "api.example.com",
            "dnsNames": ["api.example.com"],
            "uses": ["server_auth"],
        },
    ),
    (
        "HttpsGateway",
        lambda u: {
            "gateway_namespace": "istio-ingress",
            "selector": {"istio": "ingress"},
            "hosts": ["hello.example.com"],
            "mode": "MUTUAL",
            "issuer": u["issuer"],
            "depends_on": [u["after"]],
        },
        lambda u: {
            "gatewayNamespace": "istio-ingress",
            "selector": {"istio": "ingress"},
            "hosts": ["hello.example.com"],
            "mode": "MUTUAL",
            "issuer": _issuer(u["issuer"]),
        },
    ),
    (
        "MeshNamespace",
        lambda u: {"namespace": "shop", "depends_on": [u["after"]]},
        lambda u: {"namespace": "shop"},
    ),
    (
        "CanaryRoute",
        lambda u: {
            "host": "reviews",
            "namespace": "shop",
            "subsets": [
                {"name": "v1", "labels": {"version": "v1"}, "weight": 90},
                {"name": "v2", "labels": {"version": "v2"}, "weight": 10},
            ],
            "gateways": [{"ref": "istio-ingress/edge", "hosts": ["shop.example.com"]}],
            "external_hosts": ["shop.example.com"],
            "depends_on": [u["after"]],
        },
        lambda u: {
            "host": "reviews",
            "namespace": "shop",
            "subsets": [
                {"name": "v1", "labels": {"version": "v1"}, "weight": 90},
                {"name": "v2", "labels": {"version": "v2"}, "weight": 10},
            ],
            "gateways": [{"ref": "istio-ingress/edge", "hosts": ["shop.example.com"]}],
            "externalHosts": ["shop.example.com"],
        },
    ),
    (
        "StrictMtls",
        lambda u: {
            "namespaces": ["shop"],
            "gateway_principal": "cluster.local/ns/istio-ingress/sa/istio-ingress",
            "allow": [
                {
                    "name": "shop-reads",
                    "to_namespaces": ["shop"],
                    "namespaces": ["shop"],
                    "methods": ["GET"],
                }
            ],
            "depends_on": [u["after"]],
        },
        lambda u: {
            "namespaces": ["shop"],
            "gatewayPrincipal": "cluster.local/ns/istio-ingress/sa/istio-ingress",
            "allow": [
                {
                    "name": "shop-reads",
                    "toNamespaces": ["shop"],
                    "namespaces": ["shop"],
                    "methods": ["GET"],
                }
            ],
        },
    ),
    (
        "Waypoint",
        lambda u: {"namespace": "shop", "depends_on": [u["after"]]},
        lambda u: {"namespace": "shop"},
    ),
]


@pytest.mark.parametrize(
    ("component", "python_args", "host_inputs"), CASES, ids=[c[0] for c in CASES]
)
def test_construct_registers_what_the_python_api_registers(
    component: str,
    python_args: Callable[[dict[str, Any]], dict[str, Any]],
    host_inputs: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    python_class = getattr(mh, component)
    with MockSession() as session:
        up = _upstream()
        args = python_args(up)
        if component == "LeafCertificate":
            python_class(component.lower(), **args)
        else:
            python_class(component.lower(), args)
        expected = _records(session.settle(), component)
    with MockSession() as session:
        up = _upstream()
        after = [up["after"]] if "depends_on" in python_args(up) else []
        construct(session, component, component.lower(), host_inputs(up), after)
        got = _records(session.settle(), component)
    assert got == expected
    assert len(expected) > 1


def test_a_structural_output_from_another_component_is_used_once_known() -> None:
    with MockSession() as session:
        istio = mh.IstioInstall("istio", {"gateway_service": {"type": "ClusterIP"}})
        ca = mh.CertificateAuthority("ca", {"common_name": "Edge CA"})
        issuer = ca.issuer()

        def of_istio(value: Any) -> pulumi.Output[Any]:
            # As another language sees a component's output: it depends on the component.
            return istio.urn.apply(lambda _: value)

        construct(
            session,
            "HttpsGateway",
            "edge",
            {
                "gatewayNamespace": of_istio("istio-ingress"),
                "selector": {"istio": "ingress"},
                "hosts": ["hello.example.com"],
                "issuer": _issuer(issuer),
            },
        )
        recording = session.settle()
    assert recording.one(kind="Secret").namespace == "istio-ingress"
    # The namespace came from IstioInstall, so the Gateway comes after it (as depends_on).
    # (Here the SDK expands the component to its children; across processes the engine does.)
    deps = recording.one(kind="Gateway").dependencies
    assert any("mesh-https:index:IstioInstall$kubernetes:helm.sh/v3:Release" in d for d in deps)


def test_an_output_of_a_list_of_objects_is_taken_with_its_names_mapped() -> None:
    targets = [{"name": "reviews", "namespace": "shop", "selector": {"app": "reviews"},
                "gatewayNamespaces": ["istio-ingress"]}]  # fmt: skip
    with MockSession() as session:
        route = mh.CanaryRoute("r", {"host": "reviews", "namespace": "shop"})
        construct(
            session,
            "StrictMtls",
            "mtls",
            {
                "namespaces": ["shop"],
                "gatewayPrincipal": "cluster.local/ns/istio-ingress/sa/istio-ingress",
                "gatewayTargets": route.urn.apply(lambda _: targets),
            },
        )
        recording = session.settle()
    name = "mtls-shop-allow-ingress-gateway-reviews"
    policy = recording.one(kind="AuthorizationPolicy", name=name)
    assert policy.spec["selector"] == {"matchLabels": {"app": "reviews"}}


def test_a_gateways_route_target_is_passed_on_as_an_output_of_a_list() -> None:
    with MockSession() as session:
        urn, gateway = construct_response(
            session, "HttpsGateway", "edge",
            {"gatewayNamespace": "istio-ingress", "selector": {"istio": "ingress"},
             "hosts": ["shop.example.com"]},
        )  # fmt: skip
        targets = DependencyResource(urn).urn.apply(lambda _: [gateway["routeTarget"]])
        construct(
            session,
            "CanaryRoute",
            "shop",
            {"host": "reviews", "namespace": "shop", "gateways": targets,
             "externalHosts": ["shop.example.com"]},
        )  # fmt: skip
        recording = session.settle()
    service = recording.one(kind="VirtualService", name="shop-virtual-service")
    assert service.spec["gateways"] == ["istio-ingress/edge", "mesh"]
    assert service.spec["hosts"] == ["shop.example.com", "reviews.shop.svc.cluster.local"]


def test_an_input_error_reaches_the_engine_as_one_without_a_traceback() -> None:
    with MockSession() as session, pytest.raises(Refused) as refused:
        construct(
            session,
            "HttpsGateway",
            "edge",
            {"gatewayNamespace": "Istio_Ingress", "hosts": ["a.example.com"]},
        )
    message = str(refused.value)
    assert "HttpsGateway: `gatewayNamespace` is 'Istio_Ingress'" in message
    assert "gatewayNamespace" in message and "File " not in message


def test_the_plugin_process_reports_an_input_error_as_invalid_input() -> None:
    with MockSession():
        with pytest.raises(grpc.RpcError) as failed:
            construct_in_plugin("StrictMtls", "mtls", {"namespaces": ["Shop"]})
    error = failed.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    details = error.details()  # type: ignore[attr-defined]
    assert details.startswith("StrictMtls: `namespaces[0]` is 'Shop'") and "File " not in details


def test_an_enum_value_outside_the_choices_is_refused_by_the_host() -> None:
    with MockSession() as session, pytest.raises(Refused, match="mode"):
        construct(session, "IstioInstall", "istio", {"mode": "sidecars"})


def test_hosted_outputs_are_plain_data() -> None:
    with MockSession() as session:
        ca = construct(
            session, "CertificateAuthority", "ca", {"commonName": "Edge CA", "meshCa": True}
        )
        assert rpc.is_rpc_secret(ca["pluggedCa"]), "it holds istiod's CA key"
        assert set(ca["pluggedCa"]["value"]) == {
            "caCertPem",
            "caKeyPem",
            "rootCertPem",
            "certChainPem",
        }
        assert "pluggedCa" not in construct(
            session, "CertificateAuthority", "ca2", {"commonName": "CA"}
        )
        gateway = construct(
            session,
            "HttpsGateway",
            "edge",
            {"gatewayNamespace": "istio-ingress", "api": "gateway-api", "hosts": ["a.example.com"]},
        )
        assert gateway["workload"]["principal"] == "cluster.local/ns/istio-ingress/sa/edge-istio"
        assert gateway["routeTarget"] == {"ref": "istio-ingress/edge", "hosts": ["a.example.com"]}
        session.settle()


# --------------------------------------------------------------- the plugin, as a process

# Every case but LeafCertificate, whose issuer is an upstream resource of the calling program.
PROCESS_CASES = [c for c in CASES if c[0] != "LeafCertificate"]


@pytest.mark.parametrize(
    ("component", "python_args", "host_inputs"), PROCESS_CASES, ids=[c[0] for c in PROCESS_CASES]
)
def test_the_plugin_process_registers_what_the_python_api_registers(
    component: str,
    python_args: Callable[[dict[str, Any]], dict[str, Any]],
    host_inputs: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    with MockSession() as session:
        up = _upstream()
        args = {k: v for k, v in python_args(up).items() if k not in ("depends_on", "issuer")}
        getattr(mh, component)(component.lower(), args)
        # Leave out what _upstream() made: the CA named "ca" with its children, and "after".
        expected = [
            r
            for r in _records(session.settle(), component)
            if not re.fullmatch(r"ca|ca-.*|after", r[1].rsplit("::", 1)[-1])
        ]
    inputs = {k: v for k, v in host_inputs(up).items() if k != "issuer"}
    with MockSession():  # the stand-in engine names URNs after this session's stack
        response, recording = construct_in_plugin(component, component.lower(), inputs)
    assert response.urn.endswith(f"{PACKAGE}:index:{component}::{component.lower()}")
    assert _records(recording, component) == expected
