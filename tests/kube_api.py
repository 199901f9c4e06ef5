"""A fake Kubernetes API server, just enough for a real ``kubectl get svc`` to run against.

It serves discovery (``/version``, ``/api``, ``/apis``, ``/api/v1``) and the Service list of
one namespace, so a command's kubectl part (its jsonpath, its label selector) runs through
the real kubectl. Used as a context manager; :attr:`kubeconfig` is a file to point
``KUBECONFIG`` at, and :attr:`requests` the paths kubectl asked for.
"""

from __future__ import annotations

import json
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


class FakeKubeApi:
    def __init__(self, namespace: str, services: list[dict[str, Any]]) -> None:
        self.namespace = namespace
        self.services = services
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_GET(self) -> None:
                fake.requests.append(self.path)
                status, body = fake.answer(self.path)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._dir = tempfile.TemporaryDirectory()
        self.kubeconfig = Path(self._dir.name) / "config"
        port = self._server.server_address[1]
        self.kubeconfig.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {"name": "fake", "cluster": {"server": f"http://127.0.0.1:{port}"}}
                    ],
                    "contexts": [{"name": "fake", "context": {"cluster": "fake"}}],
                    "current-context": "fake",
                    "users": [],
                }
            )
        )

    def answer(self, raw_path: str) -> tuple[int, dict[str, Any]]:
        url = urlsplit(raw_path)
        if url.path == "/version":
            return 200, {"major": "1", "minor": "33", "gitVersion": "v1.33.0"}
        if url.path == "/api":
            return 200, {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [],
            }
        if url.path == "/apis":
            return 200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}
        if url.path == "/api/v1":
            service = {
                "name": "services",
                "singularName": "service",
                "namespaced": True,
                "kind": "Service",
                "verbs": ["get", "list"],
                "shortNames": ["svc"],
            }
            return 200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": [service]}
        if url.path == f"/api/v1/namespaces/{self.namespace}/services":
            selector = parse_qs(url.query).get("labelSelector", [""])[0]
            wanted = dict(term.split("=", 1) for term in selector.split(",") if term)
            items = [
                {"kind": "Service", "apiVersion": "v1", **svc}
                for svc in self.services
                if wanted.items() <= svc["metadata"].get("labels", {}).items()
            ]
            return 200, {"kind": "ServiceList", "apiVersion": "v1", "metadata": {}, "items": items}
        return 404, {"kind": "Status", "status": "Failure", "code": 404}

    def __enter__(self) -> FakeKubeApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._dir.cleanup()
