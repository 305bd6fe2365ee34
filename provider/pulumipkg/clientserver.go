package pulumipkg

import (
	"fmt"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/aws"
	"github.com/mysql-client-server/mysql-client-server/components/backup"
	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/stack"
)

// ClientServerArgs are clientserver.Args as a package's inputs: the
// platform is a name and its settings rather than a Go value, and the
// durations are the config's forms (daily, 6h, 30d). Each field has the
// name of the clientserver.Args field it sets. A field whose comment says
// it "is as" that field has that field's doc comment as its description in
// the schema; the others' comments say what differs here.
type ClientServerArgs struct {
	// Platform is where the hosts run: local (network namespaces on the
	// machine that runs the program) or aws (EC2 instances). Required.
	Platform string `pulumi:"platform"`
	// Local is the local platform's settings.
	Local *LocalPlatform `pulumi:"local,optional"`
	// AWS is the aws platform's settings; operatorCidr is required there.
	AWS *AWSPlatform `pulumi:"aws,optional"`

	// ServerName is as clientserver.Args.ServerName.
	ServerName string `pulumi:"serverName,optional"`
	// Clients is as clientserver.Args.Clients.
	Clients []string `pulumi:"clients,optional"`
	// Engine is the database server, mysql or mariadb. Empty: the engine
	// the server already runs, else mysql. Changing it under existing data
	// is refused.
	Engine string `pulumi:"engine,optional"`
	// BackupSchedule is how often a full backup is taken: hourly, daily
	// (the default), weekly, a number of days (2d) or a duration (6h).
	BackupSchedule string `pulumi:"backupSchedule,optional"`
	// BackupRetention is how long backups are kept, as BackupSchedule's
	// forms. Defaults to 7d.
	BackupRetention string `pulumi:"backupRetention,optional"`
	// BackupRecoveryPoint bounds the commits lost with the server, as
	// BackupSchedule's forms (5m by default): the binary logs are archived
	// every half of it.
	BackupRecoveryPoint string `pulumi:"backupRecoveryPoint,optional"`

	// UserName is as clientserver.Args.UserName.
	UserName pulumi.StringInput `pulumi:"userName,optional"`
	// Password is as clientserver.Args.Password.
	Password pulumi.StringInput `pulumi:"password,optional" provider:"secret"`
	// Preset is as clientserver.Args.Preset.
	Preset string `pulumi:"preset,optional"`
	// AllPrivileges is as clientserver.Args.AllPrivileges.
	AllPrivileges bool `pulumi:"allPrivileges,optional"`
	// GrantOption is as clientserver.Args.GrantOption.
	GrantOption bool `pulumi:"grantOption,optional"`
	// VerifyRun is as clientserver.Args.VerifyRun.
	VerifyRun pulumi.StringInput `pulumi:"verifyRun,optional"`
	// Database is as clientserver.Args.Database.
	Database pulumi.StringInput `pulumi:"database,optional"`
	// Port is as clientserver.Args.Port.
	Port int `pulumi:"port,optional"`
	// SSHPrivateKey is as clientserver.Args.SSHPrivateKey.
	SSHPrivateKey pulumi.StringInput `pulumi:"sshPrivateKey,optional" provider:"secret"`
	// SSHPublicKey is as clientserver.Args.SSHPublicKey.
	SSHPublicKey pulumi.StringInput `pulumi:"sshPublicKey,optional"`
	// Replicas is as clientserver.Args.Replicas.
	Replicas int `pulumi:"replicas,optional"`
	// NoBackups is as clientserver.Args.NoBackups.
	NoBackups bool `pulumi:"noBackups,optional"`
	// BackupDeleteOnDestroy is as clientserver.Args.BackupDeleteOnDestroy.
	BackupDeleteOnDestroy bool `pulumi:"backupDeleteOnDestroy,optional"`
	// BackupPassphrase is as clientserver.Args.BackupPassphrase.
	BackupPassphrase pulumi.StringInput `pulumi:"backupPassphrase,optional" provider:"secret"`
	// RestoreFrom is as clientserver.Args.RestoreFrom.
	RestoreFrom string `pulumi:"restoreFrom,optional"`
	// RestoreHost is as clientserver.Args.RestoreHost.
	RestoreHost bool `pulumi:"restoreHost,optional"`
}

// LocalPlatform is the settings of the local platform (local.Platform),
// as inputs.
type LocalPlatform struct {
	// Name tells this component's hosts apart from any other's on the
	// machine. Defaults to <project>/<stack>/<component name>.
	Name string `pulumi:"name,optional"`
	// Subnet is the hosts' IPv4 subnet, /16 to /27, which no route of the
	// machine may overlap. Defaults to 10.213.0.0/24: each ClientServer on
	// one machine needs a subnet of its own.
	Subnet string `pulumi:"subnet,optional"`
	// StateDir is as local.Platform.StateDir.
	StateDir string `pulumi:"stateDir,optional"`
}

// AWSPlatform is the settings of the aws platform (aws.Platform), as
// inputs.
type AWSPlatform struct {
	// OperatorCIDR is as aws.Platform.OperatorCIDR.
	OperatorCIDR string `pulumi:"operatorCidr,optional"`
	// AllowServerDelete is as aws.Platform.AllowServerDelete.
	AllowServerDelete bool `pulumi:"allowServerDelete,optional"`
	// AMI is as aws.Platform.AMI.
	AMI string `pulumi:"ami,optional"`
	// InstanceType is as aws.Platform.InstanceType.
	InstanceType string `pulumi:"instanceType,optional"`
	// SubnetID is as aws.Platform.SubnetID.
	SubnetID string `pulumi:"subnetId,optional"`
	// VpcID is as aws.Platform.VpcID.
	VpcID string `pulumi:"vpcId,optional"`
	// BackupBucket is as aws.Platform.BackupBucket.
	BackupBucket string `pulumi:"backupBucket,optional"`
}

// NewClientServer is clientserver.New behind the package's inputs: it
// builds the Args and the platform, checks the secrets' values, and
// clientserver.New checks the rest before anything is created, with the
// errors a Go program gets (a platform's naming its input here).
func NewClientServer(ctx *pulumi.Context, name string, in ClientServerArgs, opts ...pulumi.ResourceOption) (*clientserver.ClientServer, error) {
	args, err := in.args(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := in.checkSecrets(ctx); err != nil {
		return nil, err
	}
	cs, err := clientserver.New(ctx, name, args, opts...)
	if err != nil {
		return nil, platformError(err)
	}
	return cs, nil
}

// platformInputs maps the keys the platforms' errors start with (the
// stack's config keys) to the inputs that set them here.
var platformInputs = map[string]string{
	"localSubnet": "Local.Subnet", "localStateDir": "Local.StateDir", "operatorCidr": "AWS.OperatorCIDR",
	"ami": "AWS.AMI", "instanceType": "AWS.InstanceType", "subnetId": "AWS.SubnetID", "vpcId": "AWS.VpcID",
	"backupBucket": "AWS.BackupBucket", "clients": "Clients",
}

// platformError names the input in an error of a platform's settings
// ("localSubnet: ..." becomes "ClientServerArgs.Local.Subnet: ..."); other
// errors already name their ClientServerArgs field.
func platformError(err error) error { return inputError(err, "ClientServerArgs", platformInputs) }

// inputError renames an error that starts with a config key of inputs
// ("localSubnet: ...") to the field of args that sets it here
// ("ClientServerArgs.Local.Subnet: ..."); other errors stay as they are.
func inputError(err error, args string, inputs map[string]string) error {
	for key, field := range inputs {
		if rest, ok := strings.CutPrefix(err.Error(), key+": "); ok {
			return fmt.Errorf("%s.%s: %s", args, field, rest)
		}
	}
	return err
}

// args turns the inputs into clientserver.Args.
func (in ClientServerArgs) args(ctx *pulumi.Context, name string) (*clientserver.Args, error) {
	a := &clientserver.Args{
		ServerName: in.ServerName, Clients: in.Clients, UserName: in.UserName, Password: in.Password,
		Preset: in.Preset, AllPrivileges: in.AllPrivileges, GrantOption: in.GrantOption, VerifyRun: in.VerifyRun,
		Database: in.Database, Port: in.Port, SSHPrivateKey: in.SSHPrivateKey, SSHPublicKey: in.SSHPublicKey,
		Replicas: in.Replicas, Engine: host.Engine(in.Engine), NoBackups: in.NoBackups,
		BackupDeleteOnDestroy: in.BackupDeleteOnDestroy, BackupPassphrase: in.BackupPassphrase,
		RestoreFrom: in.RestoreFrom, RestoreHost: in.RestoreHost,
	}
	for _, d := range []struct {
		field, value string
		dst          *time.Duration
	}{{"BackupSchedule", in.BackupSchedule, &a.BackupSchedule}, {"BackupRetention", in.BackupRetention, &a.BackupRetention},
		{"BackupRecoveryPoint", in.BackupRecoveryPoint, &a.BackupRecoveryPoint}} {
		if d.value == "" {
			continue
		}
		v, err := backup.ParseInterval(d.value)
		if err != nil {
			return nil, fmt.Errorf("ClientServerArgs.%s: %w", d.field, err)
		}
		*d.dst = v
	}
	p, err := in.platform(ctx, name)
	if err != nil {
		return nil, err
	}
	a.Platform = p
	return a, nil
}

// platform builds the named platform from its settings; its Validate, which
// clientserver.New runs, checks them.
func (in ClientServerArgs) platform(ctx *pulumi.Context, name string) (host.Platform, error) {
	switch in.Platform {
	case "local":
		l := LocalPlatform{}
		if in.Local != nil {
			l = *in.Local
		}
		if l.Name == "" {
			l.Name = ctx.Project() + "/" + ctx.Stack() + "/" + name
		}
		return stack.LocalPlatform(l.Name, l.Subnet, l.StateDir, in.Preset), nil
	case "aws":
		s := AWSPlatform{}
		if in.AWS != nil {
			s = *in.AWS
		}
		return stack.AWSPlatform(aws.Platform{
			OperatorCIDR: s.OperatorCIDR, AllowServerDelete: s.AllowServerDelete, AMI: s.AMI,
			InstanceType: s.InstanceType, SubnetID: s.SubnetID, VpcID: s.VpcID, BackupBucket: s.BackupBucket,
		}, in.Preset), nil
	default:
		return nil, fmt.Errorf("ClientServerArgs.Platform: %q is not a platform: expected aws or local", in.Platform)
	}
}
