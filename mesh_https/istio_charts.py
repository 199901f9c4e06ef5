"""What Istio's Helm charts do with the values we give them, written down once.

Everything here mirrors a template of the charts at the pinned version (checked against the
chart sources of 1.29.6, 1.30.3 and 1.31, and against Istio's 1.32 development line, where
these templates are unchanged): how the gateway chart names its pods and service account, the
gateway Service ports, where a chart is fetched from, and the revision-tag webhook that
``istiod``'s ``templates/revision-tags-mwc.yaml`` renders.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from mesh_https._values import dig
from mesh_https.cluster import GatewayServiceArgs
from mesh_https.contract import Rule
from mesh_https.identity import principal_of
from mesh_https.versions import ISTIO_CHART_REPOSITORY

STATUS_PORT = 15021

CONTROL_PLANE_ANNOTATION = "mesh-https.io/control-plane-revision"
"""Pod-template annotation holding the revision a tag resolves to: when a tag moves, the value
changes and the Deployment rolls, so its pods are injected by the new revision."""

CACERTS_ANNOTATION = "mesh-https.io/cacerts-sha256"
"""istiod pod-template annotation holding a hash of the plugged-in CA: istiod reads ``cacerts``
when it starts, so a new CA must restart it."""

OCI_SCHEME = "oci://"
REPOSITORY_SCHEMES = ("https://", "http://", OCI_SCHEME)


def _repository_problem(value: str) -> str | None:
    if not value.startswith(REPOSITORY_SCHEMES) or not value.split("://", 1)[1].strip("/"):
        return (
            "it must be an https:// (or http://) Helm repository or an oci:// registry path, "
            f"e.g. {ISTIO_CHART_REPOSITORY!r}"
        )
    return None


ChartRepository = Annotated[str, Rule(_repository_problem, "a Helm repository or oci:// path")]
"""Where charts are fetched from: an HTTP(S) Helm repository or an OCI registry path."""


@dataclass(frozen=True)
class ChartSource:
    """Where a release's chart comes from, as ``helm.v3.Release`` takes it."""

    chart: str
    repository_opts: dict[str, Any]


def chart_source(repository: str, chart: str, auth: Mapping[str, Any] | None = None) -> ChartSource:
    """``chart`` from an HTTP(S) Helm repository or an OCI registry path.

    An HTTP repository goes in ``repositoryOpts.repo``; an OCI one is part of the chart
    reference (``oci://…/<chart>``) and has no ``repo``. Credentials and a CA file, if given,
    go in ``repositoryOpts`` either way.
    """
    opts: dict[str, Any] = {k: v for k, v in sorted((auth or {}).items()) if v is not None}
    if repository.startswith(OCI_SCHEME):
        return ChartSource(f"{repository.rstrip('/')}/{chart}", opts)
    return ChartSource(chart, {"repo": repository, **opts})


def gateway_identity(
    release_name: str,
    gateway_namespace: str,
    gateway_values: Mapping[str, Any] | None = None,
    trust_domain: str = "cluster.local",
) -> tuple[dict[str, str], str, str]:
    """The gateway pod's selector, service account and SPIFFE principal, as the chart does it.

    The gateway chart (``templates/_helpers.tpl``) names everything ``values.name`` or else
    the release name. Its pod label ``istio`` is ``values.labels.istio`` or else that name
    without a leading ``istio-``, so release ``istio-ingress`` selects ``istio: ingress``, not
    the ``istio: ingressgateway`` of the docs. Its service account is
    ``values.serviceAccount.name`` or else, when the chart creates the account (the default),
    that name, and when ``serviceAccount.create`` is false, ``default``.
    """
    values = gateway_values or {}
    name = dig(values, "name") or release_name
    istio_label = dig(values, "labels", "istio") or name.removeprefix("istio-")
    creates_account = dig(values, "serviceAccount", "create")
    fallback = "default" if creates_account is False else name
    account = dig(values, "serviceAccount", "name") or fallback
    principal = principal_of(gateway_namespace, account, trust_domain)
    return {"istio": istio_label}, account, principal


def gateway_pod_labels(
    release_name: str, gateway_values: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """The labels the gateway chart puts on its pods (``templates/deployment.yaml``): the
    selector labels ``app`` and ``istio``, ``app.kubernetes.io/name``, the injection label,
    ``istio.io/rev`` for a revision, ``values.labels`` and the network's label."""
    values = gateway_values or {}
    name = dig(values, "name") or release_name
    selector, _, _ = gateway_identity(release_name, "", values)
    labels: dict[str, str] = {
        "sidecar.istio.io/inject": "true",
        "app.kubernetes.io/name": str(name),
        **{str(k): str(v) for k, v in (dig(values, "labels") or {}).items()},
        "app": str(dig(values, "labels", "app") or name),
        **selector,
    }
    if dig(values, "revision"):
        labels["istio.io/rev"] = str(dig(values, "revision"))
    if dig(values, "networkGateway"):
        labels["topology.istio.io/network"] = str(dig(values, "networkGateway"))
    return dict(sorted(labels.items()))


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


def cacerts_checksum(pems: list[str]) -> str:
    """A SHA-256 over the plugged-in CA's files, in a fixed order: it changes when any does.

    Only the hash goes into chart values; the key material stays in the secret.
    """
    digest = hashlib.sha256()
    for pem in pems:
        digest.update(pem.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def revision_tag_webhook_name(tag: str, system_namespace: str) -> str:
    """The tag webhook's name, as the istiod chart names it."""
    if system_namespace == "istio-system":
        return f"istio-revision-tag-{tag}"
    return f"istio-revision-tag-{tag}-{system_namespace}"


def _inject_webhook(prefix: str, revision: str, system_namespace: str) -> dict[str, Any]:
    return {
        "name": f"{prefix}sidecar-injector.istio.io",
        "clientConfig": {
            "service": {
                "name": f"istiod-{revision}" if revision else "istiod",
                "namespace": system_namespace,
                "path": "/inject",
                "port": 443,
            }
        },
        "sideEffects": "None",
        "rules": [
            {
                "operations": ["CREATE"],
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "resources": ["pods"],
            }
        ],
        "failurePolicy": "Fail",
        "reinvocationPolicy": "Never",
        "admissionReviewVersions": ["v1"],
    }


def _exists(key: str) -> dict[str, Any]:
    return {"key": key, "operator": "DoesNotExist"}


def _is(key: str, operator: str, *values: str) -> dict[str, Any]:
    return {"key": key, "operator": operator, "values": list(values)}


_NOT_OPTED_OUT = _is("sidecar.istio.io/inject", "NotIn", "false")


def revision_tag_webhooks(tag: str, revision: str, system_namespace: str) -> list[dict[str, Any]]:
    """The injection webhooks of a revision tag, as ``revision-tags-mwc.yaml`` renders them.

    Namespaces (or pods) labelled ``istio.io/rev=<tag>`` are injected by ``revision``. The
    ``default`` tag also takes ``istio-injection=enabled`` namespaces and
    ``sidecar.istio.io/inject=true`` pods. istiod fills in ``caBundle`` itself (it patches the
    webhooks labelled with its revision), so it is not set here.
    """

    def hook(prefix: str, namespaces: list[Any], objects: list[Any]) -> dict[str, Any]:
        return {
            **_inject_webhook(prefix, revision, system_namespace),
            "namespaceSelector": {"matchExpressions": namespaces},
            "objectSelector": {"matchExpressions": objects},
        }

    hooks = [
        hook(
            "rev.namespace.",
            [_is("istio.io/rev", "In", tag), _exists("istio-injection")],
            [_NOT_OPTED_OUT],
        ),
        hook(
            "rev.object.",
            [_exists("istio.io/rev"), _exists("istio-injection")],
            [_NOT_OPTED_OUT, _is("istio.io/rev", "In", tag)],
        ),
    ]
    if tag == "default":
        hooks += [
            hook("namespace.", [_is("istio-injection", "In", "enabled")], [_NOT_OPTED_OUT]),
            hook(
                "object.",
                [_exists("istio-injection"), _exists("istio.io/rev")],
                [_is("sidecar.istio.io/inject", "In", "true"), _exists("istio.io/rev")],
            ),
        ]
    return hooks
