package clientserver

import (
	"maps"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/generate"
	"github.com/mysql-client-server/mysql-client-server/components/internal/names"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// newReplicas adds the replicas: one mysql.Replica per replica host (its
// server_id is its number plus one: the primary has 1), its MySQL port open
// to the clients only (the operator's probe checks it is closed to the
// operator), and the proof, from the first client, that a row written on
// the primary is read on every replica. It returns each replica's proof: its
// replication status, the operator's probe and the client's measurements.
func (cs *ClientServer) newReplicas(ctx *pulumi.Context, name string, args *Args, replicaHosts, clientHosts []*host.Host,
	primaryIngress pulumi.Resource, proofAfter []pulumi.Resource) (map[string]pulumi.Output, error) {
	addresses := pulumi.StringMap{}
	cs.ReplicaPrivateAddresses = addresses.ToStringMapOutput()
	out := map[string]pulumi.Output{}
	if len(replicaHosts) == 0 {
		return out, nil
	}
	parent := pulumi.Parent(cs)
	// One replication password for the replicas' accounts, generated once.
	password, err := generate.Once(ctx, name+"-replication-password", generate.Password, parent)
	if err != nil {
		return nil, err
	}
	operatorChecks := map[string]pulumi.StringOutput{}
	after := append([]pulumi.Resource{}, proofAfter...)
	// A new replica is seeded once the accounts are on the primary.
	var accounts []pulumi.Resource
	for _, n := range slices.Sorted(maps.Keys(cs.Users)) {
		accounts = append(accounts, cs.Users[n].Command)
	}
	for k, rh := range replicaHosts {
		n := names.OfHost(cs, rh.Name, "replica")
		r, err := mysql.NewReplica(ctx, n, &mysql.ReplicaArgs{
			Host: rh, Source: cs.Server, ServerID: k + 2, Password: password, Run: args.VerifyRun,
			After: []pulumi.Resource{primaryIngress}, SeedAfter: accounts,
		}, parent, names.Was(n, rh.Name+"-mysql-replica"))
		if err != nil {
			return nil, err
		}
		in, err := args.Platform.NewIngress(ctx, cs, rh, clientHosts, args.Port, false)
		if err != nil {
			return nil, err
		}
		// The operator's probe of the replica's port, as of the primary's.
		n = names.OfHost(cs, rh.Name, "closed-to-operator")
		closed, err := mysql.NewClosedCheck(ctx, n, &mysql.ClosedCheckArgs{
			Address: rh.PublicAddress, Port: args.Port, Run: args.VerifyRun, Timeout: rh.ProbeTimeout,
			After: []pulumi.Resource{in, r.Server.Install},
		}, parent, names.Was(n, rh.Name+"-mysql-closed-to-operator"))
		if err != nil {
			return nil, err
		}
		operatorChecks[rh.Name] = closed.Result
		cs.Replicas[rh.Name] = r
		addresses[rh.Name] = rh.PrivateAddress
		after = append(after, in)
	}
	cs.ReplicaPrivateAddresses = addresses.ToStringMapOutput()
	reader := clientHosts[0]
	n := names.Of(cs, "replication-proof")
	proof, err := mysql.NewReplicationProof(ctx, n, &mysql.ReplicationProofArgs{
		Client: reader, Replicas: cs.Replicas, Run: args.VerifyRun, After: after,
	}, parent, names.Was(n, "mysql-replication-proof"))
	if err != nil {
		return nil, err
	}
	for n, r := range cs.Replicas {
		out[n] = newReplicaProof(reader.Name, r.Status, operatorChecks[n], proof.Proofs, n)
	}
	return out, nil
}
