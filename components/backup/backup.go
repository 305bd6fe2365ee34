// Package backup is the server's backups, as a component: scheduled full
// physical backups of the primary to an S3 store (host.Store), encrypted on
// the server before they leave it, each restored from the store into a
// scratch data directory and checked table by table, and pruned after the
// retention.
package backup

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/generate"
	"github.com/mysql-client-server/mysql-client-server/components/mysql"
)

// Type is the type token of Backup.
const Type = "mysql-client-server:backup:Backup"

// Args configures a Backup.
type Args struct {
	// Server is the primary whose data is backed up. Required.
	Server *mysql.Server
	// Store is where the backups go. Required.
	Store *host.Store
	// Schedule is how often a full backup is taken. Defaults to
	// DefaultSchedule (daily); at least MinSchedule.
	Schedule time.Duration
	// Retention is how long a backup is kept. Defaults to DefaultRetention
	// (7 days); at least Schedule. The newest backup that passed its restore
	// check is kept whatever its age.
	Retention time.Duration
	// RecoveryPoint bounds how much is lost with the server: the binary
	// logs are archived every half of it. Defaults to
	// DefaultRecoveryPoint (5 minutes); at least MinRecoveryPoint.
	RecoveryPoint time.Duration
	// Passphrase encrypts every object before it leaves the server, a
	// secret. When nil, one is generated once and kept stable.
	Passphrase pulumi.StringInput
	// Run re-reads the proof from the store when it changes (make verify).
	Run pulumi.StringInput
	// RestoreFrom, when set, fills the new server with its backups before
	// the first backup is taken (CheckTarget: latest, a backup's name,
	// time=<RFC 3339>|now, or gtid=<GTID set>). Passphrase must then be the
	// one the backups were made with. It acts once, when the server is
	// new, and refuses a server that holds data; a later change of it
	// changes nothing.
	RestoreFrom string
	// Reader, when set, is the restore host (host.RoleRestore): it gets the
	// store's read-only access (Store.Reader) and no schedule, for make
	// restore to restore onto.
	Reader *host.Host
}

// Backup schedules the server's backups and proves the newest one restores.
type Backup struct {
	pulumi.ResourceState

	// Proof is the newest backup and its restore check, as of this up.
	Proof ProofOutput `pulumi:"proof"`
	// Passphrase is the encryption passphrase, a secret: a restore needs it.
	Passphrase pulumi.StringOutput `pulumi:"passphrase"`
	// Restored is what RestoreFrom restored ("restored: <backup>", "target:
	// ...", "gtid: ...", then a "rows: <table> <n>" line per table); empty
	// without it.
	Restored pulumi.StringOutput `pulumi:"restored"`

	// Restore is the command that fills the server (RestoreFrom), nil
	// without it: whatever needs the server's data waits for it.
	Restore pulumi.Resource
}

func (a *Args) validate() error {
	switch {
	case a == nil || a.Server == nil:
		return errors.New("BackupArgs.Server: required: the primary to back up")
	case a.Store == nil:
		return errors.New("BackupArgs.Store: required: where the backups go (a platform's NewStore)")
	case a.Reader != nil && a.Store.Reader == nil:
		return errors.New("BackupArgs.Reader: the store gives it no access: expected a store made with host.StoreSpec.Reader")
	}
	if err := CheckTimes(&a.Schedule, &a.Retention, &a.RecoveryPoint); err != nil {
		return fmt.Errorf("BackupArgs.%w", err)
	}
	switch err := CheckRestore(a.RestoreFrom, a.Passphrase); {
	case errors.Is(err, ErrRestoreNeedsPassphrase):
		return fmt.Errorf("BackupArgs.Passphrase: %w", err)
	case err != nil:
		return fmt.Errorf("BackupArgs.RestoreFrom: %w", err)
	}
	return nil
}

// CheckTimes fills in the default schedule, retention and recovery point
// where they are zero and checks them; its errors start with the field:
// "Schedule: ".
func CheckTimes(schedule, retention, recoveryPoint *time.Duration) error {
	if *schedule == 0 {
		*schedule = DefaultSchedule
	}
	if *retention == 0 {
		*retention = DefaultRetention
	}
	if *recoveryPoint == 0 {
		*recoveryPoint = DefaultRecoveryPoint
	}
	if *recoveryPoint < MinRecoveryPoint {
		return fmt.Errorf("RecoveryPoint: %s: expected at least %s (the binary logs are archived every half of it)", *recoveryPoint, MinRecoveryPoint)
	}
	if *schedule < MinSchedule {
		return fmt.Errorf("Schedule: %s: expected at least %s", *schedule, MinSchedule)
	}
	if *retention < *schedule {
		return fmt.Errorf("Retention: %s: expected at least the schedule (%s), or every backup but the newest would go", *retention, *schedule)
	}
	return nil
}

// New creates a Backup. Args are validated before anything is created.
func New(ctx *pulumi.Context, name string, args *Args, opts ...pulumi.ResourceOption) (*Backup, error) {
	if args != nil {
		a := *args
		args = &a
	}
	if err := args.validate(); err != nil {
		return nil, err
	}
	b := &Backup{}
	if err := ctx.RegisterComponentResource(Type, name, b, opts...); err != nil {
		return nil, err
	}
	passphrase := args.Passphrase
	if passphrase == nil {
		p, err := generate.Once(ctx, name+"-passphrase", generate.Password, pulumi.Parent(b))
		if err != nil {
			return nil, err
		}
		passphrase = p
	} else {
		// A passphrase only known once a resource is made is checked when
		// it resolves; one known before is checked by the caller's Args.
		passphrase = passphrase.ToStringOutput().ApplyT(func(s string) (string, error) {
			if err := ValidatePassphrase(s); err != nil {
				return "", fmt.Errorf("BackupArgs.Passphrase: %w", err)
			}
			return s, nil
		}).(pulumi.StringOutput)
	}
	b.Passphrase = pulumi.ToSecret(passphrase.ToStringOutput()).(pulumi.StringOutput)
	proof, err := b.commands(ctx, name, args)
	if err != nil {
		return nil, err
	}
	if err := b.reader(ctx, name, args); err != nil {
		return nil, err
	}
	b.Proof = proof.ApplyT(ParseProof).(ProofOutput)
	return b, ctx.RegisterResourceOutputs(b, pulumi.Map{"proof": b.Proof, "passphrase": b.Passphrase, "restored": b.Restored})
}

// commands installs the backups on the server, takes the first one (once,
// when the Backup is created), and reads the proof.
func (b *Backup) commands(ctx *pulumi.Context, name string, args *Args) (pulumi.StringOutput, error) {
	st, h := args.Store, args.Server.Host
	install, err := hostSet.Command(ctx, b, name+"-install", h, &remote.CommandArgs{
		Create: hostSet.Run("backup-install.sh", map[string]pulumi.StringInput{
			"MCS_STORE_ENDPOINT": st.Endpoint, "MCS_STORE_REGION": st.Region, "MCS_STORE_BUCKET": st.Bucket,
			"MCS_STORE_PREFIX": st.Prefix, "MCS_STORE_CA": st.CACert,
			"MCS_SCHEDULE_SECONDS": pulumi.String(seconds(args.Schedule)), "MCS_RETENTION_SECONDS": pulumi.String(seconds(args.Retention)),
			"MCS_BINLOG_SECONDS": pulumi.String(seconds(args.RecoveryPoint / 2)),
		}),
		Delete: hostSet.Run("backup-remove.sh", nil),
		Stdin:  installStdin(st.AccessKey, st.SecretKey, b.Passphrase),
	}, pulumi.DependsOn(append([]pulumi.Resource{args.Server.Install}, st.Ready...)))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	before, err := b.restore(ctx, name, args, install)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	first, err := hostSet.Command(ctx, b, name+"-first", h, &remote.CommandArgs{
		Create: hostSet.Run("backup-run.sh", nil),
	}, pulumi.DependsOn([]pulumi.Resource{before}))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	run := args.Run
	if run == nil {
		run = pulumi.String("")
	}
	proof, err := hostSet.Command(ctx, b, name+"-proof", h, &remote.CommandArgs{
		Create:   hostSet.Run("backup-proof.sh", nil),
		Triggers: pulumi.Array{run},
	}, pulumi.DependsOn([]pulumi.Resource{first}))
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return proof.Stdout, nil
}

// installStdin is backup-install.sh's stdin, a secret: the store's access
// key and secret key (both empty: the host's own credentials), then the
// passphrase, a line each.
func installStdin(access, secret, passphrase pulumi.StringOutput) pulumi.StringOutput {
	return pulumi.ToSecret(pulumi.All(access, secret, passphrase).ApplyT(func(v []any) string {
		return strings.Join([]string{v[0].(string), v[1].(string), v[2].(string)}, "\n") + "\n"
	})).(pulumi.StringOutput)
}

// restore fills the new server with its backups (RestoreFrom), once: the
// command ignores later changes of its script and target, so an up never
// restores over a running server. It returns what the first backup waits
// for: the restore, or the install without one.
func (b *Backup) restore(ctx *pulumi.Context, name string, args *Args, install pulumi.Resource) (pulumi.Resource, error) {
	b.Restored = pulumi.String("").ToStringOutput()
	if args.RestoreFrom == "" {
		return install, nil
	}
	cmd, err := hostSet.Command(ctx, b, name+"-restore", args.Server.Host, &remote.CommandArgs{
		Create: hostSet.Run("backup-restore-server.sh", map[string]pulumi.StringInput{
			"MCS_RESTORE_TARGET": pulumi.String(args.RestoreFrom),
		}),
	}, pulumi.DependsOn([]pulumi.Resource{install}), pulumi.IgnoreChanges([]string{"create"}))
	if err != nil {
		return nil, err
	}
	b.Restore, b.Restored = cmd, cmd.Stdout
	return cmd, nil
}
