package tax_test

// Real Chromium against the portal: an SMS login whose code the test reads
// from the sandbox phone's loopback endpoint, and a QR login that the
// page's own script completes once the phone confirms.

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/ferry-rpa/ferry/bots"
	"github.com/ferry-rpa/ferry/internal/testenv"
	"github.com/ferry-rpa/ferry/sandbox/tax"
	"github.com/go-rod/rod"
	"github.com/go-rod/rod/lib/proto"
	"github.com/rs/zerolog"
)

func launch(t *testing.T) *rod.Browser {
	t.Helper()
	bin := testenv.Tool(t, "chromium", "chromium")
	br, err := bots.Launch(context.Background(), bots.BrowserOptions{Bin: bin, ProfileRoot: t.TempDir(), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = br.Close() })
	return br.Rod()
}

func phoneCode(t *testing.T, base, user string) string {
	t.Helper()
	resp, err := http.Get(base + "/_sandbox/phone?user=" + user)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Code, Phone string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("phone: %d %v", resp.StatusCode, err)
	}
	return v.Code
}

func TestChromiumSMSAndQRLogin(t *testing.T) {
	t0 := time.Now()
	b := launch(t)
	t.Logf("%v launched", time.Since(t0))
	p := tax.New(tax.Options{Seed: 11})
	base, stop, err := p.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	user := tax.DefaultUsers()[0]

	// SMS login.
	inc, err := b.Incognito()
	if err != nil {
		t.Fatal(err)
	}
	page, err := inc.Page(rodTarget(base + "/login"))
	if err != nil {
		t.Fatal(err)
	}
	pg := page.Timeout(30 * time.Second)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	input := func(sel, text string) {
		t.Helper()
		el, err := pg.Element(sel)
		must(err)
		must(el.Input(text))
	}
	click := func(sel string) {
		t.Helper()
		t.Logf("%v click %s", time.Since(t0).Round(time.Millisecond), sel)
		el, err := pg.Element(sel)
		must(err)
		must(el.Click("left", 1))
	}
	input("#nsrsbh", p.Taxpayer().TaxID)
	input("#account", user.UserName)
	input("#password", user.Password)
	click("#login-btn")
	masked, err := pg.Element("#sms-phone")
	must(err)
	if txt, _ := masked.Text(); txt != "138****5678" {
		t.Fatalf("masked phone %q", txt)
	}
	input("#sms-code", phoneCode(t, base, user.UserName))
	click("#sms-btn")
	click(`input[data-role="财务负责人"]`)
	click("#role-btn")
	role, err := pg.Element("#role")
	must(err)
	if txt, _ := role.Text(); txt != tax.RoleFinance {
		t.Fatalf("role %q", txt)
	}

	// QR login in a second browser context: the page polls, the phone
	// scans and confirms, the page completes the login itself.
	inc2, err := b.Incognito()
	must(err)
	page2, err := inc2.Page(rodTarget(base + "/login/qr"))
	must(err)
	pg = page2.Timeout(30 * time.Second)
	img, err := pg.Element("#qr-image")
	must(err)
	must(img.WaitLoad())
	w, err := img.Eval(`() => this.naturalWidth`)
	must(err)
	if w.Value.Int() < 100 {
		t.Fatalf("QR image %d px wide", w.Value.Int())
	}
	id, err := img.Attribute("data-qr")
	must(err)
	if _, err := p.ScanQR(user.UserName, *id); err != nil {
		t.Fatal(err)
	}
	_, err = pg.ElementR("#qr-status", "扫码成功")
	must(err)
	must(p.ConfirmQR(*id))
	click(`input[data-role="办税员"]`)
	click("#role-btn")
	role, err = pg.Element("#role")
	must(err)
	if txt, _ := role.Text(); txt != tax.RoleClerk {
		t.Fatalf("QR role %q", txt)
	}
	// The QR login took the account's session: the SMS one is kicked.
	if p.Stats().Kicked != 1 {
		t.Errorf("stats %+v", p.Stats())
	}
}

func rodTarget(u string) proto.TargetCreateTarget { return proto.TargetCreateTarget{URL: u} }
