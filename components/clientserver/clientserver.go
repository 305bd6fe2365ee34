// Package clientserver composes the whole MySQL client–server architecture
// as one component: a key pair, a server host and client hosts from a
// platform, the MySQL port opened to the clients only, the server and client
// packages, and one MySQL account per client.
package clientserver

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/generate"
	"github.com/mysql-client-server/mysql-client-server/components/internal/shell"
	"github.com/mysql-client-server/mysql-client-server/components/internal/validate"
	"github.com/mysql-client-server/mysql-client-server/components/keypair"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// Type is the type token of ClientServer.
const Type = "mysql-client-server:index:ClientServer"

// Defaults, as in the tutorial this replaces.
const (
	DefaultServerName = "mysql_server"
	DefaultClientName = "mysql_client"
	DefaultUserName   = "app"
	DefaultDatabase   = "app"
	DefaultPort       = 3306
	// PresetSecure is the default preset.
	PresetSecure = "secure"
	// PresetTutorial reproduces the tutorial this project replaces.
	PresetTutorial = "tutorial"
	// TutorialWarning is what `pulumi up` prints, and the warnings output
	// holds, when the tutorial preset is on.
	TutorialWarning = "preset tutorial: 'donald'@'%' with ALL ON *.* WITH GRANT OPTION, " +
		"mysql_native_password, bind-address 0.0.0.0, no TLS and SSH from anywhere, as in the tutorial. " +
		"Where the server has no mysql_native_password (MySQL 8.4 off by default, 9.x removed), the account uses " +
		"caching_sha2_password instead: a login without TLS then fetches the server's RSA key " +
		"(mysql --get-server-public-key). For learning only: never use it for data you care about."
	// TutorialUserName is the tutorial's account name.
	TutorialUserName = "donald"
	// KeyFile is where the README tells operators to save the private key.
	KeyFile = "mysql-client-server.key"
	// ReplicaNamePrefix and the replica's number (from 1) name a replica
	// host: mysql_replica_1, ...
	ReplicaNamePrefix = "mysql_replica_"
	// MaxReplicas is the most replicas a stack takes.
	MaxReplicas = 16
)

// ReplicaName is the k-th replica's host name (from 1).
func ReplicaName(k int) string { return fmt.Sprintf("%s%d", ReplicaNamePrefix, k) }

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
	// Password is the account's password, a secret. When nil, one is
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
	// SSHPrivateKey imports an SSH key (a secret); when nil, one is generated.
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
}

// ClientServer is the whole architecture, as one typed component.
type ClientServer struct {
	pulumi.ResourceState

	// ServerPublicAddress is the server's address for the operator's SSH.
	ServerPublicAddress pulumi.StringOutput `pulumi:"serverPublicAddress"`
	// ServerPrivateAddress is the address clients connect to MySQL on.
	ServerPrivateAddress pulumi.StringOutput `pulumi:"serverPrivateAddress"`
	// ClientPublicAddresses are the clients' SSH addresses, by name.
	ClientPublicAddresses pulumi.StringMapOutput `pulumi:"clientPublicAddresses"`
	// ClientPrivateAddresses are the clients' private addresses, by name.
	ClientPrivateAddresses pulumi.StringMapOutput `pulumi:"clientPrivateAddresses"`
	// SSHCommands open a shell on each host, by name, once the private key
	// is saved to KeyFile.
	SSHCommands pulumi.StringMapOutput `pulumi:"sshCommands"`
	// MySQLCommands are what to run on each client, by name, to log in.
	MySQLCommands pulumi.StringMapOutput `pulumi:"mysqlCommands"`
	// UserName is the MySQL account name.
	UserName pulumi.StringOutput `pulumi:"userName"`
	// Accounts are the accounts as CURRENT_USER() shows them, by client.
	Accounts pulumi.StringMapOutput `pulumi:"accounts"`
	// Database is the account's database.
	Database pulumi.StringOutput `pulumi:"database"`
	// Password is the account's password, a secret.
	Password pulumi.StringOutput `pulumi:"password"`
	// Proofs are each client's proof (server version, TLS version and
	// cipher, CURRENT_USER(), round-trip ms), by client name.
	Proofs pulumi.MapOutput `pulumi:"proofs"`
	// OperatorCheck is the operator's probe of the server's MySQL port.
	OperatorCheck pulumi.StringOutput `pulumi:"operatorCheck"`
	// CACert is the server's CA certificate, for clients to verify it.
	CACert pulumi.StringOutput `pulumi:"caCert"`
	// CertificateExpiry is when the server certificate expires (ISO 8601,
	// UTC); the first `pulumi up` of each renewal period renews it.
	CertificateExpiry pulumi.StringOutput `pulumi:"certificateExpiry"`
	// Warnings are what the stack warns about (the tutorial preset); empty
	// by default.
	Warnings pulumi.StringArrayOutput `pulumi:"warnings"`
	// Preset is the preset in force.
	Preset pulumi.StringOutput `pulumi:"preset"`
	// ServerVersion is the server's VERSION().
	ServerVersion pulumi.StringOutput `pulumi:"serverVersion"`
	// Engine is the database server the stack runs: mysql or mariadb.
	Engine pulumi.StringOutput `pulumi:"engine"`
	// HostKeys are the hosts' SSH host keys (authorized_keys form), by name,
	// for the operator's known_hosts; empty where the platform does not know
	// a host's key.
	HostKeys pulumi.StringMapOutput `pulumi:"hostKeys"`
	// PublicKey is the stack's SSH public key.
	PublicKey pulumi.StringOutput `pulumi:"publicKey"`
	// PrivateKey is the stack's SSH private key, a secret.
	PrivateKey pulumi.StringOutput `pulumi:"privateKey"`
	// ReplicaPrivateAddresses are the replicas' addresses, by name; clients
	// read from them.
	ReplicaPrivateAddresses pulumi.StringMapOutput `pulumi:"replicaPrivateAddresses"`
	// ReplicaMySQLCommands are what to run on each client, by name, to read
	// from a replica (the clients take the replicas in turn).
	ReplicaMySQLCommands pulumi.StringMapOutput `pulumi:"replicaMysqlCommands"`

	// Server is the MySQL server component: the primary.
	Server *mysql.Server
	// Replicas are the replicas, by name.
	Replicas map[string]*mysql.Replica
	// Users are the accounts, by client name.
	Users map[string]*mysql.User
	// Hosts are all hosts: the server, the clients, then the replicas.
	Hosts []*host.Host
}

func (a *Args) validate() error {
	if a == nil || a.Platform == nil {
		return errors.New("ClientServerArgs.Platform: required: an *aws.Platform or a *local.Platform")
	}
	if err := a.Platform.Validate(); err != nil {
		return err
	}
	if a.ServerName == "" {
		a.ServerName = DefaultServerName
	}
	if a.Clients == nil {
		a.Clients = []string{DefaultClientName}
	}
	if i, err := ValidateHostNames(a.ServerName, a.Clients); err != nil {
		switch {
		case i >= 0:
			return fmt.Errorf("ClientServerArgs.Clients[%d]: %w", i, err)
		case len(a.Clients) == 0:
			return fmt.Errorf("ClientServerArgs.Clients: %w", err)
		default:
			return fmt.Errorf("ClientServerArgs.ServerName: %w", err)
		}
	}
	if err := a.resolveEngine(); err != nil {
		return err
	}
	if a.Port == 0 {
		a.Port = DefaultPort
	}
	if err := validate.MySQLPort(a.Port); err != nil {
		return fmt.Errorf("ClientServerArgs.Port: %w", err)
	}
	switch a.Preset {
	case "":
		a.Preset = PresetSecure
	case PresetSecure:
	case PresetTutorial:
		a.AllPrivileges, a.GrantOption = true, true
	default:
		return fmt.Errorf("ClientServerArgs.Preset: %q: expected secure or tutorial", a.Preset)
	}
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
	if a.Replicas < 0 || a.Replicas > MaxReplicas {
		return fmt.Errorf("ClientServerArgs.Replicas: %d: expected a whole number from 0 to %d", a.Replicas, MaxReplicas)
	}
	if a.Replicas > 0 && a.Preset == PresetTutorial {
		return fmt.Errorf("ClientServerArgs.Replicas: %d with the tutorial preset: expected 0, or the secure preset (replication runs over TLS only)", a.Replicas)
	}
	if err := a.Platform.CheckSpecs(a.specs()); err != nil {
		return err
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

// specs are the hosts the stack asks its platform for: the server, the
// clients, then the replicas.
func (a *Args) specs() []host.Spec {
	specs := []host.Spec{{Name: a.ServerName, Role: host.RoleServer, Engine: a.Engine}}
	for _, c := range a.Clients {
		specs = append(specs, host.Spec{Name: c, Role: host.RoleClient, Engine: a.Engine})
	}
	for k := 1; k <= a.Replicas; k++ {
		specs = append(specs, host.Spec{Name: ReplicaName(k), Role: host.RoleReplica, Engine: a.Engine})
	}
	return specs
}

// resolveEngine fills in the engine, and refuses one that differs from the
// engine of the data the server already holds.
func (a *Args) resolveEngine() error {
	deployed, where := a.Platform.DeployedEngine(a.ServerName)
	if a.Engine == "" {
		a.Engine = deployed.OrDefault()
		return nil
	}
	if _, err := host.ParseEngine(string(a.Engine)); err != nil {
		return fmt.Errorf("ClientServerArgs.Engine: %w", err)
	}
	if deployed != "" && deployed != a.Engine {
		return fmt.Errorf("ClientServerArgs.Engine: %w", host.EngineMismatch(a.ServerName, a.Engine, deployed, where))
	}
	return nil
}

// New creates a ClientServer. Args are validated before anything is created.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*ClientServer, error) {
	if args != nil {
		a := *args // defaults are filled in on a copy, never in the caller's Args
		args = &a
	}
	if err := args.validate(); err != nil {
		return nil, err
	}
	cs := &ClientServer{Users: map[string]*mysql.User{}, Replicas: map[string]*mysql.Replica{}}
	if err := ctx.RegisterComponentResource(Type, name, cs, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(cs)

	keys, err := keypair.New(ctx, name+"-ssh", &keypair.Args{
		PrivateKey: args.SSHPrivateKey, PublicKey: args.SSHPublicKey,
	}, parent)
	if err != nil {
		return nil, err
	}
	password := args.Password
	if password == nil {
		if password, err = generate.Once(ctx, name+"-password", generate.Password, parent); err != nil {
			return nil, err
		}
	}

	hosts, err := args.Platform.NewHosts(ctx, cs, keys.Material(), args.specs())
	if err != nil {
		return nil, err
	}
	cs.Hosts = hosts
	serverHost := hosts[0]
	clientHosts := hosts[1 : 1+len(args.Clients)]
	replicaHosts := hosts[1+len(args.Clients):]

	tutorial := args.Preset == PresetTutorial
	warnings := pulumi.StringArray{}
	if tutorial {
		_ = ctx.Log.Warn(TutorialWarning, &pulumi.LogArgs{Resource: cs})
		warnings = append(warnings, pulumi.String(TutorialWarning))
	}
	cs.Warnings = warnings.ToStringArrayOutput()
	serverArgs := &mysql.ServerArgs{Host: serverHost, Port: args.Port, AllowPlaintext: tutorial}
	if tutorial {
		serverArgs.BindAddress = pulumi.String("0.0.0.0")
	}
	server, err := mysql.NewServer(ctx, "mysql-server", serverArgs, parent)
	if err != nil {
		return nil, err
	}
	cs.Server = server
	// The primary's port is open to the clients and the replicas.
	ingress, err := args.Platform.NewIngress(ctx, cs, serverHost, append(append([]*host.Host{}, clientHosts...), replicaHosts...),
		args.Port, tutorial)
	if err != nil {
		return nil, err
	}

	clientPublic, clientPrivate := pulumi.StringMap{}, pulumi.StringMap{}
	sshCommands, mysqlCommands, accounts := pulumi.StringMap{}, pulumi.StringMap{}, pulumi.StringMap{}
	proofs := pulumi.Map{}
	sshCommands[serverHost.Name] = serverHost.SSHCommand(KeyFile)
	for _, rh := range replicaHosts {
		sshCommands[rh.Name] = rh.SSHCommand(KeyFile)
	}
	hostKeys := pulumi.StringMap{}
	for _, h := range hosts {
		hostKeys[h.Name] = h.HostKey
	}
	userArgs := func(h pulumi.StringInput) *mysql.UserArgs {
		return &mysql.UserArgs{
			Server: server, Name: args.UserName, Host: h, Password: password, Database: args.Database,
			AllPrivileges: args.AllPrivileges, GrantOption: args.GrantOption,
			AllowPlaintext: tutorial, NativePassword: tutorial, KeepReadOnlyAdmin: tutorial,
		}
	}
	var shared *mysql.User           // the tutorial's one account at '%'
	var proofAfter []pulumi.Resource // what the replicas' proof waits for on its client
	if tutorial {
		if shared, err = mysql.NewUser(ctx, "tutorial-mysql-user", userArgs(pulumi.String("%")), parent); err != nil {
			return nil, err
		}
	}
	for _, ch := range clientHosts {
		client, err := mysql.NewClient(ctx, ch.Name+"-mysql-client", &mysql.ClientArgs{Host: ch}, parent)
		if err != nil {
			return nil, err
		}
		user := shared
		if user == nil {
			if user, err = mysql.NewUser(ctx, ch.Name+"-mysql-user", userArgs(ch.PrivateAddress), parent); err != nil {
				return nil, err
			}
		}
		login, err := mysql.NewClientLogin(ctx, ch.Name+"-mysql-login", &mysql.ClientLoginArgs{
			Host: ch, Server: server, UserName: args.UserName, Password: password, Database: args.Database,
			After: []pulumi.Resource{client.Install},
		}, parent)
		if err != nil {
			return nil, err
		}
		proof, err := mysql.NewVerify(ctx, ch.Name+"-mysql-verify", &mysql.VerifyArgs{
			Client: ch, Server: server, Account: user.Account, Run: args.VerifyRun, Password: password,
			After: []pulumi.Resource{user.Command, login.Command, ingress},
		}, parent)
		if err != nil {
			return nil, err
		}
		if proofAfter == nil {
			proofAfter = []pulumi.Resource{user.Command, login.Command}
		}
		cs.Users[ch.Name] = user
		clientPublic[ch.Name] = ch.PublicAddress
		clientPrivate[ch.Name] = ch.PrivateAddress
		sshCommands[ch.Name] = ch.SSHCommand(KeyFile)
		accounts[ch.Name] = user.Account
		proofs[ch.Name] = proof.Proof
		mysqlCommands[ch.Name] = loginCommand(server.Address, args)
	}
	replicaProofs, err := cs.newReplicas(ctx, name, args, replicaHosts, clientHosts, ingress, proofAfter)
	if err != nil {
		return nil, err
	}
	for n, p := range replicaProofs {
		proofs[n] = p
	}
	cs.OperatorCheck = pulumi.String("skipped: the tutorial preset opens 3306").ToStringOutput()
	if !tutorial {
		closed, err := mysql.NewClosedCheck(ctx, "mysql-closed-to-operator", &mysql.ClosedCheckArgs{
			Address: serverHost.PublicAddress, Port: args.Port, Run: args.VerifyRun, Timeout: serverHost.ProbeTimeout,
			After: []pulumi.Resource{ingress, server.Install},
		}, parent)
		if err != nil {
			return nil, err
		}
		cs.OperatorCheck = closed.Result
	}
	cs.Proofs = proofs.ToMapOutput()
	cs.CACert = server.CACert
	cs.CertificateExpiry = server.CertificateExpiry
	cs.Preset = pulumi.String(args.Preset).ToStringOutput()

	cs.ServerPublicAddress = serverHost.PublicAddress
	cs.ServerPrivateAddress = serverHost.PrivateAddress
	cs.ClientPublicAddresses = clientPublic.ToStringMapOutput()
	cs.ClientPrivateAddresses = clientPrivate.ToStringMapOutput()
	cs.SSHCommands = sshCommands.ToStringMapOutput()
	cs.HostKeys = hostKeys.ToStringMapOutput()
	cs.MySQLCommands = mysqlCommands.ToStringMapOutput()
	cs.UserName = args.UserName.ToStringOutput()
	cs.Accounts = accounts.ToStringMapOutput()
	cs.Database = args.Database.ToStringOutput()
	cs.Password = pulumi.ToSecret(password).(pulumi.StringOutput)
	cs.ServerVersion = server.Version
	cs.Engine = pulumi.String(string(args.Engine)).ToStringOutput()
	cs.PublicKey = keys.PublicKey
	cs.PrivateKey = keys.PrivateKey
	replicaCommands := pulumi.StringMap{}
	for i, ch := range clientHosts {
		if len(replicaHosts) == 0 {
			break
		}
		rh := replicaHosts[i%len(replicaHosts)] // the clients take the replicas in turn
		replicaCommands[ch.Name] = loginCommand(rh.PrivateAddress, args)
	}
	cs.ReplicaMySQLCommands = replicaCommands.ToStringMapOutput()
	return cs, ctx.RegisterResourceOutputs(cs, cs.Outputs())
}

// loginCommand is the by-hand login to the MySQL server at address, typing
// the password: `mysql -h <address> -P <port> -u '<user>' -p '<database>'`.
func loginCommand(address pulumi.StringOutput, args *Args) pulumi.StringOutput {
	return pulumi.All(address, args.UserName, args.Database).ApplyT(func(v []interface{}) string {
		return fmt.Sprintf("mysql -h %s -P %d -u %s -p %s", v[0], args.Port,
			shell.Quote(v[1].(string)), shell.Quote(v[2].(string)))
	}).(pulumi.StringOutput)
}

// Outputs returns the component's outputs by their names, as registered
// and as the stack program exports them.
func (cs *ClientServer) Outputs() pulumi.Map {
	return pulumi.Map{
		"serverPublicAddress":     cs.ServerPublicAddress,
		"serverPrivateAddress":    cs.ServerPrivateAddress,
		"clientPublicAddresses":   cs.ClientPublicAddresses,
		"clientPrivateAddresses":  cs.ClientPrivateAddresses,
		"sshCommands":             cs.SSHCommands,
		"hostKeys":                cs.HostKeys,
		"mysqlCommands":           cs.MySQLCommands,
		"userName":                cs.UserName,
		"accounts":                cs.Accounts,
		"database":                cs.Database,
		"password":                cs.Password,
		"serverVersion":           cs.ServerVersion,
		"engine":                  cs.Engine,
		"proofs":                  cs.Proofs,
		"operatorCheck":           cs.OperatorCheck,
		"caCert":                  cs.CACert,
		"certificateExpiry":       cs.CertificateExpiry,
		"preset":                  cs.Preset,
		"warnings":                cs.Warnings,
		"publicKey":               cs.PublicKey,
		"privateKey":              cs.PrivateKey,
		"replicaPrivateAddresses": cs.ReplicaPrivateAddresses,
		"replicaMysqlCommands":    cs.ReplicaMySQLCommands,
	}
}
