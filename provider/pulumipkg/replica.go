package pulumipkg

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// ReplicaArgs are mysql.ReplicaArgs as a package's inputs.
type ReplicaArgs struct {
	// Host is as mysql.ReplicaArgs.Host.
	Host HostOutput `pulumi:"host"`
	// Source is as mysql.ReplicaArgs.Source.
	Source *mysql.Server `pulumi:"source" provider:"type=mysql:MySQLServer"`
	// Engine is the replica's engine, which must be its source's. Defaults
	// to the source's.
	Engine string `pulumi:"engine,optional"`
	// ServerID is as mysql.ReplicaArgs.ServerID.
	ServerID int `pulumi:"serverId"`
	// Password is as mysql.ReplicaArgs.Password.
	Password pulumi.StringInput `pulumi:"password" provider:"secret"`
}

// NewReplica is mysql.NewReplica behind the package's inputs, on the host
// the program passes; its name names the host too. The source's port must
// admit the replica's address (local:Hosts opens it to its replicas).
func NewReplica(ctx *pulumi.Context, name string, in ReplicaArgs, opts ...pulumi.ResourceOption) (*mysql.Replica, error) {
	port := sourcePort(in)
	engine, err := replicaEngine(in)
	if err == nil {
		engine, err = hostEngine(ctx, "ReplicaArgs", engine, port, in.Host)
	}
	if err != nil {
		return nil, err
	}
	if err := checkKnown("ReplicaArgs.Password", ctx, in.Password, mysql.ValidatePassword); err != nil {
		return nil, err
	}
	return mysql.NewReplica(ctx, name, &mysql.ReplicaArgs{
		Host: toHost("ReplicaArgs.Host", name, host.RoleReplica, engine, port, in.Host), Source: in.Source,
		ServerID: in.ServerID, Password: in.Password,
	}, opts...)
}

// replicaEngine is the replica's engine: its source's, which a given engine
// must be.
func replicaEngine(in ReplicaArgs) (string, error) {
	if err := checkEngine("ReplicaArgs", in.Engine); err != nil || in.Source == nil || in.Source.Host == nil {
		return in.Engine, err // a missing source is mysql.NewReplica's to report
	}
	source := in.Source.Host.Engine.OrDefault()
	if in.Engine != "" && host.Engine(in.Engine) != source {
		return "", fmt.Errorf("ReplicaArgs.Engine: %q, but the source runs %s: expected the source's engine", in.Engine, source)
	}
	return string(source), nil
}

// sourcePort is the port the replica listens on: its source's (0: no
// source, which mysql.NewReplica reports).
func sourcePort(in ReplicaArgs) int {
	if in.Source == nil {
		return 0
	}
	return in.Source.ListenPort()
}
