"""Pure input checks that run before a component registers anything.

Every check raises :class:`ValidationError`, which names the component, the field and what
would have been valid. Components call these at the top of ``__init__``, before
``super().__init__``, so bad input never leaves a half-created component in the graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

import pulumi

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
)
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
# A registry host (with an optional port) and a path of lowercase components: docker.io/istio.
_IMAGE_HUB = re.compile(
    r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*$"
)


class ValidationError(pulumi.RunError, ValueError):
    """Bad input to a mesh-https component, found before anything was registered.

    It is a ``pulumi.RunError``, so ``pulumi preview``/``up`` print the message alone, without
    a Python stack trace, and a ``ValueError`` for code that catches those.

    Attributes:
        component: the component type, e.g. ``"IstioInstall"``.
        field: the argument (dotted for nested keys) that was wrong.
        problem: what is wrong and what would be valid.
    """

    def __init__(self, component: str, field: str, problem: str) -> None:
        self.component = component
        self.field = field
        self.problem = problem
        super().__init__(f"{component}: `{field}` {problem}")


def fail(component: str, field: str, problem: str) -> NoReturn:
    """Raise a :class:`ValidationError`; a statement form for checks that need one."""
    raise ValidationError(component, field, problem)


def is_known(value: Any) -> bool:
    """True for a plain value; Outputs and awaitables are checked where they are produced."""
    return not isinstance(value, pulumi.Output)


def check_choice(component: str, field: str, value: Any, choices: Iterable[str]) -> None:
    """``value`` must be one of ``choices``."""
    options = list(choices)
    if is_known(value) and value not in options:
        fail(component, field, f"is {value!r}; valid values are {', '.join(map(repr, options))}")


def check_dns_label(component: str, field: str, value: Any) -> None:
    """A Kubernetes name that must be an RFC 1123 label (namespaces, release names)."""
    if not is_known(value):
        return
    if not isinstance(value, str) or len(value) > 63 or not _DNS1123_LABEL.match(value):
        fail(
            component,
            field,
            f"is {value!r}; it must be a DNS-1123 label: at most 63 lowercase letters, "
            "digits and '-', starting and ending with a letter or digit",
        )


def check_dns_subdomain(component: str, field: str, value: Any) -> None:
    """A Kubernetes object name that must be an RFC 1123 subdomain."""
    if not is_known(value):
        return
    if not isinstance(value, str) or len(value) > 253 or not _DNS1123_SUBDOMAIN.match(value):
        fail(
            component,
            field,
            f"is {value!r}; it must be a DNS-1123 subdomain: lowercase letters, digits, "
            "'-' and '.', at most 253 characters",
        )


def check_version(component: str, field: str, value: Any) -> None:
    """A release version such as ``1.29.2`` (no leading ``v``)."""
    if is_known(value) and (not isinstance(value, str) or not _SEMVER.match(value)):
        fail(component, field, f"is {value!r}; it must be a version like '1.29.2'")


def check_image_hub(component: str, field: str, value: Any) -> None:
    """An image registry and path, such as ``docker.io/istio`` (no scheme, tag or ``/`` end)."""
    if is_known(value) and (not isinstance(value, str) or not _IMAGE_HUB.match(value)):
        fail(
            component,
            field,
            f"is {value!r}; it must be a registry and path like 'docker.io/istio' or "
            "'registry.example.com:5000/istio' (no https://, tag or trailing '/')",
        )


def check_port(component: str, field: str, value: Any, *, low: int = 1, high: int = 65535) -> None:
    """An integer port in ``[low, high]``; booleans are not ports."""
    if not is_known(value):
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        fail(component, field, f"is {value!r}; it must be an integer from {low} to {high}")


def check_distinct(component: str, field: str, values: Mapping[str, Any]) -> None:
    """No two entries of ``values`` (name → value) may be equal."""
    seen: dict[Any, str] = {}
    for key, value in values.items():
        if not is_known(value):
            continue
        if value in seen:
            fail(
                component,
                field,
                f"uses {value!r} for both {seen[value]!r} and {key!r}; each must be different",
            )
        seen[value] = key


def check_int(component: str, field: str, value: Any, *, low: int = 0) -> None:
    """A whole number (not a bool) of at least ``low``."""
    if not is_known(value):
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        fail(component, field, f"is {value!r}; it must be a whole number, {low} or more")


def check_positive_int(component: str, field: str, value: Any) -> None:
    """A whole number greater than zero."""
    if not is_known(value):
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        fail(component, field, f"is {value!r}; it must be a whole number greater than 0")


def check_unique(component: str, field: str, value: Any, seen: set[Any], what: str) -> None:
    """``value`` is not in ``seen`` (then adds it); ``what`` names the kind of thing."""
    if value in seen:
        fail(component, field, f"repeats {value!r}; {what} must be unique")
    seen.add(value)


def check_non_empty(component: str, field: str, value: Any) -> None:
    """A string that is not empty or blank."""
    if is_known(value) and (not isinstance(value, str) or not value.strip()):
        fail(component, field, "is empty; it must be a non-empty string")


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def check_duration(component: str, field: str, value: Any) -> float:
    """An Istio duration like ``2s``, ``500ms`` or ``1m30s``; returns it in seconds."""
    if not isinstance(value, str) or not value:
        fail(component, field, f"is {value!r}; it must be a duration like '2s', '500ms' or '1m30s'")
    parts = _DURATION_PART.findall(value)
    if "".join(n + u for n, u in parts) != value:
        fail(component, field, f"is {value!r}; it must be a duration like '2s', '500ms' or '1m30s'")
    seconds = sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    if seconds < 0.001:
        fail(component, field, f"is {value!r}; it must be at least 1ms")
    return seconds


def check_percentage(component: str, field: str, value: Any) -> None:
    """A number from 0 (exclusive) to 100."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100:
        fail(component, field, f"is {value!r}; it must be a percentage above 0 and at most 100")


_RE2_UNSUPPORTED = re.compile(r"\(\?[=!]|\(\?<[=!]|\\[1-9]|\(\?P=")


def check_regex(component: str, field: str, value: Any) -> None:
    """A regular expression Envoy accepts (RE2: no look-around, no back-references)."""
    if not isinstance(value, str) or not value:
        fail(component, field, f"is {value!r}; it must be a non-empty regular expression")
    try:
        re.compile(value)
    except re.error as err:
        fail(component, field, f"is {value!r}, which is not a valid regular expression ({err})")
    if _RE2_UNSUPPORTED.search(value):
        fail(
            component,
            field,
            f"is {value!r}; Envoy's RE2 has no look-around or back-references",
        )
