package pulumipkg

import (
	"fmt"
	"sync"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// servers are the MySQLServers this provider process made, by URN. A
// program that passes one to a MySQLUser or a MySQLReplica passes a
// reference (its URN), which the Go SDK turns back into the *mysql.Server
// here. The engine runs one provider process per deployment, and a
// component's construct returns only when its children are registered, so
// a server is here before any component that refers to it is constructed.
var servers sync.Map // resource.URN → *mysql.Server

// serverModule rehydrates the mysql module's references: it is the Go
// SDK's pulumi.ResourceModule for the MySQLServer token.
type serverModule struct{}

// Version is the package's.
func (serverModule) Version() semver.Version { return semver.MustParse(Version) }

// Construct returns the server urn names, made earlier in this deployment.
func (serverModule) Construct(_ *pulumi.Context, name, typ, urn string) (pulumi.Resource, error) {
	if typ != mysql.ServerType {
		return nil, fmt.Errorf("%s %s: only a %s may be passed here", typ, name, mysql.ServerType)
	}
	s, ok := servers.Load(urn)
	if !ok {
		return nil, fmt.Errorf("%s %s: not made in this deployment: pass a MySQLServer the same program makes", typ, name)
	}
	return s.(*mysql.Server), nil
}

func init() { pulumi.RegisterResourceModule(Name, "mysql", serverModule{}) }

// remember keeps s for the components that refer to it. The apply is part
// of the construct's context, which the Go SDK waits for before the construct
// returns, so s is kept by then.
func remember(s *mysql.Server) {
	s.URN().ApplyT(func(u pulumi.URN) pulumi.URN {
		servers.Store(string(u), s)
		return u
	})
}
