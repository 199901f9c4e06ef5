"""The provider the plugin serves: the component host's own provider, with input errors
reported as input errors.

The host (``ComponentProvider``) turns any exception a component raises into a failure that
carries a Python traceback, which another language's user would see after the message. A
:class:`~mesh_https.validation.ValidationError` is a mistake in the program's inputs, so it
is reported instead as the engine's invalid-inputs error: the message, and the property it
is about, with no traceback. The schema and everything else are the host's.
"""

from __future__ import annotations

import pulumi
from pulumi.errors import InputPropertiesError, InputPropertyErrorDetails
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.provider import ConstructResult
from pulumi.provider.server import ComponentInitError

from mesh_https.validation import ValidationError


class MeshComponentProvider(ComponentProvider):
    """``ComponentProvider`` for the hosted components, with clean input errors."""

    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: pulumi.ResourceOptions | None = None,
    ) -> ConstructResult:
        try:
            return super().construct(name, resource_type, inputs, options)
        except ComponentInitError as error:
            inner = error.inner
            if not isinstance(inner, ValidationError):
                raise
            detail: InputPropertyErrorDetails = {
                "property_path": inner.field,
                "reason": inner.problem,
            }
            raise InputPropertiesError(str(inner), [detail]) from None


def provider(package: str, version: str) -> MeshComponentProvider:
    """The provider for every hosted component, as the plugin serves it."""
    from mesh_https.provider.hosted import COMPONENTS

    return MeshComponentProvider(list(COMPONENTS), package, version=version)
