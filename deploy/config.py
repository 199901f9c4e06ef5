"""Stack config for the project's own program: read, checked, and turned into component args.

Every key lives under the project namespace ``mesh-https:``. Each top-level key is an object;
unknown keys are errors (a typo would otherwise be ignored silently). The README's
"Stack configuration" section documents every key; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from mesh_https import validation as v
from mesh_https.cluster import (
    DEFAULT_NODE_PORTS,
    ExistingClusterArgs,
    GatewayServiceArgs,
    KindClusterArgs,
    Ports,
    gateway_service_for,
    validate_existing_args,
    validate_kind_args,
)
from mesh_https.istio_install import IstioInstallArgs
from mesh_https.istio_install import validate_args as validate_istio_args

PROJECT = "mesh-https"
SOURCE = "stack config"

CLUSTER_KEYS = {
    "type": "kind | existing",
    "name": "kind cluster name",
    "nodeImage": "kind node image",
    "hostPorts": "{http, https} host ports (kind)",
    "nodePorts": "{http, https} gateway NodePorts",
    "listenAddress": "host address for the port mappings (kind)",
    "workers": "worker node count (kind)",
    "kubeconfigPath": "kubeconfig file (existing)",
    "context": "kubeconfig context (existing)",
    "loadBalancer": "whether LoadBalancer Services work (existing)",
    "gatewayAnnotations": "annotations for the gateway Service (existing)",
}
KIND_ONLY = ("name", "nodeImage", "hostPorts", "listenAddress", "workers")
EXISTING_ONLY = ("kubeconfigPath", "context", "loadBalancer", "gatewayAnnotations")

ISTIO_KEYS = {
    "mode": "sidecar | ambient",
    "version": "Istio version for every chart",
    "revision": "control-plane revision",
    "chartRepository": "Helm repository URL",
    "systemNamespace": "istiod namespace",
    "gatewayNamespace": "ingress gateway namespace",
    "gatewayReleaseName": "gateway Helm release name",
    "ambientNamespace": "cni/ztunnel namespace (ambient)",
    "releaseTimeoutSeconds": "Helm release timeout",
    "istiodValues": "extra istiod chart values",
    "gatewayValues": "extra gateway chart values",
}


@dataclass(frozen=True)
class ClusterConfig:
    """Which cluster the stack targets, and the args for its component."""

    type: str
    kind: KindClusterArgs
    existing: ExistingClusterArgs

    def gateway_service(self) -> GatewayServiceArgs:
        """The gateway Service this cluster will need (the cluster component agrees)."""
        if self.type == "kind":
            return gateway_service_for(False, self.kind.get("node_ports", DEFAULT_NODE_PORTS))
        return gateway_service_for(
            self.existing.get("load_balancer", True),
            self.existing.get("node_ports"),
            self.existing.get("gateway_annotations"),
        )


@dataclass(frozen=True)
class StackConfig:
    """The whole of a stack's config, checked."""

    cluster: ClusterConfig
    istio: IstioInstallArgs


def _section(config: pulumi.Config, key: str, allowed: Mapping[str, str]) -> dict[str, Any]:
    field = f"{PROJECT}:{key}"
    try:
        raw = config.get_object(key)
    except pulumi.ConfigTypeError:
        raw = config.get(key)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        v.fail(SOURCE, field, f"is {raw!r}; it must be an object with keys {sorted(allowed)}")
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        valid = ", ".join(f"{k} ({allowed[k]})" for k in allowed)
        v.fail(SOURCE, f"{field}.{unknown[0]}", f"is not a known key; valid keys: {valid}")
    return raw


def _ports(field: str, raw: Any) -> Ports:
    if not isinstance(raw, dict):
        v.fail(SOURCE, field, f"is {raw!r}; it must be an object {{http: N, https: N}}")
    return {"http": raw.get("http"), "https": raw.get("https")}  # type: ignore[typeddict-item]


def _string_map(field: str, raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(x, str) for x in raw.values()):
        v.fail(SOURCE, field, f"is {raw!r}; it must be an object of strings")
    return {str(k): str(x) for k, x in raw.items()}


def _object(field: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        v.fail(SOURCE, field, f"is {raw!r}; it must be an object")
    return raw


def load_cluster(config: pulumi.Config) -> ClusterConfig:
    """``mesh-https:cluster`` (and the secret ``mesh-https:kubeconfig``), checked."""
    raw = _section(config, "cluster", CLUSTER_KEYS)
    field = f"{PROJECT}:cluster"
    cluster_type = raw.get("type", "kind")
    v.check_choice(SOURCE, f"{field}.type", cluster_type, ("kind", "existing"))
    wrong = EXISTING_ONLY if cluster_type == "kind" else KIND_ONLY
    for key in wrong:
        if key in raw:
            v.fail(SOURCE, f"{field}.{key}", f"does not apply to a {cluster_type!r} cluster")

    kind: KindClusterArgs = {}
    existing: ExistingClusterArgs = {}
    if cluster_type == "kind":
        if "name" in raw:
            kind["cluster_name"] = raw["name"]
        if "nodeImage" in raw:
            kind["node_image"] = raw["nodeImage"]
        if "hostPorts" in raw:
            kind["host_ports"] = _ports(f"{field}.hostPorts", raw["hostPorts"])
        if "nodePorts" in raw:
            kind["node_ports"] = _ports(f"{field}.nodePorts", raw["nodePorts"])
        if "listenAddress" in raw:
            kind["listen_address"] = raw["listenAddress"]
        if "workers" in raw:
            kind["workers"] = raw["workers"]
    else:
        content = config.get_secret("kubeconfig")
        if content is not None:
            existing["kubeconfig"] = content
        if "kubeconfigPath" in raw:
            existing["kubeconfig_path"] = raw["kubeconfigPath"]
        if content is None and "kubeconfigPath" not in raw:
            v.fail(
                SOURCE,
                f"{field}.kubeconfigPath",
                "is missing; an existing cluster needs it, or the secret "
                f"`{PROJECT}:kubeconfig` (pulumi config set --secret {PROJECT}:kubeconfig ...)",
            )
        if "context" in raw:
            existing["context"] = raw["context"]
        if "loadBalancer" in raw:
            if not isinstance(raw["loadBalancer"], bool):
                v.fail(SOURCE, f"{field}.loadBalancer", "must be true or false")
            existing["load_balancer"] = raw["loadBalancer"]
        if "nodePorts" in raw:
            existing["node_ports"] = _ports(f"{field}.nodePorts", raw["nodePorts"])
        if "gatewayAnnotations" in raw:
            existing["gateway_annotations"] = _string_map(
                f"{field}.gatewayAnnotations", raw["gatewayAnnotations"]
            )
    return ClusterConfig(type=cluster_type, kind=kind, existing=existing)


_ISTIO_ARG_NAMES = {
    "mode": "mode",
    "version": "version",
    "revision": "revision",
    "chartRepository": "chart_repository",
    "systemNamespace": "system_namespace",
    "gatewayNamespace": "gateway_namespace",
    "gatewayReleaseName": "gateway_release_name",
    "ambientNamespace": "ambient_namespace",
    "releaseTimeoutSeconds": "release_timeout_seconds",
}


def load_istio(config: pulumi.Config) -> IstioInstallArgs:
    """``mesh-https:istio``, as ``IstioInstallArgs`` (the component checks the values)."""
    raw = _section(config, "istio", ISTIO_KEYS)
    args: dict[str, Any] = {arg: raw[key] for key, arg in _ISTIO_ARG_NAMES.items() if key in raw}
    for key, arg in (("istiodValues", "istiod_values"), ("gatewayValues", "gateway_values")):
        if key in raw:
            args[arg] = _object(f"{PROJECT}:istio.{key}", raw[key])
    return args  # type: ignore[return-value]


CLUSTER_NAME = "cluster"
"""The Pulumi name of the cluster component (and the kind cluster's default name)."""


def load(config: pulumi.Config | None = None) -> StackConfig:
    """Read the whole stack config and check every component's input against it.

    All checks run here, before the program registers anything, so a mistake anywhere in
    the config leaves nothing half-created.
    """
    config = config or pulumi.Config(PROJECT)
    cluster = load_cluster(config)
    if cluster.type == "kind":
        validate_kind_args(CLUSTER_NAME, cluster.kind)
    else:
        validate_existing_args(cluster.existing)
    istio = load_istio(config)
    istio["gateway_service"] = cluster.gateway_service()
    validate_istio_args(istio)
    return StackConfig(cluster=cluster, istio=istio)
