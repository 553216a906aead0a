package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox"
)

// The ops repair loop against the redesign, end to end on the command
// line. A bot holding only version-1 selectors runs fine on version 1 (and
// fingerprints what it finds). Version 2 is served: each run fails as
// "site changed" on one page; the healer proposes fixes; `selectors test
// --bundle` fails offline against the failed run's captured page before
// they are accepted and passes after; the next run gets further, and the
// loop ends with a run that succeeds on version 2. The sandbox's record of
// what the bot did shows it never acted on a wrong element.
func TestHealLoopAgainstRedesign(t *testing.T) {
	bank := sandbox.New(sandbox.Options{Seed: 4})
	u, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	dir := t.TempDir()
	selDir := filepath.Join(dir, "selectors")
	os.MkdirAll(selDir, 0o755)
	v1, err := os.ReadFile("../../bots/testdata/demobank-v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(selDir, "demobank.yaml"), v1, 0o644)
	zw := sandbox.DefaultUsers()[0]
	cfg := filepath.Join(dir, "ferry.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: data\nselectors_dir: selectors\nsites:\n  demobank: %s\ncredentials:\n  zw:\n    user: %s\n    password: %q\n", u, zw.ID, zw.Password)), 0o600)
	t.Setenv("FERRY_AUTHOR", "ops-test")
	runBot := func() (int, string) {
		code, out, errs := ferryCmd(t, "--config", cfg, "run", "demobank-statements", "--login", "zw", "--from", "2026-10-01", "--to", "2026-10-03", "--account", "6222021000010001")
		return code, out + errs
	}
	if code, out := runBot(); code != 0 {
		t.Fatalf("version 1 run: exit %d\n%s", code, out)
	}
	bank.Set(func(s *sandbox.Switches) { s.Redesign = true })
	bank.ResetEvents()
	runID := regexp.MustCompile(`run (\d+)`)
	healRow := regexp.MustCompile(`(?m)^(\d+)\s+proposed\s`)
	var testTimes []string
	for round := 1; ; round++ {
		if round > 6 {
			t.Fatal("the loop did not converge in 6 rounds")
		}
		code, out := runBot()
		if code == 0 {
			t.Logf("round %d: the run succeeds on version 2", round)
			break
		}
		if code != exitSiteChanged {
			t.Fatalf("round %d: exit %d, want site changed (%d)\n%s", round, code, exitSiteChanged, out)
		}
		m := runID.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("round %d: no run id in\n%s", round, out)
		}
		_, heals, _ := ferryCmd(t, "--config", cfg, "selectors", "heals", "--status", "proposed")
		ids := healRow.FindAllStringSubmatch(heals, -1)
		if len(ids) == 0 {
			t.Fatalf("round %d: the run failed and nothing was proposed\n%s\n%s", round, out, heals)
		}
		t.Logf("round %d: run %s failed; proposals:\n%s", round, m[1], heals)
		before, bout, _ := ferryCmd(t, "--config", cfg, "selectors", "test", "demobank", "--bundle", m[1])
		if before != exitSiteChanged {
			t.Fatalf("round %d: selectors test passed before any heal was accepted:\n%s", round, bout)
		}
		for _, id := range ids {
			if code, out, errs := ferryCmd(t, "--config", cfg, "selectors", "heals", "accept", id[1]); code != 0 {
				t.Fatalf("accept %s: %d %s %s", id[1], code, out, errs)
			}
		}
		started := time.Now()
		after, aout, aerr := ferryCmd(t, "--config", cfg, "selectors", "test", "demobank", "--bundle", m[1])
		testTimes = append(testTimes, time.Since(started).String())
		if after != 0 {
			t.Fatalf("round %d: selectors test still fails after accepting the heals:\n%s%s", round, aout, aerr)
		}
		t.Logf("round %d: %s", round, strings.SplitN(aout, "\n", 2)[0])
	}
	t.Logf("selectors test --bundle took %s", strings.Join(testTimes, ", "))
	time.Sleep(300 * time.Millisecond)
	allowed := regexp.MustCompile(`^(click|type) (consent\.accept|login\.(user|password|submit)|nav\.statements|statement\.(account|from|to|search|next_page|download_(xlsx|csv|pdf)))$`)
	for _, a := range sandbox.Actions(bank.Events()) {
		if !allowed.MatchString(a) {
			t.Errorf("the bot acted on an element it never meant to: %s", a)
		}
	}
	code, hist, _ := ferryCmd(t, "--config", cfg, "selectors", "history", "demobank")
	if code != 0 || !strings.Contains(hist, "heal") || !strings.Contains(hist, "ops-test") {
		t.Fatalf("history: %s", hist)
	}
	_ = context.Background
}

// The canary logs in, resolves every selector on the pages it passes,
// downloads nothing, and fails naming the selector when the site changed.
func TestSelectorsCheckCanary(t *testing.T) {
	t.Parallel()
	bank := sandbox.New(sandbox.Options{Seed: 4})
	u, stop, err := bank.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	dir := t.TempDir()
	zw := sandbox.DefaultUsers()[0]
	cfg := filepath.Join(dir, "ferry.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("data_dir: data\nsites:\n  demobank: %s\ncredentials:\n  zw:\n    user: %s\n    password: %q\n", u, zw.ID, zw.Password)), 0o600)
	// A fixed window: the sandbox's data does not depend on today's date,
	// and October 2026 has rows for every account.
	window := []string{"--from", "2026-10-01", "--to", "2026-10-31"}
	code, out, errs := ferryCmd(t, append([]string{"--config", cfg, "selectors", "check", "demobank"}, window...)...)
	if code != 0 {
		t.Fatalf("canary on the unchanged site: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`login\.user\s+unique\s+/login`),
		regexp.MustCompile(`statement\.search\s+unique\s+/statements`),
		regexp.MustCompile(`statement\.rows\s+many\s+/statements`),
		regexp.MustCompile(`statement\.download_pdf\s+unique\s+/statements`),
		regexp.MustCompile(`login\.error\s+not seen`),
	} {
		if !want.MatchString(out) {
			t.Errorf("canary report lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "note:") {
		t.Errorf("a window with rows got a note about missing rows:\n%s", out)
	}
	if bank.Stats().Downloads != 0 {
		t.Fatalf("the canary downloaded %d files", bank.Stats().Downloads)
	}
	// Before the sandbox's first day there are no transactions: the canary
	// still passes, and says the rows could not be checked.
	code, out, errs = ferryCmd(t, "--config", cfg, "selectors", "check", "demobank", "--from", "2024-06-01", "--to", "2024-06-02")
	if code != 0 || !regexp.MustCompile(`note: statement\.rows not seen: the site showed no rows from 2024-06-01 to 2024-06-02`).MatchString(out) {
		t.Fatalf("canary on a quiet window: exit %d\n%s%s", code, out, errs)
	}
	// The same report as JSON, for scripts.
	code, out, errs = ferryCmd(t, append([]string{"--config", cfg, "selectors", "check", "demobank", "--json"}, window...)...)
	var report struct {
		Completed bool `json:"completed"`
		Elements  []struct {
			Element, Result string
		} `json:"elements"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &report) != nil || !report.Completed || len(report.Elements) < 10 {
		t.Fatalf("canary --json: exit %d\n%s%s", code, out, errs)
	}
	bank.Set(func(s *sandbox.Switches) { s.Removed = []string{"search-button"} })
	code, out, errs = ferryCmd(t, append([]string{"--config", cfg, "selectors", "check", "demobank"}, window...)...)
	if code != exitSiteChanged || !strings.Contains(errs, `selector "statement.search" on /statements`) {
		t.Fatalf("canary on a changed site: exit %d\n%s%s", code, out, errs)
	}
}

// The default canary window is a month up to yesterday, whatever today is.
func TestCanaryWindow(t *testing.T) {
	t.Parallel()
	from, to := canaryWindow(ferry.NewDate(2026, 3, 1))
	if from.String() != "2026-01-29" || to.String() != "2026-02-28" {
		t.Fatalf("got %s to %s, want 2026-01-29 to 2026-02-28", from, to)
	}
}
