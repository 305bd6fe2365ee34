package mysql

import (
	"errors"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
)

// ClientType is the type token of Client.
const ClientType = "mysql-client-server:mysql:MySQLClient"

// ClientArgs configures a Client.
type ClientArgs struct {
	// Host is the client host. Required.
	Host *host.Host
}

// Client installs the MySQL (Ubuntu) or MariaDB (Debian) client on a host.
type Client struct {
	pulumi.ResourceState

	// Version is the client's `mysql --version` line.
	Version pulumi.StringOutput `pulumi:"version"`
	// Host is the client host.
	Host *host.Host
	// Install is the install command.
	Install *remote.Command
}

// NewClient creates a Client.
func NewClient(ctx *pulumi.Context, name string, args *ClientArgs, opts ...pulumi.ResourceOption) (*Client, error) {
	if args == nil || args.Host == nil {
		return nil, errors.New("ClientArgs.Host: required: the host to install the client on")
	}
	c := &Client{Host: args.Host}
	if err := ctx.RegisterComponentResource(ClientType, name, c, opts...); err != nil {
		return nil, err
	}
	env := map[string]pulumi.StringInput{}
	EngineEnv(env, args.Host)
	install := runOn("client-install.sh", env)
	cmd, err := hostCommand(ctx, c, name+"-install", args.Host, &remote.CommandArgs{
		Create: install,
	})
	if err != nil {
		return nil, err
	}
	c.Install = cmd
	c.Version = cmd.Stdout
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"version": c.Version})
}
