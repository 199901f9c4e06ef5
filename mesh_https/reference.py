"""Reference tables of inputs, generated from the Args declarations.

The README's input tables are written from these between markers
(``<!-- reference:NAME -->`` … ``<!-- /reference -->``), so they cannot drift from the
declarations: ``scripts/update-readme.py`` rewrites them, and the test suite fails when they
are out of date. Each row gives the field, whether it is structural
(a plain value) or a value input (an Output is accepted), its type and its docstring.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
import typing
from collections.abc import Callable, Mapping
from typing import Any

from mesh_https import contract

_BLOCK = re.compile(r"(<!-- reference:(?P<name>[\w.:-]+) -->\n).*?(<!-- /reference -->)", re.S)


def field_docs(typed_dict: type) -> dict[str, str]:
    """The docstring under each field of ``typed_dict`` (or of a component or dataclass: its
    annotated attributes) and of the package's classes it extends."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(typed_dict)))
    node = tree.body[0]
    if not isinstance(node, ast.ClassDef):
        return {}
    docs: dict[str, str] = {}
    namespace = vars(sys.modules[typed_dict.__module__])
    for base in node.bases:
        # A base is named in the source (``KindClusterArgs``, ``pki.ValidityArgs``).
        resolved = _resolve(ast.unparse(base), namespace)
        if isinstance(resolved, type) and (
            typing.is_typeddict(resolved) or resolved.__module__.startswith("mesh_https")
        ):
            docs.update(field_docs(resolved))
    for item, following in zip(node.body, [*node.body[1:], None], strict=True):
        if (
            isinstance(item, ast.AnnAssign)
            and isinstance(item.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[item.target.id] = inspect.cleandoc(following.value.value)
    return docs


def _resolve(dotted: str, namespace: Mapping[str, Any]) -> Any:
    head, *rest = dotted.split(".")
    value = namespace.get(head)
    for part in rest:
        value = getattr(value, part, None)
    return value


def _meaning(doc: str) -> str:
    return " ".join(doc.split()).replace("|", "\\|")


def _type_name(tp: Any, key_name: Callable[[str], str] = str) -> str:
    return contract.describe(tp, key_name).replace("|", "\\|")


def table(args_type: type, name: Callable[[str], str] = lambda field: f"`{field}`") -> str:
    """A Markdown table of ``args_type``'s fields: name, kind, type and meaning."""
    docs = field_docs(args_type)
    required = contract.required_keys(args_type)
    rows = ["| input | kind | type | meaning |", "|---|---|---|---|"]
    for field, tp in contract.field_types(args_type).items():
        kind = "value" if contract.is_value_input(tp) else "structural"
        mark = " (required)" if field in required else ""
        rows.append(
            f"| {name(field)}{mark} | {kind} | {_type_name(tp)} | {_meaning(docs.get(field, ''))} |"
        )
    return "\n".join(rows) + "\n"


def config_table(args_type: type, hidden: frozenset[str]) -> str:
    """A Markdown table of a stack-config section: camelCase keys, types and meaning; the
    ``hidden`` fields (filled in by the program, or not expressible in YAML) are left out."""
    docs = field_docs(args_type)
    rows = ["| key | type | meaning |", "|---|---|---|"]
    for field, tp in contract.field_types(args_type).items():
        if field in hidden:
            continue
        rows.append(
            f"| `{contract.camel(field)}` | {_type_name(tp, contract.camel)} | "
            f"{_meaning(docs.get(field, ''))} |"
        )
    return "\n".join(rows) + "\n"


def package_blocks() -> dict[str, str]:
    """A table for every public Args declaration, by its name."""
    import mesh_https

    found: dict[str, str] = {}
    for name in mesh_https.__all__:
        obj = getattr(mesh_https, name)
        if isinstance(obj, type) and typing.is_typeddict(obj) and name.endswith("Args"):
            found[name] = table(obj)
    return found


def render(text: str, generated: Mapping[str, str]) -> str:
    """``text`` with every marked block replaced by its generated table."""

    def replace(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in generated:
            raise KeyError(f"no generated reference named {name!r}")
        return match.group(1) + generated[name] + match.group(3)

    return _BLOCK.sub(replace, text)
