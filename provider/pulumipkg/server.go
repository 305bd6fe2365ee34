package pulumipkg

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// ServerArgs are mysql.ServerArgs as a package's inputs, for a program that
// composes the building blocks itself.
type ServerArgs struct {
	// Host is the server's host. Required.
	Host HostOutput `pulumi:"host"`
	// Engine is the database server to install, mysql or mariadb. Defaults
	// to the host's (Host.engine), else mysql.
	Engine string `pulumi:"engine,optional"`
	// BindAddress is as mysql.ServerArgs.BindAddress.
	BindAddress pulumi.StringInput `pulumi:"bindAddress,optional"`
	// Port is as mysql.ServerArgs.Port.
	Port int `pulumi:"port,optional"`
	// AllowPlaintext is as mysql.ServerArgs.AllowPlaintext.
	AllowPlaintext bool `pulumi:"allowPlaintext,optional"`
}

// NewServer is mysql.NewServer behind the package's inputs, on the host the
// program passes. Its name names the host too.
func NewServer(ctx *pulumi.Context, name string, in ServerArgs, opts ...pulumi.ResourceOption) (*mysql.Server, error) {
	port := mysql.PortOrDefault(in.Port)
	engine, err := hostEngine(ctx, "ServerArgs", in.Engine, port, in.Host)
	if err != nil {
		return nil, err
	}
	s, err := mysql.NewServer(ctx, name, &mysql.ServerArgs{
		Host: toHost("ServerArgs.Host", name, host.RoleServer, engine, port, in.Host), BindAddress: in.BindAddress,
		Port: in.Port, AllowPlaintext: in.AllowPlaintext,
	}, opts...)
	if err != nil {
		return nil, err
	}
	remember(s)
	return s, nil
}
