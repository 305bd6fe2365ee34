// Package harness provides Pulumi mocks for integration tests that really
// execute pulumi-command resources.
//
// A *Mocks value is a pulumi.MockResourceMonitor: pass it to
// pulumi.RunErr(..., pulumi.WithMocks("project", "stack", m)). Resources of type
// command:local:Command and command:remote:Command run their create command
// the way the pulumi-command provider (v1.x) does, locally through an
// interpreter or remotely over SSH. Every other custom resource gets its
// inputs back as state. After the program has run, Teardown runs the delete
// commands in reverse order of creation.
package harness

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Resource type tokens of the pulumi-command resources that Mocks executes.
const (
	localCommandType  = "command:local:Command"
	remoteCommandType = "command:remote:Command"
)

// Names of the environment variables pulumi-command sets for update and
// delete commands to the outputs of the previous create.
const (
	envPreviousStdout = "PULUMI_COMMAND_STDOUT"
	envPreviousStderr = "PULUMI_COMMAND_STDERR"
)

// Mocks is a pulumi.MockResourceMonitor that executes command resources.
//
// Its methods are safe for concurrent use: the Pulumi SDK calls NewResource
// from many goroutines at once.
type Mocks struct {
	logf func(format string, args ...any)
	call func(args pulumi.MockCallArgs) (resource.PropertyMap, error)

	mu          sync.Mutex
	records     []Record // every executed create, in completion order
	pending     []*entry // successful creates not yet torn down, in completion order
	deleteOrder []string

	teardownMu sync.Mutex // serialises Teardown calls
}

// entry is a successful create together with what its delete needs.
type entry struct {
	spec   commandSpec
	stdout string
	stderr string
}

var _ pulumi.MockResourceMonitor = (*Mocks)(nil)

// Option configures a Mocks.
type Option func(*Mocks)

// WithLog sets where Mocks logs each command it runs (for example t.Logf).
// It logs the resource type and name, the phase, the exit status and the
// duration; never stdin, environment values or private keys.
func WithLog(logf func(format string, args ...any)) Option {
	return func(m *Mocks) { m.logf = logf }
}

// WithCallHandler sets the handler for invokes (pulumi.MockResourceMonitor's
// Call). Without it every invoke returns an empty property map.
func WithCallHandler(handler func(args pulumi.MockCallArgs) (resource.PropertyMap, error)) Option {
	return func(m *Mocks) { m.call = handler }
}

// New returns a Mocks configured by opts.
func New(opts ...Option) *Mocks {
	m := &Mocks{}
	for _, opt := range opts {
		opt(m)
	}
	return m
}

// Record is one executed create of a command resource.
type Record struct {
	// Type is the resource type, e.g. "command:remote:Command", and Name the
	// resource name.
	Type, Name string
	// Create, Delete and Stdin are the create and delete commands and the
	// standard input, as given (secrets unwrapped).
	Create, Delete, Stdin string
	// Environment holds the environment variables given as input.
	Environment map[string]string
	// Connection is the SSH connection, with defaults applied; nil for local
	// commands.
	Connection *Connection
	// Stdout and Stderr are the command's outputs, with one trailing newline
	// removed as pulumi-command does.
	Stdout, Stderr string
	// Err is the error of the create, nil if it succeeded.
	Err error
	// Started and Finished are when the command started and finished.
	Started, Finished time.Time
}

// Connection is how a remote command reaches its host, with pulumi-command's
// defaults applied.
type Connection struct {
	// Host and Port are the address of the SSH server (port defaults to 22).
	Host string
	Port int
	// User defaults to "root". PrivateKey is the PEM-encoded key used to
	// authenticate. HostKey, if set, is the server's public key in
	// authorized_keys format; when empty the host key is not checked.
	User, PrivateKey, HostKey string
	// DialErrorLimit is the number of dial attempts (default 10; -1 means
	// unlimited, bounded in time by the harness). PerDialTimeout is the
	// timeout of each attempt in seconds (default 15; 0 means none).
	DialErrorLimit, PerDialTimeout int
}

func (r Record) clone() Record {
	if r.Environment != nil {
		r.Environment = maps.Clone(r.Environment)
	}
	if r.Connection != nil {
		c := *r.Connection
		r.Connection = &c
	}
	return r
}

// Call implements pulumi.MockResourceMonitor for invokes: it delegates to the
// handler given with WithCallHandler, or returns an empty map.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	if m.call != nil {
		return m.call(args)
	}
	return resource.PropertyMap{}, nil
}

// NewResource implements pulumi.MockResourceMonitor. Command resources run
// their create command and return their inputs (secrets kept secret) plus
// stdout and stderr as state, with the id "<name>-<8 hex digits>"; a failed
// command returns an error. A command resource without a create command, or
// with inputs not yet known (computed), runs nothing and is not recorded.
// Any other resource returns its inputs as state and the id "<name>_id" (or
// the id asked for, when a resource is read or imported).
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	switch args.TypeToken {
	case localCommandType, remoteCommandType:
		return m.newCommand(args)
	default:
		id := args.ID
		if id == "" {
			id = args.Name + "_id"
		}
		return id, args.Inputs.Copy(), nil
	}
}

func (m *Mocks) newCommand(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, err := resource.NewUniqueHex(args.Name+"-", 8, 0)
	if err != nil {
		return "", nil, err
	}
	state := args.Inputs.Copy()
	state["stdout"] = resource.NewProperty("")
	state["stderr"] = resource.NewProperty("")

	spec, err := parseSpec(args.TypeToken, args.Name, args.Inputs)
	if err != nil {
		return "", nil, fmt.Errorf("%s %q: %w", args.TypeToken, args.Name, err)
	}
	if spec.unknown {
		// As in a preview: nothing can be run until every input is known.
		m.log("%s %q: inputs not yet known, create not run", spec.typ, spec.name)
		return id, state, nil
	}
	if !spec.hasCreate {
		return id, state, nil
	}

	started := time.Now()
	res := spec.run(spec.create, spec.createSecret, nil, m.log)
	m.logResult(spec, "create", res.err, time.Since(started))

	rec := Record{
		Type:        spec.typ,
		Name:        spec.name,
		Create:      spec.create,
		Delete:      spec.delete,
		Stdin:       spec.stdin,
		Environment: maps.Clone(spec.env),
		Stdout:      res.stdout,
		Stderr:      res.stderr,
		Err:         res.err,
		Started:     started,
	}
	if spec.conn != nil {
		c := *spec.conn
		rec.Connection = &c
	}

	m.mu.Lock()
	// Taken under the lock so that Finished agrees with completion order.
	rec.Finished = time.Now()
	m.records = append(m.records, rec)
	if res.err == nil {
		m.pending = append(m.pending, &entry{spec: spec, stdout: res.stdout, stderr: res.stderr})
	}
	m.mu.Unlock()

	if res.err != nil {
		return "", nil, fmt.Errorf("%s %q: create: %w", spec.typ, spec.name, res.err)
	}
	state["stdout"] = resource.NewProperty(res.stdout)
	state["stderr"] = resource.NewProperty(res.stderr)
	return id, state, nil
}

// Records returns a copy of every executed create, in completion order,
// failed ones included (with Err set).
func (m *Mocks) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Record, len(m.records))
	for i, r := range m.records {
		out[i] = r.clone()
	}
	return out
}

// Teardown runs the delete command of every successfully created command
// resource, in reverse order of creation completion, with the create's
// interpreter, directory, connection and environment. When
// addPreviousOutputInEnv is true (the default) PULUMI_COMMAND_STDOUT and
// PULUMI_COMMAND_STDERR are set to the create's outputs (only when
// non-empty, as pulumi-command does); for remote commands these are sent
// with Setenv optimistically, and a server refusing them (sshd without a
// matching AcceptEnv) is logged and ignored, as pulumi-command does.
//
// Teardown keeps going after a failure and returns all errors joined with
// errors.Join. Each resource is torn down at most once: calling Teardown
// again runs nothing for resources already handled. The order in which
// deletes ran is available from DeleteOrder.
func (m *Mocks) Teardown() error {
	m.teardownMu.Lock()
	defer m.teardownMu.Unlock()

	m.mu.Lock()
	todo := m.pending
	m.pending = nil
	m.mu.Unlock()

	var errs []error
	for i := len(todo) - 1; i >= 0; i-- {
		e := todo[i]
		if !e.spec.hasDelete {
			continue
		}
		var prev map[string]string
		if e.spec.addPreviousOutputInEnv {
			prev = map[string]string{}
			if e.stdout != "" {
				prev[envPreviousStdout] = e.stdout
			}
			if e.stderr != "" {
				prev[envPreviousStderr] = e.stderr
			}
		}
		m.mu.Lock()
		m.deleteOrder = append(m.deleteOrder, e.spec.name)
		m.mu.Unlock()

		started := time.Now()
		res := e.spec.run(e.spec.delete, e.spec.deleteSecret, prev, m.log)
		m.logResult(e.spec, "delete", res.err, time.Since(started))
		if res.err != nil {
			errs = append(errs, fmt.Errorf("%s %q: delete: %w", e.spec.typ, e.spec.name, res.err))
		}
	}
	return errors.Join(errs...)
}

// DeleteOrder returns the names of the resources whose delete commands
// Teardown ran, in the order they ran (failed deletes included).
func (m *Mocks) DeleteOrder() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.deleteOrder...)
}

func (m *Mocks) log(format string, args ...any) {
	if m.logf != nil {
		m.logf(format, args...)
	}
}

// logResult logs the outcome of one command: type, name, phase, exit status
// and duration only.
func (m *Mocks) logResult(spec commandSpec, phase string, err error, d time.Duration) {
	if m.logf == nil {
		return
	}
	status := "exit status 0"
	if err != nil {
		var ce *commandError
		if errors.As(err, &ce) {
			status = ce.status
		} else {
			status = "failed: " + err.Error()
		}
	}
	m.logf("%s %q %s: %s (%s)", spec.typ, spec.name, phase, status, d.Round(time.Millisecond))
}
