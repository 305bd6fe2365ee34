// Package harness provides Pulumi mocks for integration tests that really
// execute pulumi-command resources.
//
// A *Mocks value is a pulumi.MockResourceMonitor: pass it to
// pulumi.RunErr(..., pulumi.WithMocks("project", "stack", m)). Resources of type
// command:local:Command and command:remote:Command run their commands the way
// the pulumi-command provider (v1.x) does, locally through an interpreter or
// remotely over SSH. Every other custom resource gets its inputs back as
// state. After the program has run, Teardown runs the delete commands in
// reverse order of creation.
//
// One Mocks value models one stack: running programs with it several times
// models consecutive `pulumi up`s of that stack. A command resource
// registered again (same type and name) is, as the Pulumi engine and
// pulumi-command would do it, left alone when its inputs are unchanged,
// updated in place with its update command, or replaced (create the new one,
// then delete the old one). Operations tells which happened.
package harness

import (
	"errors"
	"fmt"
	"maps"
	"slices"
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
// delete commands to the outputs of the previous create or update.
const (
	envPreviousStdout = "PULUMI_COMMAND_STDOUT"
	envPreviousStderr = "PULUMI_COMMAND_STDERR"
)

// Operation is what the mocks did for one resource in one registration.
type Operation string

// The operations on a command resource.
const (
	// OperationCreate: the resource had no state yet; its create command ran
	// (if it has one).
	OperationCreate Operation = "create"
	// OperationSame: the inputs equal those of the previous registration;
	// nothing ran and the previous id and state were returned.
	OperationSame Operation = "same"
	// OperationUpdate: the inputs changed, the triggers did not and there is
	// an update command; it ran and the id was kept.
	OperationUpdate Operation = "update"
	// OperationReplace: the triggers changed, or the inputs changed and there
	// is no update command; the new create ran, then the old delete.
	OperationReplace Operation = "replace"
)

// Mocks is a pulumi.MockResourceMonitor that executes command resources.
//
// Its methods are safe for concurrent use: the Pulumi SDK calls NewResource
// from many goroutines at once.
type Mocks struct {
	logf   func(format string, args ...any)
	call   func(args pulumi.MockCallArgs) (resource.PropertyMap, error)
	before func(typ, name string)

	mu          sync.Mutex
	records     []Record // every command run by NewResource, in completion order
	pending     []*entry // command resources not yet torn down, in creation completion order
	deleteOrder []string
	states      map[string]*commandState // command resources with a state, by identity
	ids         map[string]string        // ids of other resources, by identity
	ops         []namedOperation         // every operation on a command resource, in order
	busy        map[string]*sync.Mutex   // serialises registrations of one identity

	teardownMu sync.Mutex // serialises Teardown calls
}

// entry is a command resource's state together with what its delete needs.
type entry struct {
	spec   commandSpec
	stdout string
	stderr string
}

// commandState is what the mocks remember of a command resource between
// registrations, like the state of a stack.
type commandState struct {
	id      string
	outputs resource.PropertyMap // what NewResource returned
	inputs  resource.PropertyMap // diffInputs of the registration's inputs
	entry   *entry               // in pending
}

type namedOperation struct {
	name string
	op   Operation
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

// WithBeforeRun sets a function that Mocks calls before it runs any create
// or update command, with the resource's type and name: where a fault test
// prepares the fault that the command is to meet.
func WithBeforeRun(before func(typ, name string)) Option {
	return func(m *Mocks) { m.before = before }
}

// WithCallHandler sets the handler for invokes (pulumi.MockResourceMonitor's
// Call). Without it every invoke returns an empty property map.
func WithCallHandler(handler func(args pulumi.MockCallArgs) (resource.PropertyMap, error)) Option {
	return func(m *Mocks) { m.call = handler }
}

// New returns a Mocks configured by opts.
func New(opts ...Option) *Mocks {
	m := &Mocks{
		states: map[string]*commandState{},
		ids:    map[string]string{},
		busy:   map[string]*sync.Mutex{},
	}
	for _, opt := range opts {
		opt(m)
	}
	return m
}

// Record is one command run by NewResource: the create of a new resource,
// the update command of an update, or the new create of a replacement.
type Record struct {
	// Type is the resource type, e.g. "command:remote:Command", and Name the
	// resource name.
	Type, Name string
	// Operation is OperationCreate, OperationUpdate or OperationReplace.
	// The command that ran is Update for OperationUpdate, Create otherwise.
	Operation Operation
	// Create, Update, Delete and Stdin are the create, update and delete
	// commands and the standard input, as given (secrets unwrapped).
	Create, Update, Delete, Stdin string
	// Environment holds the environment variables given as input.
	Environment map[string]string
	// Connection is the SSH connection, with defaults applied; nil for local
	// commands.
	Connection *Connection
	// Stdout and Stderr are the command's outputs, with one trailing newline
	// removed as pulumi-command does.
	Stdout, Stderr string
	// Err is the error of the command, nil if it succeeded.
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

// NewResource implements pulumi.MockResourceMonitor.
//
// A command resource is identified by its type and name. The first time it
// is registered it runs its create command and returns its inputs (secrets
// kept secret) plus stdout and stderr as state, with the id
// "<name>-<8 hex digits>"; a failed command returns an error and leaves no
// state. When it is registered again (a later run of a program with the same
// Mocks), the inputs create, update, delete, stdin, environment, dir,
// interpreter, triggers, connection, addPreviousOutputInEnv and logging are
// compared, secrets unwrapped, with those of its state:
//
//   - all equal: nothing runs; the previous id and state are returned
//     (OperationSame);
//   - triggers changed: the resource is replaced
//     (OperationReplace): the new create runs; once it succeeds the old
//     delete runs (with the DeleteBeforeReplace option, the old delete runs
//     first; if it fails nothing is created, and if the new create then
//     fails, neither is left), with the old inputs and PULUMI_COMMAND_STDOUT/STDERR set
//     to the old outputs as in Teardown, and the new state, with a new id,
//     takes the old one's place in the teardown list. If the new create
//     fails, the old state is kept and nothing is deleted. If the old delete
//     fails, the new state is kept, the old resource stays in the teardown
//     list (before the new one is deleted, Teardown tries again) and the
//     error is returned;
//   - otherwise the update command (the create command where there is no
//     update command, as in pulumi-command v1.2.1) runs (OperationUpdate), with the new
//     inputs and, when addPreviousOutputInEnv is true,
//     PULUMI_COMMAND_STDOUT/STDERR set to the previous outputs; on success
//     the id is kept and the state becomes the new inputs plus the new
//     stdout and stderr (so Teardown runs the new delete); on failure the
//     error is returned and the previous state is kept.
//
// A resource that has a state but is not registered again stays in the
// teardown list: deletes of resources dropped from the program are not
// modelled. A command resource without a create command runs nothing when
// created, but has a state (and its delete runs at Teardown, as with
// pulumi-command). A command resource with inputs not yet known (computed)
// runs nothing, is not recorded and leaves its state untouched.
//
// Any other resource returns its inputs as state and the id "<name>_id" (or
// the id asked for, when a resource is read or imported); once it has an id,
// later registrations of the same type and name reuse it.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	key := args.TypeToken + "::" + args.Name
	switch args.TypeToken {
	case localCommandType, remoteCommandType:
		unlock := m.lockIdentity(key)
		defer unlock()
		return m.newCommand(key, args)
	default:
		m.mu.Lock()
		defer m.mu.Unlock()
		id := args.ID
		if id == "" {
			id = m.ids[key]
		}
		if id == "" {
			id = args.Name + "_id"
		}
		m.ids[key] = id
		return id, args.Inputs.Copy(), nil
	}
}

// lockIdentity serialises registrations of the resource key, so that each
// sees the state the previous one left.
func (m *Mocks) lockIdentity(key string) (unlock func()) {
	m.mu.Lock()
	l, ok := m.busy[key]
	if !ok {
		l = &sync.Mutex{}
		m.busy[key] = l
	}
	m.mu.Unlock()
	l.Lock()
	return l.Unlock
}

func (m *Mocks) newCommand(key string, args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	spec, err := parseSpec(args.TypeToken, args.Name, args.Inputs)
	if err != nil {
		return "", nil, fmt.Errorf("%s %q: %w", args.TypeToken, args.Name, err)
	}
	if rpc := args.RegisterRPC; rpc != nil {
		spec.deleteBeforeReplace = rpc.GetDeleteBeforeReplace()
	}
	inputs, unknown := diffInputs(args.Inputs)

	m.mu.Lock()
	prev := m.states[key]
	m.mu.Unlock()

	if spec.unknown || unknown {
		// As in a preview: nothing can be run until every input is known.
		m.log("%s %q: inputs not yet known, nothing run", spec.typ, spec.name)
		id := ""
		if prev != nil {
			id = prev.id
		} else if id, err = newID(spec.name); err != nil {
			return "", nil, err
		}
		return id, stateOf(args.Inputs, "", ""), nil
	}

	switch {
	case prev == nil:
		return m.create(key, spec, args.Inputs, inputs)
	case prev.inputs.DeepEquals(inputs):
		m.log("%s %q: inputs unchanged, nothing run", spec.typ, spec.name)
		m.addOperation(spec.name, OperationSame)
		return prev.id, prev.outputs.Copy(), nil
	case !prev.inputs["triggers"].DeepEquals(inputs["triggers"]):
		return m.replace(key, prev, spec, args.Inputs, inputs)
	default:
		return m.update(key, prev, spec, args.Inputs, inputs)
	}
}

// create runs the create command of a resource without state.
func (m *Mocks) create(key string, spec commandSpec, in, inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	id, err := newID(spec.name)
	if err != nil {
		return "", nil, err
	}
	defer m.addOperation(spec.name, OperationCreate)
	save := func(res runResult) {
		e := &entry{spec: spec, stdout: res.stdout, stderr: res.stderr}
		m.states[key] = &commandState{id: id, outputs: stateOf(in, res.stdout, res.stderr), inputs: inputs, entry: e}
		m.pending = append(m.pending, e)
	}
	if !spec.hasCreate {
		m.mu.Lock()
		save(runResult{})
		m.mu.Unlock()
		return id, stateOf(in, "", ""), nil
	}
	res := m.execute(spec, OperationCreate, "create", spec.create, spec.createSecret, nil, save)
	if res.err != nil {
		return "", nil, fmt.Errorf("%s %q: create: %w", spec.typ, spec.name, res.err)
	}
	return id, stateOf(in, res.stdout, res.stderr), nil
}

// update runs the update command of a resource whose inputs changed.
func (m *Mocks) update(key string, prev *commandState, spec commandSpec, in, inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	defer m.addOperation(spec.name, OperationUpdate)
	var env map[string]string
	if spec.addPreviousOutputInEnv {
		env = previousOutputs(prev.entry.stdout, prev.entry.stderr)
	}
	// pulumi-command runs the create command where there is no update one.
	command, secret := spec.update, spec.updateSecret
	if !spec.hasUpdate {
		command, secret = spec.create, spec.createSecret
	}
	if !spec.hasUpdate && !spec.hasCreate {
		// Nothing runs; the state takes the new inputs (and delete).
		m.mu.Lock()
		e := &entry{spec: spec}
		m.states[key] = &commandState{id: prev.id, outputs: stateOf(in, "", ""), inputs: inputs, entry: e}
		m.replacePending(prev.entry, e)
		m.mu.Unlock()
		return prev.id, stateOf(in, "", ""), nil
	}
	res := m.execute(spec, OperationUpdate, "update", command, secret, env, func(res runResult) {
		e := &entry{spec: spec, stdout: res.stdout, stderr: res.stderr}
		m.states[key] = &commandState{id: prev.id, outputs: stateOf(in, res.stdout, res.stderr), inputs: inputs, entry: e}
		m.replacePending(prev.entry, e)
	})
	if res.err != nil {
		return "", nil, fmt.Errorf("%s %q: update: %w", spec.typ, spec.name, res.err)
	}
	return prev.id, stateOf(in, res.stdout, res.stderr), nil
}

// replace creates a new resource with the new inputs, then deletes the old
// one (create-before-delete, Pulumi's default).
func (m *Mocks) replace(key string, prev *commandState, spec commandSpec, in, inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	id, err := newID(spec.name)
	if err != nil {
		return "", nil, err
	}
	defer m.addOperation(spec.name, OperationReplace)
	if spec.deleteBeforeReplace {
		return m.replaceDeletingFirst(key, id, prev, spec, in, inputs)
	}
	var res runResult
	if spec.hasCreate {
		res = m.execute(spec, OperationReplace, "create (replacement)", spec.create, spec.createSecret, nil, nil)
		if res.err != nil {
			return "", nil, fmt.Errorf("%s %q: create (replacement): %w", spec.typ, spec.name, res.err)
		}
	}

	old := prev.entry
	var delErr error
	if old.spec.hasDelete {
		delErr = m.runDelete(old, "delete (replaced)")
	}

	e := &entry{spec: spec, stdout: res.stdout, stderr: res.stderr}
	m.mu.Lock()
	m.states[key] = &commandState{id: id, outputs: stateOf(in, res.stdout, res.stderr), inputs: inputs, entry: e}
	if delErr == nil {
		m.replacePending(old, e)
	} else {
		// Like a resource pending deletion: the old one stays, and is torn
		// down before the new one.
		m.insertPendingBefore(old, e)
	}
	m.mu.Unlock()

	if delErr != nil {
		return "", nil, fmt.Errorf("%s %q: delete of the replaced resource: %w", spec.typ, spec.name, delErr)
	}
	return id, stateOf(in, res.stdout, res.stderr), nil
}

// replaceDeletingFirst is replace with the DeleteBeforeReplace option: the
// old delete, then the new create, which takes the old one's place in the
// teardown list. A failed create leaves neither.
func (m *Mocks) replaceDeletingFirst(key, id string, prev *commandState, spec commandSpec, in, inputs resource.PropertyMap) (string, resource.PropertyMap, error) {
	old := prev.entry
	if old.spec.hasDelete {
		if err := m.runDelete(old, "delete (before replacement)"); err != nil {
			return "", nil, fmt.Errorf("%s %q: delete before replacement: %w", spec.typ, spec.name, err)
		}
	}
	var res runResult
	if spec.hasCreate {
		res = m.execute(spec, OperationReplace, "create (replacement)", spec.create, spec.createSecret, nil, nil)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if res.err != nil {
		delete(m.states, key)
		m.pending = slices.DeleteFunc(m.pending, func(e *entry) bool { return e == old })
		return "", nil, fmt.Errorf("%s %q: create (replacement): %w", spec.typ, spec.name, res.err)
	}
	e := &entry{spec: spec, stdout: res.stdout, stderr: res.stderr}
	m.states[key] = &commandState{id: id, outputs: stateOf(in, res.stdout, res.stderr), inputs: inputs, entry: e}
	m.replacePending(old, e)
	return id, stateOf(in, res.stdout, res.stderr), nil
}

// execute runs one command of spec for NewResource, logs it and records it.
// If the command succeeds, onSuccess (if not nil) is called with the result
// and m.mu held, so that the teardown list follows completion order.
func (m *Mocks) execute(spec commandSpec, op Operation, phase, command string, secret bool, env map[string]string, onSuccess func(runResult)) runResult {
	if m.before != nil {
		m.before(spec.typ, spec.name)
	}
	started := time.Now()
	res := spec.run(command, secret, env, m.log)
	m.logResult(spec, phase, res.err, time.Since(started))

	rec := Record{
		Type:        spec.typ,
		Name:        spec.name,
		Operation:   op,
		Create:      spec.create,
		Update:      spec.update,
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
	defer m.mu.Unlock()
	// Taken under the lock so that Finished agrees with completion order.
	rec.Finished = time.Now()
	m.records = append(m.records, rec)
	if res.err == nil && onSuccess != nil {
		onSuccess(res)
	}
	return res
}

// runDelete runs the delete command of e, with PULUMI_COMMAND_STDOUT and
// PULUMI_COMMAND_STDERR set to e's outputs when addPreviousOutputInEnv is
// true.
func (m *Mocks) runDelete(e *entry, phase string) error {
	var env map[string]string
	if e.spec.addPreviousOutputInEnv {
		env = previousOutputs(e.stdout, e.stderr)
	}
	started := time.Now()
	res := e.spec.run(e.spec.delete, e.spec.deleteSecret, env, m.log)
	m.logResult(e.spec, phase, res.err, time.Since(started))
	return res.err
}

// previousOutputs is the environment pulumi-command adds for update and
// delete commands: the previous outputs, only when non-empty.
func previousOutputs(stdout, stderr string) map[string]string {
	env := map[string]string{}
	if stdout != "" {
		env[envPreviousStdout] = stdout
	}
	if stderr != "" {
		env[envPreviousStderr] = stderr
	}
	return env
}

// replacePending puts e in old's place in the teardown list (at the end if
// old is no longer there). m.mu must be held.
func (m *Mocks) replacePending(old, e *entry) {
	if i := slices.Index(m.pending, old); i >= 0 {
		m.pending[i] = e
		return
	}
	m.pending = append(m.pending, e)
}

// insertPendingBefore puts e in the teardown list just before old, so that
// old is torn down first. m.mu must be held.
func (m *Mocks) insertPendingBefore(old, e *entry) {
	if i := slices.Index(m.pending, old); i >= 0 {
		m.pending = slices.Insert(m.pending, i, e)
		return
	}
	m.pending = append(m.pending, e)
}

func (m *Mocks) addOperation(name string, op Operation) {
	m.mu.Lock()
	m.ops = append(m.ops, namedOperation{name: name, op: op})
	m.mu.Unlock()
}

// Operations returns, in order, what the mocks did for each registration of
// command resources named name (of any command type): OperationCreate,
// OperationSame, OperationUpdate or OperationReplace, failed ones included.
// Registrations with inputs not yet known are not listed.
func (m *Mocks) Operations(name string) []Operation {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Operation
	for _, o := range m.ops {
		if o.name == name {
			out = append(out, o.op)
		}
	}
	return out
}

func newID(name string) (string, error) {
	return resource.NewUniqueHex(name+"-", 8, 0)
}

// stateOf is the state of a command resource: its inputs plus stdout and
// stderr.
func stateOf(in resource.PropertyMap, stdout, stderr string) resource.PropertyMap {
	state := in.Copy()
	state["stdout"] = resource.NewProperty(stdout)
	state["stderr"] = resource.NewProperty(stderr)
	return state
}

// Records returns a copy of every command NewResource ran (creates, updates
// and the creates of replacements, not deletes), in completion order, failed
// ones included (with Err set). Registrations that ran nothing
// (OperationSame) are not listed.
func (m *Mocks) Records() []Record {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Record, len(m.records))
	for i, r := range m.records {
		out[i] = r.clone()
	}
	return out
}

// Teardown models `pulumi destroy`: it runs the delete command of every
// command resource with a state, in reverse order of creation completion
// (an updated or replaced resource keeps its place), with the interpreter,
// directory, connection and environment of its latest successful create or
// update. When addPreviousOutputInEnv is true (the default)
// PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR are set to the latest
// outputs (only when non-empty, as pulumi-command does); for remote commands
// these are sent with Setenv optimistically, and a server refusing them (sshd
// without a matching AcceptEnv) is logged and ignored, as pulumi-command
// does.
//
// Teardown keeps going after a failure and returns all errors joined with
// errors.Join. Each resource is torn down at most once: calling Teardown
// again runs nothing for resources already handled. Teardown forgets every
// state, so a later run creates its resources anew. The order in which
// deletes ran is available from DeleteOrder.
func (m *Mocks) Teardown() error {
	m.teardownMu.Lock()
	defer m.teardownMu.Unlock()

	m.mu.Lock()
	todo := m.pending
	m.pending = nil
	clear(m.states)
	clear(m.ids)
	m.mu.Unlock()

	var errs []error
	for i := len(todo) - 1; i >= 0; i-- {
		e := todo[i]
		if !e.spec.hasDelete {
			continue
		}
		m.mu.Lock()
		m.deleteOrder = append(m.deleteOrder, e.spec.name)
		m.mu.Unlock()

		if err := m.runDelete(e, "delete"); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: delete: %w", e.spec.typ, e.spec.name, err))
		}
	}
	return errors.Join(errs...)
}

// DeleteOrder returns the names of the resources whose delete commands
// Teardown ran, in the order they ran (failed deletes included). Deletes of
// replaced resources, run by NewResource, are not listed.
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
