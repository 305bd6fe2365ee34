package local

import (
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/generate"
	"github.com/mysql-client-server/mysql-client-server/components/internal/names"
)

// StoreType is the type token of Store.
const StoreType = "mysql-client-server:local:Store"

// The local store's S3 gateway.
const (
	// StorePort is the store's HTTPS port.
	StorePort = 7070
	// StoreBucket is the store's bucket.
	StoreBucket = "backups"
	// storeRegion is the region the gateway answers for (its default).
	storeRegion = "us-east-1"
)

// Store is the local platform's backup store: a host of its own (the
// subnet's .9) that runs versitygw, a real S3 gateway, over a directory
// under the stack's state directory, on TLS from the stack's CA, with a
// generated access key. Its port is open to the server only.
type Store struct {
	pulumi.ResourceState

	// Endpoint is the store's S3 endpoint.
	Endpoint pulumi.StringOutput `pulumi:"endpoint"`
	// DataDir is where the store keeps its objects on this machine.
	DataDir pulumi.StringOutput `pulumi:"dataDir"`
}

var _ host.Stores = (*Platform)(nil)

// CheckStore checks, before anything is created, that this machine has the
// store's gateway and the backup tools.
func (p *Platform) CheckStore() error {
	if !p.checkTools {
		return nil
	}
	for _, tool := range []string{"versitygw", "rclone", "zstd"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not on this machine's PATH: the local backup store needs it (make tools builds versitygw into .tools/bin; make deps installs rclone and zstd), "+
				"or turn backups off: pulumi config set backups off", tool)
		}
	}
	return nil
}

// StoreNetns is the backup store host's network namespace.
func (p *Platform) StoreNetns() string { return fmt.Sprintf("mcs-%s-s", p.id()) }

// storeAddress is the store's address: the subnet's .9, below the hosts'.
func (p *Platform) storeAddress() netip.Addr {
	a := p.subnet.Addr()
	for n := 0; n < firstHostOffset-1; n++ {
		a = a.Next()
	}
	return a
}

// storeDir is where the named store keeps its data on this machine, beside
// the hosts' directories: it outlives them.
func (p *Platform) storeDir(name string) string {
	return filepath.Join(p.StateDir, "backups", p.id()+"-"+name)
}

// NewStore makes the backup store host and runs the gateway on it.
func (p *Platform) NewStore(ctx *pulumi.Context, parent pulumi.Resource, spec host.StoreSpec) (*host.Store, error) {
	if spec.Server == nil || spec.Sign == nil || spec.Name == "" {
		return nil, errors.New("local.Platform.NewStore: Name, Server and Sign are required")
	}
	gateway := "versitygw" // not on PATH: store-serve.sh says so
	if path, err := exec.LookPath(gateway); err == nil {
		gateway, _ = filepath.Abs(path)
	}
	name := names.Host(parent, spec.Name)
	st := &Store{}
	if err := ctx.RegisterComponentResource(StoreType, name, st, pulumi.Parent(parent)); err != nil {
		return nil, err
	}
	h, err := p.storeHost(ctx, st, name, spec)
	if err != nil {
		return nil, err
	}
	access, secret, err := storeKeys(ctx, st, name)
	if err != nil {
		return nil, err
	}
	ready, err := p.serveStore(ctx, st, name, spec, h, gateway, access, secret)
	if err != nil {
		return nil, err
	}
	st.Endpoint = pulumi.String(fmt.Sprintf("https://%s:%d", p.storeAddress(), StorePort)).ToStringOutput()
	st.DataDir = pulumi.String(filepath.Join(p.storeDir(spec.Name), "data")).ToStringOutput()
	reader, err := p.storeReader(ctx, st, name, spec, gateway, ready)
	if err != nil {
		return nil, err
	}
	return &host.Store{
		Endpoint: st.Endpoint, Region: pulumi.String(storeRegion).ToStringOutput(),
		Bucket: pulumi.String(StoreBucket).ToStringOutput(), Prefix: pulumi.String(spec.Server.Name).ToStringOutput(),
		AccessKey: access, SecretKey: secret, CACert: spec.CACert.ToStringOutput(), Ready: ready, Reader: reader,
	}, ctx.RegisterResourceOutputs(st, pulumi.Map{"endpoint": st.Endpoint, "dataDir": st.DataDir})
}

// storeKeys generates a gateway's access key and secret key once, as st's
// children <name>-access-key and <name>-secret-key: secrets, stable.
func storeKeys(ctx *pulumi.Context, st *Store, name string) (access, secret pulumi.StringOutput, err error) {
	if access, err = generate.Once(ctx, name+"-access-key", generate.Password, pulumi.Parent(st)); err != nil {
		return access, secret, err
	}
	secret, err = generate.Once(ctx, name+"-secret-key", generate.Password, pulumi.Parent(st))
	return access, secret, err
}

// storeHost makes the store's namespace host, on this machine's own root.
func (p *Platform) storeHost(ctx *pulumi.Context, st *Store, name string, spec host.StoreSpec) (*Host, error) {
	h, err := NewHost(ctx, name+"-host", &HostArgs{
		Spec:            host.Spec{Name: spec.Name, Role: host.RoleStore},
		Netns:           p.StoreNetns(),
		Bridge:          p.bridge(),
		Veth:            fmt.Sprintf("mcs%ss", p.id()),
		Address:         p.storeAddress().String(),
		PrefixLength:    p.subnet.Bits(),
		OperatorAddress: p.OperatorAddress().String(),
		HostDir:         p.hostDir(spec.Name),
		PublicKey:       spec.Keys.PublicKey,
		PrivateKey:      spec.Keys.PrivateKey,
	}, pulumi.Parent(st), pulumi.DependsOn([]pulumi.Resource{spec.Keys.Resource}))
	if err != nil {
		return nil, err
	}
	if p.hosts == nil {
		p.hosts = map[*host.Host]*Host{}
	}
	p.hosts[h.Host] = h
	return h, nil
}

// serveStore signs the store's certificate with the stack's CA, runs the
// gateway, opens its port to the server only, and gives the MySQL image the
// backup tools. It returns what the server waits for.
func (p *Platform) serveStore(ctx *pulumi.Context, st *Store, name string, spec host.StoreSpec, h *Host,
	gateway string, access, secret pulumi.StringOutput) ([]pulumi.Resource, error) {
	dir := p.storeDir(spec.Name)
	address := pulumi.String(p.storeAddress().String())
	req, err := local.NewCommand(ctx, name+"-tls-request", &local.CommandArgs{
		Create:      script("store-tls.sh"),
		Environment: pulumi.StringMap{"MCS_STORE_DIR": pulumi.String(dir), "MCS_STORE_ADDRESS": address},
		Interpreter: bashC,
	}, pulumi.Parent(st), pulumi.DependsOn([]pulumi.Resource{h}))
	if err != nil {
		return nil, err
	}
	cert, err := spec.Sign(ctx, st, name+"-tls-sign", req.Stdout, address)
	if err != nil {
		return nil, err
	}
	keep := "no"
	if spec.KeepOnDestroy {
		keep = "yes"
	}
	serve, err := local.NewCommand(ctx, name+"-serve", &local.CommandArgs{
		Create: storeScript("store-serve.sh"),
		Delete: storeScript("store-stop.sh"),
		Environment: pulumi.StringMap{
			"MCS_NETNS": pulumi.String(h.NetnsName), "MCS_STORE_DIR": pulumi.String(dir), "MCS_STORE_ADDRESS": address,
			"MCS_STORE_PORT": pulumi.String(fmt.Sprint(StorePort)), "MCS_STORE_BUCKET": pulumi.String(StoreBucket),
			"MCS_TLS_CERT": cert, "MCS_TLS_CA": spec.CACert, "MCS_VERSITYGW": pulumi.String(gateway), "MCS_KEEP": pulumi.String(keep),
		},
		Stdin:       pulumi.ToSecret(pulumi.Sprintf("%s\n%s\n", access, secret)).(pulumi.StringOutput),
		Interpreter: bashC,
	}, pulumi.Parent(st))
	if err != nil {
		return nil, err
	}
	ingress, err := NewMySQLIngress(ctx, name+"-ingress", &MySQLIngressArgs{
		Server:          h,
		ClientAddresses: map[string]pulumi.StringInput{spec.Server.Name: spec.Server.PrivateAddress},
		SSHSources:      []string{p.OperatorAddress().String()},
		Port:            StorePort,
	}, pulumi.Parent(st))
	if err != nil {
		return nil, err
	}
	ready := []pulumi.Resource{serve, ingress}
	if p.imagePath != nil {
		tools, err := local.NewCommand(ctx, name+"-image-tools", &local.CommandArgs{
			Create:      script("image-tools.sh"),
			Environment: pulumi.StringMap{"MCS_IMAGE": p.imagePath},
			Interpreter: bashC,
		}, pulumi.Parent(st))
		if err != nil {
			return nil, err
		}
		ready = append(ready, tools)
	}
	return ready, nil
}
