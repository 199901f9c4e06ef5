"""IstioInstall: Istio's official Helm charts, in the order Istio documents, as one component.

Sidecar mode: namespaces → ``base`` → ``istiod`` → ``gateway``.
Ambient mode: namespaces → ``base`` → ``istiod`` (``profile=ambient``) → ``cni``
(``profile=ambient``) → ``ztunnel`` → ``gateway``.

Every release is a ``helm.v3.Release`` (real Helm): it keeps the base chart's CRDs on destroy
(``helm.sh/resource-policy: keep``) and leaves istiod's own webhook rewrites alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

import pulumi
import pulumi_kubernetes as k8s

from mesh_https import validation as v
from mesh_https._values import deep_merge, dig
from mesh_https.cluster import GatewayServiceArgs, check_ports
from mesh_https.istio_objects import MANAGED_LABELS
from mesh_https.pki import PluggedCaArgs
from mesh_https.versions import ISTIO_CHART_REPOSITORY, ISTIO_VERSION

COMPONENT = "IstioInstall"
MODES = ("sidecar", "ambient")
STATUS_PORT = 15021
DEFAULT_GATEWAY_SERVICE: GatewayServiceArgs = {"type": "LoadBalancer"}


class IstioInstallArgs(TypedDict, total=False):
    """Inputs of :class:`IstioInstall`. Every key is optional."""

    version: str
    """Istio release for every chart. Default :data:`mesh_https.versions.ISTIO_VERSION`."""
    chart_repository: str
    """Helm repository URL holding the charts. Default: Istio's official repository."""
    mode: Literal["sidecar", "ambient"]
    """Data-plane mode. ``sidecar`` (default) or ``ambient`` (adds cni and ztunnel)."""
    revision: str
    """Control-plane revision (``istiod-<revision>``), for canary upgrades. Default: none."""
    system_namespace: str
    """Namespace of istiod and the mesh root. Default ``istio-system``."""
    gateway_namespace: str
    """Namespace of the ingress gateway workload. Default ``istio-ingress``."""
    gateway_release_name: str
    """Helm release name of the gateway; the chart derives the pod's ``istio`` label and the
    service account from it. Default ``istio-ingress`` (label ``istio: ingress``)."""
    ambient_namespace: str
    """Namespace of cni and ztunnel in ambient mode. Default: the system namespace
    (``kube-system`` on GKE and OpenShift)."""
    gateway_service: GatewayServiceArgs
    """The gateway Service; take it from ``cluster.gateway_service()``. Default LoadBalancer."""
    trust_domain: str
    """The mesh trust domain used in SPIFFE principals. Default ``cluster.local``."""
    release_timeout_seconds: int
    """Timeout for each Helm release to become ready. Default 600."""
    base_values: Mapping[str, Any]
    """Extra values for the ``base`` chart, laid over ours."""
    istiod_values: Mapping[str, Any]
    """Extra values for the ``istiod`` chart, laid over ours."""
    gateway_values: Mapping[str, Any]
    """Extra values for the ``gateway`` chart, laid over ours."""
    cni_values: Mapping[str, Any]
    """Extra values for the ``cni`` chart (ambient mode only)."""
    ztunnel_values: Mapping[str, Any]
    """Extra values for the ``ztunnel`` chart (ambient mode only)."""
    plugged_ca: PluggedCaArgs
    """Istio's plug-in CA (``CertificateAuthority.plugged_ca``): written as the ``cacerts``
    secret in the system namespace before istiod starts, so workload certificates chain to
    the same root as the ingress certificates. Default: istiod's self-signed CA."""
    depends_on: Sequence[pulumi.Resource]
    """Resources that must exist before the namespaces and releases are created."""


@dataclass(frozen=True)
class IstioInfo:
    """The install's facts as plain values, known before deploy, for checks in Python code.

    The same facts are the component's Outputs; other components' validation reads these.
    """

    mode: str
    revision: str
    version: str
    system_namespace: str
    gateway_namespace: str
    gateway_selector: dict[str, str]
    gateway_service_account: str
    gateway_principal: str


def validate_args(args: IstioInstallArgs) -> None:
    """Check :class:`IstioInstall` input; raises :class:`ValidationError`."""
    c = COMPONENT
    v.check_choice(c, "mode", args.get("mode", "sidecar"), MODES)
    v.check_version(c, "version", args.get("version", ISTIO_VERSION))
    v.check_non_empty(c, "chart_repository", args.get("chart_repository", ISTIO_CHART_REPOSITORY))
    for field in ("system_namespace", "gateway_namespace", "ambient_namespace", "revision"):
        if field in args:
            v.check_dns_label(c, field, args.get(field))
    release = args.get("gateway_release_name", "istio-ingress")
    v.check_dns_label(c, "gateway_release_name", release)
    if v.is_known(release) and isinstance(release, str) and len(release) > 53:
        v.fail(c, "gateway_release_name", "is longer than 53 characters, Helm's limit")
    v.check_dns_subdomain(c, "trust_domain", args.get("trust_domain", "cluster.local"))
    v.check_positive_int(c, "release_timeout_seconds", args.get("release_timeout_seconds", 600))
    if args.get("mode", "sidecar") != "ambient":
        for field in ("cni_values", "ztunnel_values", "ambient_namespace"):
            if field in args:
                v.fail(c, field, "is only used in ambient mode; set mode='ambient' or remove it")
    if "plugged_ca" in args:
        missing = sorted(set(PluggedCaArgs.__required_keys__) - set(args["plugged_ca"]))
        if missing:
            v.fail(
                c,
                "plugged_ca",
                f"is missing {missing}; take it from CertificateAuthority.plugged_ca",
            )
    service = args.get("gateway_service", DEFAULT_GATEWAY_SERVICE)
    v.check_choice(c, "gateway_service.type", service.get("type"), ("LoadBalancer", "NodePort"))
    if service.get("type") == "NodePort":
        if "node_ports" not in service:
            v.fail(c, "gateway_service.node_ports", "is missing; a NodePort gateway needs them")
        check_ports(c, "gateway_service.node_ports", service["node_ports"], node=True)
    elif "node_ports" in service:
        v.fail(c, "gateway_service.node_ports", "is only used with type 'NodePort'")


def gateway_identity(
    release_name: str,
    gateway_namespace: str,
    gateway_values: Mapping[str, Any] | None = None,
    trust_domain: str = "cluster.local",
) -> tuple[dict[str, str], str, str]:
    """The gateway pod's selector, service account and SPIFFE principal, as the chart does it.

    The gateway chart names everything ``values.name`` or else the release name; its pod label
    ``istio`` is ``values.labels.istio`` or else that name without a leading ``istio-``; its
    service account is ``values.serviceAccount.name`` or else that name. So release
    ``istio-ingress`` selects ``istio: ingress``, not the ``istio: ingressgateway`` of the docs.
    """
    values = gateway_values or {}
    name = dig(values, "name") or release_name
    istio_label = dig(values, "labels", "istio") or name.removeprefix("istio-")
    account = dig(values, "serviceAccount", "name") or name
    principal = f"{trust_domain}/ns/{gateway_namespace}/sa/{account}"
    return {"istio": istio_label}, account, principal


def gateway_service_values(service: GatewayServiceArgs) -> dict[str, Any]:
    """The gateway chart's ``service`` values for a LoadBalancer or fixed-NodePort Service."""
    http: dict[str, Any] = {"name": "http2", "port": 80, "protocol": "TCP", "targetPort": 80}
    https: dict[str, Any] = {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}
    status = {
        "name": "status-port",
        "port": STATUS_PORT,
        "protocol": "TCP",
        "targetPort": STATUS_PORT,
    }
    values: dict[str, Any] = {"type": service.get("type", "LoadBalancer")}
    if values["type"] == "NodePort":
        http["nodePort"] = service["node_ports"]["http"]
        https["nodePort"] = service["node_ports"]["https"]
    # Helm replaces lists whole, so the status port must be restated with ours.
    values["ports"] = [status, http, https]
    if service.get("annotations"):
        values["annotations"] = dict(sorted(service["annotations"].items()))
    return values


class IstioInstall(pulumi.ComponentResource):
    """Istio from its official Helm charts: namespaces, control plane and ingress gateway.

    Pass the cluster's provider with ``opts=ResourceOptions(provider=cluster.provider)`` and its
    gateway Service settings with ``gateway_service=cluster.gateway_service()``. The outputs
    (namespaces, selector, service account, principal) are what :class:`HttpsGateway` and
    :class:`StrictMtls` take: derive them here once, never retype them.

    Istio objects must come after istiod serves its validation webhook: give this component
    to the ``depends_on`` input of the components that create them.
    """

    system_namespace: pulumi.Output[str]
    """Namespace of istiod; the mesh root namespace."""
    gateway_namespace: pulumi.Output[str]
    """Namespace of the ingress gateway workload (and so of its TLS secrets)."""
    gateway_selector: pulumi.Output[dict[str, str]]
    """Pod labels that select the gateway workload, e.g. ``{"istio": "ingress"}``."""
    gateway_service_account: pulumi.Output[str]
    """The gateway workload's service account."""
    gateway_principal: pulumi.Output[str]
    """The gateway's SPIFFE principal, ``<trust domain>/ns/<namespace>/sa/<account>``."""
    revision: pulumi.Output[str]
    """The control-plane revision, or ``""`` for the default."""
    version: pulumi.Output[str]
    """The Istio version installed."""
    mode: pulumi.Output[str]
    """``sidecar`` or ``ambient``."""

    def __init__(
        self,
        name: str,
        args: IstioInstallArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = args or {}
        validate_args(args)
        super().__init__("mesh-https:index:IstioInstall", name, None, opts)

        mode = args.get("mode", "sidecar")
        version = args.get("version", ISTIO_VERSION)
        revision = args.get("revision", "")
        system_ns = args.get("system_namespace", "istio-system")
        gateway_ns = args.get("gateway_namespace", "istio-ingress")
        ambient_ns = args.get("ambient_namespace", system_ns)
        release_name = args.get("gateway_release_name", "istio-ingress")
        trust_domain = args.get("trust_domain", "cluster.local")
        gateway_values = args.get("gateway_values", {})
        selector, account, principal = gateway_identity(
            release_name, gateway_ns, gateway_values, trust_domain
        )
        self._repository = args.get("chart_repository", ISTIO_CHART_REPOSITORY)
        self._version = version
        self._timeout = args.get("release_timeout_seconds", 600)
        self._name = name
        after = list(args.get("depends_on", []))

        self.namespaces: dict[str, k8s.core.v1.Namespace] = {}
        for namespace in sorted({system_ns, gateway_ns, ambient_ns} - {"kube-system"}):
            self.namespaces[namespace] = k8s.core.v1.Namespace(
                f"{name}-ns-{namespace}",
                metadata={
                    "name": namespace,
                    "labels": {"app.kubernetes.io/managed-by": "pulumi"},
                },
                opts=pulumi.ResourceOptions(parent=self, depends_on=after),
            )

        def in_namespace(namespace: str) -> list[pulumi.Resource]:
            return [self.namespaces[namespace]] if namespace in self.namespaces else []

        common: dict[str, Any] = {"global": {"istioNamespace": system_ns}}
        profile: dict[str, Any] = {"profile": "ambient"} if mode == "ambient" else {}
        rev: dict[str, Any] = {"revision": revision} if revision else {}

        base_values = deep_merge(common, {"defaultRevision": revision} if revision else {})
        self.base = self._release(
            "base", "base", "istio-base", system_ns,
            deep_merge(base_values, args.get("base_values", {})),
            in_namespace(system_ns),
        )  # fmt: skip

        istiod_after: list[pulumi.Resource] = [self.base]
        self.cacerts: k8s.core.v1.Secret | None = None
        if "plugged_ca" in args:
            ca = args["plugged_ca"]
            # istiod reads cacerts only at start: it must exist before istiod is installed.
            self.cacerts = k8s.core.v1.Secret(
                f"{name}-cacerts",
                metadata={
                    "name": "cacerts",
                    "namespace": system_ns,
                    "labels": dict(MANAGED_LABELS),
                },
                type="Opaque",
                string_data=pulumi.Output.secret(
                    {
                        "ca-cert.pem": ca["ca_cert_pem"],
                        "ca-key.pem": ca["ca_key_pem"],
                        "cert-chain.pem": ca["cert_chain_pem"],
                        "root-cert.pem": ca["root_cert_pem"],
                    }
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=in_namespace(system_ns)),
            )
            istiod_after.append(self.cacerts)

        istiod_values = deep_merge(deep_merge(common, profile), rev)
        istiod_values["meshConfig"] = {"trustDomain": trust_domain}
        if ambient_ns != system_ns:
            istiod_values["pilot"] = {"trustedZtunnelNamespace": ambient_ns}
        self.istiod = self._release(
            "istiod", "istiod", f"istiod-{revision}" if revision else "istiod", system_ns,
            deep_merge(istiod_values, args.get("istiod_values", {})),
            istiod_after,
        )  # fmt: skip

        gateway_after: list[pulumi.Resource] = [self.istiod]
        self.cni: k8s.helm.v3.Release | None = None
        self.ztunnel: k8s.helm.v3.Release | None = None
        if mode == "ambient":
            self.cni = self._release(
                "cni", "cni", "istio-cni", ambient_ns,
                deep_merge(deep_merge(common, profile), args.get("cni_values", {})),
                [self.istiod, *in_namespace(ambient_ns)],
            )  # fmt: skip
            self.ztunnel = self._release(
                "ztunnel", "ztunnel", "ztunnel", ambient_ns,
                # ztunnel reads istioNamespace at the top level as well as under global.
                deep_merge(
                    deep_merge(common, {**rev, "istioNamespace": system_ns}),
                    args.get("ztunnel_values", {}),
                ),
                [self.cni],
            )  # fmt: skip
            gateway_after = [self.ztunnel]

        service = args.get("gateway_service", DEFAULT_GATEWAY_SERVICE)
        ours = deep_merge(rev, {"service": gateway_service_values(service)})
        self.gateway = self._release(
            "gateway", "gateway", release_name, gateway_ns,
            deep_merge(ours, gateway_values),
            [*gateway_after, *in_namespace(gateway_ns)],
        )  # fmt: skip

        self.info = IstioInfo(
            mode=mode,
            revision=revision,
            version=version,
            system_namespace=system_ns,
            gateway_namespace=gateway_ns,
            gateway_selector=selector,
            gateway_service_account=account,
            gateway_principal=principal,
        )
        self.system_namespace = pulumi.Output.from_input(system_ns)
        self.gateway_namespace = pulumi.Output.from_input(gateway_ns)
        self.gateway_selector = pulumi.Output.from_input(selector)
        self.gateway_service_account = pulumi.Output.from_input(account)
        self.gateway_principal = pulumi.Output.from_input(principal)
        self.revision = pulumi.Output.from_input(revision)
        self.version = pulumi.Output.from_input(version)
        self.mode = pulumi.Output.from_input(mode)
        self.register_outputs(
            {
                "system_namespace": self.system_namespace,
                "gateway_namespace": self.gateway_namespace,
                "gateway_selector": self.gateway_selector,
                "gateway_service_account": self.gateway_service_account,
                "gateway_principal": self.gateway_principal,
                "revision": self.revision,
                "version": self.version,
                "mode": self.mode,
            }
        )

    def _release(
        self,
        role: str,
        chart: str,
        release_name: str,
        namespace: str,
        values: Mapping[str, Any],
        after: Sequence[pulumi.Resource],
    ) -> k8s.helm.v3.Release:
        return k8s.helm.v3.Release(
            f"{self._name}-{role}",
            name=release_name,
            chart=chart,
            version=self._version,
            repository_opts={"repo": self._repository},
            namespace=namespace,
            values=values,
            atomic=True,
            cleanup_on_fail=True,
            timeout=self._timeout,
            max_history=10,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
        )
