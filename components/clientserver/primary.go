package clientserver

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/names"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// newPrimary installs the server, opens its port to the clients and the
// replicas, and probes it from the operator (closed, except with the
// tutorial preset). It returns the ingress, which the proofs wait for.
func (cs *ClientServer) newPrimary(ctx *pulumi.Context, args *Args, r roles) (pulumi.Resource, error) {
	parent := pulumi.Parent(cs)
	tutorial := args.Preset == PresetTutorial
	warnings := pulumi.StringArray{}
	if tutorial {
		args.warnings = append([]string{TutorialWarning}, args.warnings...)
	}
	for _, w := range args.warnings {
		_ = ctx.Log.Warn(w, &pulumi.LogArgs{Resource: cs})
		warnings = append(warnings, pulumi.String(w))
	}
	cs.Warnings = warnings.ToStringArrayOutput()
	serverArgs := &mysql.ServerArgs{Host: r.server, Port: args.Port, AllowPlaintext: tutorial}
	if tutorial {
		serverArgs.BindAddress = pulumi.String("0.0.0.0")
	}
	serverName := names.Of(cs, "server")
	server, err := mysql.NewServer(ctx, serverName, serverArgs, parent, names.Was(serverName, "mysql-server"))
	if err != nil {
		return nil, err
	}
	cs.Server = server
	ingress, err := args.Platform.NewIngress(ctx, cs, r.server, append(append([]*host.Host{}, r.clients...), r.replicas...),
		args.Port, tutorial)
	if err != nil {
		return nil, err
	}
	cs.OperatorCheck = pulumi.String("skipped: the tutorial preset opens the MySQL port").ToStringOutput()
	if !tutorial {
		closedName := names.Of(cs, "closed-to-operator")
		closed, err := mysql.NewClosedCheck(ctx, closedName, &mysql.ClosedCheckArgs{
			Address: r.server.PublicAddress, Port: args.Port, Run: args.VerifyRun, Timeout: r.server.ProbeTimeout,
			After: []pulumi.Resource{ingress, server.Install},
		}, parent, names.Was(closedName, "mysql-closed-to-operator"))
		if err != nil {
			return nil, err
		}
		cs.OperatorCheck = closed.Result
	}
	return ingress, nil
}
