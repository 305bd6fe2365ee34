package stack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/mysql-client-server/mysql-client-server/components/local"
)

// localPlatform reads the local platform's keys. The hosts are named after
// the stack, so two stacks on one machine keep their namespaces apart.
func localPlatform(ctx *pulumi.Context, cfg *config.Config) (*local.Platform, error) {
	return &local.Platform{
		Name:     ctx.Project() + "/" + ctx.Stack(),
		Subnet:   cfg.Get("localSubnet"),
		StateDir: cfg.Get("localStateDir"),
		// The tutorial preset's SSH from anywhere.
		SSHFromAnywhere: cfg.Get("preset") == "tutorial",
	}, nil
}
