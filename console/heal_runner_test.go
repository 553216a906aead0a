package console_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

// TestHealThroughConsoleRealRunner: the console over the real runner, a
// real Chromium and the sandbox bank. A bot holding version-1 selectors
// runs on version 1; the bank serves its redesign; a finance user's run
// (started through the API) fails as site changed, with evidence; the ops
// user opens the evidence and accepts every proposed heal in the console;
// the next run gets further, until a run on the redesign passes.
func TestHealThroughConsoleRealRunner(t *testing.T) {
	testenv.Tool(t, "chromium", "chromium")
	ctx := context.Background()
	bank := sandbox.New(sandbox.Options{Seed: 4})
	base, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir := t.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	selDir := filepath.Join(dir, "selectors")
	v1, err := os.ReadFile("../bots/testdata/demobank-v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(selDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(selDir, "demobank.yaml"), v1, 0o600); err != nil {
		t.Fatal(err)
	}
	br, err := bots.Launch(ctx, bots.BrowserOptions{Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	creds := runner.StaticCredentials(sandbox.Credentials())
	r := startRunner(t, runner.Config{DB: db, Browser: br, Sites: map[string]string{"demobank": base}, Credentials: creds, SelectorsDir: selDir,
		Sinks:       []delivery.Sink{&delivery.JSONLines{Path: filepath.Join(dir, "records.jsonl")}},
		StepTimeout: 20 * time.Second, RetryBase: 300 * time.Millisecond, ReservePath: filepath.Join(dir, "ferry.reserve"),
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	svc := &service.Service{Store: db, SelectorsDir: selDir}
	starter := console.StarterFunc(func(ctx context.Context, req service.RunRequest) (int64, error) {
		id, _, err := svc.StartRun(ctx, r, creds, req)
		return id, err
	})
	srv, err := console.New(console.Config{Store: db, Starter: starter, Ops: svc, Resolver: br, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, srv: srv, clock: &clock{t: time.Now()}, log: &syncBuffer{}, users: map[ferry.Role]int64{}}
	e.ts = httptest.NewServer(srv)
	t.Cleanup(e.ts.Close)
	for _, role := range []ferry.Role{ferry.RoleFinance, ferry.RoleOps} {
		id, err := console.AddUser(ctx, db, "cli:test", "", string(role), role, password+" "+string(role))
		if err != nil {
			t.Fatal(err)
		}
		e.users[role] = id
	}
	fin := e.token(ferry.RoleFinance)
	ops := e.login(ferry.RoleOps)

	// run starts the bot through the API as finance and waits for it.
	run := func() runDetailJSON {
		t.Helper()
		code, body := e.api("POST", "/api/runs", fin, `{"bot":"demobank-statements","login":"demobank-zhangwei","from":"2026-10-01","to":"2026-10-03","accounts":["6222021000010001"]}`)
		if code != http.StatusCreated {
			t.Fatalf("start: %d %s", code, body)
		}
		var started struct{ Run int64 }
		json.Unmarshal([]byte(body), &started)
		deadline := time.Now().Add(5 * time.Minute)
		for {
			_, body := e.api("GET", fmt.Sprintf("/api/runs/%d", started.Run), fin, "")
			var d runDetailJSON
			if err := json.Unmarshal([]byte(body), &d); err != nil {
				t.Fatalf("run %d: %v\n%s", started.Run, err, body)
			}
			if service.Ended(ferry.RunStatus(d.Run.Status)) {
				return d
			}
			if time.Now().After(deadline) {
				dumpStuck(t, db)
				t.Fatalf("run %d did not end in 5 minutes: %s", started.Run, d.Run.Status)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if d := run(); d.Run.Status != "succeeded" {
		t.Fatalf("version 1: %+v", d.Run)
	}
	bank.Set(func(s *sandbox.Switches) { s.Redesign = true })
	accepted := 0
	for round := 1; ; round++ {
		if round > 6 {
			t.Fatal("no run passed on the redesign in 6 rounds")
		}
		d := run()
		if d.Run.Status == "succeeded" {
			t.Logf("round %d: the run passes on the redesign after %d heals accepted in the console", round, accepted)
			break
		}
		if d.Run.Class != string(ferry.ClassSiteChanged) {
			t.Fatalf("round %d: %+v, want site changed", round, d.Run)
		}
		if code, body := ops.get(fmt.Sprintf("/runs/%d/evidence", d.Run.ID)); code != 200 || !contains(body, "Ways tried", "/dom/") {
			t.Fatalf("round %d: evidence page: %d", round, code)
		}
		bundle := func() string {
			t.Helper()
			resp := ops.form(fmt.Sprintf("/runs/%d/bundle-test", d.Run.ID), url.Values{}, true)
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("round %d: bundle test: %d\n%s", round, resp.StatusCode, b)
			}
			return string(b)
		}
		if body := bundle(); !strings.Contains(body, "Fails:") {
			t.Fatalf("round %d: the offline test passes before any heal is accepted:\n%s", round, body)
		}
		heals, err := db.Heals(ctx, "demobank", "proposed")
		if err != nil || len(heals) == 0 {
			t.Fatalf("round %d: run %d failed and nothing was proposed (%v)", round, d.Run.ID, err)
		}
		for _, h := range heals {
			resp := ops.form(fmt.Sprintf("/heals/%d", h.ID), url.Values{"op": {"accept"}}, true)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("round %d: accept heal %d: %d", round, h.ID, resp.StatusCode)
			}
			accepted++
		}
		if body := bundle(); !strings.Contains(body, "Passes:") {
			t.Fatalf("round %d: the offline test still fails after the heals were accepted:\n%s", round, body)
		}
	}
	if accepted == 0 {
		t.Fatal("the redesign passed without a heal")
	}
	entries, _ := db.Audit(ctx, ferry.AuditQuery{Action: "heal.accept"})
	if len(entries) != accepted {
		t.Errorf("%d heal.accept audit entries, want %d", len(entries), accepted)
	}
}

// runDetailJSON is /api/runs/{id} as the test reads it.
type runDetailJSON struct {
	Run struct {
		ID     int64
		Status string
		Class  string
		Error  string
	}
}

func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// dumpStuck logs what a run that does not end is waiting for: River's
// jobs and every goroutine's stack.
func dumpStuck(t *testing.T, db *storage.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := db.SQL.QueryContext(ctx, `SELECT id, state, attempt, scheduled_at, errors FROM river_job ORDER BY id`)
	if err != nil {
		t.Logf("river_job: %v", err)
	} else {
		for rows.Next() {
			var id, attempt int64
			var state, at string
			var errs sql.NullString
			if err := rows.Scan(&id, &state, &attempt, &at, &errs); err != nil {
				t.Logf("river_job: %v", err)
				break
			}
			t.Logf("river_job %d: %s attempt %d scheduled %s errors %s", id, state, attempt, at, errs.String)
		}
		rows.Close()
	}
	buf := make([]byte, 8<<20)
	t.Logf("goroutines:\n%s", buf[:runtime.Stack(buf, true)])
}

// startRunner starts a runner on cfg, stopped at the test's end.
func startRunner(t *testing.T, cfg runner.Config) *runner.Runner {
	t.Helper()
	ctx := context.Background()
	r, err := runner.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = r.Stop(sctx)
	})
	return r
}
