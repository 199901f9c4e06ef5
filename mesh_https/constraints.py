"""What the types cannot say, written once per concept, as types the Args declare.

Each name here is ``Annotated[<type>, Rule(...)]``: ``mesh_https.contract`` runs the rule
wherever a field of that type appears, so a namespace, a host or a duration is checked the
same way in every component. Where the rule mirrors a Kubernetes or Istio admission check, the
docstring says which (Istio's are in ``pkg/config/validation`` of istio/istio).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Annotated, Any

import re2  # type: ignore[import-untyped]

from mesh_https.contract import Plain, Rule
from mesh_https.versions import ISTIO_VERSION, version_problem

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_HOSTNAME = re.compile(
    r"^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$"
)
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
# RFC 7230 token characters: Istio's validHeaderNameRegex.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_IMAGE_HUB = re.compile(
    r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*$"
)
_HTTP_METHOD = re.compile(r"^[A-Z]+$")
_PRINCIPAL = re.compile(r"^[a-z0-9.-]+/ns/[a-z0-9]([-a-z0-9]*[a-z0-9])?/sa/[a-z0-9][-a-z0-9.]*$")
_PRINCIPAL_PREFIX = re.compile(r"^[a-z0-9.-]+/ns/[a-z0-9-]+/(sa/[-a-z0-9.]*)?$")
_PRINCIPAL_SUFFIX = re.compile(r"^[a-z0-9.-]*/ns/[a-z0-9-]+/sa/[a-z0-9][-a-z0-9.]*$")

RETRY_ON = frozenset(
    {
        "5xx",
        "gateway-error",
        "reset",
        "reset-before-request",
        "connect-failure",
        "retriable-4xx",
        "refused-stream",
        "retriable-status-codes",
        "retriable-headers",
        "envoy-ratelimited",
        "http3-post-connect-failure",
        "cancelled",
        "deadline-exceeded",
        "internal",
        "resource-exhausted",
        "unavailable",
    }
)
"""Envoy's retry-on policies that Istio's validation accepts (besides HTTP status codes)."""


def dns_label_problem(value: str) -> str | None:
    """Kubernetes' RFC 1123 label: namespaces, Helm release names, Istio Gateway names."""
    if len(value) > 63 or not _LABEL.match(value):
        return (
            "it must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return None


def dns_subdomain_problem(value: str) -> str | None:
    """Kubernetes' RFC 1123 subdomain: object names, trust domains."""
    if len(value) > 253 or not _SUBDOMAIN.match(value):
        return (
            "it must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', at most "
            "253 characters"
        )
    return None


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def hostname_problem(value: str) -> str | None:
    """A fully qualified DNS name a client sends as SNI (``*.`` allowed; an IP is not)."""
    if _is_ip_address(value):
        return "it is an IP address; TLS clients send no SNI for one, so give a DNS name"
    if len(value) > 253 or not _HOSTNAME.match(value) or "." not in value:
        return "it must be a fully qualified, lowercase DNS name like 'app.example.com'"
    return None


def helm_release_name_problem(value: str) -> str | None:
    """Helm's release names: a DNS label of at most 53 characters."""
    if len(value) > 53:
        return "it is longer than 53 characters, Helm's limit for release names: give 53 or fewer"
    return dns_label_problem(value)


def label_key_problem(value: str) -> str | None:
    """Kubernetes' label and annotation keys: ``[prefix/]name``."""
    prefix, _, name = value.rpartition("/")
    if prefix and dns_subdomain_problem(prefix):
        return "its prefix (before '/') must be a DNS-1123 subdomain"
    if not name or len(name) > 63 or not _LABEL_NAME.match(name):
        return (
            "it must be a label key: an optional DNS prefix and '/', then at most 63 letters, "
            "digits, '-', '_' or '.', starting and ending with a letter or digit"
        )
    return None


def label_value_problem(value: str) -> str | None:
    """Kubernetes' label values: empty, or up to 63 letters, digits, ``-_.``."""
    if len(value) > 63 or not _LABEL_NAME.match(value):
        return (
            "it must be a label value: at most 63 letters, digits, '-', '_' or '.', starting "
            "and ending with a letter or digit"
        )
    return None


def duration_seconds(value: str) -> float | None:
    """An Istio duration (``2s``, ``500ms``, ``1m30s``) in seconds, or ``None``."""
    parts = _DURATION_PART.findall(value)
    if not value or "".join(n + u for n, u in parts) != value:
        return None
    return sum(float(n) * _DURATION_UNITS[u] for n, u in parts)


def duration_problem(value: str) -> str | None:
    """Istio's ValidateDuration: at least 1ms, in whole milliseconds."""
    seconds = duration_seconds(value)
    if seconds is None:
        return "it must be a duration like '2s', '500ms' or '1m30s'"
    if seconds < 0.001:
        return "it must be at least 1ms (Istio's minimum)"
    if round(seconds * 1000, 6) != int(round(seconds * 1000, 6)):
        return (
            "Istio takes durations to the millisecond only: give whole milliseconds, like '1500ms'"
        )
    return None


def regex_problem(value: str) -> str | None:
    """An RE2 expression, as Envoy compiles it (Istio refuses empty ones and > 1024 chars)."""
    if not value:
        return "it must be a non-empty regular expression"
    if len(value) > 1024:
        return "it is longer than 1024 characters, Istio's limit: give a shorter expression"
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(value, options)
    except re2.error as err:
        return f"Envoy's RE2 refuses it ({err})"
    return None


def header_name_problem(value: str) -> str | None:
    """Istio's header names: RFC 7230 tokens. Envoy matches them lowercased, so we ask for
    lowercase to keep one spelling per header."""
    if not _HEADER_NAME.match(value):
        return "it must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~, no spaces)"
    if value != value.lower():
        return f"it must be lowercase ({value.lower()!r}); Envoy lowercases header names"
    return None


# Istio's httpHeaderValueRegexp: no control characters but tab.
_HEADER_VALUE_CHARS = re.compile(r"^[^\x00-\x08\x0a-\x1f\x7f]*$")
# Envoy's header formatter: a '%' is '%%' or opens a '%VARIABLE%' / '%VARIABLE(args)%'.
_HEADER_VALUE_PERCENT = re.compile(r"^(?:[^%]|%%|%[^%(]+(?:\([^)]*\))?%)*$")


def header_value_problem(value: str) -> str | None:
    """Istio's ValidateHTTPHeaderValue for header values it sets or adds: no control
    characters, and every ``%`` escaped as ``%%`` or part of an Envoy ``%VARIABLE%``."""
    if not _HEADER_VALUE_CHARS.match(value):
        return "it has a control character (a newline, say); Istio refuses those in headers"
    if not _HEADER_VALUE_PERCENT.match(value):
        return (
            "it has a lone '%'; Envoy reads '%' as the start of a %VARIABLE%, so write a "
            "literal one as '%%'"
        )
    return None


BUILT_IN_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
"""Namespaces every Kubernetes cluster has: creating one fails, and deleting it on destroy
must never be tried."""


def built_in_namespace_problem(value: str, used_as_is: Sequence[str] = ()) -> str | None:
    """A namespace a component would create (and so delete on destroy) that every cluster
    already has; ``used_as_is`` are those the component uses without creating them."""
    if value in BUILT_IN_NAMESPACES and value not in used_as_is:
        refused = [n for n in BUILT_IN_NAMESPACES if n not in used_as_is]
        return (
            f"is {value!r}, a namespace every cluster already has; creating it fails, and "
            "destroying the stack would try to delete it. Give a namespace of its own (not "
            f"one of {', '.join(refused)})"
        )
    return None


SERVICE_SUFFIX = ("svc", "cluster", "local")
"""What follows ``<service>.<namespace>`` in a Kubernetes service's name (the cluster domain
``cluster.local``, the one the package's names assume)."""


def service_host_spelling_problem(host: str, namespaces: Sequence[str] = ()) -> str | None:
    """A partial spelling of a Kubernetes service's name, which Istio does not expand.

    Istio expands only a name without dots (``reviews`` → ``reviews.<namespace>.svc.
    cluster.local``) and takes any name with one as written, so ``reviews.shop.svc``,
    ``reviews.shop.svc.cluster`` and ``reviews.shop`` (``shop`` one of ``namespaces``) name no
    service: an object for them does nothing, and beside the full name they are a second
    object for one service. Any other name (another cluster domain, a ServiceEntry host) is
    taken as written."""
    labels = host.split(".")
    rest = tuple(labels[2:])
    partial = 0 < len(rest) < len(SERVICE_SUFFIX) and SERVICE_SUFFIX[: len(rest)] == rest
    if partial or (len(labels) == 2 and labels[1] in namespaces):
        full = ".".join([*labels[:2], *SERVICE_SUFFIX])
        return (
            f"is {host!r}, a partial service name that Istio takes as written, so it names no "
            f"service; give the full name {full!r} (or the short name {labels[0]!r} in the "
            "service's own namespace)"
        )
    return None


def retry_on_problem(value: str) -> str | None:
    """Istio's retryOn vocabulary: Envoy's policies or an HTTP status code."""
    if value in RETRY_ON or (value.isdigit() and 100 <= int(value) <= 599):
        return None
    return f"it is not a retryOn policy; valid: {', '.join(sorted(RETRY_ON))}, or a status code"


def export_to_problem(value: str) -> str | None:
    """Istio's exportTo entries: ``.``, ``*`` or a namespace."""
    if value in (".", "*") or not dns_label_problem(value):
        return None
    return "it must be '.', '*' or a namespace (a DNS-1123 label)"


def percentage_problem(value: float) -> str | None:
    """Istio's Percent: 0.0, or from 0.0001 to 100."""
    if not 0.0001 <= value <= 100:
        return "it must be a percentage above 0 (at least 0.0001) and at most 100"
    return None


def principal_problem(value: str) -> str | None:
    """An Istio source principal: ``<trust domain>/ns/<namespace>/sa/<account>``, or Istio's
    single-``*`` forms: ``*``, a prefix (``…/sa/*``) or a suffix (``*/ns/web/sa/frontend``)."""
    if value == "*":
        return None
    if value.count("*") > 1:
        valid = False
    elif value.endswith("*"):
        valid = bool(_PRINCIPAL_PREFIX.match(value[:-1]))
    elif value.startswith("*"):
        valid = bool(_PRINCIPAL_SUFFIX.match(value[1:]))
    else:
        valid = "*" not in value and bool(_PRINCIPAL.match(value))
    if valid:
        return None
    return (
        "a principal looks like 'cluster.local/ns/<namespace>/sa/<account>' (no 'spiffe://'; "
        "one '*' at most, at the start or the end)"
    )


def request_path_problem(value: str) -> str | None:
    """An AuthorizationPolicy path: exact, ``/prefix*`` or ``*suffix``, one ``*`` at most."""
    if not value.startswith(("/", "*")) or value.count("*") > 1:
        return "paths start with '/' (or '*' for a suffix match), with one '*' at most"
    if "*" in value and not (value.startswith("*") or value.endswith("*")):
        return "a '*' may only start or end a path"
    return None


def int_range(low: int, high: int | None = None) -> Rule:
    """A whole number from ``low`` (to ``high``)."""

    def check(value: int) -> str | None:
        if value < low or (high is not None and value > high):
            return (
                f"it must be from {low} to {high}"
                if high is not None
                else (f"it must be {low} or more")
            )
        return None

    words = (
        f"a whole number from {low} to {high}"
        if high is not None
        else f"a whole number, {low} or more"
    )
    return Rule(check, words)


def _nonempty(value: Any) -> str | None:
    empty = not value or (isinstance(value, str) and not value.strip())
    return "it is empty; give a non-empty string" if empty else None


def _ip_address(value: str) -> str | None:
    return None if _is_ip_address(value) else "it must be an IP address like '127.0.0.1'"


def _version(value: str) -> str | None:
    problem = version_problem(value)
    return problem.split("; ", 1)[-1] if problem else None


def _image_hub(value: str) -> str | None:
    if not _IMAGE_HUB.match(value):
        return (
            "it must be a registry and path like 'docker.io/istio' or "
            "'registry.example.com:5000/istio' (no https://, tag or trailing '/')"
        )
    return None


def _method(value: str) -> str | None:
    return None if _HTTP_METHOD.match(value) else "it must be an HTTP method like 'GET'"


DnsLabel = Annotated[str, Rule(dns_label_problem, "a DNS-1123 label")]
DnsSubdomain = Annotated[str, Rule(dns_subdomain_problem, "a DNS-1123 subdomain")]
Hostname = Annotated[str, Rule(hostname_problem, "a DNS name like 'app.example.com'")]
HelmReleaseName = Annotated[str, Rule(helm_release_name_problem, "a Helm release name")]
LabelKey = Annotated[str, Rule(label_key_problem, "a Kubernetes label key")]
LabelValue = Annotated[str, Rule(label_value_problem, "a Kubernetes label value")]
Duration = Annotated[str, Rule(duration_problem, "a duration like '2s'")]
Regex = Annotated[str, Rule(regex_problem, "an RE2 regular expression")]
HeaderName = Annotated[str, Rule(header_name_problem, "a lowercase HTTP header name")]
HeaderValue = Annotated[str, Rule(header_value_problem, "a header value ('%%' for a '%')")]
RetryOn = Annotated[str, Rule(retry_on_problem, "a retryOn policy")]
ExportTo = Annotated[str, Rule(export_to_problem, "'.', '*' or a namespace")]
Percentage = Annotated[float, Rule(percentage_problem, "a percentage from 0.0001 to 100")]
Port = Annotated[int, int_range(1, 65535)]
NodePort = Annotated[int, int_range(30000, 32767)]
PositiveInt = Annotated[int, int_range(1)]
NonNegativeInt = Annotated[int, int_range(0)]
NonEmpty = Annotated[str, Rule(_nonempty, "a non-empty string")]
IstioVersionText = Annotated[str, Rule(_version, f"an Istio release like {ISTIO_VERSION!r}")]
IpAddress = Annotated[str, Rule(_ip_address, "an IP address")]
ImageHub = Annotated[str, Rule(_image_hub, "a registry and path like 'docker.io/istio'")]
HttpMethod = Annotated[str, Rule(_method, "an HTTP method like 'GET'")]
Principal = Annotated[str, Rule(principal_problem, "a principal like 'cluster.local/ns/a/sa/b'")]
RequestPath = Annotated[str, Rule(request_path_problem, "a path like '/api/*'")]

__all__ = [
    "BUILT_IN_NAMESPACES",
    "RETRY_ON",
    "DnsLabel",
    "DnsSubdomain",
    "Duration",
    "ExportTo",
    "HeaderName",
    "HeaderValue",
    "HelmReleaseName",
    "Hostname",
    "HttpMethod",
    "ImageHub",
    "IpAddress",
    "IstioVersionText",
    "LabelKey",
    "LabelValue",
    "NodePort",
    "NonEmpty",
    "NonNegativeInt",
    "Percentage",
    "Plain",
    "Port",
    "PositiveInt",
    "Principal",
    "Regex",
    "RequestPath",
    "RetryOn",
    "int_range",
]
