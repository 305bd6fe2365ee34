package aws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
)

// The real-OpenSSH tests: ssh-access.sh against a throwaway sshd on
// 127.0.0.1, with its own config, host key and authorized_keys in the
// test's temporary directory, logging in as root (the tests run as root:
// the host side then needs no sudo).

const sshdPath = "/usr/sbin/sshd"

// needOpenSSH skips the test without sshd, ssh, ssh-keygen or root; under
// CI=true it fails instead.
func needOpenSSH(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := os.Stat(sshdPath); err != nil {
		missing = append(missing, sshdPath)
	}
	for _, c := range []string{"ssh", "ssh-keygen", "base64", "awk"} {
		if _, err := exec.LookPath(c); err != nil {
			missing = append(missing, c)
		}
	}
	if os.Geteuid() != 0 {
		missing = append(missing, "root (the test's sshd serves root logins)")
	}
	if len(missing) == 0 {
		return
	}
	msg := "the OpenSSH tests need " + strings.Join(missing, ", ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " (CI=true: a missing tool is a failure, not a skip)")
	}
	t.Skip(msg)
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testSSHD is a throwaway sshd.
type testSSHD struct {
	dir, config, hostKey, pidFile, authorizedKeys string
	port                                          int
	pid                                           int
}

// ensurePrivsepDir makes sshd's privilege separation directory if it is
// missing, and removes it again (if still empty) when the test ends.
func ensurePrivsepDir(t *testing.T) {
	const dir = "/run/sshd"
	if _, err := os.Stat(dir); err == nil {
		return
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	t.Cleanup(func() { _ = os.Remove(dir) })
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startSSHD starts an sshd presenting hostKey that admits the given
// authorized_keys lines; the test's cleanup stops it and all its sessions.
func startSSHD(t *testing.T, hostKey string, authorized ...string) *testSSHD {
	t.Helper()
	needOpenSSH(t)
	ensurePrivsepDir(t)
	dir := t.TempDir()
	s := &testSSHD{dir: dir, port: freePort(t), config: filepath.Join(dir, "sshd_config"),
		hostKey: filepath.Join(dir, "ssh_host_ed25519_key"), pidFile: filepath.Join(dir, "sshd.pid"),
		authorizedKeys: filepath.Join(dir, "authorized_keys")}
	s.writeHostKey(t, hostKey)
	require.NoError(t, os.WriteFile(s.authorizedKeys, []byte(strings.Join(authorized, "\n")+"\n"), 0o600))
	config := fmt.Sprintf("ListenAddress 127.0.0.1:%d\nHostKey %s\nPidFile %s\nAuthorizedKeysFile %s\n"+
		"PermitRootLogin prohibit-password\nPubkeyAuthentication yes\nPasswordAuthentication no\n"+
		"KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nUseDNS no\nLogLevel VERBOSE\n",
		s.port, s.hostKey, s.pidFile, s.authorizedKeys)
	require.NoError(t, os.WriteFile(s.config, []byte(config), 0o600))
	logs := &lockedBuffer{}
	cmd := exec.Command(sshdPath, "-D", "-e", "-f", s.config)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its sessions too, for the cleanup
	require.NoError(t, cmd.Start())
	s.pid = cmd.Process.Pid
	t.Cleanup(func() {
		killChildren(s.pid) // the sessions: each sshd child is a session leader of its own
		_ = syscall.Kill(-s.pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sshd log:\n%s", logs.String())
		}
	})
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", s.addr(), time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	}, 10*time.Second, 20*time.Millisecond, "sshd listens on %s", s.addr())
	return s
}

// killChildren kills the processes whose parent is pid.
func killChildren(pid int) {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so after its ')'.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			if child, err := strconv.Atoi(filepath.Base(filepath.Dir(f))); err == nil {
				_ = syscall.Kill(child, syscall.SIGKILL)
			}
		}
	}
}

func (s *testSSHD) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

func (s *testSSHD) writeHostKey(t *testing.T, private string) {
	t.Helper()
	require.NoError(t, os.WriteFile(s.hostKey, []byte(private), 0o600))
	require.NoError(t, os.WriteFile(s.hostKey+".pub", []byte(publicOf(t, private)+"\n"), 0o644))
}

// present makes sshd present private as its host key (a man in the middle,
// in the tests that want one) and waits until it does.
func (s *testSSHD) present(t *testing.T, private string) {
	t.Helper()
	s.writeHostKey(t, private)
	require.NoError(t, syscall.Kill(s.pid, syscall.SIGHUP))
	want := publicOf(t, private)
	require.Eventually(t, func() bool { return s.presentedHostKey() == want }, 10*time.Second, 20*time.Millisecond,
		"sshd presents the new host key")
}

// presentedHostKey is the ed25519 host key sshd presents ("" when it does
// not answer).
func (s *testSSHD) presentedHostKey() string {
	var got string
	cfg := &ssh.ClientConfig{User: "root", Timeout: 2 * time.Second, HostKeyAlgorithms: []string{ssh.KeyAlgoED25519},
		HostKeyCallback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			got = strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
			return errors.New("only the host key was wanted")
		}}
	if c, err := ssh.Dial("tcp", s.addr(), cfg); err == nil {
		c.Close()
	}
	return got
}

// login logs in with private, pinning hostPublic: nil when sshd accepts.
func (s *testSSHD) login(t *testing.T, private, hostPublic string) error {
	t.Helper()
	signer, err := ssh.ParsePrivateKey([]byte(private))
	require.NoError(t, err)
	pinned, _, _, _, err := ssh.ParseAuthorizedKey([]byte(hostPublic))
	require.NoError(t, err)
	c, err := ssh.Dial("tcp", s.addr(), &ssh.ClientConfig{User: "root", Timeout: 5 * time.Second,
		Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: ssh.FixedHostKey(pinned),
		HostKeyAlgorithms: []string{ssh.KeyAlgoED25519}})
	if err != nil {
		return err
	}
	return c.Close()
}

func (s *testSSHD) authorized(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(s.authorizedKeys)
	require.NoError(t, err)
	return string(b)
}

// accessRun is one run of ssh-access.sh.
type accessRun struct {
	record, stderr string
	err            error
}

// accessInputs are what the Instance hands ssh-access.sh.
type accessInputs struct {
	login, firstHost, pinnedHost string // private keys
	previous                     string // the last successful run's record; "" on a create
	pidFile                      string // "" means the sshd's own
}

// runAccess runs ssh-access.sh as pulumi-command does (bash -c, the
// environment, the keys on stdin, PULUMI_COMMAND_STDOUT on an update; the
// record with its final newline trimmed), with the host side pointed at
// this sshd. Its temporary directory must be gone afterwards.
func (s *testSSHD) runAccess(t *testing.T, in accessInputs) accessRun {
	t.Helper()
	tmp, err := os.MkdirTemp("", "mcs-access") // short: ssh's control socket path must fit
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(tmp) })
	if in.pidFile == "" {
		in.pidFile = s.pidFile
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/bash", "-c", script(sshAccessScript))
	cmd.WaitDelay = 5 * time.Second
	env := map[string]string{
		"MCS_SSH_ADDRESS": "127.0.0.1", "MCS_SSH_PORT": strconv.Itoa(s.port), "MCS_SSH_USER": "root",
		"MCS_FIRST_HOST_KEY": publicOf(t, in.firstHost), "MCS_HOST_KEY": publicOf(t, in.pinnedHost),
		"MCS_HOST_SCRIPT": script(sshAccessHostScript), "MCS_SSH_ATTEMPTS": "3", "MCS_SSH_RETRY_PAUSE": "0.2",
		"MCS_AUTHORIZED_KEYS": s.authorizedKeys, "MCS_SSHD_CONFIG": s.config, "MCS_SSHD_HOST_KEY": s.hostKey,
		"MCS_SSHD_PID_FILE": in.pidFile, "TMPDIR": tmp,
	}
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if in.previous != "" {
		cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDOUT="+in.previous)
	}
	cmd.Stdin = strings.NewReader(in.login + in.pinnedHost)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	run := accessRun{err: cmd.Run()}
	run.record, run.stderr = strings.TrimSuffix(stdout.String(), "\n"), stderr.String()
	left, err := os.ReadDir(tmp)
	require.NoError(t, err)
	require.Empty(t, left, "ssh-access removes its key directory on exit")
	t.Logf("ssh-access stderr:\n%s", run.stderr)
	return run
}
