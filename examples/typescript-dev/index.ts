// The dev app: kind → Istio (with the stack's CA plugged in) → HTTPS gateway → demo app →
// canary route → STRICT mTLS, with mesh-https's components from TypeScript.
import * as k8s from "@pulumi/kubernetes";
import * as mesh from "@pulumi/mesh-https";

const hosts = ["hello.mesh-https.test", "api.mesh-https.test"];

const kind = new mesh.KindCluster("mesh-https-dev", {
    clusterName: "mesh-https-dev-ts",
    hostPorts: { http: 80, https: 443 },
    nodePorts: { http: 30080, https: 30443 },
});
const cluster = new k8s.Provider("cluster", { kubeconfig: kind.kubeconfig });
const onCluster = { providers: [cluster] };

const pki = new mesh.CertificateAuthority("pki", {
    intermediate: true,
    meshCa: true,
    protectRoot: false,
});

const istio = new mesh.IstioInstall("istio", {
    mode: "sidecar",
    // kind has no load balancer: the NodePorts its config maps to host ports 80/443.
    gatewayService: { type: "NodePort", nodePorts: { http: 30080, https: 30443 } },
    pluggedCa: {
        caCertPem: pki.pluggedCa.apply(ca => ca!.caCertPem),
        caKeyPem: pki.pluggedCa.apply(ca => ca!.caKeyPem),
        rootCertPem: pki.pluggedCa.apply(ca => ca!.rootCertPem),
        certChainPem: pki.pluggedCa.apply(ca => ca!.certChainPem),
    },
}, onCluster);

// Istio objects must come after istiod serves its webhook: dependsOn reaches the children.
const afterIstio = { ...onCluster, dependsOn: [istio] };

const demo = new mesh.MeshNamespace("app", {
    namespace: "demo",
    mode: "sidecar",
    revision: istio.revision,
    systemNamespace: istio.systemNamespace,
}, afterIstio);

const versions = ["v1", "v2"];
const deployments = versions.map(version => {
    const labels = { app: "helloworld", version };
    return new k8s.apps.v1.Deployment(`helloworld-${version}`, {
        metadata: { name: `helloworld-${version}`, namespace: demo.namespace, labels },
        spec: {
            replicas: 1,
            selector: { matchLabels: labels },
            template: {
                metadata: { labels },
                spec: {
                    containers: [{
                        name: "helloworld",
                        image: `docker.io/istio/examples-helloworld-${version}:1.0`,
                        ports: [{ containerPort: 5000, name: "http" }],
                        readinessProbe: { httpGet: { path: "/hello", port: 5000 }, periodSeconds: 5 },
                    }],
                },
            },
        },
    }, { provider: cluster });
});
const service = new k8s.core.v1.Service("helloworld", {
    metadata: { name: "helloworld", namespace: demo.namespace, labels: { app: "helloworld" } },
    spec: { selector: { app: "helloworld" }, ports: [{ name: "http", port: 5000, targetPort: 5000 }] },
}, { provider: cluster });

const edge = new mesh.HttpsGateway("edge", {
    gatewayNamespace: istio.gatewayNamespace,
    selector: istio.gatewaySelector,
    hosts,
    grouping: "per_host",
    mode: "SIMPLE",
    minTlsVersion: "TLSV1_2",
    issuer: {
        certPem: pki.certPem,
        privateKeyPem: pki.privateKeyPem,
        chainPem: pki.chainPem,
        rootCertPem: pki.rootCertPem,
    },
    localIngress: { address: "127.0.0.1", ports: { http: 80, https: 443 } },
}, afterIstio);

const route = new mesh.CanaryRoute("app", {
    host: "helloworld",
    namespace: "demo",
    port: 5000,
    subsets: [
        { name: "v1", labels: { version: "v1" }, weight: 80 },
        { name: "v2", labels: { version: "v2" }, weight: 20 },
    ],
    routes: [{ name: "force-v2", subset: "v2", headers: { "x-canary": { exact: "always" } } }],
    timeout: "10s",
    retries: { attempts: 2, perTryTimeout: "3s", retryOn: ["connect-failure", "reset", "503"] },
    gateways: [{ ref: edge.gatewayRef, hosts: edge.hosts }],
    externalHosts: edge.hosts,
}, { ...onCluster, dependsOn: [istio, demo, service, ...deployments] });

new mesh.StrictMtls("mtls", {
    systemNamespace: istio.systemNamespace,
    dataPlaneMode: "sidecar",
    namespaces: ["demo"],
    peerMode: "STRICT",
    gatewayPrincipal: istio.gatewayPrincipal,
    gatewayTargets: route.gatewayTargets,
}, { ...onCluster, dependsOn: [istio, demo] });

export const gatewayHosts = edge.hosts;
export const caCertPem = edge.caCertPem;
export const smokeTest = edge.smokeTest;
export const virtualService = route.virtualServiceName;
