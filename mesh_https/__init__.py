"""mesh-https: Pulumi components for full-chain HTTPS with Istio.

Clusters (:class:`KindCluster`, :class:`ExistingCluster`) give the provider; :class:`IstioInstall`
installs Istio from its Helm charts. Bad input raises :class:`ValidationError` before anything
is registered. The offline test kit is :mod:`mesh_https.testing`.
"""

from mesh_https.cluster import (
    Cluster,
    ExistingCluster,
    ExistingClusterArgs,
    GatewayServiceArgs,
    KindCluster,
    KindClusterArgs,
    LocalIngress,
    Ports,
)
from mesh_https.istio_install import IstioInstall, IstioInstallArgs
from mesh_https.validation import ValidationError
from mesh_https.versions import ISTIO_CHART_REPOSITORY, ISTIO_VERSION

__all__ = [
    "ISTIO_CHART_REPOSITORY",
    "ISTIO_VERSION",
    "Cluster",
    "ExistingCluster",
    "ExistingClusterArgs",
    "GatewayServiceArgs",
    "IstioInstall",
    "IstioInstallArgs",
    "KindCluster",
    "KindClusterArgs",
    "LocalIngress",
    "Ports",
    "ValidationError",
]
