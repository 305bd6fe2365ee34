package stack

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/components/clientserver"
	"github.com/mysql-client-server/mysql-client-server/tests/mocktest"
)

// plainJSON is a resource input, secret or not, as JSON-shaped Go values.
func plainJSON(t *testing.T, v resource.PropertyValue) any {
	t.Helper()
	p, _ := mocktest.Plain(v)
	return p.Mappable()
}

// named is the resource of that type and name, which must exist.
func named(t *testing.T, m *mocktest.Mocks, token, name string) mocktest.Resource {
	t.Helper()
	r, ok := m.Named(token, name)
	require.True(t, ok, "%s %s", token, name)
	return r
}

// TestAWSBackupBucketAndLeastPrivilege: on AWS the backups go to a bucket
// the stack makes: encrypted by default, versioned, no public access, TLS
// only, objects expiring after the retention; kept and protected by
// destroy; and the server's instance profile may use its own prefix only.
// No static key reaches the server.
func TestAWSBackupBucketAndLeastPrivilege(t *testing.T) {
	m, out := runAWS(t, awsConfig, nil)
	bucket := named(t, m, "aws:s3/bucketV2:BucketV2", "mysql-backups")
	assert.True(t, bucket.Protect, "protected like the server")
	assert.True(t, bucket.RetainOnDelete, "pulumi destroy keeps it unless asked")
	assert.Equal(t, false, plainJSON(t, bucket.Inputs["forceDestroy"]))
	id := bucket.State["bucket"].StringValue()

	sse := named(t, m, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "mysql-backups-encryption")
	assert.Contains(t, mustJSON(t, plainJSON(t, sse.Inputs["rules"])), `"sseAlgorithm":"AES256"`)
	versioning := named(t, m, "aws:s3/bucketVersioningV2:BucketVersioningV2", "mysql-backups-versioning")
	assert.Contains(t, mustJSON(t, plainJSON(t, versioning.Inputs["versioningConfiguration"])), `"status":"Enabled"`)
	block := named(t, m, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "mysql-backups-public-access-block")
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		assert.Equal(t, true, plainJSON(t, block.Inputs[resource.PropertyKey(k)]), k)
	}
	policy := named(t, m, "aws:s3/bucketPolicy:BucketPolicy", "mysql-backups-tls-only")
	tlsOnly, _ := mocktest.Str(policy.Inputs, "policy")
	assert.Contains(t, tlsOnly, `"Effect":"Deny"`)
	assert.Contains(t, tlsOnly, `"aws:SecureTransport":"false"`)
	lifecycle := named(t, m, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "mysql-backups-lifecycle")
	rules := mustJSON(t, plainJSON(t, lifecycle.Inputs["rules"]))
	assert.Contains(t, rules, `"expiration":{"days":9}`, "the retention (7 days) and two days' margin")
	assert.Contains(t, rules, `"abortIncompleteMultipartUpload":{"daysAfterInitiation":1}`)

	role := named(t, m, "aws:iam/role:Role", "mysql_server-mysql-backup-role")
	assume, _ := mocktest.Str(role.Inputs, "assumeRolePolicy")
	assert.Contains(t, assume, `"Service":"ec2.amazonaws.com"`)
	profile := named(t, m, "aws:iam/instanceProfile:InstanceProfile", "mysql_server-mysql-backup-profile")
	server := named(t, m, "aws:ec2/instance:Instance", "mysql_server")
	got, _ := mocktest.Str(server.Inputs, "iamInstanceProfile")
	assert.Equal(t, profile.State["name"].StringValue(), got, "the server runs with the profile")
	client := named(t, m, "aws:ec2/instance:Instance", "mysql_client")
	_, has := mocktest.Str(client.Inputs, "iamInstanceProfile")
	assert.False(t, has, "a client has no credentials for the backups")

	rolePolicy := named(t, m, "aws:iam/rolePolicy:RolePolicy", "mysql_server-mysql-backup-policy")
	doc, _ := mocktest.Str(rolePolicy.Inputs, "policy")
	var p struct{ Statement []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(doc), &p))
	require.Len(t, p.Statement, 2)
	assert.Equal(t, "arn:aws:s3:::"+id+"/mysql_server/*", p.Statement[0]["Resource"], "objects under its own prefix only")
	assert.ElementsMatch(t, []any{"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"}, p.Statement[0]["Action"])
	assert.Equal(t, "s3:ListBucket", p.Statement[1]["Action"])
	assert.Contains(t, mustJSON(t, p.Statement[1]["Condition"]), `"s3:prefix":["mysql_server/*","mysql_server/"]`)
	assert.NotContains(t, doc, `"s3:*"`)

	install := named(t, m, "command:remote:Command", "mysql-backup-install")
	create, _ := mocktest.Str(install.Inputs, "create")
	assert.Contains(t, create, "MCS_STORE_ENDPOINT='https://s3.us-east-1.amazonaws.com'")
	assert.Contains(t, create, "MCS_STORE_BUCKET='"+id+"'")
	assert.Contains(t, create, "MCS_STORE_PREFIX='mysql_server'")
	assert.True(t, install.Inputs["stdin"].IsSecret(), "the passphrase goes on stdin, as a secret")
	stdin, _ := mocktest.Str(install.Inputs, "stdin")
	assert.True(t, strings.HasPrefix(stdin, "\n\n"), "no access key on AWS: the instance profile's credentials")
	assert.NotContains(t, create, mocktest.Password, "no secret in the command line")
	assert.Contains(t, out["proofs"].Value.(map[string]any), "backups")
}

// TestAWSBackupsOffMakeNoBucketNorRole: backups off leave the stack as it
// was before them.
func TestAWSBackupsOffMakeNoBucketNorRole(t *testing.T) {
	cfg := map[string]string{"backups": "off"}
	for k, v := range awsConfig {
		cfg[k] = v
	}
	m, out := runAWS(t, cfg, nil)
	for _, token := range []string{"aws:s3/bucketV2:BucketV2", "aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile"} {
		assert.Empty(t, m.OfType(token), token)
	}
	server := named(t, m, "aws:ec2/instance:Instance", "mysql_server")
	_, has := mocktest.Str(server.Inputs, "iamInstanceProfile")
	assert.False(t, has)
	assert.NotContains(t, out["proofs"].Value.(map[string]any), "backups")
}

// TestAWSRestoreHostReadsTheBackupsOnly: with restoreHost, make restore's
// host is an instance with a role of its own, whose one policy may list and
// read the server's prefix and write nothing; its install gets no schedule
// and no static key, and the MySQL port stays closed to it.
func TestAWSRestoreHostReadsTheBackupsOnly(t *testing.T) {
	cfg := map[string]string{"restoreHost": "true"}
	for k, v := range awsConfig {
		cfg[k] = v
	}
	m, _ := runAWS(t, cfg, nil)
	id := named(t, m, "aws:s3/bucketV2:BucketV2", "mysql-backups").State["bucket"].StringValue()
	profile := named(t, m, "aws:iam/instanceProfile:InstanceProfile", "mysql_restore-mysql-backup-profile")
	inst := named(t, m, "aws:ec2/instance:Instance", "mysql_restore")
	got, _ := mocktest.Str(inst.Inputs, "iamInstanceProfile")
	assert.Equal(t, profile.State["name"].StringValue(), got, "the restore host runs with its own profile")
	assert.False(t, inst.Protect, "a scratch host, not protected")

	rolePolicy := named(t, m, "aws:iam/rolePolicy:RolePolicy", "mysql_restore-mysql-backup-read-policy")
	doc, _ := mocktest.Str(rolePolicy.Inputs, "policy")
	var p struct{ Statement []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(doc), &p))
	require.Len(t, p.Statement, 2)
	assert.Equal(t, []any{"s3:GetObject"}, p.Statement[0]["Action"], "read only")
	assert.Equal(t, "arn:aws:s3:::"+id+"/mysql_server/*", p.Statement[0]["Resource"], "the server's prefix only")
	assert.Equal(t, "s3:ListBucket", p.Statement[1]["Action"])
	assert.Contains(t, mustJSON(t, p.Statement[1]["Condition"]), `"s3:prefix":["mysql_server/*","mysql_server/"]`, "listing the server's prefix only")
	for _, write := range []string{"PutObject", "DeleteObject", "s3:*"} {
		assert.NotContains(t, doc, write)
	}
	for _, rp := range m.OfType("aws:iam/rolePolicy:RolePolicy") {
		if r, _ := mocktest.Str(rp.Inputs, "role"); r == named(t, m, "aws:iam/role:Role", "mysql_restore-mysql-backup-role").State["name"].StringValue() {
			assert.Equal(t, "mysql_restore-mysql-backup-read-policy", rp.Name, "its role has the read policy and no other")
		}
	}

	install := named(t, m, "command:remote:Command", "mysql-backup-reader-install")
	create, _ := mocktest.Str(install.Inputs, "create")
	assert.Contains(t, create, "MCS_BACKUP_READER='yes'")
	assert.Contains(t, create, "MCS_STORE_PREFIX='mysql_server'", "it reads the server's backups")
	assert.True(t, install.Inputs["stdin"].IsSecret(), "the passphrase goes on stdin, as a secret")
	stdin, _ := mocktest.Str(install.Inputs, "stdin")
	assert.True(t, strings.HasPrefix(stdin, "\n\n"), "no access key on AWS: the instance profile's credentials")
	mysqlRules := 0
	for _, rule := range m.OfType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
		if port, _ := plainJSON(t, rule.Inputs["fromPort"]).(float64); port == 3306 {
			mysqlRules++
			assert.NotContains(t, rule.Name, "mysql_restore", "no MySQL port is opened to it")
		}
	}
	assert.Equal(t, 1, mysqlRules, "the client's rule only")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestAWSRestoreFromFillsTheServerFirst: with restoreFrom, the server is
// filled from its backups after the backups' install and before the first
// backup, the accounts and the replicas; the fill never runs again on a
// change of its script or target; the passphrase stays a secret.
func TestAWSRestoreFromFillsTheServerFirst(t *testing.T) {
	cfg := map[string]string{"restoreFrom": "time=now", "backupPassphrase": "the-earlier-stacks-passphrase", "replicas": "1"}
	for k, v := range awsConfig {
		cfg[k] = v
	}
	m, _ := runAWS(t, cfg, []string{"backupPassphrase"})
	restore := named(t, m, "command:remote:Command", "mysql-backup-restore")
	create, _ := mocktest.Str(restore.Inputs, "create")
	assert.Contains(t, create, "MCS_RESTORE_TARGET='time=now'")
	assert.Contains(t, create, "backup-restore-server.sh")
	assert.NotContains(t, create, "the-earlier-stacks-passphrase")
	assert.Equal(t, []string{"create"}, restore.IgnoreChanges, "an up never restores over a running server")
	install := named(t, m, "command:remote:Command", "mysql-backup-install")
	assert.True(t, dependsOn(restore, install.Type, install.Name), "the restore reads the store the install set up")
	assert.True(t, install.Inputs["stdin"].IsSecret())
	for _, after := range []mocktest.Resource{
		named(t, m, "command:remote:Command", "mysql-backup-first"),
		named(t, m, "command:remote:Command", "mysql_client-mysql-user-account"),
		named(t, m, "command:remote:Command", "mysql_replica_1-mysql-replica-user-account"),
		named(t, m, "command:local:Command", "mysql_replica_1-mysql-replica-seed"),
	} {
		assert.True(t, dependsOn(after, restore.Type, restore.Name), "%s waits for the restore", after.Name)
	}
	seed := named(t, m, "command:local:Command", "mysql_replica_1-mysql-replica-seed")
	assert.True(t, dependsOn(seed, "command:remote:Command", "mysql_client-mysql-user-account"),
		"a new replica is seeded once the accounts are on the primary")
}

// TestAWSWithoutRestoreFromNothingWaitsForARestore: the default stack has
// no restore, and its accounts wait for the install, as before.
func TestAWSWithoutRestoreFromNothingWaitsForARestore(t *testing.T) {
	m, _ := runAWS(t, awsConfig, nil)
	_, has := m.Named("command:remote:Command", "mysql-backup-restore")
	assert.False(t, has)
	user := named(t, m, "command:remote:Command", "mysql_client-mysql-user-account")
	install := named(t, m, "command:remote:Command", "mysql-server-install")
	assert.True(t, dependsOn(user, install.Type, install.Name))
}

// TestAWSBackupBucketAdoptsAKeptBucket: backupBucket imports the bucket an
// earlier stack kept, which this stack then never deletes, and gives the
// new server's role its prefix; its rules are kept with it.
func TestAWSBackupBucketAdoptsAKeptBucket(t *testing.T) {
	const kept = "mysql-client-server-backups-20261201000000000000000001"
	cfg := map[string]string{"backupBucket": kept, "backupKeepOnDestroy": "false"}
	for k, v := range awsConfig {
		cfg[k] = v
	}
	m, _ := runAWS(t, cfg, nil)
	bucket := named(t, m, "aws:s3/bucketV2:BucketV2", "mysql-backups")
	assert.Equal(t, kept, bucket.ImportID, "imported, not made")
	got, _ := mocktest.Str(bucket.Inputs, "bucket")
	assert.Equal(t, kept, got)
	assert.True(t, bucket.RetainOnDelete, "a stack never deletes a bucket it adopted")
	assert.Equal(t, false, plainJSON(t, bucket.Inputs["forceDestroy"]))
	lifecycle := named(t, m, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "mysql-backups-lifecycle")
	assert.True(t, lifecycle.RetainOnDelete, "the rules stay with the bucket")
	rolePolicy := named(t, m, "aws:iam/rolePolicy:RolePolicy", "mysql_server-mysql-backup-policy")
	doc, _ := mocktest.Str(rolePolicy.Inputs, "policy")
	assert.Contains(t, doc, "arn:aws:s3:::"+kept+"/mysql_server/*")
}

// A backup passphrase known only once a resource is made is not checked
// before anything is created (nothing knows it then), but when it resolves:
// that up fails, naming the rule, not the value.
func TestALatePassphraseIsCheckedWhenItResolves(t *testing.T) {
	m := mocktest.New(t)
	err := mocktest.Run(t, m, engineConfig(t, awsConfig), nil, func(ctx *pulumi.Context) error {
		cfg, err := Load(ctx)
		require.NoError(t, err)
		late := pulumi.String("too-short-0123").ToStringOutput().ApplyT(func(s string) string { return s }).(pulumi.StringOutput)
		cfg.Args.BackupPassphrase = pulumi.ToSecret(late).(pulumi.StringOutput)
		_, err = clientserver.New(ctx, "mysql", &cfg.Args)
		require.NoError(t, err, "nothing knows the value before the resources")
		return nil
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "BackupArgs.Passphrase: expected at least 16 characters on one line")
	assert.NotContains(t, err.Error(), "too-short-0123")
}
