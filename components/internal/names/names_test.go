package names

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// component is a parent for the names to derive from.
type component struct{ pulumi.ResourceState }

// withParents runs body under mocks with registered components named
// "mysql" and "cs", and returns the mocks.
func withParents(t *testing.T, body func(ctx *pulumi.Context, mysql, cs pulumi.Resource) error) *mocktest.Mocks {
	t.Helper()
	m := mocktest.New(t)
	require.NoError(t, mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		mysql, cs := &component{}, &component{}
		if err := ctx.RegisterComponentResource("test:index:Parent", "mysql", mysql); err != nil {
			return err
		}
		if err := ctx.RegisterComponentResource("test:index:Parent", "cs", cs); err != nil {
			return err
		}
		return body(ctx, mysql, cs)
	}))
	return m
}

func TestOfAndOfHostDeriveFromTheParentsName(t *testing.T) {
	assert.Equal(t, "server", Of(nil, "server"), "at the top level, what alone")
	assert.Equal(t, "mysql_client-user", OfHost(nil, "mysql_client", "user"))
	withParents(t, func(_ *pulumi.Context, mysql, cs pulumi.Resource) error {
		assert.Equal(t, "mysql-server", Of(mysql, "server"), "the name an earlier version gave, under \"mysql\"")
		assert.Equal(t, "cs-server", Of(cs, "server"))
		assert.Equal(t, "cs-closed-to-operator", Of(cs, "closed-to-operator"))
		assert.Equal(t, "mysql_client-mysql-user", OfHost(mysql, "mysql_client", "user"))
		assert.Equal(t, "mysql_client-cs-user", OfHost(cs, "mysql_client", "user"))
		assert.Equal(t, "mysql_replica_1-cs-replica", OfHost(cs, "mysql_replica_1", "replica"))
		return nil
	})
}

func TestHostKeepsANameThatStartsWithTheParents(t *testing.T) {
	assert.Equal(t, "app1", Host(nil, "app1"), "at the top level, the host's name")
	assert.Equal(t, "mysql_server", Host(nil, "mysql_server"))
	withParents(t, func(_ *pulumi.Context, mysql, cs pulumi.Resource) error {
		for _, c := range []struct {
			parent     pulumi.Resource
			host, want string
		}{
			{mysql, "mysql_server", "mysql_server"},       // kept: "<parent>_..."
			{mysql, "mysql_replica_1", "mysql_replica_1"}, // kept
			{mysql, "app1", "mysql-app1"},                 // prefixed
			{mysql, "mysqlx", "mysql-mysqlx"},             // the parent's name, but no underscore
			{mysql, "mysql-server", "mysql-mysql-server"}, // a dash is no underscore
			{mysql, "mysql", "mysql-mysql"},               // the parent's name alone
			{cs, "mysql_server", "cs-mysql_server"},       // another parent's prefix
			{cs, "cs_db", "cs_db"},                        // kept
			{cs, "app1", "cs-app1"},
		} {
			assert.Equal(t, c.want, Host(c.parent, c.host), "%s under %s", c.host, c.parent.PulumiResourceName())
		}
		return nil
	})
}

func TestWasAliasesTheOldNameOnlyWhenItDiffers(t *testing.T) {
	opts, err := pulumi.NewResourceOptions(Was("mysql-server", "mysql-server"))
	require.NoError(t, err)
	assert.Empty(t, opts.Aliases, "no alias when the name is the old one")

	opts, err = pulumi.NewResourceOptions(Was("cs-server", "mysql-server"))
	require.NoError(t, err)
	require.Len(t, opts.Aliases, 1, "the old name, when it differs")
	a := opts.Aliases[0]
	assert.Equal(t, pulumi.String("mysql-server"), a.Name)
	assert.Nil(t, a.Parent, "under the same parent")
	assert.Nil(t, a.ParentURN)
	assert.Nil(t, a.NoParent)
	assert.Nil(t, a.URN)
	assert.Nil(t, a.Type, "of the same type")

	opts, err = pulumi.NewResourceOptions(WasTopLevel("mysql_server-mysql-scripts"))
	require.NoError(t, err)
	require.Len(t, opts.Aliases, 1)
	assert.Equal(t, pulumi.String("mysql_server-mysql-scripts"), opts.Aliases[0].Name)
	assert.Equal(t, pulumi.Bool(true), opts.Aliases[0].NoParent, "made with no parent")

	// What the engine is told, for children of a parent.
	m := withParents(t, func(ctx *pulumi.Context, mysql, cs pulumi.Resource) error {
		for _, c := range []struct {
			parent pulumi.Resource
			name   string
			opt    pulumi.ResourceOption
		}{
			{mysql, Of(mysql, "server"), Was(Of(mysql, "server"), "mysql-server")},
			{cs, Of(cs, "server"), Was(Of(cs, "server"), "mysql-server")},
			{cs, Of(cs, "scripts"), WasTopLevel("mysql_server-mysql-scripts")},
		} {
			if err := ctx.RegisterComponentResource("test:index:Child", c.name, &component{}, pulumi.Parent(c.parent), c.opt); err != nil {
				return err
			}
		}
		return nil
	})
	got := map[string][]mocktest.Alias{}
	for _, r := range m.Resources() {
		if r.Type == "test:index:Child" {
			got[r.Name] = r.Aliases
		}
	}
	assert.Equal(t, map[string][]mocktest.Alias{
		"mysql-server": nil, // the name is the old one
		"cs-server":    {{Name: "mysql-server"}},
		"cs-scripts":   {{Name: "mysql_server-mysql-scripts", NoParent: true}},
	}, got)
}
