package runner_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

// resendEnv is a runner of the etax-resend test bot against a sandbox
// tax portal whose clock the test moves, with the HTTP answer API.
type resendEnv struct {
	portal *tax.Portal
	clock  *portalClock
	e      *taxEnv
	api    string // the answer API's base URL
}

func setupResend(t *testing.T) *resendEnv {
	t.Helper()
	ctx := context.Background()
	clk := &portalClock{}
	portal := tax.New(tax.Options{Seed: 23, Now: clk.now})
	// Every login asks a code: no trusted device.
	portal.Set(func(s *tax.Switches) { s.TrustDays = 0 })
	base, stop, err := portal.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir := t.TempDir()
	dsn := filepath.Join(dir, "ferry.db")
	db, err := storage.Open(ctx, dsn, filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := storage.Open(ctx, dsn, filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	u := tax.DefaultUsers()[0]
	r, err := runner.New(ctx, runner.Config{DB: db, Browser: browser, Sites: map[string]string{"etax": base},
		ScriptsDir: "testdata/etaxresend", SelectorsDir: "testdata/etaxresend",
		Credentials: runner.StaticCredentials{"etax": {Name: "etax", Fields: map[string]string{"user": u.UserName, "password": u.Password}}},
		RetryBase:   300 * time.Millisecond, StepTimeout: 30 * time.Second, ReservePath: "-",
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(service.ChallengeHandler(service.ChallengeHTTP{Store: other, Secret: "ops", Wake: r.Wake}))
	t.Cleanup(func() {
		api.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Stop(sctx)
		other.Close()
		db.Close()
	})
	return &resendEnv{portal: portal, clock: clk, e: &taxEnv{portal: portal, db: db, other: other, r: r, base: base}, api: api.URL}
}

func (e *resendEnv) enqueue(t *testing.T) int64 {
	t.Helper()
	id, err := e.e.r.Enqueue(context.Background(), runner.Request{Bot: "etax-resend", Login: "etax",
		Params: ferry.RunParams{Values: map[string]string{"taxid": tax.Home().TaxID}}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// resendHTTP asks for a new code through the HTTP answer API.
func (e *resendEnv) resendHTTP(t *testing.T, run int64) service.AnswerResult {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.api+"/runs/"+itoa64(run)+"/resend", nil)
	req.Header.Set("Authorization", "Bearer ops")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res service.AnswerResult
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("resend over HTTP: %s %v", resp.Status, err)
	}
	return res
}

func itoa64(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func (e *resendEnv) sms(t *testing.T) tax.SMS {
	t.Helper()
	s, err := e.portal.LastSMS("zhangwei")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestChallengeResend: no code arrived, the person asks for a new one over
// HTTP while the portal's cooldown still runs: the run waits the seconds
// the portal states, gets a new code sent and asks again; that code then
// expires before it is typed: the run asks for a new one by itself (no
// attempt counted), and the third code logs in. A second run asks for new
// codes until the script's bound (resends: 2) and then ends, cleanly.
func TestChallengeResend(t *testing.T) {
	e := setupResend(t)
	ctx := context.Background()
	id := e.enqueue(t)
	e.e.waitChallenge(t, id, 1)
	first := e.sms(t)
	// 50 of the portal's 60 s cooldown have passed; the script's own
	// resend_after (4 s) is waited first, then what the portal states.
	e.clock.add(50 * time.Second)
	if res := e.resendHTTP(t, id); !res.First || !res.Resend {
		t.Fatalf("resend: %+v", res)
	}
	// Asking again for the same challenge changes nothing.
	if res, err := service.Resend(ctx, e.e.other, id, "cli"); err != nil || res.First {
		t.Fatalf("resend again: %+v %v", res, err)
	}
	c2 := e.e.waitChallenge(t, id, 2)
	second := e.sms(t)
	if second.Code == first.Code && second.Sent.Equal(first.Sent) {
		t.Fatal("no new code was sent")
	}
	if !strings.Contains(c2.Message, "a new code was sent") {
		t.Fatalf("challenge 2 message %q", c2.Message)
	}
	// The second code expires (5 min on the portal's clock) before the
	// person types it.
	e.clock.add(6 * time.Minute)
	if _, err := service.Answer(ctx, e.e.other, id, second.Code, "cli"); err != nil {
		t.Fatal(err)
	}
	c3 := e.e.waitChallenge(t, id, 3)
	if !strings.Contains(c3.Message, "expired") || c3.AttemptsLeft != 5 {
		t.Fatalf("challenge 3: message %q, attempts %d", c3.Message, c3.AttemptsLeft)
	}
	if _, err := service.Answer(ctx, e.e.other, id, e.sms(t).Code, "cli"); err != nil {
		t.Fatal(err)
	}
	run := e.e.wait(t, id)
	if run.Status != ferry.RunSucceeded {
		t.Fatalf("run %s %s: %s", run.Status, run.Class, run.Error)
	}
	st := e.portal.Stats()
	if st.SMSSent != 3 || st.WrongCodes != 0 || st.LockedAccounts != 0 {
		t.Fatalf("portal stats %+v, want 3 codes sent and none wrong", st)
	}
	steps, _, err := e.e.other.Steps(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var declared, cooldown, sent bool
	for _, s := range steps {
		// resend_after: 4s in the script: never clicked sooner.
		declared = declared || strings.Contains(s.Detail, "for the portal's cooldown before a new code")
		cooldown = cooldown || strings.Contains(s.Detail, "too soon")
		sent = sent || strings.Contains(s.Detail, "a new code was sent (2 of at most 2)")
	}
	if !declared || !cooldown || !sent {
		t.Fatalf("the trace does not show the declared cooldown (%v), the portal's (%v) and the second new code (%v)", declared, cooldown, sent)
	}

	// Bounded: a third new code is not asked for.
	id = e.enqueue(t)
	for seq := 1; seq <= 3; seq++ {
		e.e.waitChallenge(t, id, seq)
		e.clock.add(61 * time.Second) // past the cooldown: no wait
		if _, err := service.Resend(ctx, e.e.other, id, "cli"); err != nil {
			t.Fatal(err)
		}
	}
	run = e.e.wait(t, id)
	if run.Status != ferry.RunFailed || run.Class != ferry.ClassInputNeeded || !strings.Contains(run.Error, "asked for 2 new codes already") {
		t.Fatalf("run %s %s: %s", run.Status, run.Class, run.Error)
	}
	if st := e.portal.Stats(); st.SMSSent != 6 {
		t.Fatalf("portal sent %d codes in all, want 6", st.SMSSent)
	}
}
