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
	if a.CertRenewEvery == 0 {
		a.CertRenewEvery = DefaultCertRenewEvery
	}
	if a.CertRenewEvery < 0 || a.CertRenewEvery > CertValidity-30*24*time.Hour {
		return fmt.Errorf("ServerArgs.CertRenewEvery: %s: expected a period up to %s (30 days before a certificate expires)",
			a.CertRenewEvery, CertValidity-30*24*time.Hour)
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
	env := map[string]pulumi.StringInput{
		"MCS_BIND_ADDRESS": args.BindAddress,
		"MCS_CERT_ADDRESS": args.Host.PrivateAddress,
		"MCS_PORT":         s.portEnv(),
		"MCS_REQUIRE_TLS":  onOff(args.AllowPlaintext),
	}
	install := runOn("server-install.sh", env)
	cmd, err := hostCommand(ctx, name+"-install", args.Host, &remote.CommandArgs{
		Create: install,
	}, pulumi.Parent(s))
	if err != nil {
		return nil, err
	}
	s.Install = cmd
	s.Version = cmd.Stdout.ApplyT(func(out string) string { return parseInstall(out).version }).(pulumi.StringOutput)
	s.CACert = cmd.Stdout.ApplyT(func(out string) string { return parseInstall(out).ca }).(pulumi.StringOutput)

	// Renewal: the install's certificate step only, with the start of the
	// current renewal period. Its trigger changes once a period, so an unchanged
	// `pulumi up` within a period runs nothing.
	start := s.CACert.ApplyT(func(ca string) (string, error) {
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
	renewEnv := map[string]pulumi.StringInput{"MCS_RENEW_ISSUED_BEFORE": start, "MCS_RENEW_ONLY": pulumi.String("yes")}
	for k, v := range env {
		renewEnv[k] = v
	}
	renew, err := hostCommand(ctx, name+"-tls-renew", args.Host, &remote.CommandArgs{
		Create:   runOn("server-install.sh", renewEnv),
		Triggers: pulumi.Array{start},
	}, pulumi.Parent(s), pulumi.DependsOn([]pulumi.Resource{cmd}))
	if err != nil {
		return nil, err
	}
	s.CertificateExpiry = renew.Stdout.ApplyT(func(out string) string { return parseInstall(out).expiry }).(pulumi.StringOutput)
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
