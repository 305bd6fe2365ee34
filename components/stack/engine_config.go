package stack

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// EngineConfig returns the configuration the Pulumi engine hands the program
// of the project in projectFile (a Pulumi.yaml) for a stack whose own values
// are values: every key the project declares, with its default, and the
// stack's values over them. Keys without a namespace are the project's.
// Values are strings as the engine passes them: scalars as written, lists and
// maps as JSON.
//
// Tests that run the program under mocks use it, so that they see the
// program's configuration as `pulumi up` does.
func EngineConfig(projectFile string, values map[string]string) (map[string]string, error) {
	proj, err := workspace.LoadProject(projectFile)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for key, t := range proj.Config {
		if t.Default == nil {
			continue
		}
		v, err := engineValue(t.Default)
		if err != nil {
			return nil, fmt.Errorf("%s: default of %s: %w", projectFile, key, err)
		}
		out[namespaced(proj.Name.String(), key)] = v
	}
	for k, v := range values {
		out[namespaced(proj.Name.String(), k)] = v
	}
	return out, nil
}

// engineValue formats a declared default as the engine does: scalars with
// %v, anything else as JSON.
func engineValue(v any) (string, error) {
	switch v.(type) {
	case string, bool, int, int64, float64:
		return fmt.Sprintf("%v", v), nil
	}
	v, err := workspace.SimplifyMarshalledValue(v)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// namespaced puts the project's namespace on a key that has none.
func namespaced(project, key string) string {
	if strings.Contains(key, ":") {
		return key
	}
	return project + ":" + key
}
