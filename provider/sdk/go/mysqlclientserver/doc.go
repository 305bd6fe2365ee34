// A MySQL client–server architecture (one server, one or more clients, 3306 open to the clients only, optional GTID read replicas and backups) on AWS EC2 or on local network-namespace hosts.
package mysqlclientserver
