// Package clientserver composes the whole MySQL client–server architecture
// as one component: a key pair, a server host and client hosts from a
// platform, the MySQL port opened to the clients only, the server and client
// packages, and one MySQL account per client.
package clientserver

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/backup"
	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/generate"
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
	DefaultPort       = mysql.DefaultPort
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
	Password pulumi.StringOutput `pulumi:"password" provider:"secret"`
	// Proofs are ClientProofs, ReplicaProofs and BackupProof in one map,
	// by host name (the backup's under "backups"), as the stack exports
	// them.
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
	PrivateKey pulumi.StringOutput `pulumi:"privateKey" provider:"secret"`
	// ReplicaPrivateAddresses are the replicas' addresses, by name; clients
	// read from them.
	ReplicaPrivateAddresses pulumi.StringMapOutput `pulumi:"replicaPrivateAddresses"`
	// ReplicaMySQLCommands are what to run on each client, by name, to read
	// from a replica (the clients take the replicas in turn).
	ReplicaMySQLCommands pulumi.StringMapOutput `pulumi:"replicaMysqlCommands"`
	// BackupPassphrase is the passphrase the backups are encrypted with, a
	// secret (empty with backups off): a restore needs it.
	BackupPassphrase pulumi.StringOutput `pulumi:"backupPassphrase" provider:"secret"`
	// ReaderEndpoints are the replicas' MySQL endpoints (address:port), in
	// the order of their numbers, for an application's reads; empty without
	// replicas.
	ReaderEndpoints pulumi.StringArrayOutput `pulumi:"readerEndpoints"`

	// The typed proofs: outputs of the component (in the Pulumi package's
	// schema too), but not of the stack program, whose proofs output holds
	// their values in one map (stack:"-"; see Outputs).

	// ClientProofs are each client's proof (server version, TLS version
	// and cipher, CURRENT_USER(), round-trip ms), by client name.
	ClientProofs mysql.ClientProofMapOutput `pulumi:"clientProofs" stack:"-"`
	// ReplicaProofs are each replica's proof, by replica name.
	ReplicaProofs ReplicaProofMapOutput `pulumi:"replicaProofs" stack:"-"`
	// BackupProof is the newest backup's proof, which Proofs holds under
	// "backups"; all empty with backups off.
	BackupProof backup.ProofOutput `pulumi:"backupProof" stack:"-"`

	// Server is the MySQL server component: the primary.
	Server *mysql.Server
	// Replicas are the replicas, by name.
	Replicas map[string]*mysql.Replica
	// Users are the accounts, by client name.
	Users map[string]*mysql.User
	// Hosts are all hosts: the server, the clients, the replicas, then the
	// restore host (Args.RestoreHost).
	Hosts []*host.Host
	// Backup is the server's backups; nil when they are off.
	Backup *backup.Backup
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
	r := byRole(hosts)
	ingress, err := cs.newPrimary(ctx, args, r)
	if err != nil {
		return nil, err
	}
	// The backups come before the accounts: a restore (RestoreFrom) fills
	// the server first.
	if err := cs.newBackups(ctx, args, r, keys.Material()); err != nil {
		return nil, err
	}
	clients, err := cs.newClients(ctx, args, r.clients, password, ingress)
	if err != nil {
		return nil, err
	}
	replicaProofs, err := cs.newReplicas(ctx, name, args, r.replicas, r.clients, ingress, clients.proofAfter)
	if err != nil {
		return nil, err
	}
	cs.ClientProofs = byName[ClientProof](clients.proofs).(mysql.ClientProofMapOutput)
	cs.ReplicaProofs = byName[ReplicaProof](replicaProofs).(ReplicaProofMapOutput)
	cs.setOutputs(args, r, keys, password, clients)
	return cs, ctx.RegisterResourceOutputs(cs, cs.Outputs())
}
