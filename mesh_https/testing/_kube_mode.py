"""Kubernetes registrations answered by a real API server, and recorded runs replayed on one.

Two ways to put what a program emits in front of a kube-apiserver:

- **At registration time** (``MeshMocks(kube=api)``): each Kubernetes object the program
  registers is server-side applied when the engine registers it, with our field manager, and
  the server's object (defaults, ``uid``, ``resourceVersion``) becomes the resource's outputs.
  The engine's order already follows ``depends_on``, so this is the order ``pulumi up`` takes.
- **Replayed from a recording**: :func:`apply_latest` applies a :class:`Recording`'s objects in
  the *latest* order its dependency edges allow, :func:`delete_earliest` deletes them in the
  *earliest*. Those orders are adversarial: an object is applied only right before the first
  object that depends on it (so a Namespace nothing depends on is applied last), and deleted
  as soon as nothing left depends on it. An edge the program forgot then fails on the server.

Helm releases, the Gateway API CRD manifest (``yaml/v2:ConfigFile``), pulumi-tls and cloud
resources stay mocked: the server already has the Istio and Gateway API CRDs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from mesh_https.testing._recording import RecordedResource, Recording

FIELD_MANAGER = "mesh-https"
"""The field manager our server-side applies use (the Kubernetes provider's role)."""

MOCKED_KUBE_TYPES = frozenset(
    {
        "kubernetes:helm.sh/v3:Release",
        "kubernetes:helm.sh/v4:Chart",
        "kubernetes:yaml/v2:ConfigFile",
        "kubernetes:yaml/v2:ConfigGroup",
    }
)
"""Kubernetes types that stay mocked in the real-server mode."""

KUBE_SECRET_KEYS: Mapping[str, tuple[str, ...]] = {"Secret": ("data", "stringData")}
"""Output keys the Kubernetes provider marks secret, by kind."""


class KubeClient(Protocol):
    """What this module needs of a Kubernetes API client (``mesh_https.testing.KubeApi``)."""

    def apply(
        self,
        manifest: dict[str, Any],
        *,
        field_manager: str = ...,
        force: bool = ...,
        dry_run: bool = ...,
    ) -> dict[str, Any]:
        """Server-side apply; the server's object."""
        ...

    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        """The object, or ``None`` where there is none."""
        ...

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> None:
        """Delete the object."""
        ...


class KubeStepError(AssertionError):
    """A step of a real-server run was refused: which step, which object, the server's words."""


def goes_to_server(resource: RecordedResource) -> bool:
    """Whether this registration is a Kubernetes object the real-server mode applies."""
    return (
        resource.custom
        and resource.type.startswith("kubernetes:")
        and resource.type not in MOCKED_KUBE_TYPES
        and resource.kind is not None
        and resource.api_version is not None
    )


def plain_numbers(value: Any) -> Any:
    """``value`` with whole floats made ints again (the wire turns 443 into 443.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {k: plain_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_numbers(v) for v in value]
    return value


def auto_name(resource_name: str) -> str:
    """The stable name the test kit gives an object registered without ``metadata.name``."""
    return f"{resource_name}-{hashlib.sha256(resource_name.encode()).hexdigest()[:8]}"


def manifest_of(resource_name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest to apply for a registration's (secret-unwrapped) inputs."""
    manifest: dict[str, Any] = plain_numbers(dict(inputs))
    metadata = dict(manifest.get("metadata") or {})
    metadata.setdefault("name", auto_name(resource_name))
    manifest["metadata"] = metadata
    return manifest


def describe(manifest: Mapping[str, Any]) -> str:
    """``"<kind> <namespace>/<name>"`` (or ``"<kind> <name>"``) for messages."""
    meta = manifest.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{manifest.get('kind')} {where}{meta.get('name')}"


def server_message(err: BaseException) -> str:
    """A client error as ``"<status> <reason>: <message>"`` where it carries them."""
    status, reason, message = (getattr(err, key, None) for key in ("status", "reason", "message"))
    if status is None:
        return str(err)
    return f"{status} {reason}: {message}"


def apply_object(
    kube: KubeClient, manifest: dict[str, Any], *, step: str = "apply"
) -> dict[str, Any]:
    """Server-side apply ``manifest`` with our field manager; a refusal is a
    :class:`KubeStepError` naming the object and quoting the server."""
    try:
        return kube.apply(manifest, field_manager=FIELD_MANAGER, force=True)
    except KubeStepError:
        raise
    except Exception as err:  # the client's error type; its words are kept
        raise KubeStepError(f"{step} {describe(manifest)}: {server_message(err)}") from err


# --- orders -------------------------------------------------------------------------------


def _edges(resource: RecordedResource) -> set[str]:
    edges = set(resource.dependencies)
    for urns in resource.property_dependencies.values():
        edges.update(urns)
    return edges


def dependency_closure(recording: Recording) -> dict[str, set[str]]:
    """Every resource's transitive dependencies (URNs), through every recorded edge.

    Edges go through resources that stay mocked too (a Secret behind istiod behind a Helm
    release behind a Namespace is after that Namespace).
    """
    by_urn = {r.urn: r for r in recording}
    closure: dict[str, set[str]] = {}

    def after(urn: str) -> set[str]:
        if urn not in closure:
            closure[urn] = set()  # a DAG; this also stops a cycle from recursing
            direct = _edges(by_urn[urn]) if urn in by_urn else set()
            found = set(direct)
            for dep in direct:
                found |= after(dep)
            closure[urn] = found
        return closure[urn]

    for r in recording:
        after(r.urn)
    return closure


def _teardown_sequence(recording: Recording) -> list[RecordedResource]:
    """The server-bound objects, each as soon as nothing left depends on it.

    Taken from the end: an object becomes free once every object depending on it (through
    any chain of edges) is taken, and the one freed most recently is taken next, so each
    object follows its last dependent immediately. Ties go to a Namespace first (so it is
    applied as late as its edges allow: an object that forgot its edge to it then fails),
    then to the object registered first: programs register what others need first, so that
    is the adversarial choice.
    """
    objects = [r for r in recording if goes_to_server(r)]
    position = {r.urn: i for i, r in enumerate(objects)}
    closure = dependency_closure(recording)
    deps = {r.urn: closure[r.urn] & position.keys() for r in objects}
    waiting = dict.fromkeys(position, 0)
    for urn in position:
        for dep in deps[urn]:
            waiting[dep] += 1

    def tie(urn: str) -> tuple[bool, int]:
        return (objects[position[urn]].kind != "Namespace", position[urn])

    stack = sorted((u for u, n in waiting.items() if n == 0), key=tie)
    stack.reverse()  # the first to take on top
    taken: list[RecordedResource] = []
    while stack:
        urn = stack.pop()
        taken.append(objects[position[urn]])
        freed = []
        for dep in deps[urn]:
            waiting[dep] -= 1
            if waiting[dep] == 0:
                freed.append(dep)
        stack.extend(sorted(freed, key=tie, reverse=True))
    if len(taken) != len(objects):
        stuck = sorted(r.name for r in objects if waiting[r.urn] > 0)
        raise KubeStepError(f"the recorded edges form a cycle through {stuck}")
    return taken


def latest_apply_order(recording: Recording) -> list[RecordedResource]:
    """The server-bound objects in the latest order the recorded edges allow.

    Each object comes right before the first object that depends on it; one nothing
    depends on (a Namespace whose contents forgot their edge to it) comes after everything.
    """
    return list(reversed(_teardown_sequence(recording)))


def earliest_delete_order(recording: Recording) -> list[RecordedResource]:
    """The server-bound objects in the earliest order the recorded edges allow a delete:
    each as soon as nothing left depends on it (a Namespace nothing depends on, first)."""
    return _teardown_sequence(recording)


# --- replay -------------------------------------------------------------------------------

ObjectKey = tuple[str, str, str, str]
"""(apiVersion, kind, namespace or "", name): an object's identity on the server."""


def object_key(resource: RecordedResource) -> ObjectKey:
    """The identity on the server of a recorded object."""
    manifest = manifest_of(resource.name, resource.inputs)
    meta = manifest["metadata"]
    return (manifest["apiVersion"], manifest["kind"], meta.get("namespace") or "", meta["name"])


@dataclass(frozen=True)
class AppliedObject:
    """One object of a replay: what was recorded, what was sent, what the server returned."""

    resource: RecordedResource
    manifest: dict[str, Any]
    live: dict[str, Any]


def apply_latest(
    recording: Recording, kube: KubeClient, *, step: str = "apply"
) -> dict[ObjectKey, AppliedObject]:
    """Server-side apply every object of ``recording`` in :func:`latest_apply_order`.

    Returns what the server answered, by object. The first refusal raises
    :class:`KubeStepError` with its position, the object and the server's message.
    """
    applied: dict[ObjectKey, AppliedObject] = {}
    order = latest_apply_order(recording)
    for i, resource in enumerate(order, 1):
        manifest = manifest_of(resource.name, resource.inputs)
        live = apply_object(kube, manifest, step=f"{step} {i}/{len(order)} ({resource.name})")
        applied[object_key(resource)] = AppliedObject(resource, manifest, live)
    return applied


def delete_earliest(
    recording: Recording,
    kube: KubeClient,
    *,
    only: Iterable[ObjectKey] | None = None,
    step: str = "delete",
) -> list[ObjectKey]:
    """Delete every object of ``recording`` (or just those in ``only``) in
    :func:`earliest_delete_order`; return the keys in the order deleted.

    A namespaced object must be gone once deleted (nothing here holds a finalizer). Without
    kube-controller-manager a deleted Namespace stays ``Terminating``: nothing empties it, so
    before a Namespace is deleted every recorded object in it must already be gone (deleting a
    namespace deletes its contents behind the engine's back), and after it the server must show
    it gone or ``Terminating``.
    """
    every = earliest_delete_order(recording)
    wanted = set(only) if only is not None else None
    order = [r for r in every if wanted is None or object_key(r) in wanted]
    inside: dict[str, list[ObjectKey]] = {}
    for key in map(object_key, every):
        if key[2]:
            inside.setdefault(key[2], []).append(key)
    done: list[ObjectKey] = []
    for i, resource in enumerate(order, 1):
        key = object_key(resource)
        api_version, kind, namespace, name = key
        what = describe(manifest_of(resource.name, resource.inputs))
        label = f"{step} {i}/{len(order)} ({resource.name}) {what}"
        if (api_version, kind) == ("v1", "Namespace"):
            left = [k for k in inside.get(name, []) if kube.get(k[0], k[1], k[3], k[2])]
            if left:
                held = ", ".join(f"{k[1]} {k[3]}" for k in left)
                raise KubeStepError(f"{label}: the namespace still holds {held}")
        try:
            kube.delete(api_version, kind, name, namespace or None)
        except Exception as err:  # the client's error type; its words are kept
            raise KubeStepError(f"{label}: {server_message(err)}") from err
        live = kube.get(api_version, kind, name, namespace or None)
        if live is not None:
            phase = (live.get("status") or {}).get("phase")
            if not (kind == "Namespace" and phase == "Terminating"):
                raise KubeStepError(f"{label}: still there after the delete: {live.get('status')}")
        done.append(key)
    return done
