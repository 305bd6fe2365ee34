package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// maxErrorOutput is how much of a failed command's combined output (its tail)
// goes into the error.
const maxErrorOutput = 8 << 10

// Bounds of the dial retry loop.
const (
	dialInitialDelay = 100 * time.Millisecond
	dialBackoff      = 1.5
	dialMaxDelay     = 2 * time.Second
	// dialUnlimitedBudget bounds the total time spent dialling when
	// dialErrorLimit is -1 (unlimited).
	dialUnlimitedBudget = 5 * time.Minute
)

// runResult is the outcome of one command.
type runResult struct {
	stdout, stderr string
	err            error
}

// commandError is the error of a command that ran and failed.
type commandError struct {
	status string // e.g. "exit status 1"
	cmd    string // the command, or "[secret]"
	output string // tail of the combined stdout and stderr
	err    error  // *exec.ExitError, *ssh.ExitError, ...
}

func (e *commandError) Error() string {
	return fmt.Sprintf("%s: running %q:\n%s", e.status, e.cmd, e.output)
}

func (e *commandError) Unwrap() error { return e.err }

// outputs collects a command's stdout and stderr separately and, for error
// messages, interleaved.
type outputs struct {
	stdout, stderr bytes.Buffer
	mu             sync.Mutex
	combined       bytes.Buffer
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

func (o *outputs) writers() (stdout, stderr io.Writer) {
	c := lockedWriter{mu: &o.mu, w: &o.combined}
	return io.MultiWriter(&o.stdout, c), io.MultiWriter(&o.stderr, c)
}

// result trims one trailing newline from stdout and stderr, as pulumi-command
// does (strings.TrimSuffix(s, "\n")), and turns err into a commandError.
func (o *outputs) result(cmd string, secret bool, err error) runResult {
	res := runResult{
		stdout: strings.TrimSuffix(o.stdout.String(), "\n"),
		stderr: strings.TrimSuffix(o.stderr.String(), "\n"),
	}
	if err == nil {
		return res
	}
	status := err.Error()
	var sshExit *ssh.ExitError
	if errors.As(err, &sshExit) {
		status = "exit status " + strconv.Itoa(sshExit.ExitStatus())
		if sig := sshExit.Signal(); sig != "" {
			status += " (signal " + sig + ")"
		}
	}
	if secret {
		cmd = "[secret]"
	}
	o.mu.Lock()
	out := o.combined.String()
	o.mu.Unlock()
	if len(out) > maxErrorOutput {
		out = "...(truncated)...\n" + out[len(out)-maxErrorOutput:]
	}
	res.err = &commandError{status: status, cmd: cmd, output: out, err: err}
	return res
}

// run runs command (the create or delete command of s), with extraEnv added
// to its environment. A failure to set an extraEnv variable on a remote host
// is logged and ignored.
func (s *commandSpec) run(command string, secret bool, extraEnv map[string]string, logf func(string, ...any)) runResult {
	if s.conn != nil {
		return s.runRemote(command, secret, extraEnv, logf)
	}
	return s.runLocal(command, secret, extraEnv)
}

func (s *commandSpec) runLocal(command string, secret bool, extraEnv map[string]string) runResult {
	args := append(slices.Clone(s.interpreter), command)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = s.dir
	cmd.Env = os.Environ()
	for _, k := range sortedKeys(s.env) {
		cmd.Env = append(cmd.Env, k+"="+s.env[k])
	}
	for _, k := range sortedKeys(extraEnv) {
		cmd.Env = append(cmd.Env, k+"="+extraEnv[k])
	}
	if s.stdin != "" {
		cmd.Stdin = strings.NewReader(s.stdin)
	}
	var o outputs
	cmd.Stdout, cmd.Stderr = o.writers()
	err := cmd.Run()
	return o.result(command, secret, err)
}

func (s *commandSpec) runRemote(command string, secret bool, extraEnv map[string]string, logf func(string, ...any)) runResult {
	client, err := dial(s.typ, s.name, s.conn, logf)
	if err != nil {
		return runResult{err: err}
	}
	defer client.Close()

	session, err := client.NewSession()
	if err != nil {
		return runResult{err: fmt.Errorf("new SSH session: %w", err)}
	}
	defer session.Close()

	for _, k := range sortedKeys(s.env) {
		if err := session.Setenv(k, s.env[k]); err != nil {
			return runResult{err: setenvError(k, err)}
		}
	}
	for _, k := range sortedKeys(extraEnv) {
		// pulumi-command sets the previous outputs optimistically and only
		// warns when the server refuses them.
		if err := session.Setenv(k, extraEnv[k]); err != nil {
			logf("%s %q: warning: %v (ignored)", s.typ, s.name, setenvError(k, err))
		}
	}
	if s.stdin != "" {
		session.Stdin = strings.NewReader(s.stdin)
	}
	var o outputs
	session.Stdout, session.Stderr = o.writers()
	err = session.Run(command)
	return o.result(command, secret, err)
}

func setenvError(key string, err error) error {
	return fmt.Errorf("could not set environment variable %q: %w (the SSH server must accept it with AcceptEnv)", key, err)
}

// dial connects to c, retrying failed dials with a growing delay (capped at
// dialMaxDelay) up to c.DialErrorLimit attempts (at least one), or for
// dialUnlimitedBudget when the limit is -1. (pulumi-command itself makes
// limit+1 dials, with its retry package's 100ms*1.5^n delays capped at 5s.)
func dial(typ, name string, c *Connection, logf func(string, ...any)) (*ssh.Client, error) {
	config := &ssh.ClientConfig{
		User:            c.User,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         time.Duration(c.PerDialTimeout) * time.Second,
	}
	if c.PrivateKey == "" {
		return nil, errors.New("connection.privateKey is required (the harness supports only key authentication)")
	}
	signer, err := ssh.ParsePrivateKey([]byte(c.PrivateKey))
	if err != nil {
		return nil, fmt.Errorf("parse connection.privateKey: %w", err)
	}
	config.Auth = []ssh.AuthMethod{ssh.PublicKeys(signer)}
	if c.HostKey != "" {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(c.HostKey))
		if err != nil {
			return nil, fmt.Errorf("parse connection.hostKey: %w", err)
		}
		config.HostKeyCallback = ssh.FixedHostKey(key)
	}

	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	limit := c.DialErrorLimit
	if limit == 0 {
		limit = 1
	}
	start := time.Now()
	delay := dialInitialDelay
	for attempt := 1; ; attempt++ {
		client, err := ssh.Dial("tcp", addr, config)
		if err == nil {
			return client, nil
		}
		exhausted := (limit > 0 && attempt >= limit) ||
			(limit < 0 && time.Since(start)+delay > dialUnlimitedBudget)
		if exhausted {
			return nil, fmt.Errorf("dial %s: %d failed attempts in %s, last error: %w",
				addr, attempt, time.Since(start).Round(time.Millisecond), err)
		}
		logf("%s %q: dial %s attempt %d failed, retrying in %s: %v", typ, name, addr, attempt, delay, err)
		time.Sleep(delay)
		delay = min(time.Duration(float64(delay)*dialBackoff), dialMaxDelay)
	}
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
