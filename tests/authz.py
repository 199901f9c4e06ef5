"""A small evaluator of Istio AuthorizationPolicy semantics, for truth tables in the tests.

It follows Istio's documented order: CUSTOM, then DENY, then ALLOW. If any DENY policy
matches, the request is denied; if no ALLOW policy applies to the workload, it is allowed;
otherwise it is allowed only when some ALLOW policy matches. A policy with no rules matches
nothing (so ``spec: {}`` is an ALLOW that denies everything), and a rule ``{}`` matches
everything. Source identities (principals, namespaces) exist only for mTLS requests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    """One request to a workload."""

    namespace: str
    """The destination workload's namespace."""
    principal: str | None
    """The caller's mTLS principal; ``None`` for plaintext."""
    path: str = "/"
    method: str = "GET"
    labels: Mapping[str, str] = field(default_factory=dict)
    """The destination workload's labels."""

    @property
    def source_namespace(self) -> str | None:
        if self.principal is None:
            return None
        parts = self.principal.split("/")
        return parts[2] if len(parts) >= 5 and parts[1] == "ns" else None


def _value_match(pattern: str, value: str | None) -> bool:
    if value is None:
        return False
    if pattern == "*":
        return True
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return pattern == value


def _any(patterns: Sequence[str] | None, value: str | None) -> bool:
    return any(_value_match(p, value) for p in patterns or [])


def _field(spec: Mapping[str, Any], key: str, value: str | None) -> bool:
    """Positive and negative forms of one field; absent fields don't constrain."""
    negative = "not" + key[0].upper() + key[1:]
    if key in spec and not _any(spec[key], value):
        return False
    return not (negative in spec and _any(spec[negative], value))


def _source(source: Mapping[str, Any], request: Request) -> bool:
    return _field(source, "principals", request.principal) and _field(
        source, "namespaces", request.source_namespace
    )


def _operation(operation: Mapping[str, Any], request: Request) -> bool:
    return _field(operation, "paths", request.path) and _field(operation, "methods", request.method)


def rule_matches(rule: Mapping[str, Any], request: Request) -> bool:
    """A rule matches when each of its ``from``/``to`` lists has a matching entry."""
    if "from" in rule and not any(_source(f.get("source", {}), request) for f in rule["from"]):
        return False
    if "to" in rule and not any(_operation(t.get("operation", {}), request) for t in rule["to"]):
        return False
    return not rule.get("when")  # conditions are not modelled; none are emitted


def applies(
    policy: Mapping[str, Any], request: Request, root_namespace: str, waypoint: str | None = None
) -> bool:
    """Whether ``policy`` is enforced for ``request``: at the destination workload (no
    ``targetRefs``; namespace and selector match), or, with ``waypoint``, at that waypoint
    (``targetRefs`` naming its Gateway, in the request's namespace). A workload ignores
    policies with ``targetRefs``; a waypoint ignores those without."""
    namespace = policy["metadata"]["namespace"]
    refs = policy["spec"].get("targetRefs")
    if waypoint is not None:
        return namespace == request.namespace and any(
            r.get("kind") == "Gateway" and r.get("name") == waypoint for r in refs or []
        )
    if refs or namespace not in (root_namespace, request.namespace):
        return False
    selector = policy["spec"].get("selector", {}).get("matchLabels", {})
    return all(request.labels.get(k) == v for k, v in selector.items())


def allowed(
    policies: Iterable[Mapping[str, Any]],
    request: Request,
    root_namespace: str = "istio-system",
    *,
    waypoint: str | None = None,
) -> bool:
    """Whether Istio would let ``request`` through the given AuthorizationPolicies, at the
    workload, or at ``waypoint`` when given."""
    relevant = [p for p in policies if applies(p, request, root_namespace, waypoint)]

    def matched(action: str) -> list[Mapping[str, Any]]:
        return [
            p
            for p in relevant
            if p["spec"].get("action", "ALLOW") == action
            and any(rule_matches(r, request) for r in p["spec"].get("rules", []))
        ]

    if matched("CUSTOM"):
        return False  # no external authorizer here: a matching CUSTOM policy denies
    if matched("DENY"):
        return False
    allow_policies = [p for p in relevant if p["spec"].get("action", "ALLOW") == "ALLOW"]
    return not allow_policies or bool(matched("ALLOW"))


def allowed_through_waypoint(
    policies: Iterable[Mapping[str, Any]],
    request: Request,
    waypoint: str,
    waypoint_principal: str,
    root_namespace: str = "istio-system",
) -> bool:
    """Ambient, through a waypoint: the waypoint checks the caller (L7 included), then the
    destination's ztunnel checks the waypoint, whose identity the request now carries."""
    found = list(policies)
    hop = Request(request.namespace, waypoint_principal, request.path, request.method,
                  request.labels)  # fmt: skip
    return allowed(found, request, root_namespace, waypoint=waypoint) and allowed(
        found, hop, root_namespace
    )
