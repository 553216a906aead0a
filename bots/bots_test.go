package bots_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/scripts"
	"github.com/ferry-rpa/ferry/selectors"
	"github.com/rs/zerolog"
)

var browser *bots.Browser

func TestMain(m *testing.M) {
	ctx := context.Background()
	var err error
	browser, err = bots.Launch(ctx, bots.BrowserOptions{Logger: zerolog.Nop()})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bots tests need Chromium:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = browser.Close()
	os.Exit(code)
}

func serve(t *testing.T, bank *sandbox.Bank) string {
	t.Helper()
	u, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return u
}

func job(t testing.TB, base string, user sandbox.User, accounts ...string) bots.Job {
	t.Helper()
	s, sel, err := scripts.Load("", "", "demobank-statements")
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]string{"user": user.ID, "password": user.Password}
	if user.TOTPSecret != "" {
		fields["totp"] = user.TOTPSecret
	}
	return bots.Job{Script: s, Selectors: sel, BaseURL: base,
		Params:      ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 31), Accounts: accounts},
		Credential:  ferry.Credential{Name: "demobank", Fields: fields},
		StepTimeout: 5 * time.Second, Logger: zerolog.New(zerolog.NewTestWriter(t))}
}

func TestHappyPathDownloadsEveryFormat(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	base := serve(t, bank)
	u := sandbox.DefaultUsers()[0]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := browser.Run(ctx, job(t, base, u))
	if err != nil {
		t.Fatalf("run failed: %v", err)
	}
	if got, want := len(res.Downloads), 3*len(u.Accounts); got != want {
		t.Fatalf("got %d downloads, want %d", got, want)
	}
	for _, d := range res.Downloads {
		st, err := bank.Statement(d.Account, ferry.NewDate(2026, 10, 1), ferry.NewDate(2026, 10, 31))
		if err != nil {
			t.Fatal(err)
		}
		if res.RowsSeen[d.Account] != len(st.Lines) {
			t.Errorf("account %s: saw %d rows across pages, statement has %d", d.Account, res.RowsSeen[d.Account], len(st.Lines))
		}
		wantInline := d.Format == "pdf" && d.Account == "6222021000010002"
		if d.Inline != wantInline {
			t.Errorf("%s %s: inline %v, want %v", d.Account, d.Format, d.Inline, wantInline)
		}
		if len(d.Data) < 500 || !strings.Contains(d.Name, d.Account) {
			t.Errorf("%s %s: suspicious download %q of %d bytes", d.Account, d.Format, d.Name, len(d.Data))
		}
	}
	for _, s := range res.Trace {
		if strings.Contains(s.Detail, u.Password) {
			t.Fatalf("password in trace: %+v", s)
		}
	}
}

func TestWrongPasswordIsCredentialsRejected(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	base := serve(t, bank)
	u := sandbox.DefaultUsers()[0]
	u.Password = "not-the-password"
	res, err := browser.Run(context.Background(), job(t, base, u))
	if ferry.ClassOf(err) != ferry.ClassCredentialsRejected {
		t.Fatalf("got %v (class %s), want credentials_rejected", err, ferry.ClassOf(err))
	}
	if bank.Stats().FailedLogins != 1 {
		t.Fatalf("bank saw %d failed logins, want exactly 1", bank.Stats().FailedLogins)
	}
	if res.Evidence == nil || len(res.Evidence.Screenshot) == 0 || !strings.Contains(res.Evidence.HTML, "login-error") {
		t.Fatal("no evidence bundle with screenshot and DOM")
	}
	if strings.Contains(err.Error(), "not-the-password") {
		t.Fatal("password in error")
	}
}

func TestRemovedElementIsSiteChanged(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	bank.Set(func(s *sandbox.Switches) { s.Removed = []string{"search-button"} })
	base := serve(t, bank)
	j := job(t, base, sandbox.DefaultUsers()[0])
	j.StepTimeout = 5 * time.Second // generous: open and login must pass on a loaded machine
	res, err := browser.Run(context.Background(), j)
	if ferry.ClassOf(err) != ferry.ClassSiteChanged {
		t.Fatalf("got %v, want site_changed", err)
	}
	ev := res.Evidence
	if ev == nil || ev.Selector != "statement.search" || len(ev.Ways) != 3 || !strings.HasSuffix(ev.URL, "/statements") {
		t.Fatalf("evidence: %+v", ev)
	}
	if !strings.Contains(err.Error(), `selector "statement.search" on /statements`) || !strings.Contains(err.Error(), `css="#search-button" matched 0`) {
		t.Fatalf("error does not name selector, page and ways: %v", err)
	}
	if ev.SelectorVersion == "" || len(ev.Screenshot) == 0 || ev.HTML == "" {
		t.Fatal("evidence lacks version, screenshot or DOM")
	}
}

func TestTOTPLogin(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	base := serve(t, bank)
	u := sandbox.DefaultUsers()[1]
	res, err := browser.Run(context.Background(), job(t, base, u))
	if err != nil {
		t.Fatalf("TOTP run: %v", err)
	}
	if len(res.Downloads) != 3 {
		t.Fatalf("got %d downloads, want 3", len(res.Downloads))
	}
	for _, s := range res.Trace {
		if s.Action == "totp" && s.Detail != "******" {
			t.Fatalf("TOTP code not masked: %+v", s)
		}
	}
}

func Test503IsSiteUnavailable(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	bank.Set(func(s *sandbox.Switches) { s.Unavailable503 = 2 })
	base := serve(t, bank)
	_, err := browser.Run(context.Background(), job(t, base, sandbox.DefaultUsers()[0]))
	if ferry.ClassOf(err) != ferry.ClassSiteUnavailable || !ferry.ClassOf(err).Retryable() {
		t.Fatalf("got %v, want site_unavailable", err)
	}
}

func TestSeveralMatchesIsAFailureNotTheFirst(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 11})
	base := serve(t, bank)
	j := job(t, base, sandbox.DefaultUsers()[0])
	j.StepTimeout = 5 * time.Second
	// A careless selector: every visible input on the login page.
	sel := *j.Selectors
	sel.Elements = map[string]selectors.Element{}
	for k, v := range j.Selectors.Elements {
		sel.Elements[k] = v
	}
	sel.Elements["login.user"] = selectors.Element{Name: "login.user", Ways: []selectors.Way{{Kind: selectors.ByCSS, Value: "input"}, {Kind: selectors.ByXPath, Value: "//input[@name]"}}}
	j.Selectors = &sel
	res, err := browser.Run(context.Background(), j)
	if ferry.ClassOf(err) != ferry.ClassSiteChanged || !strings.Contains(err.Error(), `css="input" matched 2`) {
		t.Fatalf("got %v, want site_changed naming the ambiguous way", err)
	}
	if bank.Stats().LoginAttempts != 0 {
		t.Fatal("the bot typed into an ambiguous element and submitted")
	}
	if res.Evidence == nil || res.Evidence.Selector != "login.user" {
		t.Fatalf("evidence: %+v", res.Evidence)
	}
}
