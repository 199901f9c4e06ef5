"""CanaryRoute: subsets in a DestinationRule, and a VirtualService that routes to them.

Match routes (header, cookie, path, query parameter) send matching requests to a named subset
ahead of the weighted default route. The VirtualService depends on the DestinationRule, so a
new subset exists before any route points at it (make-before-break).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal, Required, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from mesh_https import contract, http_route, pki
from mesh_https import validation as v
from mesh_https._values import known
from mesh_https.constraints import (
    DnsLabel,
    DnsSubdomain,
    Duration,
    ExportTo,
    HeaderName,
    HeaderValue,
    Hostname,
    LabelKey,
    LabelValue,
    NonEmpty,
    NonNegativeInt,
    Percentage,
    Plain,
    Port,
    PositiveInt,
    Regex,
    RetryOn,
    dns_label_problem,
    dns_subdomain_problem,
    duration_seconds,
    int_range,
    service_host_spelling_problem,
)
from mesh_https.contract import Rule
from mesh_https.gateway_api import GATEWAY_API_GROUP, gateway_api_object
from mesh_https.istio_objects import MANAGED_LABELS, edges_in, istio_object
from mesh_https.strict_mtls import WorkloadTargetArgs

COMPONENT = "CanaryRoute"


def _gateway_ref_problem(value: str) -> str | None:
    namespace, _, name = value.partition("/")
    if not name or dns_label_problem(namespace) or dns_label_problem(name):
        return "it must be '<namespace>/<name>' of a Gateway; take it from HttpsGateway"
    return None


GatewayRef = Annotated[str, Rule(_gateway_ref_problem, "'<namespace>/<gateway name>'")]


class SubsetArgs(TypedDict, total=False):
    """One version of the service."""

    name: Required[DnsLabel]
    """Subset name, e.g. ``v1``. Required."""
    labels: Required[Mapping[LabelKey, LabelValue]]
    """Pod labels that select this version, e.g. ``{"version": "v1"}``. Required."""
    weight: NonNegativeInt
    """Share of default traffic, a whole number; the weights given sum to 100. A subset with
    no weight takes no default traffic: only routes reach it."""


class StringMatchArgs(TypedDict, total=False):
    """Exactly one of ``exact``, ``prefix`` or ``regex`` (RE2)."""

    exact: str
    """The whole value equals this."""
    prefix: NonEmpty
    """The value starts with this (Istio refuses an empty prefix)."""
    regex: Regex
    """The value matches this RE2 regular expression."""


class CookieMatchArgs(TypedDict):
    """A cookie that must be present with this value."""

    name: NonEmpty
    """Cookie name."""
    value: str
    """Cookie value that must match exactly."""


class DestinationArgs(TypedDict, total=False):
    """Where a route sends requests: this service (one subset, or all of it), or another
    host."""

    host: DnsSubdomain
    """Another service (a short name in this namespace, or an FQDN) or a ServiceEntry host.
    Default: the route's own service."""
    subset: DnsLabel
    """A subset of that host. For the route's own service, one of ``subsets``."""
    port: Port
    """The port on that host. Default: the route's ``port``, or the service's only port."""


class RewriteArgs(TypedDict, total=False):
    """Rewrite the request before it is forwarded."""

    uri: NonEmpty
    """Replaces the matched path prefix (or the whole path, for an exact match)."""
    authority: DnsSubdomain
    """Replaces the Host/authority header."""


class RedirectArgs(TypedDict, total=False):
    """Answer with a redirect instead of forwarding."""

    uri: NonEmpty
    """The new path."""
    authority: DnsSubdomain
    """The new host."""
    scheme: Literal["http", "https"]
    """The new scheme."""
    port: Port
    """The new port."""
    response_code: Literal[301, 302, 303, 307, 308]
    """The redirect status. Default 301."""


class HeaderOperationsArgs(TypedDict, total=False):
    """Headers to set (replace), add (append) or remove."""

    set: Mapping[HeaderName, HeaderValue]
    """Header → value, replacing any value it has (``%%`` for a literal ``%``: Envoy reads
    ``%VARIABLE%``)."""
    add: Mapping[HeaderName, HeaderValue]
    """Header → value, appended to any it has."""
    remove: Sequence[HeaderName]
    """Headers removed."""


class MatchRouteArgs(TypedDict, total=False):
    """Requests matching every given condition go to ``subset`` or ``destination``, or are
    redirected."""

    name: Required[DnsLabel]
    """Route name (required), shown in the route table and Envoy stats."""
    subset: DnsLabel
    """Shorthand: matching requests go to this subset of the service."""
    destination: DestinationArgs
    """Matching requests go here: the whole service, a subset, or another host."""
    redirect: RedirectArgs
    """Matching requests are answered with a redirect."""
    headers: Mapping[HeaderName, StringMatchArgs]
    """Header name (lowercase) → match."""
    cookie: CookieMatchArgs
    """A cookie name and value."""
    path: StringMatchArgs
    """Path match: ``exact``, ``prefix`` or ``regex``."""
    method: StringMatchArgs
    """HTTP method match, e.g. ``{"exact": "GET"}``."""
    query_params: Mapping[NonEmpty, StringMatchArgs]
    """Query parameter → ``exact`` or ``regex`` (Istio has no prefix match here)."""
    rewrite: RewriteArgs
    """Rewrite the path or authority of matching requests."""
    request_headers: HeaderOperationsArgs
    """Change request headers before forwarding."""
    response_headers: HeaderOperationsArgs
    """Change response headers before returning them."""


class RetriesArgs(TypedDict, total=False):
    """Retry policy of every route."""

    attempts: Required[NonNegativeInt]
    """Retries per request (required)."""
    per_try_timeout: Duration
    """Timeout of each try, e.g. ``2s``."""
    retry_on: Sequence[RetryOn]
    """Conditions, e.g. ``["5xx", "connect-failure", "reset"]``."""


class DelayArgs(TypedDict):
    """A fixed delay injected into a share of requests."""

    fixed_delay: Duration
    """How long, e.g. ``5s``."""
    percentage: Percentage
    """Share of requests delayed, above 0 and at most 100."""


class AbortArgs(TypedDict):
    """An HTTP error returned for a share of requests."""

    http_status: Annotated[int, int_range(200, 599)]
    """The status returned, 200-599."""
    percentage: Percentage
    """Share of requests aborted, above 0 and at most 100."""


class FaultArgs(TypedDict, total=False):
    """Fault injection (for testing resilience)."""

    delay: DelayArgs
    """Delay some requests."""
    abort: AbortArgs
    """Fail some requests."""


class MirrorArgs(TypedDict):
    """Copy a share of live traffic to a subset (responses are discarded)."""

    subset: DnsLabel
    """The subset that receives the copies; not one taking 100%."""
    percentage: Percentage
    """Share of requests copied, above 0 and at most 100."""


class LoadBalancerArgs(TypedDict, total=False):
    """``simple`` or one consistent-hash key."""

    simple: Literal["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM"]
    """``ROUND_ROBIN``, ``LEAST_REQUEST`` or ``RANDOM``."""
    consistent_hash_header: HeaderName
    """Hash on this request header (sticky by header)."""
    consistent_hash_cookie: NonEmpty
    """Hash on this cookie (sticky sessions)."""
    cookie_ttl: Duration
    """With ``consistent_hash_cookie``: the cookie's TTL, e.g. ``3600s``."""


class ConnectionPoolArgs(TypedDict, total=False):
    """Connection pool limits per upstream host."""

    max_connections: PositiveInt
    """TCP: most connections to one host."""
    connect_timeout: Duration
    """TCP: connection timeout, e.g. ``1s``."""
    http1_max_pending_requests: PositiveInt
    """HTTP: most requests queued for a connection."""
    http2_max_requests: PositiveInt
    """HTTP: most active requests to the service."""
    max_requests_per_connection: PositiveInt
    """HTTP: requests per connection before it is closed."""
    max_retries: PositiveInt
    """HTTP: most outstanding retries to the service."""


class OutlierDetectionArgs(TypedDict, total=False):
    """Circuit breaking: eject hosts that keep failing."""

    consecutive_5xx_errors: PositiveInt
    """5xx responses in a row that eject a host."""
    interval: Duration
    """How often hosts are analysed, e.g. ``10s``."""
    base_ejection_time: Duration
    """Minimum ejection time, e.g. ``30s``."""
    max_ejection_percent: Annotated[int, int_range(0, 100)]
    """Most of the hosts that may be ejected, 0-100."""


class GatewayRouteArgs(TypedDict):
    """A gateway to bind: take it from ``HttpsGateway.route_target()``."""

    ref: pulumi.Input[GatewayRef]
    """``<namespace>/<name>`` of the Gateway."""
    hosts: Sequence[str]
    """The hosts the Gateway serves."""


class CanaryRouteArgs(TypedDict, total=False):
    """Inputs of :class:`CanaryRoute`: ``host`` and ``namespace`` are required."""

    host: Required[DnsSubdomain]
    """The service: a short name (``reviews``) or an FQDN (``reviews.shop.svc.cluster.local``)."""
    namespace: Required[Annotated[DnsLabel, Plain("the namespace's name, as a string")]]
    """Namespace of the service and of the two objects."""
    port: Port
    """The service port to route to. Default: the service's only port."""
    subsets: Sequence[SubsetArgs]
    """The versions and their integer weights (those given sum to 100). Without subsets,
    the default route sends everything to the whole service and no DestinationRule is
    made unless a traffic policy asks for one."""
    gateways: Sequence[GatewayRouteArgs]
    """Gateways whose traffic to ``external_hosts`` this route takes."""
    external_hosts: Sequence[Hostname]
    """Hosts served through ``gateways``; each must be one of their hosts."""
    mesh: bool
    """Also route in-mesh traffic to the service (the ``mesh`` gateway). Default ``True``."""
    routes: Sequence[MatchRouteArgs]
    """Match routes, tried in order, ahead of the weighted default."""
    retries: RetriesArgs
    """Retry policy of every route."""
    timeout: Duration
    """Route timeout, e.g. ``10s``; must cover attempts x per-try timeout."""
    fault: FaultArgs
    """Fault injection on every route."""
    mirror: MirrorArgs
    """Mirror a share of the default route's traffic to a subset."""
    load_balancer: LoadBalancerArgs
    """The DestinationRule's load balancer."""
    connection_pool: ConnectionPoolArgs
    """The DestinationRule's connection pool limits."""
    outlier_detection: OutlierDetectionArgs
    """The DestinationRule's outlier detection (circuit breaking)."""
    tls_mode: Literal["ISTIO_MUTUAL"]
    """Set ``ISTIO_MUTUAL`` explicitly on the DestinationRule. Auto mTLS already does this
    inside the mesh; setting any other mode here would override it (and break STRICT)."""
    export_to: Sequence[ExportTo]
    """Where the objects are visible: ``["."]`` (default, this namespace) or ``["*"]``. The
    namespaces of bound gateways are always added: a gateway proxy only applies routes and
    subsets exported to its own namespace."""
    name: DnsSubdomain
    """Name of both objects. Default: the resource name."""
    api: Literal["istio", "gateway-api"]
    """``istio`` (default): a DestinationRule and a VirtualService. ``gateway-api``: an
    HTTPRoute (attached to the Service for in-mesh callers, and to the gateways), a Service
    per version, and ReferenceGrants for backends in other namespaces; see
    :mod:`mesh_https.http_route` for what it cannot express."""
    target_port: Port
    """With ``api="gateway-api"``: the pods' port behind ``port``, for the per-version
    Services. Default: ``port``."""
    selector: Mapping[LabelKey, LabelValue]
    """The service's pod labels (its Service's selector). Default ``{"app": <host's first
    label>}``, the convention of Istio's samples. :attr:`CanaryRoute.gateway_targets` gives
    them to ``StrictMtls``, which admits the gateway to these pods only."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first: ``IstioInstall.ready`` (the webhook), the Service, the gateway."""


def fqdn(host: str, namespace: str) -> str:
    """``reviews`` in ``shop`` → ``reviews.shop.svc.cluster.local``; an FQDN stays as it is."""
    return host if "." in host else f"{host}.{namespace}.svc.cluster.local"


_LAST_SERVED: list[Any] = [None, frozenset()]


def _served(host_lists: list[Sequence[str]]) -> frozenset[str]:
    """Every host the gateways serve. Routes bound to one gateway share its host list (see
    ``HttpsGateway.route_target``), so the set is built once, not once per route."""
    if len(host_lists) == 1 and host_lists[0] is _LAST_SERVED[0]:
        served: frozenset[str] = _LAST_SERVED[1]
        return served
    served = frozenset(h for hosts in host_lists for h in hosts)
    if len(host_lists) == 1:
        _LAST_SERVED[:] = [host_lists[0], served]
    return served


def _string_match(c: str, field: str, match: StringMatchArgs, allowed: Sequence[str]) -> None:
    kinds = [k for k in ("exact", "prefix", "regex") if k in match]
    if len(kinds) != 1 or kinds[0] not in allowed:
        v.fail(c, field, f"is {dict(match)!r}; give exactly one of {', '.join(allowed)}")


ROUTE_CONDITIONS = ("headers", "cookie", "path", "method", "query_params")


def _check_route(
    c: str, field: str, route: MatchRouteArgs, subsets: set[str], own_host: str, namespace: str
) -> None:
    targets = [k for k in ("subset", "destination", "redirect") if k in route]
    if len(targets) != 1:
        v.fail(
            c,
            field,
            f"gives {' and '.join(targets) or 'none'} of subset, destination and redirect; "
            "give exactly one: where matching requests go, or the redirect that answers them",
        )
    destination = route.get("destination", {})
    subset = route.get("subset", destination.get("subset"))
    where = f"{field}.subset" if "subset" in route else f"{field}.destination.subset"
    to_own = fqdn(destination.get("host", own_host), namespace) == own_host
    if subset is not None and to_own and subset not in subsets:
        v.fail(c, where, f"is {subset!r}; known subsets are {sorted(subsets)}")
    if "redirect" in route:
        if not route["redirect"]:
            v.fail(c, f"{field}.redirect", "is empty; give uri, authority, scheme or port")
        for extra in ("rewrite", "request_headers", "response_headers"):
            if extra in route:
                v.fail(c, f"{field}.{extra}", "does nothing on a redirect: nothing is forwarded")
    if "rewrite" in route and not route["rewrite"]:
        v.fail(c, f"{field}.rewrite", "is empty; give uri, authority or both")
    for ops in ("request_headers", "response_headers"):
        if ops in route:
            _check_header_operations(c, f"{field}.{ops}", route.get(ops, {}))
    _check_host_header(c, field, route)
    if "host" in destination:
        problem = service_host_spelling_problem(destination["host"], [namespace])
        if problem:
            v.fail(c, f"{field}.destination.host", problem)
    if not any(k in route for k in ROUTE_CONDITIONS):
        v.fail(
            c,
            field,
            "has no condition; give headers, cookie, path, method or query_params (the "
            "default route catches everything else, and a catch-all here would shadow it)",
        )
    for header, match in route.get("headers", {}).items():
        _string_match(c, f"{field}.headers.{header}", match, ("exact", "prefix", "regex"))
    if "path" in route:
        _string_match(c, f"{field}.path", route["path"], ("exact", "prefix", "regex"))
    if "method" in route:
        _string_match(c, f"{field}.method", route["method"], ("exact", "prefix", "regex"))
    for param, match in route.get("query_params", {}).items():
        _string_match(c, f"{field}.query_params.{param}", match, ("exact", "regex"))


def _check_header_operations(c: str, field: str, ops: HeaderOperationsArgs) -> None:
    if not ops:
        v.fail(c, field, "is empty; give set, add or remove")
    touched: dict[str, str] = {}
    named = {
        "set": list(ops.get("set", {})),
        "add": list(ops.get("add", {})),
        "remove": list(ops.get("remove", [])),
    }
    for kind, names in named.items():
        for header in names:
            if header in touched:
                v.fail(
                    c,
                    f"{field}.{kind}",
                    f"names {header!r}, which `{touched[header]}` names too; one operation "
                    "per header",
                )
            touched[header] = kind


def _check_host_header(c: str, field: str, route: MatchRouteArgs) -> None:
    """Istio's admission on the Host header: it may be set or added on the request only, and
    only once (a rewrite of the authority sets it too)."""
    request = route.get("request_headers", {})
    if "host" in request.get("remove", []):
        v.fail(
            c,
            f"{field}.request_headers.remove",
            "names 'host', which Istio refuses to remove; set it, or rewrite the authority",
        )
    response = route.get("response_headers", {})
    for kind in ("set", "add", "remove"):
        if "host" in response.get(kind, []):  # type: ignore[operator]
            v.fail(
                c,
                f"{field}.response_headers.{kind}",
                "names 'host', a request header Istio refuses to change on responses",
            )
    authority = route.get("rewrite", {}).get("authority")
    for kind in ("set", "add"):
        if authority is not None and "host" in request.get(kind, {}):  # type: ignore[operator]
            v.fail(
                c,
                f"{field}.request_headers.{kind}",
                f"sets 'host' as well as rewrite.authority ({authority!r}); Istio refuses the "
                "authority set twice: keep one of them",
            )


def validate_args(name: str, args: CanaryRouteArgs | None) -> CanaryRouteArgs:
    """Check :class:`CanaryRoute` input against its declaration and the rules across fields;
    raises :class:`ValidationError`. Returns the args to build from."""
    c = COMPONENT
    args = contract.check(c, CanaryRouteArgs, args)
    if "name" not in args:
        problem = dns_subdomain_problem(name)
        if problem:
            v.fail(c, "name", f"is {name!r} (the resource name); {problem}")
    subsets = list(args.get("subsets", []))
    if "subsets" in args and not subsets:
        v.fail(c, "subsets", "is empty; leave it out to route to the whole service")
    names: set[str] = set()
    for i, subset in enumerate(subsets):
        field = f"subsets[{i}]"
        v.check_unique(c, f"{field}.name", subset["name"], names, "subset names")
        if not subset["labels"]:
            v.fail(c, f"{field}.labels", "is empty; a subset must select pods by labels")
    weighted = [s for s in subsets if "weight" in s]
    if subsets and not weighted:
        v.fail(
            c,
            "subsets",
            "give no weights, so no subset takes the default traffic; give weights that sum "
            "to 100 (a subset with no weight is reached by routes only)",
        )
    total = sum(s["weight"] for s in weighted)
    if weighted and total != 100:
        v.fail(c, "subsets", f"weights sum to {total}; they must sum to 100")
    problem = service_host_spelling_problem(args["host"], [args["namespace"]])
    if problem:
        v.fail(c, "host", problem)
    own_host = fqdn(args["host"], args["namespace"])

    if args.get("external_hosts") and not args.get("gateways"):
        v.fail(c, "gateways", "is empty, but external_hosts need a gateway")
    if args.get("gateways") and not args.get("external_hosts"):
        v.fail(c, "external_hosts", "is empty; name the gateway hosts this route serves")
    gateway_hosts = _served([g["hosts"] for g in args.get("gateways", [])])
    for i, host in enumerate(args.get("external_hosts", [])):
        # A wildcard certificate covers one label: Istio would route a deeper host through
        # the wildcard server, and its clients would get a name mismatch.
        if host not in gateway_hosts and not any(pki.covers(g, host) for g in gateway_hosts):
            v.fail(
                c,
                f"external_hosts[{i}]",
                f"is {host!r}, which no gateway serves; the gateways serve {sorted(gateway_hosts)}",
            )
    if not args.get("mesh", True) and not args.get("gateways"):
        v.fail(c, "mesh", "is False and there are no gateways: the route would match nothing")

    route_names: set[str] = {"default"}  # the weighted default's name
    for i, route in enumerate(args.get("routes", [])):
        field = f"routes[{i}]"
        v.check_unique(c, f"{field}.name", route["name"], route_names, "route names")
        _check_route(c, field, route, names, own_host, args["namespace"])

    attempts_time = 0.0
    retries = args.get("retries")
    if retries is not None and retries["attempts"] == 0:
        # Istio's validateHTTPRetry: attempts 0 turns retries off, and then a policy for them
        # is refused.
        for extra in ("per_try_timeout", "retry_on"):
            if retries.get(extra):
                v.fail(
                    c,
                    "retries.attempts",
                    f"is 0 (retries off), but retries.{extra} is given; Istio refuses a retry "
                    f"policy without retries: give attempts of 1 or more, or remove {extra}",
                )
    if retries is not None and "per_try_timeout" in retries:
        attempts_time = (duration_seconds(retries["per_try_timeout"]) or 0) * retries["attempts"]
    if "timeout" in args:
        timeout = duration_seconds(args["timeout"]) or 0
        if attempts_time and retries is not None and timeout < attempts_time:
            v.fail(
                c,
                "timeout",
                f"is {args['timeout']}, shorter than attempts x per-try timeout "
                f"({retries['attempts']} x {retries.get('per_try_timeout')}); "
                "requests would time out before their retries run",
            )
    if "fault" in args and not args["fault"]:
        v.fail(c, "fault", "is empty; give delay, abort or both")
    if "mirror" in args:
        mirror = args["mirror"]
        if mirror["subset"] not in names:
            v.fail(
                c, "mirror.subset", f"is {mirror['subset']!r}; known subsets are {sorted(names)}"
            )
        if any(s["name"] == mirror["subset"] and s["weight"] == 100 for s in subsets):
            v.fail(
                c,
                "mirror.subset",
                f"is {mirror['subset']!r}, which already takes 100% of the traffic; mirror "
                "to a subset that does not serve it",
            )
    lb = args.get("load_balancer", {})
    chosen = [k for k in ("simple", "consistent_hash_header", "consistent_hash_cookie") if k in lb]
    if "load_balancer" in args and len(chosen) != 1:
        v.fail(
            c,
            "load_balancer",
            "needs exactly one of simple, consistent_hash_header, consistent_hash_cookie",
        )
    if "cookie_ttl" in lb and "consistent_hash_cookie" not in lb:
        v.fail(c, "load_balancer.cookie_ttl", "only applies with consistent_hash_cookie")
    if args.get("api", "istio") == "gateway-api":
        for field, problem in http_route.problems(args):
            v.fail(c, field, problem)
    elif "target_port" in args:
        v.fail(c, "target_port", "is only used with api='gateway-api' (per-version Services)")
    export_to = args.get("export_to", ["."])
    if not export_to:
        v.fail(c, "export_to", "is empty; use ['.'] (this namespace) or ['*'] (everywhere)")
    if "*" in export_to and len(export_to) > 1:
        v.fail(
            c,
            "export_to",
            f"is {list(export_to)}; Istio refuses '*' together with other entries: use ['*'] alone",
        )
    if len(set(export_to)) != len(export_to):
        v.fail(c, "export_to", f"is {list(export_to)}; Istio refuses duplicate entries")
    return contract.deferred(c, CanaryRouteArgs, args)


def cookie_regex(route: MatchRouteArgs) -> str | None:
    """The RE2 regex on the ``cookie`` header that finds the route's cookie, if it has one."""
    if "cookie" not in route:
        return None
    name, value = re.escape(route["cookie"]["name"]), re.escape(route["cookie"]["value"])
    return f"^(.*?;\\s*)?({name}={value})(;.*)?$"


def _match(route: MatchRouteArgs) -> dict[str, Any]:
    match: dict[str, Any] = {}
    headers = {k: dict(m) for k, m in route.get("headers", {}).items()}
    regex = cookie_regex(route)
    if regex is not None:
        headers["cookie"] = {"regex": regex}
    if headers:
        match["headers"] = dict(sorted(headers.items()))
    if "path" in route:
        match["uri"] = dict(route["path"])
    if "method" in route:
        match["method"] = dict(route["method"])
    if "query_params" in route:
        match["queryParams"] = {k: dict(m) for k, m in sorted(route["query_params"].items())}
    return match


def visible_to(export_to: Sequence[str], namespace: str, gateway_refs: Sequence[str]) -> list[str]:
    """``export_to`` plus the namespaces of the bound gateways (``<namespace>/<name>``)."""
    exported = list(export_to)
    if "*" in exported:
        return exported
    for ref in gateway_refs:
        gateway_namespace = ref.split("/", 1)[0] if "/" in ref else namespace
        if gateway_namespace != namespace and gateway_namespace not in exported:
            exported.append(gateway_namespace)
    return exported


def _describe(route: MatchRouteArgs) -> str:
    parts = []
    for header, cond in sorted(route.get("headers", {}).items()):
        ((kind, value),) = cond.items()
        parts.append(f"header {header} {kind} {value!r}")
    if "cookie" in route:
        parts.append(f"cookie {route['cookie']['name']} = {route['cookie']['value']!r}")
    if "path" in route:
        ((kind, value),) = route["path"].items()
        parts.append(f"path {kind} {value!r}")
    if "method" in route:
        ((kind, value),) = route["method"].items()
        parts.append(f"method {kind} {value!r}")
    for param, cond in sorted(route.get("query_params", {}).items()):
        ((kind, value),) = cond.items()
        parts.append(f"query {param} {kind} {value!r}")
    return " and ".join(parts)


def traffic_policy(args: CanaryRouteArgs) -> dict[str, Any]:
    """The DestinationRule's ``trafficPolicy`` for the given options (empty if none)."""
    policy: dict[str, Any] = {}
    lb = args.get("load_balancer", {})
    if "simple" in lb:
        policy["loadBalancer"] = {"simple": lb["simple"]}
    elif "consistent_hash_header" in lb:
        policy["loadBalancer"] = {
            "consistentHash": {"httpHeaderName": lb["consistent_hash_header"]}
        }
    elif "consistent_hash_cookie" in lb:
        cookie: dict[str, Any] = {"name": lb["consistent_hash_cookie"]}
        if "cookie_ttl" in lb:
            cookie["ttl"] = lb["cookie_ttl"]
        policy["loadBalancer"] = {"consistentHash": {"httpCookie": cookie}}
    pool = args.get("connection_pool", {})
    tcp = {
        key: pool[name]  # type: ignore[literal-required]
        for name, key in (
            ("max_connections", "maxConnections"),
            ("connect_timeout", "connectTimeout"),
        )
        if name in pool
    }
    http = {
        key: pool[name]  # type: ignore[literal-required]
        for name, key in (
            ("http1_max_pending_requests", "http1MaxPendingRequests"),
            ("http2_max_requests", "http2MaxRequests"),
            ("max_requests_per_connection", "maxRequestsPerConnection"),
            ("max_retries", "maxRetries"),
        )
        if name in pool
    }
    if tcp or http:
        policy["connectionPool"] = {k: val for k, val in (("http", http), ("tcp", tcp)) if val}
    outlier = args.get("outlier_detection", {})
    if outlier:
        names = {
            "consecutive_5xx_errors": "consecutive5xxErrors",
            "interval": "interval",
            "base_ejection_time": "baseEjectionTime",
            "max_ejection_percent": "maxEjectionPercent",
        }
        policy["outlierDetection"] = {names[k]: outlier[k] for k in sorted(outlier)}  # type: ignore[literal-required]
    if "tls_mode" in args:
        policy["tls"] = {"mode": args["tls_mode"]}
    return policy


def http_routes(args: CanaryRouteArgs, host: str) -> list[dict[str, Any]]:
    """The VirtualService's ``http`` list: match routes in order, then the weighted default."""
    port = {"port": {"number": args["port"]}} if "port" in args else {}

    def destination(subset: str) -> dict[str, Any]:
        return {"host": host, "subset": subset, **port}

    common: dict[str, Any] = {}
    if "timeout" in args:
        common["timeout"] = args["timeout"]
    if "retries" in args:
        retries = args["retries"]
        common["retries"] = {"attempts": retries["attempts"]}
        if "per_try_timeout" in retries:
            common["retries"]["perTryTimeout"] = retries["per_try_timeout"]
        if retries.get("retry_on"):
            common["retries"]["retryOn"] = ",".join(retries["retry_on"])
    if "fault" in args:
        fault: dict[str, Any] = {}
        if "delay" in args["fault"]:
            delay = args["fault"]["delay"]
            fault["delay"] = {
                "fixedDelay": delay["fixed_delay"],
                "percentage": {"value": float(delay["percentage"])},
            }
        if "abort" in args["fault"]:
            abort = args["fault"]["abort"]
            fault["abort"] = {
                "httpStatus": abort["http_status"],
                "percentage": {"value": float(abort["percentage"])},
            }
        common["fault"] = fault
    mirror: dict[str, Any] = {}
    """Mirror a share of the default route's traffic to a subset."""
    if "mirror" in args:
        # Only the weighted default mirrors: a match route already picks its one subset.
        mirror["mirror"] = destination(args["mirror"]["subset"])
        mirror["mirrorPercentage"] = {"value": float(args["mirror"]["percentage"])}

    routes = [
        _http_route(route, destination, args["namespace"], common)
        for route in args.get("routes", [])
    ]
    subsets = args.get("subsets", [])
    weighted = [
        {"destination": destination(s["name"]), "weight": s["weight"]}
        for s in subsets
        if "weight" in s
    ]
    if not subsets:
        weighted = [{"destination": {"host": host, **port}}]
    routes.append({"name": "default", "route": weighted, **common, **mirror})
    return routes


def _http_route(
    route: MatchRouteArgs,
    own: Callable[[str], dict[str, Any]],
    namespace: str,
    common: Mapping[str, Any],
) -> dict[str, Any]:
    """One match route: where it goes (or its redirect), with its rewrite and headers."""
    entry: dict[str, Any] = {"name": route["name"], "match": [_match(route)]}
    if "redirect" in route:
        redirect = route["redirect"]
        entry["redirect"] = {
            key: redirect[name]  # type: ignore[literal-required]
            for name, key in (
                ("uri", "uri"),
                ("authority", "authority"),
                ("scheme", "scheme"),
                ("port", "port"),
                ("response_code", "redirectCode"),
            )
            if name in redirect
        }
        return entry  # nothing is forwarded: no retries, timeout or fault
    if "subset" in route:
        target = own(route["subset"])
    else:
        dest = route["destination"]
        target = own(dest["subset"]) if "subset" in dest else own("")
        if "host" in dest:
            target["host"] = fqdn(dest["host"], namespace)
        if "port" in dest:
            target["port"] = {"number": dest["port"]}
    entry["route"] = [{"destination": {k: val for k, val in target.items() if val != ""}}]
    if "rewrite" in route:
        entry["rewrite"] = dict(route["rewrite"])
    headers = {
        side: _header_operations(route[key])  # type: ignore[literal-required]
        for side, key in (("request", "request_headers"), ("response", "response_headers"))
        if key in route
    }
    if headers:
        entry["headers"] = headers
    entry.update(common)
    return entry


def _header_operations(ops: HeaderOperationsArgs) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "set" in ops:
        out["set"] = dict(sorted(ops["set"].items()))
    if "add" in ops:
        out["add"] = dict(sorted(ops["add"].items()))
    if "remove" in ops:
        out["remove"] = list(ops["remove"])
    return out


def gateway_targets(
    args: CanaryRouteArgs, name: str, refs: Sequence[pulumi.Input[str]]
) -> list[WorkloadTargetArgs]:
    """The workloads gateway traffic reaches: the service (``selector``) and every other
    in-cluster host a route sends to (``app: <name>``, in its namespace), each for the
    gateways of the bound Gateways' namespaces (when the refs are plain)."""
    namespace = args["namespace"]
    own = fqdn(args["host"], namespace)
    selector = dict(args.get("selector", {"app": own.split(".")[0]}))
    bound: dict[str, Any] = {}
    if all(isinstance(ref, str) for ref in refs):
        bound["gateway_namespaces"] = sorted({str(ref).split("/")[0] for ref in refs})
    found: list[WorkloadTargetArgs] = [
        {"name": name, "namespace": namespace, "selector": selector, **bound}  # type: ignore[typeddict-item]
    ]
    for route in args.get("routes", []):
        host = fqdn(route.get("destination", {}).get("host", own), namespace)
        parts = host.split(".")
        if host == own or not host.endswith(".svc.cluster.local") or len(parts) != 5:
            continue
        target: WorkloadTargetArgs = {
            "name": f"{name}-{parts[0]}",
            "namespace": parts[1],
            "selector": {"app": parts[0]},
            **bound,  # type: ignore[typeddict-item]
        }
        if target not in found:
            found.append(target)
    return found


def gateway_parent(ref: str) -> dict[str, Any]:
    """A Gateway API parentRef for ``<namespace>/<name>``, on port 443: an application route
    attaches to the HTTPS listeners, never to the HTTP one that only redirects."""
    namespace, _, name = ref.partition("/")
    return {
        "group": GATEWAY_API_GROUP,
        "kind": "Gateway",
        "namespace": namespace,
        "name": name,
        "port": 443,
    }


def _route_target(route: MatchRouteArgs) -> dict[str, Any]:
    """Where a route goes, in the route table: a subset, a host (and subset), or a redirect."""
    if "redirect" in route:
        return {"redirect": dict(route["redirect"])}
    if "subset" in route:
        return {route["subset"]: 100}
    dest = route["destination"]
    name = "/".join(part for part in (dest.get("host", ""), dest.get("subset", "")) if part)
    return {name or "the whole service": 100}


def route_table(args: CanaryRouteArgs) -> list[dict[str, Any]]:
    """Each route in the order Envoy tries them: name, match in words, subset → weight."""
    table: list[dict[str, Any]] = [
        {"name": r["name"], "match": _describe(r), "to": _route_target(r)}
        for r in args.get("routes", [])
    ]
    subsets = args.get("subsets", [])
    default: dict[str, Any] = {
        "name": "default",
        "match": "everything else",
        "to": {s["name"]: s["weight"] for s in subsets if s.get("weight")}
        if subsets
        else {fqdn(args["host"], args["namespace"]): 100},
    }
    if "mirror" in args:
        default["mirror"] = {args["mirror"]["subset"]: args["mirror"]["percentage"]}
    table.append(default)
    return table


class CanaryRoute(pulumi.ComponentResource):
    """A DestinationRule with one subset per version, and a VirtualService that routes to them.

    Match routes come first, in the order given; the weighted default takes everything else.
    Retries, timeout and fault injection apply to every route; mirroring to the default.
    The VirtualService depends on the DestinationRule (make-before-break), and both are
    exported to their own namespace and the bound gateways' namespaces only, unless
    ``export_to`` says otherwise.

    Auto mTLS already makes in-mesh traffic ``ISTIO_MUTUAL``; the DestinationRule carries no
    TLS setting unless ``tls_mode="ISTIO_MUTUAL"`` asks for it explicitly.
    """

    destination_rule_name: pulumi.Output[str]
    """``<namespace>/<name>`` of the DestinationRule; ``""`` when none is made (no subsets
    and no traffic policy)."""
    virtual_service_name: pulumi.Output[str]
    """``<namespace>/<name>`` of the VirtualService; ``""`` with ``api="gateway-api"``."""
    http_route_names: pulumi.Output[list[str]]
    """With ``api="gateway-api"``: ``<namespace>/<name>`` of each HTTPRoute (the mesh's,
    ``<name>-mesh``, and the gateways', ``<name>``); empty otherwise."""
    host: pulumi.Output[str]
    """The service FQDN both objects are for."""
    route_table: pulumi.Output[list[dict[str, Any]]]
    """Each route in order: its name, its match in words, and subset → weight."""
    gateway_targets: list[WorkloadTargetArgs]
    """Plain: the workloads that gateway traffic reaches through this route (its service,
    and the in-cluster hosts its routes send to), for ``StrictMtls``'s ``gateway_targets``;
    empty when no gateway is bound."""

    def __init__(
        self,
        name: str,
        args: CanaryRouteArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = validate_args(name, args)
        super().__init__("mesh-https:index:CanaryRoute", name, None, opts)
        namespace = args["namespace"]
        object_name = args.get("name", name)
        host = fqdn(args["host"], namespace)
        after = list(args.get("depends_on", []))
        refs = [g["ref"] for g in args.get("gateways", [])]
        self.destination_rule: pulumi.Resource | None = None
        self.virtual_service: pulumi.Resource | None = None
        self.http_routes: list[pulumi.Resource] = []
        if args.get("api", "istio") == "gateway-api":
            self._gateway_api(name, object_name, refs, args, after)
        else:
            self._istio(name, object_name, host, refs, args, after)
        qualified = known(f"{namespace}/{object_name}")
        empty = known("")
        # The objects share one name: one Output serves both.
        self.virtual_service_name = qualified if self.virtual_service else empty
        self.destination_rule_name = qualified if self.destination_rule else empty
        route_names = []
        if args.get("api", "istio") == "gateway-api":
            route_names = [f"{namespace}/{object_name}-mesh"] if args.get("mesh", True) else []
            route_names += [f"{namespace}/{object_name}"] if refs else []
        self.http_route_names = known(route_names)
        self.host = known(host)
        self.route_table = known(route_table(args))
        self.gateway_targets = gateway_targets(args, object_name, refs) if refs else []
        self.register_outputs(
            {
                "destination_rule_name": self.destination_rule_name,
                "virtual_service_name": self.virtual_service_name,
                "host": self.host,
                "route_table": self.route_table,
                "http_route_names": self.http_route_names,
            }
        )

    def _istio(
        self,
        name: str,
        object_name: str,
        host: str,
        refs: Sequence[pulumi.Input[str]],
        args: CanaryRouteArgs,
        after: list[pulumi.Resource],
    ) -> None:
        """The Istio API: a DestinationRule (subsets, policy) and a VirtualService."""
        namespace = args["namespace"]
        export_to: Any
        if all(isinstance(ref, str) for ref in refs):
            # The usual case (HttpsGateway.route_target gives plain refs): no Outputs at all.
            export_to = visible_to(args.get("export_to", ["."]), namespace, refs)  # type: ignore[arg-type]
        else:
            export_to = pulumi.Output.all(*refs).apply(
                lambda known: visible_to(args.get("export_to", ["."]), namespace, known)
            )

        policy = traffic_policy(args)
        # A DestinationRule only where there is something to say: subsets or a policy.
        if "subsets" in args or policy:
            dr_spec: dict[str, Any] = {"host": host}
            if "subsets" in args:
                dr_spec["subsets"] = [
                    {"name": s["name"], "labels": dict(sorted(s["labels"].items()))}
                    for s in args["subsets"]
                ]
            if policy:
                dr_spec["trafficPolicy"] = policy
            dr_spec["exportTo"] = export_to
            self.destination_rule = istio_object(
                f"{name}-destination-rule",
                "DestinationRule",
                object_name,
                namespace,
                dr_spec,
                parent=self,
                depends_on=after,
            )

        gateways: list[Any] = [*refs, "mesh"] if args.get("mesh", True) else list(refs)
        hosts = (
            [*args.get("external_hosts", []), host]
            if args.get("mesh", True)
            else list(args.get("external_hosts", []))
        )
        vs_spec = {
            "hosts": hosts,
            "gateways": gateways,
            "exportTo": export_to,
            "http": http_routes(args, host),
        }
        self.virtual_service = istio_object(
            f"{name}-virtual-service",
            "VirtualService",
            object_name,
            namespace,
            vs_spec,
            parent=self,
            # Make before break: the subsets exist before any route uses them.
            depends_on=[self.destination_rule, *after] if self.destination_rule else after,
        )

    def _gateway_api(
        self,
        name: str,
        object_name: str,
        refs: Sequence[pulumi.Input[str]],
        args: CanaryRouteArgs,
        after: list[pulumi.Resource],
    ) -> None:
        """The Gateway API: a Service per version, HTTPRoutes (the mesh's, attached to the
        Service, and the gateways'), and ReferenceGrants for backends elsewhere."""
        namespace = args["namespace"]
        short = fqdn(args["host"], namespace).split(".")[0]
        selector = dict(args.get("selector", {"app": short}))
        versions = [
            k8s.core.v1.Service(
                f"{name}-{service}",
                metadata={"name": service, "namespace": namespace, "labels": dict(MANAGED_LABELS)},
                spec=typing.cast(Any, spec),
                opts=pulumi.ResourceOptions(parent=self, depends_on=edges_in(namespace, after)),
            )
            for service, spec in http_route.version_services(args, selector)
        ]
        grants = [
            gateway_api_object(
                f"{name}-grant-{other_ns}-{service}",
                "ReferenceGrant",
                f"{namespace}-{object_name}-to-{service}",
                other_ns,
                {
                    "from": [
                        {"group": GATEWAY_API_GROUP, "kind": "HTTPRoute", "namespace": namespace}
                    ],
                    "to": [{"group": "", "kind": "Service", "name": service}],
                },
                parent=self,
                depends_on=after,
            )
            for other_ns, service in http_route.cross_namespace_backends(args)
        ]
        rules = http_route.rules(args, [cookie_regex(r) for r in args.get("routes", [])])
        # The versions' Services and the grants exist before any route sends to them.
        first = [*versions, *grants, *after]
        if args.get("mesh", True):
            port = {"port": args["port"]} if "port" in args else {}
            parent = {"group": "", "kind": "Service", "name": short, **port}
            self.http_routes.append(
                gateway_api_object(
                    f"{name}-mesh-route",
                    "HTTPRoute",
                    f"{object_name}-mesh",
                    namespace,
                    {"parentRefs": [parent], "rules": rules},
                    parent=self,
                    depends_on=first,
                )
            )
        if refs:
            parents: Any = (
                [gateway_parent(str(ref)) for ref in refs]
                if all(isinstance(r, str) for r in refs)
                else pulumi.Output.all(*refs).apply(
                    lambda known: [gateway_parent(r) for r in known]
                )
            )
            spec = {
                "parentRefs": parents,
                "hostnames": list(args.get("external_hosts", [])),
                "rules": rules,
            }
            self.http_routes.append(
                gateway_api_object(
                    f"{name}-route",
                    "HTTPRoute",
                    object_name,
                    namespace,
                    spec,
                    parent=self,
                    depends_on=first,
                )
            )
