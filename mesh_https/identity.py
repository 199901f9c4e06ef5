"""Workload identities: the SPIFFE principals that Istio's authorization policies match.

Istio gives every workload the identity ``spiffe://<trust domain>/ns/<namespace>/sa/<service
account>``. An AuthorizationPolicy's ``source.principals`` names it without the scheme. Derive
principals here, from the install's trust domain (``IstioInstall.info.trust_domain``, or
``IstioInfo.principal``), rather than retyping them: a principal with the wrong trust domain
matches nobody, and the request is denied.
"""

from __future__ import annotations

from collections.abc import Callable

from mesh_https import validation as v
from mesh_https.constraints import dns_label_problem, dns_subdomain_problem

COMPONENT = "workload_principal"
DEFAULT_TRUST_DOMAIN = "cluster.local"


def workload_principal(
    namespace: str, service_account: str, trust_domain: str = DEFAULT_TRUST_DOMAIN
) -> str:
    """The principal of the workloads that run as ``service_account`` in ``namespace``.

    Returns ``<trust_domain>/ns/<namespace>/sa/<service_account>``, the form
    AuthorizationPolicy ``principals`` and :class:`~mesh_https.StrictMtls` take. Raises
    :class:`~mesh_https.ValidationError` for a namespace that is not a DNS label, or a
    service account or trust domain that is not a DNS subdomain.

    >>> workload_principal("bookinfo", "bookinfo-productpage")
    'cluster.local/ns/bookinfo/sa/bookinfo-productpage'
    """
    checks: tuple[tuple[str, object, Callable[[str], str | None]], ...] = (
        ("namespace", namespace, dns_label_problem),
        ("service_account", service_account, dns_subdomain_problem),
        ("trust_domain", trust_domain, dns_subdomain_problem),
    )
    for field, value, problem_of in checks:
        if not isinstance(value, str):
            v.fail(COMPONENT, field, f"is {value!r}; it must be a string")
        problem = problem_of(value)
        if problem:
            v.fail(COMPONENT, field, f"is {value!r}; {problem}")
    return principal_of(namespace, service_account, trust_domain)


def principal_of(namespace: str, service_account: str, trust_domain: str) -> str:
    """The principal's text, for values checked already (by a component's contract)."""
    return f"{trust_domain}/ns/{namespace}/sa/{service_account}"


def principal_namespace(principal: str) -> str | None:
    """The namespace in ``<trust domain>/ns/<namespace>/sa/<account>``, else ``None``."""
    parts = principal.split("/")
    return parts[2] if len(parts) >= 5 and parts[1] == "ns" else None


def spiffe_id(principal: str) -> str:
    """The SPIFFE ID of a principal: what the workload's certificate carries as its URI SAN."""
    return f"spiffe://{principal}"
