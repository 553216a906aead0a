package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/storage"
)

// users runs `ferry users ARGS…` with stdin; the users command is added to
// the root here until main.go registers it.
func users(t *testing.T, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb}
	root := newRoot(g)
	root.AddCommand(newUsersCmd(g))
	usageErrors(root)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(append([]string{"users", "--data", dir}, args...))
	code := exitOK
	if err := root.ExecuteContext(context.Background()); err != nil {
		errb.WriteString("ferry: " + err.Error() + "\n")
		code = codeFor(err)
	}
	return code, out.String(), errb.String()
}

func TestUsersCommands(t *testing.T) {
	t.Setenv("FERRY_AUTHOR", "tester")
	dir := t.TempDir()
	const pw = "a good long password"
	if code, out, errs := users(t, dir, pw+"\n", "add", "alice", "--role", "admin"); code != exitOK || !strings.Contains(out, "added alice (admin)") {
		t.Fatalf("add: %d %q %q", code, out, errs)
	}
	if code, _, errs := users(t, dir, pw+"\n", "add", "alice", "--role", "admin"); code != exitUsage || !strings.Contains(errs, "exists") {
		t.Fatalf("add twice: %d %q", code, errs)
	}
	if code, _, errs := users(t, dir, "short\n", "add", "bob", "--role", "viewer"); code != exitUsage || !strings.Contains(errs, "at least") {
		t.Fatalf("weak password: %d %q", code, errs)
	}
	if code, _, _ := users(t, dir, pw+"\n", "add", "bob", "--role", "root"); code != exitUsage {
		t.Fatalf("bad role: %d", code)
	}
	if code, _, _ := users(t, dir, pw+"\n", "add", "bob", "--role", "viewer"); code != exitOK {
		t.Fatalf("add bob: %d", code)
	}
	code, out, _ := users(t, dir, "", "list")
	if code != exitOK || !strings.Contains(out, "alice") || !strings.Contains(out, "bob") || strings.Contains(out, "argon2") {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, out, _ := users(t, dir, "", "disable", "bob"); code != exitOK || !strings.Contains(out, "disabled bob") {
		t.Fatalf("disable: %d %q", code, out)
	}
	if code, _, _ := users(t, dir, "", "disable", "nobody"); code != exitUsage {
		t.Fatalf("disable nobody: %d", code)
	}
	if code, _, _ := users(t, dir, "another long password\n", "passwd", "alice"); code != exitOK {
		t.Fatalf("passwd: %d", code)
	}
	code, tok, _ := users(t, dir, "", "token", "bob", "--role", "viewer", "--name", "ci")
	tok = strings.TrimSpace(tok)
	if code != exitOK || len(tok) < 40 {
		t.Fatalf("token: %d %q", code, tok)
	}
	if code, _, _ := users(t, dir, "", "token", "bob", "--role", "admin"); code != exitUsage {
		t.Fatalf("an admin token for a viewer: %d", code)
	}

	db, err := storage.Open(context.Background(), filepath.Join(dir, "ferry.db"), filepath.Join(dir, "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	alice, err := db.UserByName(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := console.VerifyPassword(alice.PasswordHash, "another long password"); !ok || !strings.HasPrefix(alice.PasswordHash, "$argon2id$") {
		t.Fatalf("alice's password was not changed to an argon2id hash")
	}
	if bob, _ := db.UserByName(ctx, "bob"); !bob.Disabled {
		t.Fatalf("bob is not disabled")
	}
	if _, err := db.APITokenByHash(ctx, console.HashToken(tok)); err != nil {
		t.Fatalf("the printed token is not stored (hashed): %v", err)
	}
	if _, err := db.APITokenByHash(ctx, tok); !errors.Is(err, ferry.ErrNoToken) {
		t.Fatalf("the token is stored in clear")
	}
	entries, err := db.Audit(ctx, ferry.AuditQuery{Actor: "cli:tester"})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
		for _, secret := range []string{pw, "another long password", tok, alice.PasswordHash} {
			if strings.Contains(e.Before+e.After, secret) {
				t.Errorf("audit entry %s holds a secret", e.Action)
			}
		}
	}
	if got := strings.Join(actions, " "); got != "token.add user.passwd user.disable user.add user.add" {
		t.Fatalf("audit: %s", got)
	}
}
