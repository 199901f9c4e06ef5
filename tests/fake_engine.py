"""The engine's gRPC side, standing in for it so the provider plugin can run as a real process:
a resource monitor (the test kit's recording mocks behind a gRPC server, so children get the
same outputs, TLS material included, as under ``MockSession``) and an engine service that
takes logs."""

from __future__ import annotations

import threading
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, resource_pb2, resource_pb2_grpc

from mesh_https.testing import MeshMocks, Recording
from mesh_https.testing._mocks import RecordingMonitor


class FakeEngine(resource_pb2_grpc.ResourceMonitorServicer, engine_pb2_grpc.EngineServicer):  # type: ignore[misc]
    """Serves on ``address`` until :meth:`stop`; what was registered is in ``recording``.

    Create it inside a ``MockSession`` with the same project and stack as the Construct
    request: the mock monitor names URNs after the session's."""

    def __init__(self) -> None:
        self.recording = Recording()
        self.logs: list[str] = []
        self._monitor = RecordingMonitor(MeshMocks(), self.recording)
        self._lock = threading.Lock()
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        resource_pb2_grpc.add_ResourceMonitorServicer_to_server(self, self._server)
        engine_pb2_grpc.add_EngineServicer_to_server(self, self._server)
        self.address = f"127.0.0.1:{self._server.add_insecure_port('127.0.0.1:0')}"
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None)

    def _call(self, method: str, request: Any) -> Any:
        with self._lock:
            return getattr(self._monitor, method)(request)

    # ---------------------------------------------------------------------------- monitor

    def GetDeploymentInfo(self, request: Any, context: Any) -> Any:
        return self._call("GetDeploymentInfo", request)

    def SupportsFeature(self, request: Any, context: Any) -> Any:
        supported = self._call("SupportsFeature", request).hasSupport
        return resource_pb2.SupportsFeatureResponse(hasSupport=supported)

    def RegisterResource(self, request: Any, context: Any) -> Any:
        return self._call("RegisterResource", request)

    def RegisterResourceOutputs(self, request: Any, context: Any) -> Any:
        return self._call("RegisterResourceOutputs", request)

    def Invoke(self, request: Any, context: Any) -> Any:
        return self._call("Invoke", request)

    # ----------------------------------------------------------------------------- engine

    def Log(self, request: Any, context: Any) -> Any:
        with self._lock:
            self.logs.append(request.message)
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.GetRootResourceResponse(urn="")

    def SetRootResource(self, request: Any, context: Any) -> Any:
        return engine_pb2.SetRootResourceResponse()
