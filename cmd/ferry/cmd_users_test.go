package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
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

// TestStartConsole serves the console as serve would (startConsole) on
// the data directory's database: a user added with `ferry users add` logs
// in, and stop ends it.
func TestStartConsole(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := users(t, dir, "a good long password\n", "add", "root", "--role", "admin"); code != exitOK {
		t.Fatalf("add: %d %s", code, errs)
	}
	cfg, err := loadConfig("", dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openDB(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var logs bytes.Buffer
	cfg.Challenges.secret = "gateway-s3cret"
	c, err := startConsole(ConsoleConfig{Addr: "127.0.0.1:0"}, &app{db: db}, cfg, nil, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + c.Addr()
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	// The code answer API is mounted beside the pages: refused without a
	// token, and with the configured secret it answers that run 1 asked
	// nothing.
	for _, tc := range []struct {
		auth string
		want int
	}{{"", http.StatusUnauthorized}, {"Bearer wrong", http.StatusUnauthorized}, {"Bearer gateway-s3cret", http.StatusNotFound}} {
		req, _ := http.NewRequest("GET", base+"/api/challenges/runs/1/challenge", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("challenge API with %q: %d, want %d", tc.auth, resp.StatusCode, tc.want)
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = client.PostForm(base+"/login", url.Values{"name": {"root"}, "password": {"a good long password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
		t.Fatalf("login: %d %v", resp.StatusCode, resp.Cookies())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("the console still answers after stop")
	}
	if strings.Contains(logs.String(), "a good long password") {
		t.Fatal("the password reached the log")
	}
}

// Every users command has help with examples and exit codes (what
// TestHelpForEveryCommand checks once main.go registers it), and list
// creates nothing on a fresh data directory.
func TestUsersHelpAndReadOnlyList(t *testing.T) {
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		code, out, _ := users(t, t.TempDir(), "", append(path, "--help")...)
		if code != exitOK || !strings.Contains(out, "Usage:") || !strings.Contains(out, "Examples:") || !strings.Contains(out, "Exit codes:") {
			t.Errorf("ferry users %s --help: exit %d, output lacks usage, examples or exit codes:\n%s", strings.Join(path, " "), code, out)
		}
		for _, sub := range c.Commands() {
			walk(sub, append(append([]string{}, path...), sub.Name()))
		}
	}
	walk(newUsersCmd(&globals{}), nil)
	data := filepath.Join(t.TempDir(), "fresh")
	code, out, errs := users(t, data, "", "list", "--json")
	if code != exitOK || strings.TrimSpace(out) != "[]" || !strings.Contains(errs, "no database yet") {
		t.Fatalf("list on a fresh directory: %d %q %q", code, out, errs)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("list created %s: %v", data, err)
	}
}
