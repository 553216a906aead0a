package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/service"
)

// Nobody answers the SMS code a `ferry run` waits for: the run ends as
// input_timeout with its own exit code, its challenge expired, the login
// withdrawn on the portal (its code void), no session opened, nothing
// stored.
func TestRunInputTimeoutExitCode(t *testing.T) {
	t.Parallel()
	bin := buildFerry(t)
	portal := tax.New(tax.Options{Seed: 32})
	base, stop, err := portal.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir := t.TempDir()
	// The test bot whose SMS step names the portal's cancel control.
	scripts, err := filepath.Abs("../../runner/testdata/etaxresend")
	if err != nil {
		t.Fatal(err)
	}
	u := tax.DefaultUsers()[0]
	cfg := filepath.Join(dir, "ferry.yaml")
	// The wait is capped at 3 s, far below the code's 5 minutes.
	body := fmt.Sprintf("data_dir: data\nscripts_dir: %[1]s\nselectors_dir: %[1]s\nsites:\n  etax: %s\nchallenges:\n  max_wait: 3s\ncredentials:\n  etax:\n    user: %s\n    password: %q\n",
		scripts, base, u.UserName, u.Password)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	run := startFerry(t, bin, "--config", cfg, "run", "etax-resend", "--login", "etax", "--param", "taxid="+tax.Home().TaxID)
	t.Cleanup(func() { _ = run.cmd.Process.Kill() })
	code := run.exit(t, 3*time.Minute)
	out := run.out.String()
	if code != exitInputTimeout {
		t.Fatalf("ferry run exited %d, want %d:\n%s\n%s", code, exitInputTimeout, out, run.err.String())
	}
	if !strings.Contains(out, "run 1 input_timeout") || !strings.Contains(out, "it is expired; the run stored nothing") {
		t.Fatalf("the run's end does not say input_timeout:\n%s", out)
	}
	ctx := context.Background()
	db, err := service.OpenExisting(ctx, service.DataDir(filepath.Join(dir, "data")), "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Run(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != ferry.RunFailed || r.Class != ferry.ClassInputTimeout {
		t.Fatalf("run %s %s: %s", r.Status, r.Class, r.Error)
	}
	c, err := db.LatestChallenge(ctx, 1)
	if err != nil || c.State != ferry.ChallengeExpired || c.Sealed != nil {
		t.Fatalf("challenge %+v %v", c, err)
	}
	arts, err := db.Artifacts(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		if a.Kind == "download" {
			t.Fatalf("a timed-out run stored %s", a.Name)
		}
	}
	// The portal's side: one SMS sent, no code tried, the login
	// withdrawn (its code void), no session opened.
	st := portal.Stats()
	if st.SMSSent != 1 || st.WrongCodes != 0 {
		t.Fatalf("portal stats %+v", st)
	}
	cancelled := false
	for _, ev := range portal.Events() {
		if ev.Kind == "session" {
			t.Fatalf("the portal opened a session: %+v", ev)
		}
		cancelled = cancelled || ev.Kind == tax.EventLoginCancelled
	}
	if !cancelled {
		t.Fatal("the pending login was not withdrawn on the portal")
	}
	if _, err := portal.LastSMS(u.UserName); err == nil {
		t.Fatal("the code sent for the withdrawn login is still valid")
	}
}
