"""The analysis as a CrossGuard policy pack, for programs in any language.

``pulumi preview --policy-pack policy`` runs these on a program's resources, whatever wrote
them (these components from any language, or hand-written Istio objects). Every policy reads
the findings of :mod:`mesh_https.analysis`, run once over the stack's Kubernetes objects,
Helm releases and pulumi-tls certificates:

- one policy per analysis check, ``mesh-https-<code>``, reporting the check's error findings;
- named policies for the edge and the mesh, reporting their checks' findings at any level:
  HTTPS-only gateways (MESH016), TLS 1.2 or later (MESH017), a mesh-wide STRICT
  PeerAuthentication (MESH015), no allow-all AuthorizationPolicy (MESH003), TLS Secrets where
  the gateway workload reads them (MESH001, MESH014);
- ``no-weak-keys`` on each pulumi-tls key (:func:`mesh_https.analysis.key_problem`).

All are mandatory. The pack's entry point is ``policy/__main__.py``; this module builds no
``PolicyPack`` (constructing one starts the analyzer's server). :func:`check` runs the
policies on a program recorded by :mod:`mesh_https.testing`, for a Python program's tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from mesh_https import analysis
from mesh_https.testing import Recording

PACK = "mesh-https"
"""The policy pack's name."""

PRIVATE_KEY = "tls:index/privateKey:PrivateKey"

NAMED: dict[str, tuple[str, tuple[str, ...]]] = {
    "https-only-gateways": (
        "Gateway servers and listeners serve HTTPS; plain HTTP only on port 80, to redirect",
        ("MESH016",),
    ),
    "tls-1-2-or-later": ("Gateways accept no TLS below 1.2", ("MESH017",)),
    "mesh-wide-strict-mtls": (
        "A mesh-wide STRICT PeerAuthentication exists in the root namespace",
        ("MESH015",),
    ),
    "no-allow-all-authorization": (
        "No AuthorizationPolicy allows every request (an empty rule)",
        ("MESH003",),
    ),
    "gateway-secret-in-workload-namespace": (
        "A gateway's TLS Secret is where its workload reads it",
        ("MESH001", "MESH014"),
    ),
}
"""Named policies: description, and the analysis checks whose findings (any level) they
report."""


def _plain(value: Any) -> Any:
    """A policy property as plain data (reading an unknown value raises, as the SDK means)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(value[k]) for k in value}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Program:
    """A stack's resources as the analysis reads them, and the URN of each object."""

    objects: list[dict[str, Any]]
    releases: list[dict[str, Any]]
    certificates: list[analysis.CertificateRecord]
    urns: dict[str, str]
    """``Kind namespace/name`` (how findings name objects) → URN."""

    @classmethod
    def of(cls, resources: Sequence[PolicyResource]) -> Program:
        objects: list[dict[str, Any]] = []
        releases: list[dict[str, Any]] = []
        certificates: list[analysis.CertificateRecord] = []
        urns: dict[str, str] = {}
        for resource in resources:
            kind = resource.resource_type
            if kind in analysis.CERTIFICATE_TYPES:
                props = _plain(resource.props)
                certificates.append(
                    analysis.CertificateRecord.from_inputs(kind, resource.name, props)
                )
            elif kind == analysis.RELEASE:
                props = _plain(resource.props)
                releases.append({k: props.get(k) for k in ("chart", "name", "namespace", "values")})
            elif kind.startswith("kubernetes:") and "kind" in resource.props:
                props = _plain(resource.props)
                obj = {k: props.get(k) for k in ("apiVersion", "kind", "metadata", "spec")}
                objects.append(obj)
                urns[analysis.object_ref(obj)] = resource.urn
        return cls(objects, releases, certificates, urns)

    def findings(self) -> list[analysis.Finding]:
        return analysis.analyze(self.objects, self.releases, certificates=self.certificates)


def findings(resources: Sequence[PolicyResource]) -> tuple[list[analysis.Finding], dict[str, str]]:
    """The analysis of a stack, and the URNs of its objects.

    Each stack policy runs it anew: the SDK hands each policy its own copy of the resources,
    so there is no safe key to share one result by. Reading and analysing a mesh of 1000
    services takes about 0.2 s, so the whole pack about 6 s."""
    program = Program.of(resources)
    return program.findings(), program.urns


def _stack_policy(
    name: str, description: str, wanted: Callable[[analysis.Finding], bool]
) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        found, urns = findings(args.resources)
        for finding in found:
            if wanted(finding):
                message = f"{finding.code} {finding.resource}: {finding.message}"
                report_violation(message, urns.get(finding.resource))

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=EnforcementLevel.MANDATORY,
    )


def _check_key(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PRIVATE_KEY:
        return
    props = args.props
    problem = analysis.key_problem(
        props.get("algorithm"), props.get("ecdsaCurve"), props.get("rsaBits")
    )
    if problem:
        report_violation(f"the key {problem}", None)


def _any_level(codes: tuple[str, ...]) -> Callable[[analysis.Finding], bool]:
    return lambda finding: finding.code in codes


def _errors_of(code: str) -> Callable[[analysis.Finding], bool]:
    return lambda finding: finding.code == code and finding.level == "error"


def policies() -> list[StackValidationPolicy | ResourceValidationPolicy]:
    """Every policy of the pack, named checks first."""
    named = {code for _, codes in NAMED.values() for code in codes}
    found: list[StackValidationPolicy | ResourceValidationPolicy] = [
        _stack_policy(name, text, _any_level(codes)) for name, (text, codes) in NAMED.items()
    ]
    found.append(
        ResourceValidationPolicy(
            name="no-weak-keys",
            description="No pulumi-tls key is ECDSA P-224 (the provider's default) or RSA "
            "below 2048 bits",
            validate=_check_key,
            enforcement_level=EnforcementLevel.MANDATORY,
        )
    )
    found += [
        _stack_policy(
            f"mesh-https-{code.lower()}",
            f"{code}: {text} (the check's error findings)",
            _errors_of(code),
        )
        for code, text in analysis.CHECKS.items()
        if code not in named
    ]
    return found


@dataclass(frozen=True)
class Violation:
    """One policy violation: the policy, its message, and the resource's URN where known."""

    policy: str
    message: str
    urn: str | None


def evaluate(resources: Sequence[PolicyResource]) -> list[Violation]:
    """Every violation of the pack's policies on a stack's resources, calling each policy as
    the policy SDK does (stack policies once, resource policies per resource, their
    violations on that resource)."""
    found: list[Violation] = []
    for policy in policies():
        if isinstance(policy, StackValidationPolicy):

            def report(message: str, urn: str | None = None, name: str = policy.name) -> None:
                found.append(Violation(name, message, urn))

            policy.validate(StackValidationArgs(list(resources)), report)
            continue
        for r in resources:

            def report_on(
                message: str, urn: str | None = None, name: str = policy.name, on: str = r.urn
            ) -> None:
                found.append(Violation(name, message, urn or on))

            args = ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, r.opts, None)
            policy.validate(args, report_on)
    return found


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def resource(type_: str, name: str, urn: str, props: Mapping[str, Any]) -> PolicyResource:
    """A resource as the engine hands it to a policy."""
    return PolicyResource(type_, props, urn, name, _options(), None, None, [], {})


def check(recording: Recording) -> list[Violation]:
    """The pack's violations on a program recorded under the test kit's mocks: each custom
    resource with its inputs and outputs as its properties."""
    return evaluate(
        [resource(r.type, r.name, r.urn, {**r.inputs, **r.outputs}) for r in recording if r.custom]
    )
