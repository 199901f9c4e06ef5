"""Small helpers for nested Helm values, generated objects and plain outputs."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any, Generic, TypeVar

import pulumi

T = TypeVar("T")


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` laid over ``base``: maps merge key by key, anything else is replaced.

    Lists are replaced whole, as Helm does with values files.
    """
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def dig(values: Mapping[str, Any], *path: str) -> Any:
    """``values[a][b]…``, or ``None`` where any step is missing."""
    current: Any = values
    for key in path:
        if not isinstance(current, Mapping) or key not in current:
            return None
        current = current[key]
    return current


class _Now(Generic[T]):
    """An awaitable that is ready at once: no task, no coroutine left pending if unused."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, T]:
        return self.value
        yield  # never reached: it makes this a generator, as ``__await__`` must be


def known(value: T) -> pulumi.Output[T]:
    """``value``, plain data known now, as a single Output with no dependencies.

    ``Output.from_input`` walks nested lists and dicts and makes an Output (and a task) for
    every element; for a component's outputs, which are plain data, one is enough. A
    component that registers hundreds of times pays for the difference on every preview.
    """
    return pulumi.Output(set(), _Now(value), _Now(True))
