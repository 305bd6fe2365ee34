package mocktest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Every command the program registers (a pulumi-command local or remote
// Command) prints what an answer says: one the test gave with On, else one
// of the standard answers below. A command no answer matches fails its
// registration, with an error that names it and says how to answer it, so
// the program, and the test, fail: no command gets an output by default.

// The type tokens of pulumi-command's commands.
const (
	LocalCommand  = "command:local:Command"
	RemoteCommand = "command:remote:Command"
)

// An Answer is what one command prints when it is created: its stdout, or
// an error, which fails the command's registration (and so the program).
// It gets the registration, so it can check the command's inputs right
// where the test answers it: with assert, not require (it runs on the
// SDK's goroutine, not the test's).
type Answer func(args pulumi.MockResourceArgs) (stdout string, err error)

// Prints is the Answer that prints stdout, whatever the command's inputs.
func Prints(stdout string) Answer {
	return func(pulumi.MockResourceArgs) (string, error) { return stdout, nil }
}

// StandIn answers a test's own stand-in command, one whose create is
// `true` (a fake host's Ready, a fake ingress): it prints nothing. A
// command that runs anything else fails: the name caught a command of the
// components, which needs an answer of its own.
func StandIn(args pulumi.MockResourceArgs) (string, error) {
	if createOf(args) != "true" {
		return "", fmt.Errorf("StandIn answers a test's stand-in, whose create is `true`: this one runs %s", describe(args))
	}
	return "", nil
}

// On answers the commands of type token (LocalCommand or RemoteCommand)
// whose name matches name: the name itself, or, written "*-suffix", every
// name that ends in "-suffix" ("*-ready" matches "srv-ready" and
// "cli-ready", not "ready"). On's answers come before the standard ones,
// the latest first, and hold for the Mocks NextRun returns too. Call it
// from the test, before Run.
func (m *Mocks) On(token, name string, answer Answer) {
	if m.t != nil {
		m.t.Helper()
	}
	fail := func(format string, a ...any) {
		if m.t == nil {
			panic(fmt.Sprintf("mocktest.On: "+format, a...))
		}
		m.t.Fatalf("mocktest.On: "+format, a...)
	}
	if token != LocalCommand && token != RemoteCommand {
		fail("%q: On answers commands only (%s, %s)", token, LocalCommand, RemoteCommand)
	}
	if err := checkPattern(name); err != nil {
		fail("%v", err)
	}
	if answer == nil {
		fail("%s %q: no answer", token, name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.on = append(m.on, onAnswer{token: token, name: name, answer: answer})
}

// onAnswer is one answer given with On.
type onAnswer struct {
	token, name string
	answer      Answer
}

// checkPattern accepts a name or "*-suffix".
func checkPattern(p string) error {
	suffix, wild := strings.CutPrefix(p, "*")
	switch {
	case p == "":
		return fmt.Errorf("an empty name: expected a resource name, or *-suffix")
	case wild && (!strings.HasPrefix(suffix, "-") || len(suffix) < 2):
		return fmt.Errorf("%q: expected a resource name, or *-suffix (such as *-ready)", p)
	case strings.Contains(suffix, "*"):
		return fmt.Errorf("%q: only a leading *- is a pattern", p)
	}
	return nil
}

// matchName says whether a resource name matches a pattern On takes.
func matchName(pattern, name string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		return strings.HasSuffix(name, suffix)
	}
	return name == pattern
}

// standardAnswer is one of the standard answers: what a command of the
// components prints, as its script would on a host. It matches the
// commands of its token whose name matches name (a pattern, as On takes:
// the components name each command after its component, "<name>-<suffix>")
// and, when runs is set, whose create runs that staged script (it ends in
// bash '<dir>/<runs>'), for the suffixes two commands share.
type standardAnswer struct {
	token, name, runs string
	prints            func(m *Mocks, args pulumi.MockResourceArgs) string
}

// printsNothing is the answer of a command whose stdout the components
// never read (nor any test): it prints nothing the components read.
func printsNothing(*Mocks, pulumi.MockResourceArgs) string { return "" }

// standardAnswers are the answers New registers: each command of the
// components, by its type token, name and, where two share a suffix, the
// script it runs, with what it prints. No two match one command
// (TestStandardAnswersAreUnambiguous); a command none matches fails.
var standardAnswers = []standardAnswer{
	// Generators (generate.Once): the private keys and passwords a stack
	// generates once.
	// keypair.New's key (clientserver's <name>-ssh-generate): PrivateKey.
	{LocalCommand, "*-generate", "", func(m *Mocks, _ pulumi.MockResourceArgs) string { return m.PrivateKey }},
	// An AWS instance's user-data host key: HostPrivateKey.
	{LocalCommand, "*-host-key", "", func(m *Mocks, _ pulumi.MockResourceArgs) string { return m.HostPrivateKey }},
	// The host key an AWS instance's ssh-access step installs: SSHDPrivateKey.
	{LocalCommand, "*-sshd-key", "", func(m *Mocks, _ pulumi.MockResourceArgs) string { return m.SSHDPrivateKey }},
	// The stack's password and the replicas' replication password.
	{LocalCommand, "*-password", "", func(*Mocks, pulumi.MockResourceArgs) string { return Password }},
	// The backups' encryption passphrase, and the local store's keys.
	{LocalCommand, "*-passphrase", "", func(*Mocks, pulumi.MockResourceArgs) string { return Password }},
	{LocalCommand, "*-access-key", "", func(*Mocks, pulumi.MockResourceArgs) string { return "mock-access-key" }},
	{LocalCommand, "*-secret-key", "", func(*Mocks, pulumi.MockResourceArgs) string { return "mock-secret-key" }},

	// The local platform.
	// A host's namespace (host-create.sh): its SSH host key.
	{LocalCommand, "*-namespaces", "", func(*Mocks, pulumi.MockResourceArgs) string { return LocalHostKey }},
	// The MySQL image (image-build.sh): its path and mysqld's version.
	{LocalCommand, "*-build", "", func(*Mocks, pulumi.MockResourceArgs) string {
		return "path=/var/cache/mysql-client-server/images/mock\nversion=/usr/sbin/mysqld  Ver 9.7.4-2 for Linux on x86_64 ((Debian))"
	}},
	// A host's ingress ruleset (ingress-apply.sh).
	{LocalCommand, "*-nftables", "", printsNothing},
	// The backup store's key and certificate request (store-tls.sh).
	{LocalCommand, "*-tls-request", "", func(*Mocks, pulumi.MockResourceArgs) string {
		return "-----BEGIN CERTIFICATE REQUEST-----\nmock store\n-----END CERTIFICATE REQUEST-----"
	}},
	// The backup store's gateway (store-serve.sh), a reader's read-only
	// one (store-reader.sh), and the MySQL image's backup tools
	// (image-tools.sh).
	{LocalCommand, "*-serve", "", printsNothing},
	{LocalCommand, "*-reader", "", printsNothing},
	{LocalCommand, "*-image-tools", "", printsNothing},

	// The AWS platform.
	// An instance's arch guard (arch-guard.sh): its record is read by the
	// next run's guard only (PULUMI_COMMAND_STDOUT), never by the components.
	{LocalCommand, "*-arch-guard", "", printsNothing},
	// An instance's ssh-access step (ssh-access.sh): its record likewise.
	{LocalCommand, "*-ssh-access", "", printsNothing},

	// MySQL.
	// The staging of a host's scripts.
	{RemoteCommand, "*-scripts", "", printsNothing},
	// A server's install: the version line, the certificate's expiry, the
	// CA certificate (CACert, made by New).
	{RemoteCommand, "*-install", "server-install.sh", serverInstall},
	// A server's yearly certificate renewal, the same script: the same.
	{RemoteCommand, "*-tls-renew", "", serverInstall},
	// A client's install (client-install.sh): `mysql --version`.
	{RemoteCommand, "*-install", "client-install.sh", func(*Mocks, pulumi.MockResourceArgs) string { return ClientVersion }},
	// A client's ~/.my.cnf (client-login.sh): the file's path, in the login
	// user's (MCS_LOGIN_USER) home.
	{RemoteCommand, "*-my-cnf", "", func(_ *Mocks, args pulumi.MockResourceArgs) string {
		if u := envValue(createOf(args), "MCS_LOGIN_USER"); u != "root" {
			return "/home/" + u + "/.my.cnf"
		}
		return "/root/.my.cnf"
	}},
	// An account (user-apply.sh): a User's, a replica's replication account.
	{RemoteCommand, "*-account", "", printsNothing},
	// A client's proof (verify.sh): the JSON ParseProof reads.
	{RemoteCommand, "*-proof", "verify.sh", func(*Mocks, pulumi.MockResourceArgs) string {
		return `{"serverVersion":"10.11.19-MariaDB","tlsVersion":"TLSv1.3","cipher":"TLS_AES_256_GCM_SHA384","currentUser":"app@mock","roundTripMs":3}`
	}},
	// The replicas' proof (replication-proof.sh): one entry per replica its
	// command line names (MCS_REPLICAS='name=address ...').
	{RemoteCommand, "*-proof", "replication-proof.sh", func(_ *Mocks, args pulumi.MockResourceArgs) string {
		return replicationProof(createOf(args))
	}},
	// The operator's closed check (closed-check.sh): its verdict.
	{LocalCommand, "*-probe", "", func(*Mocks, pulumi.MockResourceArgs) string { return "closed (timeout)" }},
	// A replica's key and certificate request (tls-request.sh).
	{RemoteCommand, "*-tls-request", "", func(*Mocks, pulumi.MockResourceArgs) string {
		return "-----BEGIN CERTIFICATE REQUEST-----\nmock\n-----END CERTIFICATE REQUEST-----"
	}},
	// The request, signed by the primary's CA (tls-sign.sh).
	{RemoteCommand, "*-tls-sign", "", func(*Mocks, pulumi.MockResourceArgs) string {
		return "-----BEGIN CERTIFICATE-----\nmock replica certificate\n-----END CERTIFICATE-----"
	}},
	// Backups: the install (backup-install.sh), the first backup
	// (backup-run.sh): its name, and the proof (backup-proof.sh): the JSON
	// backup.ParseProof reads.
	{RemoteCommand, "*-install", "backup-install.sh", printsNothing},
	{RemoteCommand, "*-first", "", func(*Mocks, pulumi.MockResourceArgs) string { return "20261201T000000Z" }},
	{RemoteCommand, "*-proof", "backup-proof.sh", func(*Mocks, pulumi.MockResourceArgs) string { return BackupProof }},
	// restoreFrom's fill of a new server (backup-restore-server.sh).
	{RemoteCommand, "*-restore", "backup-restore-server.sh", func(*Mocks, pulumi.MockResourceArgs) string {
		return "restored: 20261201T000000Z\ntarget: latest\ngtid: 0-1-6\nrows: app.t 3"
	}},
	// A replica's seed, on the operator's machine (replica-seed.sh).
	{LocalCommand, "*-seed", "", func(*Mocks, pulumi.MockResourceArgs) string { return "seeded from 203.0.113.1" }},
	// A replica's start (replica-start.sh): the status ParseReplicaStatus reads.
	{RemoteCommand, "*-replication", "", func(*Mocks, pulumi.MockResourceArgs) string {
		return `{"source":"172.31.0.1:3306","tlsVersion":"TLSv1.3","gtidPosition":"0-1-42","serverVersion":"10.11.19-MariaDB-log"}`
	}},
}

// What some standard answers print.
const (
	// Password is what a password generator prints.
	Password = "mock-generated-password-0123456789"
	// LocalHostKey is what a local host's namespace command prints.
	LocalHostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockHostKey"
	// BackupProof is what the backups' proof prints.
	BackupProof = `{"last":"2026-12-01T00:00:00Z","name":"20261201T000000Z","engine":"mariadb","sizeBytes":1000,` +
		`"gtidPosition":"0-1-6","verified":true,"restoreSeconds":1.5,"diagnosis":"","oldest":"2026-12-01T00:00:00Z","count":1,"lastError":""}`
	// ClientVersion is what a client's install prints.
	ClientVersion = "mysql  Ver 15.1 Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64) using  EditLine wrapper"
)

// serverInstall is what server-install.sh prints: the version, the
// certificate's expiry (CertificateExpiry), the CA certificate.
func serverInstall(m *Mocks, _ pulumi.MockResourceArgs) string {
	return "10.11.19-MariaDB\ncertificate-expires: " + CertificateExpiry + "\n" + strings.TrimSpace(m.CACert)
}

// matches says whether a standard answer is the command's.
func (s standardAnswer) matches(args pulumi.MockResourceArgs) bool {
	return s.token == args.TypeToken && matchName(s.name, args.Name) && (s.runs == "" || runs(args) == s.runs)
}

// runs is the staged script a remote command's create runs (its last
// word, bash '<dir>/<script>'), or "".
func runs(args pulumi.MockResourceArgs) string {
	c := createOf(args)
	if !strings.HasSuffix(c, ".sh'") {
		return ""
	}
	s := strings.TrimSuffix(c, "'")
	return s[strings.LastIndex(s, "/")+1:]
}

// describe is what a command runs, for an error: its staged script, else
// the start of its create.
func describe(args pulumi.MockResourceArgs) string {
	if s := runs(args); s != "" {
		return s
	}
	c, ok := Str(args.Inputs, "create")
	if !ok {
		return "no create"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(c), "\n")
	if len(line) > 60 {
		line = line[:60] + "..."
	}
	return fmt.Sprintf("%q", line)
}

// answer is what the command prints: the latest of On's answers that
// matches it, else its standard answer, else an error.
func (m *Mocks) answer(args pulumi.MockResourceArgs) (string, error) {
	m.mu.Lock()
	on, standard := append([]onAnswer(nil), m.on...), m.standard
	m.mu.Unlock()
	for i := len(on) - 1; i >= 0; i-- {
		if a := on[i]; a.token == args.TypeToken && matchName(a.name, args.Name) {
			out, err := a.answer(args)
			if err != nil {
				return "", fmt.Errorf("mocktest: %s %q, answered by On(%q): %w", args.TypeToken, args.Name, a.name, err)
			}
			return out, nil
		}
	}
	var found []standardAnswer
	for _, s := range standard {
		if s.matches(args) {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 1:
		return found[0].prints(m, args), nil
	case 0:
		return "", fmt.Errorf("mocktest: no answer for %s %q (it runs %s): answer it where the test makes it, "+
			"with m.On(%q, %q, answer), or, if it is a command of the components, give it a standard answer "+
			"in tests/mocktest/commands.go", args.TypeToken, args.Name, describe(args), args.TypeToken, args.Name)
	}
	return "", fmt.Errorf("mocktest: %s %q matches %d standard answers: make them tell it apart", args.TypeToken, args.Name, len(found))
}

// createOf is a command's create, "" when it has none.
func createOf(args pulumi.MockResourceArgs) string {
	c, _ := Str(args.Inputs, "create")
	return c
}

// envValue is the value of an assignment KEY='value' in a command line
// (shell.Quote's quoting), or "".
func envValue(cmd, key string) string {
	_, rest, ok := strings.Cut(cmd, " "+key+"='")
	if !ok {
		return ""
	}
	var b strings.Builder
	for {
		v, after, ok := strings.Cut(rest, "'")
		b.WriteString(v)
		if !ok || !strings.HasPrefix(after, `\''`) {
			return b.String()
		}
		b.WriteString("'")
		rest = after[len(`\''`):]
	}
}

// replicationProof is what replication-proof.sh prints for the replicas its
// command line names (MCS_REPLICAS='name=address ...').
func replicationProof(cmd string) string {
	out := map[string]any{}
	for i, e := range strings.Fields(envValue(cmd, "MCS_REPLICAS")) {
		name, addr, _ := strings.Cut(e, "=")
		out[name] = map[string]any{"address": addr, "lagMs": 2 + i, "readOnly": true}
	}
	b, _ := json.Marshal(out)
	return string(b)
}
