package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/service"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/spf13/cobra"
)

// writeConfig writes a ferry.yaml into dir and returns its path.
func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "ferry.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Every command, found by walking the tree rather than from a list, has
// --help with usage and examples, and the root's help lists the exit codes.
func TestHelpForEveryCommand(t *testing.T) {
	t.Parallel()
	var walk func(c *cobra.Command, path []string)
	n := 0
	walk = func(c *cobra.Command, path []string) {
		if c.Name() == "help" || c.Name() == "completion" {
			return
		}
		n++
		code, out, errs := ferryCmd(t, append(path, "--help")...)
		if c.Deprecated != "" {
			out += errs // a deprecated alias writes its help off standard output
		}
		if code != 0 || !strings.Contains(out, "Usage:") || !strings.Contains(out, "Examples:") || !strings.Contains(out, "Exit codes:") {
			t.Errorf("ferry %s --help: exit %d, output lacks usage, examples or exit codes:\n%s", strings.Join(path, " "), code, out)
		}
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string{}, path...), sub.Name()))
		}
	}
	walk(newRoot(&globals{}), nil)
	if n < 30 {
		t.Fatalf("walked only %d commands", n)
	}
}

// Each exit code, from a real command line.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := fmt.Sprintf("data_dir: data\nchromium: %s\nsites:\n  demobank: http://127.0.0.1:1\ncredentials:\n  zw:\n    user: zhangwei\n    password: {env: FERRY_TEST_EMPTY_SECRET}\n",
		filepath.Join(dir, "no-chromium"))
	cfgDir := func(name, body string) string {
		d := filepath.Join(dir, name)
		os.MkdirAll(d, 0o700)
		return writeConfig(t, d, body)
	}
	goodCfg := cfgDir("good", good)
	t.Setenv("FERRY_TEST_EMPTY_SECRET", "")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // in stderr
	}{
		{"unknown command", []string{"bogus"}, exitUsage, []string{`unknown command "bogus"`}},
		{"unknown subcommand", []string{"runs", "bogus"}, exitUsage, []string{`unknown command "bogus" for "ferry runs"`}},
		{"unknown heals subcommand", []string{"selectors", "heals", "bogus"}, exitUsage, []string{`unknown command "bogus"`}},
		{"unknown flag", []string{"runs", "list", "--bogus"}, exitUsage, []string{"unknown flag: --bogus"}},
		{"missing argument", []string{"runs", "show"}, exitUsage, []string{"accepts 1 arg"}},
		{"bad id", []string{"runs", "show", "x"}, exitUsage, []string{"not a number"}},
		{"unknown bot", []string{"run", "no-such-bot"}, exitUsage, []string{`no bot "no-such-bot"`}},
		{"typo in a credential", []string{"--config", cfgDir("typo", strings.Replace(good, "    user:", "    usr:", 1)), "runs", "list"}, exitConfig,
			[]string{"typo/ferry.yaml:7:", `unknown key "usr" in a credential`}},
		{"yaml syntax", []string{"--config", cfgDir("syntax", "sites: [\n"), "runs", "list"}, exitConfig, []string{"syntax/ferry.yaml:"}},
		{"negative workers", []string{"--config", cfgDir("workers", good+"workers: -2\n"), "runs", "list"}, exitConfig,
			[]string{"workers/ferry.yaml:9:", "negative"}},
		{"bad cron", []string{"--config", cfgDir("cron", good+"schedules:\n  - id: n\n    bot: demobank-statements\n    login: zw\n    cron: \"61 * * * *\"\n"), "runs", "list"}, exitConfig,
			[]string{"cron/ferry.yaml:13:", "cron"}},
		{"bad time zone", []string{"--config", cfgDir("tz", good+"schedules:\n  - id: n\n    bot: demobank-statements\n    login: zw\n    cron: \"CRON_TZ=Mars/Olympus 0 3 * * *\"\n"), "runs", "list"}, exitConfig,
			[]string{"tz/ferry.yaml:13:", "Mars/Olympus"}},
		{"unknown bot in a schedule", []string{"--config", cfgDir("bot", good+"schedules:\n  - id: n\n    bot: nosuch\n    login: zw\n    cron: \"0 3 * * *\"\n"), "runs", "list"}, exitConfig,
			[]string{"bot/ferry.yaml:11:", `"nosuch"`}},
		{"unknown login in a schedule", []string{"--config", cfgDir("login", good+"schedules:\n  - id: n\n    bot: demobank-statements\n    login: nobody\n    cron: \"0 3 * * *\"\n"), "runs", "list"}, exitConfig,
			[]string{"login/ferry.yaml:12:", `"nobody"`}},
		// The empty secret is refused before any browser starts: the
		// config's chromium does not exist, and that would be exit 3.
		{"empty secret", []string{"--config", goodCfg, "run", "demobank-statements", "--login", "zw"}, exitConfig,
			[]string{"good/ferry.yaml:8:", "credential zw: field password", "FERRY_TEST_EMPTY_SECRET is empty"}},
		{"literal empty secret", []string{"--config", cfgDir("literal", strings.Replace(good, "{env: FERRY_TEST_EMPTY_SECRET}", `""`, 1)), "runs", "list"}, exitConfig,
			[]string{"literal/ferry.yaml:8:", "credential zw: field password is empty"}},
	} {
		code, _, stderr := ferryCmd(t, tc.args...)
		if code != tc.code {
			t.Errorf("%s: ferry %s: exit %d, want %d\n%s", tc.name, strings.Join(tc.args, " "), code, tc.code, stderr)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tc.name, w, stderr)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "good", "data")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused run created its data directory: %v", err)
	}

	// Interrupted: the signal's context is done.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	csv := filepath.Join(dir, "x.csv")
	os.WriteFile(csv, []byte("Date,Amount\n2026-10-01,1.00\n"), 0o600)
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"parse", csv}, &out, &errb); code != exitInterrupted {
		t.Errorf("parse with the signal's context done: exit %d, want %d\n%s", code, exitInterrupted, errb.String())
	}
}

// Busy: another process holds the data directory's runner lock. The exit
// code is its own and the hint names the process.
func TestExitBusy(t *testing.T) {
	flock := testenv.Tool(t, "flock", "util-linux")
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.MkdirAll(data, 0o700)
	lock := filepath.Join(data, "runner.lock")
	holder := exec.Command(flock, "--exclusive", lock, "sleep", "60")
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Process.Kill(); holder.Wait() })
	// Wait until flock holds the lock (bounded; the probe is the check).
	deadline := time.Now().Add(10 * time.Second)
	for {
		f, err := os.OpenFile(lock, os.O_RDWR, 0)
		if err == nil {
			held := exec.Command(flock, "--nonblock", "--exclusive", lock, "true").Run() != nil
			f.Close()
			if held {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("flock did not take the lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	code, _, stderr := ferryCmd(t, "run", "demobank-statements", "--sandbox", "--data", data)
	if code != exitBusy || !strings.Contains(stderr, "in use by another Ferry process") ||
		!strings.Contains(stderr, fmt.Sprintf("hint: process %d", holder.Process.Pid)) {
		t.Fatalf("exit %d, want %d with a hint naming process %d:\n%s", code, exitBusy, holder.Process.Pid, stderr)
	}
}

// Locked: another process holds the database's write lock past the busy
// timeout. It takes the timeout (10 s) to find out.
func TestExitLocked(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the database's busy timeout")
	}
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	db, err := openDB(context.Background(), &Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(data, "ferry.db")+"?_pragma=busy_timeout(1000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	tx, err := raw.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`UPDATE outbox SET attempts = attempts WHERE 1 = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO selector_versions (site, seq, version, sha256, content, author, message, created_at) VALUES ('x', 1, 'v', 's', '', 'a', 'm', '2026-01-01T00:00:00Z')`); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := ferryCmd(t, "deliveries", "retry", "--all", "--data", data)
	if code != exitLocked || !strings.Contains(stderr, "locked") || !strings.Contains(stderr, "hint:") {
		t.Fatalf("exit %d, want %d with a hint:\n%s", code, exitLocked, stderr)
	}
}

// Read-only commands on a data directory where nothing has run say so and
// create nothing: not the directory, not a database.
func TestReadOnlyCommandsCreateNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := filepath.Join(dir, "fresh")
	mapping := filepath.Join(dir, "accounts.yaml")
	os.WriteFile(mapping, []byte("accounts:\n  \"6222021000010001\": assets:bank\nsuspense: equity:suspense\n"), 0o600)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"runs", "list"}, 0},
		{[]string{"runs", "list", "--json"}, 0},
		{[]string{"runs", "show", "1"}, exitFailed},
		{[]string{"deliveries", "list"}, 0},
		{[]string{"deliveries", "show", "1"}, exitFailed},
		{[]string{"deliveries", "retry", "--all"}, exitFailed},
		{[]string{"selectors", "heals"}, 0},
		{[]string{"selectors", "heals", "show", "1"}, exitFailed},
		{[]string{"selectors", "heals", "accept", "1"}, exitFailed},
		{[]string{"selectors", "history", "demobank"}, 0},
		{[]string{"selectors", "diff", "demobank", "v1", "v2"}, exitFailed},
		{[]string{"export", "--mapping", mapping}, exitFailed},
	} {
		code, out, stderr := ferryCmd(t, append(tc.args, "--data", data)...)
		if code != tc.code || !strings.Contains(stderr, "no database yet") {
			t.Errorf("ferry %s: exit %d (want %d), stderr %q", strings.Join(tc.args, " "), code, tc.code, stderr)
		}
		if strings.Contains(strings.Join(tc.args, " "), "--json") && strings.TrimSpace(out) != "[]" {
			t.Errorf("ferry %s: got %q, want []", strings.Join(tc.args, " "), out)
		}
		if _, err := os.Stat(data); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("ferry %s created %s: %v", strings.Join(tc.args, " "), data, err)
		}
	}
}

// lint --json lists the problems as objects (none in the built-in files).
func TestLintJSON(t *testing.T) {
	t.Parallel()
	code, out, stderr := ferryCmd(t, "selectors", "lint", "--json")
	var problems []map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &problems) != nil || len(problems) != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "demobank.yaml"), []byte("site: demobank\nversion: \"1\"\nelements:\n  login.user:\n    ways:\n      - css: \"#a\"\n"), 0o600)
	cfg := writeConfig(t, dir, "selectors_dir: .\n")
	code, out, _ = ferryCmd(t, "--config", cfg, "selectors", "lint", "demobank", "--json")
	if code != exitFailed || json.Unmarshal([]byte(out), &problems) != nil || len(problems) == 0 || problems[0]["message"] == nil {
		t.Fatalf("a file lacking names the script uses: exit %d\n%s", code, out)
	}
}

// seedDB writes one of everything the list and show commands read: a run
// with a step, a statement with its artifact and deliveries, a selector
// version and a heal proposal.
func seedDB(t *testing.T, data string) {
	t.Helper()
	ctx := context.Background()
	db, err := openDB(ctx, &Config{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	runID, err := db.CreateRun(ctx, db.SQL, ferry.Run{Bot: "demobank-statements", Login: "zw", Params: ferry.RunParams{From: ferry.NewDate(2026, 10, 1), To: ferry.NewDate(2026, 10, 3)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddSteps(ctx, runID, 1, []ferry.Step{{Action: "open", Status: ferry.StepOK, Started: time.Date(2026, 10, 4, 2, 30, 0, 0, time.UTC), Duration: time.Second}}); err != nil {
		t.Fatal(err)
	}
	bank := sandbox.New(sandbox.Options{Seed: 3})
	st, _ := bank.Statement("6222021000010001", ferry.NewDate(2026, 10, 1), ferry.NewDate(2026, 10, 3))
	art, err := db.PutArtifact(ctx, ferry.Artifact{RunID: runID, Kind: "download", Name: "s.csv", Format: "csv"}, []byte("statement"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveStatement(ctx, runID, art.ID, st, []string{"jsonl"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.RecordSelectorVersion(ctx, "demobank", "1", []byte("site: demobank\n"), "ops", "first"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.AddHeal(ctx, storage.HealRecord{Site: "demobank", Element: "login.submit", RunID: runID, Page: "/login",
		Way: `{"ways":[{"kind":"text","value":"Sign in"}],"dismiss":false}`, Score: 0.9, RunnerUp: 0.2, Breakdown: `{"text":1}`, Diff: "-a\n+b\n", BaseSeq: 1}); err != nil {
		t.Fatal(err)
	}
}

// --json on every list and show command gives JSON a script can read, with
// the fields it needs.
func TestJSONOnListAndShow(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	seedDB(t, data)
	for _, tc := range []struct {
		args  []string
		array bool
		field string
	}{
		{[]string{"runs", "list"}, true, "bot"},
		{[]string{"runs", "show", "1"}, false, "steps"},
		{[]string{"deliveries", "list"}, true, "dedup_key"},
		{[]string{"deliveries", "show", "1"}, false, "record"},
		{[]string{"selectors", "heals"}, true, "proposed_way"},
		{[]string{"selectors", "heals", "list"}, true, "score"},
		{[]string{"selectors", "heals", "show", "1"}, false, "diff"},
		{[]string{"selectors", "history", "demobank"}, true, "author"},
		{[]string{"selectors", "versions", "demobank"}, true, "version"},
		{[]string{"selectors", "diff", "demobank", "v1", "v1"}, false, "identical"},
		{[]string{"version"}, false, "go"},
	} {
		code, out, stderr := ferryCmd(t, append(tc.args, "--data", data, "--json")...)
		if tc.args[0] == "version" {
			code, out, stderr = ferryCmd(t, "version", "--json")
		}
		if code != 0 {
			t.Errorf("ferry %s --json: exit %d\n%s", strings.Join(tc.args, " "), code, stderr)
			continue
		}
		var obj map[string]any
		if tc.array {
			var arr []map[string]any
			if err := json.Unmarshal([]byte(out), &arr); err != nil || len(arr) == 0 {
				t.Errorf("ferry %s --json: not a non-empty array (%v):\n%s", strings.Join(tc.args, " "), err, out)
				continue
			}
			obj = arr[0]
		} else if err := json.Unmarshal([]byte(out), &obj); err != nil {
			t.Errorf("ferry %s --json: %v:\n%s", strings.Join(tc.args, " "), err, out)
			continue
		}
		if _, ok := obj[tc.field]; !ok {
			t.Errorf("ferry %s --json: no %q in %s", strings.Join(tc.args, " "), tc.field, out)
		}
	}
}

// Every exit code from the error that carries it, wrapped as callers wrap.
func TestCodeFor(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error { return fmt.Errorf("somewhere: %w", err) }
	for _, tc := range []struct {
		err  error
		code int
	}{
		{errors.New("anything"), exitFailed},
		{&exitError{exitUsage, errors.New("bad flag")}, exitUsage},
		{wrap(&service.InvalidError{Err: errors.New("no bot")}), exitUsage},
		{wrap(&exitError{exitMissingDependency, errors.New("no chromium")}), exitMissingDependency},
		{wrap(&configError{file: "f", line: 3, msg: "m"}), exitConfig},
		{wrap(runner.ErrIncompleteCredential), exitConfig},
		{wrap(service.ErrNoSelectorsDir), exitConfig},
		{wrap(&service.BusyError{Dir: "d"}), exitBusy},
		{wrap(&service.LockedError{Path: "p", Err: errors.New("database is locked")}), exitLocked},
		{errors.New("sqlite: database is locked (5) (SQLITE_BUSY)"), exitLocked},
		{wrap(ferry.Errorf(ferry.ClassCredentialsRejected, "login", "wrong password")), exitCredentialsRejected},
		{wrap(ferry.Errorf(ferry.ClassSiteChanged, "step", "selector")), exitSiteChanged},
		{wrap(ferry.Errorf(ferry.ClassSiteUnavailable, "open", "503")), exitSiteUnavailable},
		{wrap(ferry.Errorf(ferry.ClassDocumentChanged, "parse", "x")), exitDocumentChanged},
		{wrap(&service.HeldError{Run: 1}), exitHeld},
		{wrap(context.Canceled), exitInterrupted},
	} {
		if got := codeFor(tc.err); got != tc.code {
			t.Errorf("codeFor(%v) = %d, want %d", tc.err, got, tc.code)
		}
	}
}
