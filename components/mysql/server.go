package mysql

import (
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
)

// ServerType is the type token of Server.
const ServerType = "mysql-client-server:mysql:MySQLServer"

// ServerArgs configures a Server.
type ServerArgs struct {
	// Host is the server host. Required.
	Host *host.Host
	// BindAddress is the address mysqld listens on. Defaults to the host's
	// private address (never 0.0.0.0 unless given).
	BindAddress pulumi.StringInput
	// Port is the MySQL TCP port. Defaults to 3306.
	Port int
}

// Server installs and configures the MySQL server on a host: MySQL 8.0 on
// Ubuntu, MariaDB on Debian, with bind-address set in a drop-in read after
// the distribution's config and the X protocol kept on loopback.
type Server struct {
	pulumi.ResourceState

	// Version is the server's VERSION() after install.
	Version pulumi.StringOutput `pulumi:"version"`
	// Address is the address clients connect to (the bind address).
	Address pulumi.StringOutput `pulumi:"address"`
	// Port is the MySQL TCP port.
	Port pulumi.IntOutput `pulumi:"port"`
	// Host is the host the server runs on.
	Host *host.Host
	// Install is the install command; commands that need a running server
	// depend on it.
	Install *remote.Command
}

func (a *ServerArgs) validate() error {
	if a == nil || a.Host == nil {
		return errors.New("ServerArgs.Host: required: the host to install the server on")
	}
	if a.Port == 0 {
		a.Port = 3306
	}
	if a.Port < 1 || a.Port > 65535 {
		return fmt.Errorf("ServerArgs.Port: %d is out of range: expected 1-65535", a.Port)
	}
	if a.BindAddress == nil {
		a.BindAddress = a.Host.PrivateAddress
	}
	return nil
}

// NewServer creates a Server.
func NewServer(ctx *pulumi.Context, name string, args *ServerArgs, opts ...pulumi.ResourceOption) (*Server, error) {
	if args != nil {
		a := *args // defaults are filled in on a copy, never in the caller's Args
		args = &a
	}
	if err := args.validate(); err != nil {
		return nil, err
	}
	s := &Server{Host: args.Host}
	if err := ctx.RegisterComponentResource(ServerType, name, s, opts...); err != nil {
		return nil, err
	}
	install := runOn("server-install.sh", map[string]pulumi.StringInput{
		"MCS_BIND_ADDRESS": args.BindAddress,
		"MCS_PORT":         pulumi.String(fmt.Sprint(args.Port)),
	})
	cmd, err := hostCommand(ctx, name+"-install", args.Host, &remote.CommandArgs{
		Create: install,
		Update: install,
	}, pulumi.Parent(s))
	if err != nil {
		return nil, err
	}
	s.Install = cmd
	s.Version = cmd.Stdout
	s.Address = args.BindAddress.ToStringOutput()
	s.Port = pulumi.Int(args.Port).ToIntOutput()
	return s, ctx.RegisterResourceOutputs(s, pulumi.Map{
		"version": s.Version,
		"address": s.Address,
		"port":    s.Port,
	})
}
