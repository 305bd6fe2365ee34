// Package pulumipkg is the mysql-client-server Pulumi package: the Go
// library's ClientServer served by a provider plugin to programs in any
// Pulumi language, with the schema its SDKs are generated from. Its inputs
// name the platform (local or aws) and its settings; everything else is
// clientserver.Args, checked by clientserver.New.
package pulumipkg

import (
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"

	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// Name is the package's name, and so its type tokens' first part.
const Name = "mysql-client-server"

// Provider is the package's provider: its components, its schema's
// metadata, and the descriptions the Go doc comments give (describe).
func Provider() (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithNamespace(Name).
		WithDisplayName("MySQL client–server").
		WithDescription("A MySQL client–server architecture (one server, one or more clients, 3306 open to the clients only, optional GTID read replicas and backups) on AWS EC2 or on local network-namespace hosts.").
		WithLicense("Apache-2.0").
		WithRepository("https://github.com/mysql-client-server/mysql-client-server").
		// The SDKs' versions are the schema's; Python's name is without
		// the namespace's repetition. WithGoImportPath adds Go's path.
		WithLanguageMap(map[string]any{
			"nodejs": map[string]any{"respectSchemaVersion": true},
			"python": map[string]any{"respectSchemaVersion": true, "packageName": "mysql_client_server",
				"pyproject": map[string]any{"enabled": true}},
			"go": map[string]any{"respectSchemaVersion": true, "generateResourceContainerTypes": true},
		}).
		WithGoImportPath(goImportPath).
		// The library's packages are the schema's modules: clientserver's
		// types are the package's index, as clientserver.Type says.
		WithModuleMap(map[tokens.ModuleName]tokens.ModuleName{"clientserver": "index", "pulumipkg": "index"}).
		WithComponents(infer.ComponentF(NewClientServer), infer.ComponentF(NewLocalHosts),
			as(mysql.ServerType, infer.ComponentF(NewServer)), as(mysql.ClientType, infer.ComponentF(NewClient)),
			as(mysql.UserType, infer.ComponentF(NewUser)), as(mysql.ReplicaType, infer.ComponentF(NewReplica))).
		Build()
	if err != nil {
		return p.Provider{}, err
	}
	return describe(prov), nil
}

// tokened is a component served under the token its Go library registers
// it with, which infer cannot read off a type of another module.
type tokened struct {
	infer.InferredComponent
	token tokens.Type
}

// GetToken is the library's token.
func (t tokened) GetToken() (tokens.Type, error) { return t.token, nil }

// as serves c under token.
func as(token string, c infer.InferredComponent) infer.InferredComponent {
	return tokened{InferredComponent: c, token: tokens.Type(token)}
}

// goImportPath is where the generated Go SDK lives in this repository.
const goImportPath = "github.com/mysql-client-server/mysql-client-server/provider/sdk/go/mysqlclientserver"
