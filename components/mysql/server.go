package mysql

import (
	"errors"
	"fmt"
	"strings"

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
	// AllowPlaintext turns require_secure_transport off (the tutorial
	// preset). By default every connection must use TLS.
	AllowPlaintext bool
}

// Server installs and configures the MySQL server on a host: MySQL 8.0 on
// Ubuntu, MariaDB on Debian, with bind-address set in a drop-in read after
// the distribution's config and the X protocol kept on loopback. It makes a
// CA and a server certificate for the host's private address on the server,
// requires TLS, turns local_infile off and applies the
// mysql_secure_installation steps.
type Server struct {
	pulumi.ResourceState

	// Version is the server's VERSION() after install.
	Version pulumi.StringOutput `pulumi:"version"`
	// Address is the address clients connect to: the host's private address,
	// which the server certificate names.
	Address pulumi.StringOutput `pulumi:"address"`
	// BindAddress is the address mysqld listens on.
	BindAddress pulumi.StringOutput `pulumi:"bindAddress"`
	// CACert is the CA certificate (PEM) that signed the server certificate.
	// Clients verify the server with it.
	CACert pulumi.StringOutput `pulumi:"caCert"`
	// RequireTLS says whether require_secure_transport is on.
	RequireTLS pulumi.BoolOutput `pulumi:"requireTls"`
	// Port is the MySQL TCP port.
	Port pulumi.IntOutput `pulumi:"port"`
	// Host is the host the server runs on.
	Host *host.Host
	// Install is the install command; commands that need a running server
	// depend on it.
	Install *remote.Command

	port int
}

// portEnv is the port as the scripts' MCS_PORT.
func (s *Server) portEnv() pulumi.String { return pulumi.String(fmt.Sprint(s.port)) }

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
	s := &Server{Host: args.Host, port: args.Port}
	if err := ctx.RegisterComponentResource(ServerType, name, s, opts...); err != nil {
		return nil, err
	}
	install := runOn("server-install.sh", map[string]pulumi.StringInput{
		"MCS_BIND_ADDRESS": args.BindAddress,
		"MCS_CERT_ADDRESS": args.Host.PrivateAddress,
		"MCS_PORT":         s.portEnv(),
		"MCS_REQUIRE_TLS":  onOff(args.AllowPlaintext),
	})
	cmd, err := hostCommand(ctx, name+"-install", args.Host, &remote.CommandArgs{
		Create: install,
	}, pulumi.Parent(s))
	if err != nil {
		return nil, err
	}
	s.Install = cmd
	// Stdout is the version line, then the CA certificate.
	s.Version = cmd.Stdout.ApplyT(func(out string) string {
		v, _, _ := strings.Cut(out, "\n")
		return strings.TrimSpace(v)
	}).(pulumi.StringOutput)
	s.CACert = cmd.Stdout.ApplyT(func(out string) string {
		_, ca, _ := strings.Cut(out, "\n")
		return strings.TrimSpace(ca) + "\n"
	}).(pulumi.StringOutput)
	s.Address = args.Host.PrivateAddress
	s.BindAddress = args.BindAddress.ToStringOutput()
	s.Port = pulumi.Int(args.Port).ToIntOutput()
	s.RequireTLS = pulumi.Bool(!args.AllowPlaintext).ToBoolOutput()
	return s, ctx.RegisterResourceOutputs(s, pulumi.Map{
		"version":     s.Version,
		"address":     s.Address,
		"bindAddress": s.BindAddress,
		"caCert":      s.CACert,
		"port":        s.Port,
		"requireTls":  s.RequireTLS,
	})
}
