package clientserver

import (
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/backup"
	"github.com/mysql-client-server/mysql-client-server/components/keypair"
)

// setOutputs fills in the outputs that the role builders did not.
func (cs *ClientServer) setOutputs(args *Args, r roles, keys *keypair.KeyPair, password pulumi.StringInput, c *clientsOut) {
	sshCommands, hostKeys := pulumi.StringMap{}, pulumi.StringMap{}
	for _, h := range r.all() {
		sshCommands[h.Name] = h.SSHCommand(KeyFile)
		hostKeys[h.Name] = h.HostKey
	}
	replicaCommands := pulumi.StringMap{}
	for i, ch := range r.clients {
		if len(r.replicas) == 0 {
			break
		}
		rh := r.replicas[i%len(r.replicas)] // the clients take the replicas in turn
		replicaCommands[ch.Name] = loginCommand(rh.PrivateAddress, args)
	}
	cs.Proofs = allProofs(cs.ClientProofs, cs.ReplicaProofs, cs.Backup)
	endpoints := pulumi.StringArray{}
	for _, rh := range r.replicas {
		endpoints = append(endpoints, pulumi.Sprintf("%s:%d", rh.PrivateAddress, args.Port))
	}
	cs.ReaderEndpoints = endpoints.ToStringArrayOutput()
	cs.CACert = cs.Server.CACert
	cs.CertificateExpiry = cs.Server.CertificateExpiry
	cs.ServerVersion = cs.Server.Version
	cs.Preset = pulumi.String(args.Preset).ToStringOutput()
	cs.ServerPublicAddress = r.server.PublicAddress
	cs.ServerPrivateAddress = r.server.PrivateAddress
	cs.ClientPublicAddresses = c.public.ToStringMapOutput()
	cs.ClientPrivateAddresses = c.private.ToStringMapOutput()
	cs.SSHCommands = sshCommands.ToStringMapOutput()
	cs.HostKeys = hostKeys.ToStringMapOutput()
	cs.MySQLCommands = c.mysqlCommands.ToStringMapOutput()
	cs.UserName = args.UserName.ToStringOutput()
	cs.Accounts = c.accounts.ToStringMapOutput()
	cs.Database = args.Database.ToStringOutput()
	cs.Password = pulumi.ToSecret(password).(pulumi.StringOutput)
	cs.Engine = pulumi.String(string(args.Engine)).ToStringOutput()
	cs.PublicKey = keys.PublicKey
	cs.PrivateKey = keys.PrivateKey
	cs.ReplicaMySQLCommands = replicaCommands.ToStringMapOutput()
	cs.BackupPassphrase = pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput)
	cs.BackupProof = pulumi.ToOutput(backup.Proof{}).(backup.ProofOutput)
	if cs.Backup != nil {
		cs.BackupPassphrase = cs.Backup.Passphrase
		cs.BackupProof = cs.Backup.Proof
	}
}

// Outputs returns the component's outputs by their names, as registered
// and as the stack program exports them: every field with a pulumi tag but
// those tagged stack:"-", so that the list lives in the struct alone.
func (cs *ClientServer) Outputs() pulumi.Map {
	out := pulumi.Map{}
	rt := reflect.TypeOf(cs).Elem()
	for name, v := range tagged(cs) {
		if f, ok := fieldOfTag(rt, name); ok && f.Tag.Get("stack") == "-" {
			continue
		}
		if in, ok := v.(pulumi.Input); ok {
			out[name] = in
		}
	}
	return out
}

// fieldOfTag is t's field whose pulumi tag is name.
func fieldOfTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("pulumi") == name {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

// tagged is v's fields that have a pulumi tag, by tag: for a struct (or a
// pointer to one), the object it marshals as.
func tagged(v any) map[string]interface{} {
	rv := reflect.Indirect(reflect.ValueOf(v))
	out := map[string]interface{}{}
	for i := 0; i < rv.NumField(); i++ {
		if tag, ok := rv.Type().Field(i).Tag.Lookup("pulumi"); ok {
			out[tag] = rv.Field(i).Interface()
		}
	}
	return out
}
