// Package stack is the Pulumi program behind main.go: it reads and checks
// the stack configuration, builds one ClientServer and exports its outputs.
// Other Go stacks import the components directly; this package is the
// reference for how they fit together.
package stack

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"github.com/mysql-client-server/mysql-client-server/components/aws"
	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/validate"
	"github.com/mysql-client-server/mysql-client-server/components/keypair"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// Project is the Pulumi project name, and so the config namespace.
const Project = "mysql-client-server"

// Config is the checked stack configuration.
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

// secret reads a config key that must be stored as a secret. It returns nil
// when the key is unset.
func secret(ctx *pulumi.Context, cfg *config.Config, key string, check func(string) error) (pulumi.StringInput, error) {
	v, ok := lookup(cfg, key)
	if !ok {
		return nil, nil
	}
	if !ctx.IsConfigSecret(Project + ":" + key) {
		return nil, keyError(key, "is stored in plain text: expected a secret, set with `pulumi config set --secret %s ...`", key)
	}
	if err := check(v); err != nil {
		return nil, keyError(key, "%v", err)
	}
	return pulumi.ToSecret(pulumi.String(v)).(pulumi.StringOutput), nil
}

// Load reads and checks the configuration. Nothing is created before it
// returns, and any error names the key and the expected form.
func Load(ctx *pulumi.Context) (*Config, error) {
	cfg := config.New(ctx, Project)
	c := &Config{Platform: cfg.Get("platform")}
	if c.Platform == "" {
		c.Platform = "aws"
	}
	a := &c.Args

	if raw := cfg.Get("clients"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &a.Clients); err != nil {
			return nil, keyError("clients", "%q is not a list of names: expected a YAML list such as [mysql_client]", raw)
		}
		if i, err := clientserver.ValidateHostNames(clientserver.DefaultServerName, a.Clients); err != nil {
			if i >= 0 {
				return nil, keyError("clients", "item %d: %v", i, err)
			}
			return nil, keyError("clients", "%v", err)
		}
	}
	if raw := cfg.Get("replicas"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 || n > clientserver.MaxReplicas {
			return nil, keyError("replicas", "%q: expected a whole number from 0 to %d", raw, clientserver.MaxReplicas)
		}
		a.Replicas = n
	}
	if v, ok := lookup(cfg, "engine"); ok {
		e, err := host.ParseEngine(v)
		if err != nil {
			return nil, keyError("engine", "%v", err)
		}
		a.Engine = e
	}
	if raw := cfg.Get("port"); raw != "" {
		p, err := strconv.Atoi(raw)
		if err != nil {
			return nil, keyError("port", "%q is not a TCP port: expected a number 1024-65535", raw)
		}
		if err := validate.MySQLPort(p); err != nil {
			return nil, keyError("port", "%v", err)
		}
		a.Port = p
	}
	if v, ok := lookup(cfg, "userName"); ok {
		if err := mysql.ValidateUserName(v); err != nil {
			return nil, keyError("userName", "%v", err)
		}
		a.UserName = pulumi.String(v)
	}
	if v, ok := lookup(cfg, "database"); ok {
		if err := mysql.ValidateDatabaseName(v); err != nil {
			return nil, keyError("database", "%v", err)
		}
		a.Database = pulumi.String(v)
	}
	var err error
	if a.Password, err = secret(ctx, cfg, "password", mysql.ValidatePassword); err != nil {
		return nil, err
	}
	if a.SSHPrivateKey, err = secret(ctx, cfg, "sshPrivateKey", func(s string) error {
		_, err := keypair.ParsePrivateKey(s)
		return err
	}); err != nil {
		return nil, err
	}
	if v, ok := lookup(cfg, "sshPublicKey"); ok {
		if _, err := keypair.ParsePublicKey(v); err != nil {
			return nil, keyError("sshPublicKey", "%v", err)
		}
		if a.SSHPrivateKey == nil {
			return nil, keyError("sshPrivateKey", "is required when sshPublicKey is set: expected the matching private key, as a secret")
		}
		a.SSHPublicKey = pulumi.String(v)
	}

	a.Preset = cfg.Get("preset")
	switch a.Preset {
	case "", clientserver.PresetSecure, clientserver.PresetTutorial:
	default:
		return nil, keyError("preset", "%q is not a preset: expected secure or tutorial", a.Preset)
	}
	tutorial := a.Preset == clientserver.PresetTutorial
	if tutorial && a.Replicas > 0 {
		return nil, keyError("replicas", "%d with preset tutorial: expected 0, or preset secure (replication runs over TLS only)", a.Replicas)
	}
	var allowServerDelete bool
	for key, dst := range map[string]*bool{"allPrivileges": &a.AllPrivileges, "grantOption": &a.GrantOption,
		"allowServerDelete": &allowServerDelete} {
		switch v := cfg.Get(key); v {
		case "", "false":
		case "true":
			*dst = true
		default:
			return nil, keyError(key, "%q: expected true or false", v)
		}
	}
	if v := cfg.Get("verifyRun"); v != "" {
		a.VerifyRun = pulumi.String(v)
	}

	switch c.Platform {
	case "aws":
		operator := cfg.Get("operatorCidr")
		if operator == "" && tutorial {
			operator = "0.0.0.0/0" // the tutorial's SSH from anywhere
		}
		a.Platform = &aws.Platform{
			AllowSSHFromAnywhere: tutorial,
			AllowServerDelete:    allowServerDelete,
			OperatorCIDR:         operator,
			AMI:                  cfg.Get("ami"),
			InstanceType:         cfg.Get("instanceType"),
			SubnetID:             cfg.Get("subnetId"),
			VpcID:                cfg.Get("vpcId"),
		}
	case "local":
		p, err := localPlatform(ctx, cfg)
		if err != nil {
			return nil, err
		}
		a.Platform = p
	default:
		return nil, keyError("platform", "%q is not a platform: expected aws or local", c.Platform)
	}
	if err := a.Platform.Validate(); err != nil {
		return nil, prefixKey(err)
	}
	return c, nil
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
