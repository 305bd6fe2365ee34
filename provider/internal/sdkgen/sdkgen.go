// Package sdkgen generates the package's SDKs from its schema with the
// code generators of pulumi/pkg, at the version the CLI is built from:
// the ones the language hosts' GeneratePackage runs for `pulumi package
// gen-sdk`. (No language host with GeneratePackage can be built here: the
// newest language-host source served is v3.40.0, from before it.)
package sdkgen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// Languages are the SDKs made, by the directory each goes in.
var Languages = []string{"nodejs", "python", "go"}

// tool is what the generated files say made them.
const tool = "pulumi"

// Files are schemaJSON as schema.json and each SDK under sdk/<language>,
// by path, generated in memory.
func Files(schemaJSON string) (map[string][]byte, error) {
	files := map[string][]byte{"schema.json": []byte(schemaJSON)}
	for _, lang := range Languages {
		sdk, err := generate(schemaJSON, lang)
		if err != nil {
			return nil, fmt.Errorf("%s SDK: %w", lang, err)
		}
		for name, b := range sdk {
			files[filepath.Join("sdk", lang, name)] = b
		}
	}
	return files, nil
}

// Write generates the files and writes them under dir. With replace, it
// first removes dir/sdk, once generation has succeeded, so that a file
// the schema no longer makes goes, and a failed generation leaves the
// SDKs as they were.
func Write(schemaJSON, dir string, replace bool) error {
	files, err := Files(schemaJSON)
	if err != nil {
		return err
	}
	if replace {
		if err := os.RemoveAll(filepath.Join(dir, "sdk")); err != nil {
			return err
		}
	}
	for name, b := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// generate binds the schema (checking it) and runs one language's
// generator on it. Each generator gets a package of its own: they record
// their language's settings in it.
func generate(schemaJSON, lang string) (map[string][]byte, error) {
	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(schemaJSON), &spec); err != nil {
		return nil, err
	}
	pkg, diags, err := schema.BindSpec(spec, schema.NewNullLoader(), schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, diags
	}
	switch lang {
	case "nodejs":
		return nodejs.GeneratePackage(tool, pkg, nil, nil, false, nil)
	case "python":
		return python.GeneratePackage(tool, pkg, nil, nil)
	case "go":
		return gogen.GeneratePackage(tool, pkg, nil)
	}
	return nil, fmt.Errorf("no generator for %s", lang)
}
