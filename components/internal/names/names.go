// Package names is the one rule for naming a component's children. Each name
// derives from the component's own, so that two components of one type in a
// program (an "orders" and a "billing" ClientServer) never collide. A child
// that an earlier version named otherwise keeps that name as an alias, so
// that a stack deployed by that version adopts its resources in place.
package names

import (
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Of names parent's child that is what: "<parent>-<what>", or what alone
// at the top level (no parent).
func Of(parent pulumi.Resource, what string) string {
	if parent == nil {
		return what
	}
	return parent.PulumiResourceName() + "-" + what
}

// OfHost names parent's child that is what for the named host:
// "<host>-<parent>-<what>" ("mysql_client-mysql-user").
func OfHost(parent pulumi.Resource, host, what string) string {
	return host + "-" + Of(parent, what)
}

// Host names the resource of the named host, a child of parent: the host's
// name when it already starts with the parent's ("mysql_server" in "mysql"),
// else "<parent>-<host>" ("orders-mysql_server"); the host's name at the
// top level.
func Host(parent pulumi.Resource, host string) string {
	if parent == nil || strings.HasPrefix(host, parent.PulumiResourceName()+"_") {
		return host
	}
	return parent.PulumiResourceName() + "-" + host
}

// Was lets the resource named name adopt the state of the one an earlier
// version named old under the same parent. It is no option when the two are
// the same.
func Was(name, old string) pulumi.ResourceOption {
	if name == old {
		return pulumi.Aliases(nil)
	}
	return pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(old)}})
}

// WasTopLevel is Was for a resource that an earlier version made with no
// parent.
func WasTopLevel(old string) pulumi.ResourceOption {
	return pulumi.Aliases([]pulumi.Alias{{Name: pulumi.String(old), NoParent: pulumi.Bool(true)}})
}
