package main

import (
	"example.com/pulumi-mesh-https/sdk/go/meshhttps"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// kubernetesProvider is a Kubernetes provider registered by its type token, without
// pulumi-kubernetes's Go SDK (kubernetes.NewProvider with the same kubeconfig is the same).
type kubernetesProvider struct{ pulumi.ProviderResourceState }

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		ports := &meshhttps.PortsArgs{Http: pulumi.Int(30080), Https: pulumi.Int(30443)}
		kind, err := meshhttps.NewKindCluster(ctx, "dev", &meshhttps.KindClusterArgs{NodePorts: ports})
		if err != nil {
			return err
		}
		var cluster kubernetesProvider
		err = ctx.RegisterResource("pulumi:providers:kubernetes", "cluster",
			pulumi.Map{"kubeconfig": kind.Kubeconfig}, &cluster)
		if err != nil {
			return err
		}
		nodePort := meshhttps.GatewayServiceType_NODE_PORT
		istio, err := meshhttps.NewIstioInstall(ctx, "istio", &meshhttps.IstioInstallArgs{
			GatewayService: &meshhttps.GatewayServiceArgsArgs{Type: &nodePort, NodePorts: ports},
		}, pulumi.Providers(&cluster))
		if err != nil {
			return err
		}
		pki, err := meshhttps.NewCertificateAuthority(ctx, "pki", &meshhttps.CertificateAuthorityArgs{})
		if err != nil {
			return err
		}
		edge, err := meshhttps.NewHttpsGateway(ctx, "edge", &meshhttps.HttpsGatewayArgs{
			GatewayNamespace: istio.GatewayNamespace,
			Selector:         istio.GatewaySelector,
			Hosts:            pulumi.StringArray{pulumi.String("hello.example.com")},
			Issuer: &meshhttps.IssuerArgsArgs{
				CertPem: pki.CertPem, PrivateKeyPem: pki.PrivateKeyPem,
				ChainPem: pki.ChainPem, RootCertPem: pki.RootCertPem,
			},
		}, pulumi.Providers(&cluster), pulumi.DependsOn([]pulumi.Resource{istio}))
		if err != nil {
			return err
		}
		ctx.Export("smokeTest", edge.SmokeTest)
		return nil
	})
}
