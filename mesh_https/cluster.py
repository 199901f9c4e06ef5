"""Where the mesh runs: a kind cluster made in the graph, or a cluster that already exists.

Both give the rest of the package the same small interface, :class:`Cluster`: the Kubernetes
provider every resource must use, whether a LoadBalancer can be had, the NodePorts a gateway
must use when it cannot, and the address a client on this machine reaches the gateway at.
"""

from __future__ import annotations

import importlib
import json
import os
import shlex
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Protocol, TypedDict

import pulumi
import pulumi_command as command
import pulumi_kubernetes as k8s
import yaml

from mesh_https import contract
from mesh_https import validation as v
from mesh_https.constraints import (
    DnsLabel,
    IpAddress,
    LabelKey,
    NonEmpty,
    NonNegativeInt,
    Port,
    PositiveInt,
    dns_label_problem,
)
from mesh_https.contract import Rule, Sensitive

KIND_COMPONENT = "KindCluster"
EXISTING_COMPONENT = "ExistingCluster"


class Ports(TypedDict):
    """A pair of ports, one for plain HTTP and one for HTTPS."""

    http: Port
    """Port for plain HTTP (redirected to HTTPS by the gateway)."""
    https: Port
    """Port for HTTPS."""


class GatewayServiceArgs(TypedDict, total=False):
    """How the ingress gateway's Service is exposed; see :meth:`Cluster.gateway_service`."""

    type: Literal["LoadBalancer", "NodePort", "ClusterIP"]
    """Service type. ``NodePort`` where no load balancer exists (kind); ``ClusterIP`` for a
    gateway reached only from inside the cluster."""
    node_ports: Ports
    """Fixed nodePorts for ``http`` and ``https``; required for ``NodePort``."""
    annotations: Mapping[LabelKey, str]
    """Service annotations, e.g. a cloud load balancer's scheme or internal flag."""


class LocalIngress(TypedDict):
    """Where a client on the machine that runs ``pulumi up`` reaches the gateway."""

    address: IpAddress
    """The IP address, e.g. ``127.0.0.1`` for kind's port mappings."""
    ports: Ports
    """The host ports that reach the gateway's HTTP and HTTPS listeners."""


class Cluster(Protocol):
    """What the other components need from a cluster. Kept deliberately small."""

    @property
    def provider(self) -> k8s.Provider:
        """The explicit Kubernetes provider for every resource in the cluster."""
        ...

    @property
    def load_balancer(self) -> bool:
        """Whether a Service of type LoadBalancer gets an address here."""
        ...

    @property
    def node_ports(self) -> Ports | None:
        """Fixed gateway NodePorts, where the cluster maps them (kind)."""
        ...

    @property
    def local_ingress(self) -> LocalIngress | None:
        """Host address and ports reaching the gateway, where known before deploy (kind)."""
        ...

    def gateway_service(self) -> GatewayServiceArgs:
        """The gateway Service settings this cluster needs, for ``IstioInstallArgs``."""
        ...


def gateway_service_for(
    load_balancer: bool, node_ports: Ports | None, annotations: Mapping[str, str] | None = None
) -> GatewayServiceArgs:
    """The gateway Service for a cluster with or without a load balancer."""
    if load_balancer:
        service: GatewayServiceArgs = {"type": "LoadBalancer"}
    else:
        if node_ports is None:
            raise ValueError("a cluster without a load balancer must define node ports")
        service = {"type": "NodePort", "node_ports": node_ports}
    if annotations:
        service["annotations"] = dict(annotations)
    return service


DEFAULT_KUBERNETES_VERSION = "1.35"
"""For the cloud clusters: in the range Istio 1.31 supports (Kubernetes 1.32 to 1.36), and
offered by EKS, GKE (Regular channel) and AKS."""


def _kubernetes_version_problem(value: str) -> str | None:
    major, _, minor = value.partition(".")
    if major == "1" and minor.isdigit() and 32 <= int(minor) <= 36:
        return None
    return "it must be a Kubernetes minor that Istio 1.31 supports, 1.32 to 1.36"


KubernetesVersion = Annotated[
    str, Rule(_kubernetes_version_problem, "a Kubernetes minor like '1.35'")
]


def exec_kubeconfig(name: str, server: str, ca_data: str, exec_config: dict[str, Any]) -> str:
    """A kubeconfig for one cluster whose credentials come from a command (an ``exec``
    plugin: ``aws eks get-token``, ``gke-gcloud-auth-plugin``), so it holds no token."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": name, "cluster": {"server": server, "certificate-authority-data": ca_data}}
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "users": [
            {
                "name": name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "interactiveMode": "Never",
                        **exec_config,
                    }
                },
            }
        ],
    }
    return json.dumps(config, indent=2)


def cloud_sdk(component: str, module: str, package: str, extra: str) -> Any:
    """A cloud SDK module, imported when a cloud cluster is made; without it, the package's
    error naming the extra that brings it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        v.fail(
            component,
            "(package)",
            f"needs {package}, which mesh-https installs with its `{extra}` extra: "
            f"pip install 'mesh-https[{extra}]' (for other languages, `..[{extra}]` in the "
            "provider's requirements.txt)",
        )


def cloud_location(args: Mapping[str, Any], field: str, config: str) -> str:
    """A cloud cluster's region or zone: ``field`` of its args, else the stack's ``config``
    (``aws:region``); :func:`check_cloud_location` has made sure one of them is there."""
    namespace, key = config.split(":")
    return str(args.get(field) or pulumi.Config(namespace).require(key))


def check_cloud_location(
    component: str, args: Mapping[str, Any], field: str, config: str, example: str
) -> None:
    """Refuse a missing ``field`` when the stack's ``config`` has no value either, with the
    command that sets it (``pulumi config set aws:region us-west-2``)."""
    namespace, key = config.split(":")
    if field not in args and not pulumi.Config(namespace).get(key):
        v.fail(
            component,
            field,
            f"is missing, and the stack has no {config}; pulumi config set {config} {example}",
        )


class CloudCluster(pulumi.ComponentResource):
    """What the clusters a cloud runs (EKS, GKE, AKS) share: a provider from a secret
    kubeconfig that waits for the nodes, a load balancer, and a gateway Service with the
    cloud's annotations. Subclasses make the cloud's resources, then call :meth:`_connect`."""

    kubeconfig: pulumi.Output[str]
    """The kubeconfig (secret)."""
    cluster_name: pulumi.Output[str]
    """The cluster's name in the cloud."""

    def _connect(
        self,
        name: str,
        kubeconfig: pulumi.Output[str],
        nodes: pulumi.Resource,
        annotations: Mapping[str, str],
        outputs: Mapping[str, pulumi.Output[Any]],
    ) -> None:
        self.kubeconfig = pulumi.Output.secret(kubeconfig)
        # Everything on the cluster waits for the nodes: Helm waits for pods to run.
        self._k8s_provider = k8s.Provider(
            f"{name}-provider",
            kubeconfig=self.kubeconfig,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[nodes]),
        )
        self._annotations = dict(annotations)
        self.register_outputs(
            {"kubeconfig": self.kubeconfig, "cluster_name": self.cluster_name, **outputs}
        )

    @property
    def provider(self) -> k8s.Provider:
        """The Kubernetes provider for this cluster."""
        return self._k8s_provider

    @property
    def load_balancer(self) -> bool:
        """True: the cloud provisions load balancers."""
        return True

    @property
    def node_ports(self) -> Ports | None:
        """None: the gateway is reached through its load balancer."""
        return None

    @property
    def local_ingress(self) -> LocalIngress | None:
        """None: the load balancer's address is known only after deploy."""
        return None

    def gateway_service(self) -> GatewayServiceArgs:
        """A LoadBalancer Service with the cloud's load-balancer annotations."""
        return gateway_service_for(True, None, self._annotations)


def check_ports(component: str, field: str, ports: Mapping[str, object], *, node: bool) -> None:
    """Both ``http`` and ``https`` present, in range, and different."""
    if set(ports) != {"http", "https"}:
        v.fail(component, field, f"has keys {sorted(ports)}; it needs exactly 'http' and 'https'")
    low, high = (30000, 32767) if node else (1, 65535)
    for key in ("http", "https"):
        v.check_port(component, f"{field}.{key}", ports[key], low=low, high=high)
    v.check_distinct(component, field, ports)


# --------------------------------------------------------------------------------------- kind


class KindClusterArgs(TypedDict, total=False):
    """Inputs of :class:`KindCluster`. Every key is optional."""

    cluster_name: DnsLabel
    """The kind cluster's name (``kind create cluster --name``). Defaults to the resource name."""
    node_image: NonEmpty
    """Pin the node image, e.g. ``kindest/node:v1.34.0@sha256:…``. Defaults to kind's own."""
    host_ports: Ports
    """Host ports mapped to the gateway. Default ``{"http": 80, "https": 443}``."""
    node_ports: Ports
    """The gateway's fixed NodePorts (30000-32767). Default ``{"http": 30080, "https": 30443}``."""
    listen_address: IpAddress
    """Host address the port mappings bind. Default ``127.0.0.1``: not exposed to the LAN."""
    workers: NonNegativeInt
    """Worker nodes besides the control plane. Default 0."""
    wait_seconds: PositiveInt
    """How long ``kind create`` waits for the control plane to be ready. Default 180."""


DEFAULT_HOST_PORTS: Ports = {"http": 80, "https": 443}
DEFAULT_NODE_PORTS: Ports = {"http": 30080, "https": 30443}


def kind_config(args: KindClusterArgs) -> str:
    """The kind cluster config (YAML) for ``args``: deterministic, so it can trigger replacement."""
    host = args.get("host_ports", DEFAULT_HOST_PORTS)
    node = args.get("node_ports", DEFAULT_NODE_PORTS)
    address = args.get("listen_address", "127.0.0.1")
    control_plane: dict[str, object] = {"role": "control-plane"}
    if "node_image" in args:
        control_plane["image"] = args["node_image"]
    control_plane["extraPortMappings"] = [
        {
            "containerPort": node[key],
            "hostPort": host[key],
            "listenAddress": address,
            "protocol": "TCP",
        }
        for key in ("http", "https")
    ]
    nodes = [control_plane]
    for _ in range(args.get("workers", 0)):
        worker: dict[str, object] = {"role": "worker"}
        if "node_image" in args:
            worker["image"] = args["node_image"]
        nodes.append(worker)
    config = {"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4", "nodes": nodes}
    return yaml.safe_dump(config, sort_keys=False)


def validate_kind_args(name: str, args: KindClusterArgs | None) -> KindClusterArgs:
    """Check :class:`KindCluster` input; raises :class:`ValidationError`. Returns the args."""
    c = KIND_COMPONENT
    args = contract.check(c, KindClusterArgs, args)
    if "cluster_name" not in args and dns_label_problem(name):
        v.fail(c, "cluster_name", f"is {name!r} (the resource name); {dns_label_problem(name)}")
    check_ports(c, "host_ports", args.get("host_ports", DEFAULT_HOST_PORTS), node=False)
    check_ports(c, "node_ports", args.get("node_ports", DEFAULT_NODE_PORTS), node=True)
    return contract.deferred(c, KindClusterArgs, args)


class KindCluster(pulumi.ComponentResource):
    """A local kind cluster, created and deleted by the graph (``pulumi-command``).

    The kind config maps the host's ports (80/443 by default) to fixed NodePorts, which the
    gateway Service then uses, so ``https://<host>/`` on this machine reaches the gateway.
    Changing the config replaces the cluster (deleting the old one first: kind names are
    unique). ``kind create`` also adds a ``kind-<name>`` context to your kubeconfig, so
    ``kubectl`` works against it.
    """

    kubeconfig: pulumi.Output[str]
    """The cluster's kubeconfig (secret: it carries client credentials)."""
    cluster_name: pulumi.Output[str]
    """The kind cluster name."""

    def __init__(
        self,
        name: str,
        args: KindClusterArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = validate_kind_args(name, args)
        super().__init__("mesh-https:index:KindCluster", name, None, opts)

        kind_name = args.get("cluster_name", name)
        config = kind_config(args)
        wait = args.get("wait_seconds", 180)
        quoted = shlex.quote(kind_name)
        self._node_ports: Ports = dict(args.get("node_ports", DEFAULT_NODE_PORTS))  # type: ignore[assignment]
        self._host_ports: Ports = dict(args.get("host_ports", DEFAULT_HOST_PORTS))  # type: ignore[assignment]
        self._address = args.get("listen_address", "127.0.0.1")

        create = command.local.Command(
            f"{name}-kind",
            create=(
                f"kind create cluster --name {quoted} --config - --wait {wait}s 1>&2"
                f" && kind get kubeconfig --name {quoted}"
            ),
            delete=f"kind delete cluster --name {quoted}",
            stdin=config,
            # The config lives in triggers, so a change replaces the cluster instead of
            # re-running `kind create` against one that already exists.
            triggers=[kind_name, config],
            opts=pulumi.ResourceOptions(
                parent=self,
                additional_secret_outputs=["stdout"],
                delete_before_replace=True,
            ),
        )
        self.kubeconfig = pulumi.Output.secret(create.stdout)
        self.cluster_name = pulumi.Output.from_input(kind_name)
        self._k8s_provider = k8s.Provider(
            f"{name}-provider",
            kubeconfig=self.kubeconfig,
            # A deleted kind cluster can't be reached again; let destroy forget its objects.
            delete_unreachable=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"kubeconfig": self.kubeconfig, "cluster_name": self.cluster_name})

    @property
    def provider(self) -> k8s.Provider:
        """The Kubernetes provider bound to this cluster's kubeconfig."""
        return self._k8s_provider

    @property
    def load_balancer(self) -> bool:
        """kind has no load balancer: always ``False``."""
        return False

    @property
    def node_ports(self) -> Ports:
        """The gateway NodePorts the host ports are mapped to."""
        return self._node_ports

    @property
    def local_ingress(self) -> LocalIngress:
        """``127.0.0.1`` (or the listen address) and the mapped host ports."""
        address = "127.0.0.1" if self._address in ("0.0.0.0", "") else self._address
        return {"address": address, "ports": self._host_ports}

    def gateway_service(self) -> GatewayServiceArgs:
        """A NodePort gateway on the fixed nodePorts the kind config maps."""
        return gateway_service_for(False, self._node_ports, None)


# ----------------------------------------------------------------------------------- existing


class ExistingClusterArgs(TypedDict, total=False):
    """Inputs of :class:`ExistingCluster`: give ``kubeconfig`` or ``kubeconfig_path``."""

    kubeconfig: pulumi.Input[Kubeconfig]
    """Kubeconfig content (kept as a secret); an Output is checked once known."""
    kubeconfig_path: NonEmpty
    """Path to a kubeconfig file; ``~`` is expanded. The provider reads it at run time."""
    context: NonEmpty
    """The kubeconfig context to use. Defaults to the file's current context."""
    load_balancer: bool
    """Whether LoadBalancer Services get an address. Default ``True`` (cloud clusters)."""
    node_ports: Ports
    """Fixed gateway NodePorts, for clusters without a load balancer."""
    gateway_annotations: Mapping[LabelKey, str]
    """Annotations for the gateway's LoadBalancer Service (e.g. internal, NLB)."""


def kubeconfig_problem(text: str) -> str | None:
    """A kubeconfig: YAML with at least one context."""
    if not text.strip():
        return "it is empty; it must be a kubeconfig with at least one context"
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as err:
        return f"it is not valid YAML ({err.__class__.__name__}); it must be a kubeconfig"
    if not isinstance(parsed, dict) or not parsed.get("contexts"):
        return "it has no contexts; it must be a kubeconfig with at least one context"
    return None


Kubeconfig = Annotated[
    str, Rule(kubeconfig_problem, "a kubeconfig (YAML with contexts)"), Sensitive()
]


def _contexts(text: str) -> list[str]:
    raw = yaml.safe_load(text).get("contexts")
    if not isinstance(raw, list):
        return []
    return sorted(str(entry.get("name")) for entry in raw if isinstance(entry, dict))


def context_problem(text: str, context: str | None) -> tuple[str, str] | None:
    """Which context of a kubeconfig (already a valid one) is used, and why it cannot be, as
    ``(field, problem)``: ``context`` must be one of its contexts; without it, its
    ``current-context`` must be set and be one of them (as ``kubectl`` requires)."""
    names = _contexts(text)
    if context is not None:
        if context not in names:
            return "context", f"is {context!r}; the kubeconfig has {names}"
        return None
    current = yaml.safe_load(text).get("current-context")
    if not current:
        return "context", (
            f"is missing, and the kubeconfig sets no current-context; give one of {names}"
        )
    if current not in names:
        return "kubeconfig", (
            f"sets current-context {str(current)!r}, which is none of its contexts {names}; "
            "give `context`, or fix the kubeconfig"
        )
    return None


def _check_context(text: str, context: str | None, field: str = "kubeconfig") -> None:
    found = context_problem(text, context)
    if found:
        v.fail(EXISTING_COMPONENT, field if found[0] == "kubeconfig" else found[0], found[1])


def validate_existing_args(args: ExistingClusterArgs | None) -> ExistingClusterArgs:
    """Check :class:`ExistingCluster` input; raises :class:`ValidationError`. Returns the args
    to build from (a kubeconfig Output is checked once known)."""
    c = EXISTING_COMPONENT
    args = contract.check(c, ExistingClusterArgs, args)
    has_content = "kubeconfig" in args
    has_path = "kubeconfig_path" in args
    if has_content == has_path:
        v.fail(c, "kubeconfig", "and `kubeconfig_path` are both set or both missing; give one")
    content = args.get("kubeconfig")
    text: str | None = content if isinstance(content, str) else None
    if has_path:
        path = os.path.expanduser(args["kubeconfig_path"])
        if not os.path.isfile(path):
            v.fail(c, "kubeconfig_path", f"is {path!r}, which is not a file")
        with open(path, "rb") as handle:
            raw = handle.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            v.fail(c, "kubeconfig_path", f"is {path!r}, which is not UTF-8 text (kubectl's form)")
        problem = kubeconfig_problem(text)
        if problem:
            v.fail(c, "kubeconfig_path", f"is {path!r}; {problem}")
    context = args.get("context")
    if text is not None:
        _check_context(text, context, "kubeconfig_path" if has_path else "kubeconfig")
    if "node_ports" in args:
        check_ports(c, "node_ports", args["node_ports"], node=True)
    elif not args.get("load_balancer", True):
        v.fail(c, "node_ports", "is missing; a cluster without a load balancer needs them")
    args = contract.deferred(c, ExistingClusterArgs, args)
    if text is None:
        # An Output: the same rule once it is known, before the provider that uses it.
        args["kubeconfig"] = contract.once_known(
            args["kubeconfig"], lambda known, _secret: _check_context(known, context)
        )
    return args


class ExistingCluster(pulumi.ComponentResource):
    """A cluster that already exists (a cloud cluster, or any kubeconfig context).

    Gives the same interface as :class:`KindCluster`. By default the gateway gets a
    LoadBalancer Service; set ``load_balancer=False`` with ``node_ports`` for bare-metal.
    """

    def __init__(
        self,
        name: str,
        args: ExistingClusterArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = validate_existing_args(args)
        super().__init__("mesh-https:index:ExistingCluster", name, None, opts)
        self._load_balancer = args.get("load_balancer", True)
        self._node_ports: Ports | None = args.get("node_ports")
        self._annotations = args.get("gateway_annotations")
        kubeconfig: pulumi.Input[str] = (
            pulumi.Output.secret(args["kubeconfig"])
            if "kubeconfig" in args
            else os.path.expanduser(args["kubeconfig_path"])
        )
        self._k8s_provider = k8s.Provider(
            f"{name}-provider",
            kubeconfig=kubeconfig,
            context=args.get("context"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})

    @property
    def provider(self) -> k8s.Provider:
        """The Kubernetes provider for the chosen kubeconfig and context."""
        return self._k8s_provider

    @property
    def load_balancer(self) -> bool:
        """Whether the gateway gets a LoadBalancer Service."""
        return self._load_balancer

    @property
    def node_ports(self) -> Ports | None:
        """Fixed gateway NodePorts, if configured."""
        return self._node_ports

    @property
    def local_ingress(self) -> LocalIngress | None:
        """Unknown before deploy: a load balancer's address comes from the cluster."""
        return None

    def gateway_service(self) -> GatewayServiceArgs:
        """LoadBalancer (with annotations) or NodePort, as configured."""
        return gateway_service_for(self._load_balancer, self._node_ports, self._annotations)
