package aws

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/names"
)

var _ host.Stores = (*Platform)(nil)

// CheckStore: an S3 bucket needs nothing of this machine.
func (p *Platform) CheckStore() error { return nil }

// backupRole is the server's IAM role and instance profile: the
// instance's credentials for its backups, with no static key anywhere.
// NewStore gives the role its one policy.
func (p *Platform) backupRole(ctx *pulumi.Context, parent pulumi.Resource, server string) (*iam.Role, *iam.InstanceProfile, error) {
	name := names.OfHost(parent, server, "backup-role")
	role, err := iam.NewRole(ctx, name, &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
			`"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
		Description: pulumi.String("mysql-client-server: the server's backups, its own prefix only"),
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, nil, err
	}
	profile, err := iam.NewInstanceProfile(ctx, names.OfHost(parent, server, "backup-profile"), &iam.InstanceProfileArgs{
		Role: role.Name,
	}, pulumi.Parent(parent))
	return role, profile, err
}

// NewStore makes the backup bucket: default encryption, versioning, no
// public access, TLS only, objects expiring after the retention (with two
// days' margin: the backups prune themselves exactly, and keep the newest
// verified one), and a policy on the server's role that may write and read
// its own prefix only. It is kept by `pulumi destroy` unless KeepOnDestroy
// is false, and protected like the server.
func (p *Platform) NewStore(ctx *pulumi.Context, parent pulumi.Resource, spec host.StoreSpec) (*host.Store, error) {
	role, ok := p.roles[spec.Server]
	if spec.Server == nil || !ok {
		return nil, errors.New("aws.Platform.NewStore: the server was not made by this platform with Spec.Backups")
	}
	name := names.Of(parent, "backups")
	bucket, err := p.bucket(ctx, name, parent, spec.KeepOnDestroy)
	if err != nil {
		return nil, err
	}
	prefix := spec.Server.Name
	// The rules stay with a kept bucket: its backups stay private and TLS
	// only, and expire.
	ready, err := p.bucketRules(ctx, name, bucket, spec.Retention, pulumi.Parent(bucket),
		pulumi.RetainOnDelete(spec.KeepOnDestroy || p.BackupBucket != ""))
	if err != nil {
		return nil, err
	}
	policy, err := iam.NewRolePolicy(ctx, names.OfHost(parent, spec.Server.Name, "backup-policy"), &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: prefixPolicy(bucket.Arn, prefix),
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, err
	}
	endpoint, none := pulumi.Sprintf("https://s3.%s.amazonaws.com", bucket.Region), pulumi.String("").ToStringOutput()
	reader, err := p.storeReader(ctx, parent, spec, bucket, endpoint)
	if err != nil {
		return nil, err
	}
	return &host.Store{
		Endpoint: endpoint, Region: bucket.Region,
		Bucket: bucket.Bucket, Prefix: pulumi.String(prefix).ToStringOutput(),
		AccessKey: none, SecretKey: none, CACert: none, Ready: append(ready, policy), Reader: reader,
	}, nil
}

// storeReader gives spec.Reader, where there is one, a policy on its own
// role that may list and read the server's prefix, and write nothing. Nil
// without a reader.
func (p *Platform) storeReader(ctx *pulumi.Context, parent pulumi.Resource, spec host.StoreSpec, bucket *s3.BucketV2,
	endpoint pulumi.StringOutput) (*host.StoreAccess, error) {
	if spec.Reader == nil {
		return nil, nil
	}
	role, ok := p.roles[spec.Reader]
	if !ok {
		return nil, errors.New("aws.Platform.NewStore: the reader was not made by this platform with Spec.ReadsBackups")
	}
	policy, err := iam.NewRolePolicy(ctx, names.OfHost(parent, spec.Reader.Name, "backup-read-policy"), &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: readPolicy(bucket.Arn, spec.Server.Name),
	}, pulumi.Parent(parent))
	if err != nil {
		return nil, err
	}
	none := pulumi.String("").ToStringOutput()
	return &host.StoreAccess{Endpoint: endpoint, AccessKey: none, SecretKey: none, CACert: none,
		Ready: []pulumi.Resource{policy}}, nil
}

// readPolicy may list and read under bucket/prefix/ only.
func readPolicy(bucketArn pulumi.StringOutput, prefix string) pulumi.StringOutput {
	return bucketArn.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{
			{"Effect": "Allow", "Action": []string{"s3:GetObject"}, "Resource": arn + "/" + prefix + "/*"},
			listStatement(arn, prefix),
		}})
		return string(b), err
	}).(pulumi.StringOutput)
}

// listStatement may list bucket arn's keys under prefix/ only.
func listStatement(arn, prefix string) map[string]any {
	return map[string]any{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": arn,
		"Condition": map[string]any{"StringLike": map[string]any{"s3:prefix": []string{prefix + "/*", prefix + "/"}}}}
}

// bucket makes the backup bucket, or adopts BackupBucket, a bucket an
// earlier stack kept: it is imported, and kept by pulumi destroy whatever
// keep says (this stack did not make it).
func (p *Platform) bucket(ctx *pulumi.Context, name string, parent pulumi.Resource, keep bool) (*s3.BucketV2, error) {
	args := &s3.BucketV2Args{BucketPrefix: pulumi.String("mysql-client-server-backups-"), ForceDestroy: pulumi.Bool(!keep)}
	opts := []pulumi.ResourceOption{pulumi.Parent(parent), pulumi.RetainOnDelete(keep),
		pulumi.Protect(keep && !p.AllowServerDelete)}
	if p.BackupBucket != "" {
		args = &s3.BucketV2Args{Bucket: pulumi.String(p.BackupBucket), ForceDestroy: pulumi.Bool(false)}
		opts = []pulumi.ResourceOption{pulumi.Parent(parent), pulumi.RetainOnDelete(true),
			pulumi.Protect(keep && !p.AllowServerDelete), pulumi.Import(pulumi.ID(p.BackupBucket))}
	}
	return s3.NewBucketV2(ctx, name, args, opts...)
}

// prefixPolicy may list, write, read and delete under bucket/prefix/ only.
func prefixPolicy(bucketArn pulumi.StringOutput, prefix string) pulumi.StringOutput {
	return bucketArn.ApplyT(func(arn string) (string, error) {
		b, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []map[string]any{
			{"Effect": "Allow", "Action": []string{"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"},
				"Resource": arn + "/" + prefix + "/*"},
			listStatement(arn, prefix),
		}})
		return string(b), err
	}).(pulumi.StringOutput)
}

// bucketRules are the bucket's encryption, versioning, public access block,
// TLS-only policy and lifecycle.
func (p *Platform) bucketRules(ctx *pulumi.Context, name string, bucket *s3.BucketV2, retention time.Duration, opts ...pulumi.ResourceOption) ([]pulumi.Resource, error) {
	sse, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-encryption", &s3.BucketServerSideEncryptionConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
			ApplyServerSideEncryptionByDefault: s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
				SseAlgorithm: pulumi.String("AES256"),
			},
		}},
	}, opts...)
	if err != nil {
		return nil, err
	}
	versioning, err := s3.NewBucketVersioningV2(ctx, name+"-versioning", &s3.BucketVersioningV2Args{
		Bucket:                  bucket.ID(),
		VersioningConfiguration: s3.BucketVersioningV2VersioningConfigurationArgs{Status: pulumi.String("Enabled")},
	}, opts...)
	if err != nil {
		return nil, err
	}
	block, err := s3.NewBucketPublicAccessBlock(ctx, name+"-public-access-block", &s3.BucketPublicAccessBlockArgs{
		Bucket: bucket.ID(), BlockPublicAcls: pulumi.Bool(true), BlockPublicPolicy: pulumi.Bool(true),
		IgnorePublicAcls: pulumi.Bool(true), RestrictPublicBuckets: pulumi.Bool(true),
	}, opts...)
	if err != nil {
		return nil, err
	}
	tlsOnly, err := s3.NewBucketPolicy(ctx, name+"-tls-only", &s3.BucketPolicyArgs{
		Bucket: bucket.ID(),
		Policy: bucket.Arn.ApplyT(func(arn string) string {
			return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*",`+
				`"Resource":["%s","%s/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, arn, arn)
		}).(pulumi.StringOutput),
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{block}))...)
	if err != nil {
		return nil, err
	}
	days := int((retention+24*time.Hour-1)/(24*time.Hour)) + 2
	lifecycle, err := s3.NewBucketLifecycleConfigurationV2(ctx, name+"-lifecycle", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{s3.BucketLifecycleConfigurationV2RuleArgs{
			Id: pulumi.String("retention"), Status: pulumi.String("Enabled"),
			Filter:                         s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String("")},
			Expiration:                     s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(days)},
			NoncurrentVersionExpiration:    s3.BucketLifecycleConfigurationV2RuleNoncurrentVersionExpirationArgs{NoncurrentDays: pulumi.Int(1)},
			AbortIncompleteMultipartUpload: s3.BucketLifecycleConfigurationV2RuleAbortIncompleteMultipartUploadArgs{DaysAfterInitiation: pulumi.Int(1)},
		}},
	}, append(opts, pulumi.DependsOn([]pulumi.Resource{versioning}))...)
	if err != nil {
		return nil, err
	}
	return []pulumi.Resource{sse, versioning, block, tlsOnly, lifecycle}, nil
}
