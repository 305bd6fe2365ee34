// Package stack is the Pulumi program behind main.go: it reads the stack
// configuration, builds one ClientServer, whose Args check it, and exports
// its outputs.
// Other Go stacks import the components directly; this package is the
// reference for how they fit together.
package stack

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/mysql-client-server/mysql-client-server/components/aws"
	"github.com/mysql-client-server/mysql-client-server/components/backup"
	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/validate"
)

// Project is the Pulumi project name, and so the config namespace.
const Project = "mysql-client-server"

// Config is the stack configuration as read. Load checks only what the
// config layer alone can; clientserver.New checks the Args (see Build).
type Config struct {
	// Platform is "aws" or "local".
	Platform string
	// Args are the ClientServer's arguments.
	Args clientserver.Args
}

// keyError names a config key and says what was expected.
func keyError(key, format string, a ...any) error {
	return fmt.Errorf("%s:%s: %s", Project, key, fmt.Sprintf(format, a...))
}

// lookup returns a config value and whether it is set. The engine hands the
// program every key that Pulumi.yaml declares, with its default, and the
// optional keys declare "" as theirs, so an empty value means unset.
func lookup(cfg *config.Config, key string) (string, bool) {
	v, err := cfg.Try(key)
	return v, err == nil && v != ""
}

// secret reads a config key that must be stored as a secret into dst, and
// its value into value (for clientserver.CheckSecrets); it leaves both nil
// when the key is unset.
func secret(ctx *pulumi.Context, cfg *config.Config, key string, dst *pulumi.StringInput, value **string) error {
	v, ok := lookup(cfg, key)
	if !ok {
		return nil
	}
	if !ctx.IsConfigSecret(Project + ":" + key) {
		return keyError(key, "is stored in plain text: expected a secret, set with `pulumi config set --secret %s ...`", key)
	}
	*dst, *value = pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput), &v
	return nil
}

// Load reads the configuration into the ClientServer's Args. It does only
// what the config layer alone can: it parses the strings (a JSON list, whole
// numbers, true or false, an engine), refuses a secret key stored in plain
// text, checks the secrets' values with clientserver.CheckSecrets (Args
// gets them as secret outputs, which it cannot check before anything is
// created), and builds the platform. Every other rule is Args', which
// Build applies through clientserver.New. Nothing is
// created before it returns, and any error names the key and the expected
// form.
func Load(ctx *pulumi.Context) (*Config, error) {
	l := &loader{ctx: ctx, cfg: config.New(ctx, Project)}
	c := &Config{Platform: l.cfg.Get("platform")}
	if c.Platform == "" {
		c.Platform = "aws"
	}
	l.a = &c.Args
	for _, read := range []func() error{l.clients, l.replicas, l.engine, l.port, l.account, l.keys, l.flags, l.backups} {
		if err := read(); err != nil {
			return nil, err
		}
	}
	if err := clientserver.CheckSecrets(l.secrets); err != nil {
		return nil, argsError(err)
	}
	p, err := l.platform(c.Platform)
	if err != nil {
		return nil, err
	}
	c.Args.Platform = p
	return c, nil
}

// loader reads the config keys into Args, one group of keys at a time.
type loader struct {
	ctx *pulumi.Context
	cfg *config.Config
	a   *clientserver.Args
	// allowServerDelete is the aws platform's; it is read with the other
	// booleans, on any platform, so a bad value is refused on each.
	allowServerDelete bool
	// secrets are the secret keys' values, which Args gets as secret
	// outputs and so cannot check itself.
	secrets clientserver.SecretValues
}

// clients parses the clients' names, a JSON list. A list given is kept as
// given, even empty ("null" too), so that Args refuses it rather than
// taking its default.
func (l *loader) clients() error {
	raw := l.cfg.Get("clients")
	if raw == "" {
		return nil
	}
	if err := json.Unmarshal([]byte(raw), &l.a.Clients); err != nil {
		return keyError("clients", "%q is not a list of names: expected a YAML list such as [mysql_client]", raw)
	}
	if l.a.Clients == nil {
		l.a.Clients = []string{}
	}
	return nil
}

// replicas parses the number of replicas; Args checks its range.
func (l *loader) replicas() error {
	raw := l.cfg.Get("replicas")
	if raw == "" {
		return nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return keyError("replicas", "%q: expected a whole number from 0 to %d", raw, clientserver.MaxReplicas)
	}
	l.a.Replicas = n
	return nil
}

// engine parses the database server's name.
func (l *loader) engine() error {
	v, ok := lookup(l.cfg, "engine")
	if !ok {
		return nil
	}
	e, err := host.ParseEngine(v)
	if err != nil {
		return keyError("engine", "%v", err)
	}
	l.a.Engine = e
	return nil
}

// port parses the MySQL port; Args checks its range. Args reads 0 as
// unset, but in config 0 is a value, so the port's rule refuses it here.
func (l *loader) port() error {
	raw := l.cfg.Get("port")
	if raw == "" {
		return nil
	}
	p, err := strconv.Atoi(raw)
	if err != nil {
		return keyError("port", "%q is not a TCP port: expected a number 1024-65535", raw)
	}
	if p == 0 {
		return keyError("port", "%v", validate.MySQLPort(p))
	}
	l.a.Port = p
	return nil
}

// account reads the account's name and database, the preset and the proofs'
// re-run trigger as they are; Args checks them.
func (l *loader) account() error {
	if v, ok := lookup(l.cfg, "userName"); ok {
		l.a.UserName = pulumi.String(v)
	}
	if v, ok := lookup(l.cfg, "database"); ok {
		l.a.Database = pulumi.String(v)
	}
	l.a.Preset = l.cfg.Get("preset")
	if v := l.cfg.Get("verifyRun"); v != "" {
		l.a.VerifyRun = pulumi.String(v)
	}
	return nil
}

// keys reads the password and the SSH key pair, which must be stored as
// secrets; Load checks their values.
func (l *loader) keys() error {
	if err := secret(l.ctx, l.cfg, "password", &l.a.Password, &l.secrets.Password); err != nil {
		return err
	}
	if err := secret(l.ctx, l.cfg, "sshPrivateKey", &l.a.SSHPrivateKey, &l.secrets.SSHPrivateKey); err != nil {
		return err
	}
	if v, ok := lookup(l.cfg, "sshPublicKey"); ok {
		l.a.SSHPublicKey, l.secrets.SSHPublicKey = pulumi.String(v), &v
	}
	return nil
}

// flags parses the boolean keys.
func (l *loader) flags() error {
	for _, f := range []struct {
		key string
		dst *bool
		// sets is the value that sets dst: "true", or "false" for a key
		// whose default is true (backupKeepOnDestroy sets the opposite).
		sets string
	}{{"allPrivileges", &l.a.AllPrivileges, "true"}, {"grantOption", &l.a.GrantOption, "true"},
		{"allowServerDelete", &l.allowServerDelete, "true"}, {"backupKeepOnDestroy", &l.a.BackupDeleteOnDestroy, "false"},
		{"restoreHost", &l.a.RestoreHost, "true"}} {
		switch v := l.cfg.Get(f.key); v {
		case "", "false", "true":
			*f.dst = v == f.sets
		default:
			return keyError(f.key, "%q: expected true or false", v)
		}
	}
	return nil
}

// backups parses the backups' keys: on or off, the schedule, the retention
// and the recovery point, the passphrase (a secret) and restoreFrom; Args
// checks their bounds. backupKeepOnDestroy is read with the other booleans.
func (l *loader) backups() error {
	switch v := l.cfg.Get("backups"); v {
	case "", "on":
	case "off":
		l.a.NoBackups = true
	default:
		return keyError("backups", "%q: expected on or off", v)
	}
	for _, f := range []struct {
		key string
		dst *time.Duration
	}{{"backupSchedule", &l.a.BackupSchedule}, {"backupRetention", &l.a.BackupRetention}, {"backupRecoveryPoint", &l.a.BackupRecoveryPoint}} {
		if v, ok := lookup(l.cfg, f.key); ok {
			d, err := backup.ParseInterval(v)
			if err != nil {
				return keyError(f.key, "%v", err)
			}
			*f.dst = d
		}
	}
	l.a.RestoreFrom = l.cfg.Get("restoreFrom")
	return secret(l.ctx, l.cfg, "backupPassphrase", &l.a.BackupPassphrase, &l.secrets.BackupPassphrase)
}

// platform builds the named platform from its keys. Its settings are
// checked with the Args, by the platform's Validate.
func (l *loader) platform(name string) (host.Platform, error) {
	switch name {
	case "aws":
		return l.awsPlatform(), nil
	case "local":
		p, err := localPlatform(l.ctx, l.cfg)
		if err != nil {
			return nil, err
		}
		return p, nil
	default:
		return nil, keyError("platform", "%q is not a platform: expected aws or local", name)
	}
}

// awsPlatform builds the aws platform from its keys.
func (l *loader) awsPlatform() *aws.Platform {
	return AWSPlatform(aws.Platform{
		AllowServerDelete: l.allowServerDelete,
		OperatorCIDR:      l.cfg.Get("operatorCidr"),
		AMI:               l.cfg.Get("ami"),
		InstanceType:      l.cfg.Get("instanceType"),
		SubnetID:          l.cfg.Get("subnetId"),
		VpcID:             l.cfg.Get("vpcId"),
		BackupBucket:      l.cfg.Get("backupBucket"),
	}, l.cfg.Get("preset"))
}

// AWSPlatform is the aws platform p with the preset's part of it: the
// tutorial preset opens SSH from anywhere, which is also the operator's
// CIDR when none is set. The stack program and the package's provider both
// build it here.
func AWSPlatform(p aws.Platform, preset string) *aws.Platform {
	if preset == clientserver.PresetTutorial {
		p.AllowSSHFromAnywhere = true
		if p.OperatorCIDR == "" {
			p.OperatorCIDR = "0.0.0.0/0" // the tutorial's SSH from anywhere
		}
	}
	return &p
}

// prefixKey puts the project namespace on a platform error that starts with
// a bare config key ("operatorCidr: ...").
func prefixKey(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, ":"); i > 0 && !strings.ContainsAny(msg[:i], " .") {
		return fmt.Errorf("%s:%s", Project, msg)
	}
	return err
}

var _ host.Platform = (*aws.Platform)(nil)
