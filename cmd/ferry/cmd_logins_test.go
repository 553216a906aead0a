package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/internal/seal"
	"github.com/ferry-rpa/ferry/storage"
)

// ferryCLI runs `ferry ARGS…` and returns the exit code, stdout, stderr.
func ferryCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb}
	root := newRoot(g)
	root.SetArgs(args)
	code := exitOK
	if err := root.ExecuteContext(context.Background()); err != nil {
		errb.WriteString("ferry: " + err.Error() + "\n")
		code = codeFor(err)
	}
	return code, out.String(), errb.String()
}

// TestLoginsCommands: list, rotation by rekey, the configuration's
// errors, forget; the user name and the keys never printed.
func TestLoginsCommands(t *testing.T) {
	t.Setenv(defaultLoginKeyEnv, "")
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "login.keys")
	oldKey, newKey := seal.NewKey(), seal.NewKey()
	if err := os.WriteFile(keyFile, []byte(oldKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "ferry.yaml")
	writeCfg := func(logins string) {
		t.Helper()
		if err := os.WriteFile(cfgPath, []byte("data_dir: "+dir+"\nlogins:\n"+logins), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCfg("  keep: true\n  key_file: " + keyFile + "\n  work_hours: \"09-17\"\n  zone: Asia/Shanghai\n")

	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	old, _ := seal.Parse(oldKey)
	key := ferry.LoginKey("etax", "secret-user-zhang")
	sms := time.Date(2026, 11, 4, 2, 10, 0, 0, time.UTC)
	if err := db.SaveLoginState(ctx, ferry.LoginState{Key: key, Site: "etax", Credential: "etax-zhang", Bot: "etax-invoices",
		Sealed: old.Seal([]byte(`{"cookies":[]}`), []byte(key)), SealKey: old.KeyID(), SavedAt: sms, SecondFactorAt: sms, TrustDeclared: 7 * 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, out, errs := ferryCLI(t, "--config", cfgPath, "logins")
	if code != exitOK || !strings.Contains(out, "etax-zhang") || !strings.Contains(out, old.KeyID()) || !strings.Contains(out, "168h0m0s") {
		t.Fatalf("list: %d %q %q", code, out, errs)
	}
	if strings.Contains(out+errs, "secret-user-zhang") || strings.Contains(out+errs, oldKey) {
		t.Fatalf("the list shows the user or the key: %q", out)
	}

	// Rotation: the new key first, the old after it; rekey; the old goes.
	if err := os.WriteFile(keyFile, []byte(newKey+"\n"+oldKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := ferryCLI(t, "--config", cfgPath, "logins", "rekey"); code != exitOK || !strings.Contains(out, "resealed 1") {
		t.Fatalf("rekey: %d %q %q", code, out, errs)
	}
	if err := os.WriteFile(keyFile, []byte(newKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	nk, _ := seal.Parse(newKey)
	code, out, _ = ferryCLI(t, "--config", cfgPath, "--json", "logins")
	if code != exitOK || !strings.Contains(out, `"readable": true`) || !strings.Contains(out, nk.KeyID()) {
		t.Fatalf("after rotation: %d %q", code, out)
	}

	// Keys that cannot be read, and working hours that cannot be.
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := ferryCLI(t, "--config", cfgPath, "logins"); code == exitOK || !strings.Contains(errs, "chmod 600") || strings.Contains(errs, newKey) {
		t.Fatalf("a world-readable key file: %d %q", code, errs)
	}
	writeCfg("  keep: true\n  key_file: " + keyFile + "\n  work_hours: \"17-09\"\n")
	if code, _, errs := ferryCLI(t, "--config", cfgPath, "logins"); code == exitOK || !strings.Contains(errs, "working hours") {
		t.Fatalf("bad working hours: %d %q", code, errs)
	}
	writeCfg("  keep: false\n")
	if code, out, _ := ferryCLI(t, "--config", cfgPath, "logins", "forget", "etax", "etax-zhang"); code != exitOK || !strings.Contains(out, "forgot") {
		t.Fatalf("forget: %d %q", code, out)
	}
	if code, _, errs := ferryCLI(t, "--config", cfgPath, "logins", "forget", "etax", "etax-zhang"); code != exitUsage {
		t.Fatalf("forget twice: %d %q", code, errs)
	}
	if code, out, _ := ferryCLI(t, "logins", "newkey"); code != exitOK {
		t.Fatalf("newkey: %d", code)
	} else if _, err := seal.Parse(out); err != nil {
		t.Fatalf("newkey printed no key: %v", err)
	}
}
