package runner_test

// Logins kept between runs, through the runner, in real Chromium against
// the sandbox tax portal: a saved login restored with no SMS asked for,
// and a saved login tampered with or sealed under another key refused,
// then a fresh login (which the portal answers with an SMS).

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/internal/seal"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/go-rod/rod/lib/proto"
	"github.com/rs/zerolog"
)

// logBuffer collects the runner's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type loginEnv struct {
	p    *tax.Portal
	base string
	db   *storage.DB
	r    *runner.Runner
	keys *seal.Keyring
	logs *logBuffer
	user tax.User
	key  string // the login's LoginKey
	// clock is the portal's: real time, shifted by the test.
	clock *portalClock
}

// portalClock is the wall clock moved forward by the test.
type portalClock struct {
	mu    sync.Mutex
	shift time.Duration
}

func (c *portalClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.shift)
}

func (c *portalClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shift += d
}

func setupLoginTax(t *testing.T, keys *seal.Keyring, mod func(*runner.Config)) *loginEnv {
	t.Helper()
	ctx := context.Background()
	clk := &portalClock{}
	p := tax.New(tax.Options{Seed: 5, Now: clk.now})
	base, stop, err := p.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir := t.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	cfg := runner.Config{DB: db, Browser: browser, Sites: map[string]string{"etax": base}, Credentials: runner.StaticCredentials(tax.Credentials()),
		ScriptsDir: "testdata/loginstate", SelectorsDir: "testdata/loginstate", LoginKeys: keys,
		StepTimeout: 20 * time.Second, ReservePath: "-", Logger: zerolog.New(zerolog.MultiLevelWriter(logs, zerolog.NewTestWriter(t))).Level(zerolog.InfoLevel)}
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
		db.Close()
	})
	u := tax.DefaultUsers()[1]
	return &loginEnv{p: p, base: base, db: db, r: r, keys: keys, logs: logs, user: u, key: ferry.LoginKey("etax", u.UserName), clock: clk}
}

func (e *loginEnv) run(t *testing.T) ferry.RunRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	id, err := e.r.Enqueue(ctx, runner.Request{Bot: "etax-login", Login: "etax-" + e.user.UserName})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.r.Wait(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// saveFirstLogin logs in with the SMS code from the sandbox phone in a
// context of the test's own (a script cannot type it before the challenge
// step lands), and stores the state sealed under keys, as a run would.
func (e *loginEnv) saveFirstLogin(t *testing.T, keys *seal.Keyring) {
	t.Helper()
	inc, err := browser.Rod().Incognito()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = inc.Close() }()
	page, err := inc.Page(proto.TargetCreateTarget{URL: e.base + "/login"})
	if err != nil {
		t.Fatal(err)
	}
	pg := page.Timeout(30 * time.Second)
	step := func(sel, text string) {
		t.Helper()
		el, err := pg.Element(sel)
		if err == nil && text != "" {
			err = el.Input(text)
		} else if err == nil {
			err = el.Click(proto.InputMouseButtonLeft, 1)
		}
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
	}
	step("#nsrsbh", e.user.TaxID)
	step("#account", e.user.UserName)
	step("#password", e.user.Password)
	step("#login-btn", "")
	if _, err := pg.Element("#sms-code"); err != nil {
		t.Fatal(err)
	}
	sms, err := e.p.LastSMS(e.user.UserName)
	if err != nil {
		t.Fatal(err)
	}
	step("#sms-code", sms.Code)
	step("#sms-btn", "")
	// Visible: with the portal's ClientStore on, once its page script has
	// stored the session's token in sessionStorage and IndexedDB.
	if el, err := pg.Element("#role"); err != nil {
		t.Fatal(err)
	} else if err := el.WaitVisible(); err != nil {
		t.Fatal(err)
	}
	st, err := bots.Capture(inc, page, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	plain, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.SaveLoginState(context.Background(), ferry.LoginState{Key: e.key, Site: "etax", Credential: "etax-" + e.user.UserName, Bot: "etax-login",
		Sealed: keys.Seal(plain, []byte(e.key)), SealKey: keys.KeyID(), SavedAt: time.Now(), SecondFactorAt: time.Now(), TrustDeclared: 7 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
}

func TestRunnerRestoresSavedLoginWithoutSMS(t *testing.T) {
	keys, _ := seal.Parse(seal.NewKey())
	e := setupLoginTax(t, keys, nil)
	e.saveFirstLogin(t, keys)
	before := e.p.Stats()
	run := e.run(t)
	after := e.p.Stats()
	if run.Status != ferry.RunSucceeded {
		t.Fatalf("run %s: %s %s", run.Status, run.Class, run.Error)
	}
	if after.SMSSent != before.SMSSent || after.LoginAttempts != before.LoginAttempts {
		t.Fatalf("the restored run logged in again: before %+v after %+v", before, after)
	}
	s, err := e.db.LoginState(context.Background(), e.key)
	if err != nil {
		t.Fatal(err)
	}
	if s.RunID != run.ID || s.LastValidAt.IsZero() || !keys.Current(s.Sealed) || s.TrustDeclared != 7*24*time.Hour {
		t.Fatalf("the run did not keep its login: %+v", s)
	}
	if bytes.Contains(s.Sealed, []byte("ETAX_SESSION")) {
		t.Fatal("the saved login is stored in clear text")
	}
	// The next run restores what this one saved.
	if run := e.run(t); run.Status != ferry.RunSucceeded || e.p.Stats().LoginAttempts != before.LoginAttempts {
		t.Fatalf("second restore: %s %s, stats %+v", run.Status, run.Error, e.p.Stats())
	}
}

func TestRunnerRefusesTamperedOrForeignLogin(t *testing.T) {
	for _, c := range []struct {
		name, want string
		spoil      func(e *loginEnv, t *testing.T)
	}{
		{"tampered", "fails authentication", func(e *loginEnv, t *testing.T) {
			s, err := e.db.LoginState(context.Background(), e.key)
			if err != nil {
				t.Fatal(err)
			}
			s.Sealed[len(s.Sealed)-10] ^= 0x40
			if err := e.db.SaveLoginState(context.Background(), s); err != nil {
				t.Fatal(err)
			}
		}},
		{"another key", "which this process does not hold", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			keys, _ := seal.Parse(seal.NewKey())
			e := setupLoginTax(t, keys, nil)
			if c.spoil != nil {
				e.saveFirstLogin(t, keys)
				c.spoil(e, t)
			} else {
				other, _ := seal.Parse(seal.NewKey())
				e.saveFirstLogin(t, other)
			}
			before := e.p.Stats()
			run := e.run(t)
			after := e.p.Stats()
			// Refused, then a fresh login: the portal asks for an SMS
			// code, which the script cannot type yet.
			if run.Status != ferry.RunFailed || run.Class != ferry.ClassInputNeeded {
				t.Fatalf("run %s %s %s", run.Status, run.Class, run.Error)
			}
			if after.LoginAttempts != before.LoginAttempts+1 || after.SMSSent != before.SMSSent+1 {
				t.Fatalf("want one fresh login asking one SMS: before %+v after %+v", before, after)
			}
			logs := e.logs.String()
			if !strings.Contains(logs, "saved login refused") || !strings.Contains(logs, c.want) || !strings.Contains(logs, "logging in fresh") {
				t.Fatalf("no clear refusal in the log:\n%s", logs)
			}
			for _, secret := range []string{e.user.Password, "ETAX_SESSION"} {
				if strings.Contains(logs, secret) {
					t.Fatalf("the log shows %q", secret)
				}
			}
		})
	}
}

// TestRunnerTrustWindowExpiryThenSMS: eight days after the SMS login the
// portal has ended the session and its seven-day trust: the restored
// login is found logged out, the fresh login is asked for an SMS again,
// and the login records the window's observed end, keeping its state.
func TestRunnerTrustWindowExpiryThenSMS(t *testing.T) {
	keys, _ := seal.Parse(seal.NewKey())
	e := setupLoginTax(t, keys, nil)
	e.saveFirstLogin(t, keys)
	ctx := context.Background()
	saved, err := e.db.LoginState(ctx, e.key)
	if err != nil {
		t.Fatal(err)
	}
	e.p.Set(func(s *tax.Switches) { s.IdleExpiry = 30 * time.Minute })
	e.clock.add(8 * 24 * time.Hour)
	before := e.p.Stats()
	run := e.run(t)
	after := e.p.Stats()
	if run.Status != ferry.RunFailed || run.Class != ferry.ClassInputNeeded {
		t.Fatalf("run %s %s %s", run.Status, run.Class, run.Error)
	}
	if after.SMSSent != before.SMSSent+1 {
		t.Fatalf("want an SMS asked again: before %+v after %+v", before, after)
	}
	if !strings.Contains(e.logs.String(), "the saved login is no longer valid") {
		t.Fatal("the expired login was not reported")
	}
	s, err := e.db.LoginState(ctx, e.key)
	if err != nil {
		t.Fatal(err)
	}
	if s.ObservedExpiry.IsZero() || !bytes.Equal(s.Sealed, saved.Sealed) || s.RunID != saved.RunID {
		t.Fatalf("after the wall: %+v", s)
	}
}
