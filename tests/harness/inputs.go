package harness

import (
	"fmt"
	"math"
	"strconv"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// pulumi-command's defaults (provider/pkg/provider/remote/connection.go and
// local/commandOutputs.go).
const (
	defaultPort           = 22
	defaultUser           = "root"
	defaultDialErrorLimit = 10
	defaultPerDialTimeout = 15
)

var defaultInterpreter = []string{"/bin/sh", "-c"}

// commandSpec is what a command resource's inputs say to run.
type commandSpec struct {
	typ, name string

	create, update, delete          string
	stdin                           string
	hasCreate, hasUpdate, hasDelete bool
	createSecret                    bool // the create command was a secret: keep it out of errors
	updateSecret                    bool
	deleteSecret                    bool
	env                             map[string]string
	dir                             string
	interpreter                     []string // local only
	addPreviousOutputInEnv          bool
	conn                            *Connection // remote only
	// deleteBeforeReplace is the resource option: a replacement deletes the
	// old resource before it creates the new one.
	deleteBeforeReplace bool

	// unknown is set when an input needed to run the command is not known yet
	// (a computed value, as during a preview).
	unknown bool
}

// parseSpec reads the pulumi-command inputs of a command resource.
func parseSpec(typ, name string, in resource.PropertyMap) (commandSpec, error) {
	r := &reader{}
	s := commandSpec{typ: typ, name: name}
	s.create, s.hasCreate, s.createSecret = r.str(in, "create")
	s.update, s.hasUpdate, s.updateSecret = r.str(in, "update")
	s.delete, s.hasDelete, s.deleteSecret = r.str(in, "delete")
	s.stdin, _, _ = r.str(in, "stdin")
	s.env = r.strMap(in, "environment")
	s.dir, _, _ = r.str(in, "dir")
	s.addPreviousOutputInEnv = r.boolean(in, "addPreviousOutputInEnv", true)

	switch typ {
	case localCommandType:
		s.interpreter = r.strSlice(in, "interpreter")
		if len(s.interpreter) == 0 {
			s.interpreter = defaultInterpreter
		}
	case remoteCommandType:
		obj, ok := r.object(in, "connection")
		if !ok && !r.unknown && r.err == nil {
			r.fail("input \"connection\" is required for %s", typ)
		}
		if ok {
			c := &Connection{}
			var hasHost bool
			c.Host, hasHost, _ = r.str(obj, "host")
			if !hasHost && !r.unknown && r.err == nil {
				r.fail("input \"connection.host\" is required")
			}
			c.Port = r.integer(obj, "port", defaultPort)
			if c.User, _, _ = r.str(obj, "user"); c.User == "" {
				c.User = defaultUser
			}
			c.PrivateKey, _, _ = r.str(obj, "privateKey")
			c.HostKey, _, _ = r.str(obj, "hostKey")
			c.DialErrorLimit = r.integer(obj, "dialErrorLimit", defaultDialErrorLimit)
			c.PerDialTimeout = r.integer(obj, "perDialTimeout", defaultPerDialTimeout)
			s.conn = c
		}
	}
	if r.err != nil {
		return commandSpec{}, r.err
	}
	s.unknown = r.unknown
	return s, nil
}

// diffKeys are the inputs of a command resource that decide whether a new
// registration differs from the previous one.
var diffKeys = []resource.PropertyKey{
	"create", "update", "delete", "stdin", "environment", "dir", "interpreter",
	"triggers", "connection", "addPreviousOutputInEnv", "logging",
}

// diffInputs returns the inputs of a command resource that diffKeys name,
// with secrets and outputs unwrapped and null values dropped, so that two
// registrations can be compared with DeepEquals. It reports whether any of
// them is unknown.
func diffInputs(in resource.PropertyMap) (resource.PropertyMap, bool) {
	out := resource.PropertyMap{}
	unknown := false
	for _, k := range diffKeys {
		v, ok := in[k]
		if !ok {
			continue
		}
		v = plain(v, &unknown)
		if !v.IsNull() {
			out[k] = v
		}
	}
	return out, unknown
}

// plain strips secret and output wrappers from v and from everything in it,
// and drops null values from objects. It sets *unknown if any part of v is
// unknown.
func plain(v resource.PropertyValue, unknown *bool) resource.PropertyValue {
	v, _, u := unwrap(v)
	if u {
		*unknown = true
		return resource.MakeComputed(resource.NewProperty(""))
	}
	switch {
	case v.IsArray():
		a := make([]resource.PropertyValue, len(v.ArrayValue()))
		for i, e := range v.ArrayValue() {
			a[i] = plain(e, unknown)
		}
		return resource.NewProperty(a)
	case v.IsObject():
		o := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			if e = plain(e, unknown); !e.IsNull() {
				o[k] = e
			}
		}
		return resource.NewProperty(o)
	default:
		return v
	}
}

// reader reads typed values out of a property map, unwrapping secrets and
// outputs. It remembers the first type error and whether any value read was
// unknown.
type reader struct {
	err     error
	unknown bool
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

// unwrap strips secret and output wrappers from v. It reports whether any
// wrapper was secret and whether the value is unknown.
func unwrap(v resource.PropertyValue) (_ resource.PropertyValue, secret, unknown bool) {
	for {
		switch {
		case v.IsSecret():
			secret = true
			v = v.SecretValue().Element
		case v.IsOutput():
			o := v.OutputValue()
			secret = secret || o.Secret
			if !o.Known {
				return v, secret, true
			}
			v = o.Element
		case v.IsComputed():
			return v, secret, true
		default:
			return v, secret, false
		}
	}
}

// get returns the unwrapped value of key, and false if it is absent, null or
// unknown.
func (r *reader) get(m resource.PropertyMap, key string) (resource.PropertyValue, bool, bool) {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return resource.PropertyValue{}, false, false
	}
	v, secret, unknown := unwrap(v)
	if unknown {
		r.unknown = true
		return resource.PropertyValue{}, false, secret
	}
	if v.IsNull() {
		return resource.PropertyValue{}, false, secret
	}
	return v, true, secret
}

func (r *reader) str(m resource.PropertyMap, key string) (string, bool, bool) {
	v, ok, secret := r.get(m, key)
	if !ok {
		return "", false, secret
	}
	if !v.IsString() {
		r.fail("input %q: expected a string, got %s", key, v.TypeString())
		return "", false, secret
	}
	return v.StringValue(), true, secret
}

func (r *reader) boolean(m resource.PropertyMap, key string, def bool) bool {
	v, ok, _ := r.get(m, key)
	if !ok {
		return def
	}
	if !v.IsBool() {
		r.fail("input %q: expected a bool, got %s", key, v.TypeString())
		return def
	}
	return v.BoolValue()
}

func (r *reader) integer(m resource.PropertyMap, key string, def int) int {
	v, ok, _ := r.get(m, key)
	if !ok {
		return def
	}
	switch {
	case v.IsNumber():
		f := v.NumberValue()
		if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
			r.fail("input %q: expected an integer, got %v", key, f)
			return def
		}
		return int(f)
	case v.IsString():
		n, err := strconv.Atoi(v.StringValue())
		if err != nil {
			r.fail("input %q: expected an integer: %v", key, err)
			return def
		}
		return n
	default:
		r.fail("input %q: expected a number, got %s", key, v.TypeString())
		return def
	}
}

func (r *reader) strSlice(m resource.PropertyMap, key string) []string {
	v, ok, _ := r.get(m, key)
	if !ok {
		return nil
	}
	if !v.IsArray() {
		r.fail("input %q: expected an array, got %s", key, v.TypeString())
		return nil
	}
	var out []string
	for i, e := range v.ArrayValue() {
		e, _, unknown := unwrap(e)
		if unknown {
			r.unknown = true
			return nil
		}
		if !e.IsString() {
			r.fail("input %q[%d]: expected a string, got %s", key, i, e.TypeString())
			return nil
		}
		out = append(out, e.StringValue())
	}
	return out
}

func (r *reader) strMap(m resource.PropertyMap, key string) map[string]string {
	obj, ok := r.object(m, key)
	if !ok {
		return nil
	}
	out := make(map[string]string, len(obj))
	for k, e := range obj {
		e, _, unknown := unwrap(e)
		if unknown {
			r.unknown = true
			return nil
		}
		if e.IsNull() {
			continue
		}
		if !e.IsString() {
			r.fail("input %q[%q]: expected a string, got %s", key, string(k), e.TypeString())
			return nil
		}
		out[string(k)] = e.StringValue()
	}
	return out
}

func (r *reader) object(m resource.PropertyMap, key string) (resource.PropertyMap, bool) {
	v, ok, _ := r.get(m, key)
	if !ok {
		return nil, false
	}
	if !v.IsObject() {
		r.fail("input %q: expected an object, got %s", key, v.TypeString())
		return nil, false
	}
	return v.ObjectValue(), true
}
