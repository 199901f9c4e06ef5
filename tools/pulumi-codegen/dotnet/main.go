// Command pulumi-codegen-dotnet is the .NET half of pulumi-codegen: given on stdin the
// package JSON the CLI sends a language host, it does what pulumi-language-dotnet's
// GeneratePackage does (BindSpec with dangling references allowed, then the .NET
// generator) and prints the generated files as a JSON object of name to base64 content.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"

	"github.com/blang/semver"

	dotnet "github.com/pulumi/pulumi-dotnet/pulumi-language-dotnet/v3/codegen"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noPackages refuses every other package, as pulumi-codegen's loader does (it has already
// refused a schema that refers to one).
type noPackages struct{}

func (noPackages) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %q: no other package is available", pkg)
}

func (l noPackages) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, d.Version)
}

// pulumiLogo is the address the .NET generator downloads logo.png from when a schema has no
// logoUrl (ours has none).
const pulumiLogo = "https://raw.githubusercontent.com/pulumi/pulumi/" +
	"dbc96206bec722b7791a22ff50e895ab7c0abdc0/sdk/dotnet/pulumi_logo_64x64.png"

// offline answers the generator's one download with a placeholder image, so that the SDK
// generates without a network (its logo.png is a 1x1 PNG), and refuses any other request.
type offline struct{}

func (offline) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.String() != pulumiLogo {
		return nil, fmt.Errorf("no network for the .NET generator: %s", req.URL)
	}
	var placeholder bytes.Buffer
	if err := png.Encode(&placeholder, image.NewNRGBA(image.Rect(0, 0, 1, 1))); err != nil {
		return nil, err
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Request: req,
		Header: http.Header{"Content-Type": {"image/png"}},
		Body:   io.NopCloser(&placeholder), ContentLength: int64(placeholder.Len()),
	}, nil
}

func run() error {
	http.DefaultTransport = offline{}
	http.DefaultClient.Transport = offline{}
	sent, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(sent, &spec); err != nil {
		return err
	}
	pkg, diags, err := schema.BindSpec(spec, noPackages{}, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return err
	}
	if len(diags) > 0 {
		return diags
	}
	files, err := dotnet.GeneratePackage("pulumi-language-dotnet", pkg, nil, nil)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(files)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-codegen-dotnet:", err)
		os.Exit(1)
	}
}
