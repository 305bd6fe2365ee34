package mysql

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The typed outputs of this package's components: a Go stack reads their
// fields without type assertions, and each marshals as an object of its
// pulumi tags, the shape the stack exports.

// ClientProofOutput is a ClientProof output.
type ClientProofOutput struct{ *pulumi.OutputState }

// ElementType is ClientProof.
func (ClientProofOutput) ElementType() reflect.Type {
	return reflect.TypeOf((*ClientProof)(nil)).Elem()
}

// ClientProofMapOutput is an output of ClientProofs by name.
type ClientProofMapOutput struct{ *pulumi.OutputState }

// ElementType is map[string]ClientProof.
func (ClientProofMapOutput) ElementType() reflect.Type {
	return reflect.TypeOf((*map[string]ClientProof)(nil)).Elem()
}

// ReplicaStatusOutput is a ReplicaStatus output.
type ReplicaStatusOutput struct{ *pulumi.OutputState }

// ElementType is ReplicaStatus.
func (ReplicaStatusOutput) ElementType() reflect.Type {
	return reflect.TypeOf((*ReplicaStatus)(nil)).Elem()
}

// ReplicaReadMapOutput is an output of ReplicaReads by replica name.
type ReplicaReadMapOutput struct{ *pulumi.OutputState }

// ElementType is map[string]ReplicaRead.
func (ReplicaReadMapOutput) ElementType() reflect.Type {
	return reflect.TypeOf((*map[string]ReplicaRead)(nil)).Elem()
}

func init() {
	pulumi.RegisterOutputType(ClientProofOutput{})
	pulumi.RegisterOutputType(ClientProofMapOutput{})
	pulumi.RegisterOutputType(ReplicaStatusOutput{})
	pulumi.RegisterOutputType(ReplicaReadMapOutput{})
}
