package mysql

import (
	"strings"
	"testing"

	mysqlsdk "github.com/pulumi/pulumi-mysql/sdk/v3/go/mysql"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

func TestProviderUserRegistersDatabaseUserAndGrantWithTheGivenProvider(t *testing.T) {
	m := newMocks(t)
	var providerURN string
	var name, hostOut, database mocktest.Awaited
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		p, err := mysqlsdk.NewProvider(ctx, "admin", &mysqlsdk.ProviderArgs{
			Endpoint: pulumi.String(serverPrivate + ":3306"),
			Username: pulumi.String("admin"),
		})
		if err != nil {
			return err
		}
		urn, err := mocktest.Await(ctx, p.URN())
		if err != nil {
			return err
		}
		providerURN = string(urn.Value.(pulumi.URN))
		u, err := NewProviderUser(ctx, "pu", &ProviderUserArgs{
			Provider: p,
			Name:     pulumi.String("app"),
			Host:     pulumi.String(clientPrivate),
			Password: pulumi.ToSecret(pulumi.String(testPassword)).(pulumi.StringOutput),
			Database: pulumi.String("app_db%"),
		})
		if err != nil {
			return err
		}
		if name, err = mocktest.Await(ctx, u.Name); err != nil {
			return err
		}
		if hostOut, err = mocktest.Await(ctx, u.Host); err != nil {
			return err
		}
		database, err = mocktest.Await(ctx, u.Database)
		return err
	})
	require.NoError(t, err)
	require.NotEmpty(t, providerURN)

	_, ok := m.Named(ProviderUserType, "pu")
	require.True(t, ok)

	db, ok := m.Named("mysql:index/database:Database", "pu-database")
	require.True(t, ok)
	user, ok := m.Named("mysql:index/user:User", "pu-user")
	require.True(t, ok)
	grant, ok := m.Named("mysql:index/grant:Grant", "pu-grant")
	require.True(t, ok)
	for _, r := range []mocktest.Resource{db, user, grant} {
		assert.True(t, strings.HasPrefix(r.Provider, providerURN+"::"), "%s uses the given provider, got %q", r.Name, r.Provider)
		assert.Contains(t, r.Parent, ProviderUserType, "%s is parented to the component", r.Name)
	}

	assert.Equal(t, "app_db%", str(t, db, "name"))
	assert.Equal(t, "SSL", str(t, user, "tlsOption"), "the account must use TLS (REQUIRE SSL), as on the default path")
	assert.Equal(t, "app", str(t, user, "user"))
	assert.Equal(t, clientPrivate, str(t, user, "host"))
	assert.True(t, user.Inputs["plaintextPassword"].IsSecret(), "the password is secret")
	assert.Equal(t, testPassword, str(t, user, "plaintextPassword"))

	assert.Equal(t, "app", str(t, grant, "user"))
	assert.Equal(t, clientPrivate, str(t, grant, "host"))
	assert.Equal(t, `app\_db\%`, str(t, grant, "database"), "the grant names exactly that database: _ and % escaped")
	privs := grant.Inputs["privileges"].ArrayValue()
	require.Len(t, privs, 1)
	assert.Equal(t, "ALL PRIVILEGES", privs[0].StringValue())
	assert.True(t, dependsOn(grant, "mysql:index/user:User", "pu-user"), "the grant follows the user")
	assert.True(t, dependsOn(grant, "mysql:index/database:Database", "pu-database"), "the grant follows the database")
	// Deleting or renaming the ProviderUser keeps the database and its data,
	// as User does; the grant goes with the user (DROP USER), never by the
	// provider's REVOKE, which MySQL 9 refuses for a grant without GRANT OPTION.
	assert.True(t, db.RetainOnDelete, "pulumi-mysql's delete would DROP DATABASE")
	assert.True(t, strings.HasSuffix(grant.DeletedWith, "$"+user.URN), "the grant is deleted with the user: %s", grant.DeletedWith)
	assert.False(t, user.RetainOnDelete, "the account itself is dropped")
	assert.True(t, grant.RetainOnDelete, "the provider never revokes the grant on its own: DROP USER takes it")
	assert.True(t, user.DeleteBeforeReplace, "a new grant replaces the account: the old user@host goes first")
	assert.Equal(t, "utf8mb4", str(t, db, "defaultCharacterSet"), "the server's default, so a preview shows no drift")
	assert.Equal(t, "utf8mb4_0900_ai_ci", str(t, db, "defaultCollation"), "MySQL's default without a version")
	assert.Subset(t, db.IgnoreChanges, []string{"defaultCharacterSet", "defaultCollation"}, "a database made before is never altered")

	assert.Equal(t, "app", name.Value)
	assert.Equal(t, clientPrivate, hostOut.Value)
	assert.Equal(t, "app_db%", database.Value)
}

func TestGrantDatabaseEscapesTheWildcards(t *testing.T) {
	for in, want := range map[string]string{"app": "app", "app_db": `app\_db`, "50%": `50\%`, `a\b`: `a\\b`, `x\_%`: `x\\\_\%`} {
		assert.Equal(t, want, GrantDatabase(in), in)
	}
}

func TestProviderUserInvalidArgsFailNamingTheField(t *testing.T) {
	cases := []struct {
		name     string
		provider bool
		args     func(p *mysqlsdk.Provider) *ProviderUserArgs
		field    string
	}{
		{"nil args", false, func(*mysqlsdk.Provider) *ProviderUserArgs { return nil }, "ProviderUserArgs.Provider: required"},
		{"no provider", false, func(*mysqlsdk.Provider) *ProviderUserArgs {
			return &ProviderUserArgs{Name: pulumi.String("app"), Host: pulumi.String(clientPrivate), Password: pulumi.String(testPassword), Database: pulumi.String("app")}
		}, "ProviderUserArgs.Provider: required"},
		{"no name", true, func(p *mysqlsdk.Provider) *ProviderUserArgs {
			return &ProviderUserArgs{Provider: p, Host: pulumi.String(clientPrivate), Password: pulumi.String(testPassword), Database: pulumi.String("app")}
		}, "ProviderUserArgs.Name, Host, Password and Database: required"},
		{"reserved name", true, func(p *mysqlsdk.Provider) *ProviderUserArgs {
			return &ProviderUserArgs{Provider: p, Name: pulumi.String("debian-sys-maint"), Host: pulumi.String(clientPrivate), Password: pulumi.String(testPassword), Database: pulumi.String("app")}
		}, "ProviderUserArgs.Name: "},
		{"bad database", true, func(p *mysqlsdk.Provider) *ProviderUserArgs {
			return &ProviderUserArgs{Provider: p, Name: pulumi.String("app"), Host: pulumi.String(clientPrivate), Password: pulumi.String(testPassword), Database: pulumi.String("a\\b")}
		}, "ProviderUserArgs.Database: "},
		{"short password", true, func(p *mysqlsdk.Provider) *ProviderUserArgs {
			return &ProviderUserArgs{Provider: p, Name: pulumi.String("app"), Host: pulumi.String(clientPrivate), Password: pulumi.String("short"), Database: pulumi.String("app")}
		}, "ProviderUserArgs.Password: "},
		{"a quote in the password, which the provider does not escape", true, func(p *mysqlsdk.Provider) *ProviderUserArgs {
			return &ProviderUserArgs{Provider: p, Name: pulumi.String("app"), Host: pulumi.String(clientPrivate), Password: pulumi.String("long-enough-'; DROP USER root; --"), Database: pulumi.String("app")}
		}, "ProviderUserArgs.Password: contains ' or \\"},
		{"a backslash in the name", true, func(p *mysqlsdk.Provider) *ProviderUserArgs {
			return &ProviderUserArgs{Provider: p, Name: pulumi.String(`a\b`), Host: pulumi.String(clientPrivate), Password: pulumi.String(testPassword), Database: pulumi.String("app")}
		}, "ProviderUserArgs.Name: contains ' or \\"},
		{"a quote in the host", true, func(p *mysqlsdk.Provider) *ProviderUserArgs {
			return &ProviderUserArgs{Provider: p, Name: pulumi.String("app"), Host: pulumi.String("10.0.0.1'"), Password: pulumi.String(testPassword), Database: pulumi.String("app")}
		}, "ProviderUserArgs.Host: contains ' or \\"},
		{"a privilege that is not one", true, func(p *mysqlsdk.Provider) *ProviderUserArgs {
			return &ProviderUserArgs{Provider: p, Name: pulumi.String("app"), Host: pulumi.String(clientPrivate), Password: pulumi.String(testPassword), Database: pulumi.String("app"),
				Privileges: pulumi.StringArray{pulumi.String("SELECT"), pulumi.String("ALL ON *.* TO x")}}
		}, "ProviderUserArgs.Privileges[1]: "},
		{"GRANT OPTION", true, func(p *mysqlsdk.Provider) *ProviderUserArgs {
			return &ProviderUserArgs{Provider: p, Name: pulumi.String("app"), Host: pulumi.String(clientPrivate), Password: pulumi.String(testPassword), Database: pulumi.String("app"),
				Privileges: pulumi.StringArray{pulumi.String("GRANT OPTION")}}
		}, "ProviderUserArgs.Privileges[0]: "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newMocks(t)
			err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
				var p *mysqlsdk.Provider
				if tc.provider {
					var err error
					if p, err = adminProvider(ctx); err != nil {
						return err
					}
				}
				_, err := NewProviderUser(ctx, "pu", tc.args(p))
				return err
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.field)
			assert.Empty(t, others(m, "admin"), "nothing but the provider is registered")
		})
	}
}

func TestProviderSupportsMySQLButNotMariaDBFrom1010(t *testing.T) {
	for version, ok := range map[string]bool{
		"9.7.4-2":                          true,
		"8.0.39-0ubuntu0.22.04.1":          true,
		"10.6.18-MariaDB-0ubuntu0.22.04.1": true, // Ubuntu 22.04's: @@innodb_version is still there
		"10.11.6-MariaDB-0+deb12u1":        false,
		"11.4.2-MariaDB":                   false,
	} {
		err := ProviderSupports(version)
		if ok {
			assert.NoError(t, err, version)
			continue
		}
		require.Error(t, err, version)
		assert.Contains(t, err.Error(), "the server is MariaDB "+version)
		assert.Contains(t, err.Error(), "use mysql.User, the SSH path")
	}
}

// On MariaDB 10.10 and later the provider cannot create users: the
// component refuses, naming the version, and none of its resources is made.
func TestProviderUserRefusesMariaDBBeforeCreatingAnything(t *testing.T) {
	m := newMocks(t)
	err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		p, err := adminProvider(ctx)
		if err != nil {
			return err
		}
		_, err = NewProviderUser(ctx, "pu", &ProviderUserArgs{
			Provider: p, Name: pulumi.String("app"), Host: pulumi.String(clientPrivate),
			Password: pulumi.ToSecret(pulumi.String(testPassword)).(pulumi.StringOutput), Database: pulumi.String("app"),
			ServerVersion: pulumi.String("10.11.6-MariaDB-0+deb12u1"),
		})
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ProviderUserArgs.ServerVersion: the server is MariaDB 10.11.6-MariaDB-0+deb12u1")
	for _, typ := range []string{"mysql:index/database:Database", "mysql:index/user:User", "mysql:index/grant:Grant"} {
		assert.Empty(t, m.OfType(typ), "no %s is created", typ)
	}
}

func TestProviderUserDatabaseTakesTheEnginesCollation(t *testing.T) {
	for version, want := range map[string]string{"9.7.4-2": "utf8mb4_0900_ai_ci", "8.0.39-0ubuntu0.22.04.1": "utf8mb4_0900_ai_ci",
		"10.6.18-MariaDB-0ubuntu0.22.04.1": "utf8mb4_general_ci"} {
		m := newMocks(t)
		err := mocktest.Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
			p, err := adminProvider(ctx)
			if err != nil {
				return err
			}
			_, err = NewProviderUser(ctx, "pu", &ProviderUserArgs{Provider: p, Name: pulumi.String("app"), Host: pulumi.String(clientPrivate),
				Password: pulumi.String(testPassword), Database: pulumi.String("app"), ServerVersion: pulumi.String(version)})
			return err
		})
		require.NoError(t, err, version)
		db, ok := m.Named("mysql:index/database:Database", "pu-database")
		require.True(t, ok)
		assert.Equal(t, want, str(t, db, "defaultCollation"), version)
	}
}

// adminProvider is the mysql provider the tests' ProviderUsers go through.
func adminProvider(ctx *pulumi.Context) (*mysqlsdk.Provider, error) {
	return mysqlsdk.NewProvider(ctx, "admin", &mysqlsdk.ProviderArgs{
		Endpoint: pulumi.String(serverPrivate + ":3306"), Username: pulumi.String("admin"),
	})
}
