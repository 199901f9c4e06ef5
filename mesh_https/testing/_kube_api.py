"""A small client for a real Kubernetes API server: server-side apply, get, delete.

Only the standard library: one HTTPS connection (kept open, re-opened when the server closes
it), bearer-token authentication, and the API server's own discovery documents to find where
a kind lives. Written for tests against a real kube-apiserver, so every refusal keeps the
server's own status, reason and message.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import urllib.parse
from typing import Any

__all__ = ["KubeApi", "KubeApiError"]


class KubeApiError(Exception):
    """The API server refused a request.

    ``status`` is the HTTP status, ``reason`` the Status object's reason (``NotFound``,
    ``Invalid``, ``BadRequest``, ...), ``message`` the server's message, and ``causes`` the
    Status details' causes (field validation names each offending field there).
    """

    def __init__(
        self,
        status: int,
        reason: str,
        message: str,
        causes: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message
        self.causes: list[dict[str, Any]] = list(causes or [])


class _Resource:
    """Where one kind lives: its plural resource name and whether it is namespaced."""

    __slots__ = ("name", "namespaced")

    def __init__(self, name: str, namespaced: bool) -> None:
        self.name = name
        self.namespaced = namespaced


class KubeApi:
    """A client for one API server at ``url`` (``https://127.0.0.1:PORT``).

    ``token`` is sent as a bearer token; ``ca_file`` is the PEM of the CA that signed the
    server's certificate (``None`` uses the system's trust store). Safe to share between
    threads: requests are serialised on the one connection.

    :attr:`warnings` collects the server's ``Warning`` headers (deprecated API versions,
    fields it would drop), each as ``(method, path, text)``, in the order they came.
    """

    def __init__(self, url: str, token: str, ca_file: str | None) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError(f"KubeApi needs an https:// URL with a host, not {url!r}")
        self.url = url.rstrip("/")
        self._host = parts.hostname
        self._port = parts.port or 443
        self._token = token
        self._context = ssl.create_default_context(cafile=ca_file)
        self._lock = threading.Lock()
        self._connection: http.client.HTTPSConnection | None = None
        self._resources: dict[tuple[str, str], _Resource] = {}
        self.warnings: list[tuple[str, str, str]] = []

    # -- requests -----------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        query: dict[str, str] | None = None,
    ) -> Any:
        """Send one request; return the decoded JSON answer (``None`` for an empty one, the
        text for one that is not JSON).

        Raises :class:`KubeApiError` with the server's Status for any answer >= 400.
        """
        if query:
            path = f"{path}?{urllib.parse.urlencode(query)}"
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type
        with self._lock:
            status, raw, warnings = self._send(method, path, data, headers)
            self.warnings += [(method, path, text) for text in warnings]
        try:
            payload: Any = json.loads(raw) if raw else None
        except ValueError:
            # Health endpoints (/readyz, /livez) answer in plain text.
            payload = raw.decode(errors="replace")
        if status >= 400:
            if isinstance(payload, dict) and payload.get("kind") == "Status":
                details = payload.get("details") or {}
                raise KubeApiError(
                    status,
                    str(payload.get("reason", "")),
                    str(payload.get("message", "")),
                    list(details.get("causes") or []),
                )
            raise KubeApiError(status, "", str(payload))
        return payload

    def _send(
        self, method: str, path: str, data: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes, list[str]]:
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPSConnection(
                    self._host, self._port, context=self._context, timeout=60
                )
            try:
                self._connection.request(method, path, body=data, headers=headers)
                response = self._connection.getresponse()
                # RFC 7234 warnings: "299 - \"text\"".
                warnings = [
                    w.split(" ", 2)[-1].strip('"')
                    for w in response.headers.get_all("Warning") or []
                ]
                return response.status, response.read(), warnings
            except (http.client.HTTPException, OSError):
                # A kept-alive connection the server closed (an EOF, a reset, a TLS close
                # alert) leaves http.client unable to send again: open a new one, once.
                self._connection.close()
                self._connection = None
                if attempt == 2:
                    raise
            except BaseException:
                self._connection.close()
                self._connection = None
                raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the connection (a later request opens a new one)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    # -- discovery ----------------------------------------------------------------------

    def _resource(self, api_version: str, kind: str) -> _Resource:
        key = (api_version, kind)
        found = self._resources.get(key)
        if found is not None:
            return found
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        try:
            listing = self.request("GET", base)
        except KubeApiError as error:
            if error.status == 404:
                raise KubeApiError(
                    404, "NotFound", f"the server does not serve {api_version}"
                ) from error
            raise
        for entry in listing.get("resources", []):
            if "/" not in entry["name"]:
                self._resources[(api_version, entry["kind"])] = _Resource(
                    entry["name"], bool(entry["namespaced"])
                )
        found = self._resources.get(key)
        if found is None:
            # Not cached: a kind a CRD adds later is found by the next look-up.
            raise KubeApiError(404, "NotFound", f"{api_version} has no kind {kind}")
        return found

    def served(self, api_version: str, kind: str) -> bool:
        """Whether the server serves ``kind`` at ``api_version`` (per its discovery)."""
        try:
            self._resource(api_version, kind)
        except KubeApiError as error:
            if error.status == 404:
                return False
            raise
        return True

    def namespaced(self, api_version: str, kind: str) -> bool:
        """Whether ``kind`` at ``api_version`` lives in namespaces (per the server's discovery)."""
        return self._resource(api_version, kind).namespaced

    def resource_path(
        self, api_version: str, kind: str, name: str | None, namespace: str | None
    ) -> str:
        """The URL path of one object (or, with ``name=None``, of the collection)."""
        resource = self._resource(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if resource.namespaced:
            if not namespace:
                raise ValueError(f"{kind} is namespaced: give a namespace")
            base = f"{base}/namespaces/{urllib.parse.quote(namespace, safe='')}"
        path = f"{base}/{resource.name}"
        if name is not None:
            path = f"{path}/{urllib.parse.quote(name, safe='')}"
        return path

    # -- objects ------------------------------------------------------------------------

    def apply(
        self,
        manifest: dict[str, Any],
        *,
        field_manager: str = "mesh-https",
        force: bool = True,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """Server-side apply ``manifest``; return the object as the server has (or would have) it.

        Sent as ``application/apply-patch+yaml`` with ``fieldValidation=Strict``, so a field
        the schema does not have is refused, not dropped. ``dry_run`` runs every admission
        and validation step without storing anything.
        """
        metadata = manifest.get("metadata") or {}
        path = self.resource_path(
            manifest["apiVersion"], manifest["kind"], metadata["name"], metadata.get("namespace")
        )
        query = {"fieldManager": field_manager, "fieldValidation": "Strict"}
        if force:
            query["force"] = "true"
        if dry_run:
            query["dryRun"] = "All"
        answer: dict[str, Any] = self.request(
            "PATCH", path, manifest, content_type="application/apply-patch+yaml", query=query
        )
        return answer

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        """The object, or ``None`` when the server has none by that name."""
        try:
            answer: dict[str, Any] = self.request(
                "GET", self.resource_path(api_version, kind, name, namespace)
            )
        except KubeApiError as error:
            if error.status == 404 and error.reason == "NotFound":
                return None
            raise
        return answer

    def list_objects(
        self, api_version: str, kind: str, namespace: str | None = None
    ) -> list[dict[str, Any]]:
        """Every object of ``kind`` (in ``namespace``, for a namespaced kind)."""
        answer = self.request("GET", self.resource_path(api_version, kind, None, namespace))
        items: list[dict[str, Any]] = answer.get("items", [])
        return items

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        missing_ok: bool = False,
    ) -> None:
        """Delete one object (background propagation: a garbage collector, where one runs,
        removes its dependents afterwards; foreground deletion would wait for one forever).

        A missing object raises :class:`KubeApiError` (404) unless ``missing_ok``. Without a
        controller manager, a Namespace stays ``Terminating``: the namespace controller is
        what empties and removes it.
        """
        try:
            self.request(
                "DELETE",
                self.resource_path(api_version, kind, name, namespace),
                {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"},
            )
        except KubeApiError as error:
            if missing_ok and error.status == 404:
                return
            raise
