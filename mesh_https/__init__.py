"""mesh-https: Pulumi components for full-chain HTTPS with Istio.

Clusters (:class:`KindCluster`, :class:`ExistingCluster`) give the provider; :class:`IstioInstall`
installs Istio from its Helm charts; :class:`CertificateAuthority` and friends make the PKI;
:class:`HttpsGateway` serves HTTPS at the edge; :class:`MeshNamespace` enrols applications;
:class:`CanaryRoute` splits and steers traffic; :class:`StrictMtls` makes mTLS STRICT and says
who may call whom.
Bad input raises :class:`ValidationError` before anything
is registered. The offline test kit is :mod:`mesh_https.testing`.
"""

from mesh_https import analysis
from mesh_https.aks import AksCluster, AksClusterArgs
from mesh_https.canary_route import (
    CanaryRoute,
    CanaryRouteArgs,
    GatewayRouteArgs,
    MatchRouteArgs,
    SubsetArgs,
)
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
from mesh_https.eks import EksCluster, EksClusterArgs
from mesh_https.gke import GkeCluster, GkeClusterArgs
from mesh_https.https_gateway import GatewayCertificateArgs, HttpsGateway, HttpsGatewayArgs
from mesh_https.identity import spiffe_id, workload_principal
from mesh_https.istio_charts import CONTROL_PLANE_ANNOTATION
from mesh_https.istio_install import (
    ChartRepositoryAuthArgs,
    GatewayApiCrdsArgs,
    GatewayInfo,
    GatewayWorkloadArgs,
    IstioInfo,
    IstioInstall,
    IstioInstallArgs,
    RevisionArgs,
)
from mesh_https.mesh_namespace import MeshNamespace, MeshNamespaceArgs
from mesh_https.pki import (
    CertificateAuthority,
    CertificateAuthorityArgs,
    IssuerArgs,
    KeyArgs,
    LeafCertificate,
    LeafCertificateArgs,
    PluggedCaArgs,
    ValidityArgs,
    client_certificate,
    server_certificate,
)
from mesh_https.strict_mtls import (
    AllowRuleArgs,
    PortExceptionArgs,
    StrictMtls,
    StrictMtlsArgs,
    WaypointRefArgs,
    WorkloadTargetArgs,
)
from mesh_https.validation import ValidationError
from mesh_https.versions import (
    ISTIO_CHART_REPOSITORY,
    ISTIO_IMAGE_HUB,
    ISTIO_OCI_REPOSITORY,
    ISTIO_VERSION,
)
from mesh_https.waypoint import Waypoint, WaypointArgs, WaypointInfo

__all__ = [
    "CONTROL_PLANE_ANNOTATION",
    "ISTIO_CHART_REPOSITORY",
    "ISTIO_IMAGE_HUB",
    "ISTIO_OCI_REPOSITORY",
    "ISTIO_VERSION",
    "AksCluster",
    "AksClusterArgs",
    "AllowRuleArgs",
    "CanaryRoute",
    "CanaryRouteArgs",
    "CertificateAuthority",
    "CertificateAuthorityArgs",
    "ChartRepositoryAuthArgs",
    "Cluster",
    "EksCluster",
    "EksClusterArgs",
    "ExistingCluster",
    "ExistingClusterArgs",
    "GatewayApiCrdsArgs",
    "GatewayCertificateArgs",
    "GatewayInfo",
    "GatewayRouteArgs",
    "GatewayServiceArgs",
    "GatewayWorkloadArgs",
    "GkeCluster",
    "GkeClusterArgs",
    "HttpsGateway",
    "HttpsGatewayArgs",
    "IssuerArgs",
    "IstioInfo",
    "IstioInstall",
    "IstioInstallArgs",
    "KeyArgs",
    "KindCluster",
    "KindClusterArgs",
    "LeafCertificate",
    "LeafCertificateArgs",
    "LocalIngress",
    "MatchRouteArgs",
    "MeshNamespace",
    "MeshNamespaceArgs",
    "PluggedCaArgs",
    "PortExceptionArgs",
    "Ports",
    "RevisionArgs",
    "StrictMtls",
    "StrictMtlsArgs",
    "SubsetArgs",
    "ValidationError",
    "ValidityArgs",
    "Waypoint",
    "WaypointArgs",
    "WaypointInfo",
    "WaypointRefArgs",
    "WorkloadTargetArgs",
    "analysis",
    "client_certificate",
    "server_certificate",
    "spiffe_id",
    "workload_principal",
]
