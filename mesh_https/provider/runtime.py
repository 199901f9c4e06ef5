"""What a hosted component does around the Python component it extends.

The host hands a component its inputs as it received them from another language's program:
Python field names already, enum members for ``Literal`` choices, and values that depend on
other resources as Outputs. :func:`construct` turns them back into the Python Args, so the
component validates and registers exactly what it would for a Python program:

- enum members become their values;
- a structural input (a plain value in the Python API) that arrives as a known, non-secret
  Output, e.g. ``istio.gatewayNamespace`` passed on in TypeScript, is used as its value, and
  the resources it came from are added to ``depends_on``; an unknown or secret one is left
  as it is, for the component to refuse with its usual error;
- the ``dependsOn`` resource option fills ``depends_on`` (and so reaches the children that
  need it, as the Python input does);
- an Output of a list of objects (which the host passes on without mapping names) gets its
  keys back in Python's spelling;
- whole numbers, which cross the wire as floats, become integers where the declaration says
  ``int`` (the host leaves them floats);
- field paths in errors are spelt as the schema spells them (``gatewayNamespace``).

:func:`publish` makes the outputs the host reads plain data.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from collections.abc import Mapping, Sequence
from typing import Any, cast

import pulumi
from pulumi.output import contains_unknowns

from mesh_https import contract
from mesh_https.validation import ValidationError


def _ready(output: pulumi.Output[Any]) -> Any | None:
    """The Output's resolved data (value, known, secret, resources) if it is already here.

    An Output from another language arrives resolved (the engine sends the value with it),
    so it can be read without waiting; this reads the SDK's private ``_data`` future."""
    data = cast("asyncio.Future[Any] | None", getattr(output, "_data", None))
    if not isinstance(data, asyncio.Future) or not data.done() or data.cancelled():
        return None
    if data.exception() is not None:
        return None
    return data.result()


def _plain(value: Any, args_type: type, path: contract.Path, after: list[pulumi.Resource]) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, float) and value.is_integer():
        # Numbers cross the wire as floats; the host does not turn them back into integers.
        declared = contract.declared_type(args_type, path)
        if declared is not None and contract.base_type(declared) is int:
            return int(value)
    if isinstance(value, pulumi.Output):
        declared = contract.declared_type(args_type, path)
        if declared is not None and contract.is_value_input(declared):
            return value
        data = _ready(value)
        if data is None or not data.is_known or data.is_secret or contains_unknowns(data.value):
            return value
        after.extend(data.resources)
        # The host maps the names of plain objects, but passes an Output (of a list of
        # objects) on as it came: its keys are spelt as the schema spells them, as in stack
        # config.
        value = contract.from_config(declared, data.value) if declared is not None else data.value
        return _plain(value, args_type, path, after)
    if isinstance(value, Mapping):
        return {k: _plain(v, args_type, (*path, k), after) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, args_type, (*path, i), after) for i, v in enumerate(value)]
    return value


def python_args(
    args_type: type, args: Mapping[str, Any] | None, opts: pulumi.ResourceOptions | None
) -> dict[str, Any]:
    """The Python Args for inputs received through the host (see the module docstring)."""
    after: list[pulumi.Resource] = []
    converted = {k: _plain(v, args_type, (k,), after) for k, v in (args or {}).items()}
    if "depends_on" in contract.field_types(args_type):
        given = (opts.depends_on if opts else None) or []
        wanted = [*(given if isinstance(given, Sequence) else [given]), *after]
        if wanted:
            converted["depends_on"] = list(dict.fromkeys(wanted))
    return converted


def construct(
    component: pulumi.ComponentResource,
    python_class: type[pulumi.ComponentResource],
    args_type: type,
    name: str,
    args: Mapping[str, Any] | None,
    opts: pulumi.ResourceOptions | None,
    *,
    keywords: bool = False,
) -> None:
    """Run ``python_class``'s constructor on ``component`` with the inputs converted back to
    ``args_type`` (passed as keyword arguments where the class takes them so)."""
    init = cast(Any, python_class).__init__
    try:
        if keywords:
            given = python_args(args_type, args, opts)
            optional = contract.field_types(args_type).keys() - contract.required_keys(args_type)
            init(component, name, **{**dict.fromkeys(optional), **given}, opts=opts)
        else:
            init(component, name, python_args(args_type, args, opts), opts)
    except ValidationError as error:
        # Spelt as the schema spells it, as stack config does: declared fields in camelCase.
        field = contract.config_field_name(args_type, "")(contract.parse_field_path(error.field))
        raise ValidationError(error.component, field.lstrip("."), error.problem) from None


def _data(value: Any) -> Any:
    """A dataclass (``GatewayInfo``, ``WaypointInfo``) as the mapping the host reads."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value


def published(output: str) -> Any:
    """A property that gives the value :func:`publish` read for ``output`` (``None`` if the
    component's configuration offers none). It replaces the method or property of the same
    name on the hosted class, which the host reads as an attribute."""
    return property(lambda self: vars(self).get("_published", {}).get(output))


def publish(
    component: pulumi.ComponentResource, reads: Mapping[str, str], plain: Sequence[str]
) -> None:
    """Set the outputs the host reads: each of ``reads`` (output → method or property of the
    Python component) and each of ``plain`` (dataclass or other plain outputs) as plain data."""
    python_class = type(component).__mro__[1]
    values: dict[str, Any] = {}
    for output, source in reads.items():
        read = getattr(python_class, source)
        try:
            value = read(component) if callable(read) else read.__get__(component)
        except ValidationError:
            continue  # not offered by this configuration (plugged_ca without mesh_ca)
        values[output] = _data(value)
    vars(component)["_published"] = values
    for output in plain:
        vars(component)[output] = _data(getattr(component, output))
