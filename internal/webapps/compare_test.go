package webapps

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
)

// The Playwright comparison (issue 11, "Done means"): each flow run by
// Ferry's runner and by its Playwright reference (testdata/webapps/
// playwright), alternately, b.N pairs against one started application,
// both browsers warm. Which goes first alternates too, so that a change of
// the machine's load falls on both. Ferry's time is the run's (start to
// finish, which includes storing the file and its records); Playwright's
// is from its new context to the file on disk.
//
//	go test -run '^$' -bench VersusPlaywright -benchtime 15x -timeout 2h ./internal/webapps

// playwrightFlow is a Playwright reference script run with STDIN=1: one
// run per line written to it, one JSON line read back.
type playwrightFlow struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// pwResult is a line the reference prints.
type pwResult struct {
	Flow  string `json:"flow"`
	OK    bool   `json:"ok"`
	MS    int64  `json:"ms"`
	Bytes int64  `json:"bytes"`
	Error string `json:"error"`
}

// startPlaywright starts script (in testdata/webapps/playwright) with env.
func startPlaywright(tb testing.TB, script string, env ...string) *playwrightFlow {
	tb.Helper()
	node := testenv.Tool(tb, "node", "nodejs")
	if _, err := os.Stat(filepath.Join(CacheDir(), "playwright", "node_modules", "playwright-core")); err != nil {
		testenv.Missing(tb, "playwright-core not installed under %s (hack/webapps.sh installs it with npm)", CacheDir())
		return nil
	}
	cmd := exec.Command(node, filepath.Join(testdataDir(), "playwright", script))
	cmd.Env = append(append(os.Environ(), "STDIN=1", "CHROMIUM="+testenv.Tool(tb, "chromium", "chromium")), env...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return &playwrightFlow{cmd: cmd, in: in, out: bufio.NewScanner(out)}
}

// run runs the flow once.
func (p *playwrightFlow) run(tb testing.TB) pwResult {
	tb.Helper()
	if _, err := io.WriteString(p.in, "run\n"); err != nil {
		tb.Fatalf("playwright: %v", err)
	}
	if !p.out.Scan() {
		tb.Fatalf("playwright exited: %v", p.out.Err())
	}
	var r pwResult
	if err := json.Unmarshal(p.out.Bytes(), &r); err != nil {
		tb.Fatalf("playwright printed %q: %v", p.out.Text(), err)
	}
	return r
}

// versus alternates b.N Ferry runs of bot with b.N Playwright runs and
// reports both medians and the median of the per-pair ratios Ferry /
// Playwright (only pairs where both succeeded).
func versus(b *testing.B, h *harness, bot string, pw *playwrightFlow) {
	var ferryMS, pwMS, ratios []float64
	failures := map[string]int{}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var f ferry.RunRecord
		var p pwResult
		if i%2 == 0 {
			f = h.run(b, bot)
			p = pw.run(b)
		} else {
			p = pw.run(b)
			f = h.run(b, bot)
		}
		fms := float64(f.FinishedAt.Sub(f.StartedAt).Milliseconds())
		if f.Status != ferry.RunSucceeded {
			failures["ferry "+string(f.Class)]++
			b.Logf("ferry run %d: %s: %s", f.ID, f.Class, f.Error)
		}
		if !p.OK {
			failures["playwright"]++
			b.Logf("playwright: %s", p.Error)
		}
		if f.Status == ferry.RunSucceeded && p.OK {
			ferryMS = append(ferryMS, fms)
			pwMS = append(pwMS, float64(p.MS))
			ratios = append(ratios, fms/float64(p.MS))
		}
	}
	b.StopTimer()
	if len(ratios) == 0 {
		// Not fatal: the benchmark's first one-pair pass must not stop the
		// real one; the failures are the finding.
		b.Logf("%s vs Playwright: no pair where both succeeded: %v", bot, failures)
		return
	}
	med := func(xs []float64) float64 { s := slices.Clone(xs); slices.Sort(s); return s[len(s)/2] }
	b.ReportMetric(med(ferryMS), "ferry_median_ms")
	b.ReportMetric(med(pwMS), "playwright_median_ms")
	b.ReportMetric(med(ratios), "median_ratio")
	b.Logf("%s vs Playwright: %d pairs both ok, Ferry median %.0f ms, Playwright median %.0f ms, median ratio %.2f, ratio of medians %.2f; failures %v",
		bot, len(ratios), med(ferryMS), med(pwMS), med(ratios), med(ferryMS)/med(pwMS), failures)
	if out := os.Getenv("FERRY_SOAK_OUT"); out != "" && b.N > 1 {
		line, _ := json.Marshal(map[string]any{"versus": bot, "pairs": b.N, "both_ok": len(ratios), "ferry_ms": ferryMS, "playwright_ms": pwMS,
			"median_ratio": med(ratios), "ferry_median_ms": med(ferryMS), "playwright_median_ms": med(pwMS), "failures": failures})
		f, err := os.OpenFile(out, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = fmt.Fprintf(f, "%s\n", line)
		f.Close()
	}
}

// BenchmarkVersusPlaywrightPhpMyAdmin: phpmyadmin-export-direct against
// phpmyadmin-export.js FLOW=direct.
func BenchmarkVersusPlaywrightPhpMyAdmin(b *testing.B) {
	a := StartPhpMyAdmin(b)
	h := newHarness(b, "phpmyadmin", a.URL, ferry.Credential{Name: "phpmyadmin", Fields: map[string]string{"user": a.User, "password": a.Password}},
		45*time.Second, 1, soakLogger(b))
	pw := startPlaywright(b, "phpmyadmin-export.js", "PMA_URL="+a.URL, "PMA_USER="+a.User, "PMA_PASSWORD="+a.Password, "FLOW=direct", "TIMEOUT_MS=45000")
	versus(b, h, "phpmyadmin-export-direct", pw)
}

// BenchmarkVersusPlaywrightNodeRED: nodered-export against
// nodered-export.js.
func BenchmarkVersusPlaywrightNodeRED(b *testing.B) {
	a := StartNodeRED(b)
	h := newHarness(b, "nodered", a.URL, ferry.Credential{Name: "nodered", Fields: map[string]string{"user": a.User, "password": a.Password}},
		45*time.Second, 1, soakLogger(b))
	pw := startPlaywright(b, "nodered-export.js", "NR_URL="+a.URL, "NR_USER="+a.User, "NR_PASSWORD="+a.Password, "TIMEOUT_MS=45000")
	versus(b, h, "nodered-export", pw)
}
