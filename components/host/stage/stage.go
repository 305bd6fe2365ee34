// Package stage puts a set of embedded shell scripts on a host, once per
// version of them: the one home of how host scripts travel and are named.
// The mysql and backup components each stage their own set.
package stage

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
	"github.com/mysql-client-server/mysql-client-server/components/internal/names"
	"github.com/mysql-client-server/mysql-client-server/components/internal/shell"
)

// WithoutShebang is a script without its shebang line, to follow other
// lines in one program: only a program's first line may hold one.
func WithoutShebang(script string) string {
	if strings.HasPrefix(script, "#!") {
		return script[strings.Index(script, "\n")+1:]
	}
	return script
}

// Set is a set of host scripts: Lib followed by each script, staged into
// Dir/<version>/, where the version is the hash of them all.
type Set struct {
	// Dir is the directory, on every host, that holds one directory per
	// version of the set.
	Dir string
	// Lib is lib.sh: every staged script sources it.
	Lib string
	// Names are the scripts, in order.
	Names []string
	// Body returns a script without its shebang line.
	Body func(name string) string
	// Name is the staging command's name after its component's ("scripts":
	// "<component>-scripts").
	Name string
	// Was, when set, gives the staging command on h the alias of the name
	// an earlier version gave it.
	Was func(h *host.Host) pulumi.ResourceOption

	once    sync.Once
	version string
}

// Script is a host script as staged: it sources the lib.sh staged beside it,
// so lib.sh travels once per host rather than once per script.
func (s *Set) Script(name string) string {
	return "#!/usr/bin/env bash\n# shellcheck source=/dev/null\nsource \"${BASH_SOURCE[0]%/*}/lib.sh\"\n" + s.Body(name)
}

// Version is the hash of Lib and the staged scripts, computed once: every
// command line names it, so a command always runs the scripts it was created
// with (a delete included, after an upgrade).
func (s *Set) Version() string {
	s.once.Do(func() {
		h := sha256.New()
		fmt.Fprintf(h, "lib.sh\x00%s\x00", s.Lib)
		for _, name := range s.Names {
			fmt.Fprintf(h, "%s\x00%s\x00", name, s.Script(name))
		}
		s.version = hex.EncodeToString(h.Sum(nil))[:16]
	})
	return s.version
}

// Path is where the named script is on every host.
func (s *Set) Path(name string) string { return s.Dir + "/" + s.Version() + "/" + name }

// Program is the program that puts the set on a host: into a new directory,
// renamed into place whole, so a directory that exists is complete. Files
// are world-readable (some scripts run as the login user). It prints the
// directory.
func (s *Set) Program() string {
	var b strings.Builder
	b.WriteString("set -euo pipefail\numask 022\n")
	fmt.Fprintf(&b, "d=%s\n", shell.Quote(s.Dir+"/"+s.Version()))
	b.WriteString("if [ ! -d \"$d\" ]; then\n")
	fmt.Fprintf(&b, "\tinstall -d -m 0755 %s\n", shell.Quote(s.Dir))
	fmt.Fprintf(&b, "\tt=$(mktemp -d %s)\n", shell.Quote(s.Dir+"/.new.XXXXXX"))
	fmt.Fprintf(&b, "\tprintf '%%s' %s >\"$t/lib.sh\"\n", shell.Quote(s.Lib))
	for _, name := range s.Names {
		fmt.Fprintf(&b, "\tprintf '%%s' %s >\"$t/%s\"\n", shell.Quote(s.Script(name)), name)
	}
	b.WriteString("\tchmod 0755 \"$t\"\n\tmv -T \"$t\" \"$d\" 2>/dev/null || rm -rf \"$t\" # another run put it there first\nfi\n")
	b.WriteString("printf '%s\\n' \"$d\"\n")
	return b.String()
}

// Stage returns the command that puts the set on h. The first component that
// runs a command on h creates it, as its own child: it belongs to the host,
// and every later command on h, of any component, waits for it. A failing
// command's error then shows a short command line, the script's own
// messages and its diagnosis, not the script.
func (s *Set) Stage(ctx *pulumi.Context, parent pulumi.Resource, h *host.Host) (pulumi.Resource, error) {
	return h.Shared(s.Dir, func() (pulumi.Resource, error) {
		opts := []pulumi.ResourceOption{pulumi.Parent(parent), pulumi.DependsOn(h.After())}
		if s.Was != nil {
			opts = append(opts, s.Was(h))
		}
		return remote.NewCommand(ctx, names.Of(parent, s.Name), &remote.CommandArgs{
			Connection:             h.Connection(),
			AddPreviousOutputInEnv: pulumi.BoolPtr(false),
			Create:                 pulumi.String(shell.AsRoot("mysql-client-server/stage-scripts", s.Program(), nil)),
		}, opts...)
	})
}

// Command creates parent's remote.Command on h, created after h is ready
// and the set is staged on it, and after deps. No script reads the previous
// output from the environment, and sshd refuses to set it unless AcceptEnv
// admits it (EC2's does not, and pulumi-command warns on every update and
// delete), so it is not sent.
func (s *Set) Command(ctx *pulumi.Context, parent pulumi.Resource, name string, h *host.Host, args *remote.CommandArgs,
	opts ...pulumi.ResourceOption) (*remote.Command, error) {
	staged, err := s.Stage(ctx, parent, h)
	if err != nil {
		return nil, err
	}
	args.Connection = h.Connection()
	args.AddPreviousOutputInEnv = pulumi.BoolPtr(false)
	opts = append(opts, pulumi.Parent(parent), pulumi.DependsOn(h.After(staged)))
	return remote.NewCommand(ctx, name, args, opts...)
}

// Run returns a remote command line that runs the named script, as staged,
// as root with env set.
func (s *Set) Run(name string, env map[string]pulumi.StringInput) pulumi.StringOutput {
	return shell.FileAsRootOutput(s.Path(name), env)
}
