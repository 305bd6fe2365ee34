package mysql

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	mysqlsdk "github.com/pulumi/pulumi-mysql/sdk/v3/go/mysql"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ProviderUserType is the type token of ProviderUser.
const ProviderUserType = "mysql-client-server:mysql:MySQLProviderUser"

// ProviderUserArgs configures a ProviderUser.
type ProviderUserArgs struct {
	// Provider is a pulumi-mysql provider whose endpoint the operator can
	// reach with an admin login. Required.
	Provider *mysqlsdk.Provider
	// Name is the account name. Required.
	Name pulumi.StringInput
	// Host is the account's host part: the client's private address.
	// Required.
	Host pulumi.StringInput
	// Password is the account's password, a Pulumi secret. Required.
	Password pulumi.StringInput
	// Database is the database the account gets privileges on; it is
	// created by this component. Required.
	Database pulumi.StringInput
	// Privileges are what the account gets on its database. Defaults to
	// ALL PRIVILEGES. A change replaces the account (see ProviderUser).
	Privileges pulumi.StringArrayInput
	// AllowPlaintext lets the account log in without TLS. By default it
	// must use TLS (REQUIRE SSL), as on the default path.
	AllowPlaintext bool
	// ServerVersion is the server's VERSION() (Server.Version). When given,
	// a server the provider cannot serve is refused before any of this
	// component's resources is created (see ProviderSupports).
	ServerVersion pulumi.StringInput
}

// ProviderSupports says whether pulumi-mysql v3.2.1 can manage accounts on
// a server of this VERSION(): it bridges a 2020 Terraform provider that
// reads @@innodb_version to create a user, and MariaDB removed that variable
// in 10.10 (Error 1193 there). MySQL 8 and 9 work.
func ProviderSupports(version string) error {
	if !strings.Contains(version, "MariaDB") {
		return nil
	}
	var major, minor int
	if _, err := fmt.Sscanf(version, "%d.%d", &major, &minor); err != nil {
		return fmt.Errorf("the server's version %q: %w", version, err)
	}
	if major > 10 || major == 10 && minor >= 10 {
		return fmt.Errorf("the server is MariaDB %s: pulumi-mysql v3.2.1 cannot create users there "+
			"(it reads @@innodb_version, which MariaDB removed in 10.10): use mysql.User, the SSH path, instead", version)
	}
	return nil
}

// ProviderUser is the optional second path to a MySQL account, for servers
// the operator can reach on 3306 with an admin login: pulumi-mysql's
// Database, User and Grant, through the given provider. The default path,
// User, needs neither. It gives the same guarantees: the account must use
// TLS unless AllowPlaintext, and its grant covers exactly its database ('_'
// and '%' in the name are escaped, not wildcards).
//
// Its life, as the provider allows it (measured on MySQL 9.7, see
// docs/library.md): a password rotation updates the account in place. The
// provider's Grant cannot change (every field forces a new one) and its
// delete fails on MySQL 8 and later (REVOKE GRANT OPTION: error 1141), so
// the grant is never deleted on its own: DROP USER takes it. A change of
// Privileges or Database therefore replaces the account, deleting the old
// one first (the same user@host): its sessions end, and the new account
// has only the new grant. The database is kept on delete.
type ProviderUser struct {
	pulumi.ResourceState

	// Name is the account name.
	Name pulumi.StringOutput `pulumi:"name"`
	// Host is the account's host part.
	Host pulumi.StringOutput `pulumi:"host"`
	// Database is the account's database.
	Database pulumi.StringOutput `pulumi:"database"`
}

// providerUserInputs are a ProviderUser's Args, checked.
type providerUserInputs struct {
	name, host, password, database pulumi.StringOutput
	privileges                     pulumi.StringArrayOutput
}

// check checks the Args before anything is registered: every value known
// now, the others (and the server's version) when they resolve.
func (args *ProviderUserArgs) check() (*providerUserInputs, error) {
	if args == nil || args.Provider == nil {
		return nil, errors.New("ProviderUserArgs.Provider: required: a pulumi-mysql provider for the server")
	}
	if args.Name == nil || args.Host == nil || args.Password == nil || args.Database == nil {
		return nil, errors.New("ProviderUserArgs.Name, Host, Password and Database: required")
	}
	in := &providerUserInputs{}
	var err error
	if in.name, err = checked("ProviderUserArgs.Name", args.Name, both(ValidateUserName, providerQuotable)); err != nil {
		return nil, err
	}
	if in.database, err = checked("ProviderUserArgs.Database", args.Database, ValidateDatabaseName); err != nil {
		return nil, err
	}
	if args.ServerVersion != nil {
		// Every resource here takes the database's name: a server the
		// provider cannot serve fails them all before any is created.
		in.database = pulumi.All(in.database, args.ServerVersion).ApplyT(func(v []any) (string, error) {
			if err := ProviderSupports(v[1].(string)); err != nil {
				return "", fmt.Errorf("ProviderUserArgs.ServerVersion: %w", err)
			}
			return v[0].(string), nil
		}).(pulumi.StringOutput)
		in.name = pulumi.All(in.name, in.database).ApplyT(func(v []any) string { return v[0].(string) }).(pulumi.StringOutput)
	}
	if in.password, err = checked("ProviderUserArgs.Password", args.Password, both(ValidatePassword, providerQuotable)); err != nil {
		return nil, err
	}
	if in.host, err = checked("ProviderUserArgs.Host", args.Host, providerQuotable); err != nil {
		return nil, err
	}
	if in.privileges, err = checkedPrivileges(args.Privileges); err != nil {
		return nil, err
	}
	return in, nil
}

// NewProviderUser creates a ProviderUser.
func NewProviderUser(ctx *pulumi.Context, name string, args *ProviderUserArgs, opts ...pulumi.ResourceOption) (*ProviderUser, error) {
	in, err := args.check()
	if err != nil {
		return nil, err
	}
	u := &ProviderUser{}
	if err := ctx.RegisterComponentResource(ProviderUserType, name, u, opts...); err != nil {
		return nil, err
	}
	child := []pulumi.ResourceOption{pulumi.Parent(u), pulumi.Provider(args.Provider)}
	// pulumi-mysql's Database runs DROP DATABASE on delete: the data is kept,
	// as User keeps it. The provider's defaults (utf8, utf8_general_ci) are
	// not what it reads back from MySQL 8 and 9, so it would report drift on
	// every preview: the server's own defaults are named, set at create and
	// kept (a database made before is never altered).
	db, err := mysqlsdk.NewDatabase(ctx, name+"-database", &mysqlsdk.DatabaseArgs{
		Name: in.database, DefaultCharacterSet: pulumi.String("utf8mb4"), DefaultCollation: defaultCollation(args.ServerVersion),
	}, append(child, pulumi.RetainOnDelete(true), pulumi.IgnoreChanges([]string{"defaultCharacterSet", "defaultCollation"}))...)
	if err != nil {
		return nil, err
	}
	// What the grant says: when it changes, the account goes and comes back.
	grantKey := pulumi.All(in.database, in.privileges).ApplyT(func(v []any) string {
		return v[0].(string) + "\x00" + strings.Join(v[1].([]string), "\x00")
	}).(pulumi.StringOutput)
	tls := "SSL"
	if args.AllowPlaintext {
		tls = "NONE"
	}
	user, err := mysqlsdk.NewUser(ctx, name+"-user", &mysqlsdk.UserArgs{
		User: in.name, Host: in.host, PlaintextPassword: pulumi.ToSecret(in.password).(pulumi.StringOutput), TlsOption: pulumi.String(tls),
	}, append(child, pulumi.ReplacementTrigger(grantKey), pulumi.DeleteBeforeReplace(true))...)
	if err != nil {
		return nil, err
	}
	// DROP USER takes the grant with it; the provider's own REVOKE fails on
	// MySQL 8 and 9 (error 1141) for a grant without GRANT OPTION.
	if _, err := mysqlsdk.NewGrant(ctx, name+"-grant", &mysqlsdk.GrantArgs{
		User: user.User, Host: user.Host, Database: db.Name.ApplyT(GrantDatabase).(pulumi.StringOutput), Privileges: in.privileges,
	}, append(child, pulumi.DeletedWith(user), pulumi.RetainOnDelete(true))...); err != nil {
		return nil, err
	}
	u.Name, u.Host, u.Database = user.User, user.Host.Elem(), db.Name
	return u, ctx.RegisterResourceOutputs(u, pulumi.Map{
		"name": u.Name, "host": u.Host, "database": u.Database,
	})
}

// GrantDatabase is a database name as GRANT takes it so that it names that
// one database: in a grant, '_' and '%' are wildcards unless escaped with a
// backslash (and so is the backslash itself).
func GrantDatabase(name string) string {
	return strings.NewReplacer(`\`, `\\`, `_`, `\_`, `%`, `\%`).Replace(name)
}

// providerQuotable refuses what pulumi-mysql v3.2.1 cannot quote: it puts
// user names, hosts and passwords between single quotes as they are, so a
// quote or a backslash would end the literal (and change the statement).
func providerQuotable(s string) error {
	if strings.ContainsAny(s, `'\`) {
		return errors.New(`contains ' or \, which pulumi-mysql puts into SQL unescaped: expected neither (mysql.User, the SSH path, takes any)`)
	}
	return nil
}

// both is a check that runs a, then b.
func both(a, b func(string) error) func(string) error {
	return func(s string) error {
		if err := a(s); err != nil {
			return err
		}
		return b(s)
	}
}

// privilegePattern is one privilege as GRANT names it: words of letters,
// such as SELECT or CREATE TEMPORARY TABLES (the provider puts it into SQL
// as it is).
var privilegePattern = regexp.MustCompile(`^[A-Z]+( [A-Z]+)*$`)

// checkedPrivileges defaults the privileges to ALL PRIVILEGES and checks
// each, when it is known.
func checkedPrivileges(in pulumi.StringArrayInput) (pulumi.StringArrayOutput, error) {
	if in == nil {
		return pulumi.StringArray{pulumi.String("ALL PRIVILEGES")}.ToStringArrayOutput(), nil
	}
	check := func(privs []string) error {
		if len(privs) == 0 {
			return errors.New("ProviderUserArgs.Privileges: is empty: expected at least one, such as SELECT")
		}
		for i, p := range privs {
			if !privilegePattern.MatchString(p) || strings.Contains(p, "GRANT") {
				return fmt.Errorf("ProviderUserArgs.Privileges[%d]: %q: expected a privilege in capitals, such as SELECT or ALL PRIVILEGES (not GRANT OPTION)", i, p)
			}
		}
		return nil
	}
	if privs, ok := literalStrings(in); ok {
		if err := check(privs); err != nil {
			return pulumi.StringArrayOutput{}, err
		}
	}
	return in.ToStringArrayOutput().ApplyT(func(privs []string) ([]string, error) {
		return privs, check(privs)
	}).(pulumi.StringArrayOutput), nil
}

// literalStrings returns the strings of an array given as literals.
func literalStrings(in pulumi.StringArrayInput) ([]string, bool) {
	lit, ok := in.(pulumi.StringArray)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(lit))
	for _, p := range lit {
		s, ok := p.(pulumi.String)
		if !ok {
			return nil, false
		}
		out = append(out, string(s))
	}
	return out, true
}

// defaultCollation is the server's default collation of utf8mb4: MySQL 8's
// and 9's utf8mb4_0900_ai_ci (also without a version), MariaDB's
// utf8mb4_general_ci (10.6 has no 0900 collations).
func defaultCollation(version pulumi.StringInput) pulumi.StringInput {
	if version == nil {
		return pulumi.String("utf8mb4_0900_ai_ci")
	}
	return version.ToStringOutput().ApplyT(func(v string) string {
		if strings.Contains(v, "MariaDB") {
			return "utf8mb4_general_ci"
		}
		return "utf8mb4_0900_ai_ci"
	}).(pulumi.StringOutput)
}
