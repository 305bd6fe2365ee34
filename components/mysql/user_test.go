package mysql

import (
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/internal/shell"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

const testPassword = "correct-horse-battery-staple"

type userOutputs struct{ name, host, account, database mocktest.Awaited }

// runUser creates a server host "srv", a Server "db" on it and a User "u"
// with name and database; the account's host is the client's private address.
func runUser(t *testing.T, name, database pulumi.StringInput) (*mocktest.Mocks, userOutputs) {
	t.Helper()
	m := newMocks(t)
	var out userOutputs
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		s, err := newTestServer(ctx)
		if err != nil {
			return err
		}
		u, err := NewUser(ctx, "u", &UserArgs{
			Server:   s,
			Name:     name,
			Host:     pulumi.String(clientPrivate),
			Password: pulumi.ToSecret(pulumi.String(testPassword)).(pulumi.StringOutput),
			Database: database,
		})
		if err != nil {
			return err
		}
		if u.Command == nil {
			t.Errorf("User.Command not set")
		}
		for _, f := range []struct {
			dst *mocktest.Awaited
			o   pulumi.Output
		}{{&out.name, u.Name}, {&out.host, u.Host}, {&out.account, u.Account}, {&out.database, u.Database}} {
			if *f.dst, err = mocktest.Await(ctx, f.o); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	return m, out
}

func TestUserRunsSQLOnTheServerWithThePasswordOnStdinOnly(t *testing.T) {
	m, out := runUser(t, pulumi.String("app"), pulumi.String("appdb"))

	_, ok := m.Named(UserType, "u")
	require.True(t, ok)
	cmd, ok := m.Named("command:remote:Command", "u-account")
	require.True(t, ok, "the account's command is <name>-account")
	assert.Contains(t, cmd.Parent, UserType, "parented to the User")
	// Create-before-delete would let the old resource's DROP USER remove the
	// account its replacement had just made.
	assert.True(t, cmd.DeleteBeforeReplace, "the account is one named object: the old one goes first")

	stdin, ok := cmd.Inputs["stdin"]
	require.True(t, ok, "the password goes on stdin")
	assert.True(t, stdin.IsSecret(), "stdin is secret")
	pw, _ := mocktest.Str(cmd.Inputs, "stdin")
	assert.Equal(t, testPassword, pw)

	create := str(t, cmd, "create")
	assert.NotContains(t, create, testPassword, "the password is not in the command line")
	assert.Contains(t, create, "MCS_USER='app'")
	assert.Contains(t, create, "MCS_USER_HOST='"+clientPrivate+"'")
	assert.Contains(t, create, "MCS_DATABASE='appdb'")
	assert.Contains(t, create, shell.Quote(scriptPath("user-apply.sh")))
	reRunsCreate(t, cmd, "a password change re-applies in place")

	del := str(t, cmd, "delete")
	assert.Contains(t, del, shell.Quote(scriptPath("user-delete.sh")), "delete drops the account")
	assert.Contains(t, del, "MCS_USER='app'")
	assert.Contains(t, del, "MCS_USER_HOST='"+clientPrivate+"'")
	assert.NotContains(t, del, testPassword)

	triggers, ok := cmd.Inputs["triggers"]
	require.True(t, ok, "a new name or host replaces the account")
	var got []string
	for _, v := range triggers.ArrayValue() {
		v, _ = mocktest.Plain(v)
		got = append(got, v.StringValue())
	}
	assert.Equal(t, []string{"app", clientPrivate}, got, "triggers are the name and the host")

	assert.True(t, dependsOn(cmd, "command:remote:Command", "db-install"), "created after the server is installed: %v", cmd.Dependencies)
	assert.True(t, dependsOn(cmd, "command:local:Command", "srv-ready"), "created after the server host is ready")
	c := connectionOf(t, cmd)
	assert.Equal(t, serverPublic, c.host, "the SQL runs on the server")
	assert.True(t, c.keySecret)

	assert.Equal(t, "app", out.name.Value)
	assert.Equal(t, clientPrivate, out.host.Value)
	assert.Equal(t, "app@"+clientPrivate, out.account.Value)
	assert.Equal(t, "appdb", out.database.Value)
}

// TestUserHostileNamesAreQuotedForTheShell: names full of shell and SQL
// punctuation reach the script as single, exactly quoted words.
func TestUserHostileNamesAreQuotedForTheShell(t *testing.T) {
	name := `o'brien"; DROP--$x\%`
	database := `it's $db; --x`
	m, out := runUser(t, pulumi.String(name), pulumi.String(database).ToStringOutput())
	cmd, ok := m.Named("command:remote:Command", "u-account")
	require.True(t, ok)
	create := str(t, cmd, "create")
	assert.Contains(t, create, "MCS_USER="+shell.Quote(name)+" ")
	assert.Contains(t, create, "MCS_DATABASE="+shell.Quote(database)+" ")
	assert.Contains(t, str(t, cmd, "delete"), "MCS_USER="+shell.Quote(name)+" ")
	assert.Equal(t, name+"@"+clientPrivate, out.account.Value)
}

func TestUserInvalidArgsFailNamingTheField(t *testing.T) {
	valid := func() *UserArgs {
		return &UserArgs{
			Server:   &Server{}, // never used: validation comes first
			Name:     pulumi.String("app"),
			Host:     pulumi.String(clientPrivate),
			Password: pulumi.String(testPassword),
			Database: pulumi.String("app"),
		}
	}
	cases := []struct {
		name  string
		edit  func(*UserArgs) *UserArgs
		field string
	}{
		{"nil args", func(*UserArgs) *UserArgs { return nil }, "UserArgs.Server: required"},
		{"no server", func(a *UserArgs) *UserArgs { a.Server = nil; return a }, "UserArgs.Server: required"},
		{"no host", func(a *UserArgs) *UserArgs { a.Host = nil; return a }, "UserArgs.Host: required"},
		{"no password", func(a *UserArgs) *UserArgs { a.Password = nil; return a }, "UserArgs.Password: required"},
		{"no name", func(a *UserArgs) *UserArgs { a.Name = nil; return a }, "UserArgs.Name: required"},
		{"no database", func(a *UserArgs) *UserArgs { a.Database = nil; return a }, "UserArgs.Database: required"},
		{"reserved name", func(a *UserArgs) *UserArgs { a.Name = pulumi.String("root"); return a }, "UserArgs.Name: \"root\" is reserved"},
		{"empty name", func(a *UserArgs) *UserArgs { a.Name = pulumi.String(""); return a }, "UserArgs.Name: is empty"},
		{"name with newline", func(a *UserArgs) *UserArgs { a.Name = pulumi.String("a\nb"); return a }, "UserArgs.Name: contains NUL or a line break"},
		{"database with slash", func(a *UserArgs) *UserArgs { a.Database = pulumi.String("a/b"); return a }, "UserArgs.Database: contains"},
		{"database with dot", func(a *UserArgs) *UserArgs { a.Database = pulumi.String("a.b"); return a }, "UserArgs.Database: contains"},
		{"short password", func(a *UserArgs) *UserArgs { a.Password = pulumi.String("short"); return a }, "UserArgs.Password: is too short"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			requireArgError(t, tc.field, func(ctx *pulumi.Context) error {
				_, err := NewUser(ctx, "u", tc.edit(valid()))
				return err
			})
		})
	}
}

// TestUserInvalidValuesKnownLaterFailTheDeployment: a name, database or
// password that is an output is checked when it resolves.
func TestUserInvalidValuesKnownLaterFailTheDeployment(t *testing.T) {
	cases := []struct {
		name                     string
		user, database, password string
		field                    string
	}{
		{"reserved name", "mysql.sys", "app", testPassword, "UserArgs.Name"},
		{"database with backtick", "app", "a`b", testPassword, "UserArgs.Database"},
		{"short password", "app", "app", "short-pw", "UserArgs.Password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMocks(t)
			err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
				s, err := newTestServer(ctx)
				if err != nil {
					return err
				}
				_, err = NewUser(ctx, "u", &UserArgs{
					Server:   s,
					Name:     pulumi.String(tc.user).ToStringOutput(),
					Host:     pulumi.String(clientPrivate),
					Password: pulumi.ToSecret(pulumi.String(tc.password)).(pulumi.StringOutput),
					Database: pulumi.String(tc.database).ToStringOutput(),
				})
				return err
			})
			require.Error(t, err, "the deployment fails")
			assert.Contains(t, err.Error(), tc.field)
			assert.NotContains(t, err.Error(), tc.password)
		})
	}
}

// TestReplicationUserGetsReplicationOnlyAndNoDatabase: a replication
// account needs no database, gets REPLICATION SLAVE only whatever the other
// privilege switches say, and still requires TLS.
func TestReplicationUserGetsReplicationOnlyAndNoDatabase(t *testing.T) {
	m := newMocks(t)
	var account mocktest.Awaited
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		s, err := newTestServer(ctx)
		if err != nil {
			return err
		}
		u, err := NewUser(ctx, "u", &UserArgs{
			Server: s, Name: pulumi.String("mcs_repl_3"), Host: pulumi.String(clientPrivate),
			Password:    pulumi.ToSecret(pulumi.String(testPassword)).(pulumi.StringOutput),
			Replication: true, AllPrivileges: true, GrantOption: true,
		})
		if err != nil {
			return err
		}
		account, err = mocktest.Await(ctx, u.Account)
		return err
	})
	require.NoError(t, err)
	cmd, ok := m.Named("command:remote:Command", "u-account")
	require.True(t, ok)
	create := str(t, cmd, "create")
	assert.Contains(t, create, "MCS_PRIVILEGES='replication'", "replication only, not all")
	assert.Contains(t, create, "MCS_DATABASE=''", "no database")
	assert.Contains(t, create, "MCS_USER='mcs_repl_3'")
	assert.Contains(t, create, "MCS_REQUIRE_TLS='ON'")
	assert.NotContains(t, create, testPassword)
	assert.True(t, cmd.Inputs["stdin"].IsSecret())
	assert.Equal(t, "mcs_repl_3@"+clientPrivate, account.Value)
}

func TestReplicationUserNameMustBeAReplicas(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   pulumi.StringInput
	}{
		{"a client's name", pulumi.String("app")},
		{"no number", pulumi.String("mcs_repl_")},
		{"known later", pulumi.String("app").ToStringOutput()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMocks(t)
			err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
				s, err := newTestServer(ctx)
				if err != nil {
					return err
				}
				_, err = NewUser(ctx, "u", &UserArgs{Server: s, Name: tc.in, Host: pulumi.String(clientPrivate),
					Password: pulumi.String(testPassword), Replication: true})
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "UserArgs.Name")
			assert.Contains(t, err.Error(), "expected mcs_repl_ and the replica's server_id")
		})
	}
}

// TestClientUserMayNotTakeAReplicationName: the replicas' names are theirs.
func TestClientUserMayNotTakeAReplicationName(t *testing.T) {
	m := newMocks(t)
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		_, err := NewUser(ctx, "u", &UserArgs{Server: &Server{}, Name: pulumi.String("mcs_repl_2"),
			Host: pulumi.String(clientPrivate), Password: pulumi.String(testPassword), Database: pulumi.String("app")})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "UserArgs.Name")
	assert.Contains(t, err.Error(), "replicas' accounts")
	assert.Empty(t, m.Resources())
}
