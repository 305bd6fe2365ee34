// A TypeScript program that composes the mysql-client-server package's
// building blocks through its generated SDK, as tests/testdata/package-blocks
// does in YAML: local hosts (a server, a client and a replica), the server,
// the client, an account for the client and a GTID replica. The tests set
// the config.
import * as pulumi from "@pulumi/pulumi";
import * as mcs from "@mysql-client-server/mysql-client-server";

const config = new pulumi.Config();
const engine = config.get("engine") ?? "mysql";
const password = config.requireSecret("password");
const clients = config.getObject<string[]>("clients") ?? ["app"];

const db = new mcs.local.Hosts("db", {
    subnet: config.require("subnet"),
    stateDir: config.require("stateDir"),
    engine,
    clients,
    replicas: 1,
});
// The server, the client and the replica take the engine their hosts are
// made for (the YAML program gives it to each).
const server = new mcs.mysql.MySQLServer("server", { host: db.serverHost });
const client = new mcs.mysql.MySQLClient("client", { host: db.clientHosts.apply(c => c["app"]) });
const user = new mcs.mysql.MySQLUser("user", {
    server,
    name: "app",
    host: db.addresses.apply(a => a["app"]),
    password,
    database: "app",
});
const replica = new mcs.mysql.MySQLReplica("replica", {
    host: db.replicaHosts.apply(r => r["mysql_replica_1"]),
    source: server,
    serverId: 2,
    password,
});

export const serverVersion = server.version;
export const serverAddress = server.address;
export const caCert = server.caCert;
export const clientVersion = client.version;
export const account = user.account;
export const replicaAddress = replica.address;
export const replicaStatus = replica.status;
export const addresses = db.addresses;
export const clientHost = db.clientHosts.apply(c => c["app"]);
