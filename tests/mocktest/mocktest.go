// Package mocktest supports the wiring tests: plain Pulumi mocks that record
// every registered resource, with its parent and dependencies, and give the
// outputs a real deployment would (addresses, a generated key, a version).
// A command prints what a test answers for it with On, else its standard
// answer (commands.go); one that neither answers fails the program.
package mocktest

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"golang.org/x/crypto/ssh"
)

// Resource is one registration the program made.
type Resource struct {
	Type, Name, URN, Parent string
	Custom                  bool
	Inputs                  resource.PropertyMap
	State                   resource.PropertyMap
	Dependencies            []string
	// Provider is the provider reference ("<provider URN>::<id>") the
	// resource was registered with, as the SDK passes it to the mocks.
	Provider string
	// IgnoreChanges, Protect, RetainOnDelete, DeleteBeforeReplace and
	// DeletedWith (a URN) are the resource options the resource was
	// registered with.
	IgnoreChanges                                []string
	Protect, RetainOnDelete, DeleteBeforeReplace bool
	DeletedWith                                  string
	// ImportID is the id of the existing resource the registration adopts
	// (the import option), or empty.
	ImportID string
	// ReplaceOnChanges and AdditionalSecretOutputs are resource options too
	// (an SDK may add some: pulumi-command's "triggers[*]").
	ReplaceOnChanges, AdditionalSecretOutputs []string
	// PropertyDependencies are, per input, the URNs of the resources its
	// value came from.
	PropertyDependencies map[string][]string
	// Aliases are the aliases the resource was registered with, as the
	// program gave them (the engine, not the SDK, adds those inherited from
	// a parent's).
	Aliases []Alias
}

// Alias is one of a resource's aliases: a whole URN, or a spec, of which
// the name and whether it names a resource without a parent are recorded
// (a spec without a parent is the resource's current parent).
type Alias struct {
	URN, Name string
	NoParent  bool
}

// Mocks is a pulumi.MockResourceMonitor that records registrations.
type Mocks struct {
	mu        sync.Mutex
	resources []Resource
	calls     []pulumi.MockCallArgs
	nextIP    int
	// addresses are the instances' public and private addresses and ids,
	// by name, as made in this run (given by NextRun for those of the last).
	addresses, lastAddresses map[string][3]string
	// PrivateKey is what the key generator (<name>-generate, keypair.New's)
	// prints.
	PrivateKey string
	// HostPrivateKey is what a host key generator (<name>-host-key) prints.
	HostPrivateKey string
	// SSHDPrivateKey is what the generator of the host key an instance's
	// ssh-access step installs (<name>-sshd-key) prints.
	SSHDPrivateKey string
	// CACert is the CA certificate (PEM) the server install prints, made
	// when the Mocks are; CANotBefore is its NotBefore.
	CACert      string
	CANotBefore time.Time
	// t is the test's, for On; on are On's answers, standard the standard
	// answers (standardAnswers).
	t        testing.TB
	on       []onAnswer
	standard []standardAnswer
}

// CertificateExpiry is the server certificate expiry the server install
// prints under these mocks.
const CertificateExpiry = "2029-03-03T10:00:00Z"

// NewPrivateKey is a fresh ed25519 private key, in OpenSSH form.
func NewPrivateKey(t testing.TB) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "mock")
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}

// New returns Mocks with fresh ed25519 keys for the key generators and the
// standard answers registered.
func New(t testing.TB) *Mocks {
	key := func() string { return NewPrivateKey(t) }
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	notBefore := time.Now().Add(-time.Hour).Truncate(time.Second).UTC()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mysql-client-server CA"},
		NotBefore: notBefore, NotAfter: notBefore.Add(3650 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	ca := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return &Mocks{PrivateKey: key(), HostPrivateKey: key(), SSHDPrivateKey: key(), CACert: ca, CANotBefore: notBefore,
		t: t, standard: standardAnswers}
}

// NextRun returns Mocks for a second run of the program on the same stack:
// what was generated once (keys, the CA) is the same, and an instance of
// the same name keeps its addresses and id, as one that is not replaced
// does, and the commands have the same answers (On's too). It records the
// second run's registrations only.
func (m *Mocks) NextRun() *Mocks {
	m.mu.Lock()
	defer m.mu.Unlock()
	last := map[string][3]string{}
	for k, v := range m.addresses {
		last[k] = v
	}
	return &Mocks{nextIP: m.nextIP, lastAddresses: last, PrivateKey: m.PrivateKey, HostPrivateKey: m.HostPrivateKey,
		SSHDPrivateKey: m.SSHDPrivateKey, CACert: m.CACert, CANotBefore: m.CANotBefore,
		t: m.t, on: append([]onAnswer(nil), m.on...), standard: m.standard}
}

// instanceAddresses are an instance's public and private address and id:
// its last run's, else new ones.
func (m *Mocks) instanceAddresses(name string) [3]string {
	a, ok := m.lastAddresses[name]
	if !ok {
		m.nextIP++
		a = [3]string{fmt.Sprintf("203.0.113.%d", m.nextIP), fmt.Sprintf("172.31.0.%d", m.nextIP), fmt.Sprintf("i-%017d", m.nextIP)}
	}
	if m.addresses == nil {
		m.addresses = map[string][3]string{}
	}
	m.addresses[name] = a
	return a
}

// NewResource records the registration and returns plausible state: a
// command prints what its answer says (On, the standard answers), and one
// no answer matches fails (the error names it).
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	state := args.Inputs.Copy()
	id := args.Name + "_id"
	if args.TypeToken == LocalCommand || args.TypeToken == RemoteCommand {
		// Outside the lock: an answer may read the Mocks.
		stdout, err := m.answer(args)
		if err != nil {
			return "", nil, err
		}
		state["stdout"] = resource.NewStringProperty(stdout)
		state["stderr"] = resource.NewStringProperty("")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	switch args.TypeToken {
	case "aws:ec2/instance:Instance":
		a := m.instanceAddresses(args.Name)
		state["publicIp"] = resource.NewStringProperty(a[0])
		state["privateIp"] = resource.NewStringProperty(a[1])
		id = a[2]
	case "aws:ec2/keyPair:KeyPair":
		state["keyName"] = resource.NewStringProperty(args.Name + "-key")
		state["fingerprint"] = resource.NewStringProperty("mock-fingerprint")
	case "aws:ec2/securityGroup:SecurityGroup":
		id = "sg-" + args.Name
	case "aws:s3/bucketV2:BucketV2":
		// A bucket prefix gets a suffix, as S3 names it; a named bucket
		// (an imported one) is its name.
		prefix, _ := Str(args.Inputs, "bucketPrefix")
		id = prefix + "0123456789"
		if named, ok := Str(args.Inputs, "bucket"); ok && named != "" {
			id = named
		}
		state["bucket"] = resource.NewStringProperty(id)
		state["arn"] = resource.NewStringProperty("arn:aws:s3:::" + id)
		state["region"] = resource.NewStringProperty("us-east-1")
	case "aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile":
		state["name"] = resource.NewStringProperty(args.Name + "-1234567")
		state["arn"] = resource.NewStringProperty("arn:aws:iam::123456789012:role/" + args.Name + "-1234567")
	}
	r := Resource{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Inputs: args.Inputs, State: state, Provider: args.Provider}
	if rpc := args.RegisterRPC; rpc != nil {
		r.withOptions(rpc)
	}
	m.resources = append(m.resources, r)
	return id, state, nil
}

// withOptions records the registration's options, and makes the outputs
// it lists in additionalSecretOutputs secret, as the engine does.
func (r *Resource) withOptions(rpc *pulumirpc.RegisterResourceRequest) {
	r.Parent = rpc.GetParent()
	r.Dependencies = rpc.GetDependencies()
	r.IgnoreChanges = rpc.GetIgnoreChanges()
	r.Protect = rpc.GetProtect()
	r.RetainOnDelete = rpc.GetRetainOnDelete()
	r.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
	r.DeletedWith = rpc.GetDeletedWith()
	r.ImportID = rpc.GetImportId()
	r.URN = fmt.Sprintf("%s::%s", rpc.GetType(), rpc.GetName())
	r.ReplaceOnChanges = rpc.GetReplaceOnChanges()
	r.AdditionalSecretOutputs = rpc.GetAdditionalSecretOutputs()
	r.PropertyDependencies = map[string][]string{}
	for k, deps := range rpc.GetPropertyDependencies() {
		r.PropertyDependencies[k] = deps.GetUrns()
	}
	for _, urn := range rpc.GetAliasURNs() {
		r.Aliases = append(r.Aliases, Alias{URN: urn})
	}
	for _, a := range rpc.GetAliases() {
		if spec := a.GetSpec(); spec != nil {
			r.Aliases = append(r.Aliases, Alias{Name: spec.GetName(), NoParent: spec.GetNoParent()})
		} else {
			r.Aliases = append(r.Aliases, Alias{URN: a.GetUrn()})
		}
	}
	for _, k := range r.AdditionalSecretOutputs {
		if v, ok := r.State[resource.PropertyKey(k)]; ok && !v.IsSecret() {
			r.State[resource.PropertyKey(k)] = resource.MakeSecret(v)
		}
	}
}

// Call answers invokes: the Ubuntu AMI lookup returns a fixed image, the
// default VPC lookup vpc-0defa017 and its default subnets two ids.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, args)
	switch args.Token {
	case "aws:ec2/getAmi:getAmi":
		return resource.PropertyMap{"id": resource.NewStringProperty("ami-0123456789abcdef0")}, nil
	case "aws:ec2/getVpc:getVpc":
		return resource.PropertyMap{"id": resource.NewStringProperty("vpc-0defa017")}, nil
	case "aws:ec2/getSubnets:getSubnets":
		// Not sorted, as EC2 answers.
		return resource.PropertyMap{"ids": resource.NewArrayProperty([]resource.PropertyValue{
			resource.NewStringProperty("subnet-0bbbbbbbbbbbbbbbb"), resource.NewStringProperty("subnet-0aaaaaaaaaaaaaaaa"),
		})}, nil
	}
	return resource.PropertyMap{}, nil
}

// Resources returns the registrations so far.
func (m *Mocks) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Resource(nil), m.resources...)
}

// Calls returns the invokes so far.
func (m *Mocks) Calls() []pulumi.MockCallArgs {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]pulumi.MockCallArgs(nil), m.calls...)
}

// OfType returns the registrations of one type token.
func (m *Mocks) OfType(token string) []Resource {
	var out []Resource
	for _, r := range m.Resources() {
		if r.Type == token {
			out = append(out, r)
		}
	}
	return out
}

// Named returns the registration with the given name and type.
func (m *Mocks) Named(token, name string) (Resource, bool) {
	for _, r := range m.OfType(token) {
		if r.Name == name {
			return r, true
		}
	}
	return Resource{}, false
}

// Str reads a string input, unwrapping a secret; ok is false when it is
// missing or not a string.
func Str(pm resource.PropertyMap, key string) (string, bool) {
	v, ok := pm[resource.PropertyKey(key)]
	if !ok {
		return "", false
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return "", false
	}
	return v.StringValue(), true
}

// Run runs program under the mocks with the given project config (keys
// without namespace get "mysql-client-server:"); secretKeys are marked
// secret.
func Run(t testing.TB, m *Mocks, config map[string]string, secretKeys []string, program pulumi.RunFunc) error {
	cfg := map[string]string{}
	for k, v := range config {
		if !strings.Contains(k, ":") {
			k = "mysql-client-server:" + k
		}
		cfg[k] = v
	}
	var secrets []string
	for _, k := range secretKeys {
		secrets = append(secrets, "mysql-client-server:"+k)
	}
	b, _ := json.Marshal(cfg)
	s, _ := json.Marshal(secrets)
	if t, ok := t.(interface{ Setenv(string, string) }); ok {
		t.Setenv("PULUMI_CONFIG", string(b))
		t.Setenv("PULUMI_CONFIG_SECRET_KEYS", string(s))
	}
	return pulumi.RunErr(program, pulumi.WithMocks("mysql-client-server", "test", m))
}

// Awaited is an output's resolved value.
type Awaited struct {
	Value  any
	Known  bool
	Secret bool
}

// Await resolves an output inside a running program.
func Await(ctx *pulumi.Context, o pulumi.Output) (Awaited, error) {
	r, err := internals.UnsafeAwaitOutput(ctx.Context(), o)
	return Awaited{Value: r.Value, Known: r.Known, Secret: r.Secret}, err
}

// Plain returns v without its secret wrapper (v itself when it is not
// secret), and whether it was secret.
func Plain(v resource.PropertyValue) (resource.PropertyValue, bool) {
	if v.IsSecret() {
		return v.SecretValue().Element, true
	}
	return v, false
}

// Object reads an object input, unwrapping a secret; ok is false when it is
// missing or not an object.
func Object(pm resource.PropertyMap, key string) (resource.PropertyMap, bool) {
	v, ok := pm[resource.PropertyKey(key)]
	if !ok {
		return nil, false
	}
	v, _ = Plain(v)
	if !v.IsObject() {
		return nil, false
	}
	return v.ObjectValue(), true
}

// ReplaceOn names, per type token, the inputs whose change makes the
// provider replace a resource instead of updating it (its schema's
// force-new fields), such as ec2.Instance's ami, keyName, subnetId and
// availabilityZone.
type ReplaceOn map[string][]string

// Change is what a second run does to one custom resource of the first.
type Change struct {
	// URN is the resource's "type::name".
	URN string
	// Replace says the resource is replaced; DeleteFirst, that the old one
	// is deleted before the new one is created (DeleteBeforeReplace), else
	// the new one is created first.
	Replace, DeleteFirst bool
	// Fields are the inputs that changed, sorted.
	Fields []string
}

// Plan is what the engine would do to the first run's custom resources
// (before) for the second run's (after), given the providers' force-new
// fields: an input listed in IgnoreChanges keeps its old value; an input
// whose value comes from a replaced resource counts as changed (the engine
// sees it unknown until the replacement is made); a changed force-new field
// or one of the resource's ReplaceOnChanges replaces it, any other change
// updates it. Resources of one run only (created, deleted) are left out.
func Plan(before, after []Resource, rules ReplaceOn) []Change {
	old := map[string]Resource{}
	for _, r := range before {
		old[r.URN] = r
	}
	replaced := map[string]bool{}
	var changes []Change
	for again := true; again; {
		again, changes = false, nil
		for _, r := range after {
			o, ok := old[r.URN]
			if !ok || !r.Custom {
				continue
			}
			c := diff(o, r, rules[r.Type], replaced)
			if c.Replace && !replaced[r.URN] {
				replaced[r.URN], again = true, true
			}
			if len(c.Fields) > 0 {
				changes = append(changes, c)
			}
		}
	}
	return changes
}

// diff is one resource's change, given the resources replaced so far.
func diff(o, r Resource, forceNew []string, replaced map[string]bool) Change {
	c := Change{URN: r.URN, DeleteFirst: r.DeleteBeforeReplace}
	keys := map[resource.PropertyKey]bool{}
	for k := range o.Inputs {
		keys[k] = true
	}
	for k := range r.Inputs {
		keys[k] = true
	}
	for k := range keys {
		field := string(k)
		if contains(r.IgnoreChanges, field) {
			continue
		}
		changed := !deepPlain(o.Inputs[k]).DeepEquals(deepPlain(r.Inputs[k]))
		for _, dep := range r.PropertyDependencies[field] {
			changed = changed || replaced[urnKey(dep)]
		}
		if !changed {
			continue
		}
		c.Fields = append(c.Fields, field)
		if contains(forceNew, field) || replaceOnChanges(r.ReplaceOnChanges, field) {
			c.Replace = true
		}
	}
	sort.Strings(c.Fields)
	return c
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// replaceOnChanges says whether a ReplaceOnChanges path ("triggers[*]")
// names the top-level input field.
func replaceOnChanges(paths []string, field string) bool {
	for _, p := range paths {
		if p == "*" || strings.FieldsFunc(p, func(r rune) bool { return r == '[' || r == '.' })[0] == field {
			return true
		}
	}
	return false
}

// urnKey is a full URN's "type::name", as Resource.URN has it.
func urnKey(urn string) string {
	parts := strings.SplitN(urn, "::", 4)
	if len(parts) < 4 {
		return urn
	}
	types := strings.Split(parts[2], "$")
	return types[len(types)-1] + "::" + parts[3]
}

// deepPlain is v with every secret unwrapped, at any depth.
func deepPlain(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return deepPlain(v.SecretValue().Element)
	case v.IsObject():
		pm := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			pm[k] = deepPlain(e)
		}
		return resource.NewObjectProperty(pm)
	case v.IsArray():
		var a []resource.PropertyValue
		for _, e := range v.ArrayValue() {
			a = append(a, deepPlain(e))
		}
		return resource.NewArrayProperty(a)
	}
	return v
}

// PlainStrings returns every string in pm that is not under a secret, by
// its path (such as "environment.MCS_HOST_KEY" or "triggers[0]").
func PlainStrings(pm resource.PropertyMap) map[string]string {
	out := map[string]string{}
	var walk func(path string, v resource.PropertyValue)
	walk = func(path string, v resource.PropertyValue) {
		switch {
		case v.IsSecret():
		case v.IsString():
			out[path] = v.StringValue()
		case v.IsObject():
			for k, e := range v.ObjectValue() {
				walk(path+"."+string(k), e)
			}
		case v.IsArray():
			for i, e := range v.ArrayValue() {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	for k, v := range pm {
		walk(string(k), v)
	}
	return out
}
