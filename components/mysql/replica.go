package mysql

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
)

// ReplicaType is the type token of Replica.
const ReplicaType = "mysql-client-server:mysql:MySQLReplica"

// ReplicaArgs configures a Replica.
type ReplicaArgs struct {
	// Host is the replica's host. Required.
	Host *host.Host
	// Source is the primary the replica follows. Required; it must require
	// TLS (the replication channel is TLS only).
	Source *Server
	// ServerID is the replica's server_id: 2 or more, unique among the
	// primary (1) and its replicas. Required.
	ServerID int
	// Password is the replication account's password, a secret of at least
	// 12 characters. Required.
	Password pulumi.StringInput
	// Run re-runs the seed check and the replication check when it changes
	// (make verify); see VerifyArgs.Run.
	Run pulumi.StringInput
	// After are the resources replication waits for: the primary's ingress,
	// which must admit the replica.
	After []pulumi.Resource
	// SeedAfter are the resources the seed waits for on the primary: its
	// accounts, so that a new replica's copy holds them, and serves them
	// from its start.
	SeedAfter []pulumi.Resource
}

// Replica is a read-only MySQL server that follows a primary by GTID. It
// installs the server on its host with a certificate the primary's CA signs
// (so clients verify it like the primary), creates its replication account
// on the primary (at the replica's address, REQUIRE SSL, REPLICATION SLAVE
// only, the password on stdin), seeds it with the primary's data when it is
// new (the engine's dump tool, piped over SSH by the operator's machine),
// and starts replication over TLS verified against the stack's CA.
type Replica struct {
	pulumi.ResourceState

	// Address is the replica's private address, which clients read from and
	// its certificate names.
	Address pulumi.StringOutput `pulumi:"address"`
	// AccountName is the replication account on the primary.
	AccountName pulumi.StringOutput `pulumi:"accountName"`
	// Status is the replication channel as last checked: source
	// (address:port), tlsVersion, gtidPosition, serverVersion.
	Status ReplicaStatusOutput `pulumi:"status"`
	// Seed says how the replica got its data: "seeded from <primary>" or
	// "already replicating".
	Seed pulumi.StringOutput `pulumi:"seed"`
	// Server is the replica's MySQL server.
	Server *Server
	// Account is the replication account.
	Account *User
	// Replication is the command that starts and checks replication; what
	// reads from the replica waits for it.
	Replication *remote.Command
}

// ReplicaStatus is what replica-start.sh reports.
type ReplicaStatus struct {
	// Source is the primary's address:port.
	Source string `json:"source" pulumi:"source"`
	// TLSVersion is the TLS version of a session from the replica to the
	// primary as the replication account, with the channel's CA and
	// verification.
	TLSVersion string `json:"tlsVersion" pulumi:"tlsVersion"`
	// GTIDPosition is the replica's GTID position.
	GTIDPosition string `json:"gtidPosition" pulumi:"gtidPosition"`
	// ServerVersion is the replica's VERSION().
	ServerVersion string `json:"serverVersion" pulumi:"serverVersion"`
}

// ParseReplicaStatus reads the JSON object replica-start.sh prints.
func ParseReplicaStatus(s string) (ReplicaStatus, error) {
	var st ReplicaStatus
	if err := json.Unmarshal([]byte(s), &st); err != nil {
		return st, fmt.Errorf("the replica's status is not JSON: %q", s)
	}
	return st, nil
}

// ReplicationUser is the replication account name of the replica with
// server_id id.
func ReplicationUser(id int) string { return fmt.Sprintf("%s%d", ReplicationUserPrefix, id) }

// check validates the Args before anything is created, and returns the
// replication password, checked when it resolves.
func (args *ReplicaArgs) check() (pulumi.StringOutput, error) {
	switch {
	case args == nil || args.Host == nil:
		return pulumi.StringOutput{}, errors.New("ReplicaArgs.Host: required: the replica's host")
	case args.Source == nil:
		return pulumi.StringOutput{}, errors.New("ReplicaArgs.Source: required: the primary to follow")
	case args.Source.Host == args.Host:
		return pulumi.StringOutput{}, errors.New("ReplicaArgs.Host: is the primary's host: expected a host of its own")
	case args.ServerID < 2 || args.ServerID > MaxServerID:
		return pulumi.StringOutput{}, fmt.Errorf("ReplicaArgs.ServerID: %d: expected 2-%d, unique among the primary (1) and its replicas",
			args.ServerID, MaxServerID)
	case args.Password == nil:
		return pulumi.StringOutput{}, errors.New("ReplicaArgs.Password: required: a secret of at least 12 characters")
	}
	return checked("ReplicaArgs.Password", args.Password, ValidatePassword)
}

// tlsOnly is MCS_REQUIRE_TLS for a replica of src: ON, or, for a plaintext
// source, an error that fails the run before anything starts.
func tlsOnly(src *Server) pulumi.StringOutput {
	return src.RequireTLS.ApplyT(func(on bool) (string, error) {
		if !on {
			return "", errors.New("ReplicaArgs.Source: does not require TLS: replication runs over TLS only")
		}
		return "ON", nil
	}).(pulumi.StringOutput)
}

// NewReplica creates a Replica.
func NewReplica(ctx *pulumi.Context, name string, args *ReplicaArgs, opts ...pulumi.ResourceOption) (*Replica, error) {
	password, err := args.check()
	if err != nil {
		return nil, err
	}
	run := args.Run
	if run == nil {
		run = pulumi.String("")
	}
	r := &Replica{}
	if err := ctx.RegisterComponentResource(ReplicaType, name, r, opts...); err != nil {
		return nil, err
	}
	parent := pulumi.Parent(r)
	src := args.Source
	requireTLS := tlsOnly(src)
	server, err := NewServer(ctx, name+"-server", &ServerArgs{
		Host: args.Host, Port: src.port, ServerID: args.ServerID, ReadOnly: true, SignedBy: src,
	}, parent)
	if err != nil {
		return nil, err
	}
	account, err := NewUser(ctx, name+"-user", &UserArgs{
		Server: src, Name: pulumi.String(ReplicationUser(args.ServerID)), Host: args.Host.PrivateAddress,
		Password: password, Replication: true,
	}, parent)
	if err != nil {
		return nil, err
	}
	seed, err := replicaSeed(ctx, r, name+"-seed", src, server, run,
		pulumi.DependsOn(append([]pulumi.Resource{src.Ready, server.Install}, args.SeedAfter...)))
	if err != nil {
		return nil, err
	}
	after := append([]pulumi.Resource{seed, account.Command, server.Install}, args.After...)
	start, err := hostCommand(ctx, r, name+"-replication", args.Host, &remote.CommandArgs{
		Create: runOn("replica-start.sh", map[string]pulumi.StringInput{
			"MCS_SOURCE":      src.Address,
			"MCS_PORT":        src.portEnv(),
			"MCS_REPL_USER":   account.Name,
			"MCS_REQUIRE_TLS": requireTLS,
		}),
		Stdin:    pulumi.ToSecret(password).(pulumi.StringOutput),
		Triggers: pulumi.Array{run},
	}, pulumi.DependsOn(after))
	if err != nil {
		return nil, err
	}
	r.Server, r.Account, r.Replication = server, account, start
	r.Address = args.Host.PrivateAddress
	r.AccountName = account.Name
	r.Seed = seed.Stdout
	r.Status = start.Stdout.ApplyT(ParseReplicaStatus).(ReplicaStatusOutput)
	return r, ctx.RegisterResourceOutputs(r, pulumi.Map{
		"address": r.Address, "accountName": r.AccountName, "status": r.Status, "seed": r.Seed,
	})
}

// replicaSeed is the operator's command that seeds a new replica: the
// primary's dump piped into the replica over SSH (replica-seed.sh). Both
// hosts' staged scripts do the work; the SSH private keys go on stdin.
func replicaSeed(ctx *pulumi.Context, parent pulumi.Resource, name string, src, replica *Server, run pulumi.StringInput, opts ...pulumi.ResourceOption) (*local.Command, error) {
	var stages []pulumi.Resource
	for _, h := range []*host.Host{src.Host, replica.Host} {
		stage, err := stagedScripts(ctx, parent, h)
		if err != nil {
			return nil, err
		}
		stages = append(stages, stage)
	}
	sshOf := func(h *host.Host) pulumi.StringOutput {
		return pulumi.Sprintf("%s %s %d", h.User, h.PublicAddress, h.SSHPort)
	}
	keys := pulumi.All(src.Host.PrivateKey, replica.Host.PrivateKey).ApplyT(func(v []interface{}) string {
		if v[0] == v[1] {
			return v[0].(string)
		}
		return v[0].(string) + "\n" + v[1].(string)
	}).(pulumi.StringOutput)
	return local.NewCommand(ctx, name, &local.CommandArgs{
		Create:      pulumi.String(raw("replica-seed.sh")),
		Interpreter: pulumi.StringArray{pulumi.String("/bin/bash"), pulumi.String("-c")},
		Environment: pulumi.StringMap{
			"MCS_PRIMARY_SSH":      sshOf(src.Host),
			"MCS_REPLICA_SSH":      sshOf(replica.Host),
			"MCS_PRIMARY_HOST_KEY": src.Host.HostKey,
			"MCS_REPLICA_HOST_KEY": replica.Host.HostKey,
			"MCS_DUMP_COMMAND":     runOn("seed-dump.sh", nil),
			"MCS_CHECK_COMMAND":    runOn("seed-load.sh", map[string]pulumi.StringInput{"MCS_SEED_MODE": pulumi.String("check")}),
			"MCS_LOAD_COMMAND":     runOn("seed-load.sh", map[string]pulumi.StringInput{"MCS_SEED_MODE": pulumi.String("load")}),
		},
		Stdin:    pulumi.ToSecret(keys).(pulumi.StringOutput),
		Triggers: pulumi.Array{run},
	}, append(opts, pulumi.Parent(parent), pulumi.DependsOn(stages))...)
}
