package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/ferry-rpa/ferry/service"
)

// A `ferry run` waits for an SMS code, and another process answers it
// with `ferry runs answer`: the first run goes on and logs in.
func TestRunsAnswerFromAnotherProcess(t *testing.T) {
	t.Parallel()
	bin := buildFerry(t)
	portal := tax.New(tax.Options{Seed: 31})
	base, stop, err := portal.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	dir := t.TempDir()
	scripts, err := filepath.Abs("../../runner/testdata/scripts")
	if err != nil {
		t.Fatal(err)
	}
	u := tax.DefaultUsers()[0]
	cfg := filepath.Join(dir, "ferry.yaml")
	body := fmt.Sprintf("data_dir: data\nscripts_dir: %s\nsites:\n  etax: %s\ncredentials:\n  etax:\n    user: %s\n    password: %q\n", scripts, base, u.UserName, u.Password)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	run := startFerry(t, bin, "--config", cfg, "run", "etax-login", "--login", "etax", "--param", "taxid="+tax.Home().TaxID)
	t.Cleanup(func() { run.cmd.Process.Kill() })
	// The run asks: its challenge is in the database.
	run.waitOutput(t, false, "run 1:", 2*time.Minute)
	ctx := context.Background()
	var c ferry.Challenge
	deadline := time.Now().Add(2 * time.Minute)
	for {
		db, err := service.OpenExisting(ctx, service.DataDir(filepath.Join(dir, "data")), "")
		if err == nil {
			c, err = db.LatestChallenge(ctx, 1)
			db.Close()
			if err == nil && c.State == ferry.ChallengePending {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the run never asked:\n%s\n%s", run.out.String(), run.err.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	sms, err := portal.LastSMS(u.UserName)
	if err != nil {
		t.Fatal(err)
	}
	// Every terminal sees the run as waiting for a person.
	for _, args := range [][]string{{"runs", "list"}, {"runs", "show", "1"}} {
		out, err := exec.Command(bin, append([]string{"--config", cfg}, args...)...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "waiting_for_input") {
			t.Fatalf("ferry %s while the run waits: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	answer := exec.Command(bin, "--config", cfg, "runs", "answer", "1", sms.Code)
	got, err := answer.CombinedOutput()
	if err != nil || !strings.Contains(string(got), "recorded; the run goes on") {
		t.Fatalf("ferry runs answer: %v\n%s", err, got)
	}
	if code := run.exit(t, 2*time.Minute); code != 0 {
		t.Fatalf("ferry run exited %d:\n%s\n%s", code, run.out.String(), run.err.String())
	}
	if !strings.Contains(run.out.String(), "succeeded") {
		t.Fatalf("the run did not succeed:\n%s", run.out.String())
	}
	if strings.Contains(run.out.String()+run.err.String(), sms.Code) {
		t.Fatal("the code is in the run's output or log")
	}
	// Too late now: refused, saying why.
	again := exec.Command(bin, "--config", cfg, "runs", "answer", "1", "123456")
	got, err = again.CombinedOutput()
	if err == nil || !strings.Contains(string(got), "no longer waits") || strings.Contains(string(got), "123456") {
		t.Fatalf("late answer: %v\n%s", err, got)
	}
}
