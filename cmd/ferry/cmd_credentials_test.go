package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/runner"
	"github.com/ferry-rpa/ferry/sandbox"
	"github.com/ferry-rpa/ferry/storage"
	"github.com/ferry-rpa/ferry/vault"
	"github.com/rs/zerolog"
)

// credentialsCLI runs `ferry --config CONFIG credentials ARGS…` with stdin.
func credentialsCLI(t *testing.T, config, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb}
	root := newRoot(g)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(append([]string{"--config", config, "credentials"}, args...))
	code := exitOK
	if err := root.ExecuteContext(context.Background()); err != nil {
		errb.WriteString("ferry: " + err.Error() + "\n")
		code = codeFor(err)
	}
	return code, out.String(), errb.String()
}

// TestCredentialsCommands: keygen, migrate from credentials: (twice:
// nothing changes the second time), set, list, rm, rekey; runs then take
// the vault's values; no value appears in any output, error, the audit
// log or the database file.
func TestCredentialsCommands(t *testing.T) {
	t.Setenv("FERRY_AUTHOR", "tester")
	t.Setenv(vault.EnvKey, "")
	t.Setenv(vault.EnvKeyFile, "")
	const (
		yamlPassword = "yaml-Pa55-for-acme"
		yamlSeed     = "JBSWY3DPEHPK3PXPYAMLSEED"
		newPassword  = "new-Pa55-set-by-cli"
	)
	t.Setenv("ACME_PW", yamlPassword)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "seed.txt"), []byte(yamlSeed+"\n"), 0o600)
	config := filepath.Join(dir, "ferry.yaml")
	os.WriteFile(config, []byte(`data_dir: data
credentials:
  acme:
    user: acme-login-7
    password: {env: ACME_PW}
    totp: {file: seed.txt}
`), 0o600)
	var outputs []string
	run := func(wantCode int, stdin string, args ...string) string {
		t.Helper()
		code, out, errs := credentialsCLI(t, config, stdin, args...)
		outputs = append(outputs, out, errs)
		if code != wantCode {
			t.Fatalf("credentials %v: exit %d, want %d\n%s%s", args, code, wantCode, out, errs)
		}
		return out + errs
	}
	if out := run(exitUsage, "", "list"); !strings.Contains(out, vault.EnvKeyFile) {
		t.Fatalf("without a key: %s", out)
	}
	key := filepath.Join(dir, "vault.key")
	if out := run(exitOK, "", "keygen", key); !strings.Contains(out, "age1") || strings.Contains(out, "AGE-SECRET") {
		t.Fatalf("keygen: %s", out)
	}
	run(exitUsage, "", "keygen", key) // never overwritten
	t.Setenv(vault.EnvKeyFile, key)

	out := run(exitOK, "", "migrate")
	if !strings.Contains(out, "added password of acme") || !strings.Contains(out, "added totp of acme") || !strings.Contains(out, "3 of 3 fields") ||
		!strings.Contains(out, "delete the credentials: block") {
		t.Fatalf("migrate: %s", out)
	}
	if out := run(exitOK, "", "migrate"); !strings.Contains(out, "same password of acme") || !strings.Contains(out, "0 of 3 fields") {
		t.Fatalf("migrate again: %s", out)
	}
	if out := run(exitOK, newPassword+"\n", "set", "acme", "password"); !strings.Contains(out, "saved password of acme") {
		t.Fatalf("set: %s", out)
	}
	run(exitUsage, "", "set", "acme", "password") // no value
	run(exitUsage, "x\n", "set", "acme", "bad field")
	out = run(exitOK, "", "list")
	if !strings.Contains(out, "acme  password") || !strings.Contains(out, "acme  totp") || !strings.Contains(out, "acme  user") {
		t.Fatalf("list: %s", out)
	}
	var listed []struct {
		Name   string
		Fields []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(run(exitOK, "", "list", "--json")), &listed); err != nil || len(listed) != 1 || len(listed[0].Fields) != 3 {
		t.Fatalf("list --json: %+v %v", listed, err)
	}

	// Runs take the vault's values (the one set here, not the YAML's).
	cfg, err := loadConfig(config, "")
	if err != nil {
		t.Fatal(err)
	}
	creds, err := cfg.credentials()
	if err != nil {
		t.Fatal(err)
	}
	if c := creds["acme"]; c.Fields["password"] != newPassword || c.Fields["totp"] != yamlSeed || c.Fields["user"] != "acme-login-7" {
		t.Fatalf("runs' credentials are not the vault's: %v", c)
	}

	run(exitOK, "", "rm", "acme", "totp")
	run(exitUsage, "", "rm", "acme", "totp")
	run(exitUsage, "", "rm", "nobody")

	next := filepath.Join(dir, "vault.key.new")
	run(exitOK, "", "keygen", next)
	if out := run(exitOK, "", "rekey", "--to", next); !strings.Contains(out, "resealed 2 values") {
		t.Fatalf("rekey: %s", out)
	}
	if out := run(exitOK, "", "list"); !strings.Contains(out, "sealed to another key") {
		t.Fatalf("list under the old key after a rekey: %s", out)
	}
	if _, err := cfg.credentials(); err == nil || !strings.Contains(err.Error(), "another key") {
		t.Fatalf("credentials under the old key: %v", err)
	} else {
		outputs = append(outputs, err.Error())
	}
	t.Setenv(vault.EnvKeyFile, next)
	if creds, err := cfg.credentials(); err != nil || creds["acme"].Fields["password"] != newPassword {
		t.Fatalf("credentials under the new key: %v", err)
	}

	db, err := storage.Open(context.Background(), filepath.Join(dir, "data", "ferry.db"), filepath.Join(dir, "data", "artifacts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := db.Audit(context.Background(), ferry.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
		outputs = append(outputs, en.Before, en.After)
	}
	if got := strings.Join(actions, " "); got != "vault.rekey credential.remove credential.set credential.import credential.import" {
		t.Errorf("audit log: %s", got)
	}
	db.Close()
	file, err := os.ReadFile(filepath.Join(dir, "data", "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, string(file))
	keyText, _ := os.ReadFile(key)
	secretKey := strings.TrimSpace(strings.Split(string(keyText), "\n")[1])
	for _, secret := range []string{yamlPassword, yamlSeed, newPassword, "acme-login-7", secretKey} {
		for _, o := range outputs {
			if strings.Contains(o, secret) {
				t.Fatalf("a value or key appears in an output, error, the audit log or the database")
			}
		}
	}
}

// TestOIDCConfig: console.oidc is read with its secret from the
// environment, which no error or printout shows; a group mapped to no
// role is an error naming it.
func TestOIDCConfig(t *testing.T) {
	const secret = "oidc-client-secret-31337"
	t.Setenv("FERRY_OIDC_SECRET", secret)
	dir := t.TempDir()
	config := filepath.Join(dir, "ferry.yaml")
	write := func(groups string) {
		os.WriteFile(config, []byte(`console:
  addr: 127.0.0.1:0
  oidc:
    issuer: https://id.example.com
    client_id: ferry
    client_secret: {env: FERRY_OIDC_SECRET}
    redirect_url: https://ferry.example.com/login/oidc/callback
    name: Example ID
    groups: {`+groups+`}
`), 0o600)
	}
	write("finance-team: finance, it-admins: admin")
	cfg, err := loadConfig(config, "")
	if err != nil {
		t.Fatal(err)
	}
	oc, err := cfg.Console.OIDC.oidcConfig()
	if err != nil {
		t.Fatal(err)
	}
	if oc.ClientSecret != secret || oc.Groups["it-admins"] != ferry.RoleAdmin || oc.Name != "Example ID" || oc.ClientID != "ferry" {
		t.Fatalf("oidc config: %+v", oc.Groups)
	}
	if b, _ := json.Marshal(cfg.Console); strings.Contains(string(b), secret) {
		t.Fatal("the console config prints its client secret")
	}
	write("finance-team: root")
	cfg, err = loadConfig(config, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Console.OIDC.oidcConfig(); err == nil || !strings.Contains(err.Error(), "finance-team") {
		t.Fatalf("a bad role: %v", err)
	}
}

// TestStartConsoleWithVault: with a vault key configured, serve's
// console shows the vault's credentials on /credentials to an admin, by
// name, never a value.
func TestStartConsoleWithVault(t *testing.T) {
	cfg, db, v, k := servedVault(t)
	const value = "served-Pa55-word-42"
	if err := v.Set(context.Background(), "acme", "password", value); err != nil {
		t.Fatal(err)
	}
	if _, err := console.AddUser(context.Background(), db, "cli:test", "", "root", ferry.RoleAdmin, "a good long password"); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	c, err := startConsole(ConsoleConfig{Addr: "127.0.0.1:0"}, &app{db: db}, cfg, nil, zerolog.New(&logs))
	if err != nil {
		t.Fatal(err)
	}
	defer c.stop(context.Background())
	base := "http://" + c.Addr()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.PostForm(base+"/login", url.Values{"name": {"root"}, "password": {"a good long password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = client.Get(base + "/credentials")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "acme") || !strings.Contains(string(b), k.Recipient()) || strings.Contains(string(b), value) {
		t.Fatalf("/credentials: %d\n%s", resp.StatusCode, b)
	}
	if strings.Contains(logs.String(), value) {
		t.Fatal("a value reached the log")
	}

	// serve's runner reads the vault at each run: a value replaced on
	// the console is used by the next run.
	live, err := cfg.liveCredentials()
	if err != nil || live == nil {
		t.Fatalf("live credentials: %v", err)
	}
	var _ runner.Credentials = live
	if _, err := live.Credential("acme"); err == nil {
		t.Fatal("an unbound vault answered")
	}
	if err := live.bind(db); err != nil {
		t.Fatal(err)
	}
	if got, err := live.Credential("acme"); err != nil || got.Fields["password"] != value {
		t.Fatalf("live: %v", err)
	}
	if err := v.Set(context.Background(), "acme", "password", "replaced-"+value); err != nil {
		t.Fatal(err)
	}
	if got, err := live.Credential("acme"); err != nil || got.Fields["password"] != "replaced-"+value {
		t.Fatalf("live after a replace: %v", err)
	}
	if _, err := live.Credential("nobody"); err == nil || !errors.Is(err, vault.ErrNotFound) {
		t.Fatalf("unknown: %v", err)
	}
}

// TestConsoleStartsRunWithVault: under serve with a vault on SQLite, a
// finance user starts a run on the console and it is queued. The console
// queues it inside the transaction that audits it, which holds SQLite's
// only connection; the runner's credential check used to read the vault
// outside that transaction, so the start waited for the connection for
// 30 seconds and failed.
func TestConsoleStartsRunWithVault(t *testing.T) {
	ctx := context.Background()
	cfg, db, v, _ := servedVault(t)
	const login = "demobank-zhangwei"
	for field, value := range sandbox.Credentials()[login].Fields {
		if err := v.Set(ctx, login, field, value); err != nil {
			t.Fatal(err)
		}
	}
	live, err := cfg.liveCredentials()
	if err != nil || live == nil {
		t.Fatalf("live credentials: %v", err)
	}
	if err := live.bind(db); err != nil {
		t.Fatal(err)
	}
	// Not started: the run is queued and stays so; no browser is needed.
	r, err := runner.New(ctx, runnerConfig(cfg, db, nil, live, nil, zerolog.Nop()))
	if err != nil {
		t.Fatal(err)
	}
	uid, err := console.AddUser(ctx, db, "cli:test", "", "fin", ferry.RoleFinance, "a good long password")
	if err != nil {
		t.Fatal(err)
	}
	tok, hash, err := console.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddAPIToken(ctx, ferry.APIToken{UserID: uid, Role: ferry.RoleFinance, TokenHash: hash, Name: "test"}); err != nil {
		t.Fatal(err)
	}
	c, err := startConsole(ConsoleConfig{Addr: "127.0.0.1:0"}, &app{db: db, runner: r}, cfg, nil, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer c.stop(ctx)
	req, _ := http.NewRequest(http.MethodPost, "http://"+c.Addr()+"/api/runs",
		strings.NewReader(`{"bot":"demobank-statements","login":"`+login+`","from":"2026-10-01","to":"2026-10-03"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start: %d %s", resp.StatusCode, b)
	}
	var started struct{ Run int64 }
	if err := json.Unmarshal(b, &started); err != nil {
		t.Fatal(err)
	}
	run, err := db.Run(ctx, started.Run)
	if err != nil || run.Status != ferry.RunQueued || run.Login != login {
		t.Fatalf("run %d: %+v %v", started.Run, run, err)
	}
}

// servedVault is a data directory configured with a new vault key file
// (FERRY_VAULT_KEY_FILE), as serve would find it: its config, its
// database (closed at the test's end), its vault and the key.
func servedVault(t *testing.T) (*Config, *storage.DB, *vault.Vault, vault.Key) {
	t.Helper()
	t.Setenv("FERRY_AUTHOR", "tester")
	t.Setenv(vault.EnvKey, "")
	dir := t.TempDir()
	key := filepath.Join(dir, "vault.key")
	k, _ := vault.NewKey()
	if err := vault.WriteKeyFile(key, k); err != nil {
		t.Fatal(err)
	}
	t.Setenv(vault.EnvKeyFile, key)
	cfg, err := loadConfig("", dir)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openDB(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	v, err := cfg.openVault(db)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, db, v, k
}
