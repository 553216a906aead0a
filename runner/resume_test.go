package runner_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/rs/zerolog"
)

// The bank logs the bot out after the first account. The run fails as
// session expired, is retried, logs in again and resumes with the next
// account: no account is downloaded twice, no record is lost.
func TestSessionExpiryResumes(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64
	bank := sandbox.New(sandbox.Options{Seed: 5, Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	bank.Set(func(s *sandbox.Switches) { s.IdleExpiry = 5 * time.Minute })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if bank.Stats().Downloads >= 3 {
				offset.Store(int64(10 * time.Minute)) // ten idle minutes pass at once
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	// Steps get time enough that only the session's expiry fails an
	// attempt: under -race on a busy machine, the sandbox renders a PDF
	// in 3–4 s, and a download that outlasts the step would add an attempt.
	e := setup(t, t.TempDir(), bank, func(c *runner.Config) { c.StepTimeout = 30 * time.Second })
	run := e.run(t, "demobank-zhangwei")
	if run.Status != ferry.RunSucceeded || run.Attempt != 2 {
		t.Fatalf("got %s after %d attempts (%s %s), want success on attempt 2", run.Status, run.Attempt, run.Class, run.Error)
	}
	if n := bank.Stats().Downloads; n != 9 {
		t.Fatalf("bank served %d downloads, want 9 (3 accounts × 3 formats, none twice)", n)
	}
	steps, attempts, _ := e.db.Steps(context.Background(), run.ID)
	sawExpiry := false
	for i, s := range steps {
		if attempts[i] == 1 && strings.Contains(s.Detail, "session_expired") {
			sawExpiry = true
		}
	}
	if !sawExpiry {
		t.Fatal("first attempt's trace does not show the session expiry")
	}
	want := 0
	for _, a := range sandbox.DefaultUsers()[0].Accounts {
		st, _ := bank.Statement(a, ferry.NewDate(2026, 10, 1), ferry.NewDate(2026, 10, 31))
		want += len(st.Lines)
	}
	if got := waitLines(t, e.jsonl, want); got != want {
		t.Fatalf("delivered %d records, want %d", got, want)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// Two runs of one bot with one login never overlap, even with free
// workers; logs carry run id, bot and step, and never a credential.
func TestOneRunPerLoginAtATime(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 5})
	var logs syncBuffer
	e := setup(t, t.TempDir(), bank, func(c *runner.Config) {
		c.Workers = 3
		c.Logger = zerolog.New(&logs).Level(zerolog.DebugLevel)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var ids []int64
	for i := 0; i < 2; i++ {
		id, err := e.r.Enqueue(ctx, runner.Request{Bot: "demobank-statements", Login: "demobank-lina",
			Params: ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 15)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	a, err := e.r.Wait(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.r.Wait(ctx, ids[1])
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != ferry.RunSucceeded || b.Status != ferry.RunSucceeded {
		t.Fatalf("runs: %s %s / %s %s", a.Status, a.Error, b.Status, b.Error)
	}
	if a.StartedAt.Before(b.FinishedAt) && b.StartedAt.Before(a.FinishedAt) {
		t.Fatalf("runs overlapped: %s–%s and %s–%s", a.StartedAt, a.FinishedAt, b.StartedAt, b.FinishedAt)
	}
	out := logs.String()
	for _, secret := range []string{"Ferry#Totp2026", sandbox.DemoTOTPSecret} {
		if strings.Contains(out, secret) {
			t.Fatalf("a credential reached the log")
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(line, `"action"`) && !(strings.Contains(line, `"run_id"`) && strings.Contains(line, `"bot"`) && strings.Contains(line, `"step"`)) {
			t.Fatalf("step log line without run id, bot and step: %s", line)
		}
	}
}
