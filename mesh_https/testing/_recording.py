"""What a program registered, as a searchable record: types, names, inputs, parents, edges."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import rpc

from mesh_https.analysis import CERTIFICATE_TYPES, CertificateRecord

PathKey = tuple[str | int, ...]


def unwrap_secrets(value: Any, path: PathKey = (), found: set[PathKey] | None = None) -> Any:
    """``value`` with every secret envelope replaced by its content; paths noted in ``found``."""
    if rpc.is_rpc_secret(value):
        if found is not None:
            found.add(path)
        return unwrap_secrets(rpc.unwrap_rpc_secret(value), path, found)
    if isinstance(value, Mapping):
        return {k: unwrap_secrets(v, (*path, k), found) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v, (*path, i), found) for i, v in enumerate(value)]
    return value


def _private_key_paths(value: Any, path: PathKey = ()) -> list[PathKey]:
    if isinstance(value, str):
        return [path] if "PRIVATE KEY-----" in value else []
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in _private_key_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _private_key_paths(v, (*path, i))]
    return []


def _under(path: PathKey, secrets: set[PathKey]) -> bool:
    return any(path[: len(s)] == s for s in secrets)


@dataclass
class RecordedResource:
    """One registration, as the engine received it.

    ``inputs`` and ``outputs`` are plain values: secrets are unwrapped, and where they were
    is kept, so :meth:`is_secret` answers for any path. Kubernetes objects keep their
    camelCased field names; numbers arrive as floats, as they do over the wire.
    """

    type: str
    name: str
    urn: str
    custom: bool
    parent: str
    provider: str
    inputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    options: dict[str, Any]
    secret_inputs: set[PathKey] = field(default_factory=set)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[PathKey] = field(default_factory=set)

    @property
    def kind(self) -> str | None:
        """The Kubernetes ``kind`` of an object, else ``None``."""
        kind = self.inputs.get("kind")
        return kind if isinstance(kind, str) else None

    @property
    def api_version(self) -> str | None:
        """The Kubernetes ``apiVersion`` of an object, else ``None``."""
        value = self.inputs.get("apiVersion")
        return value if isinstance(value, str) else None

    @property
    def metadata(self) -> dict[str, Any]:
        """The object's ``metadata`` (empty for non-Kubernetes resources)."""
        meta = self.inputs.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def object_name(self) -> str | None:
        """``metadata.name``: as given, or as auto-named by the (mock) provider."""
        name = self.metadata.get("name")
        if name is None and isinstance(self.outputs.get("metadata"), dict):
            name = self.outputs["metadata"].get("name")
        return name if isinstance(name, str) else None

    @property
    def namespace(self) -> str | None:
        """``metadata.namespace``, or a Helm release's ``namespace``."""
        ns = self.metadata.get("namespace", self.inputs.get("namespace"))
        return ns if isinstance(ns, str) else None

    @property
    def spec(self) -> dict[str, Any]:
        """The object's ``spec`` (empty where there is none)."""
        spec = self.inputs.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def provider_urn(self) -> str:
        """The URN of the explicit provider this resource uses, or ``""``."""
        return self.provider.rsplit("::", 1)[0] if self.provider else ""

    def manifest(self) -> dict[str, Any]:
        """A Kubernetes object's manifest: its inputs, with the (auto-)name filled in."""
        manifest = dict(self.inputs)
        metadata = dict(self.metadata)
        if self.object_name:
            metadata["name"] = self.object_name
        manifest["metadata"] = metadata
        return manifest

    def is_secret(self, *path: str | int, outputs: bool = False) -> bool:
        """Whether the value at ``path`` (in the inputs, or the outputs) was a secret."""
        return _under(tuple(path), self.secret_outputs if outputs else self.secret_inputs)

    def __repr__(self) -> str:
        return f"<{self.type} {self.name}>"


class Recording:
    """Every resource a program registered, in registration order, with finders."""

    def __init__(self) -> None:
        self.resources: list[RecordedResource] = []
        self._by_urn: dict[str, RecordedResource] = {}
        self.component_outputs: dict[str, dict[str, Any]] = {}
        self.component_secret_outputs: dict[str, set[PathKey]] = {}

    def add(self, resource: RecordedResource) -> None:
        """Record one registration."""
        self.resources.append(resource)
        self._by_urn[resource.urn] = resource

    def __iter__(self) -> Iterator[RecordedResource]:
        return iter(self.resources)

    def __len__(self) -> int:
        return len(self.resources)

    def by_urn(self, urn: str) -> RecordedResource:
        """The resource with this URN."""
        return self._by_urn[urn]

    def find(
        self,
        type: str | None = None,
        *,
        kind: str | None = None,
        name: str | None = None,
        object_name: str | None = None,
        namespace: str | None = None,
    ) -> list[RecordedResource]:
        """Every resource matching all the given filters.

        ``type`` is the Pulumi type token (a suffix is enough, e.g. ``"helm.sh/v3:Release"``),
        ``kind`` the Kubernetes kind, ``name`` the Pulumi resource name and ``object_name``
        the object's ``metadata.name``.
        """
        found = []
        for r in self.resources:
            if type is not None and not (r.type == type or r.type.endswith(type)):
                continue
            if kind is not None and r.kind != kind:
                continue
            if name is not None and r.name != name:
                continue
            if object_name is not None and r.object_name != object_name:
                continue
            if namespace is not None and r.namespace != namespace:
                continue
            found.append(r)
        return found

    def one(
        self,
        type: str | None = None,
        *,
        kind: str | None = None,
        name: str | None = None,
        object_name: str | None = None,
        namespace: str | None = None,
    ) -> RecordedResource:
        """The single resource matching the filters; an error naming what exists otherwise."""
        found = self.find(type, kind=kind, name=name, object_name=object_name, namespace=namespace)
        if len(found) != 1:
            listing = ", ".join(f"{r.type}/{r.name}" for r in self.resources)
            raise LookupError(
                f"expected one match for type={type} kind={kind} name={name} "
                f"object_name={object_name} namespace={namespace}, found {len(found)}; "
                f"registered: {listing}"
            )
        return found[0]

    def kinds(self, kind: str) -> list[RecordedResource]:
        """Every Kubernetes object of this kind."""
        return self.find(kind=kind)

    def children(self, parent: RecordedResource) -> list[RecordedResource]:
        """Direct children of ``parent``."""
        return [r for r in self.resources if r.parent == parent.urn]

    def descendants(self, parent: RecordedResource) -> list[RecordedResource]:
        """Children, grandchildren and so on."""
        out: list[RecordedResource] = []
        for child in self.children(parent):
            out.append(child)
            out.extend(self.descendants(child))
        return out

    def parent_of(self, resource: RecordedResource) -> RecordedResource | None:
        """The parent resource, or ``None`` for the stack's direct children."""
        return self._by_urn.get(resource.parent)

    def depends_on(self, resource: RecordedResource, other: RecordedResource) -> bool:
        """Whether ``resource`` was registered with a dependency on ``other``.

        For a custom resource, an edge to it. For a component, edges to every custom resource
        inside it that was registered before ``resource``: the SDK expands a dependency on a
        component to those. Property dependencies (from Outputs) count as edges too.
        """
        edges = set(resource.dependencies)
        for urns in resource.property_dependencies.values():
            edges.update(urns)
        if other.urn in edges:
            return True
        if other.custom:
            return False
        position = self.resources.index(resource)
        inside = [
            r.urn
            for r in self.descendants(other)
            if r.custom and self.resources.index(r) < position
        ]
        return bool(inside) and all(urn in edges for urn in inside)

    def plaintext_private_keys(self) -> list[str]:
        """Every place a PEM private key appears without being a secret.

        Scans each resource's inputs and outputs and each component's registered outputs;
        returns ``"<type>/<name> inputs.a.b"`` descriptions, empty when nothing leaks.
        """
        leaks: list[str] = []
        for r in self.resources:
            for where, values, secrets in (
                ("inputs", r.inputs, r.secret_inputs),
                ("outputs", r.outputs, r.secret_outputs),
                (
                    "component outputs",
                    self.component_outputs.get(r.urn, {}),
                    self.component_secret_outputs.get(r.urn, set()),
                ),
            ):
                for path in _private_key_paths(values):
                    if not _under(path, secrets):
                        dotted = ".".join(str(p) for p in path)
                        leaks.append(f"{r.type}/{r.name} {where}.{dotted}")
        return leaks

    def k8s_objects(self) -> list[RecordedResource]:
        """Every registered Kubernetes object (anything with ``apiVersion`` and ``kind``)."""
        return [r for r in self.resources if r.custom and r.kind and r.api_version]

    def manifests(self) -> list[dict[str, Any]]:
        """Every Kubernetes object as the manifest it would apply (its inputs, auto-name filled)."""
        return [r.manifest() for r in self.k8s_objects()]

    def certificates(self) -> list[CertificateRecord]:
        """Every pulumi-tls certificate, for the analysis' renewal check."""
        return [
            CertificateRecord.from_inputs(r.type, r.name, r.inputs)
            for r in self
            if r.type in CERTIFICATE_TYPES
        ]

    def helm_releases(self) -> list[dict[str, Any]]:
        """Every Helm release: chart, name, namespace, version, repo and values."""
        return [
            {
                "chart": r.inputs.get("chart"),
                "name": r.inputs.get("name") or r.name,
                "namespace": r.inputs.get("namespace", "default"),
                "version": r.inputs.get("version"),
                "repo": (r.inputs.get("repositoryOpts") or {}).get("repo"),
                "values": r.inputs.get("values") or {},
            }
            for r in self.find("kubernetes:helm.sh/v3:Release")
        ]
