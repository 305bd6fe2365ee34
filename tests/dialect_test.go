package tests

import "testing"

// onHost returns cmd to run on a server host after the staged lib.sh and its
// use_dialect: the tests start, stop and inspect a server through the
// scripts' own engine layer (server_ctl, replica_status, sql_*), so that
// they run unchanged on either engine.
func onHost(cmd string) string {
	return `d=$(ls -td /etc/mysql/mysql-client-server-scripts/*/ | head -n 1) && source "${d}lib.sh" && use_dialect && ` + cmd
}

// engineFacts is what a test expects of the engine under test, where the
// two differ in names it reads or writes itself.
type engineFacts struct {
	// versionMark is in the server's VERSION().
	versionMark string
	// replicaStatus are lines of a healthy channel's replica_status, with
	// %s for the primary's address.
	replicaStatus []string
	// running are the two threads' fields.
	running [2]string
	// readOnlyGTID selects read-only and GTIDs on a replica: "1\t<on>".
	readOnlyGTID, readOnlyGTIDWant string
	// position selects the primary's and a replica's GTID position.
	primaryPosition, replicaPosition string
	// badPosition makes a replica claim transactions the primary never had.
	badPosition string
	// forget makes a replica forget its source (docs/replicas.md).
	forget string
	// plaintext is the client's option-file line for no TLS.
	plaintext string
	// gtidPosition matches a replica's position of the primary's GTIDs.
	gtidPosition string
	// channelPassword prints the replication password the replica keeps.
	channelPassword string
	// requireSSLIn is the statement whose answer says REQUIRE SSL, given the
	// account ('u'@'h').
	requireSSLIn string
}

func facts(t *testing.T) engineFacts {
	if testEngine(t) == "mariadb" {
		return engineFacts{
			versionMark: "MariaDB",
			replicaStatus: []string{"Master_Host: %s", "Slave_IO_Running: Yes", "Slave_SQL_Running: Yes",
				"Using_Gtid: Slave_Pos", "Master_SSL_Allowed: Yes", "Master_SSL_Verify_Server_Cert: Yes",
				"Master_SSL_CA_File: /etc/mysql/mysql-client-server-tls/ca.pem", "Master_User: mcs_repl_"},
			running:      [2]string{"Slave_IO_Running", "Slave_SQL_Running"},
			readOnlyGTID: "SELECT @@read_only, @@gtid_strict_mode;", readOnlyGTIDWant: "1\t1",
			primaryPosition: "SELECT @@gtid_binlog_pos;", replicaPosition: "SELECT @@gtid_slave_pos;",
			badPosition: "STOP SLAVE; SET GLOBAL gtid_slave_pos = '0-1-99999999'; START SLAVE;",
			forget:      "STOP SLAVE; RESET SLAVE ALL;",
			plaintext:   "skip-ssl",
			// MariaDB keeps the source's password in master.info, after the user.
			gtidPosition:    `^0-1-[0-9]+$`,
			channelPassword: `awk 'f { print; exit } /^mcs_repl_/ { f = 1 }' /var/lib/mysql/master.info`,
			requireSSLIn:    "SHOW GRANTS FOR ",
		}
	}
	return engineFacts{
		versionMark: "", // MySQL's VERSION() is the bare number
		replicaStatus: []string{"Source_Host: %s", "Replica_IO_Running: Yes", "Replica_SQL_Running: Yes",
			"Auto_Position: 1", "Source_SSL_Allowed: Yes", "Source_SSL_Verify_Server_Cert: Yes",
			"Source_SSL_CA_File: /etc/mysql/mysql-client-server-tls/ca.pem", "Source_User: mcs_repl_"},
		running:      [2]string{"Replica_IO_Running", "Replica_SQL_Running"},
		readOnlyGTID: "SELECT @@super_read_only, @@gtid_mode;", readOnlyGTIDWant: "1\tON",
		primaryPosition: "SELECT REPLACE(@@gtid_executed, '\\n', '');", replicaPosition: "SELECT REPLACE(@@gtid_executed, '\\n', '');",
		// The replica claims the primary's transactions up to 99999999: the
		// primary has not got them (error 1236).
		badPosition: "STOP REPLICA; SET GLOBAL super_read_only = OFF; RESET BINARY LOGS AND GTIDS; " +
			"SET GLOBAL gtid_purged = CONCAT((SELECT SOURCE_UUID FROM performance_schema.replication_connection_status LIMIT 1), ':1-99999999'); " +
			"SET GLOBAL super_read_only = ON; START REPLICA;",
		forget:    "STOP REPLICA; RESET REPLICA ALL;",
		plaintext: "ssl-mode=DISABLED",
		// The primary's server UUID and its transactions.
		gtidPosition: `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:1-[0-9]+$`,
		// MySQL keeps it in the mysql.slave_master_info table.
		channelPassword: `mysql -N -e 'SELECT User_password FROM mysql.slave_master_info'`,
		requireSSLIn:    "SHOW CREATE USER ",
	}
}

// tenThousand is a SELECT of the numbers 1 to 10,000 as seq, on both
// engines (MariaDB's seq_1_to_N tables are its own; recursive CTEs stop at
// 1,000 rows by default).
const tenThousand = `(SELECT a.d + 10*b.d + 100*c.d + 1000*e.d + 1 AS seq FROM ` +
	`(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) a, ` +
	`(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) b, ` +
	`(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) c, ` +
	`(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) e) n`

// verifyOption is a shell command that prints the option-file line with
// which a host's mysql client verifies the server, from the staged lib.sh.
const verifyOption = `d=$(ls -td /etc/mysql/mysql-client-server-scripts/*/ | head -n 1) && source "${d}lib.sh" && client_verify_option`
