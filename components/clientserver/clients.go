package clientserver

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/names"
	"github.com/mysql-client-server/mysql-client-server/components/internal/shell"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// clientsOut is what the clients give the outputs and the replicas.
type clientsOut struct {
	public, private, accounts, mysqlCommands pulumi.StringMap
	proofs                                   map[string]pulumi.Output
	// proofAfter is what the replicas' proof waits for on its client.
	proofAfter []pulumi.Resource
}

// newClients gives each client its MySQL client, its account (the
// tutorial's one account at '%' is shared), its ~/.my.cnf and its proof.
func (cs *ClientServer) newClients(ctx *pulumi.Context, args *Args, clients []*host.Host, password pulumi.StringInput,
	ingress pulumi.Resource) (*clientsOut, error) {
	parent := pulumi.Parent(cs)
	out := &clientsOut{public: pulumi.StringMap{}, private: pulumi.StringMap{}, accounts: pulumi.StringMap{},
		mysqlCommands: pulumi.StringMap{}, proofs: map[string]pulumi.Output{}}
	var shared *mysql.User
	if args.Preset == PresetTutorial {
		var err error
		n := names.OfHost(cs, "tutorial", "user")
		if shared, err = mysql.NewUser(ctx, n, cs.userArgs(args, password, pulumi.String("%")), parent,
			names.Was(n, "tutorial-mysql-user")); err != nil {
			return nil, err
		}
	}
	for _, ch := range clients {
		named := func(what string) (string, pulumi.ResourceOption) {
			n := names.OfHost(cs, ch.Name, what)
			return n, names.Was(n, ch.Name+"-mysql-"+what)
		}
		n, was := named("client")
		client, err := mysql.NewClient(ctx, n, &mysql.ClientArgs{Host: ch}, parent, was)
		if err != nil {
			return nil, err
		}
		user := shared
		if user == nil {
			n, was := named("user")
			if user, err = mysql.NewUser(ctx, n, cs.userArgs(args, password, ch.PrivateAddress), parent, was); err != nil {
				return nil, err
			}
		}
		n, was = named("login")
		login, err := mysql.NewClientLogin(ctx, n, &mysql.ClientLoginArgs{
			Host: ch, Server: cs.Server, UserName: args.UserName, Password: password, Database: args.Database,
			After: []pulumi.Resource{client.Install},
		}, parent, was)
		if err != nil {
			return nil, err
		}
		n, was = named("verify")
		proof, err := mysql.NewVerify(ctx, n, &mysql.VerifyArgs{
			Client: ch, Server: cs.Server, Account: user.Account, Run: args.VerifyRun, Password: password,
			After: []pulumi.Resource{user.Command, login.Command, ingress},
		}, parent, was)
		if err != nil {
			return nil, err
		}
		if out.proofAfter == nil {
			out.proofAfter = []pulumi.Resource{user.Command, login.Command}
		}
		cs.Users[ch.Name] = user
		out.public[ch.Name], out.private[ch.Name] = ch.PublicAddress, ch.PrivateAddress
		out.accounts[ch.Name] = user.Account
		out.proofs[ch.Name] = proof.Proof
		out.mysqlCommands[ch.Name] = loginCommand(cs.Server.Address, args)
	}
	return out, nil
}

// userArgs is the account of the clients at host h.
func (cs *ClientServer) userArgs(args *Args, password, h pulumi.StringInput) *mysql.UserArgs {
	tutorial := args.Preset == PresetTutorial
	return &mysql.UserArgs{
		Server: cs.Server, Name: args.UserName, Host: h, Password: password, Database: args.Database,
		AllPrivileges: args.AllPrivileges, GrantOption: args.GrantOption,
		AllowPlaintext: tutorial, NativePassword: tutorial, KeepReadOnlyAdmin: tutorial,
	}
}

// loginCommand is the by-hand login to the MySQL server at address, typing
// the password: `mysql -h <address> -P <port> -u '<user>' -p '<database>'`.
func loginCommand(address pulumi.StringOutput, args *Args) pulumi.StringOutput {
	return pulumi.All(address, args.UserName, args.Database).ApplyT(func(v []interface{}) string {
		return fmt.Sprintf("mysql -h %s -P %d -u %s -p %s", v[0], args.Port,
			shell.Quote(v[1].(string)), shell.Quote(v[2].(string)))
	}).(pulumi.StringOutput)
}
