package runner_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/storage"
)

// panicky panics, once, the first time its credential is read.
type panicky struct {
	runner.StaticCredentials
	armed atomic.Bool
}

func (p *panicky) Credential(name string) (ferry.Credential, error) {
	if p.armed.CompareAndSwap(true, false) {
		panic("credential store exploded")
	}
	return p.StaticCredentials.Credential(name)
}

// A panic in a run, in the worker or in a bot's step, fails the run as
// internal with the stack as evidence; the login is free again, the next
// run of the same bot and login succeeds, and Wait does not hang.
func TestPanicFailsRunAndFreesLogin(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	creds := &panicky{StaticCredentials: sandbox.Credentials()}
	var stepPanic, txPanic atomic.Bool
	e := setup(t, t.TempDir(), bank, func(c *runner.Config) {
		c.Credentials = creds
		c.OnStep = func(id int64, s ferry.Step) {
			if stepPanic.CompareAndSwap(true, false) {
				panic("step hook exploded")
			}
		}
	})
	runner.SetHook(e.r, func(point string) {
		if point == "line" && txPanic.CompareAndSwap(true, false) {
			panic("parser exploded mid-transaction")
		}
	})
	for _, tc := range []struct {
		name, want string
		arm        func()
	}{
		{"worker", "credential store exploded", func() { creds.armed.Store(true) }},
		{"bot step", "step hook exploded", func() { stepPanic.Store(true) }},
		// A panic inside a transaction on SQLite's single connection: the
		// transaction must not keep the connection from recording it.
		{"ingest", "parser exploded mid-transaction", func() { txPanic.Store(true) }},
	} {
		// Enqueue reads the credential too; arm after it.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		id, err := e.r.Enqueue(ctx, runner.Request{Bot: "demobank-statements", Login: "demobank-lina",
			Params: ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 31)}})
		if err != nil {
			t.Fatal(err)
		}
		tc.arm()
		run, err := e.r.Wait(ctx, id)
		cancel()
		if err != nil {
			t.Fatalf("%s panic: waiting for the run: %v", tc.name, err)
		}
		if run.Status != ferry.RunFailed || run.Class != ferry.ClassInternal || !strings.Contains(run.Error, tc.want) {
			t.Fatalf("%s panic: run %s/%s %q, want failed/internal naming the panic", tc.name, run.Status, run.Class, run.Error)
		}
		arts, _ := e.db.Artifacts(context.Background(), run.ID)
		found := false
		for _, a := range arts {
			if a.Kind == "evidence" && a.Name == "panic.txt" {
				body, err := os.ReadFile(e.db.ArtifactPath(a.SHA256))
				if err != nil {
					t.Fatal(err)
				}
				found = strings.Contains(string(body), tc.want) && strings.Contains(string(body), "lifecycle_test.go")
			}
		}
		if !found {
			t.Fatalf("%s panic: no stack stored as evidence: %+v", tc.name, arts)
		}
		// The login is free: the same bot and login run again at once.
		if next := e.run(t, "demobank-lina"); next.Status != ferry.RunSucceeded {
			t.Fatalf("after the %s panic the next run: %s %s %s", tc.name, next.Status, next.Class, next.Error)
		}
	}
}

// stopAfterDownload returns a step hook that reports, once, the first
// download step to end.
func stopAfterDownload() (func(int64, ferry.Step), <-chan struct{}) {
	ch := make(chan struct{})
	var once atomic.Bool
	return func(id int64, s ferry.Step) {
		if s.Action == "download" && s.Status == ferry.StepOK && once.CompareAndSwap(false, true) {
			close(ch)
		}
	}, ch
}

// A stop lets a run in flight finish within the grace period; a run the
// grace deadline cuts off is interrupted (no class, no evidence, no heal),
// and the next start resumes it from what it stored: it completes and
// every record reaches the sink once.
func TestStopInterruptsThenResumes(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	bank.Set(func(s *sandbox.Switches) { s.SlowPages = 150 * time.Millisecond })
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	params := ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 31)}
	want := 0
	for _, a := range sandbox.DefaultUsers()[0].Accounts {
		st, _ := bank.Statement(a, params.From, params.To)
		want += len(st.Lines)
	}

	hook, downloaded := stopAfterDownload()
	e1 := setup(t, dir, bank, func(c *runner.Config) { c.OnStep = hook })
	id, err := e1.r.Enqueue(ctx, runner.Request{Bot: "demobank-statements", Login: "demobank-zhangwei", Params: params})
	if err != nil {
		t.Fatal(err)
	}
	<-downloaded
	grace, cancelGrace := context.WithTimeout(ctx, 50*time.Millisecond)
	err = e1.r.Stop(grace)
	cancelGrace()
	if err != nil {
		t.Fatalf("stop: %v", err)
	}
	run, err := e1.db.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != ferry.RunInterrupted || run.Class != "" {
		t.Fatalf("cut-off run: %s/%s %q, want interrupted without a class", run.Status, run.Class, run.Error)
	}
	arts, _ := e1.db.Artifacts(ctx, id)
	downloads := 0
	for _, a := range arts {
		if a.Kind == "evidence" {
			t.Fatalf("an interrupted run stored evidence: %s", a.Name)
		}
		downloads++
	}
	if downloads == 0 {
		t.Fatal("the run stored no download before the stop")
	}
	if heals, _ := e1.db.Heals(ctx, "", ""); len(heals) != 0 {
		t.Fatalf("an interrupted run proposed heals: %+v", heals)
	}
	e1.db.Close()

	// The next start resumes it.
	e2 := setup(t, dir, bank, nil)
	run, err = e2.r.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != ferry.RunSucceeded {
		t.Fatalf("resumed run: %s/%s %s", run.Status, run.Class, run.Error)
	}
	if got := waitLines(t, e2.jsonl, want); got != want {
		t.Fatalf("delivered %d records, want %d", got, want)
	}
	if n := countRecordsOnce(t, e2.jsonl); n != want {
		t.Fatalf("%d distinct records, want %d", n, want)
	}

	// A stop with time to spare lets the run in flight finish.
	id2, err := e2.r.Enqueue(ctx, runner.Request{Bot: "demobank-statements", Login: "demobank-lina", Params: params})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		r2, _ := e2.db.Run(ctx, id2)
		if r2.Status == ferry.RunRunning || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	grace, cancelGrace = context.WithTimeout(ctx, 2*time.Minute)
	err = e2.r.Stop(grace)
	cancelGrace()
	if err != nil {
		t.Fatalf("stop: %v", err)
	}
	if r2, _ := e2.db.Run(ctx, id2); r2.Status != ferry.RunSucceeded {
		t.Fatalf("a run in flight at a stop with time to spare: %s/%s %s, want succeeded", r2.Status, r2.Class, r2.Error)
	}
}

// countRecordsOnce counts the distinct dedup keys in a JSON Lines sink and
// fails the test if any key is there twice.
func countRecordsOnce(t *testing.T, path string) int {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		i := strings.Index(line, `"dedup_key":"`)
		if i < 0 {
			t.Fatalf("record without a dedup key: %s", line)
		}
		key := line[i+len(`"dedup_key":"`):]
		key = key[:strings.IndexByte(key, '"')]
		if seen[key] {
			t.Fatalf("record %s delivered twice", key)
		}
		seen[key] = true
	}
	return len(seen)
}

// Only runs whose lease expired are orphans: a run another process holds
// a live lease on is left alone, one whose lease expired is queued again
// and completes; while a run works, its lease is renewed.
func TestOrphansByLease(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	params := ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 31)}
	ids := map[string]int64{}
	now := time.Now()
	for login, until := range map[string]time.Time{"demobank-lina": now.Add(-time.Minute), "demobank-zhangwei": now.Add(time.Hour)} {
		id, err := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "demobank-statements", Login: login, Params: params})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.StartRun(ctx, id, 1, ""); err != nil {
			t.Fatal(err)
		}
		if ok, err := db.ClaimRun(ctx, id, "ghost", until.Add(-time.Minute), until); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		ids[login] = id
	}
	db.Close()
	e := setup(t, dir, bank, func(c *runner.Config) {
		c.LeaseTTL, c.LeaseRenew = 3*time.Second, 100*time.Millisecond
	})
	// Watch the orphan's lease while it runs again.
	leases := map[time.Time]bool{}
	orphan := ids["demobank-lina"]
	var run storage.RunRecord
	for {
		if run, err = e.db.Run(ctx, orphan); err != nil {
			t.Fatal(err)
		}
		if run.Status == ferry.RunRunning {
			if owner, until, err := e.db.Lease(ctx, orphan); err == nil && owner != "ghost" && owner != "" {
				leases[until] = true
			}
		}
		if run.Status == ferry.RunSucceeded || run.Status == ferry.RunFailed || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if run.Status != ferry.RunSucceeded {
		t.Fatalf("orphan with an expired lease: %s/%s %s, want run again and succeeded", run.Status, run.Class, run.Error)
	}
	if len(leases) < 2 {
		t.Fatalf("the lease of the working run was not renewed: %d distinct expiries seen", len(leases))
	}
	live, err := e.db.Run(ctx, ids["demobank-zhangwei"])
	if err != nil {
		t.Fatal(err)
	}
	owner, _, _ := e.db.Lease(ctx, live.ID)
	if live.Status != ferry.RunRunning || owner != "ghost" {
		t.Fatalf("a run with a live lease was taken: %s, owner %q", live.Status, owner)
	}
}

// A bot's own time limit overrides the runner's: a run that would be cut
// off at the runner's default completes under its bot's longer limit, and
// a bot given a shorter one fails.
func TestTimeoutPerBot(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	bank.Set(func(s *sandbox.Switches) { s.SlowPages = 100 * time.Millisecond })
	long := setup(t, t.TempDir(), bank, func(c *runner.Config) {
		c.RunTimeout = time.Second
		c.BotTimeouts = map[string]time.Duration{"demobank-statements": 3 * time.Minute}
	})
	run := long.run(t, "demobank-zhangwei")
	if run.Status != ferry.RunSucceeded {
		t.Fatalf("under the bot's 3 min limit: %s/%s %s, want succeeded", run.Status, run.Class, run.Error)
	}
	if took := run.FinishedAt.Sub(run.StartedAt); took <= time.Second {
		t.Fatalf("the run took %s: too fast to show the runner's 1 s limit was lifted", took)
	}
	short := setup(t, t.TempDir(), bank, func(c *runner.Config) {
		c.MaxAttempts = 1
		c.BotTimeouts = map[string]time.Duration{"demobank-statements": time.Second}
	})
	run = short.run(t, "demobank-zhangwei")
	if run.Status != ferry.RunFailed || run.Class != ferry.ClassSiteUnavailable || !strings.Contains(run.Error, "time limit") {
		t.Fatalf("under the bot's 1 s limit: %s/%s %s, want failed at its time limit as site_unavailable", run.Status, run.Class, run.Error)
	}
	if heals, _ := short.db.Heals(context.Background(), "", ""); len(heals) != 0 {
		t.Fatalf("a run that ran out of time proposed heals: %+v", heals)
	}
}

// A slot that passes while the runner is up but no periodic job fires for
// it (River's leader was changing, or the process was still starting) is
// caught up once. The runner's clock is injected: the slot is one the real
// clock never reaches during the test.
func TestSlotMissedWhileUpIsCaughtUp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var clock atomic.Int64
	clock.Store(time.Date(2026, 10, 21, 2, 59, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	// The bank checks one-time codes on the same clock.
	bank := sandbox.New(sandbox.Options{Seed: 5, Now: now})
	sched := []runner.Schedule{{ID: "nightly-lina", Bot: "demobank-statements", Login: "demobank-lina", Cron: "CRON_TZ=UTC 0 3 * * *"}}
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetScheduleSlot(ctx, db.SQL, "nightly-lina", sched[0].Cron, time.Date(2026, 10, 20, 3, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	e := setup(t, dir, bank, func(c *runner.Config) {
		c.Schedules, c.Now, c.CatchUpEvery = sched, now, 20*time.Millisecond
	})
	if runs, _ := e.db.Runs(ctx, 10); len(runs) != 0 {
		t.Fatalf("at 02:59 the schedule already ran: %+v", runs)
	}
	// 03:00 passes without its periodic job.
	clock.Store(time.Date(2026, 10, 21, 3, 7, 0, 0, time.UTC).UnixNano())
	var runs []storage.RunRecord
	for ctx.Err() == nil {
		runs, _ = e.db.Runs(ctx, 10)
		if len(runs) > 0 && (runs[0].Status == ferry.RunSucceeded || runs[0].Status == ferry.RunFailed) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(runs) != 1 || runs[0].Status != ferry.RunSucceeded {
		t.Fatalf("runs %+v, want one succeeded run for the missed slot", runs)
	}
	if want := time.Date(2026, 10, 21, 3, 0, 0, 0, time.UTC); !runs[0].Slot.Equal(want) || runs[0].Params.From != ferry.NewDate(2026, 10, 20) {
		t.Fatalf("slot %s params %+v, want the 21 October 03:00 slot for the 20th", runs[0].Slot, runs[0].Params)
	}
	// Later checks find the slot taken: still one run.
	last, _, err := e.db.ScheduleLastSlot(ctx, "nightly-lina")
	if err != nil || !last.Equal(runs[0].Slot) {
		t.Fatalf("last slot %s (%v)", last, err)
	}
	if runs, _ = e.db.Runs(ctx, 10); len(runs) != 1 {
		t.Fatalf("%d runs, want 1", len(runs))
	}
}

// fillDisk writes a file in dir until the filesystem is full and returns
// its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	for { // the last bytes
		if _, err := f.Write(buf[:512]); err != nil {
			break
		}
	}
	return path
}

// A full disk fails the run with a clear class, the run is recorded (the
// runner frees its reserve to write it), Wait returns, and once space is
// free the same login runs again. The data directory is a small tmpfs.
func TestDiskFullFailsRunAndFreesLogin(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mounting a tmpfs (needs root): %v %s", err, out)
		}
		t.Skipf("mounting a tmpfs needs root: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	bank := sandbox.New(sandbox.Options{Seed: 5})
	var filler atomic.Value
	var full atomic.Bool
	e := setup(t, dir, bank, func(c *runner.Config) {
		c.MaxAttempts = 1
		c.OnStep = func(id int64, s ferry.Step) {
			// The disk fills up during the run, before its first download.
			if full.CompareAndSwap(false, true) {
				filler.Store(fillDisk(t, dir))
			}
		}
	})
	run := e.run(t, "demobank-lina")
	if run.Status != ferry.RunFailed || run.Class != ferry.ClassResourceExhausted || !strings.Contains(run.Error, "disk full") {
		t.Fatalf("run on a full disk: %s/%s %q, want failed/%s saying disk full", run.Status, run.Class, run.Error, ferry.ClassResourceExhausted)
	}
	if err := os.Remove(filler.Load().(string)); err != nil {
		t.Fatal(err)
	}
	if next := e.run(t, "demobank-lina"); next.Status != ferry.RunSucceeded {
		t.Fatalf("after space was freed the next run: %s/%s %s", next.Status, next.Class, next.Error)
	}
}
