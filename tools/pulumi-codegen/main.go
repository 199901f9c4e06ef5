// Command pulumi-codegen binds a Pulumi package schema with Pulumi's own binder and
// generates its SDKs with Pulumi's own generators, the way the pulumi CLI does.
//
//	pulumi-codegen check SCHEMA.json
//	pulumi-codegen gen SCHEMA.json OUT [LANGUAGE...]
//
// check binds the schema as `pulumi schema check` does: schema.BindSpec validates it against
// the metaschema embedded in codegen/schema, then binds every resource, type and reference,
// with dangling references refused. Every diagnostic is written to stderr as the CLI writes
// it, and as a JSON list on stdout; any diagnostic at all, warning or error, exits 1.
//
// gen checks first, then does what `pulumi package add` does for each language (nodejs, go,
// python, dotnet; all when none is named): it marks the bound package SupportPack, marshals
// it, and hands that JSON to the language's generator as the language host does (BindSpec
// again, dangling references allowed, then GeneratePackage with a local SDK). Each SDK is
// written to OUT/<language>; the file names are printed on stdout as JSON.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"github.com/blang/semver"
	"github.com/hashicorp/hcl/v2"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// Languages in the order `gen` writes them, with the tool name each language host passes.
var languages = []string{"nodejs", "go", "python", "dotnet"}

// noPackages is the loader: our schema refers to no other package, so any reference to one
// is an error, where the CLI would download that package's plugin.
type noPackages struct{}

func (noPackages) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema refers to package %q: no other package is available", pkg)
}

func (l noPackages) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, d.Version)
}

func (noPackages) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("the schema refers to package %q: no other package is available", pkg)
}

func (l noPackages) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, d.Version)
}

type diagnostic struct {
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
}

func readSpec(path string) (schema.PackageSpec, error) {
	var spec schema.PackageSpec
	data, err := os.ReadFile(path)
	if err != nil {
		return spec, err
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return spec, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}

// check binds spec as `pulumi schema check` does and reports every diagnostic.
func check(spec schema.PackageSpec) (*schema.Package, []diagnostic, error) {
	pkg, diags, err := schema.BindSpec(spec, noPackages{}, schema.ValidationOptions{})
	writer := hcl.NewDiagnosticTextWriter(os.Stderr, nil, 0, false)
	_ = writer.WriteDiagnostics(diags)
	listed := []diagnostic{}
	for _, d := range diags {
		severity := "error"
		if d.Severity == hcl.DiagWarning {
			severity = "warning"
		}
		listed = append(listed, diagnostic{severity, d.Summary, d.Detail})
	}
	if err == nil && len(diags) > 0 {
		err = fmt.Errorf("%d diagnostic(s)", len(diags))
	}
	return pkg, listed, err
}

// generate does what a language host's GeneratePackage does with the schema the CLI sends it.
func generate(language string, sent []byte) (map[string][]byte, error) {
	var spec schema.PackageSpec
	if err := json.Unmarshal(sent, &spec); err != nil {
		return nil, err
	}
	loader := noPackages{}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, err
	}
	if len(diags) > 0 {
		return nil, fmt.Errorf("%s: binding the marshalled package: %w", language, diags)
	}
	switch language {
	case "nodejs":
		return nodejs.GeneratePackage("pulumi-language-nodejs", pkg, nil, nil, true, loader)
	case "go":
		return gogen.GeneratePackage("pulumi-language-go", pkg, nil)
	case "python":
		return python.GeneratePackage("pulumi-language-python", pkg, nil, loader)
	case "dotnet":
		return dotnetHost(sent)
	}
	return nil, fmt.Errorf("unknown language %q (one of %v)", language, languages)
}

// dotnetHost runs the .NET generator, which lives in pulumi-language-dotnet's module, as the
// CLI runs that language host: a separate program, built beside this one
// (tools/pulumi-codegen/dotnet), that reads the marshalled package and returns the files.
func dotnetHost(sent []byte) (map[string][]byte, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	host := exec.Command(filepath.Join(filepath.Dir(self), "pulumi-codegen-dotnet"))
	host.Stdin = bytes.NewReader(sent)
	host.Stderr = os.Stderr
	out, err := host.Output()
	if err != nil {
		return nil, fmt.Errorf("pulumi-codegen-dotnet: %w", err)
	}
	var files map[string][]byte
	if err := json.Unmarshal(out, &files); err != nil {
		return nil, err
	}
	return files, nil
}

func write(dir string, files map[string][]byte) ([]string, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(files))
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

func run(args []string) error {
	if len(args) < 2 || (args[0] != "check" && args[0] != "gen") || (args[0] == "gen" && len(args) < 3) {
		return errors.New("usage: pulumi-codegen check SCHEMA.json | gen SCHEMA.json OUT [LANGUAGE...]")
	}
	spec, err := readSpec(args[1])
	if err != nil {
		return err
	}
	pkg, listed, err := check(spec)
	if args[0] == "check" {
		printed, jerr := json.Marshal(listed)
		if jerr != nil {
			return jerr
		}
		fmt.Println(string(printed))
	}
	if err != nil || args[0] == "check" {
		return err
	}
	// `pulumi package add` always generates a local, packable SDK.
	pkg.SupportPack = true
	sent, err := pkg.MarshalJSON()
	if err != nil {
		return err
	}
	wanted := args[3:]
	if len(wanted) == 0 {
		wanted = languages
	}
	written := map[string][]string{}
	for _, language := range wanted {
		files, err := generate(language, sent)
		if err != nil {
			return fmt.Errorf("%s: %w", language, err)
		}
		names, err := write(filepath.Join(args[2], language), files)
		if err != nil {
			return err
		}
		written[language] = names
	}
	printed, err := json.Marshal(written)
	if err != nil {
		return err
	}
	fmt.Println(string(printed))
	return nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-codegen:", err)
		os.Exit(1)
	}
}
