"""A CanaryRoute in the Kubernetes Gateway API: an HTTPRoute, per-version Services, and
ReferenceGrants.

The Gateway API has no subsets: a version is a Service of its own, whose selector is the
service's pod labels plus the subset's. The package owns those Services (``<service>-<subset>``)
and their selectors. In-mesh callers reach the routes through the HTTPRoute's ``Service``
parent (GAMMA): sidecars apply it, and in ambient mode the namespace's waypoint does.

What the Istio API can say and this cannot is refused by :func:`problems` before anything is
registered: retries (experimental in the Gateway API), fault injection and mirroring (not in
the standard channel), header prefix matches, method matches other than exact, and the
DestinationRule's traffic policies (they attach to one host, and here each version is one).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mesh_https.canary_route import CanaryRouteArgs, MatchRouteArgs

NOT_IN_GATEWAY_API = {
    "retries": "retries are experimental in the Gateway API",
    "fault": "the Gateway API has no fault injection",
    "mirror": "mirroring a share of traffic is not in the Gateway API's standard channel",
    "load_balancer": "DestinationRule traffic policies attach to one host, and each version "
    "is a Service of its own here",
    "connection_pool": "DestinationRule traffic policies attach to one host, and each version "
    "is a Service of its own here",
    "outlier_detection": "DestinationRule traffic policies attach to one host, and each "
    "version is a Service of its own here",
    "tls_mode": "auto mTLS already makes it ISTIO_MUTUAL",
    "export_to": "HTTPRoutes have no exportTo: a route applies to its parents",
}
"""Inputs the Gateway API rendering cannot carry, and why."""

_PATH_TYPES = {"exact": "Exact", "prefix": "PathPrefix", "regex": "RegularExpression"}
_VALUE_TYPES = {"exact": "Exact", "regex": "RegularExpression"}


def problems(args: CanaryRouteArgs) -> list[tuple[str, str]]:
    """``(field, problem)`` for every input the Gateway API rendering cannot express."""
    found = [
        (name, f"cannot be expressed with api='gateway-api': {why}; use api='istio'")
        for name, why in NOT_IN_GATEWAY_API.items()
        if name in args
    ]
    if "subsets" in args and "port" not in args:
        found.append(
            ("port", "is needed with api='gateway-api' and subsets: each version is a Service")
        )
    elif "port" not in args:
        # The HTTPRoute CRD's rule "Must have port for Service reference" (a real API server
        # refuses a Service backendRef without one; there is no "the service's only port").
        found.append(
            ("port", "is needed with api='gateway-api': a Service backendRef must name its port")
        )
    found += _api_server_limits(args)
    for i, route in enumerate(args.get("routes", [])):
        field = f"routes[{i}]"
        for header, match in route.get("headers", {}).items():
            if "prefix" in match:
                found.append(
                    (
                        f"{field}.headers.{header}",
                        "has a prefix match, which the Gateway API lacks; use exact or regex",
                    )
                )
        if "method" in route and "exact" not in route["method"]:
            found.append((f"{field}.method", "matches only exactly in the Gateway API"))
        rewrites_path = "uri" in route.get("rewrite", {})
        if rewrites_path and "path" in route and "prefix" not in route["path"]:
            found.append(
                (
                    f"{field}.rewrite.uri",
                    "replaces a path prefix in the Gateway API; match the path by prefix",
                )
            )
    return found


# The HTTPRoute CRD's own rules (Gateway API v1.6 standard channel), which the API server
# applies: its Duration, its path values, and its list limits.
_GATEWAY_API_DURATION = re.compile(r"^([0-9]{1,5}(h|m|s|ms)){1,4}$")
_PATH_CHARS = re.compile(r"^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$")
_PATH_FORBIDDEN = ("//", "/./", "/../", "%2f", "%2F", "#")
MAX_RULES = 16
MAX_ITEMS = 16


def _path_problem(value: str) -> str | None:
    if not value.startswith("/"):
        return "must start with '/' (an absolute path) in the Gateway API"
    for bad in _PATH_FORBIDDEN:
        if bad in value:
            return f"must not contain {bad!r} in the Gateway API"
    if value.endswith(("/.", "/..")):
        return "must not end with '/.' or '/..' in the Gateway API"
    if not _PATH_CHARS.match(value):
        return "has a character the Gateway API refuses in a path; percent-encode it"
    return None


def _api_server_limits(args: CanaryRouteArgs) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if "timeout" in args and not _GATEWAY_API_DURATION.match(args["timeout"]):
        found.append(
            (
                "timeout",
                f"is {args['timeout']!r}; the Gateway API takes whole units only, up to four "
                "of h, m, s, ms (e.g. '1m30s' or '1500ms', not '1.5s')",
            )
        )
    routes = args.get("routes", [])
    if len(routes) > MAX_RULES - 1:
        found.append(
            (
                "routes",
                f"has {len(routes)} routes; an HTTPRoute holds {MAX_RULES} rules, so at most "
                f"{MAX_RULES - 1} besides the default",
            )
        )
    for name, what in (("external_hosts", "hostnames"), ("subsets", "backendRefs")):
        if len(args.get(name, [])) > MAX_ITEMS:  # type: ignore[arg-type]
            found.append(
                (name, f"has more than {MAX_ITEMS} entries, the HTTPRoute's limit on {what}")
            )
    for i, route in enumerate(routes):
        path: Mapping[str, str] = route.get("path", {})  # type: ignore[assignment]
        for kind in ("exact", "prefix"):
            if kind in path:
                problem = _path_problem(path[kind])
                if problem:
                    found.append((f"routes[{i}].path.{kind}", f"is {path[kind]!r}; it {problem}"))
        for ops in ("request_headers", "response_headers"):
            for kind, entries in route.get(ops, {}).items():  # type: ignore[attr-defined]
                if len(entries) > MAX_ITEMS:
                    found.append(
                        (
                            f"routes[{i}].{ops}.{kind}",
                            f"has more than {MAX_ITEMS} headers, the Gateway API's limit",
                        )
                    )
    return found


def version_service(host: str, subset: str) -> str:
    """The name of a version's Service: ``reviews`` and ``v2`` → ``reviews-v2``."""
    return f"{host.split('.')[0]}-{subset}"


def version_services(
    args: CanaryRouteArgs, selector: Mapping[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    """``(name, spec)`` of each version's Service: the service's pods of that version."""
    port = args.get("port", 80)
    target = args.get("target_port", port)
    return [
        (
            version_service(args["host"], subset["name"]),
            {
                "selector": dict(sorted({**selector, **subset["labels"]}.items())),
                "ports": [{"name": "http", "port": port, "targetPort": target}],
            },
        )
        for subset in args.get("subsets", [])
    ]


def _string_match(kind_types: Mapping[str, str], match: Mapping[str, Any]) -> dict[str, str]:
    ((kind, value),) = match.items()
    return {"type": kind_types[kind], "value": value}


def _matches(route: MatchRouteArgs, cookie_regex: str | None) -> list[dict[str, Any]]:
    match: dict[str, Any] = {}
    if "path" in route:
        match["path"] = _string_match(_PATH_TYPES, route["path"])
    headers = [
        {"name": name, **_string_match(_VALUE_TYPES, m)}
        for name, m in sorted(route.get("headers", {}).items())
    ]
    if cookie_regex is not None:
        headers.append({"name": "cookie", "type": "RegularExpression", "value": cookie_regex})
    if headers:
        match["headers"] = headers
    if "method" in route:
        match["method"] = route["method"]["exact"]
    if "query_params" in route:
        match["queryParams"] = [
            {"name": name, **_string_match(_VALUE_TYPES, m)}
            for name, m in sorted(route["query_params"].items())
        ]
    return [match]


def _header_filter(kind: str, ops: Mapping[str, Any]) -> dict[str, Any]:
    modifier: dict[str, Any] = {}
    for op in ("set", "add"):
        if op in ops:
            modifier[op] = [{"name": k, "value": v} for k, v in sorted(ops[op].items())]
    if "remove" in ops:
        modifier["remove"] = list(ops["remove"])
    key = "requestHeaderModifier" if kind == "RequestHeaderModifier" else "responseHeaderModifier"
    return {"type": kind, key: modifier}


def _redirect(redirect: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "scheme" in redirect:
        out["scheme"] = redirect["scheme"]
    if "authority" in redirect:
        out["hostname"] = redirect["authority"]
    if "uri" in redirect:
        out["path"] = {"type": "ReplaceFullPath", "replaceFullPath": redirect["uri"]}
    if "port" in redirect:
        out["port"] = redirect["port"]
    out["statusCode"] = redirect.get("response_code", 301)
    return {"type": "RequestRedirect", "requestRedirect": out}


def _rewrite(rewrite: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "uri" in rewrite:
        out["path"] = {"type": "ReplacePrefixMatch", "replacePrefixMatch": rewrite["uri"]}
    if "authority" in rewrite:
        out["hostname"] = rewrite["authority"]
    return {"type": "URLRewrite", "urlRewrite": out}


def backend(host: str, namespace: str, port: int | None) -> dict[str, Any]:
    """A Service backendRef for a host (a short name or an in-cluster FQDN)."""
    parts = host.split(".")
    ref: dict[str, Any] = {"name": parts[0]}
    if len(parts) >= 2 and parts[1] != namespace:
        ref["namespace"] = parts[1]
    if port is not None:
        ref["port"] = port
    return ref


def rules(args: CanaryRouteArgs, cookie_regexes: Sequence[str | None]) -> list[dict[str, Any]]:
    """The HTTPRoute's rules: match routes in order, then the weighted default."""
    namespace = args["namespace"]
    host = args["host"]
    port = args.get("port")
    common: dict[str, Any] = {}
    if "timeout" in args:
        common["timeouts"] = {"request": args["timeout"]}

    def to(subset: str | None, other: str | None = None, other_port: int | None = None) -> Any:
        if other is not None:
            return backend(other, namespace, other_port or port)
        name = version_service(host, subset) if subset else host.split(".")[0]
        return backend(name, namespace, port)

    out: list[dict[str, Any]] = []
    for route, cookie in zip(args.get("routes", []), cookie_regexes, strict=True):
        rule: dict[str, Any] = {"name": route["name"], "matches": _matches(route, cookie)}
        filters: list[dict[str, Any]] = []
        if "redirect" in route:
            filters.append(_redirect(route["redirect"]))
        else:
            dest = route.get("destination", {})
            subset = route.get("subset", dest.get("subset"))
            rule["backendRefs"] = [to(subset, dest.get("host"), dest.get("port"))]
            if "rewrite" in route:
                filters.append(_rewrite(route["rewrite"]))
            if "request_headers" in route:
                filters.append(_header_filter("RequestHeaderModifier", route["request_headers"]))
            if "response_headers" in route:
                filters.append(_header_filter("ResponseHeaderModifier", route["response_headers"]))
            rule.update(common)
        if filters:
            rule["filters"] = filters
        out.append(rule)
    subsets = args.get("subsets", [])
    weighted = [{**to(s["name"]), "weight": s["weight"]} for s in subsets if "weight" in s] or [
        to(None)
    ]
    out.append({"name": "default", "backendRefs": weighted, **common})
    return out


def cross_namespace_backends(args: CanaryRouteArgs) -> list[tuple[str, str]]:
    """``(namespace, service)`` of every backend in another namespace: each needs a
    ReferenceGrant there."""
    found: list[tuple[str, str]] = []
    for route in args.get("routes", []):
        host = route.get("destination", {}).get("host")
        if host is None:
            continue
        ref = backend(host, args["namespace"], None)
        if "namespace" in ref and (ref["namespace"], ref["name"]) not in found:
            found.append((ref["namespace"], ref["name"]))
    return found
