package aws

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"golang.org/x/crypto/ssh"

	"github.com/mysql-client-server/mysql-client-server/components/internal/generate"
)

// hostKeys are an instance's two SSH host keys, each generated once by the
// program and kept in the state as a secret.
//
// The first goes to cloud-init in the user data, so that the first contact
// is pinned too; but the user data is readable from the instance's metadata
// service and through ec2:DescribeInstanceAttribute, so that key only lasts
// until the instance's ssh-access step replaces it with the second, which
// never leaves the state but on that step's standard input. Every
// connection after that pins the second (Host.HostKey, the hostKeys output).
type hostKeys struct {
	// firstPrivate is the user-data key (a secret); firstPublic its public
	// half, in authorized_keys form.
	firstPrivate, firstPublic pulumi.StringOutput
	// pinnedPrivate is the key ssh-access installs (a secret); pinnedPublic
	// its public half.
	pinnedPrivate, pinnedPublic pulumi.StringOutput
}

// newHostKeys generates name's host keys: <name>-host-key (the user-data
// key, as before) and <name>-sshd-key.
func newHostKeys(ctx *pulumi.Context, name string, opts ...pulumi.ResourceOption) (*hostKeys, error) {
	first, err := generate.Once(ctx, name+"-host-key", generate.SSHKey, opts...)
	if err != nil {
		return nil, err
	}
	pinned, err := generate.Once(ctx, name+"-sshd-key", generate.SSHKey, opts...)
	if err != nil {
		return nil, err
	}
	return &hostKeys{
		firstPrivate: first, firstPublic: publicHalf(first),
		pinnedPrivate: pinned, pinnedPublic: publicHalf(pinned),
	}, nil
}

// publicHalf is a private key's public half, in authorized_keys form. It is
// no secret: hostKeys is read by make ssh and make client (pulumi stack
// output --json would print "[secret]").
func publicHalf(private pulumi.StringOutput) pulumi.StringOutput {
	return pulumi.Unsecret(private.ApplyT(func(k string) (string, error) {
		signer, err := ssh.ParsePrivateKey([]byte(k))
		if err != nil {
			return "", fmt.Errorf("the generated host key: %w", err)
		}
		return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey()))), nil
	})).(pulumi.StringOutput)
}

// userData is the instance's user data (a secret): the first key only.
func (k *hostKeys) userData() pulumi.StringOutput {
	return pulumi.ToSecret(pulumi.All(k.firstPrivate, k.firstPublic).ApplyT(func(v []interface{}) string {
		return CloudConfig(v[0].(string), v[1].(string))
	})).(pulumi.StringOutput)
}

// CloudConfig is the instance's user data: cloud-init replaces the image's
// host keys with the given ed25519 key (private in OpenSSH form, public in
// authorized_keys form) at the first boot, and makes no others. That key
// only serves the first contact (see NewInstance).
func CloudConfig(private, public string) string {
	var b strings.Builder
	b.WriteString("#cloud-config\n# Managed by mysql-client-server: the SSH host key the stack pins.\n")
	b.WriteString("ssh_deletekeys: true\nssh_genkeytypes: []\nssh_keys:\n  ed25519_private: |\n")
	for _, line := range strings.Split(strings.TrimSpace(private), "\n") {
		b.WriteString("    " + line + "\n")
	}
	b.WriteString("  ed25519_public: " + public + "\n")
	return b.String()
}
