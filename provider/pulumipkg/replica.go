package pulumipkg

import (
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
	// Engine is the source's engine, mysql or mariadb. Defaults to mysql.
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
	if err := checkEngine("ReplicaArgs", in.Engine); err != nil {
		return nil, err
	}
	if err := checkSecret("ReplicaArgs.Password", ctx, in.Password, mysql.ValidatePassword); err != nil {
		return nil, err
	}
	return mysql.NewReplica(ctx, name, &mysql.ReplicaArgs{
		Host: toHost("ReplicaArgs.Host", name, host.RoleReplica, in.Engine, in.Host), Source: in.Source,
		ServerID: in.ServerID, Password: in.Password,
	}, opts...)
}
