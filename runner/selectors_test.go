package runner_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func shortRun(t *testing.T, e *env) storage.RunRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	id, err := e.r.Enqueue(ctx, runner.Request{Bot: "demobank-statements", Login: "demobank-zhangwei",
		Params: ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 3), Accounts: []string{"6222021000010001"}}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.r.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// The runner picks up an edited selector file without a restart; an edit
// that does not parse is rejected with its error in the log, and the
// previous version keeps serving. Every version it loads is recorded.
func TestSelectorFileHotReload(t *testing.T) {
	t.Parallel()
	e, orig, write, logs := selectorsInDir(t)
	first := shortRun(t, e)
	if first.Status != ferry.RunSucceeded {
		t.Fatalf("first run: %s %s", first.Status, first.Error)
	}
	write([]byte(strings.Replace(string(orig), "      - css: \"#user-id\"\n", "      - csss: \"#user-id\"\n", 1)), 1)
	second := shortRun(t, e)
	if second.Status != ferry.RunSucceeded || second.SelectorVersion != first.SelectorVersion {
		t.Fatalf("after an invalid edit: %s with %s, want success with %s", second.Status, second.SelectorVersion, first.SelectorVersion)
	}
	if l := logs.String(); !strings.Contains(l, "edited selector file rejected") || !strings.Contains(l, `unknown key \"csss\"`) || !strings.Contains(l, "demobank.yaml:") {
		t.Fatalf("no rejection with the file's error in the log:\n%s", l)
	}
	edited := strings.Replace(string(orig), "version: 2", "version: 3", 1)
	write([]byte(edited), 2)
	third := shortRun(t, e)
	if third.Status != ferry.RunSucceeded || !strings.HasPrefix(third.SelectorVersion, "3+") {
		t.Fatalf("after a valid edit: %s with %s", third.Status, third.SelectorVersion)
	}
	vs, err := e.db.SelectorVersions(context.Background(), "demobank")
	if err != nil || len(vs) != 2 || vs[0].Version != first.SelectorVersion || vs[1].Version != third.SelectorVersion || !strings.Contains(vs[1].Message, "loaded from") {
		t.Fatalf("versions: %+v %v", vs, err)
	}
}

// An edited selector file first asked for by a run started inside a
// transaction (the console audits a run start in the run's own
// transaction, which on SQLite holds the only connection) is still
// recorded as a version, and recording it does not wait on that
// transaction. Before, the registry recorded it on the asking goroutine:
// the start stalled until the recording gave up after 10 s, and the
// version was missing from the history.
func TestSelectorEditLoadedInsideATransaction(t *testing.T) {
	t.Parallel()
	e, orig, write, logs := selectorsInDir(t)
	first := shortRun(t, e)
	if first.Status != ferry.RunSucceeded {
		t.Fatalf("first run: %s %s", first.Status, first.Error)
	}
	write([]byte(strings.Replace(string(orig), "version: 2", "version: 3", 1)), 1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var id int64
	err := e.db.InTx(ctx, func(ctx context.Context) error {
		var err error
		id, err = e.r.Enqueue(ctx, runner.Request{Bot: "demobank-statements", Login: "demobank-zhangwei",
			Params: ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 3), Accounts: []string{"6222021000010001"}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.r.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != ferry.RunSucceeded || !strings.HasPrefix(run.SelectorVersion, "3+") {
		t.Fatalf("run after the edit: %s with %s", run.Status, run.SelectorVersion)
	}
	if l := logs.String(); strings.Contains(l, "recording the selector version failed") {
		t.Fatalf("the version was not recorded:\n%s", l)
	}
	vs, err := e.db.SelectorVersions(ctx, "demobank")
	if err != nil || len(vs) != 2 || vs[1].Version != run.SelectorVersion {
		t.Fatalf("versions: %+v %v, want the edit as the second", vs, err)
	}
}

// selectorsInDir is a runner serving demobank's selector file from a
// directory of its own, with an info-level log to read back: the file's
// original text, and write, which replaces it with a modification time n
// seconds ahead (so that the registry sees every edit).
func selectorsInDir(t *testing.T) (e *env, orig []byte, write func(data []byte, n int), logs *syncBuf) {
	t.Helper()
	dir := t.TempDir()
	selDir := filepath.Join(dir, "selectors")
	os.MkdirAll(selDir, 0o755)
	orig, err := os.ReadFile("../selectors/demobank.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(selDir, "demobank.yaml")
	write = func(data []byte, n int) {
		t.Helper()
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(time.Duration(n) * time.Second)
		os.Chtimes(path, at, at)
	}
	write(orig, 0)
	logs = &syncBuf{}
	e = setup(t, dir, sandbox.New(sandbox.Options{Seed: 2}), func(c *runner.Config) {
		c.SelectorsDir = selDir
		c.Logger = zerolog.New(io.MultiWriter(zerolog.NewTestWriter(t), logs)).Level(zerolog.InfoLevel)
	})
	return e, orig, write, logs
}
