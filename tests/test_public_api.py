"""The public API: everything exported is documented, and every Args key has a docstring."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from conftest import ROOT

import mesh_https


def test_every_export_has_a_docstring() -> None:
    missing = [
        name
        for name in mesh_https.__all__
        if not inspect.getdoc(getattr(mesh_https, name)) and not name.isupper()
    ]
    assert missing == []


def test_components_use_the_index_token_and_accept_opts() -> None:
    import pulumi

    components = [
        getattr(mesh_https, n)
        for n in mesh_https.__all__
        if inspect.isclass(getattr(mesh_https, n))
        and issubclass(getattr(mesh_https, n), pulumi.ComponentResource)
    ]
    assert {c.__name__ for c in components} >= {
        "IstioInstall",
        "HttpsGateway",
        "CanaryRoute",
        "StrictMtls",
        "KindCluster",
        "ExistingCluster",
    }
    for component in components:
        source = inspect.getsource(component.__init__)
        assert f'"mesh-https:index:{component.__name__}"' in source
        assert "opts" in inspect.signature(component.__init__).parameters


def undocumented_keys(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    missing = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {getattr(b, "id", "") for b in node.bases}
        if not ("TypedDict" in bases or any(b.endswith("Args") for b in bases)):
            continue
        for i, stmt in enumerate(node.body):
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                following = node.body[i + 1] if i + 1 < len(node.body) else None
                documented = (
                    isinstance(following, ast.Expr)
                    and isinstance(following.value, ast.Constant)
                    and isinstance(following.value.value, str)
                )
                if not documented:
                    missing.append(f"{path.name}:{stmt.lineno} {node.name}.{stmt.target.id}")
    return missing


def test_every_args_key_has_a_docstring() -> None:
    missing = [m for p in sorted((ROOT / "mesh_https").rglob("*.py")) for m in undocumented_keys(p)]
    assert missing == []
