package pulumipkg

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// ClientArgs are mysql.ClientArgs as a package's inputs.
type ClientArgs struct {
	// Host is as mysql.ClientArgs.Host.
	Host HostOutput `pulumi:"host"`
	// Engine is the server's engine, whose client is installed: mysql or
	// mariadb. Defaults to the host's (Host.engine), else mysql.
	Engine string `pulumi:"engine,optional"`
}

// NewClient is mysql.NewClient behind the package's inputs, on the host the
// program passes; its name names the host too.
func NewClient(ctx *pulumi.Context, name string, in ClientArgs, opts ...pulumi.ResourceOption) (*mysql.Client, error) {
	engine, err := hostEngine(ctx, "ClientArgs", in.Engine, 0, in.Host)
	if err != nil {
		return nil, err
	}
	return mysql.NewClient(ctx, name, &mysql.ClientArgs{Host: toHost("ClientArgs.Host", name, host.RoleClient, engine, 0, in.Host)}, opts...)
}
