package mysql

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dialect runs snippet after lib.sh and use_dialect with the server-version
// stub MCS_SERVER_VERSION, and returns its stdout: every branch of the
// dialect layer runs, whatever server this machine has.
func dialect(t *testing.T, version, snippet string) string {
	t.Helper()
	lib, err := scripts.ReadFile("scripts/lib.sh")
	require.NoError(t, err)
	cmd := exec.Command("/bin/bash", "-c", string(lib)+"\nuse_dialect\n"+snippet)
	cmd.Env = append(os.Environ(), "MCS_SERVER_VERSION="+version)
	out, err := cmd.Output()
	require.NoError(t, err, "%s on %s", snippet, version)
	return strings.TrimSpace(string(out))
}

const (
	mysql80 = "mysql 8.0.39" // Ubuntu 22.04's, on AWS
	mysql84 = "mysql 8.4.3"
	mysql97 = "mysql 9.7.4" // Debian unstable's, on local hosts
	maria   = "mariadb 10.11.6"
)

func TestDialectChoosesEachStatementByTheServersVersion(t *testing.T) {
	for _, c := range []struct {
		snippet string
		want    map[string]string
	}{
		{"sql_reset_binlogs", map[string]string{mysql80: "RESET MASTER", mysql84: "RESET BINARY LOGS AND GTIDS",
			mysql97: "RESET BINARY LOGS AND GTIDS", maria: "RESET MASTER"}},
		{"sql_binlog_status", map[string]string{mysql80: "SHOW MASTER STATUS", mysql84: "SHOW BINARY LOG STATUS",
			mysql97: "SHOW BINARY LOG STATUS", maria: "SHOW MASTER STATUS"}},
		{"sql_replica_status", map[string]string{mysql80: "SHOW REPLICA STATUS", mysql97: "SHOW REPLICA STATUS",
			maria: "SHOW SLAVE STATUS"}},
		{"sql_start_replica; sql_stop_replica", map[string]string{mysql80: "START REPLICA\nSTOP REPLICA",
			mysql97: "START REPLICA\nSTOP REPLICA", maria: "START SLAVE\nSTOP SLAVE"}},
		{"read_only_var", map[string]string{mysql80: "super_read_only", mysql97: "super_read_only", maria: "read_only"}},
		{"sql_reload_tls", map[string]string{mysql80: "ALTER INSTANCE RELOAD TLS", mysql97: "ALTER INSTANCE RELOAD TLS",
			maria: "FLUSH LOCAL SSL"}},
		{"cnf_gtid", map[string]string{mysql80: "gtid_mode = ON\nenforce_gtid_consistency = ON",
			mysql97: "gtid_mode = ON\nenforce_gtid_consistency = ON",
			maria:   "log_bin = mysql-bin\nlog_slave_updates = ON\ngtid_strict_mode = ON"}},
		{"sql_identified \"'pw'\" yes", map[string]string{
			mysql80: "IDENTIFIED WITH mysql_native_password BY 'pw'",
			mysql84: "IDENTIFIED WITH caching_sha2_password BY 'pw'", // off by default in 8.4
			mysql97: "IDENTIFIED WITH caching_sha2_password BY 'pw'", // removed in 9.0
			maria:   "IDENTIFIED BY 'pw'"}},
		{"sql_identified \"'pw'\" no", map[string]string{mysql80: "IDENTIFIED BY 'pw'", mysql97: "IDENTIFIED BY 'pw'",
			maria: "IDENTIFIED BY 'pw'"}},
		{"sql_wait_gtid \"'g'\" 5", map[string]string{mysql80: "SELECT WAIT_FOR_EXECUTED_GTID_SET('g', 5)",
			mysql97: "SELECT WAIT_FOR_EXECUTED_GTID_SET('g', 5)", maria: "SELECT MASTER_GTID_WAIT('g', 5)"}},
		{"sql_gtid_position; sql_applied_position", map[string]string{
			mysql80: `REPLACE(@@global.gtid_executed, '\n', '')` + "\n" + `REPLACE(@@global.gtid_executed, '\n', '')`,
			maria:   "@@global.gtid_binlog_pos\n@@global.gtid_slave_pos"}},
		{"for f in host port user ssl verify gtid io sql; do replica_field $f; done; replica_gtid_value", map[string]string{
			mysql97: "Source_Host\nSource_Port\nSource_User\nSource_SSL_Allowed\nSource_SSL_Verify_Server_Cert\nAuto_Position\nReplica_IO_Running\nReplica_SQL_Running\n1",
			maria:   "Master_Host\nMaster_Port\nMaster_User\nMaster_SSL_Allowed\nMaster_SSL_Verify_Server_Cert\nUsing_Gtid\nSlave_IO_Running\nSlave_SQL_Running\nSlave_Pos"}},
	} {
		for version, want := range c.want {
			assert.Equal(t, want, dialect(t, version, c.snippet), "%s on %s", c.snippet, version)
		}
	}
}

func TestDialectPointsTheChannelByGTIDOverVerifiedTLS(t *testing.T) {
	args := `"'10.0.0.1'" 3306 "'mcs_repl_2'" "'pw'" "'/ca.pem'"`
	assert.Equal(t, "CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.1', SOURCE_PORT=3306, SOURCE_USER='mcs_repl_2', "+
		"SOURCE_PASSWORD='pw', SOURCE_SSL=1, SOURCE_SSL_CA='/ca.pem', SOURCE_SSL_VERIFY_SERVER_CERT=1, "+
		"SOURCE_AUTO_POSITION=1, SOURCE_CONNECT_RETRY=2", dialect(t, mysql80, "sql_change_source "+args))
	assert.Equal(t, dialect(t, mysql80, "sql_change_source "+args), dialect(t, mysql97, "sql_change_source "+args))
	assert.Equal(t, "CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PORT=3306, MASTER_USER='mcs_repl_2', "+
		"MASTER_PASSWORD='pw', MASTER_SSL=1, MASTER_SSL_CA='/ca.pem', MASTER_SSL_VERIFY_SERVER_CERT=1, "+
		"MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=2", dialect(t, maria, "sql_change_source "+args))
}

func TestServerVersionParsesEachEnginesVersionLine(t *testing.T) {
	for line, want := range map[string]string{
		"/usr/sbin/mysqld  Ver 8.0.39-0ubuntu0.22.04.1 for Linux on x86_64 ((Ubuntu))":     "mysql 8.0.39",
		"/usr/sbin/mysqld  Ver 9.7.4-2 for Linux on x86_64 ((Debian))":                     "mysql 9.7.4",
		"/usr/sbin/mariadbd  Ver 10.11.6-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64": "mariadb 10.11.6",
	} {
		dir := t.TempDir()
		name := "mysqld"
		if strings.Contains(line, "MariaDB") {
			name = "mariadbd"
		}
		require.NoError(t, os.WriteFile(dir+"/"+name, []byte("#!/bin/sh\necho '"+line+"'\n"), 0o755))
		lib, err := scripts.ReadFile("scripts/lib.sh")
		require.NoError(t, err)
		cmd := exec.Command("/bin/bash", "-c", string(lib)+"\nserver_version")
		cmd.Env = append(os.Environ(), "PATH="+dir+":/usr/bin:/bin")
		out, err := cmd.Output()
		require.NoError(t, err)
		assert.Equal(t, want, strings.TrimSpace(string(out)), line)
	}
}

func TestPackageForFollowsTheEngine(t *testing.T) {
	for _, c := range []struct{ os, engine, role, want string }{
		{"ubuntu", "mysql", "server", "mysql-server"},
		{"ubuntu", "mariadb", "server", "mariadb-server"},
		{"ubuntu", "", "client", "mysql-client"},
		{"debian", "", "server", "mariadb-server"},
		{"debian", "mariadb", "client", "mariadb-client"},
	} {
		lib, err := scripts.ReadFile("scripts/lib.sh")
		require.NoError(t, err)
		cmd := exec.Command("/bin/bash", "-c", string(lib)+"\nos_id() { echo "+c.os+"; }\npackage_for "+c.role)
		cmd.Env = append(os.Environ(), "MCS_ENGINE="+c.engine)
		out, err := cmd.Output()
		require.NoError(t, err)
		assert.Equal(t, c.want, strings.TrimSpace(string(out)), "%+v", c)
	}
	lib, _ := scripts.ReadFile("scripts/lib.sh")
	cmd := exec.Command("/bin/bash", "-c", string(lib)+"\nos_id() { echo debian; }\npackage_for server")
	cmd.Env = append(os.Environ(), "MCS_ENGINE=mysql")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "Debian's stable releases have no mysql-server")
	assert.Contains(t, string(out), "expected engine mariadb")
}
