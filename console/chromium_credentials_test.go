package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ferry-rpa/ferry"
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
