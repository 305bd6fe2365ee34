package local

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// markerFile is written by host-create.sh in each host dir. It records the
// host's netns, bridge and veth.
const markerFile = ".mysql-client-server-host"

// Sweep removes every local host whose directory is under stateDir, with the
// same delete script Pulumi runs, using what each host's marker file
// records. It is for hosts whose Pulumi state was lost (a killed run, a
// deleted stack); hosts that are already gone are skipped. It returns the
// host dirs it removed.
func Sweep(stateDir string) ([]string, error) {
	markers, err := filepath.Glob(filepath.Join(stateDir, "*", "*", markerFile))
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, m := range markers {
		env, err := readMarker(m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		dir := filepath.Dir(m)
		cmd := exec.Command("/bin/bash", "-c", string(script("host-delete.sh")))
		cmd.Env = append(os.Environ(), append(env, "MCS_HOST_DIR="+dir)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("sweeping %s: %v: %s", dir, err, out))
			continue
		}
		removed = append(removed, dir)
	}
	return removed, errors.Join(errs...)
}

func readMarker(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var env []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, _, ok := strings.Cut(sc.Text(), "=")
		if ok && (k == "MCS_NETNS" || k == "MCS_BRIDGE" || k == "MCS_VETH") {
			env = append(env, sc.Text())
		}
	}
	if len(env) != 3 {
		return nil, fmt.Errorf("%s: expected MCS_NETNS, MCS_BRIDGE and MCS_VETH lines", path)
	}
	return env, sc.Err()
}
