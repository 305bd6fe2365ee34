package mocktest

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi-command/sdk/go/command/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runCommand runs a program that makes one local command and returns its
// stdout.
func runCommand(t *testing.T, m *Mocks, name, create string) (string, error) {
	t.Helper()
	var out Awaited
	err := Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		cmd, err := local.NewCommand(ctx, name, &local.CommandArgs{Create: pulumi.String(create)})
		if err != nil {
			return err
		}
		out, err = Await(ctx, cmd.Stdout)
		return err
	})
	s, _ := out.Value.(string)
	return s, err
}

func TestAnUnknownCommandFailsTheProgramNamingIt(t *testing.T) {
	m := New(t)
	_, err := runCommand(t, m, "srv-renamed", "true")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no answer for command:local:Command "srv-renamed"`)
	assert.Contains(t, err.Error(), `m.On("command:local:Command", "srv-renamed", answer)`, "it says how to answer it")
	assert.Empty(t, m.Resources(), "the command is not registered")
}

func TestOnAnswersTheNameOrTheSuffixAndComesFirst(t *testing.T) {
	m := New(t)
	m.On(LocalCommand, "*-ready", Prints("ready"))
	m.On(LocalCommand, "db-password", func(args pulumi.MockResourceArgs) (string, error) {
		create, _ := Str(args.Inputs, "create")
		assert.Equal(t, "generate", create, "the answer sees the inputs")
		return "from the test", nil
	})
	for name, want := range map[string]string{"srv-ready": "ready", "db-password": "from the test", "cs-password": Password} {
		out, err := runCommand(t, m, name, "generate")
		require.NoError(t, err, name)
		assert.Equal(t, want, out, name)
	}
	for _, name := range []string{"ready", "srv-ready-not"} {
		_, err := runCommand(t, m, name, "true")
		assert.ErrorContains(t, err, "no answer", "*-ready does not match %s", name)
	}
	m.On(LocalCommand, "srv-ready", Prints("the latest"))
	out, err := runCommand(t, m, "srv-ready", "true")
	require.NoError(t, err)
	assert.Equal(t, "the latest", out, "the latest answer wins")
	out, err = runCommand(t, m.NextRun(), "srv-ready", "true")
	require.NoError(t, err)
	assert.Equal(t, "the latest", out, "the next run keeps the answers")
}

func TestStandInAnswersOnlyACommandThatRunsTrue(t *testing.T) {
	m := New(t)
	m.On(LocalCommand, "*-machine", StandIn)
	out, err := runCommand(t, m, "a-machine", "true")
	require.NoError(t, err)
	assert.Equal(t, "", out)
	_, err = runCommand(t, m, "b-machine", "mkdir /srv")
	assert.ErrorContains(t, err, `command:local:Command "b-machine", answered by On("*-machine"): StandIn answers a test's stand-in`)
}

func TestTheStandardAnswersTellRemoteCommandsApartByTheirScript(t *testing.T) {
	m := New(t)
	outs := map[string]Awaited{}
	err := Run(t, m, nil, nil, func(ctx *pulumi.Context) error {
		for name, script := range map[string]string{"db-install": "server-install.sh", "app-install": "client-install.sh",
			"app-verify-proof": "verify.sh", "p-proof": "replication-proof.sh"} {
			create := "env MCS_REPLICAS='r1=10.0.0.5' bash '/opt/mysql-client-server/v1/" + script + "'"
			cmd, err := remote.NewCommand(ctx, name, &remote.CommandArgs{
				Connection: remote.ConnectionArgs{Host: pulumi.String("203.0.113.1")}, Create: pulumi.String(create)})
			if err != nil {
				return err
			}
			if outs[name], err = Await(ctx, cmd.Stdout); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(outs["db-install"].Value.(string), "10.11.19-MariaDB\ncertificate-expires: "))
	assert.Equal(t, ClientVersion, outs["app-install"].Value)
	assert.Contains(t, outs["app-verify-proof"].Value, `"tlsVersion":"TLSv1.3"`)
	assert.Equal(t, `{"r1":{"address":"10.0.0.5","lagMs":2,"readOnly":true}}`, outs["p-proof"].Value)
}

// TestStandardAnswersAreUnambiguous: two standard answers whose names can
// match one command tell it apart by the script it runs.
func TestStandardAnswersAreUnambiguous(t *testing.T) {
	overlap := func(a, b string) bool {
		sa, wa := strings.CutPrefix(a, "*")
		sb, wb := strings.CutPrefix(b, "*")
		switch {
		case wa && wb:
			return strings.HasSuffix(sa, sb) || strings.HasSuffix(sb, sa)
		case wa:
			return strings.HasSuffix(b, sa)
		case wb:
			return strings.HasSuffix(a, sb)
		}
		return a == b
	}
	for i, a := range standardAnswers {
		require.NoError(t, checkPattern(a.name), a.name)
		for _, b := range standardAnswers[i+1:] {
			if a.token == b.token && overlap(a.name, b.name) {
				assert.True(t, a.runs != "" && b.runs != "" && a.runs != b.runs,
					"%s %s and %s: both name the script they answer, and not the same", a.token, a.name, b.name)
			}
		}
	}
}

func TestOnRefusesWhatItCannotAnswer(t *testing.T) {
	for _, p := range []string{"", "*", "*ready", "srv-*", "*-a*b"} {
		assert.Error(t, checkPattern(p), "%q", p)
	}
	for _, p := range []string{"srv-ready", "*-ready", "gen-ssh-key.sh"} {
		assert.NoError(t, checkPattern(p), "%q", p)
	}
}

func TestEnvValueReadsAQuotedAssignment(t *testing.T) {
	cmd := `env MCS_A='x' MCS_LOGIN_USER='o'\''brien' MCS_B='y' bash '/s.sh'`
	assert.Equal(t, "o'brien", envValue(cmd, "MCS_LOGIN_USER"))
	assert.Equal(t, "x", envValue(cmd, "MCS_A"))
	assert.Equal(t, "", envValue(cmd, "MCS_NONE"))
}
