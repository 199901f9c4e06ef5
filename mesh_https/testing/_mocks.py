"""Pulumi mocks that record every registration and make real TLS material."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

from mesh_https.testing._kube_mode import (
    KUBE_SECRET_KEYS,
    MOCKED_KUBE_TYPES,
    KubeClient,
    apply_object,
    auto_name,
    manifest_of,
)
from mesh_https.testing._recording import RecordedResource, Recording, unwrap_secrets
from mesh_https.testing._tls import SECRET_OUTPUTS, TLS_HANDLERS

Handler = Callable[[MockResourceArgs, dict[str, Any]], dict[str, Any]]
"""A per-type mock: (the registration, its unwrapped inputs) → outputs."""

FAKE_KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: mock
  cluster: {server: "https://127.0.0.1:6443"}
contexts:
- name: mock
  context: {cluster: mock, user: mock}
current-context: mock
users:
- name: mock
  user: {token: mock}
"""

# Secret-bearing inputs the real pulumi-tls provider echoes as secret outputs.
_ECHOED_SECRETS = ("privateKeyPem", "caPrivateKeyPem")


def _command_outputs(args: MockResourceArgs, inputs: dict[str, Any]) -> dict[str, Any]:
    # `kind get kubeconfig` is the only command whose stdout the package reads.
    create = str(inputs.get("create", ""))
    stdout = FAKE_KUBECONFIG if "kind get kubeconfig" in create else ""
    return {**inputs, "stdout": stdout, "stderr": ""}


def _k8s_object_outputs(args: MockResourceArgs, inputs: dict[str, Any]) -> dict[str, Any]:
    outputs = dict(inputs)
    metadata = dict(outputs.get("metadata") or {})
    # Auto-naming, made stable so two runs agree.
    metadata.setdefault("name", auto_name(args.name))
    outputs["metadata"] = metadata
    return outputs


def _release_outputs(args: MockResourceArgs, inputs: dict[str, Any]) -> dict[str, Any]:
    name = inputs.get("name") or args.name
    return {
        **inputs,
        "name": name,
        "status": {
            "name": name,
            "namespace": inputs.get("namespace", "default"),
            "chart": inputs.get("chart"),
            "version": inputs.get("version"),
            "status": "deployed",
            "revision": 1.0,
        },
    }


_FAKE_CA_DATA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nmock\n-----END CERTIFICATE-----\n")


def _eks_cluster_outputs(args: MockResourceArgs, inputs: dict[str, Any]) -> dict[str, Any]:
    # What EKS reports for a cluster: its endpoint, its CA (base64 PEM), its ARN.
    name = inputs.get("name") or args.name
    return {
        **inputs,
        "name": name,
        "arn": f"arn:aws:eks:us-west-2:123456789012:cluster/{name}",
        "endpoint": f"https://{hashlib.sha256(name.encode()).hexdigest()[:32].upper()}"
        ".gr7.us-west-2.eks.amazonaws.com",
        "certificateAuthority": {"data": _FAKE_CA_DATA.decode()},
        "status": "ACTIVE",
    }


def _gke_cluster_outputs(args: MockResourceArgs, inputs: dict[str, Any]) -> dict[str, Any]:
    # What GKE reports: the control plane's IP, and its CA (base64 PEM).
    digest = hashlib.sha256(str(inputs.get("name") or args.name).encode()).digest()
    return {
        **inputs,
        "name": inputs.get("name") or args.name,
        "endpoint": f"34.{digest[0]}.{digest[1]}.{digest[2]}",
        "masterAuth": {"clusterCaCertificate": _FAKE_CA_DATA.decode()},
        "selfLink": f"https://container.googleapis.com/v1/projects/mock/zones/x/clusters/{args.name}",
    }


def _azure_resource_group_outputs(args: MockResourceArgs, inputs: dict[str, Any]) -> dict[str, Any]:
    # Azure-native auto-names a resource group from the resource name and a random suffix.
    suffix = hashlib.sha256(args.name.encode()).hexdigest()[:8]
    return {**inputs, "name": inputs.get("resourceGroupName") or f"{args.name}{suffix}"}


def _aks_cluster_outputs(args: MockResourceArgs, inputs: dict[str, Any]) -> dict[str, Any]:
    name = inputs.get("resourceName") or args.name
    return {
        **inputs,
        "name": name,
        "fqdn": f"{name}-a1b2c3d4.hcp.{inputs.get('location', 'westeurope')}.azmk8s.io",
        "provisioningState": "Succeeded",
    }


_AKS_USER_KUBECONFIG = (
    "apiVersion: v1\nkind: Config\nclusters: [{name: aks, cluster: {server: "
    "'https://aks.hcp.westeurope.azmk8s.io:443', certificate-authority-data: "
    + _FAKE_CA_DATA.decode()
    + "}}]\ncontexts: [{name: aks, context: {cluster: aks, user: clusterUser}}]\n"
    "current-context: aks\nusers: [{name: clusterUser, user: {client-certificate-data: bW9jaw==, "
    "client-key-data: bW9jaw==}}]\n"
)

# Invokes answered like the clouds would: an AWS account with a default VPC in two zones,
# and an AKS cluster's user credential (a base64 kubeconfig with a client certificate).
CLOUD_CALL_RESULTS: dict[str, dict[str, Any]] = {
    "aws:ec2/getVpc:getVpc": {"id": "vpc-0a1b2c3d", "default": True, "cidrBlock": "172.31.0.0/16"},
    "aws:ec2/getSubnets:getSubnets": {"ids": ["subnet-0aaa1111", "subnet-0bbb2222"]},
    "azure-native:containerservice:listManagedClusterUserCredentials": {
        "kubeconfigs": [
            {
                "name": "clusterUser",
                "value": base64.b64encode(_AKS_USER_KUBECONFIG.encode()).decode(),
            }
        ]
    },
}


def _ignoring_args(fn: Callable[[Mapping[str, Any]], dict[str, Any]]) -> Handler:
    return lambda _args, inputs: fn(inputs)


class MeshMocks(pulumi.runtime.Mocks):
    """Mocks for mesh-https programs, and for yours.

    - pulumi-tls resources get real keys and certificates (see ``mesh_https.testing._tls``),
      with key material returned as secrets, as the real provider marks it.
    - Kubernetes objects echo their inputs, with a stable name where none was given.
    - Helm releases report a deployed status; kind commands print a kubeconfig.
    - EKS, GKE and AKS clusters report what the clouds do (endpoint, CA data, names); the
      default VPC and its subnets are found, and an AKS user credential is listed.
    - Anything else echoes its inputs. Add or replace handlers with :meth:`on`.

    With ``kube`` (a :class:`~mesh_https.testing.KubeApi` on a real kube-apiserver), every
    Kubernetes object is instead server-side applied when it is registered (field manager
    ``mesh-https``, forced), and the server's object is its outputs: defaults, ``uid``,
    ``resourceVersion``; a Secret's ``data`` is secret. A refusal fails the registration with
    the server's message. Helm releases, the CRD ``ConfigFile``, pulumi-tls and cloud
    resources stay mocked.

    Calls (invokes) answer from :attr:`call_results`, keyed by token, or with ``{}``.
    """

    def __init__(self, *, kube: KubeClient | None = None) -> None:
        self.kube = kube
        self.handlers: dict[str, Handler] = {
            token: _ignoring_args(fn) for token, fn in TLS_HANDLERS.items()
        }
        self.handlers["command:local:Command"] = _command_outputs
        self.handlers["kubernetes:helm.sh/v3:Release"] = _release_outputs
        self.handlers["aws:eks/cluster:Cluster"] = _eks_cluster_outputs
        self.handlers["gcp:container/cluster:Cluster"] = _gke_cluster_outputs
        self.handlers["azure-native:resources:ResourceGroup"] = _azure_resource_group_outputs
        self.handlers["azure-native:containerservice:ManagedCluster"] = _aks_cluster_outputs
        self.call_results: dict[str, dict[str, Any]] = dict(CLOUD_CALL_RESULTS)

    def on(self, type_token: str, handler: Handler) -> None:
        """Use ``handler`` for every resource of ``type_token``."""
        self.handlers[type_token] = handler

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        secret_paths: set[tuple[str | int, ...]] = set()
        inputs = unwrap_secrets(args.inputs, (), secret_paths)
        handler = self.handlers.get(args.typ)
        if handler is None and args.typ.startswith("kubernetes:") and "kind" in inputs:
            handler = _k8s_object_outputs
            if self.kube is not None and args.typ not in MOCKED_KUBE_TYPES:
                handler = self._applied_outputs
        outputs = handler(args, inputs) if handler else dict(inputs)
        secret_keys = {str(path[0]) for path in secret_paths if path}
        secret_keys.update(SECRET_OUTPUTS.get(args.typ, ()))
        if handler == self._applied_outputs:
            secret_keys.update(KUBE_SECRET_KEYS.get(str(inputs.get("kind")), ()))
        if args.typ.startswith("tls:"):
            secret_keys.update(k for k in _ECHOED_SECRETS if k in outputs)
        for key in sorted(secret_keys):
            if key in outputs:
                outputs[key] = rpc.wrap_rpc_secret(outputs[key])
        return f"{args.name}-id", outputs

    def _applied_outputs(self, args: MockResourceArgs, inputs: dict[str, Any]) -> dict[str, Any]:
        assert self.kube is not None
        manifest = manifest_of(args.name, inputs)
        live = apply_object(self.kube, manifest, step=f"register {args.name}")
        return dict(live)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        # No failures: an empty list, which the SDK's mock monitor iterates (None breaks it).
        return self.call_results.get(args.token, {}), []


def _alias(alias: Any) -> str:
    """An alias as its URN, or as ``name=…,type=…`` for the parts a spec overrides."""
    if alias.urn:
        return str(alias.urn)
    spec = alias.spec
    parts = [f"{key}={getattr(spec, key)}" for key in ("name", "type", "stack", "project")]
    parts.append(f"parent={'none' if spec.noParent else spec.parentUrn or 'same'}")
    return ",".join(p for p in parts if not p.endswith("="))


def _options(request: Any) -> dict[str, Any]:
    timeouts = request.customTimeouts
    return {
        "protect": bool(request.protect),
        "delete_before_replace": bool(request.deleteBeforeReplace),
        "ignore_changes": list(request.ignoreChanges),
        "replace_on_changes": list(request.replaceOnChanges),
        "retain_on_delete": bool(request.retainOnDelete),
        "additional_secret_outputs": list(request.additionalSecretOutputs),
        "aliases": [str(a) for a in request.aliasURNs] + [_alias(a) for a in request.aliases],
        "custom_timeouts": {
            "create": timeouts.create,
            "update": timeouts.update,
            "delete": timeouts.delete,
        },
        "version": request.version,
    }


class RecordingMonitor(MockMonitor):
    """A mock monitor that keeps each registration request: parent, provider, edges, options.

    Plain mocks see only type, name and inputs; ordering lives in the request's
    ``dependencies`` and ``propertyDependencies``, so that is what this records.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks, recording: Recording) -> None:
        super().__init__(mocks)
        self.recording = recording

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            return response
        secret_in: set[tuple[str | int, ...]] = set()
        secret_out: set[tuple[str | int, ...]] = set()
        raw_inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        urn = self.make_urn(request.parent, request.type, request.name)
        state = self.resources[urn].state if urn in self.resources else {}
        self.recording.add(
            RecordedResource(
                type=request.type,
                name=request.name,
                urn=urn,
                custom=bool(request.custom),
                parent=request.parent,
                provider=request.provider,
                inputs=unwrap_secrets(raw_inputs, (), secret_in),
                dependencies=list(request.dependencies),
                property_dependencies={
                    key: list(deps.urns) for key, deps in request.propertyDependencies.items()
                },
                options=_options(request),
                secret_inputs=secret_in,
                outputs=unwrap_secrets(dict(state), (), secret_out),
                secret_outputs=secret_out,
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        secret: set[tuple[str | int, ...]] = set()
        self.recording.component_outputs[request.urn] = unwrap_secrets(outputs, (), secret)
        self.recording.component_secret_outputs[request.urn] = secret
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


def wrap_secret(value: Any) -> Mapping[str, Any]:
    """Wrap ``value`` as a secret, for a handler's outputs."""
    return dict(rpc.wrap_rpc_secret(value))
