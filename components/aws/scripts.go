package aws

import "embed"

//go:embed scripts/*.sh
var scripts embed.FS

// Script names: each runs on the operator's machine, as a local command,
// except ssh-access-host.sh, which ssh-access.sh runs on the host.
const (
	sshAccessScript     = "ssh-access.sh"
	sshAccessHostScript = "ssh-access-host.sh"
	archGuardScript     = "arch-guard.sh"
)

// script returns the named embedded script.
func script(name string) string {
	b, err := scripts.ReadFile("scripts/" + name)
	if err != nil {
		panic(err) // the names are the constants above, embedded at build time
	}
	return string(b)
}
