"""mesh-https as a Pulumi package for every language.

Pulumi's component provider host (``pulumi.provider.experimental``) serves the components in
:mod:`mesh_https.provider.hosted` to TypeScript, Go, .NET, Java and YAML programs, which add
the package with ``pulumi package add``; the plugin's entry point is ``provider/__main__.py``.

- :func:`serve` runs the provider (what the entry point calls), the host's own with input
  errors reported as such (:mod:`mesh_https.provider.host`);
- :func:`schema` is the package schema the provider serves, inferred in-process by the
  host's own code, exactly as ``GetSchema`` returns it.
"""

from __future__ import annotations

import json
from importlib import metadata
from typing import Any

PACKAGE = "mesh-https"
"""The package name: resource types are ``mesh-https:index:<Component>``."""


def version() -> str:
    """The installed mesh-https version, which the provider reports."""
    return metadata.version("mesh-https")


def schema() -> dict[str, Any]:
    """The package schema, as the provider's ``GetSchema`` serves it."""
    from mesh_https.provider.host import provider

    served = provider(PACKAGE, version()).schema
    assert served is not None
    parsed: dict[str, Any] = json.loads(served)
    return parsed


def schema_text() -> str:
    """:func:`schema` as the golden file holds it: indented, keys sorted."""
    return json.dumps(schema(), indent=2, sort_keys=True) + "\n"


def serve() -> None:
    """Run the provider for the engine (reads the engine's address from ``sys.argv``), as
    ``component_provider_host`` does, with :class:`~mesh_https.provider.host.MeshComponentProvider`
    so that input errors reach the engine without a traceback."""
    import sys

    from pulumi.provider import main

    from mesh_https.provider.host import provider

    main(provider(PACKAGE, version()), sys.argv[1:])
