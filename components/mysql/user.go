package mysql

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// UserType is the type token of User.
const UserType = "mysql-client-server:mysql:MySQLUser"

// UserArgs configures a User.
type UserArgs struct {
	// Server is the server the account lives on. Required.
	Server *Server
	// Name is the account name. Required.
	Name pulumi.StringInput
	// Host is the account's host part: the client's private address.
	// Required.
	Host pulumi.StringInput
	// Password is the account's password, a Pulumi secret. Required.
	Password pulumi.StringInput
	// Database is the database the account gets privileges on; it is created
	// if missing and kept when the account is deleted. Required.
	Database pulumi.StringInput
	// AllPrivileges grants ALL on *.* instead of ALL on Database.* (least
	// privilege is the default).
	AllPrivileges bool
	// GrantOption adds WITH GRANT OPTION.
	GrantOption bool
	// AllowPlaintext creates the account REQUIRE NONE instead of REQUIRE SSL.
	AllowPlaintext bool
	// NativePassword uses mysql_native_password where the server supports
	// choosing it (MySQL 8; MariaDB's default already is).
	NativePassword bool
	// KeepReadOnlyAdmin keeps MariaDB's READ_ONLY ADMIN in an AllPrivileges
	// grant, so that the grant is ALL ON *.* exactly (the tutorial preset's).
	// By default it is revoked: it writes through read_only, and a client's
	// write on a replica would break its replication.
	KeepReadOnlyAdmin bool
	// Replication makes the account a replica's: REPLICATION SLAVE on *.*
	// only, and no database (Database, AllPrivileges and GrantOption are not
	// used).
	Replication bool
}

// User is one MySQL account, managed by SQL run over SSH on the server
// through its local admin socket: no admin password and no reachable 3306
// are needed. The password travels on stdin only. A password change updates
// the account in place; a new name or host replaces it; delete drops it.
type User struct {
	pulumi.ResourceState

	// Name is the account name.
	Name pulumi.StringOutput `pulumi:"name"`
	// Host is the account's host part.
	Host pulumi.StringOutput `pulumi:"host"`
	// Account is the account as CURRENT_USER() shows it: name@host.
	Account pulumi.StringOutput `pulumi:"account"`
	// Database is the account's database.
	Database pulumi.StringOutput `pulumi:"database"`
	// Command is the account's command on the server.
	Command *remote.Command
}

func pick(b bool, yes, no string) pulumi.String {
	if b {
		return pulumi.String(yes)
	}
	return pulumi.String(no)
}

// privileges is the account's MCS_PRIVILEGES for user-apply.sh.
func privileges(args *UserArgs) pulumi.String {
	switch {
	case args.Replication:
		return "replication"
	case args.AllPrivileges:
		return "all"
	}
	return "database"
}

// validateReplicationUserName accepts ReplicationUserPrefix and a number.
func validateReplicationUserName(s string) error {
	n := strings.TrimPrefix(s, ReplicationUserPrefix)
	if n == s || n == "" || strings.Trim(n, "0123456789") != "" {
		return fmt.Errorf("%q: expected %s and the replica's server_id", s, ReplicationUserPrefix)
	}
	return nil
}

// checkedUser is a User's name, database and password, each checked when
// it resolves (at once when it is a plain value).
type checkedUser struct {
	name, database, password pulumi.StringOutput
}

// check validates the Args before anything is created, and returns them as
// the User uses them: a replication account's on a copy, never the
// caller's, with no database or privileges of its own.
func (args *UserArgs) check() (*UserArgs, checkedUser, error) {
	var c checkedUser
	switch {
	case args == nil || args.Server == nil:
		return nil, c, errors.New("UserArgs.Server: required: the server the account lives on")
	case args.Host == nil:
		return nil, c, errors.New("UserArgs.Host: required: the client address the account logs in from")
	case args.Password == nil:
		return nil, c, errors.New("UserArgs.Password: required: a secret of at least 12 characters")
	case args.Name == nil:
		return nil, c, errors.New("UserArgs.Name: required: an account name of 1-32 characters")
	}
	validName, validDatabase := ValidateUserName, ValidateDatabaseName
	if args.Replication {
		a := *args
		if a.Database == nil {
			a.Database = pulumi.String("")
		}
		a.AllPrivileges, a.GrantOption = false, false
		args = &a
		validName, validDatabase = validateReplicationUserName, func(string) error { return nil }
	}
	if args.Database == nil {
		return nil, c, errors.New("UserArgs.Database: required: a database name of 1-64 characters")
	}
	var err error
	if c.name, err = checked("UserArgs.Name", args.Name, validName); err != nil {
		return nil, c, err
	}
	if c.database, err = checked("UserArgs.Database", args.Database, validDatabase); err != nil {
		return nil, c, err
	}
	if c.password, err = checked("UserArgs.Password", args.Password, ValidatePassword); err != nil {
		return nil, c, err
	}
	return args, c, nil
}

// NewUser creates a User.
func NewUser(ctx *pulumi.Context, name string, args *UserArgs, opts ...pulumi.ResourceOption) (*User, error) {
	args, c, err := args.check()
	if err != nil {
		return nil, err
	}
	userName, database, password := c.name, c.database, c.password

	u := &User{}
	if err := ctx.RegisterComponentResource(UserType, name, u, opts...); err != nil {
		return nil, err
	}
	env := map[string]pulumi.StringInput{
		"MCS_USER":      userName,
		"MCS_USER_HOST": args.Host,
		"MCS_DATABASE":  database,
	}
	applyEnv := map[string]pulumi.StringInput{
		"MCS_REQUIRE_TLS":     onOff(args.AllowPlaintext),
		"MCS_PRIVILEGES":      privileges(args),
		"MCS_READ_ONLY_ADMIN": pick(args.KeepReadOnlyAdmin, "keep", "revoke"),
		"MCS_GRANT_OPTION":    pick(args.GrantOption, "yes", "no"),
		"MCS_AUTH_PLUGIN":     pick(args.NativePassword, "mysql_native_password", ""),
	}
	for k, v := range env {
		applyEnv[k] = v
	}
	apply := runOn("user-apply.sh", applyEnv)
	cmd, err := hostCommand(ctx, u, name+"-account", args.Server.Host, &remote.CommandArgs{
		Create: apply,
		Delete: runOn("user-delete.sh", env),
		Stdin:  pulumi.ToSecret(password).(pulumi.StringOutput),
		// A new name or host is a new account: replace, dropping the old one.
		Triggers: pulumi.Array{userName, args.Host},
		// The old account is dropped before the new one is made: a
		// replacement of the same user@host (pulumi up --replace) must not
		// drop its successor, as create-before-delete would.
	}, pulumi.DependsOn([]pulumi.Resource{args.Server.Ready}), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}
	u.Command = cmd
	u.Name = userName
	u.Host = args.Host.ToStringOutput()
	u.Database = database
	u.Account = pulumi.Sprintf("%s@%s", userName, args.Host)
	return u, ctx.RegisterResourceOutputs(u, pulumi.Map{
		"name":     u.Name,
		"host":     u.Host,
		"account":  u.Account,
		"database": u.Database,
	})
}
