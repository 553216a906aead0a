package runner_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/seal"
	"github.com/ferry-rpa/ferry/runner"
)

var shanghai = time.FixedZone("CST", 8*3600)

func TestPlanRefreshInWorkingHours(t *testing.T) {
	// The second factor on Wednesday 2026-11-04 02:10 (a nightly run),
	// seven days declared: the window ends Wednesday 11-11 02:10.
	sms := time.Date(2026, 11, 4, 2, 10, 0, 0, shanghai)
	s := ferry.LoginState{SecondFactorAt: sms, TrustDeclared: 7 * 24 * time.Hour}
	p := runner.RefreshPolicy{Schedule: true, Location: shanghai}
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, shanghai) }
	for _, c := range []struct {
		name   string
		now    time.Time
		policy runner.RefreshPolicy
		state  runner.TrustState
		plan   time.Time
		login  *ferry.LoginState // default s
	}{
		// 48 h before: Monday 02:10; the first working moment is 09:00.
		{"well inside", at(5, 12, 0), p, runner.TrustOK, at(9, 9, 0), nil},
		{"warning at night", at(9, 2, 10), p, runner.TrustEnding, at(9, 9, 0), nil},
		{"warning in working hours", at(9, 10, 30), p, runner.TrustEnding, at(9, 10, 30), nil},
		{"after hours on the last day", at(10, 18, 0), p, runner.TrustEnding, time.Time{}, nil},
		{"over", at(11, 3, 0), p, runner.TrustExpired, time.Time{}, nil},
		// A weekend in between: warned Friday night for a Monday-night
		// end (window of 4 days declared from Thursday night).
		// Saturday and Sunday are skipped.
		{"weekend", at(6, 23, 0), runner.RefreshPolicy{Location: shanghai, WarnBefore: 72 * time.Hour}, runner.TrustEnding, at(9, 9, 0),
			&ferry.LoginState{SecondFactorAt: at(5, 23, 0), TrustDeclared: 4 * 24 * time.Hour}}, // ends Monday 11-09 23:00
	} {
		t.Run(c.name, func(t *testing.T) {
			st := s
			if c.login != nil {
				st = *c.login
			}
			got := runner.PlanRefresh(st, c.now, c.policy)
			if got.State != c.state || !got.At.Equal(c.plan) {
				t.Fatalf("plan %+v, want %s at %v", got, c.state, c.plan)
			}
		})
	}
	if got := runner.PlanRefresh(ferry.LoginState{TrustDeclared: time.Hour}, at(5, 1, 0), p); got.State != runner.TrustUnknown {
		t.Fatalf("no second factor seen: %+v", got)
	}
	if err := (runner.RefreshPolicy{WorkStart: 18, WorkEnd: 9}).Check(); err == nil {
		t.Fatal("working hours ending before they start accepted")
	}
}

// TestRefreshLoginQueuedOnceInWorkingHours: with the runner's clock at
// 02:00 inside the warning period it only warns; at 09:30 it queues one
// refresh login, which ignores the saved state and logs in fresh (the
// portal asks for its SMS: a person is at work to answer it).
func TestRefreshLoginQueuedOnceInWorkingHours(t *testing.T) {
	keys, _ := seal.Parse(seal.NewKey())
	var mu sync.Mutex
	now := time.Date(2026, 11, 9, 2, 0, 0, 0, shanghai) // Monday
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := setupLoginTax(t, keys, func(c *runner.Config) {
		c.Now = clock
		c.Refresh = runner.RefreshPolicy{Schedule: true, Location: shanghai, CheckEvery: time.Hour}
	})
	e.saveFirstLogin(t, keys)
	ctx := context.Background()
	s, err := e.db.LoginState(ctx, e.key)
	if err != nil {
		t.Fatal(err)
	}
	// The SMS was done Wednesday 11-04 at 02:10: the window ends Wednesday.
	s.SecondFactorAt = time.Date(2026, 11, 4, 2, 10, 0, 0, shanghai)
	if err := e.db.SaveLoginState(ctx, s); err != nil {
		t.Fatal(err)
	}
	notes, err := e.r.CheckLogins(ctx)
	if err != nil || len(notes) != 0 {
		t.Fatalf("Monday, two days before: %+v %v", notes, err)
	}
	mu.Lock()
	now = time.Date(2026, 11, 10, 2, 30, 0, 0, shanghai) // Tuesday night, 23h40 left
	mu.Unlock()
	notes, err = e.r.CheckLogins(ctx)
	if err != nil || len(notes) != 1 || notes[0].RefreshRun != 0 || !notes[0].Plan.At.Equal(time.Date(2026, 11, 10, 9, 0, 0, 0, shanghai)) {
		t.Fatalf("at night: %+v %v", notes, err)
	}
	if !strings.Contains(e.logs.String(), "a refresh login is planned") {
		t.Fatal("no warning logged")
	}
	mu.Lock()
	now = time.Date(2026, 11, 10, 9, 30, 0, 0, shanghai)
	mu.Unlock()
	before := e.p.Stats()
	notes, err = e.r.CheckLogins(ctx)
	if err != nil || len(notes) != 1 || notes[0].RefreshRun == 0 {
		t.Fatalf("in working hours: %+v %v", notes, err)
	}
	again, err := e.r.CheckLogins(ctx)
	if err != nil || len(again) != 1 || again[0].RefreshRun != 0 {
		t.Fatalf("a second refresh for one plan: %+v %v", again, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	run, err := e.r.Wait(wctx, notes[0].RefreshRun)
	if err != nil {
		t.Fatal(err)
	}
	if run.Login != "etax-lina" || run.Bot != "etax-login" || run.Class != ferry.ClassInputNeeded {
		t.Fatalf("refresh run %+v", run)
	}
	if after := e.p.Stats(); after.SMSSent != before.SMSSent+1 {
		t.Fatalf("the refresh login restored the saved state instead of asking the SMS: %+v", after)
	}
	if !strings.Contains(e.logs.String(), "refresh login: the saved login is not restored") {
		t.Fatal("the refresh run restored the saved login")
	}
}
