package stack

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/components/local"
)

// localPlatform reads the local platform's keys. The hosts are named after
// the stack, so two stacks on one machine keep their namespaces apart.
func localPlatform(ctx *pulumi.Context, cfg *config.Config) (*local.Platform, error) {
	return LocalPlatform(ctx.Project()+"/"+ctx.Stack(), cfg.Get("localSubnet"), cfg.Get("localStateDir"), cfg.Get("preset")), nil
}

// LocalPlatform is the local platform for hosts named after name, with the
// preset's part of it: the tutorial preset opens SSH from anywhere. The
// stack program and the package's provider both build it here.
func LocalPlatform(name, subnet, stateDir, preset string) *local.Platform {
	return &local.Platform{
		Name:            name,
		Subnet:          subnet,
		StateDir:        stateDir,
		SSHFromAnywhere: preset == clientserver.PresetTutorial,
	}
}
