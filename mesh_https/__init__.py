"""mesh-https: Pulumi components for full-chain HTTPS with Istio.

Clusters (:class:`KindCluster`, :class:`ExistingCluster`) give the provider; :class:`IstioInstall`
installs Istio from its Helm charts; :class:`CertificateAuthority` and friends make the PKI;
:class:`HttpsGateway` serves HTTPS at the edge; :class:`MeshNamespace` enrols applications.
Bad input raises :class:`ValidationError` before anything
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
from mesh_https.https_gateway import GatewayCertificateArgs, HttpsGateway, HttpsGatewayArgs
from mesh_https.istio_install import IstioInstall, IstioInstallArgs
from mesh_https.mesh_namespace import MeshNamespace, MeshNamespaceArgs
from mesh_https.pki import (
    CertificateAuthority,
    CertificateAuthorityArgs,
    IssuerArgs,
    KeyArgs,
    LeafCertificate,
    PluggedCaArgs,
    ValidityArgs,
    client_certificate,
    server_certificate,
)
from mesh_https.validation import ValidationError
from mesh_https.versions import ISTIO_CHART_REPOSITORY, ISTIO_VERSION

__all__ = [
    "ISTIO_CHART_REPOSITORY",
    "ISTIO_VERSION",
    "CertificateAuthority",
    "CertificateAuthorityArgs",
    "Cluster",
    "ExistingCluster",
    "ExistingClusterArgs",
    "GatewayCertificateArgs",
    "GatewayServiceArgs",
    "HttpsGateway",
    "HttpsGatewayArgs",
    "IssuerArgs",
    "IstioInstall",
    "IstioInstallArgs",
    "KeyArgs",
    "KindCluster",
    "KindClusterArgs",
    "LeafCertificate",
    "LocalIngress",
    "MeshNamespace",
    "MeshNamespaceArgs",
    "PluggedCaArgs",
    "Ports",
    "ValidationError",
    "ValidityArgs",
    "client_certificate",
    "server_certificate",
]
