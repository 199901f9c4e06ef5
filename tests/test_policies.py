"""The policy pack, in-process: its policies on resources the test kit recorded, and the
analyzer servicer the CLI talks to, with real AnalyzeRequest messages."""

from __future__ import annotations

import copy
import runpy
from collections.abc import Callable
from functools import cache
from typing import Any
from unittest import mock

import pulumi_tls as tls
import pytest
from conftest import ROOT, run_stack
from google.protobuf import empty_pb2, struct_pb2
from hosting import process
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from mesh_https import analysis
from mesh_https.policies import NAMED, PACK, PRIVATE_KEY, check, evaluate, policies, resource
from mesh_https.testing import MockSession

Resource = dict[str, Any]
"""A recorded resource as the engine sends it to a policy: type, name, URN and props."""


@cache
def _dev_stack() -> tuple[Resource, ...]:
    recording, _ = run_stack("dev")
    return tuple(
        {"type": r.type, "name": r.name, "urn": r.urn, "props": {**r.inputs, **r.outputs}}
        for r in recording
        if r.custom
    )


def dev_stack() -> list[Resource]:
    return copy.deepcopy(list(_dev_stack()))


def violations(resources: list[Resource]) -> list[tuple[str, str, str | None]]:
    """(policy, message, URN) of every violation on these resources."""
    found = evaluate([resource(r["type"], r["name"], r["urn"], r["props"]) for r in resources])
    return [(v.policy, v.message, v.urn) for v in found]


def one(
    resources: list[Resource], kind: str, where: Callable[[Resource], bool] = lambda r: True
) -> Resource:
    return next(r for r in resources if r["props"].get("kind") == kind and where(r))


# --------------------------------------------------------------------------------- policies


def test_the_dev_stack_passes_every_policy() -> None:
    assert violations(dev_stack()) == []


def test_check_reads_a_recording() -> None:
    recording, _ = run_stack("dev")
    assert check(recording) == []
    with MockSession() as session:
        tls.PrivateKey("default-curve", algorithm="ECDSA")
        found = check(session.settle())
    assert [(v.policy, v.urn.rsplit("::", 1)[-1]) for v in found if v.urn] == [
        ("no-weak-keys", "default-curve")
    ]
    assert "P-224" in found[0].message


def test_policy_names_are_unique_and_every_check_is_covered() -> None:
    names = [p.name for p in policies()]
    assert len(names) == len(set(names)) and "all" not in names
    covered = {code for _, codes in NAMED.values() for code in codes}
    covered |= {n.removeprefix("mesh-https-").upper() for n in names if n.startswith("mesh-https-")}
    assert covered == set(analysis.CHECKS)
    assert all(p.enforcement_level == EnforcementLevel.MANDATORY for p in policies())


def test_plain_http_beyond_a_redirect_is_refused() -> None:
    resources = dev_stack()
    gateway = one(resources, "Gateway", lambda r: "istio.io" in r["props"]["apiVersion"])
    gateway["props"]["spec"]["servers"].append(
        {"port": {"number": 8080, "name": "http-alt", "protocol": "HTTP"}, "hosts": ["*"]}
    )
    found = violations(resources)
    assert [(p, urn) for p, _, urn in found] == [("https-only-gateways", gateway["urn"])]


def test_a_redirect_on_another_port_is_refused() -> None:
    resources = dev_stack()
    gateway = one(resources, "Gateway", lambda r: "istio.io" in r["props"]["apiVersion"])
    for server in gateway["props"]["spec"]["servers"]:
        if server["port"]["protocol"] == "HTTP":
            server["port"]["number"] = 8080
    assert {p for p, _, _ in violations(resources)} == {"https-only-gateways"}


def test_tls_below_1_2_is_refused() -> None:
    resources = dev_stack()
    gateway = one(resources, "Gateway", lambda r: "istio.io" in r["props"]["apiVersion"])
    for server in gateway["props"]["spec"]["servers"]:
        if server["port"]["protocol"] == "HTTPS":
            server["tls"]["minProtocolVersion"] = "TLSV1_1"
    assert {p for p, _, _ in violations(resources)} == {"tls-1-2-or-later"}


def test_a_mesh_without_mesh_wide_strict_is_refused() -> None:
    resources = dev_stack()
    mesh_wide = one(
        resources, "PeerAuthentication", lambda r: not r["props"]["spec"].get("selector")
    )
    resources.remove(mesh_wide)
    found = violations(resources)
    assert [p for p, _, _ in found] == ["mesh-wide-strict-mtls"]
    assert "STRICT" in found[0][1]


def test_permissive_mesh_wide_is_refused() -> None:
    resources = dev_stack()
    mesh_wide = one(
        resources, "PeerAuthentication", lambda r: not r["props"]["spec"].get("selector")
    )
    mesh_wide["props"]["spec"]["mtls"]["mode"] = "PERMISSIVE"
    assert "mesh-wide-strict-mtls" in {p for p, _, _ in violations(resources)}


def test_an_allow_all_authorization_policy_is_refused() -> None:
    resources = dev_stack()
    policy = one(resources, "AuthorizationPolicy")
    policy["props"]["spec"] = {"rules": [{}]}
    found = violations(resources)
    assert ("no-allow-all-authorization", policy["urn"]) in {(p, urn) for p, _, urn in found}


def test_a_tls_secret_outside_the_gateway_workloads_namespace_is_refused() -> None:
    resources = dev_stack()
    secret = one(resources, "Secret", lambda r: r["props"].get("type") == "kubernetes.io/tls")
    secret["props"]["metadata"]["namespace"] = "default"
    found = violations(resources)
    assert {p for p, _, _ in found} == {"gateway-secret-in-workload-namespace"}


def test_an_error_of_any_other_check_is_refused_under_its_code() -> None:
    resources = dev_stack()
    route = one(resources, "VirtualService")
    route["props"]["spec"]["gateways"] = ["istio-ingress/nowhere"]
    found = violations(resources)
    assert {p for p, _, _ in found} >= {"mesh-https-ist0101"}
    assert all(urn == route["urn"] for p, _, urn in found if p == "mesh-https-ist0101")


def test_a_policy_that_locks_out_the_gateway_is_refused_under_its_code() -> None:
    resources = dev_stack()
    gateway = one(resources, "Gateway", lambda r: "istio.io" in r["props"]["apiVersion"])
    policy = copy.deepcopy(one(resources, "AuthorizationPolicy"))
    policy["urn"] += "-locked"
    policy["props"]["metadata"]["name"] = "deny-all"
    policy["props"]["metadata"]["namespace"] = gateway["props"]["metadata"]["namespace"]
    policy["props"]["spec"] = {"action": "DENY", "rules": [{}]}
    resources.append(policy)
    found = violations(resources)
    assert [(p, urn) for p, _, urn in found] == [("mesh-https-mesh018", policy["urn"])]


def test_a_gateway_selecting_no_workload_is_refused_under_its_code() -> None:
    resources = dev_stack()
    gateway = one(resources, "Gateway", lambda r: "istio.io" in r["props"]["apiVersion"])
    gateway["props"]["spec"]["selector"] = {"istio": "ingressgateway"}
    found = violations(resources)
    assert ("mesh-https-mesh019", gateway["urn"]) in {(p, urn) for p, _, urn in found}
    assert all("ingressgateway" in m for p, m, _ in found if p == "mesh-https-mesh019")


@pytest.mark.parametrize(
    ("props", "weak"),
    [
        ({"algorithm": "ECDSA", "ecdsaCurve": "P224"}, True),
        ({"algorithm": "ECDSA"}, True),  # pulumi-tls's default curve is P224
        ({"algorithm": "RSA", "rsaBits": 1024.0}, True),
        ({"algorithm": "ECDSA", "ecdsaCurve": "P256"}, False),
        ({"algorithm": "RSA", "rsaBits": 2048.0}, False),
        ({"algorithm": "ED25519"}, False),
    ],
)
def test_weak_keys_are_refused(props: dict[str, Any], weak: bool) -> None:
    key = {
        "type": PRIVATE_KEY,
        "name": "k",
        "urn": "urn:pulumi:s::p::" + PRIVATE_KEY + "::k",
        "props": props,
    }
    found = violations([key])
    assert found == ([("no-weak-keys", found[0][1], key["urn"])] if weak else [])


def test_the_dev_stacks_keys_are_strong() -> None:
    keys = [r for r in dev_stack() if r["type"] == PRIVATE_KEY]
    assert keys and all(
        analysis.key_problem(
            k["props"].get("algorithm"), k["props"].get("ecdsaCurve"), k["props"].get("rsaBits")
        )
        is None
        for k in keys
    )


# ------------------------------------------------------------------ the analyzer servicer


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(value)
    return s


def servicer() -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer(PACK, "0.1.0", policies(), EnforcementLevel.MANDATORY)


def stack_request(resources: list[Resource]) -> Any:
    return proto.AnalyzeStackRequest(
        resources=[
            proto.AnalyzerResource(
                type=r["type"],
                name=r["name"],
                urn=r["urn"],
                properties=_struct(r["props"]),
                options=proto.AnalyzerResourceOptions(),
            )
            for r in resources
        ]
    )


def test_the_servicer_reports_a_stack_violation_as_mandatory() -> None:
    resources = dev_stack()
    resources.remove(
        one(resources, "PeerAuthentication", lambda r: not r["props"]["spec"].get("selector"))
    )
    diagnostics = servicer().AnalyzeStack(stack_request(resources), None).diagnostics
    assert [(d.policyName, d.enforcementLevel) for d in diagnostics] == [
        ("mesh-wide-strict-mtls", proto.MANDATORY)
    ]
    assert diagnostics[0].policyPackName == PACK


def test_the_servicer_passes_the_dev_stack() -> None:
    assert list(servicer().AnalyzeStack(stack_request(dev_stack()), None).diagnostics) == []


def test_the_servicer_checks_a_key_on_its_own() -> None:
    request = proto.AnalyzeRequest(
        type=PRIVATE_KEY,
        name="k",
        urn="urn:pulumi:s::p::" + PRIVATE_KEY + "::k",
        properties=_struct({"algorithm": "ECDSA", "ecdsaCurve": "P224"}),
        options=proto.AnalyzerResourceOptions(),
    )
    diagnostics = servicer().Analyze(request, None).diagnostics
    assert [d.policyName for d in diagnostics] == ["no-weak-keys"]
    assert "P-224" in diagnostics[0].message


def test_the_servicer_lists_every_policy_and_takes_configuration() -> None:
    served = servicer()
    info = served.GetAnalyzerInfo(empty_pb2.Empty(), None)
    assert info.name == PACK
    assert [p.name for p in info.policies] == [p.name for p in policies()]
    assert {p.enforcementLevel for p in info.policies} == {proto.MANDATORY}
    served.Configure(
        proto.ConfigureAnalyzerRequest(
            policyConfig={
                "mesh-wide-strict-mtls": proto.PolicyConfig(enforcementLevel=proto.DISABLED)
            }
        ),
        None,
    )
    resources = dev_stack()
    resources.remove(
        one(resources, "PeerAuthentication", lambda r: not r["props"]["spec"].get("selector"))
    )
    assert list(served.AnalyzeStack(stack_request(resources), None).diagnostics) == []


def test_an_unknown_value_during_preview_defers_the_stack_policies() -> None:
    resources = dev_stack()
    one(resources, "Gateway")["props"]["metadata"]["name"] = UNKNOWN_STRING_VALUE
    diagnostics = servicer().AnalyzeStack(stack_request(resources), None).diagnostics
    assert diagnostics and {d.enforcementLevel for d in diagnostics} == {proto.ADVISORY}
    assert all("during preview" in d.message for d in diagnostics)


def test_the_entry_point_builds_the_pack_from_these_policies() -> None:
    with mock.patch("pulumi_policy.PolicyPack") as pack:
        runpy.run_path(str(ROOT / "policy" / "__main__.py"), run_name="__main__")
    kwargs = pack.call_args.kwargs
    assert kwargs["name"] == PACK and kwargs["enforcement_level"] == EnforcementLevel.MANDATORY
    assert [p.name for p in kwargs["policies"]] == [p.name for p in policies()]


def test_the_pack_process_analyzes_a_stack_over_grpc() -> None:
    """The pack as the CLI starts it (``python policy``): it prints its port and answers
    GetAnalyzerInfo and AnalyzeStack."""
    resources = dev_stack()
    resources.remove(
        one(resources, "PeerAuthentication", lambda r: not r["props"]["spec"].get("selector"))
    )
    with process(ROOT / "policy") as channel:
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)
        clean = stub.AnalyzeStack(stack_request(dev_stack()), timeout=60)
        broken = stub.AnalyzeStack(stack_request(resources), timeout=60)
    assert [p.name for p in info.policies] == [p.name for p in policies()]
    assert list(clean.diagnostics) == []
    assert [(d.policyName, d.enforcementLevel) for d in broken.diagnostics] == [
        ("mesh-wide-strict-mtls", proto.MANDATORY)
    ]
