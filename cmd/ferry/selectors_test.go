package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Ops' loop on the command line: record versions with messages, list them,
// diff two, roll back (the file on disk changes and the rollback is itself
// a version), and lint with file and line.
func TestSelectorsHistoryDiffRollbackLint(t *testing.T) {
	dir := t.TempDir()
	selDir := filepath.Join(dir, "selectors")
	os.MkdirAll(selDir, 0o755)
	cfg := filepath.Join(dir, "ferry.yaml")
	os.WriteFile(cfg, []byte("data_dir: data\nselectors_dir: selectors\n"), 0o644)
	orig, err := os.ReadFile("../../selectors/demobank.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(selDir, "demobank.yaml")
	os.WriteFile(path, orig, 0o644)
	t.Setenv("FERRY_AUTHOR", "ops-anna")
	sel := func(args ...string) (int, string, string) {
		return ferryCmd(t, append([]string{"--config", cfg, "selectors"}, args...)...)
	}
	if code, out, errs := sel("record", "demobank", "-m", "as shipped"); code != 0 || !strings.Contains(out, "as v1") {
		t.Fatalf("record: %d %s %s", code, out, errs)
	}
	edited := strings.Replace(string(orig), `- css: "#login-button"`, `- css: "button#login-button"`, 1)
	os.WriteFile(path, []byte(edited), 0o644)
	if code, out, _ := sel("record", "demobank", "-m", "login button by tag"); code != 0 || !strings.Contains(out, "as v2") {
		t.Fatalf("record v2: %d %s", code, out)
	}
	if code, out, _ := sel("record", "demobank"); code != 0 || !strings.Contains(out, "unchanged: still v2") {
		t.Fatalf("record unchanged: %d %s", code, out)
	}
	code, out, _ := sel("history", "demobank")
	if code != 0 || !strings.Contains(out, "v1") || !strings.Contains(out, "as shipped") || !strings.Contains(out, "login button by tag") || !strings.Contains(out, "ops-anna") {
		t.Fatalf("history: %d\n%s", code, out)
	}
	code, out, _ = sel("diff", "demobank", "v1", "v2")
	if code != 0 || !strings.Contains(out, `-      - css: "#login-button"`) || !strings.Contains(out, `+      - css: "button#login-button"`) {
		t.Fatalf("diff: %d\n%s", code, out)
	}
	code, out, _ = sel("rollback", "demobank", "v1", "-m", "tag selector broke nothing but revert anyway")
	if code != 0 || !strings.Contains(out, "as v3") {
		t.Fatalf("rollback: %d %s", code, out)
	}
	if now, _ := os.ReadFile(path); string(now) != string(orig) {
		t.Fatal("rollback did not put v1 back on disk")
	}
	if code, out, _ := sel("history", "demobank"); code != 0 || !strings.Contains(out, "v3") || !strings.Contains(out, "revert anyway") {
		t.Fatalf("history after rollback: %s", out)
	}
	if code, _, errs := sel("diff", "demobank", "v1", "v9"); code == 0 || !strings.Contains(errs, "version 9") {
		t.Fatalf("unknown version: %d %s", code, errs)
	}
	if code, out, _ := sel("lint"); code != 0 || !strings.Contains(out, "demobank, etax: no problems") {
		t.Fatalf("lint clean: %d %s", code, out)
	}
	brittle := strings.Replace(string(orig), `- css: "#user-id"`, `- css: "form > div:nth-child(3) > input:nth-of-type(1)"`, 1)
	os.WriteFile(path, []byte(brittle), 0o644)
	code, out, _ = sel("lint", "demobank")
	if code == 0 || !strings.Contains(out, filepath.Join(selDir, "demobank.yaml")+":") || !strings.Contains(out, "login.user: brittle way") {
		t.Fatalf("lint brittle: %d %s", code, out)
	}
}
