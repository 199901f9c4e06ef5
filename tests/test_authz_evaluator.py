"""The evaluator itself, on Istio's documented corner cases."""

from __future__ import annotations

from typing import Any

from authz import Request, allowed


def policy(namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"metadata": {"namespace": namespace}, "spec": spec}


REQ = Request("demo", "cluster.local/ns/web/sa/frontend", "/api/x", "GET")


def test_no_policy_allows() -> None:
    assert allowed([], REQ)


def test_empty_spec_allows_nothing() -> None:
    assert not allowed([policy("demo", {})], REQ)


def test_empty_rule_allows_everything() -> None:
    assert allowed([policy("demo", {"rules": [{}]})], REQ)
    assert allowed([policy("demo", {"rules": [{}]})], Request("demo", None))


def test_deny_wins_over_allow() -> None:
    rules = [{"from": [{"source": {"namespaces": ["web"]}}]}]
    both = [
        policy("demo", {"action": "ALLOW", "rules": [{}]}),
        policy("demo", {"action": "DENY", "rules": rules}),
    ]
    assert not allowed(both, REQ)
    assert allowed(both, Request("demo", "cluster.local/ns/other/sa/x"))


def test_root_namespace_policies_apply_everywhere_and_others_do_not() -> None:
    assert not allowed([policy("istio-system", {})], REQ)
    assert allowed([policy("elsewhere", {})], REQ)


def test_wildcards_and_plaintext() -> None:
    spec = {"rules": [{"from": [{"source": {"principals": ["cluster.local/ns/web/sa/*"]}}]}]}
    assert allowed([policy("demo", spec)], REQ)
    assert not allowed([policy("demo", spec)], Request("demo", None))


def test_operations_narrow() -> None:
    spec = {"rules": [{"to": [{"operation": {"paths": ["/api/*"], "methods": ["GET"]}}]}]}
    assert allowed([policy("demo", spec)], REQ)
    assert not allowed([policy("demo", spec)], Request("demo", REQ.principal, "/admin", "GET"))
    assert not allowed([policy("demo", spec)], Request("demo", REQ.principal, "/api/x", "POST"))
