"""The mesh-https test kit: test Pulumi programs offline, ours and yours.

- :class:`MockSession` isolates one run: a fresh event loop and root stack, recording mocks,
  stack config. :func:`run` runs a whole program in one.
- :class:`MeshMocks` records every registration and turns pulumi-tls inputs into real keys
  and certificates, so tests can make real TLS handshakes with what the program asked for.
- :class:`GatewayTlsServer` serves a recorded Istio Gateway's certificates and TLS settings
  on 127.0.0.1, and :func:`handshake` connects to it: real handshakes, in-process.
- :class:`Recording` finds what was registered (by type, kind, name, namespace) and answers
  whether one resource was registered with a dependency on another.
- :class:`KubeApi` talks to a real Kubernetes API server (server-side apply with strict field
  validation, dry runs, get, delete); :class:`KubeApiError` carries the server's refusal.
  ``MeshMocks(kube=api)`` answers every Kubernetes registration from that server, and
  :func:`apply_latest` / :func:`delete_earliest` replay a :class:`Recording` on it in the
  most adversarial orders its dependency edges allow (:class:`KubeStepError` on a refusal).
- The ``mesh_session`` pytest fixture (``pytest_plugins = ["mesh_https.testing.pytest_plugin"]``)
  hands each test its own :class:`MockSession`.
"""

from mesh_https.testing._handshake import (
    GatewayTlsServer,
    HandshakeResult,
    Listener,
    handshake,
    listeners,
    secret_data,
)
from mesh_https.testing._kube_api import KubeApi, KubeApiError
from mesh_https.testing._kube_mode import (
    AppliedObject,
    KubeStepError,
    apply_latest,
    delete_earliest,
    dependency_closure,
    earliest_delete_order,
    goes_to_server,
    latest_apply_order,
)
from mesh_https.testing._mocks import Handler, MeshMocks, RecordingMonitor, wrap_secret
from mesh_https.testing._recording import RecordedResource, Recording
from mesh_https.testing._session import MockSession, Resolved, run

__all__ = [
    "AppliedObject",
    "GatewayTlsServer",
    "Handler",
    "HandshakeResult",
    "KubeApi",
    "KubeApiError",
    "KubeStepError",
    "Listener",
    "MeshMocks",
    "MockSession",
    "RecordedResource",
    "Recording",
    "RecordingMonitor",
    "Resolved",
    "apply_latest",
    "delete_earliest",
    "dependency_closure",
    "earliest_delete_order",
    "goes_to_server",
    "handshake",
    "latest_apply_order",
    "listeners",
    "run",
    "secret_data",
    "wrap_secret",
]
