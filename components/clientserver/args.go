package clientserver

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/validate"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

var hostNamePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,31}$`)

// ValidateHostNames checks the server and client names: each a letter then
// up to 31 letters, digits, '_' or '-', all different, at least one client.
// It returns the index of the offending client (-1 for the server or the
// list) with the error.
func ValidateHostNames(server string, clients []string) (int, error) {
	if !hostNamePattern.MatchString(server) {
		return -1, fmt.Errorf("%q: expected a letter then up to 31 letters, digits, '_' or '-'", server)
	}
	if strings.HasPrefix(server, ReplicaNamePrefix) {
		return -1, fmt.Errorf("%q: names starting with %s are the replicas': expected another name", server, ReplicaNamePrefix)
	}
	if len(clients) == 0 {
		return -1, errors.New("is empty: expected at least one client name")
	}
	seen := map[string]bool{server: true}
	for i, c := range clients {
		if !hostNamePattern.MatchString(c) {
			return i, fmt.Errorf("%q: expected a letter then up to 31 letters, digits, '_' or '-'", c)
		}
		if seen[c] {
			return i, fmt.Errorf("%q is used twice: expected names unique among the server and clients", c)
		}
		if strings.HasPrefix(c, ReplicaNamePrefix) {
			return i, fmt.Errorf("%q: names starting with %s are the replicas': expected another name", c, ReplicaNamePrefix)
		}
		seen[c] = true
	}
	return -1, nil
}

// Args configures a ClientServer.
type Args struct {
	// Platform makes the hosts: *aws.Platform or *local.Platform. Required.
	Platform host.Platform
	// ServerName is the server host's name. Defaults to "mysql_server".
	ServerName string
	// Clients are the client hosts' names. Defaults to ["mysql_client"].
	Clients []string
	// UserName is the MySQL account the clients log in as. Defaults to "app".
	UserName pulumi.StringInput
	// Password is the account's password, a secret. When unset, one is
	// generated once and kept stable.
	Password pulumi.StringInput
	// Preset is "secure" (the default) or "tutorial": the seed's shape for
	// learners, with 'donald'@'%', ALL ON *.* WITH GRANT OPTION,
	// mysql_native_password where the server has it, bind 0.0.0.0 and no
	// TLS requirement. SSH from anywhere is the platform's part of it.
	Preset string
	// AllPrivileges grants ALL ON *.* instead of ALL on Database.* only.
	AllPrivileges bool
	// GrantOption adds WITH GRANT OPTION.
	GrantOption bool
	// VerifyRun re-runs the proofs when it changes (make verify sets a
	// timestamp); unchanged, they run once, at create.
	VerifyRun pulumi.StringInput
	// Database is the account's database. Defaults to "app".
	Database pulumi.StringInput
	// Port is the MySQL port. Defaults to 3306.
	Port int
	// SSHPrivateKey imports an SSH key (a secret); when unset, one is
	// generated.
	SSHPrivateKey pulumi.StringInput
	// SSHPublicKey is the imported key's public half (optional check).
	SSHPublicKey pulumi.StringInput
	// Replicas is how many read replicas follow the server, by GTID over
	// TLS: hosts named mysql_replica_1 ... Defaults to 0. Not with the
	// tutorial preset (replication is TLS only).
	Replicas int
	// Engine is the database server: host.EngineMySQL or EngineMariaDB.
	// Empty: the engine the server already runs where the platform can see
	// it (so a stack made before engines were chosen keeps its MariaDB),
	// else host.DefaultEngine. An engine other than the one the server's
	// data was made by is refused.
	Engine host.Engine
	// NoBackups turns the server's backups off. They are on by default:
	// full physical backups to the platform's store (an S3 bucket on AWS, a
	// local S3 gateway on local hosts), each restore-checked.
	NoBackups bool
	// BackupSchedule is how often a full backup is taken. Defaults to
	// daily.
	BackupSchedule time.Duration
	// BackupRetention is how long backups are kept. Defaults to 7 days.
	BackupRetention time.Duration
	// BackupRecoveryPoint bounds the commits lost with the server: the
	// binary logs are archived every half of it. Defaults to 5 minutes.
	BackupRecoveryPoint time.Duration
	// BackupDeleteOnDestroy removes the store's data with the stack; by
	// default it stays, as a protected bucket would.
	BackupDeleteOnDestroy bool
	// BackupPassphrase encrypts the backups, a secret: at least 16
	// characters on one line. When unset, one is generated once and kept
	// stable.
	BackupPassphrase pulumi.StringInput
	// RestoreFrom fills a new server with the backups in its store before
	// any account or replica is made: latest, a backup's name,
	// time=<RFC 3339>|now (the data to within the recovery point), or
	// gtid=<GTID set> (as backup.CheckTarget reads them). It needs the
	// backups' own passphrase, and acts once, when the server is new.
	RestoreFrom string
	// RestoreHost adds the scratch host that make restore restores onto,
	// mysql_restore: it may read the backups and write nothing, and the
	// server's MySQL port is not open to it. Off by default; make restore
	// turns it on when the stack has none. It needs backups on.
	RestoreHost bool

	// warnings are what validate found to warn about.
	warnings []string
}

// validate fills in the defaults and checks the Args, before anything is
// created: every rule about a field lives here, and its error starts with
// the field ("ClientServerArgs.Port: "), which the stack program maps back
// to its config key. The fields' own rules come first, then the platform's
// settings, then what needs the platform: the engine its data was made by,
// and whether the hosts fit.
func (a *Args) validate() error {
	if a == nil || a.Platform == nil {
		return errors.New("ClientServerArgs.Platform: required: an *aws.Platform or a *local.Platform")
	}
	for _, check := range []func() error{a.validateHosts, a.validatePort, a.validatePreset,
		a.validateAccount, a.validateSecrets, a.validateReplicas, a.Platform.Validate, a.resolveEngine} {
		if err := check(); err != nil {
			return err
		}
	}
	if err := a.Platform.CheckSpecs(a.specs()); err != nil {
		return err
	}
	return a.validateBackups()
}

// validateHosts defaults and checks the server's and the clients' names.
func (a *Args) validateHosts() error {
	if a.ServerName == "" {
		a.ServerName = DefaultServerName
	}
	if a.Clients == nil {
		a.Clients = []string{DefaultClientName}
	}
	return CheckHostNames("ClientServerArgs", a.ServerName, a.Clients)
}

// CheckHostNames is ValidateHostNames with errors that name the fields of
// args (ClientServerArgs, or the package's LocalHostsArgs): ServerName,
// Clients or Clients[i].
func CheckHostNames(args, server string, clients []string) error {
	i, err := ValidateHostNames(server, clients)
	switch {
	case err == nil:
		return nil
	case i >= 0:
		return fmt.Errorf("%s.Clients[%d]: %w", args, i, err)
	case len(clients) == 0:
		return fmt.Errorf("%s.Clients: %w", args, err)
	default:
		return fmt.Errorf("%s.ServerName: %w", args, err)
	}
}

// validatePort defaults and checks the MySQL port.
func (a *Args) validatePort() error {
	a.Port = mysql.PortOrDefault(a.Port)
	if err := validate.MySQLPort(a.Port); err != nil {
		return fmt.Errorf("ClientServerArgs.Port: %w", err)
	}
	return nil
}

// validatePreset defaults the preset; the tutorial's implies its grants.
func (a *Args) validatePreset() error {
	switch a.Preset {
	case "":
		a.Preset = PresetSecure
	case PresetSecure:
	case PresetTutorial:
		a.AllPrivileges, a.GrantOption = true, true
	default:
		return fmt.Errorf("ClientServerArgs.Preset: %q is not a preset: expected secure or tutorial", a.Preset)
	}
	return nil
}

// validateAccount defaults and checks the account's name and database
// (when they are known now; else their components check them).
func (a *Args) validateAccount() error {
	if a.UserName == nil {
		a.UserName = pulumi.String(DefaultUserName)
		if a.Preset == PresetTutorial {
			a.UserName = pulumi.String(TutorialUserName)
		}
	}
	if s, ok := a.UserName.(pulumi.String); ok {
		if err := mysql.ValidateUserName(string(s)); err != nil {
			return fmt.Errorf("ClientServerArgs.UserName: %w", err)
		}
	}
	if a.Database == nil {
		a.Database = pulumi.String(DefaultDatabase)
	}
	if s, ok := a.Database.(pulumi.String); ok {
		if err := mysql.ValidateDatabaseName(string(s)); err != nil {
			return fmt.Errorf("ClientServerArgs.Database: %w", err)
		}
	}
	return nil
}

// validateReplicas checks the number of replicas: the tutorial has none
// (replication runs over TLS only).
func (a *Args) validateReplicas() error {
	if err := CheckReplicaCount("ClientServerArgs", a.Replicas); err != nil {
		return err
	}
	if a.Replicas > 0 && a.Preset == PresetTutorial {
		return fmt.Errorf("ClientServerArgs.Replicas: %d with preset tutorial: expected 0, or preset secure (replication runs over TLS only)", a.Replicas)
	}
	return nil
}

// specs are the hosts the stack asks its platform for: the server, the
// clients, the replicas, then the restore host.
func (a *Args) specs() []host.Spec {
	specs := HostSpecs(a.ServerName, a.Clients, a.Replicas, a.Engine)
	specs[0].Backups = !a.NoBackups
	if a.RestoreHost && !a.NoBackups {
		specs = append(specs, host.Spec{Name: RestoreHostName, Role: host.RoleRestore, Engine: a.Engine, ReadsBackups: true})
	}
	return specs
}

// HostSpecs asks for a server, its clients and n replicas (ReplicaName), in
// that order, all for engine.
func HostSpecs(server string, clients []string, n int, engine host.Engine) []host.Spec {
	specs := []host.Spec{{Name: server, Role: host.RoleServer, Engine: engine}}
	for _, c := range clients {
		specs = append(specs, host.Spec{Name: c, Role: host.RoleClient, Engine: engine})
	}
	for k := 1; k <= n; k++ {
		specs = append(specs, host.Spec{Name: ReplicaName(k), Role: host.RoleReplica, Engine: engine})
	}
	return specs
}

// CheckReplicaCount checks a number of replicas, 0 to MaxReplicas, its
// error naming args.Replicas.
func CheckReplicaCount(args string, n int) error {
	if n < 0 || n > MaxReplicas {
		return fmt.Errorf("%s.Replicas: \"%d\": expected a whole number from 0 to %d", args, n, MaxReplicas)
	}
	return nil
}

// resolveEngine fills in the engine, and refuses one that differs from the
// engine of the data the server already holds.
func (a *Args) resolveEngine() error {
	e, err := ResolveEngine("ClientServerArgs", a.Platform, a.ServerName, a.Engine)
	a.Engine = e
	return err
}

// ResolveEngine is the engine the server named server runs on p: asked,
// else the engine of the data it already holds, else DefaultEngine. An
// engine that is not one, or that differs from the data's, is refused, the
// error naming args.Engine: the engine never changes under existing data.
func ResolveEngine(args string, p host.Platform, server string, asked host.Engine) (host.Engine, error) {
	deployed, where := p.DeployedEngine(server)
	if asked == "" {
		return deployed.OrDefault(), nil
	}
	if _, err := host.ParseEngine(string(asked)); err != nil {
		return asked, fmt.Errorf("%s.Engine: %w", args, err)
	}
	if deployed != "" && deployed != asked {
		return asked, fmt.Errorf("%s.Engine: %w", args, host.EngineMismatch(server, asked, deployed, where))
	}
	return asked, nil
}
