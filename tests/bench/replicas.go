package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
)

// loadRows is how many single-row commits the write load makes; the lag is
// measured while it runs.
const loadRows = 20000

// benchReplicas measures one client with each number of replicas: cold up,
// no-op up and down, and, after the first cold up with replicas, the lag
// under the write load. It returns the Markdown table.
func benchReplicas(ctx context.Context, counts []int, runs int) (string, error) {
	var b strings.Builder
	b.WriteString("| replicas | cold up (s) min / median / max | no-op up (s) | down (s) | cold up ÷ the first row's | lag under load (ms) median / max | load (commits/s) |\n|---|---|---|---|---|---|---|\n")
	base := 0.0 // the first count's median cold up, measured in the same run
	for _, r := range counts {
		if err := writeConfig(1, r); err != nil {
			return "", err
		}
		res := map[string][]float64{}
		var lags []float64
		rate := 0.0
		for run := 1; run <= runs; run++ {
			for _, phase := range phases {
				if phase == "down" && run == 1 && r > 0 {
					var err error
					if lags, rate, err = lagUnderLoad(ctx, r); err != nil {
						return "", fmt.Errorf("%d replicas: lag: %w", r, err)
					}
				}
				target := "up"
				if phase == "down" {
					target = "down"
				}
				secs, err := timed(ctx, target)
				if err != nil {
					return "", fmt.Errorf("%s, %d replicas, run %d, %s: %w", engine, r, run, phase, err)
				}
				res[phase] = append(res[phase], secs)
				fmt.Fprintf(os.Stderr, "%-7s %2d replicas  run %d  %-8s %6.2f s\n", engine, r, run, phase, secs)
			}
		}
		fmt.Fprintf(&b, "| %d |", r)
		for _, p := range phases {
			lo, mid, hi := stats(res[p])
			fmt.Fprintf(&b, " %.1f / **%.1f** / %.1f |", lo, mid, hi)
		}
		_, cold, _ := stats(res["cold up"])
		if base == 0 {
			base = cold
		}
		fmt.Fprintf(&b, " %.2f× |", cold/base)
		if len(lags) > 0 {
			_, mid, hi := stats(lags)
			fmt.Fprintf(&b, " **%.0f** / %.0f (%d samples) | %.0f |\n", mid, hi, len(lags), rate)
		} else {
			b.WriteString(" - | - |\n")
		}
	}
	return b.String(), nil
}

// lagUnderLoad runs, on the client, one session that commits loadRows
// single-row INSERTs, and meanwhile the replicas' proof (the staged
// replication-proof.sh) again and again; it returns every lag the proofs
// measured, in ms, and the load's commit rate.
func lagUnderLoad(ctx context.Context, replicas int) ([]float64, float64, error) {
	var list []string
	for k := 1; k <= replicas; k++ {
		list = append(list, fmt.Sprintf("mysql_replica_%d=%s", k, replicaAddress(k)))
	}
	script := fmt.Sprintf(`set -euo pipefail
mysql -e 'DROP TABLE IF EXISTS bench_load; CREATE TABLE bench_load (id INT PRIMARY KEY)'
proof=$(ls -d /etc/mysql/mysql-client-server-scripts/*/ | head -n 1)replication-proof.sh
start=${EPOCHREALTIME/./}
seq 1 %[1]d | sed 's/.*/INSERT INTO bench_load VALUES (&);/' | mysql &
load=$!
while kill -0 "$load" 2>/dev/null; do
	MCS_REPLICAS=%[2]q bash "$proof"
done
wait "$load"
echo "rate $(( %[1]d * 1000000 / (${EPOCHREALTIME/./} - start) ))"
`, loadRows, strings.Join(list, " "))
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "-s", "STACK="+stackName, "ssh", "HOST=client1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.Stdin = strings.NewReader(script)
	b, err := cmd.CombinedOutput()
	if err != nil {
		return nil, 0, fmt.Errorf("%w\n%s", err, b)
	}
	var lags []float64
	rate := 0.0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "rate ") {
			fmt.Sscan(strings.TrimPrefix(line, "rate "), &rate)
			continue
		}
		// {"mysql_replica_1":{"address":"...","lagMs":3,"readOnly":true},...}
		for _, part := range strings.Split(line, `"lagMs":`)[1:] {
			var ms float64
			if _, err := fmt.Sscan(strings.SplitN(part, ",", 2)[0], &ms); err == nil {
				lags = append(lags, ms)
			}
		}
	}
	if len(lags) == 0 {
		return nil, 0, fmt.Errorf("no lag measured:\n%s", b)
	}
	sort.Float64s(lags)
	return lags, rate, nil
}

// replicaAddress is the k-th replica's address on the bench subnet: the
// local platform gives replicas the subnet's last addresses, downwards.
func replicaAddress(k int) string {
	p := netip.MustParsePrefix(subnet)
	a := p.Addr().As4()
	a[3] = byte(255 - k)
	return netip.AddrFrom4(a).String()
}
