package console_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/delivery"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
	"github.com/shopspring/decimal"
)

// TestChromiumAdmin: in Chromium, over a real runner (started, with a
// driven clock) and the sandbox bank, an admin creates a schedule (a bad
// cron first: the page names the field), it fires at its slot; the admin
// pauses it and its next slot passes without a run; edits it (a bad cron
// refused again), resumes it, and it fires at the edited spec's slot only.
// The sinks' page shows the delivered records, River's UI renders under
// its own CSP without a violation; every page at two window sizes.
func TestChromiumAdmin(t *testing.T) {
	testenv.Tool(t, "chromium", "chromium")
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)}
	at := func(h, m int) time.Time { return time.Date(2026, 3, 14, h, m, 0, 0, time.UTC) }
	bank := sandbox.New(sandbox.Options{Seed: 5})
	base, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir := t.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), c.now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	br, err := bots.Launch(ctx, bots.BrowserOptions{Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { br.Close() })
	var synced, caught atomic.Int64
	r := startRunner(t, runner.Config{DB: db, Browser: br, Sites: map[string]string{"demobank": base}, Credentials: runner.StaticCredentials(sandbox.Credentials()),
		Sinks: []delivery.Sink{&delivery.JSONLines{Path: filepath.Join(dir, "records.jsonl")}}, StepTimeout: 20 * time.Second, RetryBase: 300 * time.Millisecond,
		ReservePath: filepath.Join(dir, "ferry.reserve"), Now: c.now, CatchUpEvery: 50 * time.Millisecond, ScheduleSyncEvery: 50 * time.Millisecond,
		Schedules: []runner.Schedule{{ID: "file-nightly", Bot: "demobank-statements", Login: "demobank-zhangwei", Cron: "CRON_TZ=Asia/Shanghai 30 2 * * *"}},
		OnSchedules: func(event string) {
			if event == "schedules synced" {
				synced.Add(1)
			} else {
				caught.Add(1)
			}
		},
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.FatalLevel)})
	// waitRounds waits for the runner to read the schedules and then
	// catch up twice: a whole round that began after the last change.
	waitRounds := func() {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for s := synced.Load(); synced.Load() < s+2; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the runner did not read the schedules in 30 s")
			}
		}
		for k := caught.Load(); caught.Load() < k+2; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the runner did not catch up in 30 s")
			}
		}
	}
	// slotRuns lists the schedule's runs' slots, waiting (30 s) for want
	// of them.
	slotRuns := func(want int) []storage.RunRecord {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			runs, err := db.Runs(ctx, 100)
			if err != nil {
				t.Fatal(err)
			}
			var out []storage.RunRecord
			for _, run := range runs {
				if run.Schedule == "hourly-lina" {
					out = append(out, run)
				}
			}
			if len(out) >= want || time.Now().After(deadline) {
				return out
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	srv, err := console.New(console.Config{Store: db, Schedules: r, Now: c.now, IdleTimeout: 1000 * time.Hour, MaxSessionAge: 1000 * time.Hour, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	t.Cleanup(srv.CloseStreams)
	if _, err := console.AddUser(ctx, db, "cli:test", "", "admin", ferry.RoleAdmin, password+" admin"); err != nil {
		t.Fatal(err)
	}

	d := chromium(t)
	d.call("Page.enable", map[string]any{})
	// Any CSP violation on any page is recorded for the checks below.
	d.call("Page.addScriptToEvaluateOnNewDocument", map[string]any{"source": `window.cspViolations = []; document.addEventListener("securitypolicyviolation", e => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));`})
	sizes := [][2]int{{1280, 800}, {390, 844}}
	shoot := func(name string) {
		for _, s := range sizes {
			d.screenshot(name, s[0], s[1])
		}
	}
	noViolations := func(page string) {
		t.Helper()
		if v := d.eval(`JSON.stringify(window.cspViolations || [])`); v != "[]" {
			t.Errorf("%s: CSP violations %v", page, v)
		}
	}
	d.open(ts.URL + "/login")
	d.waitFor("/login", "Password")
	d.submit("form[action='/login']", map[string]string{"name": "admin", "password": password + " admin"})
	d.waitFor("/runs", "admin (admin)")
	if d.eval(`Array.from(document.querySelectorAll("header nav a")).map(a => a.getAttribute("href")).join(" ")`) == nil {
		t.Fatal("no navigation")
	}
	for _, link := range []string{"/schedules", "/sinks", "/admin/river/"} {
		if d.eval(fmt.Sprintf(`!!document.querySelector("header nav a[href='%s']")`, link)) != true {
			t.Errorf("the admin's navigation lacks %s", link)
		}
	}

	// Create: a bad cron is refused with the field named, then a good one.
	d.open(ts.URL + "/schedules")
	d.waitFor("/schedules", "file-nightly")
	form := map[string]string{"id": "hourly-lina", "bot": "demobank-statements", "login": "demobank-lina", "cron": "0 * * *", "zone": "", "params": ""}
	d.submit("#new-schedule", form)
	d.waitFor("/schedules", "cron: ")
	form["cron"] = "0 * * * *"
	d.submit("#new-schedule", form)
	d.waitFor("/schedules", "created hourly-lina")
	shoot("schedules")
	noViolations("schedules")
	waitRounds()
	if runs := slotRuns(0); len(runs) != 0 {
		t.Fatalf("created at 09:30, runs before 10:00: %+v", runs)
	}
	c.advance(30*time.Minute + 30*time.Second) // 10:00:30
	runs := slotRuns(1)
	if len(runs) != 1 || !runs[0].Slot.Equal(at(10, 0)) {
		t.Fatalf("at 10:00:30: runs %+v, want the 10:00 slot's", runs)
	}

	// Pause in the page: 11:00 passes without a run.
	d.open(ts.URL + "/schedules")
	d.waitFor("/schedules", "hourly-lina")
	d.submit(`tr[data-schedule="hourly-lina"] form:first-of-type`, nil)
	d.waitFor("/schedules", "pause hourly-lina")
	if d.eval(`document.querySelector('tr[data-schedule="hourly-lina"] .state').innerText`) != "paused" {
		t.Error("the page does not show the schedule paused")
	}
	waitRounds()
	c.advance(time.Hour) // 11:00:30
	waitRounds()
	if runs := slotRuns(1); len(runs) != 1 {
		t.Fatalf("a paused schedule fired: %+v", runs)
	}

	// Edit in the page: a bad cron is refused, a good one saved; resume.
	d.open(ts.URL + "/schedules/hourly-lina")
	d.waitFor("/schedules/hourly-lina", "version 2")
	shoot("schedule")
	d.submit("#edit-schedule", map[string]string{"cron": "30 * * * * *"})
	d.waitFor("/schedules/hourly-lina", "cron: ")
	d.submit("#edit-schedule", map[string]string{"cron": "30 * * * *"})
	d.waitFor("/schedules", "saved hourly-lina")
	d.submit(`tr[data-schedule="hourly-lina"] form:first-of-type`, nil)
	d.waitFor("/schedules", "resume hourly-lina")
	waitRounds()
	if runs := slotRuns(1); len(runs) != 1 {
		t.Fatalf("resumed at 11:00:30: the missed slot ran: %+v", runs)
	}
	c.advance(30 * time.Minute) // 11:30:30
	runs = slotRuns(2)
	if len(runs) != 2 {
		t.Fatalf("at 11:30:30: runs %+v, want the 10:00 and 11:30 slots'", runs)
	}
	for _, run := range runs {
		if !run.Slot.Equal(at(10, 0)) && !run.Slot.Equal(at(11, 30)) {
			t.Errorf("a run of slot %s", run.Slot)
		}
	}

	// The sinks' page shows what was delivered.
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for _, run := range runs {
		if _, err := r.Wait(wctx, run.ID); err != nil {
			t.Fatal(err)
		}
	}
	// The sandbox's one-time codes follow the wall clock, not the test's,
	// so the runs fail at the bank's OTP: a statement is stored for the
	// sink as a run would, and delivered.
	art, err := db.PutArtifact(ctx, ferry.Artifact{RunID: runs[0].ID, Kind: "download", Name: "s.csv"}, []byte("s"))
	if err != nil {
		t.Fatal(err)
	}
	day := ferry.NewDate(2026, 3, 13)
	st := ferry.Statement{Account: "A1", Currency: "EUR", From: day, To: day, NoBalances: true,
		Lines: []ferry.StatementLine{{Account: "A1", BookingDate: day, Amount: decimal.NewFromInt(5), Currency: "EUR", Description: "x", TransactionID: "T1"}}}
	if _, err := db.SaveStatement(ctx, runs[0].ID, art.ID, st, []string{"jsonl"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	d.open(ts.URL + "/sinks")
	d.waitFor("/sinks", "jsonl")
	if d.eval(`Number(document.querySelector('tr[data-sink="jsonl"] .day').innerText) > 0`) != true {
		t.Error("the sinks page shows nothing delivered")
	}
	shoot("sinks")
	noViolations("sinks")

	// River's UI: rendered by its own scripts, under its own CSP.
	river := func(path, want string) {
		t.Helper()
		d.open(ts.URL + path)
		deadline := time.Now().Add(30 * time.Second)
		for {
			v, _ := d.evalTry(`JSON.stringify([location.pathname, document.querySelector("#root") ? document.querySelector("#root").innerText : "", window.cspViolations || []])`)
			if s, _ := v.(string); strings.Contains(s, want) {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("River's UI at %s does not show %q: %s", path, want, s)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	river("/admin/river/", "Running")
	river("/admin/river/queues", "default")
	// The one refusal allowed: River's UI probes whether it may compile
	// code (zod's Function("") check) and, refused, validates without.
	if v := d.eval(`JSON.stringify((window.cspViolations || []).filter(v => v !== "script-src eval"))`); v != "[]" {
		t.Errorf("River's UI: CSP violations %v", v)
	}
	shoot("river")

	entries, _ := db.Audit(ctx, ferry.AuditQuery{})
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
	}
	for _, want := range []string{"schedule.create", "schedule.pause", "schedule.edit", "schedule.resume"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("audit log lacks %s: %v", want, actions)
		}
	}
}
