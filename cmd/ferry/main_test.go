package main

import (
	"bytes"
	"context"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/sandbox"
)

func ferryCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"--log-format", "json"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "demobank-statements", "--from", "31/10/2026"}, "--from"},
		{[]string{"run", "no-such-bot"}, `no bot "no-such-bot"`},
		{[]string{"runs", "show", "abc"}, "not a number"},
		{[]string{"run", "demobank-statements", "--bogus"}, "unknown flag"},
		{[]string{"run", "demobank-statements", "--sandbox", "--data", t.TempDir(), "--param", "branch=east"}, `unknown parameter "branch" (the bot declares: none)`},
		{[]string{"run", "demobank-statements", "--param", "noequals"}, "want NAME=VALUE"},
		{[]string{"run", "demobank-statements", "--site", "nowhere"}, "--site nowhere: no such site"},
	} {
		code, _, stderr := ferryCmd(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("ferry %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}

var summaryRe = regexp.MustCompile(`records delivered:\s+(\d+) in total`)
var newRe = regexp.MustCompile(`new this time: (\d+)`)

// The demo end to end through the real command, twice: the second run
// delivers nothing new.
func TestDemoTwice(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	args := []string{"demo", "--data", dir, "--from", "2026-10-01", "--to", "2026-10-10"}
	code, out, stderr := ferryCmd(t, args...)
	if code != 0 {
		t.Fatalf("demo exit %d\n%s\n%s", code, out, stderr)
	}
	bank := sandbox.New(sandbox.Options{Seed: 2026})
	want := 0
	for _, a := range bank.Accounts() {
		st, _ := bank.Statement(a.ID, ferry.NewDate(2026, 10, 1), ferry.NewDate(2026, 10, 10))
		want += len(st.Lines)
	}
	// The tax portal's part: the demo answers the SMS code itself and
	// stores three received invoices (cmd_demo.go).
	const invoices = 3
	if !strings.Contains(out, "demo: answering the code the sandbox phone received") || !strings.Contains(out, "invoices stored: 3 in all, 3 new this time") {
		t.Fatalf("demo: the tax portal's part is missing:\n%s", out)
	}
	want += invoices
	m := summaryRe.FindStringSubmatch(out)
	if m == nil || m[1] != itoa(want) || !strings.Contains(out, "accounts:            4") {
		t.Fatalf("demo summary: want %d delivered over 4 accounts:\n%s", want, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "records.jsonl"))
	if err != nil || strings.Count(string(data), "\n") != want {
		t.Fatalf("records.jsonl: %v, %d lines, want %d", err, strings.Count(string(data), "\n"), want)
	}
	code, out, _ = ferryCmd(t, args...)
	if code != 0 || newRe.FindStringSubmatch(out)[1] != "0" || !strings.Contains(out, "invoices stored: 3 in all, 0 new this time") {
		t.Fatalf("second demo: exit %d, want 0 new:\n%s", code, out)
	}
	code, out, _ = ferryCmd(t, "runs", "list", "--data", dir)
	if code != 0 || strings.Count(out, "succeeded") != 6 { // two demos: two bank logins and the tax portal each
		t.Fatalf("runs list:\n%s", out)
	}
	code, out, _ = ferryCmd(t, "runs", "show", "1", "--data", dir)
	if code != 0 || !strings.Contains(out, "download") || !strings.Contains(out, "statements:") {
		t.Fatalf("runs show 1:\n%s", out)
	}
	if strings.Contains(out, "Ferry#Demo2026") || strings.Contains(stderr, "Ferry#Demo2026") {
		t.Fatal("a password reached the output")
	}
}

func TestRunFailureExitCodeAndParse(t *testing.T) {
	dir := t.TempDir()
	// An account the login does not have: the run fails, and says so.
	code, out, _ := ferryCmd(t, "run", "demobank-statements", "--sandbox", "--data", dir, "--login", "demobank-lina",
		"--from", "2026-10-01", "--to", "2026-10-03", "--account", "6222021000010001")
	if code == 0 || !strings.Contains(out, "not offered by the site") {
		t.Fatalf("exit %d, want non-zero:\n%s", code, out)
	}
	bank := sandbox.New(sandbox.Options{Seed: 1})
	st, _ := bank.Statement("9558800100003003", ferry.NewDate(2026, 9, 1), ferry.NewDate(2026, 9, 30))
	pdf, err := sandbox.RenderPDF(st)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "usd.pdf")
	os.WriteFile(p, pdf, 0o644)
	code, out, _ = ferryCmd(t, "parse", p, "--json")
	if code != 0 || !strings.Contains(out, `"account":"9558800100003003"`) || !strings.Contains(out, `"reconciles":true`) {
		t.Fatalf("parse: exit %d\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("not,a,statement\n"), 0o644)
	code, _, stderr := ferryCmd(t, "parse", bad)
	if code != exitDocumentChanged || !strings.Contains(stderr, "bad.csv") {
		t.Fatalf("parse bad.csv: exit %d %s", code, stderr)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// A bank statement PDF locked with AES-256 (as banks send them by mail):
// `ferry parse --password` reads it; without the password the error names
// the file and never echoes a password.
func TestParseEncryptedStatement(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("qpdf"); err != nil {
		testenv.Missing(t, "qpdf not installed")
	}
	dir := t.TempDir()
	bank := sandbox.New(sandbox.Options{Seed: 1})
	st, _ := bank.Statement("9558800100003003", ferry.NewDate(2026, 9, 1), ferry.NewDate(2026, 9, 30))
	pdf, err := sandbox.RenderPDF(st)
	if err != nil {
		t.Fatal(err)
	}
	plain, locked := filepath.Join(dir, "plain.pdf"), filepath.Join(dir, "locked.pdf")
	os.WriteFile(plain, pdf, 0o644)
	if b, err := exec.Command("qpdf", "--encrypt", "110105199001011234", "bank-owner", "256", "--", plain, locked).CombinedOutput(); err != nil {
		t.Fatalf("qpdf: %v %s", err, b)
	}
	code, out, stderr := ferryCmd(t, "parse", locked, "--password", "110105199001011234", "--json")
	if code != 0 || !strings.Contains(out, `"account":"9558800100003003"`) || !strings.Contains(out, `"reconciles":true`) {
		t.Fatalf("with the password: exit %d\n%s%s", code, out, stderr)
	}
	code, _, stderr = ferryCmd(t, "parse", locked, "--password", "wrong-secret")
	if code == 0 || !strings.Contains(stderr, "locked.pdf") || !strings.Contains(stderr, "password") || strings.Contains(stderr, "wrong-secret") {
		t.Fatalf("wrong password: exit %d %s", code, stderr)
	}
}
