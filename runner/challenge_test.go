package runner_test

// Runs that wait for a person, in real Chromium against the sandbox tax
// portal, on SQLite and PostgreSQL: the answer comes through a second
// handle on the database (as from another process), the QR code is
// confirmed through the sandbox phone, a timeout ends the run cleanly.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
)

type taxEnv struct {
	portal *tax.Portal
	db     *storage.DB
	other  *storage.DB // a second handle: another process's view
	r      *runner.Runner
	base   string // the portal's URL
}

// setupTax starts a runner on dsn ("" for a SQLite file in a temporary
// directory) against a fresh sandbox tax portal.
func setupTax(t *testing.T, dsn string, mod func(*runner.Config)) *taxEnv {
	t.Helper()
	ctx := context.Background()
	portal := tax.New(tax.Options{Seed: 21})
	base, stop, err := portal.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir := t.TempDir()
	if dsn == "" {
		dsn = filepath.Join(dir, "ferry.db")
	}
	db, err := storage.Open(ctx, dsn, filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := storage.Open(ctx, dsn, filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	u := tax.DefaultUsers()[0]
	cfg := runner.Config{DB: db, Browser: browser, Sites: map[string]string{"etax": base}, ScriptsDir: "testdata/scripts",
		Credentials: runner.StaticCredentials{"etax": {Name: "etax", Fields: map[string]string{"user": u.UserName, "password": u.Password}}},
		RetryBase:   300 * time.Millisecond, StepTimeout: 30 * time.Second, ReservePath: "-",
		Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)}
	if mod != nil {
		mod(&cfg)
	}
	r, err := runner.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Stop(sctx)
		other.Close()
		db.Close()
	})
	return &taxEnv{portal: portal, db: db, other: other, r: r, base: base}
}

func (e *taxEnv) enqueue(t *testing.T, login string) int64 {
	t.Helper()
	id, err := e.r.Enqueue(context.Background(), runner.Request{Bot: "etax-login", Login: "etax",
		Params: ferry.RunParams{Values: map[string]string{"login": login, "taxid": tax.Home().TaxID}}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitChallenge waits (up to 2 min) on the other handle for the run's
// challenge number seq to be pending.
func (e *taxEnv) waitChallenge(t *testing.T, run int64, seq int) ferry.Challenge {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		c, err := e.other.LatestChallenge(ctx, run)
		if err == nil && c.Seq == seq && c.State == ferry.ChallengePending {
			return c
		}
		r, err := e.other.Run(ctx, run)
		if err == nil && (r.Status == ferry.RunFailed || r.Status == ferry.RunSucceeded) {
			t.Fatalf("run %d ended (%s %s: %s) before asking", run, r.Status, r.Class, r.Error)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("run %d never asked (challenge %d)", run, seq)
	return ferry.Challenge{}
}

func (e *taxEnv) wait(t *testing.T, id int64) storage.RunRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	run, err := e.r.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func smsCode(t *testing.T, p *tax.Portal) string {
	t.Helper()
	s, err := p.LastSMS("zhangwei")
	if err != nil {
		t.Fatal(err)
	}
	return s.Code
}

func testSMSAnsweredElsewhere(t *testing.T, dsn string) {
	notices := make(chan runner.WaitNotice, 4)
	bodies := make(chan string, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n runner.WaitNotice
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &n); err != nil {
			t.Errorf("notice: %v: %s", err, body)
		}
		bodies <- string(body)
		notices <- n
	}))
	defer hook.Close()
	e := setupTax(t, dsn, func(c *runner.Config) { c.Challenges.NotifyURL = hook.URL })
	ctx := context.Background()
	id := e.enqueue(t, "login")
	c := e.waitChallenge(t, id, 1)
	run, err := e.other.Run(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got := service.RunState(ctx, e.other, run); got != ferry.RunWaiting {
		t.Fatalf("state %s, want %s", got, ferry.RunWaiting)
	}
	if c.Kind != ferry.ChallengeSMS || c.Destination != "138****5678" || c.AttemptsLeft != 5 || c.Bot != "etax-login" {
		t.Fatalf("challenge %+v", c)
	}
	select {
	case n := <-notices:
		if n.RunID != id || n.Kind != "sms_code" || n.Destination != "138****5678" || n.Bot != "etax-login" || n.Event != "waiting_for_input" || n.Deadline.IsZero() {
			t.Fatalf("notice %+v", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no wait notice")
	}
	code := smsCode(t, e.portal)
	if b := <-bodies; strings.Contains(b, code) {
		t.Fatalf("the notice carries the code: %s", b)
	}
	res, err := service.Answer(ctx, e.other, id, code, "cli")
	if err != nil || !res.First {
		t.Fatalf("answer: %+v %v", res, err)
	}
	// Answering again with the same code: idempotent.
	if res, err := service.Answer(ctx, e.other, id, code, "cli"); err != nil || res.First {
		t.Fatalf("answer again: %+v %v", res, err)
	}
	run = e.wait(t, id)
	if run.Status != ferry.RunSucceeded {
		t.Fatalf("run %s %s: %s", run.Status, run.Class, run.Error)
	}
	got, err := e.other.Challenge(ctx, c.ID)
	if err != nil || got.State != ferry.ChallengeUsed || got.Sealed != nil || got.AnsweredBy != "cli" {
		t.Fatalf("challenge after the run: %+v %v", got, err)
	}
	// A late answer is refused, saying the challenge was used.
	_, err = service.Answer(ctx, e.other, id, "000000", "cli")
	if !errors.Is(err, ferry.ErrChallengeClosed) || !strings.Contains(err.Error(), "was answered and used") || strings.Contains(err.Error(), "000000") {
		t.Fatalf("late answer: %v", err)
	}
	steps, _, err := e.other.Steps(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if strings.Contains(s.Detail, code) {
			t.Fatalf("the code is in step %+v", s)
		}
	}
}

func TestChallengeSMSAnsweredElsewhereSQLite(t *testing.T) { testSMSAnsweredElsewhere(t, "") }

func TestChallengeSMSAnsweredElsewherePostgres(t *testing.T) {
	testSMSAnsweredElsewhere(t, pg.Database(t))
}

func TestChallengeTwoWrongCodesThenTheRight(t *testing.T) {
	e := setupTax(t, "", nil)
	ctx := context.Background()
	id := e.enqueue(t, "login")
	for seq := 1; seq <= 3; seq++ {
		c := e.waitChallenge(t, id, seq)
		code := smsCode(t, e.portal)
		if seq < 3 {
			if code == "999999" {
				code = "999998"
			} else {
				code = "999999"
			}
			if seq == 2 {
				code = "888888"
			}
		}
		if seq > 1 && (c.AttemptsLeft != 6-seq || !strings.Contains(c.Message, "短信验证码错误")) {
			t.Fatalf("challenge %d: attempts %d, message %q", seq, c.AttemptsLeft, c.Message)
		}
		if _, err := service.Answer(ctx, e.other, id, code, "cli"); err != nil {
			t.Fatal(err)
		}
	}
	run := e.wait(t, id)
	if run.Status != ferry.RunSucceeded {
		t.Fatalf("run %s %s: %s", run.Status, run.Class, run.Error)
	}
	if st := e.portal.Stats(); st.WrongCodes != 2 || st.LockedAccounts != 0 {
		t.Fatalf("portal: %d wrong codes, %d locked", st.WrongCodes, st.LockedAccounts)
	}
	all, _ := e.other.Challenges(ctx, id)
	if len(all) != 3 {
		t.Fatalf("%d challenges, want 3", len(all))
	}
	for _, c := range all {
		if c.State != ferry.ChallengeUsed {
			t.Fatalf("challenge %d is %s, want used", c.Seq, c.State)
		}
	}
}

func TestChallengeQRConfirmedOnThePhone(t *testing.T) {
	e := setupTax(t, "", nil)
	ctx := context.Background()
	id := e.enqueue(t, "login/qr")
	c := e.waitChallenge(t, id, 1)
	if c.Kind != ferry.ChallengeQR || len(c.Screenshot) < 100 || string(c.Screenshot[1:4]) != "PNG" {
		t.Fatalf("QR challenge: kind %s, %d bytes of screenshot", c.Kind, len(c.Screenshot))
	}
	if _, err := service.Answer(ctx, e.other, id, "ok", "cli"); !errors.Is(err, service.ErrNotTyped) {
		t.Fatalf("typed answer to a QR: %v", err)
	}
	// The person scans with the tax app and confirms, through the
	// sandbox phone's loopback endpoints.
	base := e.base
	for _, path := range []string{"/_sandbox/phone/scan?user=zhangwei", "/_sandbox/phone/confirm"} {
		resp, err := http.Post(base+path, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s", path, resp.Status)
		}
	}
	run := e.wait(t, id)
	if run.Status != ferry.RunSucceeded {
		t.Fatalf("run %s %s: %s", run.Status, run.Class, run.Error)
	}
	got, _ := e.other.Challenge(ctx, c.ID)
	if got.State != ferry.ChallengeUsed {
		t.Fatalf("QR challenge %s, want used", got.State)
	}
}

func TestChallengeTimeout(t *testing.T) {
	// The deadline is injected: a run waits 1.5 s, not the code's 5 min.
	e := setupTax(t, "", func(c *runner.Config) { c.Challenges.MaxWait = 1500 * time.Millisecond })
	ctx := context.Background()
	id := e.enqueue(t, "login")
	c := e.waitChallenge(t, id, 1)
	run := e.wait(t, id)
	if run.Status != ferry.RunFailed || run.Class != ferry.ClassInputTimeout || !strings.Contains(run.Error, "nobody answered") {
		t.Fatalf("run %s %s: %s", run.Status, run.Class, run.Error)
	}
	got, _ := e.other.Challenge(ctx, c.ID)
	if got.State != ferry.ChallengeExpired {
		t.Fatalf("challenge %s, want expired", got.State)
	}
	var ce *ferry.ClosedError
	if _, err := service.Answer(ctx, e.other, id, smsCode(t, e.portal), "cli"); !errors.As(err, &ce) || ce.State != ferry.ChallengeExpired {
		t.Fatalf("late answer: %v", err)
	}
	arts, _ := e.other.Artifacts(ctx, id)
	for _, a := range arts {
		if a.Kind == "download" {
			t.Fatalf("a timed-out run stored %s", a.Name)
		}
	}
	if st := e.portal.Stats(); st.WrongCodes != 0 {
		t.Fatalf("the portal saw %d codes", st.WrongCodes)
	}
}

// TestChallengeAnswerLatency measures the time from an answer recorded by
// another handle (as `ferry runs answer` does) to the portal seeing the
// code: the run resumed, typed it and submitted it. Median of 10 runs.
func TestChallengeAnswerLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("10 logins")
	}
	logs := &syncBuffer{}
	e := setupTax(t, "", func(c *runner.Config) { c.Logger = zerolog.New(logs).Level(zerolog.InfoLevel) })
	ctx := context.Background()
	var mu sync.Mutex
	var took []time.Duration
	for i := range 10 {
		id := e.enqueue(t, "login")
		e.waitChallenge(t, id, 1)
		code := smsCode(t, e.portal)
		before := len(e.portal.Events())
		start := time.Now()
		if _, err := service.Answer(ctx, e.other, id, code, "cli"); err != nil {
			t.Fatal(err)
		}
		// The portal records a session once the code is accepted.
		var at time.Time
		for at.IsZero() && time.Since(start) < time.Minute {
			for _, ev := range e.portal.Events()[before:] {
				if ev.Kind == "session" {
					at = ev.At
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
		if at.IsZero() {
			t.Fatalf("run %d: the portal never saw the code", i)
		}
		mu.Lock()
		took = append(took, at.Sub(start))
		mu.Unlock()
		if run := e.wait(t, id); run.Status != ferry.RunSucceeded {
			t.Fatalf("run %s %s: %s", run.Status, run.Class, run.Error)
		}
	}
	var resumed []time.Duration
	for _, line := range strings.Split(logs.String(), "\n") {
		var v struct {
			Message string  `json:"message"`
			Resumed float64 `json:"resumed_after"` // ms
		}
		if json.Unmarshal([]byte(line), &v) == nil && v.Message == "answered" {
			resumed = append(resumed, time.Duration(v.Resumed*float64(time.Millisecond)))
		}
	}
	if len(resumed) != 10 {
		t.Fatalf("%d answers taken, want 10", len(resumed))
	}
	sort.Slice(resumed, func(i, j int) bool { return resumed[i] < resumed[j] })
	t.Logf("answer committed to run resumed (took it), 10 runs: median %s, min %s, max %s", (resumed[4]+resumed[5])/2, resumed[0], resumed[9])
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	t.Logf("answer to resume (portal accepted the code), 10 runs: median %s, min %s, max %s", (took[4]+took[5])/2, took[0], took[9])
}

// Codes from machines: a URL polled while the run waits (here the sandbox
// phone), and an SMS gateway calling the webhook.
func TestChallengeCodeFromPolledURL(t *testing.T) {
	e2 := setupTax(t, "", func(c *runner.Config) {
		c.Challenges.PollEvery = 200 * time.Millisecond
		c.Challenges.CodePattern = regexp.MustCompile(`"code":"(\d{6})"`)
		// The sandbox phone's inbox, on the portal's own address.
		c.Challenges.PollURL = c.Sites["etax"] + "/_sandbox/phone?user=zhangwei"
	})
	id := e2.enqueue(t, "login")
	run := e2.wait(t, id)
	if run.Status != ferry.RunSucceeded {
		t.Fatalf("run %s %s: %s", run.Status, run.Class, run.Error)
	}
	c, err := e2.other.LatestChallenge(context.Background(), id)
	if err != nil || c.AnsweredBy != "poll" || c.State != ferry.ChallengeUsed {
		t.Fatalf("challenge %+v %v", c, err)
	}
}

func TestChallengeCodeFromSMSWebhook(t *testing.T) {
	e := setupTax(t, "", nil)
	gateway := httptest.NewServer(service.ChallengeHandler(service.ChallengeHTTP{Store: e.other, Secret: "gw", Wake: e.r.Wake}))
	defer gateway.Close()
	id := e.enqueue(t, "login")
	e.waitChallenge(t, id, 1)
	sms, err := e.portal.LastSMS("zhangwei")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"to": "+86" + sms.Phone, "text": sms.Text})
	req, _ := http.NewRequest(http.MethodPost, gateway.URL+"/sms", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer gw")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webhook: %s", resp.Status)
	}
	run := e.wait(t, id)
	if run.Status != ferry.RunSucceeded {
		t.Fatalf("run %s %s: %s", run.Status, run.Class, run.Error)
	}
	c, _ := e.other.LatestChallenge(context.Background(), id)
	if c.AnsweredBy != "webhook" || c.State != ferry.ChallengeUsed {
		t.Fatalf("challenge %+v", c)
	}
}
