package tests

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mysql-client-server/mysql-client-server/tests/harness"
)

// Changing the password secret updates the account in place; the client's
// ~/.my.cnf follows; the proof passes with the new password; the old one no
// longer logs in; no host is replaced. One Mocks value models the stack's
// consecutive `pulumi up`s (unchanged inputs run nothing, changed ones run
// the update, changed triggers replace).
func TestLocalPasswordRotation(t *testing.T) {
	const oldPassword, newPassword = "rotation-old-password-1", "rotation-new-password-2"
	e := newLocalEnv(t, "10.213.208.0/24", []string{"mysql_client"}, oldPassword)
	m := e.mocks()
	t.Cleanup(func() { e.teardown(m) })
	out := e.run(m, nil)

	// The server's general log records every statement of the rotation.
	const glog = "/var/log/mysql/mcs-rotation-general.log"
	_, stderr, err := onServer(t, out, `mysql -e "SET GLOBAL general_log_file = '`+glog+`'; SET GLOBAL general_log = ON"`)
	require.NoError(t, err, stderr)
	e.config["password"] = newPassword
	again := e.run(m, nil)
	statements, stderr, err := onServer(t, out, `mysql -e "SET GLOBAL general_log = OFF" && cat `+glog+` && rm -f `+glog)
	require.NoError(t, err, stderr)
	assert.Contains(t, statements, "ALTER USER", "the rotation changed the password")
	assert.NotContains(t, statements, "REVOKE", "the grant is unchanged: it is not revoked and granted again, so the account is never without it")

	ops := map[string][]harness.Operation{}
	for _, name := range []string{"mysql_server-namespaces", "mysql_client-namespaces", "mysql-server-install",
		"mysql_client-mysql-user-account", "mysql_client-mysql-login-my-cnf", "mysql_client-mysql-verify-proof"} {
		ops[name] = m.Operations(name)
		t.Logf("%s: %v", name, ops[name])
	}
	same := []harness.Operation{harness.OperationCreate, harness.OperationSame}
	update := []harness.Operation{harness.OperationCreate, harness.OperationUpdate}
	assert.Equal(t, same, ops["mysql_server-namespaces"], "the server host is not replaced")
	assert.Equal(t, same, ops["mysql_client-namespaces"], "the client host is not replaced")
	assert.Equal(t, same, ops["mysql-server-install"], "the server is not reinstalled")
	assert.Equal(t, update, ops["mysql_client-mysql-user-account"], "the account is updated in place")
	assert.Equal(t, update, ops["mysql_client-mysql-login-my-cnf"], "~/.my.cnf follows")
	assert.Equal(t, []harness.Operation{harness.OperationCreate, harness.OperationReplace}, ops["mysql_client-mysql-verify-proof"],
		"the proof runs again")
	assert.Equal(t, out["serverPrivateAddress"], again["serverPrivateAddress"])

	proof := again["proofs"].(map[string]any)["mysql_client"].(map[string]any)
	assert.Equal(t, "app@"+again["clientPrivateAddresses"].(map[string]string)["mysql_client"], proof["currentUser"],
		"the proof passed with the new password")
	_, err = mysqlOnClient(t, again, "mysql_client", "app", newPassword, "SELECT 1")
	assert.NoError(t, err, "the new password logs in")
	_, err = mysqlOnClient(t, again, "mysql_client", "app", oldPassword, "SELECT 1")
	require.Error(t, err, "the old password no longer logs in")
	assert.Contains(t, err.Error(), "ERROR 1045")
	got, _, err := onClient(t, again, "mysql_client", "grep -c '"+newPassword+"' ~/.my.cnf; grep -c '"+oldPassword+"' ~/.my.cnf || true")
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "0"}, strings.Fields(got), "~/.my.cnf holds the new password only")
}
