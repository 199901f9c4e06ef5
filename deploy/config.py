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
from mesh_https.canary_route import CanaryRouteArgs
from mesh_https.canary_route import validate_args as validate_canary_args
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
from mesh_https.https_gateway import HttpsGatewayArgs
from mesh_https.https_gateway import validate_args as validate_gateway_args
from mesh_https.istio_charts import gateway_identity
from mesh_https.istio_install import IstioInstallArgs
from mesh_https.istio_install import validate_args as validate_istio_args
from mesh_https.mesh_namespace import MeshNamespaceArgs
from mesh_https.mesh_namespace import validate_args as validate_namespace_args
from mesh_https.pki import CertificateAuthorityArgs, validate_ca_args
from mesh_https.strict_mtls import StrictMtlsArgs
from mesh_https.strict_mtls import validate_args as validate_mtls_args

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
    "chartRepository": "Helm repository URL or oci:// registry path",
    "imageHub": "registry of Istio's images",
    "revisions": "[{name, version, tags, istiodValues}]: control-plane revisions side by side",
    "workloadRevision": "tag or revision the gateway and namespaces use",
    "systemNamespace": "istiod namespace",
    "gatewayNamespace": "ingress gateway namespace",
    "gatewayReleaseName": "gateway Helm release name",
    "ambientNamespace": "cni/ztunnel namespace (ambient)",
    "releaseTimeoutSeconds": "Helm release timeout",
    "istiodValues": "extra istiod chart values",
    "gatewayValues": "extra gateway chart values",
}

PKI_KEYS = {
    "intermediate": "issue ingress certificates from an intermediate (bool)",
    "meshCa": "plug an intermediate of the same root into istiod (bool)",
    "validityHours": "CA certificate lifetime",
    "earlyRenewalHours": "CA renewal window",
    "keyAlgorithm": "ECDSA | RSA",
    "protectRoot": "protect the root key and certificate from deletion (bool)",
}
GATEWAY_KEYS = {
    "hosts": "host names served over HTTPS (list)",
    "grouping": "shared | per_host",
    "mode": "SIMPLE | MUTUAL | PASSTHROUGH",
    "minTlsVersion": "TLSV1_2 | TLSV1_3",
    "cipherSuites": "TLS 1.2 cipher suites (list)",
    "httpsRedirect": "redirect port 80 to HTTPS (bool)",
    "allowWildcards": "allow *.example.com hosts (bool)",
    "validityHours": "server certificate lifetime",
    "earlyRenewalHours": "server certificate renewal window",
}
APP_KEYS = {
    "namespace": "the demo application's namespace",
    "scopeSidecar": "limit the namespace's proxies with a Sidecar (bool)",
}

CANARY_KEYS = {
    "weights": "subset name -> integer weight, summing to 100 (e.g. {v1: 80, v2: 20})",
    "headerRoute": "{header, value, subset}: requests with that header go to that subset",
    "timeout": "route timeout, e.g. 10s",
    "retries": "{attempts, perTryTimeout, retryOn}",
}
MTLS_KEYS = {
    "peerMode": "STRICT | PERMISSIVE (PERMISSIVE needs migration: true)",
    "migration": "allow PERMISSIVE while moving workloads in (bool)",
    "allow": "more callers: [{name, principals, namespaces, paths, methods}]",
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
    pki: CertificateAuthorityArgs
    gateway: HttpsGatewayArgs
    """Without the namespace, selector and issuer, which come from the other components."""
    app: MeshNamespaceArgs
    canary: CanaryRouteArgs
    """Without gateways, which come from the HttpsGateway."""
    mtls: StrictMtlsArgs
    """Without the namespaces and principal, which come from the other components."""


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
    "imageHub": "image_hub",
    "workloadRevision": "workload_revision",
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
    if "revisions" in raw:
        field = f"{PROJECT}:istio.revisions"
        if not isinstance(raw["revisions"], list):
            v.fail(SOURCE, field, "must be a list of {name, version, tags, istiodValues}")
        revision_keys = {"name": "name", "version": "version", "tags": "tags"}
        args["revisions"] = []
        for i, entry in enumerate(raw["revisions"]):
            entry = _object(f"{field}[{i}]", entry)
            unknown = sorted(set(entry) - {*revision_keys, "istiodValues"})
            if unknown:
                v.fail(
                    SOURCE,
                    f"{field}[{i}].{unknown[0]}",
                    "is not a known key; valid keys: name, version, tags, istiodValues",
                )
            revision = _renamed(entry, revision_keys)
            if "istiodValues" in entry:
                revision["istiod_values"] = _object(
                    f"{field}[{i}].istiodValues", entry["istiodValues"]
                )
            args["revisions"].append(revision)
    return args  # type: ignore[return-value]


def _renamed(raw: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {arg: raw[key] for key, arg in names.items() if key in raw}


def load_pki(config: pulumi.Config) -> CertificateAuthorityArgs:
    """``mesh-https:pki``: the stack's one CA (ingress and, with meshCa, the mesh)."""
    raw = _section(config, "pki", PKI_KEYS)
    args = _renamed(
        raw,
        {
            "intermediate": "intermediate",
            "meshCa": "mesh_ca",
            "validityHours": "validity_hours",
            "earlyRenewalHours": "early_renewal_hours",
            "protectRoot": "protect_root",
        },
    )
    if "keyAlgorithm" in raw:
        args["key"] = {"algorithm": raw["keyAlgorithm"]}
    return args  # type: ignore[return-value]


def load_gateway(config: pulumi.Config) -> HttpsGatewayArgs:
    """``mesh-https:gateway``: the HTTPS edge (hosts default to the dev host)."""
    raw = _section(config, "gateway", GATEWAY_KEYS)
    args = _renamed(
        raw,
        {
            "hosts": "hosts",
            "grouping": "grouping",
            "mode": "mode",
            "minTlsVersion": "min_tls_version",
            "cipherSuites": "cipher_suites",
            "httpsRedirect": "https_redirect",
            "allowWildcards": "allow_wildcards",
            "validityHours": "validity_hours",
            "earlyRenewalHours": "early_renewal_hours",
        },
    )
    args.setdefault("hosts", ["hello.mesh-https.test"])
    return args  # type: ignore[return-value]


def load_app(config: pulumi.Config) -> MeshNamespaceArgs:
    """``mesh-https:app``: where the demo application runs."""
    raw = _section(config, "app", APP_KEYS)
    args = _renamed(raw, {"namespace": "namespace", "scopeSidecar": "scope_sidecar"})
    args.setdefault("namespace", "demo")
    return args  # type: ignore[return-value]


def load_canary(config: pulumi.Config, namespace: str) -> CanaryRouteArgs:
    """``mesh-https:canary``: the demo app's split (80/20 by default) and header route."""
    raw = _section(config, "canary", CANARY_KEYS)
    field = f"{PROJECT}:canary"
    weights = raw.get("weights", {"v1": 80, "v2": 20})
    if not isinstance(weights, dict):
        v.fail(
            SOURCE, f"{field}.weights", f"is {weights!r}; it must be an object {{v1: 80, v2: 20}}"
        )
    args: dict[str, Any] = {
        "host": "helloworld",
        "namespace": namespace,
        "port": 5000,
        "subsets": [
            {"name": name, "labels": {"version": name}, "weight": weight}
            for name, weight in weights.items()
        ],
    }
    header = raw.get("headerRoute", {"header": "x-canary", "value": "always", "subset": "v2"})
    if header:
        if not isinstance(header, dict) or set(header) != {"header", "value", "subset"}:
            v.fail(SOURCE, f"{field}.headerRoute", "must be an object {header, value, subset}")
        args["routes"] = [
            {
                "name": f"force-{header['subset']}",
                "subset": header["subset"],
                "headers": {header["header"]: {"exact": header["value"]}},
            }
        ]
    if "timeout" in raw:
        args["timeout"] = raw["timeout"]
    if "retries" in raw:
        retries = _object(f"{field}.retries", raw["retries"])
        args["retries"] = _renamed(
            retries,
            {"attempts": "attempts", "perTryTimeout": "per_try_timeout", "retryOn": "retry_on"},
        )
    return args  # type: ignore[return-value]


def load_mtls(config: pulumi.Config) -> StrictMtlsArgs:
    """``mesh-https:mtls``: STRICT for the app namespace, and who else may call it."""
    raw = _section(config, "mtls", MTLS_KEYS)
    args = _renamed(raw, {"peerMode": "peer_mode", "migration": "migration"})
    if "allow" in raw:
        if not isinstance(raw["allow"], list):
            v.fail(SOURCE, f"{PROJECT}:mtls.allow", "must be a list of rules")
        args["allow"] = [
            _renamed(
                _object(f"{PROJECT}:mtls.allow[{i}]", rule),
                {k: k for k in ("name", "principals", "namespaces", "paths", "methods")},
            )
            for i, rule in enumerate(raw["allow"])
        ]
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
    pki = load_pki(config)
    validate_ca_args(pki)
    gateway = load_gateway(config)
    # The gateway's namespace and selector will come from IstioInstall's outputs; their
    # values are known here, so the gateway's input is checked with them now.
    selector, _, _ = gateway_identity(
        istio.get("gateway_release_name", "istio-ingress"),
        istio.get("gateway_namespace", "istio-ingress"),
        istio.get("gateway_values"),
    )
    validate_gateway_args(
        {
            **gateway,
            "gateway_namespace": istio.get("gateway_namespace", "istio-ingress"),
            "selector": selector,
        }
    )
    app = load_app(config)
    mode = istio.get("mode", "sidecar")
    validate_namespace_args("app", {**app, "mode": mode})
    canary = load_canary(config, app.get("namespace", "demo"))
    hosts = list(gateway.get("hosts", []))
    # The gateway reference is an Output later; only its hosts matter to the checks.
    validate_canary_args(
        "app",
        {**canary, "gateways": [{"ref": "checked/later", "hosts": hosts}], "external_hosts": hosts},
    )
    mtls = load_mtls(config)
    validate_mtls_args({**mtls, "data_plane_mode": mode, "namespaces": [canary["namespace"]]})
    return StackConfig(
        cluster=cluster,
        istio=istio,
        pki=pki,
        gateway=gateway,
        app=app,
        canary=canary,
        mtls=mtls,
    )
