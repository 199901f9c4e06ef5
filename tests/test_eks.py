"""EksCluster under mocks: what it registers, its kubeconfig, the provider every Kubernetes
resource uses, the gateway's load-balancer annotations, the eks stack, and the missing extra."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
from conftest import assert_refused, run_stack
from test_scripts import up_with_only

from mesh_https import EksCluster, IstioInstall, ValidationError
from mesh_https.testing import MockSession, Recording

AWS = {"aws:region": "us-west-2"}


def build(session: MockSession, **args: Any) -> tuple[EksCluster, Recording]:
    cluster = EksCluster("prod", {"cluster_name": "mesh-prod", **args})
    IstioInstall(
        "istio",
        {"gateway_service": cluster.gateway_service()},
        opts=pulumi.ResourceOptions(provider=cluster.provider),
    )
    return cluster, session.settle()


def test_cluster_roles_and_node_group() -> None:
    with MockSession(config=AWS) as session:
        _, rec = build(session)
    cluster = rec.one("aws:eks/cluster:Cluster")
    assert cluster.inputs["name"] == "mesh-prod"
    assert cluster.inputs["version"] == "1.35"
    assert cluster.inputs["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": True,
    }
    # No subnets given: the default VPC's, found by the invokes.
    assert cluster.inputs["vpcConfig"]["subnetIds"] == ["subnet-0aaa1111", "subnet-0bbb2222"]
    attached = {
        r.inputs["policyArn"].rsplit("/", 1)[-1]
        for r in rec.find("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached == {
        "AmazonEKSClusterPolicy",
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryReadOnly",
    }
    nodes = rec.one("aws:eks/nodeGroup:NodeGroup")
    assert nodes.inputs["scalingConfig"] == {"desiredSize": 2, "minSize": 2, "maxSize": 2}
    assert nodes.inputs["instanceTypes"] == ["m5.large"]
    trust = json.loads(rec.find("aws:iam/role:Role")[0].inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Action"] == "sts:AssumeRole"


def test_kubeconfig_is_a_secret_that_authenticates_with_aws_eks_get_token() -> None:
    with MockSession(config=AWS) as session:
        cluster, rec = build(session, subnet_ids=["subnet-1", "subnet-2"])
        resolved = session.resolve(cluster.kubeconfig)
    assert resolved.secret
    config = json.loads(resolved.value)
    server = config["clusters"][0]["cluster"]
    assert server["server"].endswith(".gr7.us-west-2.eks.amazonaws.com")
    assert "BEGIN CERTIFICATE" in base64.b64decode(server["certificate-authority-data"]).decode()
    user = config["users"][0]["user"]["exec"]
    assert user["command"] == "aws"
    assert user["args"] == [
        "eks",
        "get-token",
        "--cluster-name",
        "mesh-prod",
        "--region",
        "us-west-2",
        "--output",
        "json",
    ]
    assert user["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    provider = rec.one("pulumi:providers:kubernetes")
    assert provider.is_secret("kubeconfig")
    assert rec.depends_on(provider, rec.one("aws:eks/nodeGroup:NodeGroup")), "nodes first"
    assert not rec.find("aws:ec2/getVpc:getVpc"), "given subnets need no lookup"
    assert rec.one("aws:eks/cluster:Cluster").inputs["vpcConfig"]["subnetIds"] == [
        "subnet-1",
        "subnet-2",
    ]


def test_every_kubernetes_resource_uses_the_clusters_provider() -> None:
    with MockSession(config=AWS) as session:
        _, rec = build(session)
    provider = rec.one("pulumi:providers:kubernetes")
    k8s = [r for r in rec if r.custom and r.type.startswith("kubernetes:")]
    assert k8s and all(r.provider_urn == provider.urn for r in k8s)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({}, {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}),
        (
            {"load_balancer_controller": True},
            {
                "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
            },
        ),
        (
            {
                "gateway_annotations": {
                    "service.beta.kubernetes.io/aws-load-balancer-internal": "true"
                }
            },
            {"service.beta.kubernetes.io/aws-load-balancer-internal": "true"},
        ),
    ],
)
def test_the_gateway_service_gets_the_load_balancers_annotations(
    args: dict[str, Any], expected: dict[str, str]
) -> None:
    with MockSession(config=AWS) as session:
        cluster, rec = build(session, **args)
    assert cluster.load_balancer and cluster.node_ports is None and cluster.local_ingress is None
    service = rec.one("kubernetes:helm.sh/v3:Release", name="istio-gateway").inputs["values"][
        "service"
    ]
    assert service["type"] == "LoadBalancer"
    assert service["annotations"] == expected


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        ({"kubernetes_version": "1.28"}, "kubernetes_version", "1.32 to 1.36"),
        ({"subnet_ids": ["subnet-1"]}, "subnet_ids", "two subnets"),
        ({"instance_types": []}, "instance_types", "is empty"),
        ({"node_count": 0}, "node_count", "1 or more"),
        (
            {"load_balancer_controller": True, "gateway_annotations": {"a": "b"}},
            "gateway_annotations",
            "give one",
        ),
    ],
)
def test_bad_input(args: dict[str, Any], field: str, words: str) -> None:
    with MockSession(config=AWS) as session:
        assert_refused(session, lambda: EksCluster("c", args), "EksCluster", field, words)


def test_a_region_is_needed() -> None:
    with MockSession() as session:
        assert_refused(session, lambda: EksCluster("c", {}), "EksCluster", "region", "aws:region")


def test_without_the_aws_extra_the_error_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pulumi_aws", None)  # as if it were not installed
    with MockSession(config=AWS), pytest.raises(ValidationError) as err:
        EksCluster("c", {})
    assert "pip install 'mesh-https[aws]'" in str(err.value)


def test_importing_the_package_needs_no_cloud_sdk() -> None:
    code = (
        "import sys; sys.modules['pulumi_aws'] = None; import mesh_https; "
        "assert mesh_https.EksCluster; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_the_eks_stack_composes_the_dev_app() -> None:
    rec, exports = run_stack("eks")
    assert exports["analysis"] == []
    assert rec.one("aws:eks/cluster:Cluster").inputs["name"] == "mesh-https-eks"
    provider = rec.one("pulumi:providers:kubernetes")
    k8s = [r for r in rec if r.custom and r.type.startswith("kubernetes:")]
    assert all(r.provider_urn == provider.urn for r in k8s)
    assert "kubeconfig" not in exports, "a cloud kubeconfig is not exported"


def test_up_for_eks_needs_the_aws_cli_and_credentials_not_docker(tmp_path: Path) -> None:
    missing = up_with_only(tmp_path, "eks", {"pulumi": "exit 0"})
    assert missing.returncode == 1
    assert "- aws CLI v2:" in missing.stderr
    assert "docker" not in missing.stderr and "kind" not in missing.stderr
    signed_out = up_with_only(tmp_path, "eks", {"pulumi": "exit 0", "aws": "exit 255"})
    assert "- AWS credentials:" in signed_out.stderr and "aws sso login" in signed_out.stderr
