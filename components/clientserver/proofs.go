package clientserver

import (
	"reflect"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/backup"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// ClientProof is what a client proved: its login over TLS as its account.
type ClientProof = mysql.ClientProof

// ReplicaProof is what the stack proved of one replica: its replication
// channel, the operator's probe of its MySQL port, and a client's read of
// a row written on the primary.
type ReplicaProof struct {
	// ReadBy is the client that wrote on the primary and read here.
	ReadBy string `pulumi:"readBy"`
	// OperatorCheck is the operator's probe of the replica's MySQL port.
	OperatorCheck string `pulumi:"operatorCheck"`

	// The replica's channel as last checked (mysql.ReplicaStatus):

	// Source is as mysql.ReplicaStatus.Source.
	Source string `pulumi:"source"`
	// TLSVersion is as mysql.ReplicaStatus.TLSVersion.
	TLSVersion string `pulumi:"tlsVersion"`
	// GTIDPosition is as mysql.ReplicaStatus.GTIDPosition.
	GTIDPosition string `pulumi:"gtidPosition"`
	// ServerVersion is as mysql.ReplicaStatus.ServerVersion.
	ServerVersion string `pulumi:"serverVersion"`

	// The client's read (mysql.ReplicaRead):

	// Address is as mysql.ReplicaRead.Address.
	Address string `pulumi:"address"`
	// LagMs is as mysql.ReplicaRead.LagMs.
	LagMs int `pulumi:"lagMs"`
	// ReadOnly is as mysql.ReplicaRead.ReadOnly.
	ReadOnly bool `pulumi:"readOnly"`
}

// ReplicaProofOutput is a ReplicaProof output.
type ReplicaProofOutput struct{ *pulumi.OutputState }

// ElementType is ReplicaProof.
func (ReplicaProofOutput) ElementType() reflect.Type {
	return reflect.TypeOf((*ReplicaProof)(nil)).Elem()
}

// ReplicaProofMapOutput is an output of ReplicaProofs by replica name.
type ReplicaProofMapOutput struct{ *pulumi.OutputState }

// ElementType is map[string]ReplicaProof.
func (ReplicaProofMapOutput) ElementType() reflect.Type {
	return reflect.TypeOf((*map[string]ReplicaProof)(nil)).Elem()
}

func init() {
	pulumi.RegisterOutputType(ReplicaProofOutput{})
	pulumi.RegisterOutputType(ReplicaProofMapOutput{})
}

// newReplicaProof joins one replica's status, its operator probe and the
// client's read of it.
func newReplicaProof(readBy string, status mysql.ReplicaStatusOutput, check pulumi.StringOutput,
	reads mysql.ReplicaReadMapOutput, name string) ReplicaProofOutput {
	return pulumi.All(status, check, reads).ApplyT(func(v []interface{}) ReplicaProof {
		st, read := v[0].(mysql.ReplicaStatus), v[2].(map[string]mysql.ReplicaRead)[name]
		return ReplicaProof{
			ReadBy: readBy, OperatorCheck: v[1].(string),
			Source: st.Source, TLSVersion: st.TLSVersion, GTIDPosition: st.GTIDPosition, ServerVersion: st.ServerVersion,
			Address: read.Address, LagMs: read.LagMs, ReadOnly: read.ReadOnly,
		}
	}).(ReplicaProofOutput)
}

// byName collects outputs of one type, by name, into one output of their
// map: a typed map output of T where that type is registered.
func byName[T any](outs map[string]pulumi.Output) pulumi.Output {
	names := make([]string, 0, len(outs))
	all := make([]interface{}, 0, len(outs))
	for n := range outs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		all = append(all, outs[n])
	}
	return pulumi.All(all...).ApplyT(func(v []interface{}) map[string]T {
		m := make(map[string]T, len(v))
		for i, x := range v {
			m[names[i]] = x.(T)
		}
		return m
	})
}

// allProofs is the proofs output as the stack exports it: the clients' and
// the replicas', by host name, each as the object its type marshals as.
func allProofs(clients mysql.ClientProofMapOutput, replicas ReplicaProofMapOutput, b *backup.Backup) pulumi.MapOutput {
	backups := pulumi.Any(nil)
	if b != nil {
		backups = b.Proof.ApplyT(func(p backup.Proof) interface{} { return p }).(pulumi.AnyOutput)
	}
	return pulumi.All(clients, replicas, backups).ApplyT(func(v []interface{}) map[string]interface{} {
		out := map[string]interface{}{}
		for n, p := range v[0].(map[string]ClientProof) {
			out[n] = tagged(p)
		}
		for n, p := range v[1].(map[string]ReplicaProof) {
			out[n] = tagged(p)
		}
		if p, ok := v[2].(backup.Proof); ok {
			out[BackupsKey] = tagged(p)
		}
		return out
	}).(pulumi.MapOutput)
}
