package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// fillScript fills bench.t on the server to at least %d MB of InnoDB data:
// rows of 1 KiB of hex digits from SHA2(RAND()), which zstd compresses about
// 2:1, doubled until the table is large enough. It prints the data
// directory's bytes.
const fillScript = `set -euo pipefail
mysql -uroot -e 'CREATE DATABASE IF NOT EXISTS bench; DROP TABLE IF EXISTS bench.t;
  CREATE TABLE bench.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(1100)) ENGINE=InnoDB'
row="SHA2(RAND(),512)"
kib="CONCAT($row,$row,$row,$row,$row,$row,$row,$row)"
seq 1 1000 | sed "s/.*/($kib)/" | paste -sd, - | sed 's/^/INSERT INTO bench.t (v) VALUES /' | mysql -uroot
# The table's file, not information_schema's figures: MySQL caches those
# for a day.
while [ "$(stat -c %%s /var/lib/mysql/bench/t.ibd)" -lt %d ]; do
	mysql -uroot -e "INSERT INTO bench.t (v) SELECT $kib FROM bench.t"
done
mysql -uroot -e 'FLUSH TABLES bench.t'
echo "bytes $(du -sb /var/lib/mysql | cut -f1)"
`

// floorScript times a cp of the data directory, the floor of a physical
// copy on this machine.
const floorScript = `set -euo pipefail
rm -rf /tmp/bench-floor
start=${EPOCHREALTIME/./}
cp -a /var/lib/mysql /tmp/bench-floor
sync
echo "floor $(( ${EPOCHREALTIME/./} - start ))"
rm -rf /tmp/bench-floor
`

// backupScript takes one backup with its restore check, and prints the
// manifest's seconds and raw bytes and the check's restore seconds.
const backupScript = `set -euo pipefail
B=/etc/mysql/mysql-client-server-backup/scripts
source "$B/lib.sh"
store_env
name=$(bash "$B/backup-run.sh" 2>/dev/null | head -n1)
store cat "vault:full/$name/manifest.txt" | grep -E '^(seconds|rawBytes|sizeBytes|phases): '
store cat "vault:full/$name/verify.txt" | grep -E '^(verified|restoreSeconds|restorePhases|diagnosis): '
`

// latencyScript commits %d single-row INSERTs in one session on the client
// and prints the mean microseconds per commit.
const latencyScript = `set -euo pipefail
mysql -e 'CREATE TABLE IF NOT EXISTS bench_latency (id INT AUTO_INCREMENT PRIMARY KEY, at DOUBLE)'
start=${EPOCHREALTIME/./}
seq 1 %[1]d | sed 's/.*/INSERT INTO bench_latency (at) VALUES (&);/' | mysql
echo "us $(( (${EPOCHREALTIME/./} - start) / %[1]d ))"
`

// onHost runs a script on a bench host through make ssh and returns its
// output.
func onHost(ctx context.Context, host, script string) (string, error) {
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "-s", "STACK="+stackName, "ssh", "HOST="+host)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.Stdin = strings.NewReader(script)
	b, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s: %w\n%s", host, err, b)
	}
	return string(b), nil
}

// text is what follows "key " or "key: " on the first such line of out,
// trimmed; empty when no line has it.
func text(out, key string) string {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, key+" "); ok {
			return strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, key+": "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// field is the number after "key " or "key: " in out (0 when none).
func field(out, key string) float64 {
	f, _ := strconv.ParseFloat(text(out, key), 64)
	return f
}

// latencies measures the client's mean commit latency in rounds of 200
// commits until done is closed (at least one round), and returns the
// rounds' means, sorted.
func latencies(ctx context.Context, done <-chan struct{}) ([]float64, error) {
	var ms []float64
	for {
		out, err := onHost(ctx, "client1", fmt.Sprintf(latencyScript, 200))
		if err != nil {
			return nil, err
		}
		ms = append(ms, field(out, "us")/1000)
		select {
		case <-done:
			sort.Float64s(ms)
			return ms, nil
		default:
		}
	}
}

// benchBackups fills a stack's server with sizeMB of data, then measures,
// in the same run: a cp of the data directory (the floor), a backup and its
// restore check (their seconds and MB/s beside the floor), and the client's
// commit latency without a backup and during one. It returns the Markdown
// table's row.
func benchBackups(ctx context.Context, sizeMB int) (string, error) {
	if err := writeConfig(1, 0); err != nil {
		return "", err
	}
	if _, err := timed(ctx, "up"); err != nil {
		return "", fmt.Errorf("%s: up: %w", engine, err)
	}
	out, err := onHost(ctx, "mysql_server", fmt.Sprintf(fillScript, sizeMB*1000*1000))
	if err != nil {
		return "", err
	}
	mb := field(out, "bytes") / 1e6
	fmt.Fprintf(os.Stderr, "%-7s filled: %.0f MB in the data directory\n", engine, mb)
	if out, err = onHost(ctx, "mysql_server", floorScript); err != nil {
		return "", err
	}
	floor := field(out, "floor") / 1e6
	floorMBs := mb / floor // the whole data directory, binary logs included
	var idle []float64
	for range 5 { // five rounds without a backup
		idleDone := make(chan struct{})
		close(idleDone)
		round, err := latencies(ctx, idleDone)
		if err != nil {
			return "", err
		}
		idle = append(idle, round...)
	}
	sort.Float64s(idle)
	done := make(chan struct{})
	var backupOut string
	var backupErr error
	go func() {
		defer close(done)
		backupOut, backupErr = onHost(ctx, "mysql_server", backupScript)
	}()
	during, err := latencies(ctx, done)
	if err != nil {
		return "", err
	}
	if backupErr != nil {
		return "", backupErr
	}
	if !strings.Contains(backupOut, "verified: yes") {
		return "", fmt.Errorf("%s: the benchmark's backup did not verify:\n%s", engine, backupOut)
	}
	raw := field(backupOut, "rawBytes") / 1e6
	took, restore := field(backupOut, "seconds"), field(backupOut, "restoreSeconds")
	phases, restorePhases := text(backupOut, "phases"), text(backupOut, "restorePhases")
	fmt.Fprintf(os.Stderr, "%-7s floor %.1f s, backup %.1f s (%s), restore %.1f s (%s)\n", engine, floor, took, phases, restore, restorePhases)
	idleMs, duringMs := median(idle), median(during)
	return fmt.Sprintf("| %s | %.0f MB copied (%.0f MB compressed); data directory %.0f MB | %.1f s, %.0f MB/s | %.1f s, %.0f MB/s (%s) | **%.2f×** | %.1f s, %.0f MB/s (%s) | **%.2f×** | %.1f / %.1f ms | **%.2f×** |\n",
		engine, raw, field(backupOut, "sizeBytes")/1e6, mb, floor, floorMBs, took, raw/took, phases, raw/took/floorMBs,
		restore, raw/restore, restorePhases, raw/restore/floorMBs, idleMs, duringMs, duringMs/idleMs), nil
}

// median is the middle of sorted values.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return v[len(v)/2]
}

// backupsHeader is the backups table's heading.
const backupsHeader = "| engine | data | floor: cp of the data directory | backup (copy, checksums, zstd, upload) | backup ÷ floor speed | restore check (download, unpack, start, checksums) | restore ÷ floor speed | commit latency idle / during a backup (median of 200-commit rounds) | ratio |\n|---|---|---|---|---|---|---|---|---|\n"
