package mysql

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
)

// VerifyType is the type token of Verify.
const VerifyType = "mysql-client-server:mysql:MySQLVerify"

// VerifyArgs configures a Verify.
type VerifyArgs struct {
	// Client is the client host to prove the connection from. Required.
	Client *host.Host
	// Server is the server. Required.
	Server *Server
	// Account is the account CURRENT_USER() must show: user@client-address.
	// Required.
	Account pulumi.StringInput
	// Run changes to re-run the proof (for example a timestamp); the proof
	// otherwise runs once, when created, so an unchanged `pulumi up` reports
	// no change because of it.
	Run pulumi.StringInput
	// After are the resources the proof waits for: the account, the
	// client's ~/.my.cnf, the ingress.
	After []pulumi.Resource
	// Password re-runs the proof when it changes (a rotation). Only a secret
	// SHA-256 of it is kept, in the command's triggers.
	Password pulumi.StringInput
}

// ClientProof is what Verify measured on a client's login.
type ClientProof struct {
	// ServerVersion is the server's VERSION().
	ServerVersion string `json:"serverVersion" pulumi:"serverVersion"`
	// TLSVersion is the session's TLS version, empty for plaintext.
	TLSVersion string `json:"tlsVersion" pulumi:"tlsVersion"`
	// Cipher is the session's TLS cipher.
	Cipher string `json:"cipher" pulumi:"cipher"`
	// CurrentUser is CURRENT_USER().
	CurrentUser string `json:"currentUser" pulumi:"currentUser"`
	// RoundTripMs is the proof session's time in milliseconds: connect, TLS
	// handshake, login and its queries.
	RoundTripMs int `json:"roundTripMs" pulumi:"roundTripMs"`
}

// Verify proves, on a client, after everything is configured, that the
// client's login user connects with a plain `mysql` (TLS with verification
// by default) as its account. It fails `pulumi up` with a diagnosis that
// names the layer and the fix, followed by the MySQL error text.
type Verify struct {
	pulumi.ResourceState

	// Proof is the parsed proof.
	Proof ClientProofOutput `pulumi:"proof"`
	// ProofJSON is the proof as the client printed it.
	ProofJSON pulumi.StringOutput `pulumi:"proofJson"`
}

// fingerprint is a secret SHA-256 of a secret, or "" when there is none.
// It is secret once known; while the secret is unknown (a preview's
// generated password) it is a plain unknown, which reveals nothing: the
// command plugin turns an unknown secret in its triggers into a secret
// without a value, and the preview fails ("malformed RPC secret: missing
// value for \"triggers\"").
func fingerprint(secret pulumi.StringInput) pulumi.StringOutput {
	if secret == nil {
		return pulumi.String("").ToStringOutput()
	}
	plain := pulumi.Unsecret(secret.ToStringOutput()).(pulumi.StringOutput)
	return plain.ApplyT(func(s string) pulumi.StringOutput {
		h := sha256.Sum256([]byte(s))
		return pulumi.ToSecret(pulumi.String(hex.EncodeToString(h[:]))).(pulumi.StringOutput)
	}).(pulumi.StringOutput)
}

// ParseProof reads the JSON line verify.sh prints.
func ParseProof(s string) (ClientProof, error) {
	var p ClientProof
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return p, fmt.Errorf("the proof is not JSON: %q", s)
	}
	return p, nil
}

// NewVerify creates a Verify.
func NewVerify(ctx *pulumi.Context, name string, args *VerifyArgs, opts ...pulumi.ResourceOption) (*Verify, error) {
	switch {
	case args == nil || args.Client == nil:
		return nil, errors.New("VerifyArgs.Client: required: the client host")
	case args.Server == nil:
		return nil, errors.New("VerifyArgs.Server: required: the server")
	case args.Account == nil:
		return nil, errors.New("VerifyArgs.Account: required: user@client-address")
	}
	v := &Verify{}
	if err := ctx.RegisterComponentResource(VerifyType, name, v, opts...); err != nil {
		return nil, err
	}
	run := args.Run
	if run == nil {
		run = pulumi.String("")
	}
	requireTLS := args.Server.RequireTLS.ApplyT(func(b bool) string { return string(onOff(!b)) }).(pulumi.StringOutput)
	cmd, err := hostCommand(ctx, v, name+"-proof", args.Client, &remote.CommandArgs{
		Create: runAsLogin("verify.sh", map[string]pulumi.StringInput{
			"MCS_EXPECT_ACCOUNT": args.Account,
			"MCS_SERVER":         args.Server.Address,
			"MCS_PORT":           args.Server.portEnv(),
			"MCS_REQUIRE_TLS":    requireTLS,
		}),
		Triggers: pulumi.Array{run, fingerprint(args.Password)},
	}, pulumi.DependsOn(args.After))
	if err != nil {
		return nil, err
	}
	v.ProofJSON = cmd.Stdout
	v.Proof = cmd.Stdout.ApplyT(ParseProof).(ClientProofOutput)
	return v, ctx.RegisterResourceOutputs(v, pulumi.Map{"proof": v.Proof, "proofJson": v.ProofJSON})
}
