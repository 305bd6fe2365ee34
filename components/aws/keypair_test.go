package aws

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

const testPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGkNmGlDfgR9kXvGg7qbhxKo0Vt0UZ1lHq6m4Zx0mZbP test"

func TestKeyPairRegistersThePublicKeyWithEC2(t *testing.T) {
	m := mocktest.New(t)
	var keyName, fingerprint mocktest.Awaited
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		k, err := NewKeyPair(ctx, "kp", &KeyPairArgs{PublicKey: pulumi.String(testPublicKey)})
		if err != nil {
			return err
		}
		if keyName, err = mocktest.Await(ctx, k.KeyName); err != nil {
			return err
		}
		fingerprint, err = mocktest.Await(ctx, k.Fingerprint)
		return err
	})
	require.NoError(t, err)

	comp, ok := m.Named(KeyPairType, "kp")
	require.True(t, ok, "the component is registered")
	assert.False(t, comp.Custom)

	kps := m.OfType("aws:ec2/keyPair:KeyPair")
	require.Len(t, kps, 1)
	kp := kps[0]
	assert.Equal(t, "kp", kp.Name)
	pub, _ := mocktest.Str(kp.Inputs, "publicKey")
	assert.Equal(t, testPublicKey, pub, "EC2 gets the stack's public key")
	prefix, _ := mocktest.Str(kp.Inputs, "keyNamePrefix")
	assert.Equal(t, "kp-", prefix)
	assert.Equal(t, "kp", kp.Inputs["tags"].ObjectValue()["Name"].StringValue())
	assert.Contains(t, kp.Parent, KeyPairType, "the EC2 key pair is parented to the component")
	assert.True(t, strings.HasSuffix(kp.Parent, KeyPairType+"::kp"), "parent is this component: %s", kp.Parent)

	assert.Equal(t, "kp-key", keyName.Value, "KeyName is the EC2 key pair's name")
	assert.Equal(t, "mock-fingerprint", fingerprint.Value)
}

func TestKeyPairWithoutPublicKeyFailsBeforeAnythingIsRegistered(t *testing.T) {
	for name, args := range map[string]*KeyPairArgs{"nil args": nil, "no public key": {}} {
		t.Run(name, func(t *testing.T) {
			m := mocktest.New(t)
			err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
				_, err := NewKeyPair(ctx, "kp", args)
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "KeyPairArgs.PublicKey")
			assert.Empty(t, m.Resources())
		})
	}
}
