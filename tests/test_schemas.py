"""Every emitted object, of every stack and example, against the real CRDs and older schemas.

- The real API server (``kube_api``: kube-apiserver 1.36.3 with Istio's CRDs at the pinned
  release, from the ``istio.io/api`` module, and the Gateway API standard CRDs at the version
  we install): every object is server-side applied as a dry run with strict field validation.
  That is the conformance check: the CRDs' own OpenAPI schemas and CEL rules, unknown fields
  refused, and for core kinds the API server's full validation.
- Kept, because they check releases the server does not have: the oldest ones we support.
  The server has only the pinned releases' CRDs, while the package also installs Istio 1.30
  (and Gateway API from v1.5, the oldest Istio 1.30 takes), and runs on older Kubernetes.
  A field added after those releases passes the server and is caught here:
  - Istio kinds: ``@kubernetes-models/istio@3.0.1`` (Istio 1.29.2's CRD schemas);
  - Gateway API kinds: ``@kubernetes-models/gateway-api@2.0.0`` (Gateway API v1.5.1's types);
    both run by ``schemas/validate.mjs``: the package's own validator, then an unknown-field
    check from the package's types;
  - core kinds: ``kubernetes-validate`` in strict mode, for Kubernetes 1.34.
  What these add is only that older-release bound: for the pinned releases they check less
  than the server (no CEL rules, no core-kind validation beyond OpenAPI).
"""

from __future__ import annotations

import copy
import json
import runpy
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from conftest import ROOT, local_overrides, run_stack

from mesh_https.gateway_api import GATEWAY_API_KINDS
from mesh_https.istio_objects import ISTIO_KINDS
from mesh_https.testing import KubeApi, KubeApiError, MockSession

KUBERNETES_VERSION = "1.34.0"
"""Older than the real server's 1.36, inside every supported Istio minor's range."""
ISTIO_SCHEMA_PACKAGE = "@kubernetes-models/istio@3.0.1"
ISTIO_SCHEMA_VERSION = "1.29.2"
VALIDATOR = ROOT / "schemas" / "validate.mjs"
STACKS = sorted(p.name.split(".")[1] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))


def istio_results(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if shutil.which("node") is None or not (ROOT / "schemas/node_modules").is_dir():
        pytest.fail("the Istio schemas are not installed: run scripts/test.sh (npm ci in schemas/)")
    result = subprocess.run(
        ["node", str(VALIDATOR)],
        input=json.dumps(objects),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    results: list[dict[str, Any]] = json.loads(result.stdout)
    assert len(results) == len(objects)
    return results


def core_errors(obj: dict[str, Any]) -> list[str]:
    try:
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as err:
        return [str(err.message)]
    return []


def kitchen_sink() -> list[dict[str, Any]]:
    """Every component with most of its options, so every emitted field is checked."""
    import mesh_https as m

    with MockSession() as session:
        ca = m.CertificateAuthority("pki", {"intermediate": True, "mesh_ca": True})
        istio = m.IstioInstall("istio", {"mode": "sidecar", "plugged_ca": ca.plugged_ca})
        base = {
            "gateway_namespace": istio.info.gateway_namespace,
            "selector": istio.gateway_selector,
        }
        edge = m.HttpsGateway(
            "mutual",
            {
                **base,
                "hosts": ["a.example.com", "b.example.com"],
                "grouping": "per_host",
                "mode": "MUTUAL",
                "issuer": ca.issuer(),
                "cipher_suites": ["ECDHE-ECDSA-AES128-GCM-SHA256"],
            },
        )
        m.HttpsGateway("pass", {**base, "hosts": ["db.example.com"], "mode": "PASSTHROUGH"})
        m.HttpsGateway(
            "mixed",
            {
                **base,
                "certificates": [
                    {"hosts": ["w.example.com"], "mode": "SIMPLE"},
                    {
                        "hosts": ["p.example.com"],
                        "mode": "MUTUAL",
                        "client_subject_alt_names": ["client.example.com", "spiffe://td/c"],
                    },
                    {"hosts": ["o.example.com"], "mode": "OPTIONAL_MUTUAL"},
                    {"hosts": ["t.example.com"], "mode": "PASSTHROUGH"},
                ],
            },
        )
        m.CanaryRoute(
            "httpbin",
            {
                "host": "httpbin",
                "namespace": "shop",
                "routes": [
                    {
                        "name": "rw",
                        "path": {"regex": "^/v1/.*"},
                        "method": {"exact": "GET"},
                        "destination": {"host": "httpbin-v1", "port": 8080},
                        "rewrite": {"uri": "/", "authority": "legacy.internal"},
                        "request_headers": {
                            "set": {"x-a": "1"},
                            "add": {"x-b": "2"},
                            "remove": ["x-c"],
                        },
                        "response_headers": {"remove": ["server"]},
                    },
                    {
                        "name": "rd",
                        "path": {"exact": "/old"},
                        "redirect": {
                            "uri": "/new",
                            "authority": "new.example.com",
                            "scheme": "https",
                            "port": 8443,
                            "response_code": 308,
                        },
                    },
                ],
            },
        )
        m.HttpsGateway(
            "kube",
            {
                "api": "gateway-api",
                "gateway_namespace": "edge",
                "hosts": ["k.example.com"],
                "mode": "OPTIONAL_MUTUAL",
                "cipher_suites": ["ECDHE-ECDSA-AES128-GCM-SHA256"],
                "service": {
                    "type": "NodePort",
                    "node_ports": {"http": 30080, "https": 30443},
                    "annotations": {"a": "b"},
                },
            },
        )
        m.Waypoint("waypoint", {"namespace": "shop", "traffic": "all", "revision": "stable"})
        m.CanaryRoute(
            "kube-route",
            {
                "api": "gateway-api",
                "host": "ratings",
                "namespace": "shop",
                "port": 9080,
                "target_port": 8080,
                "subsets": [
                    {"name": "v1", "labels": {"version": "v1"}, "weight": 100},
                    {"name": "v2", "labels": {"version": "v2"}},
                ],
                "gateways": [{"ref": "edge/kube", "hosts": ["k.example.com"]}],
                "external_hosts": ["k.example.com"],
                "routes": [
                    {"name": "v2", "subset": "v2", "query_params": {"v": {"regex": "^2$"}}},
                    {
                        "name": "x",
                        "path": {"prefix": "/x"},
                        "destination": {"host": "x.other.svc.cluster.local"},
                    },
                ],
                "timeout": "3s",
            },
        )
        m.MeshNamespace("shop", {"scope_sidecar": True, "extra_egress_hosts": ["x/y.example.com"]})
        m.CanaryRoute(
            "reviews",
            {
                "host": "reviews",
                "namespace": "shop",
                "port": 9080,
                "subsets": [
                    {"name": "v1", "labels": {"version": "v1"}, "weight": 90},
                    {"name": "v2", "labels": {"version": "v2"}, "weight": 10},
                ],
                "gateways": [edge.route_target()],
                "external_hosts": ["a.example.com"],
                "routes": [
                    {"name": "h", "subset": "v2", "headers": {"x": {"regex": "^a.*"}}},
                    {"name": "c", "subset": "v2", "cookie": {"name": "beta", "value": "1"}},
                    {"name": "p", "subset": "v1", "path": {"prefix": "/v1"}},
                    {"name": "q", "subset": "v2", "query_params": {"canary": {"exact": "1"}}},
                ],
                "retries": {"attempts": 2, "per_try_timeout": "1s", "retry_on": ["5xx"]},
                "timeout": "5s",
                "fault": {
                    "delay": {"fixed_delay": "1s", "percentage": 5},
                    "abort": {"http_status": 503, "percentage": 1},
                },
                "mirror": {"subset": "v2", "percentage": 10},
                "load_balancer": {"consistent_hash_cookie": "session", "cookie_ttl": "60s"},
                "connection_pool": {
                    "max_connections": 10,
                    "connect_timeout": "1s",
                    "http1_max_pending_requests": 5,
                    "http2_max_requests": 100,
                    "max_requests_per_connection": 2,
                    "max_retries": 3,
                },
                "outlier_detection": {
                    "consecutive_5xx_errors": 3,
                    "interval": "5s",
                    "base_ejection_time": "30s",
                    "max_ejection_percent": 50,
                },
                "tls_mode": "ISTIO_MUTUAL",
            },
        )
        m.StrictMtls(
            "mtls",
            {
                "namespaces": ["shop"],
                "gateway_principal": istio.gateway_principal,
                "allow": [
                    {
                        "name": "web",
                        "principals": ["cluster.local/ns/web/sa/frontend"],
                        "paths": ["/api/*"],
                        "methods": ["GET"],
                    },
                    {"name": "mon", "namespaces": ["monitoring"]},
                    {
                        "name": "only",
                        "principals": ["cluster.local/ns/shop/sa/productpage"],
                        "to_workloads": {"app": "reviews"},
                        "only": True,
                    },
                ],
                "gateway_targets": [
                    {"name": "r", "namespace": "shop", "selector": {"app": "reviews"}}
                ],
                "port_exceptions": [
                    {"name": "metrics", "namespace": "shop", "selector": {"app": "r"}, "port": 9090}
                ],
                "istio_mutual_hosts": ["ratings.shop.svc.cluster.local"],
            },
        )
        return session.settle().manifests()


def all_objects(tmp_path: Path) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for stack in STACKS:
        rec, _ = run_stack(stack, **local_overrides(stack, tmp_path))
        groups[f"stack {stack}"] = rec.manifests()
    for example in sorted((ROOT / "examples").glob("*/__main__.py")):
        name = yaml.safe_load((example.parent / "Pulumi.yaml").read_text())["name"]
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            "apiVersion: v1\ncontexts: [{name: c, context: {}}]\ncurrent-context: c\n"
        )
        config = {f"{name}:kubeconfigPath": str(kubeconfig)}
        with MockSession(project=name, stack="test", config=config) as session:
            runpy.run_path(str(example))
            groups[f"example {example.parent.name}"] = session.settle().manifests()
    groups["every component option"] = kitchen_sink()
    return groups


@pytest.fixture(scope="module")
def groups(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    return all_objects(tmp_path_factory.mktemp("emitted"))


def test_every_object_is_accepted_by_the_real_api_server(
    kube_api: KubeApi, groups: dict[str, list[dict[str, Any]]]
) -> None:
    """Each object, server-side applied as a dry run (strict field validation) in a scratch
    namespace: schema, CEL rules, admission, as a cluster at the pinned releases sees them."""
    scratch = f"schemas-{secrets.token_hex(4)}"
    kube_api.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": scratch}})
    seen_warnings = len(kube_api.warnings)
    refusals: list[str] = []
    checked: set[tuple[str, str]] = set()
    for group, objects in groups.items():
        for obj in objects:
            candidate = copy.deepcopy(obj)
            if kube_api.namespaced(obj["apiVersion"], obj["kind"]):
                candidate["metadata"]["namespace"] = scratch
            try:
                kube_api.apply(candidate, dry_run=True)
            except KubeApiError as error:
                name = obj["metadata"].get("name")
                refusals.append(f"{group}: {obj['kind']} {name}: {error}")
            checked.add((obj["apiVersion"], obj["kind"]))
    kube_api.delete("v1", "Namespace", scratch)
    assert refusals == []
    assert kube_api.warnings[seen_warnings:] == []
    emitted = {(v, k) for table in (ISTIO_KINDS, GATEWAY_API_KINDS) for k, v in table.items()}
    assert emitted <= checked, f"not covered: {emitted - checked}"


def test_every_object_passes_the_older_releases_schemas(
    groups: dict[str, list[dict[str, Any]]],
) -> None:
    istio: list[tuple[str, dict[str, Any]]] = []
    failures: list[str] = []
    kinds: set[str] = set()
    for group, objects in groups.items():
        for obj in objects:
            kinds.add(obj["kind"])
            if obj["apiVersion"].endswith("istio.io/v1") or obj["apiVersion"].startswith(
                "gateway.networking.k8s.io/"
            ):
                istio.append((group, obj))
            else:
                failures += [f"{group}: {obj['kind']} {e}" for e in core_errors(obj)]
    assert len(istio) > 20
    for (group, _), result in zip(istio, istio_results([o for _, o in istio]), strict=True):
        failures += [f"{group}: {result['kind']} {result['name']}: {e}" for e in result["errors"]]
    assert failures == []
    emitted = {
        "Gateway", "VirtualService", "DestinationRule", "Sidecar", "PeerAuthentication",
        "AuthorizationPolicy", "Namespace", "Secret", "Service", "Deployment", "HTTPRoute",
        "ReferenceGrant", "ConfigMap",
    }  # fmt: skip
    assert emitted <= kinds, f"not covered: {emitted - kinds}"


# ------------------------------------------------- the validators reject what they should


def test_istio_validator_rejects_unknown_fields_bad_enums_and_types() -> None:
    good = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": {"name": "r", "namespace": "shop"},
        "spec": {
            "hosts": ["r"],
            "http": [{"route": [{"destination": {"host": "r", "subset": "v1"}, "weight": 100}]}],
        },
    }
    typo = copy.deepcopy(good)
    typo["spec"]["http"][0]["route"][0]["wieght"] = 100
    wrong_type = copy.deepcopy(good)
    wrong_type["spec"]["http"][0]["route"][0]["weight"] = "a hundred"
    bad_meta = copy.deepcopy(good)
    bad_meta["metadata"]["lables"] = {}
    bad_enum = {
        "apiVersion": "security.istio.io/v1",
        "kind": "PeerAuthentication",
        "metadata": {"name": "default", "namespace": "istio-system"},
        "spec": {"mtls": {"mode": "STRICTER"}},
    }
    results = istio_results([good, typo, wrong_type, bad_meta, bad_enum])
    assert results[0]["errors"] == []
    assert any("unknown field 'wieght'" in e for e in results[1]["errors"])
    assert results[2]["errors"], "a string weight must be rejected"
    assert any("unknown field 'lables'" in e for e in results[3]["errors"])
    assert results[4]["errors"], "an unknown mTLS mode must be rejected"


def test_core_validator_is_strict() -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}
    assert core_errors(namespace) == []
    assert core_errors({**namespace, "spec": {"finalizerz": []}})
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"ports": [{"port": "eighty"}]},
    }
    assert core_errors(service)


def test_schema_versions_are_pinned_and_declared() -> None:
    """The npm schemas are Istio 1.29's, older than the pinned release (the real CRDs are the
    pinned release's): versions.py and the README must say so, and the minor must not be newer."""
    from mesh_https import versions

    package = json.loads((ROOT / "schemas/package.json").read_text())
    assert (
        package["dependencies"]["@kubernetes-models/istio"] == ISTIO_SCHEMA_PACKAGE.split("@")[-1]
    )
    assert versions.ISTIO_SCHEMA_VERSION == ISTIO_SCHEMA_VERSION
    schema = versions.parse_istio_version(ISTIO_SCHEMA_VERSION)
    pinned = versions.parse_istio_version(versions.ISTIO_VERSION)
    assert schema is not None and pinned is not None
    assert schema.minor_version <= pinned.minor_version
    minor = ".".join(ISTIO_SCHEMA_VERSION.split(".")[:2])
    assert f"Istio {minor}" in (versions.__doc__ or "")
    assert f"checked against Istio {minor} CRD schemas" in (ROOT / "README.md").read_text()


def test_gateway_api_validator_rejects_unknown_fields_and_missing_required_ones() -> None:
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r", "namespace": "n"},
        "spec": {"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [{"name": "s"}]}]},
    }
    typo = copy.deepcopy(route)
    typo["spec"]["rules"][0]["backendRef"] = typo["spec"]["rules"][0].pop("backendRefs")
    waypoint = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": "w", "namespace": "n"},
        "spec": {"listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}]},
    }
    grant = {
        "apiVersion": "gateway.networking.k8s.io/v1beta1",
        "kind": "ReferenceGrant",
        "metadata": {"name": "g", "namespace": "n"},
        "spec": {"from": [{"group": "", "kind": "HTTPRoute", "namespace": "a"}], "too": []},
    }
    ok, unknown, missing, grant_typo = istio_results([route, typo, waypoint, grant])
    assert ok["errors"] == []
    assert any("backendRef" in e for e in unknown["errors"]), unknown
    assert any("gatewayClassName" in e for e in missing["errors"]), missing
    assert any("too" in e for e in grant_typo["errors"]), grant_typo
