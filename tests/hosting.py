"""Calling the provider's ``Construct`` in-process, as the engine would, under the test kit's
mocks: what the tests of the hosted components and of the other-language examples share."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from unittest import mock

import grpc
import pulumi
from conftest import ROOT
from fake_engine import FakeEngine
from google.protobuf import struct_pb2
from pulumi.provider.server import ProviderServicer
from pulumi.runtime import proto, rpc, settings
from pulumi.runtime.proto import provider_pb2_grpc

from mesh_https.provider import PACKAGE
from mesh_https.provider.host import provider
from mesh_https.testing import MockSession, Recording


def _struct(
    inputs: Mapping[str, Any], session: MockSession
) -> tuple[struct_pb2.Struct, dict[str, Any]]:
    """The inputs as a program in another language sends them: Outputs as output values."""
    deps: dict[str, list[pulumi.Resource]] = {}

    async def serialize() -> Any:
        return await rpc.serialize_properties(inputs, deps, keep_output_values=True)

    # As an SDK sends them to an engine that takes output values: Outputs stay Outputs.
    with mock.patch.object(settings, "monitor_supports_feature", lambda _feature: True):
        struct = session.loop.run_until_complete(serialize())
    urns = {
        key: proto.ConstructRequest.PropertyDependencies(
            urns=[session.value(r.urn) for r in resources]
        )
        for key, resources in deps.items()
    }
    return struct, urns


class Refused(Exception):
    """The engine's view of a Construct the provider aborted."""


class _Context:
    """The part of a gRPC servicer context ``Construct`` uses: aborting with a status."""

    async def abort_with_status(self, status: Any) -> None:
        details = b"".join(value for _, value in status.trailing_metadata)
        raise Refused(details.decode(errors="replace"))


def construct_request(
    component: str, name: str, inputs: struct_pb2.Struct, **more: Any
) -> proto.ConstructRequest:
    """A ConstructRequest for a component of the package, in project ``project`` and stack
    ``stack`` (the test kit's defaults), from a program that takes output values."""
    return proto.ConstructRequest(
        project="project",
        stack="stack",
        organization="organization",
        type=f"{PACKAGE}:index:{component}",
        name=name,
        inputs=inputs,
        accepts_output_values=True,
        **more,
    )


@contextlib.contextmanager
def process(path: Path, *args: str) -> Iterator[grpc.Channel]:
    """A plugin directory run as the CLI runs it (``python <dir> <args>``): a channel to the
    port it prints; the process is killed on exit."""
    plugin = subprocess.Popen(
        [sys.executable, str(path), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert plugin.stdout is not None
        port = int(plugin.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield channel
    finally:
        plugin.kill()
        plugin.wait(timeout=30)


STACK_URN = "urn:pulumi:stack::project::pulumi:pulumi:Stack::project-stack"


def construct_in_plugin(component: str, name: str, inputs: dict[str, Any]) -> tuple[Any, Recording]:
    """``Construct`` sent over gRPC to the plugin process started as the CLI starts it, its
    children registered with a stand-in engine over gRPC: nothing in the path is patched.
    Call it inside a ``MockSession``: the stand-in engine names URNs after its stack."""
    engine = FakeEngine()
    struct = struct_pb2.Struct()
    struct.update(inputs)
    try:
        with process(ROOT / "provider", engine.address) as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            request = construct_request(
                component, name, struct, parent=STACK_URN, monitorEndpoint=engine.address
            )
            response = stub.Construct(request, timeout=120)
    finally:
        engine.stop()
    return response, engine.recording


def construct(
    session: MockSession,
    component: str,
    name: str,
    inputs: Mapping[str, Any],
    depends_on: list[pulumi.Resource] | None = None,
) -> dict[str, Any]:
    """Call the provider's ``Construct`` as the engine does; returns the component's state."""
    return construct_response(session, component, name, inputs, depends_on)[1]


def construct_response(
    session: MockSession,
    component: str,
    name: str,
    inputs: Mapping[str, Any],
    depends_on: list[pulumi.Resource] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Call the provider's ``Construct`` as the engine does: the component's URN and state.

    ``ProviderServicer._construct`` first points the runtime at the engine's monitor
    (``settings.reset_options(monitor_address=request.monitorEndpoint)``), which would replace
    the mock monitor: that one call is the part left out."""
    servicer = ProviderServicer(provider(PACKAGE, "0.0.0"), [], engine_address="")
    struct, input_dependencies = _struct(inputs, session)
    request = construct_request(
        component,
        name,
        struct,
        inputDependencies=input_dependencies,
        dependencies=[session.value(r.urn) for r in depends_on or []],
    )

    async def call() -> Any:
        with mock.patch.object(settings, "reset_options", lambda **_: None):
            return await servicer.Construct(request, _Context())

    response = session.loop.run_until_complete(call())
    state: dict[str, Any] = rpc.deserialize_properties(response.state)
    return response.urn, state
