package backup

import (
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// ReaderType is the type token of Reader.
const ReaderType = "mysql-client-server:backup:Reader"

// Reader is the backups' read side on the restore host (Args.Reader): a
// component of its own, so that its host's staged scripts are its child.
type Reader struct {
	pulumi.ResourceState
}

// reader installs the backups' read side on Args.Reader, the restore
// host, where there is one: the engine's server package, the backup tools
// and the store's settings with the reader's own read-only credentials,
// and no schedule. make restore restores onto it (backup-restore.sh).
func (b *Backup) reader(ctx *pulumi.Context, name string, args *Args) error {
	h, st := args.Reader, args.Store
	if h == nil {
		return nil
	}
	r := st.Reader
	env := map[string]pulumi.StringInput{
		"MCS_STORE_ENDPOINT": r.Endpoint, "MCS_STORE_REGION": st.Region, "MCS_STORE_BUCKET": st.Bucket,
		"MCS_STORE_PREFIX": st.Prefix, "MCS_STORE_CA": r.CACert, "MCS_BACKUP_READER": pulumi.String("yes"),
		"MCS_SCHEDULE_SECONDS": pulumi.String("0"), "MCS_RETENTION_SECONDS": pulumi.String("0"), "MCS_BINLOG_SECONDS": pulumi.String("0"),
	}
	mysql.EngineEnv(env, h)
	rd, rname := &Reader{}, name+"-reader"
	if err := ctx.RegisterComponentResource(ReaderType, rname, rd, pulumi.Parent(b)); err != nil {
		return err
	}
	_, err := hostSet.Command(ctx, rd, rname+"-install", h, &remote.CommandArgs{
		Create: hostSet.Run("backup-install.sh", env),
		Delete: hostSet.Run("backup-remove.sh", nil),
		Stdin:  installStdin(r.AccessKey, r.SecretKey, b.Passphrase),
	}, pulumi.DependsOn(append([]pulumi.Resource{}, r.Ready...)))
	if err != nil {
		return err
	}
	return ctx.RegisterResourceOutputs(rd, pulumi.Map{})
}
