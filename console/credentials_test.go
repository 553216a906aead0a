package console_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	"github.com/ferry-rpa/ferry/vault"
	"github.com/rs/zerolog"
)

// withVault serves e's store through a console that has a vault (and
// single sign-on when o is set), in place of newEnv's.
func withVault(t *testing.T, e *env, o *console.OIDC) *vault.Vault {
	t.Helper()
	k, err := vault.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(e.db, k, e.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	e.srv, err = console.New(console.Config{Store: e.db, Now: e.clock.now, Logger: zerolog.New(e.log).Level(zerolog.DebugLevel), MaxFailures: 3, LockFor: 10 * time.Minute,
		Vault: v, OIDC: o})
	if err != nil {
		t.Fatal(err)
	}
	e.ts.Close()
	e.ts = httptest.NewServer(e.srv)
	t.Cleanup(e.ts.Close)
	return v
}

// Values the credentials tests set: none may appear in a page, the log,
// the audit log or the database file.
const (
	credPassword = "Pa55-w0rd-of-acme-bank"
	credSeed     = "JBSWY3DPEHPK3PXPACMESEED"
	credReplaced = "replaced-Pa55-w0rd-9876"
)

func TestCredentialsPage(t *testing.T) {
	e := newEnv(t)
	v := withVault(t, e, nil)
	ctx := context.Background()
	admin := e.login(ferry.RoleAdmin)
	var pages []string
	get := func(path string) string {
		t.Helper()
		code, body := admin.get(path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d", path, code)
		}
		pages = append(pages, body)
		return body
	}
	if body := get("/credentials"); !strings.Contains(body, "holds no credentials") || !strings.Contains(body, v.Recipient()) {
		t.Fatalf("empty vault page:\n%s", body)
	}
	set := func(name, field, value string) *http.Response {
		t.Helper()
		resp := admin.form("/credentials", url.Values{"name": {name}, "field": {field}, "value": {value}}, true)
		b := make([]byte, 1<<16)
		n, _ := resp.Body.Read(b)
		pages = append(pages, string(b[:n]))
		return resp
	}
	for _, f := range [][3]string{{"acme", "user", "acme-user"}, {"acme", "password", credPassword}, {"acme", "totp", credSeed}, {"acme", "password", credReplaced}} {
		resp := set(f[0], f[1], f[2])
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/credentials?done=set") {
			t.Fatalf("set %s %s: %d %s", f[0], f[1], resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	body := get("/credentials?done=set&name=acme&field=password")
	if !strings.Contains(body, "saved password of acme") || !strings.Contains(body, "totp") || strings.Count(body, `name="value" type="password" autocomplete="new-password" required>`) != 1 || strings.Count(body, `size="12" required aria-label`) != 3 {
		t.Fatalf("after saving:\n%s", body)
	}
	if got, err := v.Get(ctx, "acme"); err != nil || got.Fields["password"] != credReplaced || got.Fields["totp"] != credSeed {
		t.Fatalf("the vault after the page's changes: %v", err)
	}
	// A refused change shows the names again, never the value.
	resp := set("acme", "bad field", credPassword)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad field: %d", resp.StatusCode)
	}
	if resp := admin.form("/credentials/acme", url.Values{"field": {"totp"}}, true); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove totp: %d", resp.StatusCode)
	}
	if resp := admin.form("/credentials/acme", url.Values{"field": {"totp"}}, true); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("remove totp again: %d", resp.StatusCode)
	}
	if body := get("/credentials"); strings.Contains(body, ">totp<") {
		t.Fatalf("totp still listed:\n%s", body)
	}
	// Only admins; without the CSRF token nothing changes.
	for _, r := range []ferry.Role{ferry.RoleViewer, ferry.RoleFinance, ferry.RoleOps} {
		c := e.login(r)
		if code, _ := c.get("/credentials"); code != http.StatusForbidden {
			t.Errorf("GET /credentials as %s: %d", r, code)
		}
		if resp := c.form("/credentials", url.Values{"name": {"x"}, "field": {"password"}, "value": {"y"}}, true); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST /credentials as %s: %d", r, resp.StatusCode)
		}
	}
	if resp := admin.form("/credentials", url.Values{"name": {"nocsrf"}, "field": {"password"}, "value": {"z"}}, false); resp.StatusCode != http.StatusForbidden {
		t.Errorf("without CSRF: %d", resp.StatusCode)
	}
	if list, _ := v.List(ctx); len(list) != 1 {
		t.Fatalf("refused changes changed the vault: %+v", list)
	}

	entries, err := e.db.Audit(ctx, ferry.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	var audit strings.Builder
	for _, en := range entries {
		if strings.HasPrefix(en.Action, "credential.") {
			actions = append(actions, en.Actor+":"+en.Action)
			if en.Target != "credential:acme" {
				t.Errorf("audit target %q", en.Target)
			}
		}
		audit.WriteString(en.Before + en.After + "\n")
	}
	if strings.Join(actions, " ") != "admin:credential.remove admin:credential.set admin:credential.set admin:credential.set admin:credential.add" {
		t.Errorf("audit: %v", actions)
	}
	if !strings.Contains(audit.String(), `"fields":["password","user"]`) {
		t.Errorf("the audit log lacks the field names before and after:\n%s", audit.String())
	}
	var seq int
	var schema, path string
	if err := e.db.SQL.QueryRow(`PRAGMA database_list`).Scan(&seq, &schema, &path); err != nil {
		t.Fatal(err)
	}
	e.db.Close()
	file, err := os.ReadFile(path)
	if err != nil || len(file) == 0 {
		t.Fatalf("database file %s: %v", path, err)
	}
	for _, secret := range []string{credPassword, credSeed, credReplaced, "acme-user"} {
		for where, text := range map[string]string{"a page": strings.Join(pages, "\n"), "the log": e.log.String(), "the audit log": audit.String(), "the database file": string(file)} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows a credential value", where)
			}
		}
	}
}

// TestCredentialsWithoutVault: with no key configured the page says so
// and changes are refused.
func TestCredentialsWithoutVault(t *testing.T) {
	e := newEnv(t)
	admin := e.login(ferry.RoleAdmin)
	if code, body := admin.get("/credentials"); code != http.StatusOK || !strings.Contains(body, "No vault key is configured") {
		t.Fatalf("page: %d\n%s", code, body)
	}
	if resp := admin.form("/credentials", url.Values{"name": {"a"}, "field": {"password"}, "value": {"b"}}, true); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("set without a vault: %d", resp.StatusCode)
	}
}

// TestCredentialsPageFigures measures the credentials page's answer
// median with 100 credentials of 3 fields, beside the users page's as a
// reference. Run with FERRY_FIGURES=1 (it only reports).
func TestCredentialsPageFigures(t *testing.T) {
	if os.Getenv("FERRY_FIGURES") == "" {
		t.Skip("set FERRY_FIGURES=1 to measure")
	}
	e := newEnv(t)
	v := withVault(t, e, nil)
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		for _, f := range []string{"user", "password", "totp"} {
			if err := v.Set(ctx, "bank-"+strconv.Itoa(i), f, "value-"+f); err != nil {
				t.Fatal(err)
			}
		}
	}
	admin := e.login(ferry.RoleAdmin)
	medians := map[string]time.Duration{}
	for _, p := range []string{"/users", "/credentials"} {
		var took []time.Duration
		for i := 0; i < 101; i++ {
			start := time.Now()
			if code, _ := admin.get(p); code != http.StatusOK {
				t.Fatalf("%s: %d", p, code)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		medians[p] = took[50]
		t.Logf("%-14s median %v (p90 %v)", p, took[50], took[90])
	}
	t.Logf("credentials/users: %.2f", float64(medians["/credentials"])/float64(medians["/users"]))
}
