package pulumipkg

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// UserArgs are mysql.UserArgs as a package's inputs.
type UserArgs struct {
	// Server is as mysql.UserArgs.Server.
	Server *mysql.Server `pulumi:"server" provider:"type=mysql:MySQLServer"`
	// Name is as mysql.UserArgs.Name.
	Name pulumi.StringInput `pulumi:"name"`
	// Host is as mysql.UserArgs.Host.
	Host pulumi.StringInput `pulumi:"host"`
	// Password is as mysql.UserArgs.Password.
	Password pulumi.StringInput `pulumi:"password" provider:"secret"`
	// Database is as mysql.UserArgs.Database.
	Database pulumi.StringInput `pulumi:"database"`
	// AllPrivileges is as mysql.UserArgs.AllPrivileges.
	AllPrivileges bool `pulumi:"allPrivileges,optional"`
	// GrantOption is as mysql.UserArgs.GrantOption.
	GrantOption bool `pulumi:"grantOption,optional"`
	// AllowPlaintext is as mysql.UserArgs.AllowPlaintext.
	AllowPlaintext bool `pulumi:"allowPlaintext,optional"`
}

// NewUser is mysql.NewUser behind the package's inputs.
func NewUser(ctx *pulumi.Context, name string, in UserArgs, opts ...pulumi.ResourceOption) (*mysql.User, error) {
	for _, c := range []struct {
		field string
		in    pulumi.StringInput
		rule  func(string) error
	}{{"UserArgs.Name", in.Name, mysql.ValidateUserName}, {"UserArgs.Database", in.Database, mysql.ValidateDatabaseName},
		{"UserArgs.Password", in.Password, mysql.ValidatePassword}} {
		if err := checkKnown(c.field, ctx, c.in, c.rule); err != nil {
			return nil, err
		}
	}
	return mysql.NewUser(ctx, name, &mysql.UserArgs{
		Server: in.Server, Name: in.Name, Host: in.Host, Password: in.Password, Database: in.Database,
		AllPrivileges: in.AllPrivileges, GrantOption: in.GrantOption, AllowPlaintext: in.AllowPlaintext,
	}, opts...)
}
