package local

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/names"
)

// ReaderPort is the read-only gateway's port, on the reading host's own
// loopback.
const ReaderPort = 7071

// RestoreNetns is the restore host's network namespace.
func (p *Platform) RestoreNetns() string { return fmt.Sprintf("mcs-%s-x", p.id()) }

// restoreAddress is the restore host's address: the subnet's .8, below the
// store's.
func (p *Platform) restoreAddress() netip.Addr { return p.storeAddress().Prev() }

// storeReader gives spec.Reader, where there is one, read-only access to
// the store: a gateway of its own (versitygw --readonly) over the store's
// directory, with credentials of its own, on that host's loopback only.
// Nil without a reader.
func (p *Platform) storeReader(ctx *pulumi.Context, st *Store, name string, spec host.StoreSpec, gateway string,
	after []pulumi.Resource) (*host.StoreAccess, error) {
	if spec.Reader == nil {
		return nil, nil
	}
	h, ok := p.hosts[spec.Reader]
	if !ok {
		return nil, errors.New("local.Platform.NewStore: the reader host was not made by this platform")
	}
	rname := names.Host(st, spec.Reader.Name) + "-reader"
	access, secret, err := storeKeys(ctx, st, rname)
	if err != nil {
		return nil, err
	}
	env := pulumi.StringMap{
		"MCS_NETNS": pulumi.String(h.NetnsName), "MCS_STORE_DIR": pulumi.String(p.storeDir(spec.Name)),
		"MCS_STORE_PORT": pulumi.String(fmt.Sprint(ReaderPort)), "MCS_VERSITYGW": pulumi.String(gateway),
	}
	serve, err := local.NewCommand(ctx, rname, &local.CommandArgs{
		Create: storeScript("store-reader.sh"), Delete: storeScript("store-reader-stop.sh"), Environment: env,
		Stdin:       pulumi.ToSecret(pulumi.Sprintf("%s\n%s\n", access, secret)).(pulumi.StringOutput),
		Interpreter: bashC,
	}, pulumi.Parent(st), pulumi.DependsOn(append([]pulumi.Resource{h}, after...)), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}
	return &host.StoreAccess{
		Endpoint:  pulumi.String(fmt.Sprintf("http://127.0.0.1:%d", ReaderPort)).ToStringOutput(),
		AccessKey: access, SecretKey: secret, CACert: pulumi.String("").ToStringOutput(), Ready: []pulumi.Resource{serve},
	}, nil
}
