"""The demo application of the dev stack: Istio's helloworld sample, v1 and v2."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from mesh_https import CONTROL_PLANE_ANNOTATION

APP = "helloworld"
PORT = 5000
IMAGES = {
    "v1": "docker.io/istio/examples-helloworld-v1:1.0",
    "v2": "docker.io/istio/examples-helloworld-v2:1.0",
}


@dataclass(frozen=True)
class DemoApp:
    """What the rest of the stack needs to route to the app."""

    service: k8s.core.v1.Service
    deployments: dict[str, k8s.apps.v1.Deployment]
    namespace: pulumi.Output[str]
    host: pulumi.Output[str]
    """The Service's in-cluster FQDN."""


def deploy(
    namespace: pulumi.Input[str],
    provider: pulumi.ProviderResource,
    control_plane_revision: str = "",
) -> DemoApp:
    """A ``helloworld`` Service over one Deployment per version (labels ``app``, ``version``).

    ``control_plane_revision`` (``IstioInstall.info.control_plane_revision``) goes into the pod
    template, so the pods restart, and are injected by the new revision, when a tag moves.
    """
    opts = pulumi.ResourceOptions(provider=provider)
    template_metadata: dict[str, Any] = {}
    if control_plane_revision:
        template_metadata["annotations"] = {CONTROL_PLANE_ANNOTATION: control_plane_revision}
    deployments = {}
    for version, image in IMAGES.items():
        labels = {"app": APP, "version": version}
        metadata: Any = {"name": f"{APP}-{version}", "namespace": namespace, "labels": labels}
        spec: Any = {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {
                    "labels": labels,
                    **template_metadata,
                },
                "spec": {
                    "containers": [
                        {
                            "name": APP,
                            "image": image,
                            "ports": [{"containerPort": PORT, "name": "http"}],
                            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
                            "readinessProbe": {
                                "httpGet": {"path": "/hello", "port": PORT},
                                "periodSeconds": 5,
                            },
                        }
                    ]
                },
            },
        }
        deployments[version] = k8s.apps.v1.Deployment(
            f"{APP}-{version}", metadata=metadata, spec=spec, opts=opts
        )
    service_metadata: Any = {"name": APP, "namespace": namespace, "labels": {"app": APP}}
    service_spec: Any = {
        "selector": {"app": APP},
        # The port name tells Istio the protocol (HTTP), for routing and mTLS alike.
        "ports": [{"name": "http", "port": PORT, "targetPort": PORT}],
    }
    service = k8s.core.v1.Service(APP, metadata=service_metadata, spec=service_spec, opts=opts)
    ns = pulumi.Output.from_input(namespace)
    return DemoApp(
        service=service,
        deployments=deployments,
        namespace=ns,
        host=ns.apply(lambda n: f"{APP}.{n}.svc.cluster.local"),
    )
