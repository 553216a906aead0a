package console_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
	"github.com/ferry-rpa/ferry/console"
	"github.com/rs/zerolog"
)

// TestChromiumAdminAddsUserAndCredential: in real Chromium an admin adds
// a user and a credential (a password and a TOTP seed), replaces the
// password, and sees only names and times, the value fields empty after
// each save; the pages render at a desktop and a phone width; the audit
// log shows the changes by name only.
func TestChromiumAdminAddsUserAndCredential(t *testing.T) {
	e := newEnv(t)
	v := withVault(t, e, nil)
	d := chromium(t)
	d.call("Page.enable", map[string]any{})
	shoot := func(name string) {
		for _, s := range [][2]int{{1280, 800}, {390, 844}} {
			d.screenshot(name, s[0], s[1])
		}
	}
	d.open(e.ts.URL + "/login")
	d.waitFor("/login", "Password")
	d.submit("form[action='/login']", map[string]string{"name": "admin", "password": password + " admin"})
	d.waitFor("/runs", "admin (admin)")

	d.open(e.ts.URL + "/users")
	d.waitFor("/users", "Add a user")
	d.submit("form[action='/users']", map[string]string{"name": "frank", "role": "finance", "password": "franks long password"})
	d.waitFor("/users", "added frank")

	// The navigation leads to the page.
	d.eval(`document.querySelector("header nav a[href='/credentials']").click()`)
	d.waitFor("/credentials", "holds no credentials")
	shoot("credentials-empty")
	d.submit("#add-credential", map[string]string{"name": "acme", "field": "password", "value": credPassword})
	d.waitFor("/credentials", "saved password of acme")
	d.submit("#add-credential", map[string]string{"name": "acme", "field": "totp", "value": credSeed})
	d.waitFor("/credentials", "saved totp of acme")
	if got := d.eval(`Array.from(document.querySelectorAll("input[name=value]")).map(i => i.value).join("")`); got != "" {
		t.Errorf("a value field is not empty after saving: %q", got)
	}
	if got := d.eval(`document.querySelector("#add-credential [name=name]").value`); got != "" {
		t.Errorf("the add form kept the name: %q", got)
	}
	shoot("credentials")
	// Replace the password from its row.
	d.eval(`(function(){
		const f = Array.from(document.querySelectorAll("form.replace")).find(f => f.querySelector("[name=field]").value === "password");
		f.querySelector("[name=value]").value = ` + "`" + credReplaced + "`" + `; f.requestSubmit(); return true; })()`)
	d.waitFor("/credentials", "saved password of acme")
	html := d.eval(`document.documentElement.outerHTML`).(string)
	for _, secret := range []string{credPassword, credSeed, credReplaced} {
		if strings.Contains(html, secret) {
			t.Errorf("the page shows a credential value")
		}
	}
	c, err := v.Get(context.Background(), "acme")
	if err != nil || c.Fields["password"] != credReplaced || c.Fields["totp"] != credSeed {
		t.Fatalf("the vault after the browser's changes: %v", err)
	}
	d.open(e.ts.URL + "/audit")
	d.waitFor("/audit", "credential.add")
	text := d.eval(`document.body.innerText`).(string)
	for _, want := range []string{"user.add", "credential.add", "credential.set"} {
		if !strings.Contains(text, want) {
			t.Errorf("the audit page lacks %s", want)
		}
	}
	for _, secret := range []string{credPassword, credSeed, credReplaced} {
		if strings.Contains(text, secret) {
			t.Errorf("the audit page shows a credential value")
		}
	}
	entries, _ := e.db.Audit(context.Background(), ferry.AuditQuery{Action: "credential.set"})
	if len(entries) != 2 {
		t.Errorf("credential.set audited %d times, want 2", len(entries))
	}
}

// TestChromiumSignInWithOIDC: in real Chromium the login page offers
// "Sign in with Example ID"; the provider (on localhost, another site
// than the console's 127.0.0.1) approves and sends the browser back, and
// the browser lands on the runs page signed in with the mapped role (the
// Strict session cookie is set by the callback and used by the next,
// same-site, navigation).
func TestChromiumSignInWithOIDC(t *testing.T) {
	e := newEnv(t)
	p := newProvider(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	o, err := console.NewOIDC(context.Background(), console.OIDCConfig{Issuer: p.base, ClientID: "ferry", ClientSecret: oidcClientSecret,
		RedirectURL: base + "/login/oidc/callback", Name: "Example ID", Groups: map[string]ferry.Role{"finance-team": ferry.RoleFinance}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := console.New(console.Config{Store: e.db, Now: e.clock.now, Logger: zerolog.New(e.log), OIDC: o})
	if err != nil {
		t.Fatal(err)
	}
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: srv}}
	ts.Start()
	t.Cleanup(ts.Close)

	d := chromium(t)
	d.call("Page.enable", map[string]any{})
	d.open(base + "/login")
	d.waitFor("/login", "Sign in with Example ID")
	for _, s := range [][2]int{{1280, 800}, {390, 844}} {
		d.screenshot("login-sso", s[0], s[1])
	}
	d.eval(`document.querySelector("a[href='/login/oidc']").click()`)
	d.waitFor("/runs", "oidc:alice (finance)")
	entries, _ := e.db.Audit(context.Background(), ferry.AuditQuery{Action: "session.login"})
	if len(entries) != 1 || entries[0].Actor != "oidc:alice" || !strings.Contains(entries[0].After, `"via":"oidc"`) {
		t.Fatalf("audit: %+v", entries)
	}
}
