// A TypeScript program that uses the mysql-client-server package through
// its generated SDK: one ClientServer on the local platform with two
// clients. The tests set the config; the README shows the same program.
import * as pulumi from "@pulumi/pulumi";
import * as mcs from "@mysql-client-server/mysql-client-server";

const config = new pulumi.Config();
const db = new mcs.ClientServer("db", {
    platform: "local",
    local: { subnet: config.require("subnet"), stateDir: config.require("stateDir") },
    clients: ["app_1", "app_2"],
    engine: config.get("engine") ?? "mysql",
    password: config.requireSecret("password"),
    noBackups: true,
});

export const serverVersion = db.serverVersion;
export const engine = db.engine;
export const accounts = db.accounts;
export const mysqlCommands = db.mysqlCommands;
export const proofs = db.proofs;
export const clientProofs = db.clientProofs;
export const password = db.password;
export const privateKey = db.privateKey;
