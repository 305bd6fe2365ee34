package clientserver

import "github.com/mysql-client-server/mysql-client-server/components/host"

// roles are the stack's hosts by what they are for.
type roles struct {
	server   *host.Host
	clients  []*host.Host
	replicas []*host.Host
	restore  *host.Host // nil without Args.RestoreHost
}

// byRole sorts the hosts a platform made by their role, keeping their
// order within each.
func byRole(hosts []*host.Host) roles {
	var r roles
	for _, h := range hosts {
		switch h.Role {
		case host.RoleServer:
			r.server = h
		case host.RoleClient:
			r.clients = append(r.clients, h)
		case host.RoleReplica:
			r.replicas = append(r.replicas, h)
		case host.RoleRestore:
			r.restore = h
		}
	}
	return r
}

// all is every host: the server, the clients, the replicas, then the
// restore host.
func (r roles) all() []*host.Host {
	all := append(append([]*host.Host{r.server}, r.clients...), r.replicas...)
	if r.restore != nil {
		all = append(all, r.restore)
	}
	return all
}
