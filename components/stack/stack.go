package stack

import (
	"regexp"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
)

// Run is the Pulumi program: it loads the configuration, builds the
// ClientServer and exports its outputs.
func Run(ctx *pulumi.Context) error {
	outputs, err := Build(ctx)
	if err != nil {
		return err
	}
	for k, v := range outputs {
		ctx.Export(k, v)
	}
	return nil
}

// Build loads the configuration and builds the ClientServer. It returns the
// stack outputs by name. clientserver.New checks the Args before it creates
// anything; its errors, which name an Args field, come back naming the
// config key instead.
func Build(ctx *pulumi.Context) (map[string]pulumi.Input, error) {
	cfg, err := Load(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := clientserver.New(ctx, "mysql", &cfg.Args)
	if err != nil {
		return nil, argsError(err)
	}
	outputs := map[string]pulumi.Input{"platform": pulumi.String(cfg.Platform)}
	for k, v := range cs.Outputs() {
		outputs[k] = v
	}
	return outputs, nil
}

// argsKeys maps each ClientServerArgs field that a config key sets to the
// key. Args holds every rule about a field, and names the field in its
// errors; Build names the key instead. Fields without a check yet are here
// too, so that a check added to Args names its key. ServerName and Platform
// have no key.
var argsKeys = map[string]string{
	"Clients": "clients", "Replicas": "replicas", "Port": "port", "UserName": "userName", "Database": "database",
	"Preset": "preset", "Engine": "engine", "Password": "password", "SSHPrivateKey": "sshPrivateKey",
	"SSHPublicKey": "sshPublicKey", "AllPrivileges": "allPrivileges", "GrantOption": "grantOption", "VerifyRun": "verifyRun",
	"NoBackups": "backups", "BackupSchedule": "backupSchedule", "BackupRetention": "backupRetention",
	"BackupRecoveryPoint":   "backupRecoveryPoint",
	"BackupDeleteOnDestroy": "backupKeepOnDestroy", "BackupPassphrase": "backupPassphrase",
	"RestoreFrom": "restoreFrom", "RestoreHost": "restoreHost",
}

// argsField matches the field an error of ClientServerArgs starts with, and
// the item's index in a list field: "ClientServerArgs.Clients[1]: ".
var argsField = regexp.MustCompile(`^ClientServerArgs\.([A-Za-z]+)(?:\[([0-9]+)\])?: `)

// argsError names the config key in an error of ClientServerArgs ("item i"
// for a list's item), or of the platform (which starts with the bare key).
func argsError(err error) error {
	msg := err.Error()
	m := argsField.FindStringSubmatch(msg)
	if m == nil {
		return prefixKey(err)
	}
	key, ok := argsKeys[m[1]]
	if !ok {
		return err
	}
	rest := msg[len(m[0]):]
	if m[2] != "" {
		rest = "item " + m[2] + ": " + rest
	}
	return keyError(key, "%s", rest)
}
