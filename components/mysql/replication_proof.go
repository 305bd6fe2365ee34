package mysql

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
)

// ReplicationProofType is the type token of ReplicationProof.
const ReplicationProofType = "mysql-client-server:mysql:MySQLReplicationProof"

// ReplicationProofArgs configures a ReplicationProof.
type ReplicationProofArgs struct {
	// Client is the client host that writes on the primary and reads on the
	// replicas, with its ~/.my.cnf (see ClientLogin). Required.
	Client *host.Host
	// Replicas are the replicas to prove, by name. Required, at least one.
	Replicas map[string]*Replica
	// Run re-runs the proof when it changes; see VerifyArgs.Run.
	Run pulumi.StringInput
	// After are the resources the proof waits for besides the replicas: the
	// client's account and ~/.my.cnf, the replicas' ingress.
	After []pulumi.Resource
}

// ReplicaRead is what ReplicationProof measured on one replica.
type ReplicaRead struct {
	// Address is the replica's address the client read from.
	Address string `json:"address" pulumi:"address"`
	// LagMs is the time from the primary's commit returning to the client
	// to the row being read on the replica, in milliseconds.
	LagMs int `json:"lagMs" pulumi:"lagMs"`
	// ReadOnly is true when the replica refused the client's write as
	// read-only.
	ReadOnly bool `json:"readOnly" pulumi:"readOnly"`
}

// ReplicationProof proves, from a client, that a row the client writes on
// the primary is read on every replica within a bound, through a session
// that verifies the replica's certificate names its address, and that the
// replicas refuse the client's writes. It fails `pulumi up` with a diagnosis
// that names the layer.
type ReplicationProof struct {
	pulumi.ResourceState

	// Proofs are the measurements, by replica name: address, lagMs,
	// readOnly.
	Proofs ReplicaReadMapOutput `pulumi:"proofs"`
}

// ParseReplicationProof reads the JSON object replication-proof.sh prints.
func ParseReplicationProof(s string) (map[string]ReplicaRead, error) {
	var p map[string]ReplicaRead
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil, fmt.Errorf("the replication proof is not JSON: %q", s)
	}
	return p, nil
}

// NewReplicationProof creates a ReplicationProof.
func NewReplicationProof(ctx *pulumi.Context, name string, args *ReplicationProofArgs, opts ...pulumi.ResourceOption) (*ReplicationProof, error) {
	switch {
	case args == nil || args.Client == nil:
		return nil, errors.New("ReplicationProofArgs.Client: required: the client host")
	case len(args.Replicas) == 0:
		return nil, errors.New("ReplicationProofArgs.Replicas: required: at least one replica")
	}
	names := make([]string, 0, len(args.Replicas))
	for n, r := range args.Replicas {
		if r == nil {
			return nil, fmt.Errorf("ReplicationProofArgs.Replicas[%q]: is nil: expected a *Replica", n)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	run := args.Run
	if run == nil {
		run = pulumi.String("")
	}
	p := &ReplicationProof{}
	if err := ctx.RegisterComponentResource(ReplicationProofType, name, p, opts...); err != nil {
		return nil, err
	}
	addrs := make([]interface{}, len(names))
	after := append([]pulumi.Resource{}, args.After...)
	for i, n := range names {
		addrs[i] = args.Replicas[n].Address
		after = append(after, args.Replicas[n].Replication)
	}
	list := pulumi.All(addrs...).ApplyT(func(v []interface{}) string {
		entries := make([]string, len(v))
		for i, a := range v {
			entries[i] = names[i] + "=" + a.(string)
		}
		return strings.Join(entries, " ")
	}).(pulumi.StringOutput)
	cmd, err := hostCommand(ctx, p, name+"-proof", args.Client, &remote.CommandArgs{
		Create:   runAsLogin("replication-proof.sh", map[string]pulumi.StringInput{"MCS_REPLICAS": list}),
		Triggers: pulumi.Array{run},
	}, pulumi.DependsOn(after))
	if err != nil {
		return nil, err
	}
	p.Proofs = cmd.Stdout.ApplyT(ParseReplicationProof).(ReplicaReadMapOutput)
	return p, ctx.RegisterResourceOutputs(p, pulumi.Map{"proofs": p.Proofs})
}
