package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox"
)

// idemSink is the finance system's side: it stores each record once per
// Idempotency-Key, as a real API with idempotency does, and counts what it
// was sent.
type idemSink struct {
	mu     sync.Mutex
	byKey  map[string]int // posts per key
	stored map[string]bool
}

func (s *idemSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var rec struct {
		Key string `json:"dedup_key"`
	}
	if json.Unmarshal(body, &rec) != nil || rec.Key == "" || rec.Key != r.Header.Get("Idempotency-Key") {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.byKey[rec.Key]++
	s.stored[rec.Key] = true
	s.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
}

// Kill the Ferry process with SIGKILL at 23 points across a run and its
// delivery, restart it, and check at both sinks that every record is
// present exactly once and none is missing.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts Ferry 23 times")
	}
	// Not parallel: it runs many browsers itself; alone it is faster and steadier.
	bin := buildFerry(t, "crashpoints")
	bank := sandbox.New(sandbox.Options{Seed: 9})
	u, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	from, to := ferry.NewDate(2026, 10, 1), ferry.NewDate(2026, 10, 6)
	st, _ := bank.Statement("6222021000010001", from, to)
	want := map[string]bool{}
	for _, k := range st.DedupKeys() {
		want[k] = true
	}
	points := []string{"start:1", "step:2", "step:6", "download:1", "download:2", "download:3", "artifact:1", "artifact:2", "artifact:3",
		"ingest:1", "parse:1", "parse:2", "parse:3", "line:2", "commit:1", "finish:1", "deliver:1", "send:1", "send:2", "acked:1", "acked:2", "marked:1", "marked:2"}
	zw := sandbox.DefaultUsers()[0]
	type result struct {
		point string
		err   string
	}
	results := make([]result, len(points))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 3)
	for i, point := range points {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] = result{point, crashScenario(t, bin, u, zw, point, from, to, want)}
		}()
	}
	wg.Wait()
	for _, r := range results {
		if r.err != "" {
			t.Errorf("crash at %s: %s", r.point, r.err)
		} else {
			t.Logf("crash at %s: restarted; every record once at both sinks", r.point)
		}
	}
	t.Logf("%d crash points, %d records each", len(points), len(want))
}

func crashScenario(t *testing.T, bin, bankURL string, u sandbox.User, point string, from, to ferry.Date, want map[string]bool) string {
	dir, err := os.MkdirTemp(t.TempDir(), "crash")
	if err != nil {
		return err.Error()
	}
	sink := &idemSink{byKey: map[string]int{}, stored: map[string]bool{}}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	cfg := filepath.Join(dir, "ferry.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`data_dir: data
sites:
  demobank: %s
credentials:
  zw:
    user: %s
    password: %q
sinks:
  jsonl:
    path: records.jsonl
  endpoints:
    - name: erp
      url: %s
`, bankURL, u.ID, u.Password, srv.URL)), 0o600)
	// 1. The run, killed at the point.
	run := exec.Command(bin, "--config", cfg, "--log-format", "json", "run", "demobank-statements", "--login", "zw",
		"--from", from.String(), "--to", to.String(), "--account", "6222021000010001")
	run.Env = append(os.Environ(), "FERRY_CRASH_AT="+point)
	out, _ := run.CombinedOutput()
	if ws, ok := run.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		return fmt.Sprintf("the process was not killed at the point (exit %v):\n%s", run.ProcessState, out)
	}
	// 2. Restart: serve picks up the orphaned run, finishes it and delivers.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	serve := exec.CommandContext(ctx, bin, "--config", cfg, "--log-format", "json", "serve")
	serve.Cancel = func() error { return serve.Process.Signal(syscall.SIGTERM) }
	logs, _ := serve.StderrPipe()
	if err := serve.Start(); err != nil {
		return err.Error()
	}
	var tailMu sync.Mutex
	var tail []string
	go func() {
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			tailMu.Lock()
			tail = append(tail, sc.Text())
			tailMu.Unlock()
		}
	}()
	defer func() { cancel(); serve.Wait() }()
	jsonl := filepath.Join(dir, "records.jsonl")
	for {
		lines := map[string]int{}
		if f, err := os.Open(jsonl); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var r struct {
					Key string `json:"dedup_key"`
				}
				json.Unmarshal(sc.Bytes(), &r)
				lines[r.Key]++
			}
			f.Close()
		}
		sink.mu.Lock()
		stored := len(sink.stored)
		sink.mu.Unlock()
		if len(lines) == len(want) && stored == len(want) {
			for k, n := range lines {
				if !want[k] || n != 1 {
					return fmt.Sprintf("records.jsonl holds %s %d times", k, n)
				}
			}
			sink.mu.Lock()
			defer sink.mu.Unlock()
			resent := 0
			for k, n := range sink.byKey {
				if !want[k] {
					return fmt.Sprintf("the ERP holds an unexpected record %s", k)
				}
				resent += n - 1
			}
			if resent > 0 {
				t.Logf("crash at %s: the ERP was sent %d records again and stored each once (Idempotency-Key)", point, resent)
			}
			return ""
		}
		select {
		case <-ctx.Done():
			tailMu.Lock()
			defer tailMu.Unlock()
			return fmt.Sprintf("after the restart: %d of %d records in records.jsonl, %d at the ERP; serve log tail: %v", len(lines), len(want), stored, tail[max(0, len(tail)-5):])
		case <-time.After(300 * time.Millisecond):
		}
	}
}
