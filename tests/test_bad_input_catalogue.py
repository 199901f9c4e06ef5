"""The bad-input catalogue: mistakes a demanding new user makes, and what each one gets.

Every case is refused with the package's one error type, naming the component and the field
(or the stack-config key typed) and what would be valid, and nothing is registered. The cases
are grouped by the class of mistake; ``CLASSES`` checks that each class has cases.
"""

from __future__ import annotations

import copy
import datetime as dt
import runpy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pytest
from conftest import ROOT, ca_pem, stack_config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

import mesh_https as m
from mesh_https import ValidationError
from mesh_https.testing import MockSession

KUBECONFIG = "apiVersion: v1\ncontexts: [{name: a, context: {}}]\ncurrent-context: a\n"
DELETE = object()
"""A patch value that removes the key."""


@dataclass(frozen=True)
class Out:
    """Stands for an Output of ``value``, made inside the test's session."""

    value: Any


BASE: dict[str, dict[str, Any]] = {
    "IstioInstall": {},
    "HttpsGateway": {
        "gateway_namespace": "istio-ingress",
        "selector": {"istio": "ingress"},
        "hosts": ["a.example.com"],
    },
    "CanaryRoute": {
        "host": "reviews",
        "namespace": "shop",
        "subsets": [
            {"name": "v1", "labels": {"version": "v1"}, "weight": 80},
            {"name": "v2", "labels": {"version": "v2"}, "weight": 20},
        ],
    },
    "StrictMtls": {"namespaces": ["shop"]},
    "MeshNamespace": {"namespace": "shop"},
    "CertificateAuthority": {},
    "KindCluster": {},
    "ExistingCluster": {"kubeconfig": KUBECONFIG},
}

COMPONENTS: dict[str, Callable[[Any], object]] = {
    "IstioInstall": lambda a: m.IstioInstall("istio", a),
    "HttpsGateway": lambda a: m.HttpsGateway("edge", a),
    "CanaryRoute": lambda a: m.CanaryRoute("reviews", a),
    "StrictMtls": lambda a: m.StrictMtls("mtls", a),
    "MeshNamespace": lambda a: m.MeshNamespace("shop", a),
    "CertificateAuthority": lambda a: m.CertificateAuthority("pki", a),
    "KindCluster": lambda a: m.KindCluster("kind", a),
    "ExistingCluster": lambda a: m.ExistingCluster("existing", a),
}


@dataclass(frozen=True)
class Case:
    """One mistake: the class it belongs to, where it is made, and what the error says."""

    klass: str
    component: str
    patch: dict[str, Any]
    field: str
    words: str
    replace: bool = False
    """Use ``patch`` as the whole args instead of laying it over the base."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.klass}:{self.component}:{self.field}"


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            if value is DELETE:
                merged.pop(key, None)
            else:
                merged[key] = _merge(base.get(key), value)
        return merged
    return patch


def _materialize(value: Any) -> Any:
    if isinstance(value, Out):
        return pulumi.Output.from_input(value.value)
    if isinstance(value, dict):
        return {k: _materialize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_materialize(v) for v in value]
    return value


def subsets(**weights: Any) -> list[dict[str, Any]]:
    return [{"name": n, "labels": {"version": n}, "weight": w} for n, w in weights.items()]


def route(**extra: Any) -> dict[str, Any]:
    return {"routes": [{"name": "r", "subset": "v2", **extra}]}


C = Case
CASES: list[Case] = [
    # -------------------------------------------------- a string where a list belongs
    C("str-as-list", "StrictMtls", {"namespaces": "demo"}, "namespaces", "a single string"),
    C(
        "str-as-list",
        "StrictMtls",
        {"allow": [{"name": "m", "namespaces": "monitoring"}]},
        "allow[0].namespaces",
        "a single string",
    ),
    C(
        "str-as-list",
        "StrictMtls",
        {"allow": [{"name": "m", "principals": "a/ns/b/sa/c"}]},
        "allow[0].principals",
        "a single string",
    ),
    C(
        "str-as-list",
        "StrictMtls",
        {"allow": [{"name": "m", "namespaces": ["a"], "methods": "GET"}]},
        "allow[0].methods",
        "a single string",
    ),
    C(
        "str-as-list",
        "StrictMtls",
        {"istio_mutual_hosts": "a.b.svc.cluster.local"},
        "istio_mutual_hosts",
        "a single string",
    ),
    C("str-as-list", "HttpsGateway", {"hosts": "a.example.com"}, "hosts", "a single string"),
    C(
        "str-as-list",
        "HttpsGateway",
        {"cipher_suites": "AES128-SHA"},
        "cipher_suites",
        "a single string",
    ),
    C(
        "str-as-list",
        "CanaryRoute",
        {"external_hosts": "a.example.com"},
        "external_hosts",
        "a single string",
    ),
    C("str-as-list", "CanaryRoute", {"export_to": "*"}, "export_to", "a single string"),
    C(
        "str-as-list",
        "CanaryRoute",
        {"retries": {"attempts": 2, "retry_on": "5xx"}},
        "retries.retry_on",
        "a single string",
    ),
    C("str-as-list", "IstioInstall", {"revisions": "1-31-4"}, "revisions", "a single string"),
    C(
        "str-as-list",
        "IstioInstall",
        {"revisions": [{"name": "a", "tags": "prod"}]},
        "revisions[0].tags",
        "a single string",
    ),
    C(
        "str-as-list",
        "MeshNamespace",
        {"scope_sidecar": True, "extra_egress_hosts": "a/b"},
        "extra_egress_hosts",
        "a single string",
    ),
    C("str-as-list", "IstioInstall", {"depends_on": "cluster"}, "depends_on", "a single string"),
    # ------------------------------------------------------- truthy strings and numbers
    C(
        "truthy",
        "StrictMtls",
        {"migration": "no", "peer_mode": "PERMISSIVE"},
        "migration",
        "true or false",
    ),
    C("truthy", "StrictMtls", {"mesh_wide": "false"}, "mesh_wide", "true or false"),
    C("truthy", "StrictMtls", {"authorization": 0}, "authorization", "true or false"),
    C("truthy", "HttpsGateway", {"https_redirect": "false"}, "https_redirect", "true or false"),
    C("truthy", "HttpsGateway", {"allow_wildcards": 1}, "allow_wildcards", "true or false"),
    C("truthy", "CertificateAuthority", {"mesh_ca": "false"}, "mesh_ca", "true or false"),
    C("truthy", "CertificateAuthority", {"intermediate": "yes"}, "intermediate", "true or false"),
    C("truthy", "CertificateAuthority", {"protect_root": "false"}, "protect_root", "true or false"),
    C("truthy", "ExistingCluster", {"load_balancer": "false"}, "load_balancer", "true or false"),
    C("truthy", "CanaryRoute", {"mesh": "false"}, "mesh", "true or false"),
    C("truthy", "MeshNamespace", {"scope_sidecar": "true"}, "scope_sidecar", "true or false"),
    # ------------------------------------------------------------- floats and bools as ints
    C(
        "number",
        "CanaryRoute",
        {"subsets": subsets(v1=80.0, v2=20)},
        "subsets[0].weight",
        "a whole number",
    ),
    C(
        "number",
        "CanaryRoute",
        {"subsets": subsets(v1=True, v2=99)},
        "subsets[0].weight",
        "a whole number",
    ),
    C("number", "CanaryRoute", {"port": 80.5}, "port", "a whole number"),
    C("number", "CanaryRoute", {"port": "80"}, "port", "a whole number"),
    C(
        "number",
        "IstioInstall",
        {"release_timeout_seconds": 600.0},
        "release_timeout_seconds",
        "a whole number",
    ),
    C("number", "KindCluster", {"workers": True}, "workers", "a whole number"),
    C(
        "number",
        "KindCluster",
        {"host_ports": {"http": 80, "https": "443"}},
        "host_ports.https",
        "a whole number",
    ),
    C(
        "number",
        "CertificateAuthority",
        {"validity_hours": 2160.5},
        "validity_hours",
        "a whole number",
    ),
    C(
        "number",
        "StrictMtls",
        {
            "port_exceptions": [
                {"name": "x", "namespace": "shop", "selector": {"a": "b"}, "port": "8080"}
            ]
        },
        "port_exceptions[0].port",
        "a whole number",
    ),
    # -------------------------------------------------------------- values outside a Literal
    C("literal", "IstioInstall", {"mode": "proxyless"}, "mode", "'sidecar', 'ambient'"),
    C("literal", "HttpsGateway", {"mode": "simple"}, "mode", "'SIMPLE'"),
    C(
        "literal",
        "HttpsGateway",
        {"min_tls_version": "TLSV1_1"},
        "min_tls_version",
        "TLS below 1.2 is not allowed",
    ),
    C("literal", "HttpsGateway", {"grouping": "perhost"}, "grouping", "'per_host'"),
    C("literal", "StrictMtls", {"peer_mode": "DISABLE"}, "peer_mode", "named port exception"),
    C(
        "literal",
        "StrictMtls",
        {"data_plane_mode": "sidecarless"},
        "data_plane_mode",
        "'sidecar', 'ambient'",
    ),
    C(
        "literal",
        "StrictMtls",
        {"allow": [{"name": "a", "namespaces": ["b"], "methods": ["get"]}]},
        "allow[0].methods[0]",
        "'GET'",
    ),
    C("literal", "CanaryRoute", {"tls_mode": "DISABLE"}, "tls_mode", "'ISTIO_MUTUAL'"),
    C(
        "literal",
        "CanaryRoute",
        {"load_balancer": {"simple": "FASTEST"}},
        "load_balancer.simple",
        "'ROUND_ROBIN'",
    ),
    C(
        "literal",
        "CertificateAuthority",
        {"key": {"algorithm": "DSA"}},
        "key.algorithm",
        "'ECDSA', 'RSA'",
    ),
    C("literal", "MeshNamespace", {"mode": "ambiant"}, "mode", "'sidecar', 'ambient'"),
    C(
        "literal",
        "IstioInstall",
        {"gateway_service": {"type": "ExternalName"}},
        "gateway_service.type",
        "'LoadBalancer', 'NodePort', 'ClusterIP'",
    ),
    # ------------------------------------------------------------------ unknown keys
    C(
        "unknown-key",
        "StrictMtls",
        {"allow": [{"name": "a", "namespaces": ["b"], "method": ["GET"]}]},
        "allow[0].method",
        "did you mean 'methods'",
    ),
    C(
        "unknown-key",
        "CanaryRoute",
        {"retries": {"attempts": 2, "perTryTimout": "1s"}},
        "retries.perTryTimout",
        "did you mean 'per_try_timeout'",
    ),
    C(
        "unknown-key",
        "CanaryRoute",
        {"connection_pool": {"max_connection": 5}},
        "connection_pool.max_connection",
        "did you mean 'max_connections'",
    ),
    C("unknown-key", "CanaryRoute", {"connectionPool": {}}, "connectionPool", "valid keys"),
    C(
        "unknown-key",
        "CanaryRoute",
        route(headers={"x": {"exact": "1", "prefx": "a"}}),
        "routes[0].headers.x.prefx",
        "did you mean 'prefix'",
    ),
    C("unknown-key", "IstioInstall", {"versoin": "1.31.4"}, "versoin", "did you mean 'version'"),
    C(
        "unknown-key",
        "IstioInstall",
        {"gateway_service": {"type": "NodePort", "nodePorts": {}}},
        "gateway_service.nodePorts",
        "did you mean 'node_ports'",
    ),
    C(
        "unknown-key",
        "IstioInstall",
        {"revisions": [{"name": "a", "tag": []}]},
        "revisions[0].tag",
        "did you mean 'tags'",
    ),
    C("unknown-key", "HttpsGateway", {"host": ["a.example.com"]}, "host", "did you mean 'hosts'"),
    C(
        "unknown-key",
        "HttpsGateway",
        {"key": {"curve": "P256"}},
        "key.curve",
        "did you mean 'ecdsa_curve'",
    ),
    C("unknown-key", "MeshNamespace", {"label": {"a": "b"}}, "label", "did you mean 'labels'"),
    C(
        "unknown-key",
        "KindCluster",
        {"hostPorts": {"http": 80, "https": 443}},
        "hostPorts",
        "did you mean 'host_ports'",
    ),
    C(
        "unknown-key",
        "ExistingCluster",
        {"kube_config": KUBECONFIG},
        "kube_config",
        "did you mean 'kubeconfig'",
    ),
    C("unknown-key", "CertificateAuthority", {"validity": 10}, "validity", "validity_hours"),
    C(
        "unknown-key",
        "StrictMtls",
        {
            "port_exceptions": [
                {
                    "name": "x",
                    "namespace": "shop",
                    "selector": {"a": "b"},
                    "port": 80,
                    "mod": "DISABLE",
                }
            ]
        },
        "port_exceptions[0].mod",
        "did you mean 'mode'",
    ),
    # ------------------------------------------------- an Output where a plain value is needed
    C("output", "CanaryRoute", {"namespace": Out("shop")}, "namespace", "is an Output"),
    C("output", "CanaryRoute", {"host": Out("reviews")}, "host", "is an Output"),
    C(
        "output",
        "CanaryRoute",
        {"namespace": Out("shop")},
        "namespace",
        "pass the namespace's name, as a string, not an Output",
    ),
    C("output", "MeshNamespace", {"mode": Out("ambient")}, "mode", "e.g. `istio.info.mode`"),
    C("output", "StrictMtls", {"namespaces": [Out("shop")]}, "namespaces[0]", "is an Output"),
    C(
        "output",
        "StrictMtls",
        {"data_plane_mode": Out("ambient")},
        "data_plane_mode",
        "istio.info.mode",
    ),
    C(
        "output",
        "StrictMtls",
        {"system_namespace": Out("istio-system")},
        "system_namespace",
        "istio.info.system_namespace",
    ),
    C("output", "IstioInstall", {"mode": Out("ambient")}, "mode", "is an Output"),
    C("output", "IstioInstall", {"revision": Out("canary")}, "revision", "is an Output"),
    C("output", "MeshNamespace", {"mode": Out("ambient")}, "mode", "istio.info.mode"),
    C("output", "MeshNamespace", {"revision": Out("prod")}, "revision", "istio.info.revision"),
    C(
        "output",
        "MeshNamespace",
        {"system_namespace": Out("istio-system")},
        "system_namespace",
        "istio.info.system_namespace",
    ),
    C(
        "output",
        "HttpsGateway",
        {"gateway_namespace": Out("istio-ingress")},
        "gateway_namespace",
        "istio.info.gateway_namespace",
    ),
    C("output", "HttpsGateway", {"hosts": [Out("a.example.com")]}, "hosts[0]", "is an Output"),
    C("output", "KindCluster", {"cluster_name": Out("dev")}, "cluster_name", "is an Output"),
    # ------------------------------------------------------- what used to be a traceback
    C("traceback", "IstioInstall", {"depends_on": pulumi.Resource}, "depends_on", "a list"),
    C("traceback", "IstioInstall", {"istiod_values": [{"a": 1}]}, "istiod_values", "a mapping"),
    C(
        "traceback",
        "IstioInstall",
        {"gateway_values": "replicaCount: 2"},
        "gateway_values",
        "a mapping",
    ),
    C(
        "traceback",
        "CanaryRoute",
        route(headers={"x-a": "b"}),
        "routes[0].headers.x-a",
        "an object with keys exact, prefix, regex",
    ),
    C(
        "traceback",
        "CanaryRoute",
        {"gateways": [{"hosts": ["a.example.com"]}], "external_hosts": ["a.example.com"]},
        "gateways[0].ref",
        "is missing",
    ),
    C(
        "traceback",
        "HttpsGateway",
        {"local_ingress": {"address": "127.0.0.1"}},
        "local_ingress.ports",
        "is missing",
    ),
    C(
        "traceback",
        "HttpsGateway",
        {"issuer": {"cert_pem": ca_pem("x")}},
        "issuer.private_key_pem",
        "is missing",
    ),
    C(
        "traceback",
        "CanaryRoute",
        {"subsets": [{"name": "v1", "labels": {"version": "v1"}}]},
        "subsets",
        "give no weights",
    ),
    C("traceback", "CanaryRoute", {"subsets": {"v1": 100}}, "subsets", "a list"),
    C("traceback", "CanaryRoute", {"host": DELETE}, "host", "is missing"),
    C(
        "traceback",
        "StrictMtls",
        {"port_exceptions": [{"name": "x", "namespace": "shop", "port": 80}]},
        "port_exceptions[0].selector",
        "is missing",
    ),
    C("traceback", "StrictMtls", {"allow": [{"namespaces": ["a"]}]}, "allow[0].name", "is missing"),
    C(
        "traceback",
        "IstioInstall",
        {"plugged_ca": {"ca_cert_pem": ca_pem("x")}},
        "plugged_ca.ca_key_pem",
        "is missing",
    ),
    C(
        "traceback",
        "KindCluster",
        {"node_ports": {"http": 30080}},
        "node_ports.https",
        "is missing",
    ),
    C(
        "traceback",
        "ExistingCluster",
        {"node_ports": [30080, 30443]},
        "node_ports",
        "an object with keys http, https",
    ),
    C(
        "traceback",
        "IstioInstall",
        {"chart_repository_auth": "user:pass"},
        "chart_repository_auth",
        "an object with keys",
    ),
    C("traceback", "MeshNamespace", {"labels": ["team=a"]}, "labels", "a mapping"),
    # ------------------------------------------------------ Istio's own admission rules
    C(
        "istio-rule",
        "CanaryRoute",
        route(headers={"x a": {"exact": "1"}}),
        "routes[0].headers.x a",
        "HTTP header name",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        route(headers={"X-Canary": {"exact": "1"}}),
        "routes[0].headers.X-Canary",
        "lowercase",
    ),
    C("istio-rule", "CanaryRoute", route(path={"prefix": ""}), "routes[0].path.prefix", "is empty"),
    C(
        "istio-rule",
        "CanaryRoute",
        route(headers={"x": {"regex": "a++"}}),
        "routes[0].headers.x.regex",
        "RE2 refuses",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        route(headers={"x": {"regex": "\\Z"}}),
        "routes[0].headers.x.regex",
        "RE2 refuses",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        route(headers={"x": {"regex": "(?=a)"}}),
        "routes[0].headers.x.regex",
        "RE2 refuses",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        route(headers={"x": {"regex": ""}}),
        "routes[0].headers.x.regex",
        "non-empty",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        {"retries": {"attempts": 2, "retry_on": ["5xxx"]}},
        "retries.retry_on[0]",
        "not a retryOn policy",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        {"retries": {"attempts": 2, "retry_on": ["connect_failure"]}},
        "retries.retry_on[0]",
        "connect-failure",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        {"export_to": ["*", "shop"]},
        "export_to",
        "'*' together with other entries",
    ),
    C("istio-rule", "CanaryRoute", {"export_to": ["~"]}, "export_to[0]", "'.', '*'"),
    C("istio-rule", "CanaryRoute", {"export_to": [".", "."]}, "export_to", "duplicate"),
    C("istio-rule", "CanaryRoute", {"timeout": "10"}, "timeout", "a duration like '2s'"),
    C("istio-rule", "CanaryRoute", {"timeout": "0.5ms"}, "timeout", "at least 1ms"),
    C("istio-rule", "CanaryRoute", {"timeout": "1.0005s"}, "timeout", "to the millisecond"),
    C(
        "istio-rule",
        "CanaryRoute",
        {"fault": {"abort": {"http_status": 503, "percentage": 0}}},
        "fault.abort.percentage",
        "percentage above 0",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        {"fault": {"abort": {"http_status": 700, "percentage": 5}}},
        "fault.abort.http_status",
        "from 200 to 599",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        {"load_balancer": {"consistent_hash_header": "X-User"}},
        "load_balancer.consistent_hash_header",
        "lowercase",
    ),
    C(
        "istio-rule",
        "HttpsGateway",
        {"gateway_name": "edge.gateway"},
        "gateway_name",
        "DNS-1123 label",
    ),
    C("istio-rule", "HttpsGateway", {"gateway_name": "g" * 64}, "gateway_name", "DNS-1123 label"),
    C(
        "istio-rule",
        "HttpsGateway",
        {"cipher_suites": ["RC4-MD5"]},
        "cipher_suites[0]",
        "not a cipher suite Envoy accepts",
    ),
    C(
        "istio-rule",
        "StrictMtls",
        {"gateway_principal": "spiffe://cluster.local/ns/a/sa/b"},
        "gateway_principal",
        "no 'spiffe://'",
    ),
    C(
        "istio-rule",
        "StrictMtls",
        {"allow": [{"name": "a", "principals": ["*/ns/*/sa/b"]}]},
        "allow[0].principals[0]",
        "one '*' at most",
    ),
    C(
        "istio-rule",
        "StrictMtls",
        {"allow": [{"name": "a", "namespaces": ["b"], "paths": ["/a*b"]}]},
        "allow[0].paths[0]",
        "only start or end",
    ),
    C(
        "istio-rule",
        "StrictMtls",
        {"allow": [{"name": "a", "namespaces": ["b"], "paths": ["api"]}]},
        "allow[0].paths[0]",
        "start with '/'",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        {
            "subsets": [
                *subsets(v1=100),
                {"name": "v2", "labels": {"version": "v" * 64}, "weight": 0},
            ]
        },
        "subsets[1].labels.version",
        "label value",
    ),
    C("istio-rule", "MeshNamespace", {"labels": {"team/": "a"}}, "labels.team/", "label key"),
    C("istio-rule", "MeshNamespace", {"labels": {"team": "a b"}}, "labels.team", "label value"),
    C(
        "istio-rule",
        "IstioInstall",
        {"revision": "r" * 47},
        "revision",
        "53 characters, Helm's limit",
    ),
    C(
        "istio-rule",
        "IstioInstall",
        {"gateway_release_name": "g" * 54},
        "gateway_release_name",
        "53 characters",
    ),
    C("istio-rule", "IstioInstall", {"version": "1.21.6"}, "version", "networking.istio.io/v1"),
    C("istio-rule", "IstioInstall", {"version": "v1.31.4"}, "version", "an Istio release"),
    C(
        "istio-rule",
        "IstioInstall",
        {"image_hub": "https://docker.io/istio"},
        "image_hub",
        "no https://",
    ),
    C(
        "istio-rule",
        "IstioInstall",
        {"chart_repository": "istio-release.example/charts"},
        "chart_repository",
        "oci://",
    ),
    C(
        "istio-rule",
        "IstioInstall",
        {"system_namespace": "Istio_System"},
        "system_namespace",
        "DNS-1123 label",
    ),
    C(
        "istio-rule",
        "IstioInstall",
        {"trust_domain": "Bad Domain"},
        "trust_domain",
        "DNS-1123 subdomain",
    ),
    C(
        "istio-rule",
        "IstioInstall",
        {"gateway_service": {"annotations": {"a b": "c"}}},
        "gateway_service.annotations.a b",
        "label key",
    ),
    C(
        "istio-rule",
        "KindCluster",
        {"node_ports": {"http": 80, "https": 30443}},
        "node_ports.http",
        "30000 to 32767",
    ),
    C(
        "istio-rule",
        "KindCluster",
        {"listen_address": "localhost"},
        "listen_address",
        "an IP address",
    ),
    C(
        "istio-rule",
        "KindCluster",
        {"cluster_name": "Dev_Cluster"},
        "cluster_name",
        "DNS-1123 label",
    ),
    # ------------------------------------------------------- two inputs, one object
    C(
        "collision",
        "HttpsGateway",
        {"hosts": ["a-b.example.com", "a.b-example.com"], "grouping": "per_host"},
        "hosts",
        "'a-b-example-com'",
    ),
    C(
        "collision",
        "HttpsGateway",
        {"hosts": ["a.example.com", "a.example.com"]},
        "hosts[1]",
        "exactly one certificate",
    ),
    C("collision", "StrictMtls", {"namespaces": ["istio-system"]}, "namespaces", "root namespace"),
    C(
        "collision",
        "StrictMtls",
        {
            "namespaces": ["istio-ingress"],
            "gateway_principal": "cluster.local/ns/istio-ingress/sa/gw",
        },
        "namespaces",
        "the namespace of gateway",
    ),
    C("collision", "StrictMtls", {"namespaces": ["shop", "shop"]}, "namespaces", "repeats"),
    C("collision", "MeshNamespace", {"namespace": "istio-system"}, "namespace", "system namespace"),
    C(
        "collision",
        "CanaryRoute",
        {"subsets": [*subsets(v1=50), *subsets(v1=50)]},
        "subsets[1].name",
        "unique",
    ),
    C(
        "collision",
        "IstioInstall",
        {"revisions": [{"name": "a", "tags": ["p"]}, {"name": "b", "tags": ["p"]}]},
        "revisions[1].tags[0]",
        "already points at revision 'a'",
    ),
    C(
        "collision",
        "IstioInstall",
        {"revisions": [{"name": "a"}, {"name": "a"}]},
        "revisions[1].name",
        "unique",
    ),
    C(
        "collision",
        "KindCluster",
        {"host_ports": {"http": 8443, "https": 8443}},
        "host_ports",
        "each must be different",
    ),
    C(
        "collision",
        "StrictMtls",
        {"allow": [{"name": "a", "namespaces": ["b"]}, {"name": "a", "namespaces": ["c"]}]},
        "allow[1].name",
        "unique",
    ),
    C(
        "collision",
        "StrictMtls",
        {"allow": [{"name": "ingress-gateway", "namespaces": ["b"]}]},
        "allow[0].name",
        "unique",
    ),
    # ---------------------------------------------------- cross-field rules, fail closed
    C("cross-field", "StrictMtls", {"peer_mode": "PERMISSIVE"}, "peer_mode", "migration=True"),
    C("cross-field", "CanaryRoute", {"subsets": subsets(v1=80, v2=30)}, "subsets", "sum to 110"),
    C(
        "cross-field",
        "CanaryRoute",
        {"timeout": "1s", "retries": {"attempts": 3, "per_try_timeout": "1s"}},
        "timeout",
        "shorter than attempts",
    ),
    C(
        "cross-field",
        "HttpsGateway",
        {"hosts": ["*.example.com"]},
        "hosts[0]",
        "allow_wildcards=True",
    ),
    C(
        "cross-field",
        "HttpsGateway",
        {"client_common_name": "me"},
        "client_common_name",
        "only applies to modes MUTUAL or OPTIONAL_MUTUAL",
    ),
    C("cross-field", "IstioInstall", {"cni_values": {}}, "cni_values", "ambient mode"),
    C(
        "collision",
        "IstioInstall",
        {"gateways": [{"name": "edge"}, {"name": "edge", "namespace": "other"}]},
        "gateways[1].name",
        "repeats",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"gateways": [{"name": "edge"}], "gateway_values": {}},
        "gateway_values",
        "cannot be combined with `gateways`",
    ),
    C(
        "cross-field",
        "StrictMtls",
        {"gateway_principals": ["spiffe://cluster.local/ns/a/sa/b"]},
        "gateway_principals[0]",
        "no 'spiffe://'",
    ),
    C(
        "cross-field",
        "HttpsGateway",
        {"mode": "OPTIONAL_MUTUAL", "client_subject_alt_names": [" padded "]},
        "client_subject_alt_names[0]",
        "without spaces around it",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"revisions": [{"name": "a"}, {"name": "b"}]},
        "workload_revision",
        "is missing",
    ),
    C(
        "cross-field",
        "CertificateAuthority",
        {"validity_hours": 24},
        "validity_hours",
        "renewal window",
    ),
    C("cross-field", "ExistingCluster", {"load_balancer": False}, "node_ports", "needs them"),
    C(
        "cross-field",
        "ExistingCluster",
        {"kubeconfig": KUBECONFIG, "context": "b"},
        "context",
        "['a']",
    ),
    # --------------------------------------------- revisions, tags and chart sources
    C(
        "lifecycle",
        "IstioInstall",
        {"revision": "a", "revisions": [{"name": "b"}]},
        "revisions",
        "cannot be combined",
    ),
    C("lifecycle", "IstioInstall", {"revisions": []}, "revisions", "non-empty list"),
    C(
        "lifecycle",
        "IstioInstall",
        {"revisions": [{"tags": ["prod"]}]},
        "revisions[0].name",
        "is missing",
    ),
    C(
        "lifecycle",
        "IstioInstall",
        {"revisions": [{"name": "A"}]},
        "revisions[0].name",
        "DNS-1123 label",
    ),
    C(
        "lifecycle",
        "IstioInstall",
        {"revisions": [{"name": "a"}, {"name": "a"}]},
        "revisions[1].name",
        "unique",
    ),
    C(
        "lifecycle",
        "IstioInstall",
        {"revisions": [{"name": "a", "tags": ["p"]}, {"name": "b", "tags": ["p"]}]},
        "revisions[1].tags[0]",
        "already points at revision 'a'",
    ),
    C(
        "lifecycle",
        "IstioInstall",
        {"revisions": [{"name": "a", "tags": ["b"]}, {"name": "b"}]},
        "revisions",
        "same name as a revision",
    ),
    C(
        "lifecycle",
        "IstioInstall",
        {"revisions": [{"name": "a"}, {"name": "b"}]},
        "workload_revision",
        "is missing",
    ),
    C(
        "lifecycle",
        "IstioInstall",
        {"revisions": [{"name": "a", "tags": ["prod"]}], "workload_revision": "stable"},
        "workload_revision",
        "neither a tag (['prod']) nor a revision (['a'])",
    ),
    C(
        "lifecycle",
        "IstioInstall",
        {"revision": "a", "workload_revision": "b"},
        "workload_revision",
        "Tags are declared",
    ),
    C(
        "lifecycle",
        "IstioInstall",
        {"mode": "ambient", "revisions": [{"name": "a"}, {"name": "b"}]},
        "revisions",
        "ambient",
    ),
    C(
        "lifecycle",
        "IstioInstall",
        {"revisions": [{"name": "r" * 47}]},
        "revisions[0].name",
        "53 characters, Helm's limit",
    ),
    C(
        "lifecycle",
        "IstioInstall",
        {"chart_repository": "charts.example.com"},
        "chart_repository",
        "oci://",
    ),
    C(
        "lifecycle",
        "IstioInstall",
        {"chart_repository": "s3://bucket/charts"},
        "chart_repository",
        "oci://",
    ),
    C(
        "lifecycle",
        "IstioInstall",
        {"image_hub": "https://docker.io/istio"},
        "image_hub",
        "docker.io/istio",
    ),
    C("lifecycle", "IstioInstall", {"image_hub": "docker.io/istio/"}, "image_hub", "trailing"),
    C(
        "lifecycle",
        "IstioInstall",
        {"image_hub": "docker.io/istio:1.31.4"},
        "image_hub",
        "no https://, tag",
    ),
]


# --------------------------------- inputs that are each valid but contradict each other


def _matched(**extra: Any) -> dict[str, Any]:
    """One match route (by header) with ``extra``."""
    return {"routes": [{"name": "r", "subset": "v2", "headers": {"x-a": {"exact": "1"}}, **extra}]}


GW_API = {"api": "gateway-api", "port": 9080}
CASES += [
    # What Istio's admission (pkg/config/validation) refuses.
    C(
        "istio-rule",
        "CanaryRoute",
        {"retries": {"attempts": 0, "per_try_timeout": "2s"}},
        "retries.attempts",
        "give attempts of 1 or more",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        {"retries": {"attempts": 0, "retry_on": ["5xx"]}},
        "retries.attempts",
        "or remove retry_on",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        _matched(request_headers={"remove": ["host"]}),
        "routes[0].request_headers.remove",
        "set it, or rewrite the authority",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        _matched(response_headers={"set": {"host": "a"}}),
        "routes[0].response_headers.set",
        "on responses",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        _matched(request_headers={"set": {"host": "a.example"}}, rewrite={"authority": "b"}),
        "routes[0].request_headers.set",
        "keep one of them",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        _matched(request_headers={"set": {"x-b": "a\nb"}}),
        "routes[0].request_headers.set.x-b",
        "control character",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        _matched(response_headers={"add": {"x-b": "100%"}}),
        "routes[0].response_headers.add.x-b",
        "as '%%'",
    ),
    # What the HTTPRoute CRD refuses (the Gateway API rendering).
    C(
        "istio-rule",
        "CanaryRoute",
        {"api": "gateway-api", "host": "reviews", "namespace": "shop"},
        "port",
        "must name its port",
        replace=True,
    ),
    C("istio-rule", "CanaryRoute", {**GW_API, "timeout": "1.5s"}, "timeout", "'1500ms'"),
    C(
        "istio-rule",
        "CanaryRoute",
        {**GW_API, **_matched(path={"prefix": "api"})},
        "routes[0].path.prefix",
        "must start with '/'",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        {**GW_API, **_matched(path={"exact": "/a//b"})},
        "routes[0].path.exact",
        "must not contain '//'",
    ),
    C(
        "istio-rule",
        "CanaryRoute",
        {
            **GW_API,
            "routes": [
                {"name": f"r{i}", "subset": "v2", "headers": {"x-a": {"exact": str(i)}}}
                for i in range(16)
            ],
        },
        "routes",
        "at most 15 besides the default",
    ),
    C(
        "str-as-list",
        "CanaryRoute",
        {"retries": {"attempts": 2, "retry_on": "5xx,reset"}},
        "retries.retry_on",
        "(a list: ['5xx', 'reset'])",
    ),
    # The chart-values escape hatch against the inputs it would contradict.
    C(
        "cross-field",
        "IstioInstall",
        {"revision": "a", "istiod_values": {"revision": "b"}},
        "istiod_values.revision",
        "`revision` gives 'a'",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"revisions": [{"name": "a", "istiod_values": {"revision": "b"}}]},
        "revisions[0].istiod_values.revision",
        "`revisions` gives 'a'",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"system_namespace": "mesh", "istiod_values": {"global": {"istioNamespace": "x"}}},
        "istiod_values.global.istioNamespace",
        "`system_namespace` gives 'mesh'",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"istiod_values": {"meshConfig": {"rootNamespace": "x"}}},
        "istiod_values.meshConfig.rootNamespace",
        "`system_namespace` gives 'istio-system'",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"trust_domain": "corp.example", "istiod_values": {"meshConfig": {"trustDomain": "a"}}},
        "istiod_values.meshConfig.trustDomain",
        "`trust_domain` gives 'corp.example'",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"istiod_values": {"global": {"hub": "registry.example.com/istio"}}},
        "istiod_values.global.hub",
        "set `image_hub`",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"istiod_values": {"profile": "ambient"}},
        "istiod_values.profile",
        "set it through `mode`",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"mode": "ambient", "cni_values": {"profile": "default"}},
        "cni_values.profile",
        "`mode` gives 'ambient'",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"mode": "ambient", "ztunnel_values": {"istioNamespace": "x"}},
        "ztunnel_values.istioNamespace",
        "set `system_namespace`",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"mode": "ambient", "istiod_values": {"trustedZtunnelNamespace": "x"}},
        "istiod_values.trustedZtunnelNamespace",
        "set it through `ambient_namespace`",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"gateway_values": {"revision": "canary"}},
        "gateway_values.revision",
        "set it through `workload_revision`",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"gateways": [{"name": "istio-ingress", "values": {"revision": "x"}}], "revision": "a"},
        "gateways[0].values.revision",
        "`workload_revision` gives 'a'",
    ),
    C(
        "cross-field",
        "IstioInstall",
        {"base_values": {"defaultRevision": "x"}},
        "base_values.defaultRevision",
        "set it through `revision`",
    ),
    # A namespace every cluster has, where a component would create (and delete) it.
    C("built-in-namespace", "MeshNamespace", {"namespace": "default"}, "namespace", "its own"),
    C("built-in-namespace", "MeshNamespace", {"namespace": "kube-system"}, "namespace", "its own"),
    C("built-in-namespace", "MeshNamespace", {"namespace": "kube-public"}, "namespace", "its own"),
    C(
        "built-in-namespace",
        "MeshNamespace",
        {"namespace": "kube-node-lease"},
        "namespace",
        "not one of default, kube-node-lease, kube-public, kube-system",
    ),
    C(
        "built-in-namespace",
        "IstioInstall",
        {"gateway_namespace": "default"},
        "gateway_namespace",
        "not one of default, kube-node-lease, kube-public)",
    ),
    C(
        "built-in-namespace",
        "IstioInstall",
        {"system_namespace": "kube-public"},
        "system_namespace",
        "destroying the stack would try to delete it",
    ),
    C(
        "built-in-namespace",
        "IstioInstall",
        {"mode": "ambient", "ambient_namespace": "kube-node-lease"},
        "ambient_namespace",
        "a namespace of its own",
    ),
    C(
        "built-in-namespace",
        "IstioInstall",
        {"gateways": [{"name": "istio-ingress", "namespace": "default"}]},
        "gateways[0].namespace",
        "a namespace of its own",
    ),
    # Two spellings of one service, or a partial one that names no service.
    C(
        "collision",
        "CanaryRoute",
        {"host": "reviews.shop.svc"},
        "host",
        "the full name 'reviews.shop.svc.cluster.local'",
    ),
    C("collision", "CanaryRoute", {"host": "reviews.shop"}, "host", "the short name 'reviews'"),
    C(
        "collision",
        "CanaryRoute",
        {
            "routes": [
                {
                    "name": "r",
                    "destination": {"host": "ratings.shop.svc.cluster"},
                    "headers": {"x-a": {"exact": "1"}},
                }
            ]
        },
        "routes[0].destination.host",
        "'ratings.shop.svc.cluster.local'",
    ),
    C(
        "collision",
        "StrictMtls",
        {"istio_mutual_hosts": ["reviews.shop.svc", "reviews.shop.svc.cluster.local"]},
        "istio_mutual_hosts[0]",
        "'reviews.shop.svc.cluster.local'",
    ),
    C(
        "collision",
        "StrictMtls",
        {"istio_mutual_hosts": ["reviews.shop"]},
        "istio_mutual_hosts[0]",
        "names no service",
    ),
    C(
        "collision",
        "StrictMtls",
        {"istio_mutual_hosts": ["db.example.com", "db.example.org"]},
        "istio_mutual_hosts[1]",
        "one object for two hosts",
    ),
]


# ---------------------------------------------------------------- brought TLS material


def _key(kind: str = "p256") -> Any:
    if kind == "p224":
        return ec.generate_private_key(ec.SECP224R1())
    if kind == "rsa1024":
        return rsa.generate_private_key(public_exponent=65537, key_size=1024)
    return ec.generate_private_key(ec.SECP256R1())


def _pem(key: Any) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _cert(
    key: Any,
    *,
    hosts: tuple[str, ...] = ("a.example.com",),
    days: tuple[int, int] = (-1, 90),
    eku: Any = ExtendedKeyUsageOID.SERVER_AUTH,
    issuer: tuple[Any, x509.Name] | None = None,
    ca: bool = False,
    name: str = "a.example.com",
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, name)])
    sign_key, issuer_name = issuer or (key, subject)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if hosts:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False
        )
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
    return builder.sign(sign_key, hashes.SHA256())


def _cpem(*certs: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


def _tls_cases() -> list[Case]:
    key = _key()
    ca_key = _key()
    ca = _cert(ca_key, hosts=(), eku=None, ca=True, name="brought CA")
    leaf = _cert(key, issuer=(ca_key, ca.subject))

    def brought(cert_pem: str, key_pem: str) -> dict[str, Any]:
        return {
            "hosts": DELETE,
            "certificates": [
                {"hosts": ["a.example.com"], "cert_pem": cert_pem, "private_key_pem": key_pem}
            ],
        }

    other = _key()
    p224 = _key("p224")
    weak = _key("rsa1024")
    where = "certificates[0]"
    return [
        C(
            "tls",
            "HttpsGateway",
            brought(_cpem(_cert(key, days=(-10, -1))), _pem(key)),
            f"{where}.cert_pem",
            "not now",
        ),
        C(
            "tls",
            "HttpsGateway",
            brought(_cpem(_cert(key, days=(1, 90))), _pem(key)),
            f"{where}.cert_pem",
            "not now",
        ),
        C(
            "tls",
            "HttpsGateway",
            brought(_cpem(_cert(key, eku=ExtendedKeyUsageOID.CLIENT_AUTH)), _pem(key)),
            f"{where}.cert_pem",
            "server authentication",
        ),
        C(
            "tls",
            "HttpsGateway",
            brought(_cpem(_cert(key)), _pem(other)),
            f"{where}.private_key_pem",
            "does not match",
        ),
        C(
            "tls",
            "HttpsGateway",
            brought(_cpem(ca, leaf), _pem(key)),
            f"{where}.cert_pem",
            "not in order",
        ),
        C(
            "tls",
            "HttpsGateway",
            brought(_cpem(_cert(key, hosts=("b.example.com",))), _pem(key)),
            f"{where}.cert_pem",
            "does not cover",
        ),
        C(
            "tls",
            "HttpsGateway",
            brought(_cpem(_cert(p224)), _pem(p224)),
            f"{where}.private_key_pem",
            "secp224r1",
        ),
        C(
            "tls",
            "HttpsGateway",
            brought(_cpem(_cert(weak)), _pem(weak)),
            f"{where}.private_key_pem",
            "RSA-1024",
        ),
        C(
            "tls",
            "HttpsGateway",
            brought(_cpem(_cert(key)), [_pem(key)]),  # type: ignore[list-item]
            f"{where}.private_key_pem",
            "(a secret value) (a list); it must be a string",
        ),
        C(
            "tls",
            "HttpsGateway",
            brought("not a pem", _pem(key)),
            f"{where}.cert_pem",
            "does not parse",
        ),
        C(
            "tls",
            "HttpsGateway",
            {"mode": "MUTUAL", "client_ca_cert_pem": "not a pem"},
            "client_ca_cert_pem",
            "PEM CA certificates",
        ),
        C(
            "tls",
            "HttpsGateway",
            {"mode": "MUTUAL", "client_ca_cert_pem": _cpem(leaf)},
            "client_ca_cert_pem",
            "not a CA certificate",
        ),
        C("tls", "HttpsGateway", {"hosts": ["10.0.0.1"]}, "hosts[0]", "IP address"),
        C("tls", "HttpsGateway", {"key": {"ecdsa_curve": "P224"}}, "key.ecdsa_curve", "'P256'"),
        C(
            "tls",
            "CertificateAuthority",
            {"key": {"algorithm": "RSA", "rsa_bits": 1024}},
            "key.rsa_bits",
            "2048",
        ),
        C(
            "tls",
            "IstioInstall",
            {
                "plugged_ca": {
                    "ca_cert_pem": "x",
                    "ca_key_pem": "k",
                    "root_cert_pem": ca_pem("root"),
                    "cert_chain_pem": "c",
                }
            },
            "plugged_ca.ca_cert_pem",
            "PEM CA certificates",
        ),
    ]


# ------------------------------------------- gateway inputs each valid, contradicting


def _gateway_contradiction_cases() -> list[Case]:
    ecdsa = _key()
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    workloads = [{"namespace": "istio-ingress", "selector": {"istio": "ingress"}}]
    only_ecdsa = ["ECDHE-ECDSA-AES128-GCM-SHA256"]
    only_rsa = ["ECDHE-RSA-AES128-GCM-SHA256"]

    def brought(key: Any, hosts: tuple[str, ...], key_pem: Any = None) -> dict[str, Any]:
        return {
            "hosts": list(hosts),
            "cert_pem": _cpem(_cert(key, hosts=hosts)),
            "private_key_pem": _pem(key) if key_pem is None else key_pem,
        }

    def certificates(*entries: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {"hosts": DELETE, "certificates": list(entries), **extra}

    wildcard = {
        "hosts": ["a.b.example.com"],
        "cert_pem": _cpem(_cert(ecdsa, hosts=("*.example.com",))),
    }
    secret = {"hosts": ["a.example.com"], "existing_secret": "corp-tls"}
    k = "contradiction"
    return [
        C(
            k,
            "HttpsGateway",
            {**BASE["HttpsGateway"], "selector": {}},
            "selector",
            "at least one label",
            replace=True,
        ),
        C(
            k,
            "HttpsGateway",
            {"selector": {"istio": "ingressgateway"}, "installed_gateways": workloads},
            "selector",
            "labelled [{'istio': 'ingress'}]",
        ),
        C(
            k,
            "HttpsGateway",
            {"gateway_namespace": "edge", "installed_gateways": workloads},
            "gateway_namespace",
            "they run in ['istio-ingress']",
        ),
        C(
            k,
            "HttpsGateway",
            {"api": "gateway-api", "selector": DELETE, "installed_gateways": workloads},
            "installed_gateways",
            "own workload",
        ),
        C(
            k,
            "HttpsGateway",
            {"cipher_suites": only_ecdsa, "key": {"algorithm": "RSA"}},
            "cipher_suites",
            "Add one of ['ECDHE-RSA-AES128-GCM-SHA256'",
        ),
        C(
            k,
            "HttpsGateway",
            {"cipher_suites": only_rsa},
            "cipher_suites",
            "Add one of ['ECDHE-ECDSA-AES128-GCM-SHA256'",
        ),
        C(
            k,
            "HttpsGateway",
            certificates(brought(rsa_key, ("a.example.com",)), cipher_suites=only_ecdsa),
            "cipher_suites",
            "certificates[0] (brought)",
        ),
        C(  # per-host groups: a generated ECDSA certificate beside a brought RSA one
            k,
            "HttpsGateway",
            certificates(
                {"hosts": ["a.example.com"]},
                brought(rsa_key, ("b.example.com",), Out(_pem(rsa_key))),
                cipher_suites=only_ecdsa,
            ),
            "cipher_suites",
            "certificates[1] (brought) for ['b.example.com'] has an RSA key",
        ),
        C(
            k,
            "HttpsGateway",
            certificates(
                {"hosts": ["a.example.com"]},
                brought(rsa_key, ("b.example.com",)),
                cipher_suites=only_rsa,
            ),
            "cipher_suites",
            "the generated certificates (`key.algorithm`) for ['a.example.com'] has an ECDSA",
        ),
        C(
            k,
            "HttpsGateway",
            {"cipher_suites": [*only_ecdsa, *only_ecdsa]},
            "cipher_suites",
            "name each suite once",
        ),
        C(
            k,
            "HttpsGateway",
            certificates(secret, mode="MUTUAL"),
            "certificates[0].client_ca_cert_pem",
            "Give client_ca_cert_pem (here or on the gateway) or client_issuer",
        ),
        C(
            k,
            "HttpsGateway",
            certificates({"hosts": ["b.example.com"]}, {**secret, "mode": "OPTIONAL_MUTUAL"}),
            "certificates[1].client_ca_cert_pem",
            "corp-tls-cacert",
        ),
        C(  # the key a secret, the certificate plain: its names are checked now
            k,
            "HttpsGateway",
            certificates({**wildcard, "private_key_pem": Out(_pem(ecdsa))}),
            "certificates[0].cert_pem",
            "a wildcard covers one label only, so ['a.b.example.com'] need names of their own",
        ),
        C(
            k,
            "HttpsGateway",
            certificates({**wildcard, "private_key_pem": _pem(ecdsa)}),
            "certificates[0].cert_pem",
            "a wildcard covers one label only",
        ),
        C(
            k,
            "CanaryRoute",
            {
                "gateways": [{"ref": "istio-ingress/edge", "hosts": ["*.example.com"]}],
                "external_hosts": ["a.b.example.com"],
            },
            "external_hosts[0]",
            "the gateways serve ['*.example.com']",
        ),
    ]


# ------------------------------------------ values that each pass, but do not belong together


@dataclass(frozen=True)
class _Pki:
    """A brought CA hierarchy: a root, an intermediate it signed, a stranger, their keys."""

    root: str
    root_key: str
    inter: str
    inter_key: str
    stranger: str
    stranger_key: str


def _pki() -> _Pki:
    root_key, inter_key, stranger_key = _key(), _key(), _key()
    root = _cert(root_key, hosts=(), eku=None, ca=True, name="brought root")
    inter = _cert(
        inter_key,
        hosts=(),
        eku=None,
        ca=True,
        name="brought intermediate",
        issuer=(root_key, root.subject),
    )
    stranger = _cert(stranger_key, hosts=(), eku=None, ca=True, name="another root")
    return _Pki(
        _cpem(root), _pem(root_key), _cpem(inter), _pem(inter_key), _cpem(stranger),
        _pem(stranger_key),
    )  # fmt: skip


PKI = _pki()


def _issuer(**changes: str) -> dict[str, str]:
    """The intermediate as a brought issuer (consistent), with ``changes`` laid over it."""
    good = {
        "cert_pem": PKI.inter,
        "private_key_pem": PKI.inter_key,
        "chain_pem": PKI.inter,
        "root_cert_pem": PKI.root,
    }
    return {**good, **changes}


def _plugged(**changes: str) -> dict[str, str]:
    """The intermediate as a plug-in CA (consistent), with ``changes`` laid over it."""
    good = {
        "ca_cert_pem": PKI.inter,
        "ca_key_pem": PKI.inter_key,
        "root_cert_pem": PKI.root,
        "cert_chain_pem": PKI.inter + PKI.root,
    }
    return {**good, **changes}


NO_CURRENT_CONTEXT = "apiVersion: v1\ncontexts: [{name: a, context: {}}, {name: b, context: {}}]\n"
DANGLING_CONTEXT = NO_CURRENT_CONTEXT + "current-context: gone\n"
MUTUAL_WITH = {"mode": "MUTUAL"}


def _mismatch_cases() -> list[Case]:
    return [
        C(
            "mismatch",
            "HttpsGateway",
            {"issuer": _issuer(private_key_pem=PKI.stranger_key)},
            "issuer.private_key_pem",
            "is not the key of the certificate",
        ),
        C(
            "mismatch",
            "HttpsGateway",
            {"issuer": _issuer(chain_pem="")},
            "issuer.chain_pem",
            "does not hold the issuing certificate",
        ),
        C(
            "mismatch",
            "HttpsGateway",
            {"issuer": _issuer(root_cert_pem=PKI.stranger)},
            "issuer.root_cert_pem",
            "is not signed by any certificate of the chain or the root",
        ),
        C(
            "mismatch",
            "HttpsGateway",
            {**MUTUAL_WITH, "client_issuer": _issuer(private_key_pem=PKI.root_key)},
            "client_issuer.private_key_pem",
            "their public keys differ",
        ),
        C(
            "mismatch",
            "IstioInstall",
            {"plugged_ca": _plugged(ca_key_pem=PKI.stranger_key)},
            "plugged_ca.ca_key_pem",
            "is not the key of the certificate it goes with (CN=brought intermediate)",
        ),
        C(
            "mismatch",
            "IstioInstall",
            {"plugged_ca": _plugged(cert_chain_pem=PKI.root + PKI.inter)},
            "plugged_ca.cert_chain_pem",
            "give `ca_cert_pem` first",
        ),
        C(
            "mismatch",
            "IstioInstall",
            {"plugged_ca": _plugged(root_cert_pem=PKI.stranger)},
            "plugged_ca.root_cert_pem",
            "does not lead from CN=brought intermediate to the root",
        ),
        C(
            "mismatch",
            "IstioInstall",
            {"plugged_ca": _plugged(ca_key_pem="not a key")},
            "plugged_ca.ca_key_pem",
            "does not parse",
        ),
        C(
            "mismatch",
            "ExistingCluster",
            {"kubeconfig": NO_CURRENT_CONTEXT},
            "context",
            "no current-context; give one of ['a', 'b']",
        ),
        C(
            "mismatch",
            "ExistingCluster",
            {"kubeconfig": DANGLING_CONTEXT},
            "kubeconfig",
            "current-context 'gone', which is none of its contexts ['a', 'b']",
        ),
        C(
            "mismatch",
            "ExistingCluster",
            {"kubeconfig": DANGLING_CONTEXT, "context": "c"},
            "context",
            "is 'c'; the kubeconfig has ['a', 'b']",
        ),
    ]


ALL_CASES = CASES + _tls_cases() + _gateway_contradiction_cases() + _mismatch_cases()

CLASSES = {
    "lifecycle",
    "str-as-list",
    "truthy",
    "number",
    "literal",
    "unknown-key",
    "output",
    "traceback",
    "istio-rule",
    "collision",
    "cross-field",
    "tls",
    "built-in-namespace",
    "contradiction",
    "mismatch",
}


def test_the_catalogue_is_large_and_covers_every_class_and_component() -> None:
    assert len(ALL_CASES) + len(CONFIG_CASES) + len(HELPER_CASES) >= 150
    assert {c.klass for c in ALL_CASES} == CLASSES
    assert {c.component for c in ALL_CASES} == set(COMPONENTS)


@pytest.mark.parametrize("case", ALL_CASES, ids=lambda c: c.id)
def test_bad_input_is_refused_early_and_clearly(mesh_session: MockSession, case: Case) -> None:
    args = case.patch if case.replace else _merge(copy.deepcopy(BASE[case.component]), case.patch)
    with pytest.raises(ValidationError) as err:
        COMPONENTS[case.component](_materialize(args))
    assert (err.value.component, err.value.field) == (case.component, case.field), str(err.value)
    assert case.words in str(err.value)
    assert "PRIVATE KEY" not in str(err.value), "a private key is never printed"
    assert len(mesh_session.settle()) == 0, "nothing may be registered"


# ------------------------------------------------------------------- the PKI helpers


@dataclass(frozen=True)
class HelperCase:
    component: str
    call: Callable[[m.IssuerArgs], object]
    field: str
    words: str


HELPER_CASES = [
    HelperCase(
        "ServerCertificate",
        lambda i: m.server_certificate("s", i, "a.example.com"),
        "hosts",
        "a single string",
    ),
    HelperCase(
        "ServerCertificate", lambda i: m.server_certificate("s", i, []), "hosts", "is empty"
    ),
    HelperCase(
        "ServerCertificate",
        lambda i: m.server_certificate("s", i, ["10.0.0.1"]),
        "hosts[0]",
        "IP address",
    ),
    HelperCase(
        "ServerCertificate",
        lambda i: m.server_certificate("s", i, ["*.example.com"]),
        "hosts[0]",
        "allow_wildcards",
    ),
    HelperCase(
        "ServerCertificate",
        lambda i: m.server_certificate("s", i, ["a.example.com"], validity={"validity_hours": 24}),
        "validity.validity_hours",
        "renewal window",
    ),
    HelperCase(
        "ServerCertificate",
        lambda i: m.server_certificate(
            "s", i, ["a.example.com"], key={"algorithm": "RSA", "ecdsa_curve": "P256"}
        ),
        "key.ecdsa_curve",
        "only used with algorithm 'ECDSA'",
    ),
    HelperCase(
        "ClientCertificate", lambda i: m.client_certificate("c", i, ""), "common_name", "is empty"
    ),
    HelperCase(
        "ClientCertificate",
        lambda i: m.client_certificate("c", i, "me", key={"ecdsa_curve": "P224"}),
        "key.ecdsa_curve",
        "'P256'",
    ),
    HelperCase(
        "LeafCertificate",
        lambda i: m.LeafCertificate(
            "l",
            i,
            common_name="a",
            dns_names=["a.example.com"],
            uses=[],
            key={"ecdsa_curve": "P224"},
        ),
        "key.ecdsa_curve",
        "'P256'",
    ),
    HelperCase(
        "LeafCertificate",
        lambda i: m.LeafCertificate(
            "l",
            {"cert_pem": ca_pem("x")},  # type: ignore[typeddict-item]
            common_name="a",
            dns_names=None,
            uses=[],
        ),
        "issuer.private_key_pem",
        "is missing",
    ),
]


@pytest.mark.parametrize("case", HELPER_CASES, ids=lambda c: f"{c.component}:{c.field}")
def test_pki_helpers_refuse_bad_input(mesh_session: MockSession, case: HelperCase) -> None:
    issuer = m.CertificateAuthority("pki").issuer()
    before = len(mesh_session.settle())
    with pytest.raises(ValidationError) as err:
        case.call(issuer)
    assert (err.value.component, err.value.field) == (case.component, case.field), str(err.value)
    assert case.words in str(err.value)
    assert len(mesh_session.settle()) == before


# --------------------------------------------------------------------- the stack config

CONFIG_CASES: list[tuple[dict[str, Any], str, str]] = [
    (
        {
            "mesh-https:cluster": {"type": "existing"},
            "mesh-https:kubeconfig": "apiVersion: v1\ncontexts: [{name: a, context: {}}]\n",
        },
        "mesh-https:cluster.context",
        "give one of ['a']",
    ),
    (
        {"mesh-https:gatway": {"hosts": ["a.example.com"]}},
        "mesh-https:gatway",
        "did you mean 'mesh-https:gateway'",
    ),
    ({"mesh-https:canary": {"weights": {"v1": 90}}}, "mesh-https:canary.weights", "sum to 90"),
    (
        {"mesh-https:canary": {"weights": {"v1": "100"}}},
        "mesh-https:canary.weights.v1",
        "a whole number",
    ),
    (
        {"mesh-https:canary": {"headerRoute": {"header": "X-A", "value": "1", "subset": "v2"}}},
        "mesh-https:canary.headerRoute.header",
        "lowercase",
    ),
    (
        {"mesh-https:canary": {"retries": {"attempts": 2, "perTryTimout": "1s"}}},
        "mesh-https:canary.retries.perTryTimout",
        "did you mean 'perTryTimeout'",
    ),
    (
        {"mesh-https:canary": {"retries": {"attempts": 2, "retryOn": ["5xxx"]}}},
        "mesh-https:canary.retries.retryOn[0]",
        "not a retryOn policy",
    ),
    (
        {"mesh-https:mtls": {"migration": "no", "peerMode": "PERMISSIVE"}},
        "mesh-https:mtls.migration",
        "true or false",
    ),
    (
        {"mesh-https:mtls": {"allow": [{"name": "a", "method": ["GET"]}]}},
        "mesh-https:mtls.allow[0].method",
        "did you mean 'methods'",
    ),
    (
        {"mesh-https:mtls": {"allow": [{"name": "a", "namespaces": "monitoring"}]}},
        "mesh-https:mtls.allow[0].namespaces",
        "a single string",
    ),
    (
        {"mesh-https:mtls": {"gatewayPrincipal": "x"}},
        "mesh-https:mtls.gatewayPrincipal",
        "filled in by the program",
    ),
    (
        {"mesh-https:gateway": {"httpsRedirect": "false"}},
        "mesh-https:gateway.httpsRedirect",
        "true or false",
    ),
    (
        {"mesh-https:gateway": {"hosts": "a.example.com"}},
        "mesh-https:gateway.hosts",
        "a single string",
    ),
    ({"mesh-https:pki": {"meshCa": "false"}}, "mesh-https:pki.meshCa", "true or false"),
    (
        {"mesh-https:cluster": {"type": "existing", "loadBalancer": "false"}},
        "mesh-https:cluster.loadBalancer",
        "true or false",
    ),
    (
        {"mesh-https:istio": {"releaseTimeoutSeconds": 0}},
        "mesh-https:istio.releaseTimeoutSeconds",
        "1 or more",
    ),
    (
        {
            "mesh-https:istio": {
                "revisions": [{"name": "a", "tags": ["p"]}],
                "workloadRevision": "q",
            }
        },
        "mesh-https:istio.workloadRevision",
        "neither a tag",
    ),
    (
        {"mesh-https:app": {"namespace": "istio-system"}},
        "mesh-https:app.namespace",
        "system namespace",
    ),
    (
        {"mesh-https:app": {"labels": {"istio-injection": "disabled"}}},
        "mesh-https:app.labels.istio-injection",
        "set by the component",
    ),
    # Keys are read as typed: a snake_case spelling is not the camelCase key.
    (
        {"mesh-https:gateway": {"min_tls_version": "TLSV1_3"}},
        "mesh-https:gateway.min_tls_version",
        "not a known key; did you mean 'minTlsVersion'",
    ),
    (
        {"mesh-https:cluster": {"type": "kind", "host_ports": {"http": 80, "https": 443}}},
        "mesh-https:cluster.host_ports",
        "did you mean 'hostPorts'",
    ),
    (
        {"mesh-https:canary": {"retries": {"attempts": 2, "per_try_timeout": "1s"}}},
        "mesh-https:canary.retries.per_try_timeout",
        "did you mean 'perTryTimeout'",
    ),
    # A misspelt required key is an unknown key, not a missing one.
    (
        {"mesh-https:mtls": {"allow": [{"nam": "probes", "namespaces": ["monitoring"]}]}},
        "mesh-https:mtls.allow[0].nam",
        "not a known key; did you mean 'name'",
    ),
    (
        {"mesh-https:canary": {"headerRoute": {"heder": "x-a", "value": "1", "subset": "v2"}}},
        "mesh-https:canary.headerRoute.heder",
        "did you mean 'header'",
    ),
    # Refusals say what is valid.
    (
        {"mesh-https:canary": {"headerRoute": {"header": "x-a", "subset": "v2"}}},
        "mesh-https:canary.headerRoute.value",
        "is missing; it is required: a string",
    ),
    ({"mesh-https:pki": {"commonName": ""}}, "mesh-https:pki.commonName", "give a non-empty"),
    # Not config keys: resources, and facts the program takes from another section.
    (
        {"mesh-https:cluster": {"type": "eks", "dependsOn": []}},
        "mesh-https:cluster.dependsOn",
        "not a known key",
    ),
    (
        {"mesh-https:pki": {"trustDomain": "example.org"}},
        "mesh-https:pki.trustDomain",
        "filled in by the program from the other components (`mesh-https:istio.trustDomain`)",
    ),
    # Refused by a later component, once: now before anything registers, by the key typed.
    (
        {"mesh-https:gateway": {"mode": "PASSTHROUGH"}},
        "mesh-https:gateway.mode",
        "give SIMPLE, MUTUAL or OPTIONAL_MUTUAL",
    ),
    (
        {
            "mesh-https:gateway": {
                "certificates": [{"hosts": ["a.example.com"], "mode": "PASSTHROUGH"}]
            }
        },
        "mesh-https:gateway.certificates[0].mode",
        "the demo app serves plain HTTP",
    ),
    (
        {"mesh-https:app": {"namespace": "istio-ingress"}},
        "mesh-https:app.namespace",
        "the namespace `mesh-https:istio.gatewayNamespace` gives the Istio install",
    ),
    (
        {"mesh-https:istio": {"gatewayNamespace": "demo"}},
        "mesh-https:app.namespace",
        "give the app a namespace of its own",
    ),
    (
        {
            "mesh-https:istio": {
                "gateways": [{"name": "istio-ingress"}, {"name": "internal", "namespace": "demo"}]
            }
        },
        "mesh-https:app.namespace",
        "`mesh-https:istio.gateways[1].namespace`",
    ),
    (
        {"mesh-https:istio": {"mode": "ambient", "ambientNamespace": "demo"}},
        "mesh-https:app.namespace",
        "`mesh-https:istio.ambientNamespace`",
    ),
    (
        {
            "mesh-https:mtls": {
                "gatewayPrincipals": ["cluster.local/ns/istio-ingress/sa/istio-ingress"]
            }
        },
        "mesh-https:mtls.gatewayPrincipals[0]",
        "gateway principals must be unique",
    ),
    (
        {
            "mesh-https:istio": {"gatewayValues": {"serviceAccount": {"name": "edge"}}},
            "mesh-https:mtls": {"gatewayPrincipals": ["cluster.local/ns/istio-ingress/sa/edge"]},
        },
        "mesh-https:mtls.gatewayPrincipals[0]",
        "repeats 'cluster.local/ns/istio-ingress/sa/edge'",
    ),
]


@pytest.mark.parametrize(("overrides", "key", "words"), CONFIG_CASES, ids=lambda x: str(x)[:40])
def test_bad_stack_config_names_the_key_typed(
    overrides: dict[str, Any], key: str, words: str
) -> None:
    config = {**stack_config("dev"), **overrides}
    with MockSession(project="mesh-https", stack="dev", config=config) as session:
        with pytest.raises(ValidationError) as err:
            runpy.run_path(str(ROOT / "__main__.py"))
        assert len(session.settle()) == 0, "the program registers nothing before its checks"
    assert err.value.field == key, str(err.value)
    assert words in str(err.value)


# ------------------------------------------------- value inputs: checked once known


def test_a_bad_value_output_never_reaches_its_resource(mesh_session: MockSession) -> None:
    edge = m.HttpsGateway(
        "edge",
        {
            "gateway_namespace": "istio-ingress",
            "selector": {"istio": "ingress"},
            "mode": "MUTUAL",
            "certificates": [{"hosts": ["a.example.com"], "existing_secret": "edge-tls"}],
            "client_ca_cert_pem": pulumi.Output.from_input("not a pem"),
        },
    )
    assert edge is not None
    with pytest.raises(ValidationError, match="HttpsGateway: `client_ca_cert_pem` is 'not a pem'"):
        mesh_session.settle()
    secrets = mesh_session.recording.find(kind="Secret")
    assert all("not a pem" not in str(s.inputs) for s in secrets)
    assert not secrets, "the secret that holds the client CA is never registered"


def test_a_bad_principal_output_never_reaches_its_policy(mesh_session: MockSession) -> None:
    m.StrictMtls(
        "mtls",
        {"namespaces": ["shop"], "gateway_principal": pulumi.Output.from_input("spiffe://x")},
    )
    with pytest.raises(ValidationError, match="StrictMtls: `gateway_principal` is 'spiffe://x'"):
        mesh_session.settle()
    policies = mesh_session.recording.find(kind="AuthorizationPolicy")
    assert all("spiffe://x" not in str(p.inputs) for p in policies)


def test_found_by_the_property_test_a_lifetime_past_year_9999(mesh_session: MockSession) -> None:
    with pytest.raises(ValidationError, match="from 1 to 876000"):
        m.CertificateAuthority("pki", {"validity_hours": 69890729})
    assert len(mesh_session.settle()) == 0


# ------------------------- value inputs given as Outputs: refused once known, nothing that uses
# them registered. Each case builds inside the session, and names what must never register.


@dataclass(frozen=True)
class OutputCase:
    """A value input given as an Output that is bad once known, and what would carry it."""

    id: str
    build: Callable[[], object]
    component: str
    field: str
    words: str
    never: Callable[[Any], list[Any]]
    """What must not be registered: a finder on the recording."""
    secret: str | None = None
    """A secret part of the input that the message must not show."""


def _out(value: Any) -> pulumi.Output[Any]:
    return pulumi.Output.from_input(value)


def _gateway_with(**extra: Any) -> object:
    return m.HttpsGateway("edge", {**BASE["HttpsGateway"], **extra})


def _leaf_pair() -> tuple[str, str, str]:
    """A server certificate for a.example.com, its key, and a key of another."""
    key = _key()
    return _cpem(_cert(key)), _pem(key), _pem(_key())


LEAF, LEAF_KEY, OTHER_KEY = _leaf_pair()
GATEWAY = "cluster.local/ns/istio-ingress/sa/istio-ingress"


def _policies_in(namespace: str) -> Callable[[Any], list[Any]]:
    return lambda rec: rec.find(kind="AuthorizationPolicy", namespace=namespace)


def _certificates_signed(rec: Any) -> list[Any]:
    return list(rec.find("tls:index/locallySignedCert:LocallySignedCert"))


OUTPUT_CASES = [
    OutputCase(
        "kubeconfig without a current context",
        lambda: m.ExistingCluster("c", {"kubeconfig": _out(NO_CURRENT_CONTEXT)}),
        "ExistingCluster",
        "context",
        "no current-context; give one of ['a', 'b']",
        lambda rec: rec.find("pulumi:providers:kubernetes"),
    ),
    OutputCase(
        "secret kubeconfig without the context asked for",
        lambda: m.ExistingCluster(
            "c",
            {"kubeconfig": pulumi.Output.secret(DANGLING_CONTEXT + "# TOKEN\n"), "context": "c"},
        ),
        "ExistingCluster",
        "context",
        "is 'c'; the kubeconfig has ['a', 'b']",
        lambda rec: rec.find("pulumi:providers:kubernetes"),
        secret="TOKEN",
    ),
    OutputCase(
        "secret kubeconfig that is not one",
        lambda: m.ExistingCluster("c", {"kubeconfig": pulumi.Output.secret("token: TOKEN\n")}),
        "ExistingCluster",
        "kubeconfig",
        "is (a secret value); it has no contexts",
        lambda rec: rec.find("pulumi:providers:kubernetes"),
        secret="TOKEN",
    ),
    OutputCase(
        "gateway principal whose namespace is protected",
        lambda: m.StrictMtls(
            "mtls", {"namespaces": ["shop", "istio-ingress"], "gateway_principal": _out(GATEWAY)}
        ),
        "StrictMtls",
        "namespaces",
        "its allow-nothing policy would refuse every request to the gateway",
        _policies_in("istio-ingress"),
    ),
    OutputCase(
        "gateway principal outside the gateway namespaces of a target",
        lambda: m.StrictMtls(
            "mtls",
            {
                "namespaces": ["shop"],
                "gateway_principal": _out(GATEWAY),
                "gateway_targets": [
                    {
                        "name": "r",
                        "namespace": "shop",
                        "selector": {"app": "r"},
                        "gateway_namespaces": ["other-gateways"],
                    }
                ],
            },
        ),
        "StrictMtls",
        "gateway_targets[0].gateway_namespaces",
        "none of the gateway principals",
        _policies_in("shop"),
    ),
    OutputCase(
        "brought key of another certificate",
        lambda: m.HttpsGateway(
            "edge",
            {
                "gateway_namespace": "istio-ingress",
                "selector": {"istio": "ingress"},
                "certificates": [
                    {
                        "hosts": ["a.example.com"],
                        "cert_pem": _out(LEAF),
                        "private_key_pem": pulumi.Output.secret(OTHER_KEY),
                    }
                ],
            },
        ),
        "HttpsGateway",
        "certificates[0].private_key_pem",
        "does not match the certificate's (leaf's) public key",
        lambda rec: rec.find(kind="Secret"),
        secret=OTHER_KEY.splitlines()[1],
    ),
    OutputCase(
        "issuer whose key is another CA's",
        lambda: _gateway_with(
            issuer={
                **_issuer(),
                "cert_pem": _out(PKI.inter),
                "private_key_pem": pulumi.Output.secret(PKI.stranger_key),
            }
        ),
        "HttpsGateway",
        "issuer.private_key_pem",
        "is not the key of the certificate it goes with (CN=brought intermediate)",
        _certificates_signed,
        secret=PKI.stranger_key.splitlines()[1],
    ),
    OutputCase(
        "issuer of a server certificate whose chain leads elsewhere",
        lambda: m.server_certificate(
            "s", {**_issuer(), "root_cert_pem": _out(PKI.stranger)}, ["a.example.com"]
        ),
        "ServerCertificate",
        "issuer.root_cert_pem",
        "does not lead from CN=brought intermediate to the root",
        _certificates_signed,
    ),
    OutputCase(
        "plug-in CA whose key is another's",
        lambda: m.IstioInstall(
            "istio",
            {"plugged_ca": {**_plugged(), "ca_key_pem": pulumi.Output.secret(PKI.stranger_key)}},
        ),
        "IstioInstall",
        "plugged_ca.ca_key_pem",
        "their public keys differ",
        lambda rec: rec.find(kind="Secret", object_name="cacerts"),
        secret=PKI.stranger_key.splitlines()[1],
    ),
]


@pytest.mark.parametrize("case", OUTPUT_CASES, ids=lambda c: c.id)
def test_a_bad_value_output_is_refused_once_known_before_its_resource(
    mesh_session: MockSession, case: OutputCase
) -> None:
    case.build()  # accepted: the value is not known yet
    with pytest.raises(ValidationError) as err:
        mesh_session.settle()
    error = err.value
    assert (error.component, error.field) == (case.component, case.field), str(error)
    assert case.words in str(error)
    assert "has risen" not in str(error)
    if case.secret is not None:
        assert case.secret not in str(error), "a secret value is never printed"
    assert case.never(mesh_session.recording) == [], "nothing that uses it is registered"


def test_reading_plugged_ca_of_a_ca_without_mesh_ca(mesh_session: MockSession) -> None:
    ca = m.CertificateAuthority("pki")
    with pytest.raises(ValidationError) as err:
        _ = ca.plugged_ca
    assert (err.value.component, err.value.field) == ("CertificateAuthority", "mesh_ca")
    assert "mesh_ca=True" in str(err.value)
