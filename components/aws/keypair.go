package aws

import (
	"errors"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ec2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// KeyPairType is the type token of KeyPair.
const KeyPairType = "mysql-client-server:aws:KeyPair"

// KeyPairArgs configures a KeyPair.
type KeyPairArgs struct {
	// PublicKey is the OpenSSH public key to register with EC2. Required.
	PublicKey pulumi.StringInput
	// NamePrefix starts the EC2 key pair's name, which EC2 cannot change
	// in place. Defaults to the component's name and a dash.
	NamePrefix string
}

// KeyPair registers the stack's public key with EC2, as the seed's key pair
// did by hand. Another public key replaces the EC2 key pair: the new one is
// made first, under a new name from the prefix, then the old one is
// deleted. Instances ignore the change (see NewInstance).
type KeyPair struct {
	pulumi.ResourceState

	// KeyName is the EC2 key pair name instances refer to.
	KeyName pulumi.StringOutput `pulumi:"keyName"`
	// Fingerprint is EC2's fingerprint of the key.
	Fingerprint pulumi.StringOutput `pulumi:"fingerprint"`
}

// NewKeyPair creates a KeyPair.
func NewKeyPair(ctx *pulumi.Context, name string, args *KeyPairArgs, opts ...pulumi.ResourceOption) (*KeyPair, error) {
	if args == nil || args.PublicKey == nil {
		return nil, errors.New("KeyPairArgs.PublicKey: required: an OpenSSH public key")
	}
	k := &KeyPair{}
	if err := ctx.RegisterComponentResource(KeyPairType, name, k, opts...); err != nil {
		return nil, err
	}
	prefix := args.NamePrefix
	if prefix == "" {
		prefix = name + "-"
	}
	kp, err := ec2.NewKeyPair(ctx, name, &ec2.KeyPairArgs{
		KeyNamePrefix: pulumi.String(prefix),
		PublicKey:     args.PublicKey,
		Tags:          pulumi.StringMap{"Name": pulumi.String(name)},
	}, pulumi.Parent(k))
	if err != nil {
		return nil, err
	}
	k.KeyName = kp.KeyName
	k.Fingerprint = kp.Fingerprint
	return k, ctx.RegisterResourceOutputs(k, pulumi.Map{
		"keyName": k.KeyName, "fingerprint": k.Fingerprint,
	})
}
