"""EksCluster: an Amazon EKS cluster and a managed node group, in the same graph as Istio.

It needs the ``aws`` extra (``pip install 'mesh-https[aws]'``, which brings ``pulumi-aws``);
importing :mod:`mesh_https` does not. Credentials and the region come from the environment
the way the AWS CLI finds them (``AWS_PROFILE``, ``aws:region`` in the stack), never from
stack files.

- **Cluster access**: EKS access entries (``authentication_mode: API``), with the identity
  that runs ``pulumi up`` made cluster admin at creation
  (``bootstrap_cluster_creator_admin_permissions``). The kubeconfig authenticates with
  ``aws eks get-token`` (the ``aws`` CLI must be on the PATH wherever the kubeconfig is used);
  it is a secret Output, and :attr:`EksCluster.provider` is built from it.
- **Network**: the given subnets, else the subnets of the account's default VPC. (EKS refuses
  a few availability zones, such as ``use1-az3``; give ``subnet_ids`` there.)
- **Edge**: the gateway Service gets ``service.beta.kubernetes.io/aws-load-balancer-type:
  nlb``, the in-tree Network Load Balancer, which needs nothing installed. With
  ``load_balancer_controller=True`` it gets the AWS Load Balancer Controller's annotations
  instead (``external``, ``ip`` targets, ``internet-facing``); the controller, its IAM role
  and tagged subnets are then the cluster owner's to provide. ``gateway_annotations`` replaces
  either.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import pulumi

from mesh_https import contract
from mesh_https import validation as v
from mesh_https.cluster import (
    DEFAULT_KUBERNETES_VERSION,
    CloudCluster,
    KubernetesVersion,
    check_cloud_location,
    cloud_location,
    cloud_sdk,
    exec_kubeconfig,
)
from mesh_https.constraints import DnsLabel, LabelKey, NonEmpty, PositiveInt

COMPONENT = "EksCluster"
DEFAULT_INSTANCE_TYPE = "m5.large"
DEFAULT_NODE_COUNT = 2
NLB_ANNOTATIONS = {"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"}
CONTROLLER_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
}
CLUSTER_POLICIES = ("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",)
NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
)


class EksClusterArgs(TypedDict, total=False):
    """Inputs of :class:`EksCluster`. Every key is optional."""

    cluster_name: DnsLabel
    """The EKS cluster's name. Default: the resource name."""
    region: NonEmpty
    """The AWS region, for the kubeconfig. Default: the stack's ``aws:region``."""
    kubernetes_version: KubernetesVersion
    """The Kubernetes minor. Default ``1.35``."""
    subnet_ids: Sequence[NonEmpty]
    """Subnets (in two availability zones at least) for the cluster and the nodes. Default:
    the default VPC's."""
    instance_types: Sequence[NonEmpty]
    """The node group's instance types. Default ``["m5.large"]``."""
    node_count: PositiveInt
    """Nodes in the group. Default 2."""
    load_balancer_controller: bool
    """Give the gateway the AWS Load Balancer Controller's annotations (the controller must
    be installed). Default ``False``: the in-tree NLB."""
    gateway_annotations: Mapping[LabelKey, str]
    """The gateway Service's annotations, instead of the NLB ones."""
    depends_on: Sequence[pulumi.Resource]
    """What must exist first."""


def gateway_annotations(args: EksClusterArgs) -> dict[str, str]:
    """The gateway Service's annotations: given, the controller's, or the in-tree NLB's."""
    if "gateway_annotations" in args:
        return dict(args["gateway_annotations"])
    if args.get("load_balancer_controller", False):
        return dict(CONTROLLER_ANNOTATIONS)
    return dict(NLB_ANNOTATIONS)


def _aws() -> Any:
    return cloud_sdk(COMPONENT, "pulumi_aws", "pulumi-aws", "aws")


def validate_args(name: str, args: EksClusterArgs | None) -> EksClusterArgs:
    """Check :class:`EksCluster` input; raises :class:`ValidationError`."""
    args = contract.check(COMPONENT, EksClusterArgs, args)
    if "subnet_ids" in args and len(set(args["subnet_ids"])) < 2:
        v.fail(COMPONENT, "subnet_ids", "needs two subnets at least, in different zones")
    if "instance_types" in args and not args["instance_types"]:
        v.fail(COMPONENT, "instance_types", "is empty; leave it out for m5.large")
    if "gateway_annotations" in args and args.get("load_balancer_controller"):
        v.fail(COMPONENT, "gateway_annotations", "replaces the controller's; give one of the two")
    check_cloud_location(COMPONENT, args, "region", "aws:region", "us-west-2")
    return contract.deferred(COMPONENT, EksClusterArgs, args)


def kubeconfig(endpoint: str, ca_data: str, cluster: str, region: str) -> str:
    """A kubeconfig for an EKS cluster that authenticates with ``aws eks get-token``."""
    return exec_kubeconfig(
        cluster,
        endpoint,
        ca_data,
        {
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster, "--region", region,
                     "--output", "json"],
            "installHint": "Install the AWS CLI v2: https://aws.amazon.com/cli/",
        },
    )  # fmt: skip


def _role(name: str, service: str, policies: Sequence[str], parent: pulumi.Resource) -> Any:
    aws = _aws()
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }
    role = aws.iam.Role(
        name, assume_role_policy=json.dumps(trust), opts=pulumi.ResourceOptions(parent=parent)
    )
    attachments = [
        aws.iam.RolePolicyAttachment(
            f"{name}-{policy.rsplit('/', 1)[-1]}",
            role=role.name,
            policy_arn=policy,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for policy in policies
    ]
    return role, attachments


class EksCluster(CloudCluster):
    """An EKS cluster with a managed node group, and the :class:`~mesh_https.Cluster`
    interface: an explicit provider, a load balancer, and the gateway's NLB Service."""

    kubeconfig: pulumi.Output[str]
    """The kubeconfig (secret): ``aws eks get-token`` authenticates."""
    cluster_name: pulumi.Output[str]
    """The EKS cluster's name."""
    endpoint: pulumi.Output[str]
    """The API server's URL."""

    def __init__(
        self,
        name: str,
        args: EksClusterArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        args = validate_args(name, args)
        aws = _aws()
        super().__init__("mesh-https:index:EksCluster", name, None, opts)
        cluster_name = args.get("cluster_name", name)
        region = cloud_location(args, "region", "aws:region")
        if "subnet_ids" in args:
            subnets: pulumi.Input[Sequence[str]] = list(args["subnet_ids"])
        else:
            vpc = aws.ec2.get_vpc_output(default=True, opts=pulumi.InvokeOptions(parent=self))
            subnets = aws.ec2.get_subnets_output(
                filters=[{"name": "vpc-id", "values": [vpc.id]}],
                opts=pulumi.InvokeOptions(parent=self),
            ).ids
        cluster_role, cluster_attached = _role(
            f"{name}-cluster-role", "eks.amazonaws.com", CLUSTER_POLICIES, self
        )
        node_role, node_attached = _role(
            f"{name}-node-role", "ec2.amazonaws.com", NODE_POLICIES, self
        )
        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            role_arn=cluster_role.arn,
            version=args.get("kubernetes_version", DEFAULT_KUBERNETES_VERSION),
            vpc_config={"subnet_ids": subnets},
            access_config={
                "authentication_mode": "API",
                "bootstrap_cluster_creator_admin_permissions": True,
            },
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*cluster_attached, *args.get("depends_on", [])]
            ),
        )
        count = args.get("node_count", DEFAULT_NODE_COUNT)
        self.node_group = aws.eks.NodeGroup(
            f"{name}-nodes",
            cluster_name=self.cluster.name,
            node_role_arn=node_role.arn,
            subnet_ids=subnets,
            instance_types=list(args.get("instance_types", [DEFAULT_INSTANCE_TYPE])),
            scaling_config={"desired_size": count, "min_size": count, "max_size": count},
            opts=pulumi.ResourceOptions(parent=self, depends_on=node_attached),
        )
        self.cluster_name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self._connect(
            name,
            pulumi.Output.all(
                self.cluster.endpoint,
                self.cluster.certificate_authority.apply(lambda ca: ca.data),
                self.cluster.name,
            ).apply(lambda values: kubeconfig(values[0], values[1], values[2], region)),
            self.node_group,
            gateway_annotations(args),
            {"endpoint": self.endpoint},
        )
