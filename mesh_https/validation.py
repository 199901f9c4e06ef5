"""The package's one error type, and the few checks that span several values.

Single values are checked by the input contract (``mesh_https.contract``, with the rules in
``mesh_https.constraints``); what is left here compares values with each other. Every check
raises :class:`ValidationError`, which names the component, the field and what would have
been valid, before the component registers anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

import pulumi


class ValidationError(pulumi.RunError):
    """Bad input to a mesh-https component, found before anything was registered.

    It is a ``pulumi.RunError``, so ``pulumi preview``/``up`` print the message alone, without
    a Python stack trace. It is deliberately *not* a ``ValueError``: the Pulumi SDK catches
    ``ValueError`` while it serializes a resource's inputs and raises its own in its place
    ("While processing input: … ValueError has risen: …", with a traceback), which is how a
    value input given as an Output, refused once known, would reach the user. Catch
    ``mesh_https.ValidationError`` (or ``pulumi.RunError``).

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


def check_port(component: str, field: str, value: Any, *, low: int = 1, high: int = 65535) -> None:
    """An integer port in ``[low, high]``; booleans are not ports."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        fail(component, field, f"is {value!r}; it must be an integer from {low} to {high}")


def check_distinct(component: str, field: str, values: Mapping[str, Any]) -> None:
    """No two entries of ``values`` (name → value) may be equal."""
    seen: dict[Any, str] = {}
    for key, value in values.items():
        if value in seen:
            fail(
                component,
                field,
                f"uses {value!r} for both {seen[value]!r} and {key!r}; each must be different",
            )
        seen[value] = key


def check_unique(component: str, field: str, value: Any, seen: set[Any], what: str) -> None:
    """``value`` is not in ``seen`` (then adds it); ``what`` names the kind of thing."""
    if value in seen:
        fail(component, field, f"repeats {value!r}; {what} must be unique")
    seen.add(value)
