package mysql

import (
	"errors"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
)

// ClientLoginType is the type token of ClientLogin.
const ClientLoginType = "mysql-client-server:mysql:MySQLClientLogin"

// ClientLoginArgs configures a ClientLogin.
type ClientLoginArgs struct {
	// Host is the client host. Required.
	Host *host.Host
	// Server is the server to log in to. Required.
	Server *Server
	// UserName, Password (a secret) and Database are the account's.
	// Required.
	UserName, Password, Database pulumi.StringInput
	// After are resources the file must wait for (the client package).
	After []pulumi.Resource
}

// ClientLogin writes the client login user's ~/.my.cnf (mode 0600): host,
// user, password and the server's CA, with server identity verification
// (ssl-mode=VERIFY_IDENTITY for MySQL 8 clients, ssl-verify-server-cert for
// MariaDB's), so a plain `mysql` on the client connects with no flags. The
// password reaches the host on stdin only.
type ClientLogin struct {
	pulumi.ResourceState

	// Path is the option file's path on the client.
	Path pulumi.StringOutput `pulumi:"path"`
	// Command is the remote command that writes the file.
	Command *remote.Command
}

// NewClientLogin creates a ClientLogin.
func NewClientLogin(ctx *pulumi.Context, name string, args *ClientLoginArgs, opts ...pulumi.ResourceOption) (*ClientLogin, error) {
	switch {
	case args == nil || args.Host == nil:
		return nil, errors.New("ClientLoginArgs.Host: required: the client host")
	case args.Server == nil:
		return nil, errors.New("ClientLoginArgs.Server: required: the server to log in to")
	case args.UserName == nil || args.Password == nil || args.Database == nil:
		return nil, errors.New("ClientLoginArgs.UserName, Password and Database: required: the account's")
	}
	l := &ClientLogin{}
	if err := ctx.RegisterComponentResource(ClientLoginType, name, l, opts...); err != nil {
		return nil, err
	}
	ca := pulumi.All(args.Server.RequireTLS, args.Server.CACert).ApplyT(func(v []interface{}) string {
		if !v[0].(bool) {
			return ""
		}
		return v[1].(string)
	}).(pulumi.StringOutput)
	login := runOn("client-login.sh", map[string]pulumi.StringInput{
		"MCS_LOGIN_USER": args.Host.User,
		"MCS_SERVER":     args.Server.Address,
		"MCS_PORT":       args.Server.portEnv(),
		"MCS_USER":       args.UserName,
		"MCS_DATABASE":   args.Database,
		"MCS_CA_CERT":    ca,
	})
	cmd, err := hostCommand(ctx, l, name+"-my-cnf", args.Host, &remote.CommandArgs{
		// No delete: the file lives and dies with the client host, and a
		// client that vanished must not block a teardown.
		Create: login,
		Stdin:  pulumi.ToSecret(args.Password).(pulumi.StringOutput),
	}, pulumi.DependsOn(args.After))
	if err != nil {
		return nil, err
	}
	l.Command = cmd
	l.Path = cmd.Stdout
	return l, ctx.RegisterResourceOutputs(l, pulumi.Map{"path": l.Path})
}
