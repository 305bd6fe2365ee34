// Command bench measures the local stack under the real Pulumi engine, as a
// user runs it: the wall time of `make up` from nothing (cold), of a second
// `make up` with no change (no-op) and of `make down`, for several numbers of
// clients, several runs each. It prints a Markdown table (minimum, median,
// maximum) and writes it, with the machine it ran on, to bench.md, and a plot
// of seconds against clients to bench.svg, in -out.
//
// With -engines (default mysql,mariadb) it measures each engine in turn;
// the tables carry the engine in their headings.
//
// With -backup-mb (default 1024), it fills a server with that much data and
// measures a backup and its restore check beside a cp of the data directory
// in the same run, and the client's commit latency during the backup beside
// it without one. That table goes to backups.md in -out.
//
// With -replicas (say 0,1,3), it also measures one client with that many
// replicas: the same three phases, and the replication lag under a simple
// write load (one session committing single-row INSERTs as fast as it can,
// while the replicas' proof on the client measures the lag again and
// again). That table goes to replicas.md in -out.
//
// It deploys a stack of its own ("bench", its own subnet and state
// directory) and removes it at the end, also when it is interrupted.
// Run it as root from the project's root: `make bench`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mysql-client-server/mysql-client-server/components/local"
)

const (
	stackName = "bench"
	subnet    = "10.213.220.0/24"
	stateDir  = "/var/lib/mysql-client-server-bench"
)

// phases are what each run measures, in order.
var phases = []string{"cold up", "no-op up", "down"}

// engine is the engine being measured: writeConfig puts it in the stack.
var engine string

func main() {
	clientsFlag := flag.String("clients", "1,8,32", "numbers of clients, comma-separated (empty: none)")
	replicasFlag := flag.String("replicas", "0,1,3", "numbers of replicas with one client, comma-separated (empty: none)")
	runs := flag.Int("runs", 3, "runs for each number of clients or replicas")
	out := flag.String("out", "tests/bench", "where bench.md, bench-<engine>.svg and replicas.md go")
	enginesFlag := flag.String("engines", "mysql,mariadb", "engines, comma-separated")
	backupMB := flag.Int("backup-mb", 1024, "MB of data for the backup and restore figures (0: none)")
	flag.Parse()
	counts, err := numbers("-clients", *clientsFlag, 1, 32)
	if err != nil {
		fatal(err)
	}
	replicaCounts, err := numbers("-replicas", *replicasFlag, 0, 16)
	if err != nil {
		fatal(err)
	}
	if *runs < 1 {
		fatal(errors.New("-runs: expected at least 1"))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer cleanup()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fatal(err)
	}
	head := fmt.Sprintf("Measured %s on %s, %d runs each.\n", time.Now().UTC().Format("2006-01-02"), machine(), *runs)
	clientsMD, replicasMD := head, head
	backupsHead := fmt.Sprintf("Measured %s on %s, one run per engine.\n\n%s", time.Now().UTC().Format("2006-01-02"), machine(), backupsHeader)
	backupsMD := backupsHead
	for _, e := range strings.Split(*enginesFlag, ",") {
		engine = strings.TrimSpace(e)
		if engine != "mysql" && engine != "mariadb" {
			fatal(fmt.Errorf("-engines: %q: expected mysql or mariadb", engine))
		}
		if len(replicaCounts) > 0 {
			md, err := benchReplicas(ctx, replicaCounts, *runs)
			if err != nil {
				cleanup()
				fatal(err)
			}
			md = fmt.Sprintf("\n### engine %s\n\n%s", engine, md)
			fmt.Print(md)
			replicasMD += md
		}
		if *backupMB > 0 {
			row, err := benchBackups(ctx, *backupMB)
			if err != nil {
				cleanup()
				fatal(err)
			}
			if _, err := timed(ctx, "down"); err != nil {
				fatal(err)
			}
			fmt.Print(row)
			backupsMD += row
		}
		if len(counts) == 0 {
			continue
		}
		results, err := benchClients(ctx, counts, *runs)
		if err != nil {
			cleanup()
			fatal(err)
		}
		md := fmt.Sprintf("\n### engine %s\n\n%s", engine, markdownTable(counts, results))
		fmt.Print(md)
		clientsMD += md
		svg := filepath.Join(*out, "bench-"+engine+".svg")
		if err := os.WriteFile(svg, []byte(plot(counts, results)), 0o644); err != nil {
			fatal(err)
		}
	}
	for name, md := range map[string]string{"replicas.md": replicasMD, "bench.md": clientsMD, "backups.md": backupsMD} {
		if md == head || md == backupsHead {
			continue
		}
		if err := os.WriteFile(filepath.Join(*out, name), []byte(md), 0o644); err != nil {
			fatal(err)
		}
	}
}

// benchClients measures the three phases for each number of clients.
func benchClients(ctx context.Context, counts []int, runs int) (map[int]map[string][]float64, error) {
	results := map[int]map[string][]float64{}
	for _, n := range counts {
		if err := writeConfig(n, 0); err != nil {
			return nil, err
		}
		results[n] = map[string][]float64{}
		for r := 1; r <= runs; r++ {
			for _, phase := range phases {
				target := "up"
				if phase == "down" {
					target = "down"
				}
				secs, err := timed(ctx, target)
				if err != nil {
					return nil, fmt.Errorf("%s, %d clients, run %d, %s: %w", engine, n, r, phase, err)
				}
				results[n][phase] = append(results[n][phase], secs)
				fmt.Fprintf(os.Stderr, "%-7s %2d clients  run %d  %-8s %6.2f s\n", engine, n, r, phase, secs)
			}
		}
	}
	return results, nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

// numbers parses a comma-separated list of whole numbers from lo to hi.
func numbers(flagName, list string, lo, hi int) ([]int, error) {
	var out []int
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < lo || n > hi {
			return nil, fmt.Errorf("%s: %q: expected numbers from %d to %d", flagName, f, lo, hi)
		}
		out = append(out, n)
	}
	return out, nil
}

// writeConfig writes the bench stack's file: the local platform with n
// clients and r replicas, on a subnet and state directory of its own.
func writeConfig(n, r int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "config:\n  mysql-client-server:platform: local\n  mysql-client-server:localSubnet: %s\n", subnet)
	fmt.Fprintf(&b, "  mysql-client-server:replicas: %d\n  mysql-client-server:engine: %s\n", r, engine)
	fmt.Fprintf(&b, "  mysql-client-server:localStateDir: %s\n  mysql-client-server:backupKeepOnDestroy: \"false\"\n", stateDir)
	b.WriteString("  mysql-client-server:clients:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "    - client%d\n", i)
	}
	file := "Pulumi." + stackName + ".yaml"
	if old, err := os.ReadFile(file); err == nil {
		// Keep what Pulumi added (the salt, the password secret).
		for _, line := range strings.Split(string(old), "\n") {
			if strings.HasPrefix(line, "encryptionsalt:") {
				b.WriteString(line + "\n")
			}
		}
	}
	return os.WriteFile(file, []byte(b.String()), 0o644)
}

// timed runs a make target for the bench stack and returns its wall time.
func timed(ctx context.Context, target string) (float64, error) {
	cmd := exec.CommandContext(ctx, "make", "--no-print-directory", "STACK="+stackName, target)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if err != nil {
		return 0, fmt.Errorf("%w\n%s", err, out.String())
	}
	return time.Since(start).Seconds(), nil
}

// cleanup destroys the bench stack, removes it and its file, and sweeps
// any host a failed destroy left.
func cleanup() {
	run := func(args ...string) {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		_ = cmd.Run()
	}
	if _, err := os.Stat("Pulumi." + stackName + ".yaml"); err != nil {
		return
	}
	run("make", "--no-print-directory", "STACK="+stackName, "down")
	run("bash", "-c", "PATH=$PATH:$PWD/.tools/bin && source scripts/pulumi-env.sh && pulumi stack rm --yes --stack "+stackName+" >/dev/null")
	_ = os.Remove("Pulumi." + stackName + ".yaml")
	if removed, err := local.Sweep(stateDir); err != nil || len(removed) > 0 {
		fmt.Fprintf(os.Stderr, "bench: swept %v %v\n", removed, err)
	}
	_ = os.Remove(stateDir)
}

// stats returns the minimum, median and maximum.
func stats(v []float64) (float64, float64, float64) {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	mid := s[len(s)/2]
	if len(s)%2 == 0 {
		mid = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[0], mid, s[len(s)-1]
}

func markdownTable(counts []int, results map[int]map[string][]float64) string {
	var b strings.Builder
	b.WriteString("| clients | cold up (s) min / median / max | no-op up (s) | down (s) | cold ÷ no-op (the engine's own floor) |\n|---|---|---|---|---|\n")
	for _, n := range counts {
		fmt.Fprintf(&b, "| %d |", n)
		for _, p := range phases {
			lo, mid, hi := stats(results[n][p])
			fmt.Fprintf(&b, " %.1f / **%.1f** / %.1f |", lo, mid, hi)
		}
		_, cold, _ := stats(results[n]["cold up"])
		_, noop, _ := stats(results[n]["no-op up"])
		fmt.Fprintf(&b, " %.1f× |\n", cold/noop)
	}
	return b.String()
}

// machine describes where the bench ran.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				model = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb)
		mem = fmt.Sprintf(", %.0f GiB", float64(kb)/(1<<20))
	}
	pulumi, _ := exec.Command("bash", "-c", "PATH=$PATH:.tools/bin pulumi version").Output()
	return fmt.Sprintf("%d cores (%s)%s, Pulumi CLI %s, %s", runtime.NumCPU(), model, mem, strings.TrimSpace(string(pulumi)), runtime.Version())
}

// plot draws seconds against clients as an SVG: a line through the medians
// of each phase, with a bar from the minimum to the maximum at each point.
func plot(counts []int, results map[int]map[string][]float64) string {
	const w, h, left, right, top, bottom = 640, 400, 60, 150, 20, 50
	colors := map[string]string{"cold up": "#d62728", "no-op up": "#1f77b4", "down": "#2ca02c"}
	maxX, maxY := float64(counts[len(counts)-1]), 1.0
	for _, n := range counts {
		for _, p := range phases {
			if _, _, hi := stats(results[n][p]); hi > maxY {
				maxY = hi
			}
		}
	}
	step := niceStep(maxY)
	maxY = step * float64(int(maxY/step)+1)
	x := func(n float64) float64 { return left + n/maxX*(w-left-right) }
	y := func(s float64) float64 { return h - bottom - s/maxY*(h-top-bottom) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	for s := 0.0; s <= maxY+1e-9; s += step {
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%d" y="%.1f" text-anchor="end">%g</text>`+"\n",
			left, w-right, y(s), y(s), left-6, y(s)+4, s)
	}
	for _, n := range counts {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", x(float64(n)), h-bottom+18, n)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">clients</text>`+"\n", (left+w-right)/2, h-10)
	fmt.Fprintf(&b, `<text x="15" y="%d" transform="rotate(-90 15 %d)" text-anchor="middle">seconds (wall time of the make target)</text>`+"\n", h/2, h/2)
	for i, p := range phases {
		var pts []string
		for _, n := range counts {
			lo, mid, hi := stats(results[n][p])
			px := x(float64(n))
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px, y(mid)))
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/>`+"\n", px, px, y(lo), y(hi), colors[p])
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px, y(mid), colors[p])
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), colors[p])
		ly := top + 20 + 20*i
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"/><text x="%d" y="%d">%s (median)</text>`+"\n",
			w-right+15, w-right+35, ly, ly, colors[p], w-right+40, ly+4, p)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// niceStep picks a grid step of 1, 2 or 5 times a power of ten that gives
// about five lines up to max.
func niceStep(max float64) float64 {
	for pow := 0.1; ; pow *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if max/(m*pow) <= 6 {
				return m * pow
			}
		}
	}
}
