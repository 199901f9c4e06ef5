"""The input contract: each component's ``TypedDict`` Args, enforced as declared.

The declarations are the contract. From each Args type this module derives, once, a strict
validator (pydantic v2 in strict mode, on a shadow of the declaration), so that:

- no string is taken as a list, no string or number as a bool, no float as an int;
- ``Literal`` values are enforced, and unknown keys are refused at any depth, with the
  closest valid key suggested;
- what the types cannot say is an :class:`Rule` in ``Annotated`` metadata, written once per
  concept (``mesh_https.constraints``) and run wherever that type is used.

Inputs come in two kinds, read off the declaration:

- **value** inputs are declared ``pulumi.Input[T]``: an Output is accepted, and checked
  against ``T`` once it is known (:func:`deferred` returns the args with such Outputs wrapped,
  so a bad value fails the apply before any resource that uses it is registered);
- **structural** inputs are everything else (namespaces, hosts, modes, names): they decide
  which resources exist and what they are called, so an Output there is refused, naming the
  plain fact to use instead (``Annotated[..., Plain("istio.info.mode")]``).

Every failure is a :class:`~mesh_https.validation.ValidationError` naming the component, the
field (or, through ``field_name``, the stack-config key the user typed) and what is valid.
"""

from __future__ import annotations

import asyncio
import collections.abc
import difflib
import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

import pulumi
import pydantic
import pydantic_core
import typing_extensions

from mesh_https.validation import ValidationError

T = TypeVar("T")

Path = tuple[str | int, ...]
"""Where in the args: keys and list positions, e.g. ``("allow", 0, "methods")``."""


@dataclass(frozen=True)
class Rule:
    """A constraint the type cannot say: ``check(value)`` returns what is wrong, or ``None``.

    The problem reads after ``is <value>;``, e.g. ``"it must be a DNS-1123 label"``.
    """

    check: Callable[[Any], str | None]
    description: str


@dataclass(frozen=True)
class Plain:
    """Marks a structural input with the plain fact a user should pass instead of an Output."""

    alternative: str


@dataclass(frozen=True)
class Sensitive:
    """Marks an input whose value is a secret (a kubeconfig, a key): errors never print it."""


SECRET_VALUE = "(a secret value)"
"""What an error shows instead of a value that is secret (:class:`Sensitive`, or an Output
marked secret)."""


@dataclass(frozen=True)
class Hint:
    """Advice appended when a field's value is of the wrong type or not an allowed value."""

    text: str


def field_path(path: Path) -> str:
    """``("allow", 0, "methods")`` → ``allow[0].methods``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# ----------------------------------------------------------------------- reading declarations


@cache
def _raw_hints(typed_dict: type) -> dict[str, Any]:
    # pulumi.Input names "Output" as a forward reference; resolve it here. Read once per type.
    return typing.get_type_hints(
        typed_dict, localns={"Output": pulumi.Output, "T": Any}, include_extras=True
    )


def _hints(typed_dict: type) -> dict[str, Any]:
    """Field types, without ``Required``/``NotRequired`` (see :func:`required_keys`)."""
    hints = dict(_raw_hints(typed_dict))
    for key, tp in hints.items():
        if get_origin(tp) in (typing.Required, typing.NotRequired):
            hints[key] = get_args(tp)[0]
    return hints


def field_types(typed_dict: type) -> dict[str, Any]:
    """A TypedDict's fields and their declared types (``Annotated`` metadata kept)."""
    return _hints(typed_dict)


def suggest(word: str, options: Sequence[str]) -> str:
    """``"did you mean 'x'? "`` for the closest of ``options``, or ``""``."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}? " if close else ""


def unknown_key_problem(typed: str, valid: Sequence[str]) -> str:
    """The problem of a key that is not one of ``valid``: the closest suggested (first the
    camelCase key a snake_case spelling stands for), and every valid key listed."""
    spelt = camel(typed)
    suggestion = f"did you mean {spelt!r}? " if spelt != typed and spelt in valid else ""
    suggestion = suggestion or suggest(typed, valid)
    listed = ", ".join(valid) if valid else "none"
    return f"is not a known key; {suggestion}valid keys: {listed}"


def required_keys(typed_dict: type) -> set[str]:
    """Required keys. Under postponed annotations a ``Required[...]`` is only seen here."""
    keys = set(typed_dict.__required_keys__)  # type: ignore[attr-defined]
    for key, tp in _raw_hints(typed_dict).items():
        if get_origin(tp) is typing.Required:
            keys.add(key)
        elif get_origin(tp) is typing.NotRequired:
            keys.discard(key)
    return keys


def _is_input(tp: Any) -> Any | None:
    """``T`` if ``tp`` is ``pulumi.Input[T]`` (a union of T, Awaitable[T] and Output[T])."""
    if get_origin(tp) is not Union:
        return None
    args = get_args(tp)
    if not any(get_origin(a) is pulumi.Output or a is pulumi.Output for a in args):
        return None
    plain = [
        a
        for a in args
        if get_origin(a) not in (pulumi.Output, collections.abc.Awaitable)
        and a is not pulumi.Output
    ]
    return plain[0] if len(plain) == 1 else Union[tuple(plain)]  # noqa: UP007


@cache
def _unwrap(tp: Any) -> tuple[Any, tuple[Any, ...]]:
    """The type under ``Annotated``, and its metadata."""
    metadata: list[Any] = []
    while get_origin(tp) is Annotated:
        tp, *extra = get_args(tp)
        metadata.extend(extra)
    return tp, tuple(metadata)


def is_value_input(tp: Any) -> bool:
    """Whether a declared field type accepts an Output (``pulumi.Input[...]``)."""
    return _is_input(_unwrap(tp)[0]) is not None


def base_type(tp: Any) -> Any:
    """The plain type a declared field holds: without ``Annotated``, ``Input`` or ``Optional``."""
    tp = _config_type(tp)
    if get_origin(tp) in (Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return base_type(members[0])
    return tp


def declared_type(args_type: Any, path: Path) -> Any:
    """The declared type at ``path`` under ``args_type`` (``None`` if there is none)."""
    tp: Any = args_type
    for part in path:
        tp = _unwrap(tp)[0]
        tp = _is_input(tp) or tp
        tp = _optional_member(_unwrap(tp)[0])
        if typing.is_typeddict(tp):
            tp = _hints(tp).get(str(part))
        elif get_origin(tp) in (Sequence, list, tuple) or get_origin(tp) is typing.Sequence:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Mapping, dict) or get_origin(tp) is typing.Mapping:
            tp = get_args(tp)[1]
        else:
            return None
        if tp is None:
            return None
    return tp


def _optional_member(tp: Any) -> Any:
    """``X`` for ``X | None``; anything else as it is."""
    if get_origin(tp) in (Union, types.UnionType):
        members = [a for a in get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])[0]
    return tp


def describe(tp: Any, key_name: Callable[[str], str] = str) -> str:
    """What a value of ``tp`` looks like, in words (``key_name`` spells object keys)."""
    tp, metadata = _unwrap(tp)
    rules = [m.description for m in metadata if isinstance(m, Rule)]
    if rules:
        return rules[0]
    inner = _is_input(tp)
    if inner is not None:
        return describe(inner, key_name) + " (or an Output of one)"
    origin = get_origin(tp)
    simple = {str: "a string", bool: "true or false (a bool)", int: "a whole number (an int)"}
    if tp in simple:
        return simple[tp]
    if tp is float:
        return "a number"
    if tp is Any:
        return "any value"
    if tp is type(None):
        return "null"
    if origin in (Union, types.UnionType):
        return " or ".join(describe(a, key_name) for a in get_args(tp))
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (Sequence, list, tuple) or origin is typing.Sequence:
        return f"a list, each {describe(get_args(tp)[0], key_name)}"
    if origin in (Mapping, dict) or origin is typing.Mapping:
        key, value = get_args(tp)
        return (
            f"a mapping, each key {describe(key, key_name)} and each value "
            f"{describe(value, key_name)}"
        )
    if typing.is_typeddict(tp):
        return "an object with keys " + ", ".join(key_name(k) for k in _hints(tp))
    if isinstance(tp, type):
        return f"a {tp.__name__}"
    return str(tp)


# -------------------------------------------------------------------- the derived validator


def _is_deferred(value: Any) -> bool:
    return isinstance(value, pulumi.Output) or inspect.isawaitable(value)


def _accept_output(value: Any, handler: pydantic.ValidatorFunctionWrapHandler) -> Any:
    """At a value input, an Output passes; anything else is checked as declared."""
    return value if _is_deferred(value) else handler(value)


_VALUE_INPUT = pydantic.WrapValidator(_accept_output)


def _as_list(value: Any) -> Any:
    """A tuple is a list here; a string is never one (pydantic's strict list checks the rest,
    in its core, without a Python call per element)."""
    if isinstance(value, str):
        raise pydantic_core.PydanticCustomError("sequence_str", "a string is not a list")
    return list(value) if isinstance(value, tuple) else value


_LIST = pydantic.BeforeValidator(_as_list)


_EXPRESSION = re.compile(r"[A-Za-z_]\w*(\.\w+)+(\(\))?")


def _structural_problem(alternative: str | None) -> str:
    if alternative and _EXPRESSION.fullmatch(alternative):
        hint = f"pass the plain value instead, e.g. `{alternative}`"
    elif alternative:
        # A description of the value ("the namespace's name, as a string"), not code.
        hint = f"pass {alternative}, not an Output"
    else:
        hint = "pass a plain value; components expose their facts as plain values in `.info`"
    return (
        "is an Output, but this input decides which resources exist or what they are called, "
        f"so it must be known before anything is registered; {hint}"
    )


def _rule_validator(rule: Rule) -> Any:
    def run(value: Any) -> Any:
        problem = rule.check(value)
        if problem:
            # The value is worded in later, by _problem, which knows whether it is secret.
            raise pydantic_core.PydanticCustomError("rule", "{problem}", {"problem": problem})
        return value

    return pydantic.AfterValidator(run)


_STRICT = pydantic.ConfigDict(strict=True, extra="forbid", arbitrary_types_allowed=True)


@cache
def _shadow_typed_dict(typed_dict: type) -> Any:
    fields: dict[str, Any] = {}
    for key, tp in _hints(typed_dict).items():
        shadow = _shadow(tp, value_ok=False)
        required = key in required_keys(typed_dict)
        fields[key] = (
            typing_extensions.Required[shadow]
            if required
            else (typing_extensions.NotRequired[shadow])
        )
    make: Any = typing_extensions.TypedDict  # the functional form, with a computed name
    made = make(f"{typed_dict.__name__}Contract", fields)
    made.__pydantic_config__ = _STRICT
    return made


def _shadow(tp: Any, *, value_ok: bool) -> Any:
    """``tp`` as pydantic should check it: Outputs let through value inputs only, rules
    attached, TypedDicts strict, lists checked in pydantic's core."""
    tp, metadata = _unwrap(tp)
    validators = [_rule_validator(m) for m in metadata if isinstance(m, Rule)]
    inner = _is_input(tp)
    if inner is not None:
        shadow = _shadow(Annotated[inner, *metadata] if metadata else inner, value_ok=True)
        return Annotated[shadow, _VALUE_INPUT]
    origin = get_origin(tp)
    base: Any
    if typing.is_typeddict(tp):
        base = _shadow_typed_dict(tp)
    elif origin in (Sequence, list, tuple) or origin is typing.Sequence:
        base = Annotated[list[_shadow(get_args(tp)[0], value_ok=value_ok)], _LIST]  # type: ignore[misc]
    elif origin in (Mapping, dict) or origin is typing.Mapping:
        key, value = get_args(tp)
        base = dict[_shadow(key, value_ok=False), _shadow(value, value_ok=value_ok)]  # type: ignore[misc]
    elif origin in (Union, types.UnionType):
        base = Union[tuple(_shadow(a, value_ok=value_ok) for a in get_args(tp))]  # noqa: UP007
    elif origin is Literal or tp in (str, int, float, bool, type(None)) or tp is Any:
        base = tp
    elif isinstance(tp, type):
        base = pydantic.InstanceOf[tp]  # type: ignore[misc]
    else:
        base = tp
    if value_ok and tp is not Any:
        # Inside a value input (a mapping of Outputs, say) an Output may stand anywhere.
        return Annotated[base, *validators, _VALUE_INPUT]
    return Annotated[base, *validators] if validators else base


@cache
def _adapter(tp: Any) -> pydantic.TypeAdapter[Any]:
    return pydantic.TypeAdapter(_shadow(tp, value_ok=False))


def _problem(error: Mapping[str, Any], tp: Any, *, secret: bool = False) -> str:
    kind = error["type"]
    value = error.get("input")
    shown = SECRET_VALUE if secret else repr(value)
    context = error.get("ctx") or {}
    if kind == "rule":
        return f"is {shown}; {context['problem']}"
    if _is_deferred(value):
        plain = [m.alternative for m in _unwrap(tp)[1] if isinstance(m, Plain)] if tp else []
        return _structural_problem(plain[0] if plain else None)
    if kind == "extra_forbidden":
        return ""  # worded by the caller, which knows the valid keys
    if kind == "sequence_str":
        hint = f"[{shown}]" if secret else repr(_as_list_hint(value, tp))
        return f"is {shown}, a single string; it must be {describe(tp)} (a list: {hint})"
    if kind == "missing":
        return f"is missing; it is required: {describe(tp) if tp is not None else 'give it'}"
    kind_name = type(value).__name__
    article = "an" if kind_name[:1] in "aeiou" else "a"
    return f"is {shown} ({article} {kind_name}); it must be {describe(tp)}"


def _as_list_hint(value: Any, tp: Any) -> list[Any]:
    """The list a single string most likely meant: its comma-separated parts where each is a
    valid entry and the whole is not (``"5xx,reset"`` → ``["5xx", "reset"]``), else itself."""
    base = _unwrap(tp)[0] if tp is not None else None
    args = get_args(base) if base is not None else ()
    if not isinstance(value, str):
        return [value]
    parts = [part.strip() for part in value.split(",")]
    if len(args) != 1 or len(parts) < 2 or not all(parts):
        return [value]
    entry = _adapter(args[0])
    try:
        entry.validate_python(value)
    except pydantic.ValidationError:
        try:
            for part in parts:
                entry.validate_python(part)
        except pydantic.ValidationError:
            return [value]
        return parts
    return [value]


def _clean_loc(args_type: Any, loc: Path) -> Path:
    """pydantic's location, less the tags it adds for the member of a union it tried."""
    cleaned: list[str | int] = []
    tp = args_type
    for part in loc:
        base = _unwrap(tp)[0] if tp is not None else None
        base = _unwrap(_is_input(base) or base)[0] if base is not None else None
        if get_origin(base) in (Union, types.UnionType):
            members = [a for a in get_args(base) if a is not type(None)]
            tp = members[0] if len(members) == 1 else None
            if isinstance(part, str) and (part == "none" or "[" in part or "-" in part):
                continue
        cleaned.append(part)
        tp = declared_type(tp, (part,)) if tp is not None else None
    return tuple(cleaned)


def _as_error(
    component: str,
    args_type: Any,
    error: Mapping[str, Any],
    field_name: Callable[[Path], str],
    prefix: Path,
    *,
    secret: bool = False,
) -> ValidationError:
    loc: Path = _clean_loc(args_type, (*prefix, *(p for p in error["loc"] if p != "[key]")))
    if error["type"] == "extra_forbidden":
        parent = _unwrap(declared_type(args_type, loc[:-1]))[0]
        parent = _unwrap(_is_input(parent) or parent)[0]
        valid = list(_hints(parent)) if typing.is_typeddict(parent) else []
        names = [field_name((*loc[:-1], k)).rsplit(".", 1)[-1] for k in valid]
        typed = field_name(loc).rsplit(".", 1)[-1]
        return ValidationError(component, field_name(loc), unknown_key_problem(typed, names))
    declared = declared_type(args_type, loc)
    secret = secret or _is_sensitive(args_type, loc)
    problem = _problem(error, declared, secret=secret)
    hints = [m.text for m in _unwrap(declared)[1] if isinstance(m, Hint)]
    if hints and error["type"] != "rule" and not _is_deferred(error.get("input")):
        problem = f"{problem}. {hints[0]}"
    return ValidationError(component, field_name(loc), problem)


def _is_sensitive(args_type: Any, loc: Path) -> bool:
    """Whether the value at ``loc``, or anything it is part of, is declared :class:`Sensitive`."""
    for depth in range(len(loc) + 1):
        tp = declared_type(args_type, loc[:depth])
        while tp is not None:
            tp, metadata = _unwrap(tp)
            if any(isinstance(m, Sensitive) for m in metadata):
                return True
            inner = _is_input(tp)
            if inner is None:
                break
            tp = inner
    return False


def check(
    component: str,
    args_type: type[T],
    args: Any,
    *,
    field_name: Callable[[Path], str] = field_path,
) -> T:
    """``args`` checked against ``args_type``; raises :class:`ValidationError` on the first
    problem. Value inputs given as Outputs pass here; :func:`deferred` checks them once known.

    ``field_name`` turns a path into the name the user typed (stack config keys, say).
    """
    if args is None:
        args = {}
    try:
        _adapter(typing.cast(Any, args_type)).validate_python(args)
    except pydantic.ValidationError as err:
        raise _as_error(component, args_type, err.errors()[0], field_name, ()) from None
    return typing.cast(T, args)


def deferred(
    component: str,
    args_type: type[T],
    args: T,
    *,
    field_name: Callable[[Path], str] = field_path,
) -> T:
    """``args`` with each value-input Output wrapped to be checked against its declaration
    once known; the check fails the apply, so no resource gets the bad value.

    Call it last, once every other check has passed: a wrapped Output is already running.
    """
    return typing.cast(T, _defer(component, args_type, args, (), field_name))


def once_known(value: pulumi.Input[T], check: Callable[[T, bool], None]) -> pulumi.Output[T]:
    """``value`` as an Output that gives it only after ``check(known, secret)`` has passed.

    ``check`` raises :class:`ValidationError` on a bad value; ``secret`` says whether the
    value is a Pulumi secret, so that the message can leave it out
    (:data:`SECRET_VALUE`). Whatever takes the returned Output as an input is then never
    registered with a bad value: the SDK fails that registration with the error itself.
    While the value is unknown (a preview, before what makes it exists) nothing is checked.
    This is the one home of checks once known: :func:`deferred` runs the declared ones
    through it, and components run their rules across fields through it.
    """
    source = pulumi.Output.from_input(value)
    # Tasks, not bare coroutines: a coroutine nothing awaits (a registration that never
    # happens after an earlier error) would be reported as never awaited.
    secret: pulumi.Output[bool] = pulumi.Output.from_input(
        typing.cast(pulumi.Input[bool], asyncio.ensure_future(source.is_secret()))
    )

    def run(both: list[Any]) -> T:
        known, is_secret = both
        check(known, bool(is_secret))
        return typing.cast(T, known)

    return pulumi.Output.all(source, secret).apply(run)


def passed(checked: pulumi.Output[Any]) -> pulumi.Output[bool]:
    """``True`` once ``checked`` (an Output of :func:`once_known`) has passed its check, and
    failing with its error otherwise; with no dependencies, and never secret. It holds back a
    resource that must wait for a check without using the checked value, and gives that
    resource no dependency on whatever the value came from. While the value is unknown
    there is nothing to wait for."""

    async def wait() -> bool:
        await checked.future()  # raises the check's error; None while unknown
        return True

    return pulumi.Output.from_input(typing.cast(pulumi.Input[bool], asyncio.ensure_future(wait())))


def _defer(
    component: str, args_type: Any, value: Any, path: Path, field_name: Callable[[Path], str]
) -> Any:
    return _defer_at(component, args_type, args_type, value, path, field_name)


def _defer_at(
    component: str,
    args_type: Any,
    tp: Any,
    value: Any,
    path: Path,
    field_name: Callable[[Path], str],
) -> Any:
    """``value`` (declared ``tp``, at ``path``) with its value-input Outputs wrapped. Only the
    parts whose declaration holds a value input are walked: a list of a thousand host names
    costs nothing here."""
    if tp is None or not _holds_input(tp):
        return value
    inner = _is_input(_unwrap(tp)[0])
    if inner is not None:
        if not _is_deferred(value) or not _needs_check(inner):
            return value

        def check_known(known: Any, secret: bool) -> None:
            try:
                _adapter(inner).validate_python(known)
            except pydantic.ValidationError as err:
                error = dict(err.errors()[0])
                raise _as_error(
                    component, args_type, error, field_name, path, secret=secret
                ) from None

        return once_known(value, check_known)
    base = _config_type(tp)
    if isinstance(value, Mapping):
        hints = _hints(base) if typing.is_typeddict(base) else None
        item = None if hints is not None else declared_type(tp, ("*",))
        return {
            k: _defer_at(
                component, args_type, hints.get(k) if hints is not None else item, v,
                (*path, k), field_name,
            )
            for k, v in value.items()
        }  # fmt: skip
    if isinstance(value, list | tuple):
        item = declared_type(tp, (0,))
        return [
            _defer_at(component, args_type, item, v, (*path, i), field_name)
            for i, v in enumerate(value)
        ]
    return value


@cache
def _holds_input(tp: Any) -> bool:
    """Whether a value input is declared anywhere in ``tp``."""
    base, _ = _unwrap(tp)
    if _is_input(base) is not None:
        return True
    if typing.is_typeddict(base):
        return any(_holds_input(t) for t in _hints(base).values())
    return any(_holds_input(a) for a in get_args(base) if a is not Ellipsis)


@cache
def _needs_check(tp: Any) -> bool:
    """Whether a known value of ``tp`` can be wrong (anything but ``Any``)."""
    return _unwrap(tp)[0] is not Any


# ------------------------------------------------------------------------- the stack config


def camel(name: str) -> str:
    """``per_try_timeout`` → ``perTryTimeout``: how a field is spelt in stack config."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@cache
def _config_type(tp: Any) -> Any:
    tp = _unwrap(tp)[0]
    return _unwrap(_is_input(tp) or tp)[0]


def from_config(args_type: Any, value: Any) -> Any:
    """Stack-config data (camelCase keys) as the Args of ``args_type`` (snake_case keys).

    Keys are mapped through the declaration, so only declared fields are renamed: the keys
    of a mapping (labels, weights) stay as the user wrote them, and an unknown key is kept
    as written, to be refused with its config spelling.
    """
    tp = _config_type(args_type)
    origin = get_origin(tp)
    if typing.is_typeddict(tp) and isinstance(value, dict):
        hints = _hints(tp)
        by_config = {camel(field): field for field in hints}
        converted: dict[str, Any] = {}
        for key, item in value.items():
            field = by_config.get(key)
            converted[field or key] = from_config(hints[field], item) if field else item
        return converted
    if (origin in (Sequence, list) or origin is typing.Sequence) and isinstance(value, list):
        return [from_config(get_args(tp)[0], item) for item in value]
    if (origin in (Mapping, dict) or origin is typing.Mapping) and isinstance(value, dict):
        return {key: from_config(get_args(tp)[1], item) for key, item in value.items()}
    return value


@cache
def config_able(tp: Any) -> bool:
    """Whether stack config (YAML or JSON) can give a value of ``tp``: not when it holds a
    resource or another Python object anywhere (``depends_on``, say)."""
    tp = _config_type(tp)
    origin = get_origin(tp)
    if tp is Any or tp in (str, int, float, bool, type(None)) or origin is Literal:
        return True
    if typing.is_typeddict(tp):
        return all(config_able(t) for t in _hints(tp).values())
    if origin in (Sequence, list, tuple, Mapping, dict, Union, types.UnionType) or origin in (
        typing.Sequence,
        typing.Mapping,
    ):
        return all(config_able(a) for a in get_args(tp) if a is not Ellipsis)
    return False


def check_config_keys(
    component: str,
    args_type: Any,
    value: Any,
    prefix: str,
    *,
    hidden: frozenset[str] = frozenset(),
) -> None:
    """Refuse any key of stack-config data (camelCase, as typed) that ``args_type`` does not
    declare, at any depth, naming it as typed (``mesh-https:gateway.min_tls_version``) with
    the key meant suggested. ``hidden`` fields of the top level are not config keys.

    It runs before the values are checked, so a misspelt required key is reported as the
    unknown key it is, not as a missing one.
    """
    _check_keys(component, args_type, value, prefix, hidden)


def _check_keys(
    component: str, tp: Any, value: Any, where: str, hidden: frozenset[str] = frozenset()
) -> None:
    tp = _optional_member(_config_type(tp))
    origin = get_origin(tp)
    if typing.is_typeddict(tp) and isinstance(value, dict):
        fields = {camel(f): t for f, t in _hints(tp).items() if f not in hidden}
        for key, item in value.items():
            if key not in fields:
                problem = unknown_key_problem(str(key), list(fields))
                raise ValidationError(component, f"{where}.{key}", problem)
            _check_keys(component, fields[key], item, f"{where}.{key}")
    elif (origin in (Sequence, list) or origin is typing.Sequence) and isinstance(value, list):
        for i, item in enumerate(value):
            _check_keys(component, get_args(tp)[0], item, f"{where}[{i}]")
    elif (origin in (Mapping, dict) or origin is typing.Mapping) and isinstance(value, dict):
        for key, item in value.items():
            _check_keys(component, get_args(tp)[1], item, f"{where}.{key}")


def config_field_name(args_type: Any, prefix: str) -> Callable[[Path], str]:
    """Names a path under ``args_type`` as the stack-config key the user typed."""

    def name(path: Path) -> str:
        text, tp = prefix, args_type
        for part in path:
            current = _config_type(tp) if tp is not None else None
            if isinstance(part, int):
                text += f"[{part}]"
            elif current is not None and typing.is_typeddict(current):
                text += f".{camel(part)}"
            else:
                text += f".{part}"
            tp = declared_type(tp, (part,)) if tp is not None else None
        return text

    return name


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_field_path(text: str) -> Path:
    """``allow[0].methods`` → ``("allow", 0, "methods")``."""
    return tuple(int(index) if index else key for key, index in _PATH_PART.findall(text))
