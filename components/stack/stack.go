package stack

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
)

// Run is the Pulumi program: it loads the configuration, builds the
// ClientServer and exports its outputs.
func Run(ctx *pulumi.Context) error {
	outputs, err := Build(ctx)
	if err != nil {
		return err
	}
	for k, v := range outputs {
		ctx.Export(k, v)
	}
	return nil
}

// Build loads the configuration and builds the ClientServer. It returns the
// stack outputs by name.
func Build(ctx *pulumi.Context) (map[string]pulumi.Input, error) {
	cfg, err := Load(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := clientserver.New(ctx, "mysql", &cfg.Args)
	if err != nil {
		return nil, argsError(err)
	}
	outputs := map[string]pulumi.Input{"platform": pulumi.String(cfg.Platform)}
	for k, v := range cs.Outputs() {
		outputs[k] = v
	}
	return outputs, nil
}

// argsFields maps the ClientServerArgs fields whose errors only New can
// tell (they need the platform) to the config keys that set them.
var argsFields = map[string]string{"ClientServerArgs.Engine: ": "engine"}

// argsError names the config key in an error of ClientServerArgs, or of the
// platform (which starts with the bare key).
func argsError(err error) error {
	for field, key := range argsFields {
		if rest, ok := strings.CutPrefix(err.Error(), field); ok {
			return fmt.Errorf("%s:%s: %s", Project, key, rest)
		}
	}
	return prefixKey(err)
}
