package clientserver

import (
	"errors"
	"fmt"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/backup"
	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/names"
)

// StoreName is the local platform's backup store host.
const StoreName = "mysql_backup_store"

// RestoreHostName is the scratch host make restore restores onto
// (Args.RestoreHost).
const RestoreHostName = "mysql_restore"

// BackupsKey is the key of the backups' proof in Proofs.
const BackupsKey = "backups"

// validateBackups checks the backups' settings, and that the platform can
// make their store on this machine.
func (a *Args) validateBackups() error {
	if a.NoBackups {
		if a.RestoreFrom != "" {
			return errors.New("ClientServerArgs.RestoreFrom: needs backups on: the restore reads the backup store")
		}
		if a.RestoreHost {
			return errors.New("ClientServerArgs.RestoreHost: needs backups on: the restore host reads the backup store")
		}
		return nil
	}
	if a.RestoreHost && slices.Contains(a.Clients, RestoreHostName) {
		return fmt.Errorf("ClientServerArgs.RestoreHost: a client is named %s, the restore host's name: expected another client name", RestoreHostName)
	}
	stores, ok := a.Platform.(host.Stores)
	if !ok {
		// A platform of an importer's own, written before backups: the
		// stack it runs keeps running as it did, and says why it has none.
		if a.RestoreFrom != "" {
			return fmt.Errorf("ClientServerArgs.RestoreFrom: the platform %T makes no backup store (host.Stores) to restore from", a.Platform)
		}
		if a.RestoreHost {
			return fmt.Errorf("ClientServerArgs.RestoreHost: the platform %T makes no backup store (host.Stores) to restore from", a.Platform)
		}
		a.NoBackups = true
		a.warnings = append(a.warnings, fmt.Sprintf("backups are off: the platform %T makes no backup store (host.Stores)", a.Platform))
		return nil
	}
	if err := backup.CheckTimes(&a.BackupSchedule, &a.BackupRetention, &a.BackupRecoveryPoint); err != nil {
		return fmt.Errorf("ClientServerArgs.Backup%w", err)
	}
	if err := stores.CheckStore(); err != nil {
		return fmt.Errorf("ClientServerArgs.NoBackups: %w", err)
	}
	switch err := backup.CheckRestore(a.RestoreFrom, a.BackupPassphrase); {
	case errors.Is(err, backup.ErrRestoreNeedsPassphrase):
		return fmt.Errorf("ClientServerArgs.BackupPassphrase: %w", err)
	case err != nil:
		return fmt.Errorf("ClientServerArgs.RestoreFrom: %w", err)
	}
	return nil
}

// newBackups makes the backup store and the server's backups, unless they
// are off, and restores the backups into a new server (RestoreFrom).
func (cs *ClientServer) newBackups(ctx *pulumi.Context, args *Args, r roles, keys host.KeyMaterial) error {
	if args.NoBackups {
		return nil
	}
	store, err := args.Platform.(host.Stores).NewStore(ctx, cs, host.StoreSpec{
		Name: StoreName, Server: r.server, Reader: r.restore, Keys: keys, Sign: cs.Server.Sign, CACert: cs.Server.CACert,
		Retention: args.BackupRetention, KeepOnDestroy: !args.BackupDeleteOnDestroy,
	})
	if err != nil {
		return err
	}
	b, err := backup.New(ctx, names.Of(cs, "backup"), &backup.Args{
		Server: cs.Server, Store: store, Schedule: args.BackupSchedule, Retention: args.BackupRetention,
		RecoveryPoint: args.BackupRecoveryPoint,
		Passphrase:    args.BackupPassphrase, Run: args.VerifyRun, RestoreFrom: args.RestoreFrom, Reader: r.restore,
	}, pulumi.Parent(cs))
	if err != nil {
		return err
	}
	cs.Backup = b
	if b.Restore != nil {
		// The accounts and the replicas are made on the restored data.
		cs.Server.Filled(b.Restore)
	}
	return nil
}
