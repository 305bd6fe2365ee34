package mysql

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/validate"
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
	// CertRenewEvery is the server certificate's renewal period, counted
	// from the CA's creation: the first `pulumi up` in a new period issues
	// a new certificate (valid CertValidity) and reloads the server's TLS.
	// Defaults to DefaultCertRenewEvery.
	CertRenewEvery time.Duration
	// ServerID is the server's server_id, unique among a primary and its
	// replicas. Defaults to 1 (the primary's).
	ServerID int
	// ReadOnly makes the server read-only for every account but replication
	// (super_read_only on MySQL, read_only on MariaDB): a replica.
	ReadOnly bool
	// SignedBy is the server whose CA signs this server's certificate (a
	// replica's primary), so that clients verify both with the stack's one
	// CA. The key is made on this host and only a certificate request leaves
	// it; the certificate is renewed with SignedBy's. nil: this server makes
	// its own CA.
	SignedBy *Server
}

// DefaultPort is the MySQL TCP port a Server listens on unless given.
const DefaultPort = 3306

// PortOrDefault is port, or DefaultPort when it is unset (0).
func PortOrDefault(port int) int {
	if port == 0 {
		return DefaultPort
	}
	return port
}

// CertValidity is how long a server certificate is valid (825 days, the
// most clients accept for a server certificate).
const CertValidity = 825 * 24 * time.Hour

// DefaultCertRenewEvery renews the server certificate yearly, so that one
// `pulumi up` a year keeps it valid.
const DefaultCertRenewEvery = 365 * 24 * time.Hour

// RenewalStart is the start of the renewal period that now falls in: the
// CA's NotBefore plus a whole number of periods. A server certificate
// issued before it is renewed.
func RenewalStart(caNotBefore, now time.Time, every time.Duration) time.Time {
	if now.Before(caNotBefore) || every <= 0 {
		return caNotBefore
	}
	return caNotBefore.Add(now.Sub(caNotBefore) / every * every)
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
	// CertificateExpiry is when the server certificate expires (ISO 8601,
	// UTC), as of the last renewal check.
	CertificateExpiry pulumi.StringOutput `pulumi:"certificateExpiry"`
	// Host is the host the server runs on.
	Host *host.Host
	// Install is the install command.
	Install *remote.Command
	// Ready is what commands that need the running server and its data
	// depend on: Install, or the command that filled the new server with
	// its data (Filled).
	Ready pulumi.Resource

	port int
	// renewStart is the start of the current renewal period (epoch seconds),
	// of this server's CA.
	renewStart pulumi.StringOutput
}

// Filled makes cmd, the command that filled the new server with its data (a
// restore from its backups), the server's Ready: every command made after
// this call that needs the running server and its data (accounts, replicas)
// waits for it.
func (s *Server) Filled(cmd pulumi.Resource) { s.Ready = cmd }

// ListenPort is the TCP port the server listens on, known when it is made
// (Port is the same as an output).
func (s *Server) ListenPort() int { return s.port }

// portEnv is the port as the scripts' MCS_PORT.
func (s *Server) portEnv() pulumi.String { return pulumi.String(fmt.Sprint(s.port)) }

func (a *ServerArgs) validate() error {
	if a == nil || a.Host == nil {
		return errors.New("ServerArgs.Host: required: the host to install the server on")
	}
	a.Port = PortOrDefault(a.Port)
	if err := validate.MySQLPort(a.Port); err != nil {
		return fmt.Errorf("ServerArgs.Port: %w", err)
	}
	if a.BindAddress == nil {
		a.BindAddress = a.Host.PrivateAddress
	}
	if a.CertRenewEvery == 0 {
		a.CertRenewEvery = DefaultCertRenewEvery
	}
	if a.CertRenewEvery < 0 || a.CertRenewEvery > CertValidity-30*24*time.Hour {
		return fmt.Errorf("ServerArgs.CertRenewEvery: %s: expected a period up to %s (30 days before a certificate expires)",
			a.CertRenewEvery, CertValidity-30*24*time.Hour)
	}
	if a.ServerID == 0 {
		a.ServerID = 1
	}
	if a.ServerID < 1 || a.ServerID > MaxServerID {
		return fmt.Errorf("ServerArgs.ServerID: %d: expected 1-%d, unique among a primary and its replicas", a.ServerID, MaxServerID)
	}
	if a.SignedBy != nil && a.SignedBy.Host == a.Host {
		return errors.New("ServerArgs.SignedBy: is this server's own host: expected another server, or nil")
	}
	return nil
}

// MaxServerID is the largest server_id the scripts accept.
const MaxServerID = 999999999

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
	env := map[string]pulumi.StringInput{
		"MCS_BIND_ADDRESS": args.BindAddress,
		"MCS_CERT_ADDRESS": args.Host.PrivateAddress,
		"MCS_PORT":         s.portEnv(),
		"MCS_REQUIRE_TLS":  onOff(args.AllowPlaintext),
		"MCS_SERVER_ID":    pulumi.String(fmt.Sprint(args.ServerID)),
		"MCS_READ_ONLY":    pick(args.ReadOnly, "yes", "no"),
	}
	EngineEnv(env, args.Host)
	if args.SignedBy != nil {
		if err := s.signedBy(ctx, name, args, env); err != nil {
			return nil, err
		}
	}
	cmd, err := hostCommand(ctx, s, name+"-install", args.Host, &remote.CommandArgs{
		Create: runOn("server-install.sh", env),
	})
	if err != nil {
		return nil, err
	}
	s.Install, s.Ready = cmd, cmd
	s.Version = cmd.Stdout.ApplyT(func(out string) string { return parseInstall(out).version }).(pulumi.StringOutput)
	s.CACert = cmd.Stdout.ApplyT(func(out string) string { return parseInstall(out).ca }).(pulumi.StringOutput)
	if args.SignedBy != nil {
		// The certificate comes from SignedBy, renewed with SignedBy's.
		s.CertificateExpiry = cmd.Stdout.ApplyT(func(out string) string { return parseInstall(out).expiry }).(pulumi.StringOutput)
	} else if err := s.renewal(ctx, name, args, env, cmd); err != nil {
		return nil, err
	}
	s.Address = args.Host.PrivateAddress
	s.BindAddress = args.BindAddress.ToStringOutput()
	s.Port = pulumi.Int(args.Port).ToIntOutput()
	s.RequireTLS = pulumi.Bool(!args.AllowPlaintext).ToBoolOutput()
	return s, ctx.RegisterResourceOutputs(s, pulumi.Map{
		"version":           s.Version,
		"address":           s.Address,
		"bindAddress":       s.BindAddress,
		"caCert":            s.CACert,
		"port":              s.Port,
		"requireTls":        s.RequireTLS,
		"certificateExpiry": s.CertificateExpiry,
	})
}

// renewal adds the yearly renewal: the install's certificate step only,
// with the start of the current renewal period. Its trigger changes once a
// period, so an unchanged `pulumi up` within a period runs nothing.
func (s *Server) renewal(ctx *pulumi.Context, name string, args *ServerArgs, env map[string]pulumi.StringInput, install *remote.Command) error {
	s.renewStart = s.CACert.ApplyT(func(ca string) (string, error) {
		block, _ := pem.Decode([]byte(ca))
		if block == nil {
			return "", errors.New("the server install printed no CA certificate")
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return "", fmt.Errorf("the server's CA certificate: %w", err)
		}
		return fmt.Sprint(RenewalStart(c.NotBefore, time.Now(), args.CertRenewEvery).Unix()), nil
	}).(pulumi.StringOutput)
	renewEnv := map[string]pulumi.StringInput{"MCS_RENEW_ISSUED_BEFORE": s.renewStart, "MCS_RENEW_ONLY": pulumi.String("yes")}
	for k, v := range env {
		renewEnv[k] = v
	}
	renew, err := hostCommand(ctx, s, name+"-tls-renew", args.Host, &remote.CommandArgs{
		Create:   runOn("server-install.sh", renewEnv),
		Triggers: pulumi.Array{s.renewStart},
	}, pulumi.DependsOn([]pulumi.Resource{install}))
	if err != nil {
		return err
	}
	s.CertificateExpiry = renew.Stdout.ApplyT(func(out string) string { return parseInstall(out).expiry }).(pulumi.StringOutput)
	return nil
}

// signedBy has SignedBy's CA sign a certificate for this server's own key:
// tls-request.sh makes the key here and prints a request, tls-sign.sh signs
// it on SignedBy's host, and the install puts the certificate in place. The
// signing runs again when SignedBy's renewal period turns.
func (s *Server) signedBy(ctx *pulumi.Context, name string, args *ServerArgs, env map[string]pulumi.StringInput) error {
	ca := args.SignedBy
	req, err := hostCommand(ctx, s, name+"-tls-request", args.Host, &remote.CommandArgs{
		Create: runOn("tls-request.sh", map[string]pulumi.StringInput{"MCS_CERT_ADDRESS": args.Host.PrivateAddress}),
	})
	if err != nil {
		return err
	}
	cert, err := ca.Sign(ctx, s, name+"-tls-sign", req.Stdout, args.Host.PrivateAddress)
	if err != nil {
		return err
	}
	env["MCS_TLS_CERT"] = cert
	env["MCS_TLS_CA"] = ca.CACert
	s.renewStart = ca.renewStart
	return nil
}

// Sign has this server's CA sign a certificate request (PEM) for a
// service at address, on this server's host, as parent's child of that
// name: the CA key never leaves the host. It signs again when this
// server's renewal period turns. It returns the certificate (PEM).
func (s *Server) Sign(ctx *pulumi.Context, parent pulumi.Resource, name string, csr, address pulumi.StringInput) (pulumi.StringOutput, error) {
	sign, err := hostCommand(ctx, parent, name, s.Host, &remote.CommandArgs{
		Create: runOn("tls-sign.sh", map[string]pulumi.StringInput{
			"MCS_CSR": csr, "MCS_CERT_ADDRESS": address,
		}),
		Triggers: pulumi.Array{s.renewStart},
	}, pulumi.DependsOn([]pulumi.Resource{s.Install}))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return sign.Stdout, nil
}

// installOutput is server-install.sh's stdout: the version line, the
// "certificate-expires:" line, then the CA certificate.
type installOutput struct{ version, expiry, ca string }

func parseInstall(out string) installOutput {
	var o installOutput
	v, rest, _ := strings.Cut(out, "\n")
	o.version = strings.TrimSpace(v)
	if line, after, ok := strings.Cut(rest, "\n"); ok && strings.HasPrefix(line, "certificate-expires: ") {
		o.expiry = strings.TrimSpace(strings.TrimPrefix(line, "certificate-expires: "))
		rest = after
	}
	o.ca = strings.TrimSpace(rest) + "\n"
	return o
}
