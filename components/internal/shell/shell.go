// Package shell builds the command lines that run embedded scripts on hosts.
//
// Parameters travel as environment assignments inside the command line, which
// works over any sshd (pulumi-command's SSH "setenv" needs AcceptEnv on the
// server, and EC2 images accept only LANG and LC_*). They are never secret:
// secrets travel on standard input only.
package shell

import (
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Quote returns s as a single POSIX shell word.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// AsRoot returns a command line that runs script with bash as root, elevating
// with "sudo -n" when the login user is not root, with env set for the script.
// name becomes the script's $0, so it shows in process listings.
func AsRoot(name, script string, env map[string]string) string {
	return elevate + AsLoginUser(name, script, env)
}

// elevate prefixes a command line that must run as root: "sudo -n" unless the
// login user is root already.
const elevate = `s=; [ "$(id -u)" -eq 0 ] || s='sudo -n'; $s `

// AsLoginUser returns a command line that runs script with bash as the
// login user itself, with env set for the script.
func AsLoginUser(name, script string, env map[string]string) string {
	return withAssignments(env) + " bash -c " + Quote(script) + " " + Quote(name)
}

// withAssignments is "env" followed by env's assignments, sorted by name.
func withAssignments(env map[string]string) string {
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("env")
	for _, k := range keys {
		b.WriteString(" " + k + "=" + Quote(env[k]))
	}
	return b.String()
}

func withEnv(env map[string]pulumi.StringInput, build func(map[string]string) string) pulumi.StringOutput {
	keys := make([]string, 0, len(env))
	vals := make([]interface{}, 0, len(env))
	for k, v := range env {
		keys = append(keys, k)
		vals = append(vals, v)
	}
	return pulumi.All(vals...).ApplyT(func(resolved []interface{}) string {
		m := make(map[string]string, len(keys))
		for i, k := range keys {
			m[k] = resolved[i].(string)
		}
		return build(m)
	}).(pulumi.StringOutput)
}

// FileAsRoot is AsRoot for a script that is already on the host, at path.
func FileAsRoot(path string, env map[string]string) string {
	return elevate + FileAsLoginUser(path, env)
}

// FileAsLoginUser is AsLoginUser for a script that is already on the host,
// at path.
func FileAsLoginUser(path string, env map[string]string) string {
	return withAssignments(env) + " bash " + Quote(path)
}

// FileAsRootOutput is FileAsRoot with env values that are Pulumi inputs.
func FileAsRootOutput(path string, env map[string]pulumi.StringInput) pulumi.StringOutput {
	return withEnv(env, func(m map[string]string) string { return FileAsRoot(path, m) })
}

// FileAsLoginUserOutput is FileAsLoginUser with env values that are Pulumi
// inputs.
func FileAsLoginUserOutput(path string, env map[string]pulumi.StringInput) pulumi.StringOutput {
	return withEnv(env, func(m map[string]string) string { return FileAsLoginUser(path, m) })
}
